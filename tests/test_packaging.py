"""The project installs as a package with a ``chat-curses`` command, under names of its own."""

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

import chat_curses

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel `pip install .` would build, built once for these tests, from a copy of
    the project (setuptools builds in the source folder: a build/ left there would leak in)."""
    source = tmp_path_factory.mktemp("source") / "chat_curses"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"))
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run([*PIP, "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(folder), str(source)],
                   check=True, capture_output=True, text=True, timeout=300)
    [built] = folder.glob("*.whl")
    return built


def test_the_wheel_installs_only_names_of_the_programs_own(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top = {name.split("/")[0] for name in names if ".dist-info/" not in name}
    assert top == {"chat_curses.py", "_chat_curses"}  # no app, session, values, validators...
    on_disk = {os.path.relpath(os.path.join(folder, name), ROOT).replace(os.sep, "/")
               for folder, _, files in os.walk(os.path.join(ROOT, "_chat_curses"))
               for name in files if name.endswith(".py")}
    assert {name for name in names if name.startswith("_chat_curses/")} == on_disk


def test_the_installed_command_runs_from_anywhere(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([*PIP, "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, text=True, timeout=300)
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
