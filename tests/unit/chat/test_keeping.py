"""Tests of chat/keeping.py: a silent link suspected after 2.5 heartbeats, a new path
tried beside it, whichever proves itself first carrying the chat, and a loss declared
only when the old link closes or stays silent for ten (SPEC 10). A clock of our own."""

import pytest

from _chat_curses.chat.dialing import Failure, Outcome
from _chat_curses.chat.effects import Effect
from _chat_curses.wire.events import Message, Ping, Role

from .helpers import T, connected, deliver, reconnect, sent, texts, typed


def silent_for(core, seconds, partner=None):
    """Let ``seconds`` pass from T with nothing from the partner, ticking when the core
    asks (and never later than each tenth of a second), as the event loop does; the
    effects it asked for."""
    now, actions = T, []
    while now < T + seconds:
        now = min(core.deadline() or now + 0.1, now + 0.1, T + seconds)
        core.tick(now)
        actions += core.actions
        core.actions.clear()
        if partner is not None:
            sent(core, partner)
    return actions


def suspected(role=Role.CLIENT, window=300.0):
    """A chat on 1 s heartbeats whose link has been silent for 2.5."""
    core, partner = connected(role=role, heartbeat=1.0, window=window)
    core.actions.clear()
    actions = silent_for(core, 2.5, partner)
    return core, partner, actions


def losses(core):
    return [text for text in texts(core) if text.startswith("Connection lost")]


def test_a_link_silent_for_two_heartbeats_and_a_half_makes_the_client_try_a_new_path_at_once():
    core, partner, actions = suspected()
    assert actions.count(Effect.DIAL) == 1 and Effect.LINK_DOWN not in actions
    assert core.protocol is not None and core.outage is None and losses(core) == []
    core.reach.dialing(T + 3.0)
    status = core.frame(T + 3.0).status
    assert "connected, unverified, no answer for 3 s, trying now" in status
    core.reach.dial_failed("network is unreachable", T + 3.1)  # the network is down
    assert "no answer for 3 s, new path in 1 s (Ctrl-R: now)" in core.frame(T + 3.1).status
    assert core.reach.tries.deadline() == pytest.approx(T + 4.0)  # a second after it began
    assert "proves nothing" not in " ".join(texts(core))


def test_the_new_paths_come_about_every_second_and_the_silence_counts_on_screen():
    core, partner, _ = suspected()
    now, dials, seen = T + 3.0, [], set()
    core.reach.dialing(now)
    core.reach.dial_failed("network is unreachable", now)
    while now < T + 9.5:
        now = min(core.deadline(), T + 9.5)
        core.tick(now)
        sent(core, partner)
        if Effect.DIAL in core.actions:
            dials.append(now)
            core.reach.dialing(now)
            core.reach.dial_failed("network is unreachable", now)
        core.actions.clear()
        seen.add(core.frame(now).status.split("no answer for ")[1].split(",")[0])
    assert dials == pytest.approx([T + 4, T + 5, T + 6, T + 7, T + 8, T + 9])
    assert {"4 s", "5 s", "6 s", "7 s", "8 s", "9 s"} <= seen
    assert losses(core) == []


def test_the_old_link_answering_first_keeps_the_chat_and_stops_the_new_path():
    core, partner, _ = suspected()
    core.reach.dialing(T + 3.0)  # the new path is still dialing
    deliver(core, partner, Ping(), T + 3.5)  # the old link was only slow
    assert core.actions == [Effect.CANCEL_DIAL]
    assert not core.reach.tries.busy and not core.liveness.suspected
    assert core.frame(T + 3.5).status.count("connected") == 1
    assert "no answer" not in core.frame(T + 3.5).status
    assert losses(core) == [] and "Reconnected" not in " ".join(texts(core))


def test_a_new_path_beside_the_link_keeps_its_handshake_past_the_connects_second():
    """The connect's one second was left standing once connected: a slow handshake was
    given up after it, though the server had it, and both links went."""
    core, partner, _ = suspected()
    core.reach.dialing(T + 2.5)
    core.reach.tries.looked_up(T + 2.5)
    core.reach.handshaking(T + 3.0)
    core.actions.clear()
    core.tick(T + 4.0)  # the connect's second is long past; the handshake goes on
    assert Effect.CANCEL_DIAL not in core.actions and core.reach.tries.under_way


def test_a_new_path_in_its_handshake_when_the_old_link_answers_is_let_finish():
    """The server may have taken it up, and closed the old link: dropping it then broke
    both (twice in ten minutes at 200 ms and 20% loss)."""
    core, partner, _ = suspected()
    core.reach.dialing(T + 3.0)
    core.reach.handshaking(T + 3.0)
    deliver(core, partner, Ping(), T + 3.5)
    assert Effect.CANCEL_DIAL not in core.actions and core.reach.tries.under_way
    core.reach.handshake_failed(Failure("connection reset by peer"), T + 4)  # it did not
    assert not core.reach.tries.busy and losses(core) == []  # and no more are tried
    ours, _ = reconnect(core, partner)  # or it did, and carries the chat
    core.reach.found(ours, "127.0.0.1:8000", T + 4.1)
    assert texts(core)[-1] == "Reconnected to server (127.0.0.1:8000) by a new path."


def test_the_new_path_proving_itself_first_carries_the_chat_without_a_loss():
    core, partner, _ = suspected()
    typed(core, "written into the silent link", T + 3.0)
    core.outgoing.clear()  # lost on the way
    core.reach.dialing(T + 3.0)
    ours, theirs = reconnect(core, partner)
    core.reach.found(ours, "127.0.0.1:8000", T + 3.2)
    assert texts(core)[-1] == "Reconnected to server (127.0.0.1:8000) by a new path."
    assert losses(core) == [] and core.protocol is ours and not core.reach.tries.busy
    assert "no answer" not in core.frame(T + 3.2).status
    theirs.receive_data(b"".join(core.outgoing))  # what the partner lacks goes again
    assert theirs.next_event().text == "written into the silent link"


def test_the_old_link_closing_while_the_new_path_shakes_hands_is_no_loss_if_it_proves():
    """The server, following the new path, closes the old link as it proves: the close
    may come first. It is said only if the new path then fails."""
    core, partner, _ = suspected()
    core.reach.dialing(T + 3.0)
    core.reach.handshaking(T + 3.0)
    core.reach.link.broke("the connection was closed without a goodbye", T + 3.1)
    assert losses(core) == [] and Effect.LINK_DOWN in core.actions
    ours, _ = reconnect(core, partner)
    core.reach.found(ours, "127.0.0.1:8000", T + 3.2)
    assert losses(core) == []
    assert texts(core)[-1] == "Reconnected to server (127.0.0.1:8000) by a new path."


def test_the_old_link_closing_is_said_once_the_new_path_fails():
    core, partner, _ = suspected()
    core.reach.dialing(T + 3.0)
    core.reach.handshaking(T + 3.0)
    core.reach.link.broke("the connection was closed without a goodbye", T + 3.1)
    core.reach.handshake_failed(Failure("connection reset by peer"), T + 3.2)
    assert losses(core) == ["Connection lost: the link to server broke (the connection was "
                            "closed without a goodbye)"]
    assert core.reach.tries.deadline() == pytest.approx(T + 4.0) and core.exit_code is None


def test_ten_silent_heartbeats_are_a_loss_said_at_once_though_a_new_path_is_on_its_way():
    """Beside a link that still looks up, the new path's handshake has the whole timeout
    (on a lossy network the server may have taken it up already: giving it up then broke
    both links, once in ten minutes at 20% loss); once the link is lost, two seconds."""
    core, partner = connected(heartbeat=1.0)
    now, dials = T, 0
    for now in (T + 3.0, T + 6.0, T + 9.0):
        core.tick(now)
        if Effect.DIAL in core.actions:
            dials += 1
            core.reach.dialing(now)
            core.reach.handshaking(now)  # connected, and the handshake is slow to answer
        assert Effect.CANCEL_DIAL not in core.actions
        core.actions.clear()
    assert dials == 1
    core.tick(T + 10.0)
    assert losses(core) == ["Connection lost: the link to server broke (nothing came from it "
                            "for 10 s)"]
    assert core.actions == [Effect.LINK_DOWN] and core.reach.tries.under_way
    core.actions.clear()
    core.tick(core.deadline())  # connected at T + 3: two seconds are long gone
    assert core.actions == [Effect.CANCEL_DIAL, Effect.DIAL]


def test_the_server_suspects_but_does_not_dial_and_follows_the_newest_proven_link():
    core, partner, actions = suspected(role=Role.SERVER)
    assert Effect.DIAL not in actions and "no answer for 3 s" in core.frame(T + 3).status
    assert "new path" not in core.frame(T + 3).status  # (the client's to try)
    ours, _ = reconnect(core, partner)
    core.reach.found(ours, "127.0.0.1:40000", T + 4)
    assert texts(core)[-1] == "Reconnected to user (127.0.0.1:40000) by a new path."
    assert losses(core) == [] and core.protocol is ours


def test_without_a_window_no_new_path_is_tried():
    core, partner, actions = suspected(window=0)
    assert Effect.DIAL not in actions and losses(core) == []


def test_a_path_switched_again_and_again_is_one_line():
    core, partner = connected(heartbeat=1.0)
    for switch in range(3):
        now = T + 10 * switch
        partner_now, _ = reconnect(core, partner)
        core.reach.found(partner_now, "127.0.0.1:8000", now)
    assert texts(core)[-1] == ("Reconnected to server (127.0.0.1:8000) by a new path "
                               "(the link dropped 2 more times).")


def test_a_failed_try_beside_a_link_that_answered_meanwhile_brings_no_more_tries():
    core, partner, _ = suspected()
    core.reach.dialing(T + 3.0)
    core.liveness.received(T + 3.1)  # (as if the cancel had not reached the dialer yet)
    core.reach.handshake_failed(Failure("busy", Outcome.REFUSED), T + 3.2)
    assert core.reach.tries.redial_at is None and losses(core) == []


# --- a path that drops big packets -----------------------------------------------------


def test_new_paths_that_go_silent_as_soon_as_they_carry_the_chat_ask_for_small_segments():
    """An MTU black hole from the server: the handshake's small packets pass, and the long
    message resent first never does, nor the pings queued behind it."""
    core, partner = connected(heartbeat=1.0)
    now = T
    for path in range(2):
        core.actions.clear()
        now += 3.2
        core.tick(now)  # silent: a new path
        assert Effect.DIAL in core.actions and not core.reach.tries.small_segments
        core.reach.dialing(now)
        partner_now, _ = reconnect(core, partner)
        core.reach.found(partner_now, "127.0.0.1:8000", now + 0.1)  # proved; then nothing
    core.actions.clear()
    core.tick(now + 3.2)  # the second path in a row silent from the start
    assert core.reach.tries.small_segments
    assert texts(core)[-1] == ("Trying smaller packets to 127.0.0.1:8000: the network seems to "
                               "drop big ones.")
    assert core.actions.count(Effect.DIAL) == 1


def test_a_path_that_carried_a_frame_is_no_sign_of_a_black_hole():
    core, partner = connected(heartbeat=1.0)
    now = T
    for path in range(3):
        now += 3.2
        core.tick(now)
        core.reach.dialing(now)
        ours, partner = reconnect(core, partner)
        core.reach.found(ours, "127.0.0.1:8000", now + 0.1)
        deliver(core, partner, Ping(), now + 0.2)  # it carries the chat, then goes silent
    assert not core.reach.tries.small_segments


def said_stuck(role):
    core, partner = connected(role=role, heartbeat=1.0)
    if role is Role.SERVER:
        deliver(core, partner, Message("your turn", 0), T)
    typed(core, "x" * 20000, T)
    core.outgoing.clear()  # it never gets through
    core.actions.clear()
    for second in range(1, 11):
        core.tick(T + second)
        deliver(core, partner, Ping(), T + second)  # its pings acknowledge nothing new
    return core


def test_a_message_the_partner_keeps_not_acknowledging_is_said_to_be_stuck():
    core = said_stuck(Role.SERVER)
    stuck = [text for text in texts(core) if "has not got through" in text]
    assert stuck == ["Your message has not got through to user in 10 s, though user's program "
                     "answers: the network may drop big packets. It goes again with each new "
                     "link."]
    assert Effect.DIAL not in core.actions  # (the server cannot dial: its partner will)


def test_a_client_whose_message_is_stuck_tries_a_path_with_small_segments_at_once():
    core = said_stuck(Role.CLIENT)
    assert any("has not got through to server in 10 s" in text for text in texts(core))
    assert core.reach.tries.small_segments and Effect.DIAL in core.actions
    assert core.protocol is not None  # beside the old link, which still carries the rest


# --- a link stalled one way ---------------------------------------------------------------


def test_a_side_that_hears_nothing_says_so_on_its_pings():
    core, partner, _ = suspected(role=Role.SERVER)
    core.tick(T + 3.0)
    pings = [event for event in sent(core, partner) if isinstance(event, Ping)]
    assert pings and pings[-1].deaf
    fresh, partner = connected(role=Role.SERVER, heartbeat=1.0)
    fresh.tick(T + 1.0)
    assert [event.deaf for event in sent(fresh, partner)] == [False]


def test_a_client_told_its_partner_hears_nothing_tries_a_new_path_though_it_hears_it():
    """One way stalled (TCP backing off on a lossy path): the server was lost for 10 s
    of silence while the client, hearing it, never suspected a thing."""
    core, partner = connected(heartbeat=1.0)
    core.actions.clear()
    deliver(core, partner, Ping(deaf=True), T + 2.6)
    assert core.actions == [Effect.DIAL] and core.protocol is not None
    assert losses(core) == []
    server, theirs = connected(role=Role.SERVER, heartbeat=1.0)
    server.actions.clear()
    deliver(server, theirs, Ping(deaf=True), T + 2.6)
    assert server.actions == []  # (the server cannot dial)


def test_a_deaf_ping_on_a_suspected_link_keeps_the_new_path_it_is_dialing():
    """Both ways bad: the partner's 'I hear nothing' is no answer (it used to cancel the
    connect under way, and start it again, each second)."""
    core, partner, _ = suspected()
    core.reach.dialing(T + 2.5)
    core.reach.tries.looked_up(T + 2.6)
    core.actions.clear()
    deliver(core, partner, Ping(deaf=True), T + 2.9)
    assert core.actions == [] and core.reach.tries.under_way


def test_a_loss_held_for_a_new_path_is_said_within_two_seconds_if_the_path_fails():
    core, partner, _ = suspected()
    core.reach.dialing(T + 2.5)
    core.reach.handshaking(T + 2.7)
    core.reach.link.broke("the connection was closed without a goodbye", T + 3.0)
    assert losses(core) == [] and core.reach.tries.deadline() == pytest.approx(T + 5.0)
    core.actions.clear()
    core.tick(T + 5.0)
    assert core.actions[:1] == [Effect.CANCEL_DIAL] and len(losses(core)) == 1


def test_tries_set_off_by_deaf_pings_say_an_unproven_answer_once():
    core, partner = connected(heartbeat=1.0)
    for second in range(6):
        now = T + second
        core.actions.clear()
        deliver(core, partner, Ping(deaf=True), now)
        if Effect.DIAL in core.actions:
            core.reach.dialing(now)
            core.reach.handshaking(now)
            core.reach.handshake_failed(Failure("busy", Outcome.REFUSED), now + 0.1)
    assert sum("proves nothing" in text for text in texts(core)) == 1
