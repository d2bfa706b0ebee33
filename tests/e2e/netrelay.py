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
after SECONDS, whatever the test does. The test gives the devices their
addresses and routes (``ip -n``).
"""

from __future__ import annotations

import ctypes
import fcntl
import heapq
import os
import random
import selectors
import struct
import sys
import time

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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
