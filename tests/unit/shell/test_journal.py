"""Tests of shell/journal.py: session files written, found, read back, private, never another's."""

import os
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _chat_curses.chat.saved import SessionError, parse
from _chat_curses.limits import MAX_SESSION_BYTES
from _chat_curses.shell import journal as journal_module
from _chat_curses.shell.journal import (
    InUse,
    Journal,
    Unsafe,
    addresses,
    claim,
    session_path,
    session_paths,
    state_folder,
)
from _chat_curses.wire.codec import decode
from _chat_curses.wire.delivery import Delivery
from _chat_curses.wire.events import Message, Role
from _chat_curses.wire.record import ChatRecord

from ..shared import conversation_digest
from .helpers import PLACE, SECRET, a_frame, chat_with, killed_and_taken_up, load, new_saved

pytestmark = pytest.mark.usefixtures("state_home")
as_root = pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0,
                             reason="giving a file to another user takes root")


def written(**changes) -> Journal:
    journal = Journal.create(new_saved(**changes), PLACE)
    journal.close(delete=False)
    return journal


def test_a_journal_is_read_back_as_written():
    journal = Journal.create(new_saved(), PLACE)
    delivery = Delivery()
    for number in (1, 2, 3):
        delivery.keep(number, a_frame(number))
    delivery.received = 2
    delivery.acknowledge(1)
    chat = chat_with(delivery, Role.SERVER)
    for number in (1, 2, 3):  # (as posting them did)
        chat.chain(Role.CLIENT, decode(a_frame(number)))
    journal.line("<t> [user]: hello", "own")
    journal.sync(chat, 1005.0)
    journal.close(delete=False)
    saved = load(session_path(Role.CLIENT, PLACE, 8000))
    assert saved.chat.secret == SECRET and saved.chat.peer == "server"
    assert saved.chat.turn is Role.SERVER
    assert saved.lines == [("Connection established.", "system"), ("<t> [user]: hello", "own")]
    kept = saved.chat.delivery
    assert (kept.sent, kept.received, kept.acked) == (3, 2, 1)
    assert kept.to_resend() == delivery.to_resend()
    assert saved.chat.digest == chat.digest
    assert saved.contact == 1005.0


def test_the_folder_and_the_file_are_private(state_home):
    written()
    assert state_folder() == state_home / "chat-curses"
    assert oct(state_folder().stat().st_mode & 0o777) == "0o700"
    path = session_path(Role.CLIENT, PLACE, 8000)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert [name for name in os.listdir(state_folder())] == [path.name]  # no temporary left


def test_a_folder_others_can_only_read_is_made_private_and_one_they_can_write_is_refused():
    state_folder().mkdir(mode=0o755)
    os.chmod(state_folder(), 0o755)
    path = written().path
    assert oct(state_folder().stat().st_mode & 0o777) == "0o700"
    os.chmod(state_folder(), 0o777)
    with pytest.raises(Unsafe, match="others can write the folder"):
        claim(path)
    with pytest.raises(Unsafe, match="others can write the folder"):
        Journal.create(new_saved(), PLACE)


def test_a_file_others_can_write_is_refused_and_one_they_can_read_is_made_private():
    path = written().path
    os.chmod(path, 0o644)
    fd, _ = claim(path)
    os.close(fd)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    os.chmod(path, 0o666)
    with pytest.raises(Unsafe, match="others can write it"):
        claim(path)
    assert oct(path.stat().st_mode & 0o777) == "0o666"  # not ours to fix: left as it is


@as_root
def test_a_file_or_folder_another_user_owns_is_refused():
    path = written().path
    os.chown(path, 12345, 12345)
    with pytest.raises(Unsafe, match="it belongs to another user"):
        claim(path)
    os.chown(path, 0, 0)
    os.chown(state_folder(), 12345, 12345)
    with pytest.raises(Unsafe, match="folder .* belongs to another user"):
        claim(path)


def test_a_symlink_is_never_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious\n")
    state_folder().mkdir(mode=0o700)
    planted = session_path(Role.CLIENT, PLACE, 8000)
    planted.symlink_to(victim)
    with pytest.raises(OSError):
        claim(planted)
    journal = Journal.create(new_saved(), PLACE)  # the name is taken: the chat gets the next
    journal.line("a line", "system")
    journal.close(delete=False)
    assert victim.read_bytes() == b"precious\n"
    assert journal.path.name == "client-127.0.0.1-8000.2.session"


def test_a_planted_temporary_file_is_never_written_through(tmp_path, monkeypatch):
    """The temporary file's name is fresh and made with O_EXCL: a link planted there is an
    error, not a file truncated and overwritten."""
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious\n")
    state_folder().mkdir(mode=0o700)
    monkeypatch.setattr(journal_module.secrets, "token_hex", lambda size: "planted")
    (state_folder() / ".planted.tmp").symlink_to(victim)
    with pytest.raises(FileExistsError):
        Journal.create(new_saved(), PLACE)
    assert victim.read_bytes() == b"precious\n"
    assert session_paths(Role.CLIENT, [PLACE], 8000) == []


def test_a_folder_that_is_a_symlink_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    state_folder().symlink_to(elsewhere)
    with pytest.raises(Unsafe, match="is not a folder"):
        Journal.create(new_saved(), PLACE)


def test_a_file_past_the_size_limit_is_refused_unread(monkeypatch):
    path = written().path
    with open(path, "r+b") as file:
        file.truncate(MAX_SESSION_BYTES + 1)  # sparse: costs the disk nothing
    monkeypatch.setattr(journal_module.os, "read", lambda *args: pytest.fail("read it"))
    with pytest.raises(SessionError, match="larger than any chat"):
        claim(path)


def test_a_record_cut_short_by_a_crash_is_ignored():
    journal = Journal.create(new_saved(), PLACE)
    journal.line("kept", "system")
    journal.close(delete=False)
    with open(journal.path, "ab") as file:
        file.write(b'{"line":"cut sh')  # kill -9 in the middle of a write
    assert load(journal.path).lines[-1] == ("kept", "system")


def test_appending_costs_the_same_in_a_long_chat(monkeypatch):
    journal = Journal.create(new_saved(), PLACE)
    delivery = Delivery()
    written_sizes = []
    real_write = os.write
    monkeypatch.setattr("_chat_curses.shell.journal.os.write",
                        lambda fd, data: written_sizes.append(len(data)) or real_write(fd, data))
    for number in range(1, 2001):
        delivery.keep(number, b'{"type":"message"}')
        delivery.acknowledge(number - 1)
        journal.sync(chat_with(delivery, Role.SERVER if number % 2 else Role.CLIENT), 1000.0)
    # what is new, never the whole history (the numbers grow a digit or two)
    assert max(written_sizes[-100:]) <= max(written_sizes[:100]) + 16


def test_a_file_in_use_by_another_program_is_not_taken():
    journal = Journal.create(new_saved(), PLACE)
    with pytest.raises(InUse):
        claim(journal.path)
    journal.close(delete=False)
    fd, _ = claim(journal.path)
    Journal(journal.path, fd, Role.CLIENT).close(delete=True)
    assert not journal.path.exists()


def test_two_chats_to_one_place_never_share_a_file_and_each_end_removes_only_its_own():
    first = Journal.create(new_saved(), PLACE)
    second = Journal.create(new_saved(chat=chat_with(Delivery())), PLACE)
    assert first.path != second.path
    assert session_paths(Role.CLIENT, [PLACE], 8000) == [first.path, second.path]
    first.close(delete=True)
    assert session_paths(Role.CLIENT, [PLACE], 8000) == [second.path]
    second.close(delete=False)
    assert load(second.path).chat.secret == SECRET


def test_an_end_never_removes_a_file_that_took_its_name_since():
    journal = Journal.create(new_saved(), PLACE)
    os.rename(journal.path, journal.path.with_name("moved"))
    other = Journal.create(new_saved(), PLACE)  # takes the free name
    other.close(delete=False)
    journal.close(delete=True)
    assert other.path.exists()


def test_a_saved_chat_is_found_by_where_it_goes():
    assert addresses("127.0.0.1", 8000) == ["127.0.0.1"]
    assert addresses("0:0::1", 8000) == ["::1"] == addresses("[::1]", 8000)
    assert "127.0.0.1" in addresses("localhost", 8000)
    path = written().path
    assert session_paths(Role.CLIENT, addresses("localhost", 8000), 8000) == [path]
    assert session_paths(Role.SERVER, addresses("localhost", 8000), 8000) == []
    assert session_paths(Role.CLIENT, addresses("localhost", 8001), 8001) == []


def test_a_name_that_cannot_be_resolved_is_looked_up_as_typed():
    assert addresses("no-such-host.invalid", 8000) == ["no-such-host.invalid"]


def test_hosts_become_safe_file_names():
    path = session_path(Role.SERVER, "fe80::1%eth0", 8000)
    assert path.name == "server-fe80__1_eth0-8000.session"


def test_what_proves_a_chat_over_is_written_whole_private_and_never_through_a_link(tmp_path):
    from _chat_curses.shell.journal import OVER, place_of, read_over, write_over

    session = written().path
    place = place_of(session)
    assert place == "client-127.0.0.1-8000" == place_of(session.with_name(
        "client-127.0.0.1-8000.2.session"))
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious\n")
    planted = state_folder() / f"{place}.over"
    planted.symlink_to(victim)
    path = write_over(place, {"chat_curses_over": 1})  # the link is passed by, never followed
    assert victim.read_bytes() == b"precious\n" and path.name == f"{place}.2.over"
    assert read_over(path) == b'{"chat_curses_over":1}\n'
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(OSError):
        read_over(planted)
    planted.unlink()
    second = write_over(place, {"chat_curses_over": 1})  # a second proof keeps the first
    assert session_paths(Role.CLIENT, [PLACE], 8000, OVER) == [second, path]
    os.chmod(path, 0o666)
    with pytest.raises(Unsafe, match="others can write it"):
        read_over(path)
    assert [name for name in os.listdir(state_folder()) if name.endswith(".tmp")] == []


def test_a_fifo_planted_as_a_proof_is_refused_without_waiting():
    from _chat_curses.shell.journal import read_over

    state_folder().mkdir(mode=0o700)
    fifo = state_folder() / "client-127.0.0.1-8000.over"
    os.mkfifo(fifo, 0o600)
    with pytest.raises(Unsafe, match="not a file"):
        read_over(fifo)  # (a blocking open would hang here)


def test_a_state_home_others_can_write_is_refused(state_home):
    os.chmod(state_home, 0o777)
    with pytest.raises(Unsafe, match="others can write the folder"):
        Journal.create(new_saved(), PLACE)
    os.chmod(state_home, 0o1777)  # sticky, as /tmp: they cannot move ours
    Journal.create(new_saved(), PLACE).close(delete=True)


def test_new_names_are_kept_once_each(monkeypatch):
    journal = Journal.create(new_saved(), PLACE)
    chat = chat_with(Delivery())
    chat.peer = "marlowe"  # the partner came back under another name
    journal.sync(chat, 1000.0, "zed")  # and so did we
    writes = []
    real_write = os.write
    monkeypatch.setattr("_chat_curses.shell.journal.os.write",
                        lambda fd, data: writes.append(data) or real_write(fd, data))
    journal.sync(chat, 1000.0, "zed")
    assert writes == []  # nothing new
    journal.close(delete=False)
    saved = load(journal.path)
    assert saved.chat.peer == "marlowe" and saved.name == "zed"


def test_the_conversation_digest_is_kept_as_it_changes():
    from _chat_curses.wire.events import Message

    journal = Journal.create(new_saved(), PLACE)
    chat = chat_with(Delivery(), Role.CLIENT)
    chat.post(Message("hello", 1_700_000_000), Role.CLIENT)
    journal.sync(chat, 1000.0)
    journal.close(delete=False)
    assert load(journal.path).chat.digest == chat.digest != b""


def test_a_quiet_chat_costs_the_file_a_line_a_minute_at_most(monkeypatch):
    from _chat_curses.shell.journal import CONTACT_EVERY

    journal = Journal.create(new_saved(), PLACE)
    chat = chat_with(Delivery())
    journal.sync(chat, 1000.0)
    writes = []
    real_write = os.write
    monkeypatch.setattr("_chat_curses.shell.journal.os.write",
                        lambda fd, data: writes.append(data) or real_write(fd, data))
    for second in range(1, 120):  # a heartbeat every second, nothing said
        journal.sync(chat, 1000.0 + second)
    assert len(writes) == 1 and CONTACT_EVERY == 60.0  # at 1060, not at each heartbeat
    journal.sync(chat, 1125.0, keep_contact=True)  # the link went down: the contact, at once
    assert len(writes) == 2 and b'"contact":1125.0' in writes[-1]
    journal.close(delete=False)
    assert load(journal.path).contact == 1125.0


def test_what_a_turn_changed_is_one_record_after_its_history_lines():
    journal = Journal.create(new_saved(), PLACE)
    path = session_path(Role.CLIENT, PLACE, 8000)
    before = path.read_bytes().count(b"\n")
    delivery = Delivery()
    delivery.keep(1, a_frame(1))
    chat = chat_with(delivery, Role.SERVER)
    chat.digest = bytes(32)
    journal.line("<t> [user]: hello", "own")
    journal.sync(chat, 1005.0)
    records = path.read_bytes().splitlines()[before:]
    assert len(records) == 2 and records[0].startswith(b'{"line":')
    assert b'"sent":1' in records[1] and b'"turn":"server"' in records[1] \
        and b'"digest":' in records[1] and b'"contact":1005.0' in records[1]
    delivery.received = 1
    delivery.acknowledge(1)
    journal.sync(chat, 1005.5)  # the partner's answer: received, acknowledged
    assert path.read_bytes().splitlines()[-1] == b'{"received":1,"acked":1}'
    journal.close(delete=False)
    saved = load(path)
    kept = saved.chat.delivery
    assert (kept.sent, kept.received, kept.acked, saved.chat.digest) == (1, 1, 1, bytes(32))


@pytest.mark.parametrize("change, written", [
    (lambda chat, journal: setattr(chat, "peer", "alicia"), b'"peer":"alicia"'),
    (lambda chat, journal: journal.line("<t> [user]: hi", "own"), b'"line":"<t> [user]: hi"'),
    (lambda chat, journal: chat.delivery.keep(1, b'{"seq":1}'), b'"sent":1'),
    (lambda chat, journal: setattr(chat.delivery, "received", 1), b'"received":1'),
    (lambda chat, journal: setattr(chat.delivery, "acked", 1), b'"acked":1'),
    (lambda chat, journal: setattr(chat, "turn", Role.SERVER), b'"turn":"server"'),
    (lambda chat, journal: setattr(chat, "digest", bytes(32)), b'"digest":"' + b"00" * 32),
])
def test_each_change_alone_is_written_at_the_next_sync(monkeypatch, change, written):
    journal = Journal.create(new_saved(), PLACE)
    chat = chat_with(Delivery(), Role.CLIENT)
    journal.sync(chat, 1000.0)
    writes = []
    real_write = os.write
    monkeypatch.setattr("_chat_curses.shell.journal.os.write",
                        lambda fd, data: writes.append(data) or real_write(fd, data))
    journal.sync(chat, 1000.5)  # nothing changed: nothing written
    change(chat, journal)
    journal.sync(chat, 1000.5)
    assert len(writes) == 1 and written in writes[0]
    journal.sync(chat, 1000.5, name="")  # and only once
    assert len(writes) == 1
    journal.sync(chat, 1000.5, name="someone else")  # our own name, when it changes
    assert len(writes) == 2 and b'"name":"someone else"' in writes[1]
    journal.close(delete=True)


# A chat's turns as the program syncs them: ours (posted, synced before the wire),
# ours acknowledged before the file heard of it (the journal's own case: no frame
# is left to chain), theirs (received, synced after the draw), acknowledgements
# alone (a ping's), a sync with nothing new, and a kill -9 after which the file
# is taken up again.
_TURNS = st.lists(st.sampled_from(["ours", "ours acked", "theirs", "ack", "sync", "kill"]),
                  min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(_TURNS)
def test_a_file_killed_after_any_sync_holds_the_digest_the_chat_had(turns):
    """The digest is left to a later record while only our messages are new:
    whatever sync a kill -9 follows, the file read back has the chat's digest
    (SPEC 12's chain, worked out apart: asking the chat for its own would work
    it out, and the next sync would never lag), and a file taken up goes on so."""
    journal = Journal.create(new_saved(), PLACE)
    chat = chat_with(Delivery(), Role.CLIENT)
    delivered = []  # (by, seq, sent, text): what the digest chains
    try:
        for turn in turns:
            if turn.startswith("ours"):
                chat.turn = Role.CLIENT
                message = Message(f"ours {chat.delivery.sent + 1}", 1_700_000_000)
                chat.post(message, Role.CLIENT)
                delivered.append(("client", chat.delivery.sent, message.sent, message.text))
                if turn == "ours acked":
                    chat.delivery.acknowledge(chat.delivery.sent)
            elif turn == "theirs":
                seq = chat.delivery.received + 1
                message = Message(f"theirs {seq}", 1_700_000_001, seq, chat.delivery.sent)
                chat.delivery.acknowledge(message.ack)
                chat.delivery.accept(message.seq)
                chat.chain(Role.SERVER, message)
                chat.turn = Role.CLIENT
                delivered.append(("server", seq, message.sent, message.text))
            elif turn == "ack":
                chat.delivery.acknowledge(chat.delivery.sent)
            elif turn == "kill":
                journal, saved = killed_and_taken_up(journal)
                chat = saved.chat
            journal.sync(chat, 1000.0)
            saved = parse(journal.path.read_bytes(), Role.CLIENT, 8000, time.time())
            assert saved.chat.digest == conversation_digest(delivered)
            assert saved.chat.delivery.sent == chat.delivery.sent
            assert saved.chat.delivery.unacked == chat.delivery.unacked
    finally:
        journal.close(delete=True)


def test_our_message_goes_to_the_file_before_the_wire_without_working_out_the_digest(monkeypatch):
    journal = Journal.create(new_saved(), PLACE)
    chat = chat_with(Delivery(), Role.CLIENT)
    chat.post(Message("hello", 1_700_000_000), Role.CLIENT)
    worked = []
    real = ChatRecord._mac
    monkeypatch.setattr(ChatRecord, "_mac", lambda record, data: worked.append(1) or real(record, data))
    journal.sync(chat, 1000.0)
    assert worked == []  # (the HMAC is worked out with the answer, off the message's way)
    assert parse(journal.path.read_bytes(), Role.CLIENT, 8000, time.time()).chat.digest == \
        chat.digest
    answer = Message("hi", 1_700_000_001, 1, 1)
    chat.delivery.accept(answer.seq)
    chat.chain(Role.SERVER, answer)
    journal.sync(chat, 1000.0)  # the partner's answer brings it
    assert worked and b'"digest"' in journal.path.read_bytes()
    journal.close(delete=True)
