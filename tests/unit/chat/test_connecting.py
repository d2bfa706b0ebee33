"""Tests of chat/connecting.py and chat/liveness.py: the client's tries, what a failure
means, the heartbeat and the window, all with a clock of the test's own."""

import re

import pytest

from _chat_curses.chat.dialing import Dialing, Failure, Outcome
from _chat_curses.chat.core import ChatCore
from _chat_curses.chat.effects import EXIT_FAILURE, Effect
from _chat_curses.chat.liveness import Liveness
from _chat_curses.chat.setup import CODE_PROMPT, Settings
from _chat_curses.wire.events import Role

from .helpers import T, connected, no_jitter, texts


def client(timeout=10.0, window=300.0):
    core = ChatCore(Settings(role=Role.CLIENT, host="127.0.0.1", port=8000, name="user",
                             timeout=timeout, resume_window=window, code=""),
                    jitter=no_jitter)
    core.start()
    core.actions.clear()
    core.reach.dialing(T)
    return core


# --- the tries, alone ----------------------------------------------------------------


def test_tries_again_after_a_quarter_second_then_about_every_second_from_each_start():
    tries = Dialing(10.0)
    tries.later(T)
    starts = [tries.redial_at]
    for failed_after in (0.1, 0.5, 0.9, 3.0):  # refused at once, ..., a try that hung
        start = starts[-1]
        tries.started(start, resuming=True)
        tries.connect(T)
        tries.failed()
        tries.later(start + failed_after)
        starts.append(tries.redial_at)
    assert [round(start - T, 3) for start in starts] == [0.25, 1.25, 2.25, 3.25, 6.25]


def test_while_resuming_a_connection_not_up_within_a_second_or_a_handshake_within_two_is_tried_afresh():
    tries = Dialing(10.0)
    tries.started(T, resuming=True)
    assert tries.deadline() == T + 10  # the name is looked up first: it has the whole timeout
    tries.looked_up(T + 0.5)
    assert tries.deadline() == T + 1.5 and tries.timed_out(T + 1.4) is None
    assert tries.timed_out(T + 1.5) == Failure("no connection within 1.5 s; trying afresh")
    tries.started(T, resuming=True)
    tries.looked_up(T)
    tries.connect(T + 0.5)  # up: the handshake has two seconds
    assert tries.deadline() == T + 2.5 and tries.timed_out(T + 2.4) is None
    assert tries.timed_out(T + 2.5) == Failure("no answer to the handshake within 2.5 s; "
                                               "trying afresh")
    tries.started(T)  # the first try, before the chat: the whole timeout
    tries.looked_up(T)
    tries.connect(T)
    assert tries.deadline() == T + 10


def test_a_person_may_ask_for_the_next_try_at_once():
    tries = Dialing(10.0)
    assert not tries.now(T)  # none is waiting: one is under way, or none is wanted
    tries.later(T)
    tries.later(T)
    assert tries.now(T + 0.1) and tries.redial_due(T + 0.1)


@pytest.mark.parametrize("factor", [0.8, 1.2])
def test_each_delay_is_a_fifth_more_or_less(factor):
    tries = Dialing(10.0, jitter=lambda: factor)
    tries.later(T)
    assert tries.redial_at == pytest.approx(T + 0.25 * factor)


def test_a_broken_link_starts_the_delays_again_and_a_success_ends_them():
    tries = Dialing(10.0)
    for _ in range(4):
        tries.later(T)
    tries.link_broke(T)
    assert tries.redial_at == T + 0.25
    tries.succeeded()
    assert tries.deadline() is None and tries.redials == 0


def test_the_next_try_is_due_once():
    tries = Dialing(10.0)
    tries.later(T)
    assert not tries.redial_due(T + 0.2)
    assert tries.redial_due(T + 0.25) and not tries.redial_due(T + 0.6)


def test_a_try_runs_out_of_time_in_words_that_say_how_far_it_came():
    tries = Dialing(10.0)
    tries.started(T)
    assert tries.deadline() == T + 10 and tries.timed_out(T + 9.9) is None
    assert tries.timed_out(T + 10) == Failure("timed out after 10 s")
    tries.connect(T)
    assert "connected, but no chat_curses answered within 10 s" in tries.timed_out(T + 10).reason


# --- the policy, as the core carries it out --------------------------------------------


def test_the_first_try_running_out_of_time_is_cancelled_and_the_last_word():
    core = client(timeout=10)
    assert core.deadline() == T + 10
    core.tick(T + 10)
    assert core.actions == [Effect.CANCEL_DIAL]
    assert texts(core)[-1] == "Could not connect to 127.0.0.1:8000: timed out after 10 s"
    assert core.exit_code == EXIT_FAILURE and core.deadline() is None


@pytest.mark.parametrize("kind", [kind for kind in Outcome if kind is not Outcome.NOT_LISTENING])
def test_before_the_chat_every_failure_but_no_server_yet_is_the_last_word(kind):
    core = client()
    core.reach.handshake_failed(Failure("no", kind), T + 1)
    assert texts(core)[-1] == "Could not connect to 127.0.0.1:8000: no"
    assert core.exit_code == EXIT_FAILURE and core.deadline() is None


def test_a_client_started_before_its_server_tries_about_every_second_until_its_timeout():
    """People start the two in either order: a refused connection is no last word yet."""
    core = client(timeout=10)
    now, tries, seen = T + 0.01, 1, set()
    core.reach.dial_failed("connection refused (is the server running?)", now, refused=True)
    while core.exit_code is None and now < T + 30:
        seen.update(re.findall(r"\((\d+ s left)\)", core.frame(now).status))
        now = core.deadline()
        core.tick(now)
        if Effect.DIAL in core.actions:
            core.actions.clear()
            tries += 1
            core.reach.dialing(now)
            core.reach.dial_failed("connection refused (is the server running?)", now,
                                   refused=True)
    assert 9 <= tries <= 11 and T + 8.5 <= now <= T + 10
    assert texts(core).count("Trying to connect to server....") == 1
    assert texts(core)[-1] == ("Could not connect to 127.0.0.1:8000: connection refused "
                               "(is the server running?)")
    assert {"10 s left", "5 s left", "2 s left"} <= seen


def test_a_server_that_starts_while_the_client_tries_again_begins_the_chat():
    core = client(timeout=10)
    core.reach.dial_failed("connection refused (is the server running?)", T + 0.01, refused=True)
    assert "no server on 127.0.0.1:8000 yet, trying again" in core.frame(T + 0.01).status
    core.tick(core.deadline())
    assert Effect.DIAL in core.actions
    core.reach.dialing(T + 0.3)
    core.reach.handshaking(T + 0.3)
    assert core.exit_code is None and core.reach.tries.under_way


def test_a_refusal_about_the_secret_says_what_both_sides_need():
    core = client()
    core.reach.handshaking(T)
    core.reach.handshake_failed(Failure("the server said: the shared secrets do not match",
                                        Outcome.REFUSED), T + 1)
    assert texts(core)[-1].endswith("(both sides need the same secret: --secret-file PATH "
                                    "or CHAT_SECRET)")


def broken(window=300.0):
    """A client whose chat's link broke at T."""
    core, partner = connected(window=window)
    core.reach.link.broke("connection reset by peer", T)
    core.actions.clear()
    return core, partner


def test_a_broken_link_is_tried_again_and_again_until_the_window_ends():
    core, _ = broken(window=20)
    now, tries = T, []
    while core.exit_code is None and now < T + 60:
        now = core.deadline()
        core.tick(now)
        if Effect.DIAL in core.actions:
            tries.append(round(now - T, 3))
            core.actions.clear()
            core.reach.dialing(now)
            core.reach.dial_failed("connection refused", now)  # the server is not back yet
    assert tries == [0.25 + second for second in range(20)]  # about every second
    assert core.exit_code == EXIT_FAILURE and now == T + 20  # the window, from the last contact
    assert texts(core)[-1] == "Connection lost: server did not come back within 20 s"


def test_a_try_that_times_out_while_resuming_is_cancelled_and_tried_again():
    core, _ = broken()
    core.tick(T + 0.25)
    core.reach.dialing(T + 0.25)
    core.reach.handshaking(T)
    core.actions.clear()
    core.tick(T + 10.25)
    assert core.actions == [Effect.CANCEL_DIAL, Effect.DIAL]  # it took long: the next at once
    assert core.exit_code is None


@pytest.mark.parametrize("kind", list(Outcome))
def test_nothing_unproven_ends_a_chat_waiting_to_be_resumed(kind):
    """SPEC 11: busy, a bye, "that chat is over", junk or a wrong proof may come from
    anyone on the port; the chat waits for its partner, and says so once."""
    core, _ = broken()
    for attempt in range(3):
        core.reach.handshake_failed(Failure("the server is busy in another chat", kind),
                                    T + 1 + attempt)
    assert core.exit_code is None and core.chatting and core.actions == []
    assert core.deadline() is not None and core.deadline() < T + 20  # tried again, soon
    told = [line for line in texts(core) if "proves nothing" in line]
    assert len(told) == (0 if kind in (Outcome.BROKEN, Outcome.NOT_LISTENING) else 1)


def test_a_wrong_code_typed_at_the_prompt_is_asked_for_again_and_from_a_flag_ends_it():
    typed = ChatCore(Settings(role=Role.CLIENT, host="127.0.0.1", port=8000, name="user"),
                     jitter=no_jitter)
    typed.start()
    typed.on_items(["7-amber-otter"], T)
    typed.on_items(["\r"], T)
    typed.reach.dialing(T)
    typed.actions.clear()
    typed.reach.handshake_failed(Failure("wrong pairing code", Outcome.WRONG_CODE), T + 1)
    assert typed.exit_code is None and typed.frame(T + 1).prompt == CODE_PROMPT
    assert "check the code on the server's screen" in texts(typed)[-1]
    typed.on_items(["8 amber otter"], T + 2)
    typed.on_items(["\r"], T + 2)
    assert typed.actions == [Effect.DIAL] and typed.setup.code == "8-amber-otter"  # one more guess
    flagged = client()  # --code was given ("" here: none)
    flagged.reach.handshake_failed(Failure("wrong pairing code", Outcome.WRONG_CODE), T + 1)
    assert flagged.exit_code == EXIT_FAILURE


def test_the_client_brings_what_proves_it():
    from _chat_curses.wire.handshake import Brings

    assert client().reach.bring() == (Brings.NONE, b"", b"")
    coded = ChatCore(Settings(role=Role.CLIENT, host="h", port=1, name="u", code="7-amber-otter"))
    coded.start()
    assert coded.reach.bring() == (Brings.CODE, b"7-amber-otter", b"")
    secret = ChatCore(Settings(role=Role.CLIENT, host="h", port=1, name="u", secret=b"s" * 20))
    secret.start()
    assert secret.reach.bring() == (Brings.SECRET, b"s" * 20, b"")
    core, _ = broken()  # a chat to resume: its resume secret, whatever else there is
    assert core.reach.bring()[0] is Brings.RESUME and core.reach.bring()[2] == core.chat.secret


def test_the_server_makes_a_code_per_chat_and_a_new_one_after_three_wrong():
    draws = iter(range(1000))
    server = ChatCore(Settings(role=Role.SERVER, host="127.0.0.1", port=8000, name="server"))
    server.start()
    server.reach.below = lambda bound: next(draws) % bound
    server.reach.listening("127.0.0.1:8000")
    first = server.reach.code
    assert texts(server)[-1] == f"Pairing code for your partner: {first}"
    assert server.history.lines[-1].kind == "private"  # the screen's only: no log, no file
    for _ in range(2):
        server.reach.wrong_code()
    assert server.reach.code == first
    server.reach.wrong_code()
    assert server.reach.code != first
    assert texts(server)[-1] == f"3 wrong pairing codes: the new code is {server.reach.code}"


def test_with_a_secret_the_server_shows_no_code():
    server = ChatCore(Settings(role=Role.SERVER, host="127.0.0.1", port=8000, name="server",
                               secret=b"s" * 20))
    server.start()
    server.reach.listening("127.0.0.1:8000")
    assert server.reach.code == "" and not any("code" in line for line in texts(server))


def test_a_broken_try_while_resuming_is_tried_again_later():
    core, _ = broken()
    core.tick(T + 0.25)
    core.reach.dialing(T + 0.25)
    core.reach.handshake_failed(Failure("connection reset by peer"), T + 0.35)
    assert core.exit_code is None and core.chatting
    assert core.reach.tries.deadline() == pytest.approx(T + 1.25)  # a second after it began


# --- liveness, alone --------------------------------------------------------------------


def questions(live, now):
    return live.ping_due(now), live.silent(now), live.window_over(now)


def test_a_quiet_link_wants_a_ping_is_suspected_after_two_and_a_half_and_gone_after_ten():
    live = Liveness(period=1.0, window=300.0, now=T)
    assert questions(live, T + 0.9) == (False, False, False) and live.deadline() == T + 1
    assert questions(live, T + 1) == (True, False, False)
    live.sent(T + 1)
    assert not live.suspect(T + 2.4) and live.deadline() == T + 2
    live.sent(T + 2)
    assert live.deadline() == T + 2.5
    assert live.suspect(T + 2.5) and live.suspected
    assert not live.suspect(T + 3.5)  # once
    live.sent(T + 3.5)
    assert live.deadline() == T + 4  # the screen's count of the silence moves each second
    assert not live.silent(T + 9.9) and live.silent(T + 10)
    assert live.received(T + 5)  # the suspected link answered after all
    assert not live.suspected and live.deadline() == T + 4.5  # a ping is due
    assert not live.received(T + 5.5)  # (it was no longer suspected)
    live.sent(T + 5.5)
    assert live.deadline() == T + 6.5
    assert not live.suspect(T + 7.9) and live.suspect(T + 8.0)  # from the last frame, at 5.5


def test_a_message_the_partner_keeps_not_acknowledging_cannot_get_through_once():
    live = Liveness(period=1.0, window=300.0, now=T)
    live.posted(T)
    for second in range(1, 10):
        live.received(T + second, waiting=1)  # its pings come, acknowledging nothing new
        assert not live.stuck(T + second)
    live.received(T + 10, waiting=1)
    assert live.stuck(T + 10) and not live.stuck(T + 11)
    live.received(T + 12, waiting=0)  # through at last
    live.posted(T + 13)
    live.received(T + 23, waiting=1)
    assert live.stuck(T + 23)  # the next one is said again


def test_a_message_is_stuck_by_its_time_on_links_that_carried_it_not_in_the_outbox():
    live = Liveness(period=1.0, window=300.0, now=T)
    live.down(T, "reset")
    live.posted(T + 1)  # into the outbox
    live.up(T + 30)  # the partner has not said a word on the new link yet
    live.received(T + 31, waiting=1)  # a frame from before it got ours
    assert not live.stuck(T + 31)
    for second in range(32, 39):
        live.received(T + second, waiting=1)
    assert not live.stuck(T + 38)  # eight seconds on a link, and the outage not counted
    live.down(T + 39, "reset")  # (a path that drops big packets: the link dies, again)
    live.up(T + 40)
    live.received(T + 41, waiting=1)
    assert not live.stuck(T + 41)
    live.received(T + 42, waiting=1)
    assert live.stuck(T + 42)  # nine seconds on the first link, two on this one


def test_an_outage_waits_for_its_window_from_the_last_contact_and_a_new_link_ends_it():
    live = Liveness(period=1.0, window=60.0, now=T)
    live.received(T + 4)  # the last frame from the partner
    assert live.down(T + 5, "reset")
    assert live.window_ends() == T + 64 and questions(live, T + 63.9) == (False, False, False)
    assert live.deadline() == T + 64  # (the screen's count changes at T + 64 too)
    assert questions(live, T + 64) == (False, False, True)  # no pings while the link is down
    live.up(T + 70)
    assert live.outage is None and questions(live, T + 70.5) == (False, False, False)


def test_a_partner_that_resumes_and_drops_at_once_does_not_start_the_window_over():
    """SPEC 10: 51 resumes in a row once kept an 8 s window waiting for 25 s."""
    live = Liveness(period=1.0, window=8.0, now=T)
    live.down(T, "reset")
    for second in range(1, 30):
        live.up(T + second)  # proved, and at once gone again: nothing came from it
        live.down(T + second + 0.1, "reset")
        if live.window_over(T + second + 0.1):
            break
    assert second == 8 and live.outage.since == T
    live.up(T + 9)
    live.received(T + 9.5)  # a frame: that is contact
    live.down(T + 10, "reset")
    assert live.window_ends() == T + 17.5 and live.deadline() == T + 10.5  # the count, too


def test_without_a_window_a_broken_link_ends_the_chat():
    assert not Liveness(period=1.0, window=0, now=T).down(T, "reset")


def test_a_chat_taken_up_from_its_file_counts_the_window_from_the_last_contact():
    live = Liveness(period=1.0, window=60.0, now=T)
    live.lost_while_stopped(T, silent_for=50, reason="stopped")
    assert live.deadline() == T + 10 and live.last_received == T - 50


def test_the_outage_screen_counts_every_second_says_when_the_next_try_is_and_ctrl_r_tries_now():
    core, _ = broken()
    assert "reconnecting, last contact 0 s ago, next try in 0 s (Ctrl-R: now)" in \
        core.frame(T + 0.1).status
    core.tick(T + 0.25)  # the first try
    core.reach.dialing(T + 0.25)
    assert "trying now" in core.frame(T + 0.3).status
    core.reach.dial_failed("connection refused", T + 0.3)
    assert "next try in 1 s (Ctrl-R: now)" in core.frame(T + 0.3).status
    core.actions.clear()
    seen = set()
    now = T + 0.3
    while now < T + 5:  # the loop wakes at least each second: the count moves on screen
        now = min(core.deadline(), now + 5)
        core.tick(now)
        seen.add(core.frame(now).status.split("last contact ")[1].split(" ago")[0])
        if Effect.DIAL in core.actions:
            core.actions.clear()
            core.reach.dialing(now)
            core.reach.dial_failed("connection refused", now)
    assert {"1 s", "2 s", "3 s", "4 s"} <= seen
    core.on_items(["\x12"], now)  # Ctrl-R
    core.tick(now)
    assert Effect.DIAL in core.actions


def test_a_blackholed_connect_while_resuming_is_given_up_after_a_second_for_a_fresh_one():
    core, _ = broken()
    core.tick(T + 0.25)
    core.reach.dialing(T + 0.25)
    core.reach.tries.looked_up(T + 0.25)  # the SYN goes nowhere
    core.actions.clear()
    core.tick(T + 1.25)
    assert core.actions == [Effect.CANCEL_DIAL, Effect.DIAL] and core.exit_code is None
    assert "proves nothing" not in " ".join(texts(core))
