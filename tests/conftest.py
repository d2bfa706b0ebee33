"""Fixtures for the end-to-end tests: programs on pseudo-terminals, free ports."""

import pytest

from terminal import Terminal, free_port


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def spawn(request):
    """Start chat_curses.py on a fresh pty: ``spawn("--server", ...)``. All are killed after the test."""
    started = []

    def start(*args, rows=24, cols=80, env=None):
        terminal = Terminal(list(args), rows=rows, cols=cols, env=env)
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
