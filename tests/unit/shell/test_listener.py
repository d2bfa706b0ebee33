"""Tests of shell/listener.py: its words on who can reach the server (SPEC 4), and the
listener watched or rested."""

from _chat_curses.shell import listener
from _chat_curses.shell.loop import EventLoop


def test_only_loopback_says_only_this_machine_and_how_to_open_up():
    assert listener.reach_hint(["127.0.0.1", "::1"]).startswith("Only this machine can connect")


def test_every_address_lists_the_interfaces_loopback_last_link_local_aside(monkeypatch):
    monkeypatch.setattr(listener, "interface_addresses",
                        lambda: ["127.0.0.1", "10.1.2.3", "::1", "fe80::1", "2001:db8::5",
                                 "10.1.2.3"])
    assert listener.reach_hint(["0.0.0.0"]) == (
        "A partner on another machine can connect to 10.1.2.3; on this one, to 127.0.0.1.")
    assert listener.reach_hint(["0.0.0.0", "::"]) == (
        "A partner on another machine can connect to 10.1.2.3, 2001:db8::5; on this one, "
        "to 127.0.0.1, ::1.")


def test_without_interfaces_the_names_addresses_serve_and_else_a_hint(monkeypatch):
    monkeypatch.setattr(listener, "interface_addresses", lambda: [])
    monkeypatch.setattr(listener, "resolved_addresses", lambda: [])
    assert listener.reach_hint(["0.0.0.0"]) == (
        "A partner on another machine can connect to this machine's addresses (see: ip addr).")
    monkeypatch.setattr(listener, "resolved_addresses", lambda: ["192.0.2.9"])
    assert "connect to 192.0.2.9." in listener.reach_hint(["0.0.0.0"])


def test_this_machines_interfaces_are_found_with_loopback_among_them():
    found = listener.interface_addresses()
    if found:  # (Linux)
        assert "127.0.0.1" in found


def test_a_rest_from_accepting_that_ends_before_the_sleep_still_wakes_the_loop():
    """The listener rests (accept() failed): not watched, and its rest's end is a
    deadline, even when asked for after the rest has ended (the draw took that long)."""
    loop = EventLoop()
    door = listener.Door(loop, "server", 5.0, on_partner=lambda link: None,
                         on_ignored=lambda who, why: None, on_note=lambda text: None)
    door.open("127.0.0.1", 0)
    try:
        (sock,) = door.listeners
        door.admission.accept_paused_until = 100.0
        door.before_sleep(99.0)
        assert sock not in loop.watching and door.deadlines() == [100.0]
        door.before_sleep(100.5)
        assert sock in loop.watching and door.deadlines() == []
    finally:
        door.close()
