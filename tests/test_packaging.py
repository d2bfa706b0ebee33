"""The project installs as a package with a ``chat-curses`` command."""

import os
import re
import subprocess
import sys

from terminal import ROOT

import chat_curses


def test_pip_install_gives_a_chat_curses_command(tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(ROOT)],
        check=True, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    command = target / "bin" / "chat-curses"
    assert command.exists()
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run([str(command), "--version"], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 0
    assert result.stdout.strip() == f"chat-curses {chat_curses.__version__}"
    result = subprocess.run([str(command), "--client"], capture_output=True, text=True, env=env,
                            cwd=tmp_path, stdin=subprocess.DEVNULL, timeout=60)
    assert result.returncode == 2 and "a terminal is needed" in result.stderr
    installed = {path.name for path in target.iterdir()}
    assert {"chat_curses.py", "netproto.py", "validators.py", "screentext.py",
            "lineeditor.py", "keyinput.py"} <= installed


def test_every_module_of_the_program_is_packaged():
    listed = re.search(r"py-modules = \[(.*?)\]", (ROOT / "pyproject.toml").read_text()).group(1)
    packaged = set(re.findall(r'"(\w+)"', listed))
    on_disk = {path.stem for path in ROOT.glob("*.py")}
    assert packaged == on_disk
