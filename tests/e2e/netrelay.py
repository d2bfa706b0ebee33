"""A user-space router between two network namespaces, for faults no TCP proxy can make.

This kernel has no ``sch_netem`` (and no tc actions), so packets are carried
by hand: a TUN device in each namespace, and this program between them,
reading each IP packet from one and writing it to the other. On a command
from its standard input, one per line, it can:

    down | up         drop every packet / carry them again (a cable pulled)
    forget            drop the packets of every TCP flow seen so far, and carry
                      new ones (a NAT that rebooted and forgot its flows)
    remember          carry the forgotten flows again
    mtu N             drop every packet over N bytes (a path MTU black hole);
                      ``mtu 0`` ends it
    delay S           hold each packet S seconds (each way)
    loss P            drop each packet with probability P (0 to 1)

and answers each with ``ok`` once it holds, so that a test knows when it
does. It starts with ``python netrelay.py NAMESPACE_A TUN_A NAMESPACE_B TUN_B
SECONDS`` (root: it enters the namespaces to make the devices there), says
``ready`` once both exist, and ends when its input closes, on SIGTERM, or
after SECONDS, whatever the test does.

``routed()``, for the tests and the benchmark, makes the two namespaces
(``server`` and ``client``), starts the router between them, gives each
device its address and a route to the other side (nothing else: no default
route), and deletes it all on the way out, whatever happens.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import heapq
import os
import random
import selectors
import shutil
import struct
import subprocess
import sys
import time
import uuid

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
CLONE_NEWNET = 0x40000000


def enter(namespace: str) -> None:
    """This thread (the only one) goes into the named network namespace."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/var/run/netns/{namespace}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {namespace}")
    finally:
        os.close(fd)


def tun(name: str) -> int:
    """A TUN device in the current namespace, carrying bare IP packets."""
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def flow_of(packet: bytes) -> tuple | None:
    """A TCP packet's flow, the same both ways; None for anything else."""
    if len(packet) < 20 or packet[0] >> 4 != 4 or packet[9] != 6:
        return None
    header = (packet[0] & 0x0F) * 4
    if len(packet) < header + 4:
        return None
    ends = sorted([(packet[12:16], packet[header:header + 2]),
                   (packet[16:20], packet[header + 2:header + 4])])
    return tuple(ends)


class Relay:
    def __init__(self, ends: dict[int, int]) -> None:
        self.ends = ends  # each device's fd: the other's
        self.down = False
        self.mtu = 0
        self.delay = 0.0
        self.loss = 0.0
        self.seen: set[tuple] = set()
        self.forgotten: set[tuple] = set()
        self.held: list[tuple[float, int, int, bytes]] = []  # (when, order, to, packet)
        self.order = 0

    def command(self, line: str) -> None:
        word, _, value = line.strip().partition(" ")
        if word in ("down", "up"):
            self.down = word == "down"
        elif word == "forget":
            self.forgotten = set(self.seen)
        elif word == "remember":
            self.forgotten = set()
        elif word == "mtu":
            self.mtu = int(value)
        elif word == "delay":
            self.delay = float(value)
        elif word == "loss":
            self.loss = float(value)
        else:
            print(f"unknown command {word!r}", flush=True)
            return
        print("ok", flush=True)

    def carry(self, fd: int) -> None:
        try:
            packet = os.read(fd, 65536)
        except BlockingIOError:
            return
        flow = flow_of(packet)
        if flow is not None:
            self.seen.add(flow)
        if (self.down or flow in self.forgotten or (self.mtu and len(packet) > self.mtu)
                or (self.loss and random.random() < self.loss)):
            return
        self.order += 1
        heapq.heappush(self.held, (time.monotonic() + self.delay, self.order, self.ends[fd], packet))
        self.release()

    def release(self) -> float | None:
        """Write what is due; the seconds until the next is."""
        now = time.monotonic()
        while self.held and self.held[0][0] <= now:
            _, _, to, packet = heapq.heappop(self.held)
            try:
                os.write(to, packet)
            except OSError:
                pass  # (a device down drops it, as a wire would)
        return self.held[0][0] - now if self.held else None


def main(argv: list[str]) -> int:
    namespace_a, name_a, namespace_b, name_b, seconds = argv
    enter(namespace_a)
    fd_a = tun(name_a)
    enter(namespace_b)
    fd_b = tun(name_b)
    relay = Relay({fd_a: fd_b, fd_b: fd_a})
    selector = selectors.DefaultSelector()
    for fd in (fd_a, fd_b):
        selector.register(fd, selectors.EVENT_READ)
    selector.register(sys.stdin, selectors.EVENT_READ)
    print("ready", flush=True)
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline:
        wait = relay.release()
        for key, _ in selector.select(min(wait if wait is not None else 1.0, 1.0)):
            if key.fileobj is sys.stdin:
                line = sys.stdin.readline()
                if not line:
                    return 0
                relay.command(line)
            else:
                relay.carry(key.fd)
    return 0


# --- the namespaces and the router, for a test or the benchmark ---------------------------

SERVER_AT, CLIENT_AT, CLIENT_MOVED = "10.78.1.1", "10.78.0.2", "10.78.0.3"


class Unavailable(Exception):
    """This machine cannot make the namespaces (not root, no ip(8), no TUN): why."""


class Router:
    """The router between the namespaces: commands, each answered once it holds."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process

    def do(self, command: str) -> None:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        if answer != "ok":
            raise RuntimeError(f"the router said {answer!r} to {command!r}")


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@contextlib.contextmanager
def routed(seconds: float = 600):
    """``(names, devices, router)``: two namespaces joined only through the router."""
    if os.name != "posix" or os.geteuid() != 0 or shutil.which("ip") is None:
        raise Unavailable("needs root and ip(8) to make network namespaces")
    if not os.path.exists("/dev/net/tun"):
        raise Unavailable("needs /dev/net/tun for the router between the namespaces")
    tag = uuid.uuid4().hex[:6]
    names = {"server": f"cc-rs-{tag}", "client": f"cc-rc-{tag}"}
    devices = {"server": f"ts-{tag}", "client": f"tc-{tag}"}
    made: list[str] = []
    relay = None
    try:
        try:
            for side in ("server", "client"):
                ip("netns", "add", names[side])
                made.append(names[side])
                ip("-n", names[side], "link", "set", "lo", "up")
            relay = subprocess.Popen([sys.executable, __file__, names["client"],
                                      devices["client"], names["server"], devices["server"],
                                      str(seconds)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            if relay.stdout.readline().strip() != "ready":
                raise OSError("the router did not start")
            ip("-n", names["client"], "addr", "add", f"{CLIENT_AT}/32", "dev", devices["client"])
            ip("-n", names["server"], "addr", "add", f"{SERVER_AT}/32", "dev", devices["server"])
            for side, other in (("client", "10.78.1.0/24"), ("server", "10.78.0.0/24")):
                ip("-n", names[side], "link", "set", devices[side], "up")
                ip("-n", names[side], "route", "add", other, "dev", devices[side])
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
            raise Unavailable(f"cannot route between network namespaces here ({error})") from None
        yield names, devices, Router(relay)
    finally:
        if relay is not None:
            relay.terminate()
            try:
                relay.wait(5)
            except subprocess.TimeoutExpired:
                relay.kill()
                relay.wait(5)
        for name in made:
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
