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


def test_the_chat_is_back_within_two_seconds_of_a_dead_link_coming_back(spawn, network):
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
        assert took < 2.0, f"the chat was back {took:.1f} s after the link"
        time.sleep(1.5)  # heartbeats: the partner is heard from again on the new link
    client.type_line("after")  # (it was the server's turn: typed now, sent on its turn)
    server.wait_for("Reconnected to user")
