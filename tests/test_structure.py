"""The layout: which part of the package may import which, and what stays off the way to the first prompt.

The package ``_chat_curses`` has two modules at its root and four
sub-packages, each of which imports only those before it (its own
``__init__`` draws the map):

    values, limits, words  <  text, wire  <  chat  <  shell

Nothing inside it imports its faces (``chat_curses.py``, ``netproto.py``,
``validators.py``), no modules import each other in a circle, no module is
over 400 lines and no class over 250.
"""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "_chat_curses"
FACES = {"chat_curses", "netproto", "validators"}
# What each part may import from the package (itself aside).
ROOT_MODULES = {"values", "limits", "words"}
MAY_IMPORT = {
    **{root: set() for root in ROOT_MODULES},
    "text": ROOT_MODULES,
    "wire": ROOT_MODULES,
    "chat": ROOT_MODULES | {"text", "wire"},
    "shell": ROOT_MODULES | {"text", "wire", "chat"},
}
# The pure parts and the functional core know no terminal, no socket, no signal.
NEVER_IN_THE_CORE = {"curses", "socket", "selectors", "select", "signal", "threading"}


def modules():
    """Every module of the package, by dotted name, with its path."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name, path):
    """The modules ``name`` imports, absolute, relative ones resolved (lazy ones too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def part_of(name):
    """``_chat_curses.chat.core`` -> ``chat``; the package itself -> ``""``."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def package_graph():
    known = modules()
    return {name: {other for other in imports(name, path) if other in known and other != name}
            for name, path in known.items()}


def test_every_module_belongs_to_a_part():
    parts = {part_of(name) for name in modules()}
    assert parts == set(MAY_IMPORT) | {""}


def test_each_part_imports_only_the_parts_before_it():
    for name, others in package_graph().items():
        part = part_of(name)
        if not part:
            continue
        for other in others:
            used = part_of(other)
            assert used in MAY_IMPORT[part] | {part, ""}, f"{name} imports {other}"


def test_nothing_inside_the_package_imports_its_faces():
    for name, path in modules().items():
        top = {module.split(".")[0] for module in imports(name, path)}
        assert not top & FACES, f"{name} imports a face: {top & FACES}"


def test_no_modules_import_each_other_in_a_circle():
    graph = package_graph()
    done, path = set(), []

    def visit(name):
        if name in path:
            raise AssertionError("a circle: " + " -> ".join(path[path.index(name):] + [name]))
        if name in done:
            return
        path.append(name)
        for other in sorted(graph[name]):
            # importing a sub-package runs only its __init__ (a docstring): no edge back
            if other != name.rpartition(".")[0]:
                visit(other)
        path.pop()
        done.add(name)

    for name in graph:
        visit(name)


def test_no_module_is_over_400_lines_and_no_class_over_250():
    for name, path in modules().items():
        text = path.read_text()
        assert text.count("\n") <= 400, f"{name} has {text.count(chr(10))} lines"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef):
                length = node.end_lineno - node.lineno + 1
                assert length <= 250, f"{name}.{node.name} has {length} lines"


def test_the_pure_parts_and_the_core_know_no_terminal_socket_or_signal():
    for name, path in modules().items():
        part = part_of(name)
        if part in ("text", "chat") or part in ROOT_MODULES:
            assert not imports(name, path) & NEVER_IN_THE_CORE, name
        elif part == "wire":
            allowed = {"socket"} if name == "_chat_curses.wire.connection" else set()
            assert not imports(name, path) & (NEVER_IN_THE_CORE - allowed), name


def test_the_faces_hand_on_the_package_and_define_nothing():
    for face in FACES:
        tree = ast.parse((ROOT / f"{face}.py").read_text())
        defined = [node for node in tree.body
                   if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
        assert not defined, f"{face}.py defines {[node.name for node in defined]}"


def test_the_first_prompt_does_not_wait_for_what_only_a_chat_needs():
    """Start-up imports what the questions need; the way to the partner and
    the link's liveness once they are answered; the cryptography when a
    connection starts; the door, the dialer, the
    handshake, the protocol and the session file (and what they bring:
    socket, threading, json...) once a chat begins; the transcript only
    with --log, the Unicode tables with the first text beyond ASCII; argparse
    (and re, gettext, locale) for help, a usage error or a command line that
    is not plain (shell.options); selectors at the loop's first sleep."""
    later = ["_chat_curses.shell.listener", "_chat_curses.shell.dialer",
             "_chat_curses.shell.link", "_chat_curses.shell.journal",
             "_chat_curses.wire.protocol", "_chat_curses.wire.codec",
             "_chat_curses.wire.delivery", "_chat_curses.wire.connection",
             "_chat_curses.chat.connecting", "_chat_curses.chat.liveness",
             "_chat_curses.shell.transcript", "_chat_curses.wire.handshake",
             "_chat_curses.wire.channel", "_chat_curses.words", "cryptography", "spake2",
             "unicodedata", "threading", "dataclasses", "typing", "inspect",
             "datetime", "hashlib", "random", "pathlib", "shutil", "json", "socket",
             "argparse", "re", "locale", "gettext", "selectors"]
    code = ("import sys; import chat_curses; from _chat_curses.shell import cli; "
            "cli.parse_args(['--client']); "
            f"print(' '.join(name for name in {later!r} if name in sys.modules))")
    result = subprocess.run([sys.executable, "-S", "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []


def test_help_is_as_wide_as_shutil_would_make_it(monkeypatch):
    import shutil

    from _chat_curses.shell.cli import terminal_columns

    for columns in ("60", "200", "0", "wide", ""):
        monkeypatch.setenv("COLUMNS", columns)
        assert terminal_columns() == shutil.get_terminal_size().columns
