"""A PostgreSQL cluster of a test's own, to stop and start under a running daemon.

The machine's cluster (127.0.0.1:5432) is shared by every test on the machine, so a
test that restarts the database gets its own: `initdb` into a temporary folder and
`pg_ctl start` on a free port of 127.0.0.1, trust authentication, user `postgres`.
As root (as the tests run here) the server runs as the `postgres` user through
`runuser`, since PostgreSQL refuses root. pg_ctl's output goes to a log file, never a
pipe: the server inherits pg_ctl's descriptors and a pipe would never be closed.

    with PrivatePostgres() as cluster:
        url = cluster.create_database("journey")
        cluster.restart(down_seconds=3)

The binaries are PostgreSQL's own (`pg_config --bindir`, else the newest under
/usr/lib/postgresql); a machine without them fails the test with the reason.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Literal

import psycopg
import pytest

StopMode = Literal["smart", "fast", "immediate"]
START_SECONDS = 60  # initdb and a first start on a loaded machine


def postgres_bindir() -> Path:
    """Where initdb and pg_ctl are."""
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        found = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True
        ).stdout.strip()
        if (Path(found) / "pg_ctl").exists():
            return Path(found)
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name)
    )
    if not versions:
        pytest.fail(
            "PostgreSQL's server binaries (initdb, pg_ctl) are not installed; "
            "apt-get install postgresql",
            pytrace=False,
        )
    return versions[-1].parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivatePostgres:
    """One cluster in a temporary folder, removed (after a stop) on leaving."""

    def __init__(self) -> None:
        self.bindir = postgres_bindir()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="journey-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self._as_postgres: list[str] = []
        if os.geteuid() == 0:  # the server refuses to run as root
            self._as_postgres = ["runuser", "-u", "postgres", "--"]
            account = pwd.getpwnam("postgres")
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        self.folder.chmod(0o700)

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> PrivatePostgres:
        try:
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-N")
            self.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            if self.running():
                self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
            " -c fsync=off -c max_connections=60 -c shared_buffers=16MB"
        )
        self._run(
            "pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w",
            "-t", str(START_SECONDS), "-o", options,
        )  # fmt: skip

    def stop(self, mode: StopMode = "fast") -> None:
        """`fast` ends every session (as a restart by an operator does); `immediate` is a
        crash: no shutdown checkpoint, recovery from the WAL at the next start."""
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w")

    def restart(self, *, down_seconds: float = 0.0, mode: StopMode = "fast") -> None:
        """Stop, stay down `down_seconds` (clients see refused connections), start."""
        self.stop(mode)
        time.sleep(down_seconds)
        self.start()

    def running(self) -> bool:
        status = subprocess.run(
            [*self._as_postgres, str(self.bindir / "pg_ctl"), "status", "-D", str(self.data)],
            capture_output=True,
            check=False,
        )
        return status.returncode == 0

    # ------------------------------------------------------------------ databases
    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new database in the cluster; its URL."""
        with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def server_log(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def _run(self, program: str, *args: str) -> None:
        command = [*self._as_postgres, str(self.bindir / program), *args]
        with (self.folder / "pg_ctl.log").open("ab") as sink:
            done = subprocess.run(
                command, stdout=sink, stderr=sink, stdin=subprocess.DEVNULL,
                timeout=START_SECONDS + 30, check=False,
            )  # fmt: skip
        if done.returncode != 0:
            output = (self.folder / "pg_ctl.log").read_text(errors="replace")[-2000:]
            raise AssertionError(
                f"{program} {' '.join(args[:2])} failed ({done.returncode}):\n{output}\n"
                f"{self.server_log()[-2000:]}"
            )
