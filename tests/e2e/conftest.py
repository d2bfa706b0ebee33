"""Fixtures for the end-to-end tests: programs on pseudo-terminals, free ports, the fault proxy."""

import socket

import pytest

from .faultproxy import FaultProxy
from .terminal import Terminal, free_port


@pytest.fixture
def spawn(request, state_home):
    """Start chat_curses.py on a fresh pty: ``spawn("--server", ...)``. All are killed after the test."""
    started = []

    def start(*args, rows=24, cols=80, env=None, command=None):
        env = {"XDG_STATE_HOME": str(state_home), **(env or {})}
        terminal = Terminal(list(args), rows=rows, cols=cols, env=env, command=command)
        started.append(terminal)
        return terminal

    yield start
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        for terminal in started:
            print(terminal.describe())
    for terminal in started:
        terminal.close()


@pytest.fixture
def port():
    return free_port()


@pytest.fixture
def proxy(port):
    """A FaultProxy in front of ``port``: clients dial ``proxy.port``."""
    proxy = FaultProxy(port)
    yield proxy
    proxy.close()


@pytest.fixture
def blackhole_port():
    """A port whose connection requests go unanswered, as on a dead network.

    The listener's one-place backlog is filled and never accepted from, so
    the kernel drops further SYNs and a connect hangs until its timeout.
    """
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)):
            yield port


@pytest.fixture
def silent_port():
    """A port that accepts connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        yield listener.getsockname()[1]
