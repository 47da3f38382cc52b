"""A real PostgreSQL for the replica's tests, started on a Unix socket (no TCP port at all).

The machine's ``initdb`` and ``pg_ctl`` (PostgreSQL 15 on these machines; Debian's
``postgresql`` package puts them in /usr/lib/postgresql/<version>/bin, which .ci/run installs
when they are missing) run the server from a temporary directory. initdb refuses to run as root,
so under root (CI) the server runs as ``nobody`` through ``runuser``. Fsync is off: the data is
thrown away after the run.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PostgresServer", "find_binaries"]

UNPRIVILEGED_USER = "nobody"


def find_binaries() -> tuple[str, str] | None:
    """``(initdb, pg_ctl)`` from PATH, else from Debian's versioned directories (newest first)."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return initdb, pg_ctl
    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True):
        initdb, pg_ctl = os.path.join(bindir, "initdb"), os.path.join(bindir, "pg_ctl")
        if os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK):
            return initdb, pg_ctl
    return None


def _traversable_by_others(directory: Path) -> bool:
    """Whether every directory from / down to ``directory`` lets any user through (o+x)."""
    return all(path.stat().st_mode & 0o001 for path in (directory, *directory.parents))


def _base_directory() -> str | None:
    """Where the cluster's directory goes: the usual temporary directory, unless the server will
    run as ``nobody`` and cannot reach it (a checkout in a 0700 directory such as one from
    ``mktemp -d``, with nox's TMPDIR inside it); then the first system one it can reach."""
    if os.geteuid() != 0:
        return None
    for candidate in (tempfile.gettempdir(), "/tmp", "/var/tmp"):
        path = Path(candidate)
        if path.is_dir() and _traversable_by_others(path):
            return candidate
    raise RuntimeError(
        f"no temporary directory that {UNPRIVILEGED_USER} can reach for PostgreSQL's data: "
        "make /tmp world-traversable (chmod 1777 /tmp)"
    )


class PostgresServer:
    """One throwaway cluster. ``settings()`` is its Django ``DATABASES`` entry, known before the
    server starts (the socket directory and port are chosen up front)."""

    def __init__(self) -> None:
        # Not under pytest's tmp dirs: those are 0700 root, which ``nobody`` cannot traverse.
        # Short, too: a Unix socket path must fit in about 100 bytes.
        self.directory = Path(tempfile.mkdtemp(prefix="fcpg-", dir=_base_directory()))
        self.data = self.directory / "data"
        self.port = 5432
        self.started = False
        self.users = 0
        # Also when no test started it: the directory exists from the start.
        atexit.register(self.stop)

    def settings(self) -> dict[str, object]:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "postgres",
            "USER": "postgres",
            "HOST": str(self.directory),
            "PORT": str(self.port),
            "TEST": {"NAME": "fastcognito_test", "DEPENDENCIES": []},
        }

    def _as_owner(self, *args: str) -> list[str]:
        if os.geteuid() != 0:
            return list(args)
        return ["runuser", "-u", UNPRIVILEGED_USER, "--", *args]

    def acquire(self) -> None:
        """Start the server for one more user (a conftest's session fixture); the first starts it.
        tests/django and tests/security each hold one, and one pytest run may collect both."""
        if self.users == 0 and not self.started:
            self.start()
        self.users += 1

    def release(self) -> None:
        """The last user to let go stops the server."""
        self.users -= 1
        if self.users == 0:
            self.stop()

    def start(self) -> None:
        binaries = find_binaries()
        if binaries is None:
            import pytest

            pytest.fail(
                "PostgreSQL's initdb and pg_ctl are not installed: the replica's PostgreSQL tests need "
                "them. `make test` installs them (scripts/system_packages.sh); by hand: "
                "sudo apt-get install -y postgresql",
                pytrace=False,
            )
        initdb, pg_ctl = binaries
        if os.geteuid() == 0:
            owner = pwd.getpwnam(UNPRIVILEGED_USER)
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
        self.directory.chmod(0o700)
        run = dict(capture_output=True, text=True, timeout=120, cwd=self.directory)
        result = subprocess.run(
            self._as_owner(initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"),
            **run,  # type: ignore[call-overload]
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{result.stdout}\n{result.stderr}")
        options = (
            f"-c listen_addresses='' -c unix_socket_directories='{self.directory}' -p {self.port} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=40"
        )
        result = subprocess.run(
            self._as_owner(pg_ctl, "-D", str(self.data), "-l", str(self.directory / "server.log"), "-w", "-t", "60",
                           "-o", options, "start"),
            **run,  # type: ignore[call-overload]
        )
        if result.returncode != 0:
            log = (self.directory / "server.log").read_text(errors="replace") if (self.directory / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed:\n{result.stdout}\n{result.stderr}\n{log}")
        self.started = True

    def stop(self) -> None:
        binaries = find_binaries()
        if self.started and binaries is not None:
            subprocess.run(
                self._as_owner(binaries[1], "-D", str(self.data), "-m", "immediate", "-w", "stop"),
                capture_output=True, timeout=60, cwd=self.directory,
            )
            self.started = False
        shutil.rmtree(self.directory, ignore_errors=True)
