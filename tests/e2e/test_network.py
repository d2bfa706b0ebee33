"""End-to-end in a real network (SPEC 10): two network namespaces joined by a veth pair,
addresses only on that pair, no default route; the link taken down for real.

Root only (``ip netns add``); skipped with the reason elsewhere. Every namespace made
here is deleted, whatever happens.
"""

import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from . import netrelay
from .netrelay import CLIENT_AT, CLIENT_MOVED, SERVER_AT
from .terminal import CLIENT_PROMPT, PROGRAM, message_line

FAST = {"CHAT_CURSES_HEARTBEAT": "0.5"}
SERVER_ADDRESS, CLIENT_ADDRESS = "10.77.0.1", "10.77.0.2"


def ip(*args):
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@pytest.fixture
def network():
    """Two namespaces, ``server`` and ``client``, and the veth pair between them."""
    if os.name != "posix" or os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and ip(8) to make network namespaces")
    tag = uuid.uuid4().hex[:6]
    names = {"server": f"cc-s-{tag}", "client": f"cc-c-{tag}"}
    links = {"server": f"vs-{tag}", "client": f"vc-{tag}"}
    made = []
    try:
        for side in ("server", "client"):
            ip("netns", "add", names[side])
            made.append(names[side])
        ip("link", "add", links["server"], "type", "veth", "peer", "name", links["client"])
        for side, address in (("server", SERVER_ADDRESS), ("client", CLIENT_ADDRESS)):
            ip("link", "set", links[side], "netns", names[side])
            ip("-n", names[side], "addr", "add", f"{address}/24", "dev", links[side])
            ip("-n", names[side], "link", "set", links[side], "up")
            ip("-n", names[side], "link", "set", "lo", "up")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        for name in made:
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)
        pytest.skip(f"cannot make network namespaces here ({error})")
    try:
        yield names, links
    finally:
        for name in made:
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


def inside(namespace, *args):
    return ["ip", "netns", "exec", namespace, sys.executable, str(PROGRAM), *args]


def test_the_chat_is_back_soon_after_a_dead_link_comes_back(spawn, network):
    """The client tries about every second while the link is down (with the old
    policy, doubling to 10 s, the chat came back up to 7 s after the link)."""
    names, links = network
    server = spawn(command=inside(names["server"], "--server", "--host", SERVER_ADDRESS,
                                  "--port", "8000", "--name", "server"), env=FAST, cols=120)
    server.wait_for("Trying to connect to another user...")
    client = spawn(command=inside(names["client"], "--client", "--host", SERVER_ADDRESS,
                                  "--port", "8000", "--name", "user", "--code", ""),
                   env=FAST, cols=120)
    client.wait_for(CLIENT_PROMPT)
    client.type_line("before")
    server.wait_for(message_line("user", "before"))
    for outage in (1, 2):
        ip("-n", names["server"], "link", "set", links["server"], "down")  # the cable pulled
        try:
            client.wait_until(lambda screen: screen.count("Connection lost") == outage,
                              "the loss", timeout=10)
            time.sleep(3.3)  # tries go into the dead link, and fail
            assert client.text().count("Reconnected") == outage - 1
        finally:
            ip("-n", names["server"], "link", "set", links["server"], "up")
        back = time.monotonic()
        client.wait_until(lambda screen: screen.count("Reconnected to server") == outage,
                          "the chat back", timeout=15)
        took = time.monotonic() - back
        # 0.1 to 1.3 s on an idle machine (a try about every second, and the
        # handshake); the speed itself is bench/resume.py's to show. The bound
        # leaves room for a loaded machine (2.02 s once, beside another suite)
        # and still fails the old policy, which took up to 7 s.
        assert took < 2.5, f"the chat was back {took:.1f} s after the link"
        time.sleep(1.5)  # heartbeats: the partner is heard from again on the new link
    client.type_line("after")  # (it was the server's turn: typed now, sent on its turn)
    server.wait_for("Reconnected to user")


# --- through a router of our own: faults a veth pair cannot make -------------------------

@pytest.fixture
def routed():
    """Two namespaces joined only by TUN devices and a router of our own between them
    (``netrelay.py``): ``(names, devices, router)``. Root only; everything made goes."""
    try:
        with netrelay.routed() as made:
            yield made
    except netrelay.Unavailable as why:
        pytest.skip(str(why))


def routed_chat(spawn, names, *extra, env=None):
    server = spawn(command=inside(names["server"], "--server", "--host", SERVER_AT, "--port",
                                  "8000", "--name", "server", *extra), env=env, cols=120)
    server.wait_for("Trying to connect to another user...")
    client = spawn(command=inside(names["client"], "--client", "--host", SERVER_AT, "--port",
                                  "8000", "--name", "user", "--code", "", *extra),
                   env=env, cols=120)
    client.wait_for(CLIENT_PROMPT)
    client.type_line("before")
    server.wait_for(message_line("user", "before"))
    return server, client


def no_loss(*programs):
    for program in programs:
        assert "Connection lost" not in program.text(), program.describe()


def test_a_five_second_outage_is_bridged_by_a_new_path_within_a_second_and_no_loss(spawn, routed):
    """SPEC 10, on the product's own heartbeat (1 s): silent for 3 s, the client tries a
    new path beside the old link about every second; the first after the network is
    back carries the chat. (Before: nothing noticed; TCP resent 1.6 s after the link.)"""
    names, _, router = routed
    server, client = routed_chat(spawn, names)
    router.do("down")
    try:
        server.type_line("into the dead link")
        client.wait_until(lambda _: "no answer for 3 s" in client.lines()[-2],
                          "the client's status bar: no answer", timeout=6)
        assert "new path" in client.lines()[-2] or "trying now" in client.lines()[-2]
        server.wait_until(lambda _: "1 to deliver" in server.lines()[-2], "the count", timeout=3)
        time.sleep(max(0.0, 5.0 - 3.0))
    finally:
        router.do("up")
    back = time.monotonic()
    client.wait_for(message_line("server", "into the dead link"), timeout=10)
    took = time.monotonic() - back
    client.wait_for("Reconnected to server", timeout=5)
    server.wait_for("Reconnected to user", timeout=5)
    no_loss(client, server)
    assert took < 2.0, f"the chat was back {took:.2f} s after the network"
    client.type_line("and on")
    server.wait_for(message_line("user", "and on"))
    assert client.text().count("into the dead link") == 1


def test_a_client_whose_address_changes_is_back_within_three_seconds(spawn, routed):
    names, devices, router = routed
    server, client = routed_chat(spawn, names)
    moved = time.monotonic()
    ip("-n", names["client"], "addr", "add", f"{CLIENT_MOVED}/32", "dev", devices["client"])
    ip("-n", names["client"], "addr", "del", f"{CLIENT_AT}/32", "dev", devices["client"])
    server.wait_for(f"Reconnected to user ({CLIENT_MOVED}:", timeout=10)
    took = time.monotonic() - moved
    server.type_line("you moved")
    client.wait_for(message_line("server", "you moved"))
    no_loss(client, server)
    assert took < 4.5, f"the chat was back {took:.2f} s after the address changed"


def test_a_flow_the_network_forgets_is_replaced_within_three_seconds(spawn, routed):
    """As a NAT that rebooted: the established flow's packets go nowhere, new ones pass."""
    names, _, router = routed
    server, client = routed_chat(spawn, names)
    router.do("forget")
    forgot = time.monotonic()
    server.type_line("across the forgotten flow")
    client.wait_for(message_line("server", "across the forgotten flow"), timeout=10)
    took = time.monotonic() - forgot
    client.wait_for("Reconnected to server", timeout=5)
    no_loss(client, server)
    assert took < 4.5, f"the chat was back {took:.2f} s after the flow was forgotten"


def test_a_message_a_black_hole_swallows_gets_through_in_small_segments(spawn, routed):
    """A path that drops every packet over 576 bytes, and sends no word of it: small
    frames (pings, handshakes) pass, a long message never does, until the client asks
    for small segments. (Before: it never arrived, and nothing said so.)"""
    names, _, router = routed
    server, client = routed_chat(spawn, names, env=FAST)
    router.do("mtu 576")
    server.send(b"\x1b[200~" + b"y" * 20000 + b"\x1b[201~\r")
    client.wait_for("Trying smaller packets to 10.78.1.1:8000", timeout=20)
    # (its 20,000 letters fill the screen; the turn passing with it says it came)
    client.wait_until(lambda _: client.lines()[-2].startswith(" your turn"), "the message",
                      timeout=20)
    assert client.text().count("y" * 100) > 10
    client.type_line("got it")
    server.wait_for(message_line("user", "got it"))
    assert "Connection lost" not in client.text()


def test_a_server_on_every_address_lists_what_a_partner_can_dial(spawn, network):
    """The namespace's own addresses, from its interfaces: the veth pair's, loopback last."""
    names, _ = network
    server = spawn(command=inside(names["server"], "--server", "--host", "0.0.0.0", "--port",
                                  "8000", "--name", "server"), cols=160)
    server.wait_for(f"A partner on another machine can connect to {SERVER_ADDRESS}; on this "
                    f"one, to 127.0.0.1.")
