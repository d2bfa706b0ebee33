"""Tests of shell/cli.py: the command line, its checks, and what main says before any screen."""

import os
import stat

import pytest

from _chat_curses.chat.setup import DEFAULT_HEARTBEAT, DEFAULT_RESUME_WINDOW, DEFAULT_TIMEOUT
from _chat_curses.shell import cli
from _chat_curses.wire.events import Role


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    for name in ("CHAT_SECRET", "CHAT_CURSES_HEARTBEAT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "80")


def usage_error(capsys, argv):
    """Parse ``argv``, which must be a usage error (exit 2); what it said."""
    with pytest.raises(SystemExit) as stopped:
        cli.parse_args(argv)
    assert stopped.value.code == 2
    return capsys.readouterr().err


def test_the_flags_become_the_settings():
    settings = cli.parse_args(["--server", "--host", "[::1]", "--port", "9000", "--name", " amy ",
                               "--timeout", "2.5", "--resume-window", "0", "--quiet",
                               "--no-typing-notice"])
    assert settings.role is Role.SERVER and (settings.host, settings.port) == ("::1", 9000)
    assert settings.name == "amy" and settings.timeout == 2.5 and settings.resume_window == 0
    assert settings.quiet and not settings.typing_notice and settings.secret is None


def test_what_is_not_given_is_asked_or_takes_its_default():
    settings = cli.parse_args(["--client"])
    assert settings.role is Role.CLIENT and (settings.host, settings.port, settings.name) == (
        None, None, None)  # the prompts ask for them
    assert (settings.timeout, settings.resume_window, settings.heartbeat) == (
        DEFAULT_TIMEOUT, DEFAULT_RESUME_WINDOW, DEFAULT_HEARTBEAT)


@pytest.mark.parametrize("argv", [[], ["--server", "--client"]])
def test_exactly_one_role_is_needed(capsys, argv):
    assert "--server" in usage_error(capsys, argv)


@pytest.mark.parametrize("flag, value, words", [
    ("--port", "70000", "argument --port: Invalid port '70000': must be a number from 1 to 65535"),
    ("--host", "999.1.1.1", "argument --host: Invalid address '999.1.1.1'"),
    ("--name", "   ", "argument --name: Invalid username '': it is empty"),
    ("--timeout", "0", "argument --timeout: Invalid timeout '0'"),
    ("--resume-window", "-1", "argument --resume-window: Invalid resume window '-1'"),
])
def test_a_bad_value_is_a_usage_error_that_names_the_flag(capsys, flag, value, words):
    assert words in usage_error(capsys, ["--client", flag, value])


def test_a_value_with_escapes_is_quoted_back_clean(capsys):
    said = usage_error(capsys, ["--client", "--name", "\x1b]2;owned\x07"])
    assert "\x1b" not in said and "^[" in said


# --- the secret ----------------------------------------------------------------------


def test_the_secret_comes_from_its_file_trimmed(tmp_path):
    path = tmp_path / "secret"
    path.write_bytes(b"  correct horse battery staple\n")
    assert cli.parse_args(["--client", "--secret-file", str(path)]).secret == (
        b"correct horse battery staple")


@pytest.mark.parametrize("content, words", [
    (b" \n\t\n", "is empty"), (b"x" * (cli.MAX_SECRET_BYTES + 1), "too large for a secret")])
def test_a_secret_file_that_holds_no_secret_is_a_usage_error(capsys, tmp_path, content, words):
    path = tmp_path / "secret"
    path.write_bytes(content)
    assert words in usage_error(capsys, ["--client", "--secret-file", str(path)])


def test_a_missing_secret_file_is_a_usage_error(capsys, tmp_path):
    said = usage_error(capsys, ["--client", "--secret-file", str(tmp_path / "nowhere")])
    assert "argument --secret-file: cannot read" in said and "No such file" in said


def test_the_environment_gives_the_secret_and_a_blank_one_is_refused(capsys, monkeypatch):
    monkeypatch.setenv("CHAT_SECRET", " from the environment ")
    assert cli.parse_args(["--client"]).secret == b"from the environment"
    monkeypatch.setenv("CHAT_SECRET", "  ")  # CHAT_SECRET=$(cat missing-file)
    assert "CHAT_SECRET is set but empty" in usage_error(capsys, ["--client"])


def test_a_bad_heartbeat_in_the_environment_is_a_usage_error(capsys, monkeypatch):
    monkeypatch.setenv("CHAT_CURSES_HEARTBEAT", "often")
    assert "environment variable CHAT_CURSES_HEARTBEAT" in usage_error(capsys, ["--client"])


def test_new_secret_writes_a_private_file_of_32_random_bytes_and_exits(capsys, tmp_path):
    path = tmp_path / "new"
    with pytest.raises(SystemExit) as stopped:
        cli.parse_args(["--new-secret", str(path)])
    assert stopped.value.code == 0 and "Wrote a new secret" in capsys.readouterr().out
    secret = path.read_text().strip()
    assert len(bytes.fromhex(secret)) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "cannot create" in usage_error(capsys, ["--new-secret", str(path)])  # never replaced


# --- the log ---------------------------------------------------------------------------


def test_a_log_is_opened_private_and_appended_to(tmp_path):
    path = tmp_path / "chat.log"
    settings = cli.parse_args(["--client", "--log", str(path)])
    settings.log.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_fifo_is_no_log(capsys, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert "it is not a regular file" in usage_error(capsys, ["--client", "--log", str(fifo)])


def test_a_usage_error_leaves_no_new_log_behind(capsys, tmp_path):
    path = tmp_path / "chat.log"
    usage_error(capsys, ["--client", "--log", str(path), "--port", "0"])
    assert not path.exists()


# --- what is said before the first question ------------------------------------------


def test_readable_secrets_and_logs_and_short_secrets_are_warned_about(tmp_path, monkeypatch):
    secret, log = tmp_path / "secret", tmp_path / "chat.log"
    secret.write_bytes(b"short")
    secret.chmod(0o644)
    log.touch(mode=0o644)
    log.chmod(0o644)
    settings = cli.parse_args(["--client", "--secret-file", str(secret), "--log", str(log)])
    settings.log.close()
    warnings = cli.startup_warnings(settings)
    assert any(f"other users can read the secret file {secret}" in line for line in warnings)
    assert any(f"other users can read the log file {log}" in line for line in warnings)
    assert any("the secret is short (5 bytes)" in line for line in warnings)


def test_a_private_long_secret_gets_no_warning(tmp_path):
    secret = tmp_path / "secret"
    secret.write_bytes(os.urandom(32).hex().encode())
    secret.chmod(0o600)
    assert cli.startup_warnings(cli.parse_args(["--client", "--secret-file", str(secret)])) == []


def test_without_a_terminal_main_says_one_is_needed(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    assert cli.main(["--client"]) == 2
    assert "a terminal is needed" in capsys.readouterr().err


def test_help_says_the_keys_the_pairing_code_and_the_exit_codes(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.parse_args(["--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    for words in ("end, Ctrl-D", "PgUp, PgDn", "Ctrl-C", "the pairing code:", "7-amber-otter",
                  "unverified", "exit codes:", "0    the chat ended", "129  the terminal hung up",
                  "130  Ctrl-C"):
        assert words in shown, words
