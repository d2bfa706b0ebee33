"""The modules' layering: a module imports only modules below it (chat_curses.py's docstring)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["values", "validators", "screentext", "lineeditor", "keyinput", "delivery", "frames", "netproto", "session", "chatparts", "chatcore",
          "eventloop", "doors", "view", "app", "command", "chat_curses"]


def imported(module):
    tree = ast.parse((ROOT / f"{module}.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names & set(LAYERS)


def test_every_module_has_a_place_in_the_layers():
    assert {path.stem for path in ROOT.glob("*.py")} == set(LAYERS)


def test_lower_layers_never_import_higher_ones():
    for height, module in enumerate(LAYERS):
        for name in imported(module):
            assert LAYERS.index(name) < height, f"{module} imports {name}, a higher layer"


def test_the_core_knows_neither_curses_nor_sockets():
    tree = ast.parse((ROOT / "chatcore.py").read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
             for alias in node.names} | {node.module for node in ast.walk(tree)
                                         if isinstance(node, ast.ImportFrom)}
    assert not names & {"curses", "socket", "selectors", "select", "signal"}


def test_the_first_prompt_does_not_wait_for_what_only_a_chat_needs():
    """Start-up imports what the questions need; the door, the dialer and the
    session file (and threading, dataclasses, typing) come once a chat begins."""
    import subprocess
    import sys

    code = ("import sys; import chat_curses, command; command.parse_args(['--client']); "
            "print(' '.join(sorted(name for name in ('doors', 'session', 'threading', 'dataclasses', "
            "'typing', 'inspect', 'datetime', 'hashlib', 'random', 'pathlib', 'shutil', 'json', 'socket') "
            "if name in sys.modules)))")
    result = subprocess.run([sys.executable, "-S", "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []


def test_help_is_as_wide_as_shutil_would_make_it(monkeypatch):
    import shutil

    from command import terminal_columns

    for columns in ("60", "200", "0", "wide", ""):
        monkeypatch.setenv("COLUMNS", columns)
        assert terminal_columns() == shutil.get_terminal_size().columns
