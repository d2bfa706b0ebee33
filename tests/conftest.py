"""Fixtures every test may use: a state folder of its own, and failures reported to fixtures."""

import pytest


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def state_home(tmp_path, monkeypatch):
    """The test's own $XDG_STATE_HOME: session files land there, never in a real home."""
    folder = tmp_path / "state"
    folder.mkdir()
    monkeypatch.setenv("XDG_STATE_HOME", str(folder))
    return folder
