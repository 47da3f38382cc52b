"""Run a command while holding an exclusive lock on a file: `python scripts/locked.py LOCKFILE CMD...`.

The Makefile serialises concurrent `make install` runs into one virtual environment with this
instead of util-linux `flock`, which macOS and the BSDs do not ship. fcntl.flock is in every POSIX
Python; the lock is released when the process exits, however it exits.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        sys.stderr.write("usage: locked.py LOCKFILE COMMAND [ARG...]\n")
        return 2
    lock_path, command = argv[0], argv[1:]
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
