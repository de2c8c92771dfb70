"""A PostgreSQL cluster of its own: ``initdb`` in a temporary directory, a free port on loopback.

The shared server (5432) is never touched: this runs from the machine's own binaries, and is
started, stopped (as a crash, if asked) and removed at will. PostgreSQL runs as the ``postgres``
user when the caller is root (initdb refuses root), as ``scripts/provision.sh`` does for the
project's local cluster. The test suite (``tests/fixtures/private_servers.py``) and the Citus
cluster (``scripts/citus/cluster.py``) are built on it.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

POSTGRES_ROOT = Path("/usr/lib/postgresql")
START_WAIT_S = 30


class MissingServer(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def postgres_bin() -> Path:
    """The bin directory of the machine's newest PostgreSQL (the major the shared server runs)."""
    majors = sorted((p for p in POSTGRES_ROOT.glob("*") if re.fullmatch(r"\d+", p.name)), key=lambda p: int(p.name))
    if not majors:
        raise MissingServer(f"no PostgreSQL server binaries under {POSTGRES_ROOT}")
    return majors[-1] / "bin"


class PrivatePostgres:
    """``initdb`` in a temporary directory, then ``pg_ctl start``/``stop -m immediate`` at will."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="happenings-pg-"))
        self.data = self.root / "data"
        self.owner = "postgres" if os.geteuid() == 0 else None
        if self.owner is not None:
            user = pwd.getpwnam(self.owner)
            os.chown(self.root, user.pw_uid, user.pw_gid)

    @property
    def log(self) -> Path:
        """The server's log file."""
        return self.root / "server.log"

    def initdb(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync",
                  "--no-instructions")  # fmt: skip

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        # No Unix socket (the port alone), and no durability: the data is thrown away with the server.
        self._start(START_WAIT_S, "-c max_connections=60")

    def _start(self, wait_s: int, options: str) -> None:
        base = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
                "-c fsync=off -c full_page_writes=off")  # fmt: skip
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w",
                  "-t", str(wait_s), "-o", f"{base} {options}", "start")  # fmt: skip

    def stop_immediately(self) -> None:
        """As a crash: every backend is killed, no shutdown checkpoint."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(self._command("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"),
                           capture_output=True, check=False)  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)

    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bin / program), *args]
        return ["runuser", "-u", self.owner, "--", *command] if self.owner else command

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(self._command(program, *args), capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{program} failed: {done.stdout}{done.stderr}\n{log[-2000:]}")
