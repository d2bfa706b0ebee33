#!/usr/bin/env python3
"""How soon a chat is back after the network fails it, in a real network (SPEC 10).

    .venv/bin/python bench/resume.py            # each case 5 times, about five minutes
    .venv/bin/python bench/resume.py --quick    # each case once

Root only: two network namespaces joined by TUN devices, with a router of
our own between them (``tests/e2e/netrelay.py``; this kernel has no
netem), no default route, all deleted on the way out. Each round starts a
fresh chat (the client in one namespace, the server in the other, their
own defaults: 1 s heartbeats), breaks the network one way, has the server
type a message, and times from the moment the network is whole again (or
the address changed, or the flow was forgotten) to that message on the
client's screen: the chat back, and what was written meanwhile delivered.
Medians of 5, beside the aims of SPEC 10 and what mosh 1.4.0 did in the
same kind of network (issue 18's measurements; mosh is not run here).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench import STATE_HOME, Program, machine, print_table, read_until  # noqa: E402
from tests.e2e import netrelay  # noqa: E402
from tests.e2e.netrelay import CLIENT_AT, CLIENT_MOVED, SERVER_AT  # noqa: E402

PROGRAM = str(ROOT / "chat_curses.py")


def chat(names: dict[str, str]) -> tuple[Program, Program, Path]:
    """A new chat between the namespaces (each with a state folder of its own, so that
    nothing of an earlier round is resumed), the server's turn; and the folder, where
    each side writes its transcript (``server.log``, ``client.log``)."""
    folder = Path(tempfile.mkdtemp(dir=STATE_HOME))

    def inside(side: str, *args: str) -> Program:
        args = (*args, "--log", str(folder / f"{side}.log"))
        return Program([PROGRAM, *args], env={"XDG_STATE_HOME": str(folder / side)},
                       size=(24, 120), prefix=("ip", "netns", "exec", names[side]))

    server = inside("server", "--server", "--host", SERVER_AT, "--port", "8000", "--name", "s")
    read_until(server, "Trying to connect to another user")
    client = inside("client", "--client", "--host", SERVER_AT, "--port", "8000", "--name", "c",
                    "--code", "")
    try:
        read_until(client, "Enter a message to send to the server")
        client.write(b"before\r")
        read_until(server, "[c]: before")
    except RuntimeError:
        for program in (server, client):
            print("\n".join(line.rstrip() for line in program.screen.display if line.strip()))
            program.stop()
        raise
    return server, client, folder


def outage(seconds: float):
    def fault(router: netrelay.Router, names, devices, server: Program) -> float:
        router.do("down")
        server.write(b"written while the network was down\r")
        time.sleep(seconds)
        router.do("up")
        return time.monotonic()
    return fault


def moved(router: netrelay.Router, names, devices, server: Program) -> float:
    device = devices["client"]
    netrelay.ip("-n", names["client"], "addr", "add", f"{CLIENT_MOVED}/32", "dev", device)
    netrelay.ip("-n", names["client"], "addr", "del", f"{CLIENT_AT}/32", "dev", device)
    now = time.monotonic()
    server.write(b"written after the address changed\r")
    return now


def forgotten(router: netrelay.Router, names, devices, server: Program) -> float:
    router.do("forget")
    now = time.monotonic()
    server.write(b"written after the flow was forgotten\r")
    return now


CASES = [  # (what, the fault, the words the client waits for, the aim, mosh)
    ("the network back after 5 s down (the link suspected, a new path)", outage(5.0),
     "while the network was down", 1.0, "<= 0.02 s"),
    ("the network back after 20 s down (the link lost, redialled)", outage(20.0),
     "while the network was down", 1.0, "<= 0.01 s (120 s down)"),
    ("the client's address changed (roaming)", moved, "after the address changed", 3.0,
     "<= 0.02 s"),
    ("a NAT forgot the flow", forgotten, "after the flow was forgotten", 3.0, "about 16 s"),
]


def one_round(fault, words: str) -> float:
    with netrelay.routed(seconds=120) as (names, devices, router):
        server, client, _ = chat(names)
        try:
            began = fault(router, names, devices, server)
            read_until(client, words, timeout=60)
            return time.monotonic() - began
        finally:
            client.stop()
            server.stop()


def lossy(minutes: float) -> tuple[int, int, int, bool]:
    """A quiet chat on a slow, lossy network (200 ms round trip, a fifth of the packets
    lost each way) for ``minutes``, then a message each way: how many times each side
    showed ``Connection lost`` (SPEC 10: never), how many new paths carried the chat,
    and whether the messages came."""
    with netrelay.routed(seconds=minutes * 60 + 120) as (names, devices, router):
        server, client, folder = chat(names)
        try:
            router.do("delay 0.1")
            router.do("loss 0.2")
            ends = time.monotonic() + minutes * 60
            while time.monotonic() < ends:  # (the screens are read as they change)
                for program in (server, client):
                    try:
                        read_until(program, "\0never shown", timeout=1)
                    except RuntimeError:
                        pass
            server.write(b"still there?\r")
            read_until(client, "[s]: still there?", timeout=60)
            client.write(b"yes\r")
            read_until(server, "[c]: yes", timeout=60)
            came = True
        except RuntimeError:
            came = False
        finally:
            client.stop()
            server.stop()
        logs = [(folder / f"{side}.log").read_text() for side in ("server", "client")]
        lost = [log.count("Connection lost") for log in logs]
        paths = max(sum(1 + int(more or 0) for more in re.findall(
            r"by a new path(?: \(the link dropped (\d+) more times?\))?", log)) for log in logs)
        return lost[0], lost[1], paths, came


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="each case once")
    parser.add_argument("--lossy-minutes", type=float, default=None,
                        help="how long the quiet chat on a lossy network lasts (10; quick: 1)")
    args = parser.parse_args()
    rounds = 1 if args.quick else 5
    minutes = args.lossy_minutes or (1 if args.quick else 10)
    try:
        with netrelay.routed(seconds=5):
            pass
    except netrelay.Unavailable as why:
        sys.exit(f"resume.py: {why}")
    rows = []
    for what, fault, words, aim, mosh in CASES:
        times = [one_round(fault, words) for _ in range(rounds)]
        median = statistics.median(times)
        rows.append((what, f"{median:.2f} s",
                     f"median of {rounds} ({min(times):.2f} to {max(times):.2f}); aim: within "
                     f"{aim:g} s ({'met' if median <= aim else 'NOT met'}); mosh: {mosh}"))
    server_lost, client_lost, paths, came = lossy(minutes)
    rows.append((f"a quiet chat for {minutes:g} min at 200 ms and 20% loss",
                 f"{server_lost + client_lost} lost",
                 f"'Connection lost' shown {server_lost} times on the server, {client_lost} on "
                 f"the client (aim: never); the chat moved to a new path {paths} times; "
                 f"messages after it {'came' if came else 'DID NOT come'}"))
    print_table(f"chat_curses back after a network fault, on {machine()}", rows)


if __name__ == "__main__":
    main()
