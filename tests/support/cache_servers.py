"""Real Redis and Memcached servers for the security tests, on 127.0.0.1, started and stopped by
the tests themselves (Debian's ``redis-server`` and ``memcached``; ``make test`` installs them).

Each server can fail in the middle of a test as production servers do: ``stop()`` (the process
is gone: connection refused), ``pause()``/``resume()`` (SIGSTOP: it accepts nothing and answers
nothing, a hung server), ``restart()`` (back, and empty), and ``fill()`` (Redis out of memory
under a chosen eviction policy; Memcached with a small memory limit evicts on its own).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["MemcachedServer", "RedisServer", "free_port", "missing_servers"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def missing_servers() -> list[str]:
    """The server binaries that are not installed (``make test`` installs them)."""
    return [name for name in ("redis-server", "memcached") if shutil.which(name) is None]


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise OSError(f"the server exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise OSError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class _Server:
    """One server process on a fixed port (kept across restarts, so clients reconnect)."""

    binary = ""

    def __init__(self) -> None:
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix=f"fc-{self.binary}-"))
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        path = shutil.which(self.binary)
        if path is None:
            raise OSError(f"{self.binary} is not installed: run `make test`, which installs it")
        self.process = subprocess.Popen(
            [path, *self.command()], cwd=self.directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_for_port(self.port, self.process)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)  # a paused server cannot act on SIGTERM
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def pause(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Any:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class RedisServer(_Server):
    """``redis-server`` on 127.0.0.1, no protected-mode surprises; no persistence unless
    ``appendonly`` (then a ``stop()`` and ``start()`` keep what it held, as production's should)."""

    binary = "redis-server"

    def __init__(self, *, maxmemory: str = "0", policy: str = "noeviction", appendonly: bool = False) -> None:
        super().__init__()
        self.maxmemory = maxmemory
        self.policy = policy
        self.appendonly = appendonly

    def command(self) -> list[str]:
        return [
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--dir", str(self.directory),
            "--maxmemory", self.maxmemory,
            "--maxmemory-policy", self.policy,
        ]  # fmt: skip

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def cache_settings(self, **options: Any) -> dict[str, Any]:
        """A ``CACHES`` entry for Django's own Redis backend, with timeouts a test can wait out."""
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": self.url,
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5, **options},
        }

    def client(self) -> Any:
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def fill(self, maxmemory: str, policy: str) -> None:
        """Set a memory limit and an eviction policy while running (``CONFIG SET``)."""
        with self.client() as client:
            client.config_set("maxmemory-policy", policy)
            client.config_set("maxmemory", maxmemory)


class MemcachedServer(_Server):
    """``memcached`` on 127.0.0.1 only (TCP, no UDP), ``memory_mb`` of memory."""

    binary = "memcached"

    def __init__(self, *, memory_mb: int = 64) -> None:
        super().__init__()
        self.memory_mb = memory_mb

    def command(self) -> list[str]:
        args = ["-l", "127.0.0.1", "-p", str(self.port), "-U", "0", "-m", str(self.memory_mb)]
        if os.geteuid() == 0:
            args += ["-u", "nobody"]  # memcached refuses to run as root without -u
        return args

    @property
    def location(self) -> str:
        return f"127.0.0.1:{self.port}"

    def cache_settings(self, **options: Any) -> dict[str, Any]:
        """A ``CACHES`` entry for Django's pymemcache backend, with Django's own defaults
        otherwise (its ``HashClient``, retries and dead-server window included)."""
        return {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": self.location,
            "OPTIONS": {"connect_timeout": 0.5, "timeout": 0.5, **options},
        }
