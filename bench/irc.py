"""irssi in a chat through a local IRC server (ngircd), for the bench's enter section.

What a person would pick instead of chat_curses on a shared host: two irssi
(C) on two ptys, in one channel of an ngircd (C) on 127.0.0.1 at a free
port, each in its own home folder. Nothing slows them on purpose: irssi's
paste detection and its flood queue are off, and so is ngircd's penalty
for fast talkers (each would hold a message back by up to seconds). Used
only where both are installed (Debian's irssi and ngircd packages).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import bench

SERVER_CONFIG = """[Global]
\tName = irc.bench.local
\tInfo = chat_curses bench
\tListen = 127.0.0.1
\tPorts = {port}
\tPidFile = {folder}/ngircd.pid
\tMotdPhrase = "chat_curses bench"
\tServerUID = {uid}
\tServerGID = {gid}
[Limits]
\tMaxConnectionsIP = 0
\tMaxPenaltyTime = 0
[Options]
\tDNS = no
\tIdent = no
\tPAM = no
"""
CLIENT_CONFIG = """settings = {{
  core = {{ real_name = "{nick}"; user_name = "{nick}"; nick = "{nick}"; settings_autosave = "no"; }};
  "irc/core" = {{ cmd_queue_speed = "0msec"; cmds_max_at_once = "1000"; }};
  "fe-text" = {{ paste_detect_time = "0msec"; }};
}};
"""


def installed() -> bool:
    return bool(shutil.which("irssi") and shutil.which("ngircd"))


class IrcPair(bench.Pair):
    """Two irssi in a channel of their own ngircd, which goes with them."""

    def __init__(self, first: bench.Program, second: bench.Program, server: subprocess.Popen,
                 folder: Path) -> None:
        super().__init__(first, second)
        self.server, self.folder = server, folder

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            self.server.kill()
            self.server.wait(timeout=5)
            shutil.rmtree(self.folder, ignore_errors=True)


def irssi_pair(size: tuple[int, int], prefix: tuple[str, ...] = ()) -> IrcPair:
    """Two irssi on ptys of ``size``, both in #bench, each greeted by the server."""
    folder = Path(tempfile.mkdtemp(prefix="chat-curses-irc-"))
    folder.chmod(0o755)  # (ngircd gives up root for nobody, who must read its files)
    port = bench.free_port()
    config = folder / "ngircd.conf"
    config.write_text(SERVER_CONFIG.format(port=port, folder=folder, uid=65534, gid=65534))
    config.chmod(0o644)
    server = subprocess.Popen(["ngircd", "--nodaemon", "--config", str(config)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    programs: list[bench.Program] = []
    try:
        _wait_for_port(int(port))
        for nick in ("alice", "bobby"):
            home = folder / nick
            home.mkdir()
            (home / "config").write_text(CLIENT_CONFIG.format(nick=nick))
            programs.append(bench.Program([f"--home={home}", "--connect=127.0.0.1", f"--port={port}",
                                           f"--nick={nick}"], size=size, executable="irssi"))
        for program in programs:
            bench.read_until(program, "Mode change [+i]")  # (the last of the greeting)
            program.write(b"/join #bench\r")
        for program in programs:
            bench.read_until(program, "#bench")
    except BaseException:
        for program in programs:
            program.stop()
        server.kill()
        server.wait(timeout=5)
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return IrcPair(programs[0], programs[1], server, folder)


def _wait_for_port(port: int, timeout: float = 10) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("ngircd did not start") from None
            time.sleep(0.05)
