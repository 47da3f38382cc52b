"""Find the CPython interpreters this project supports, the way nox and tox find them.

First `pythonX.Y` on PATH; a pyenv shim for a version that is installed but not selected fails
to run, so then pyenv itself is asked (`pyenv latest`, `pyenv which` with PYENV_VERSION), which
is what virtualenv's pyenv discovery does. No path is ever hard-coded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

SUPPORTED = ("3.10", "3.11", "3.12", "3.13")
# The floor of the matrix, which `make test` runs too (noxfile.py's floor session).
LOWEST = min(SUPPORTED, key=lambda version: tuple(int(part) for part in version.split(".")))
REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements"

# Pins for interpreters the main constraints file cannot serve (a dozen of its tools need 3.11+).
OLDER_PYTHON_CONSTRAINTS = {"3.10": "constraints-py310.txt"}


def constraints_for(version: str) -> Path:
    return REQUIREMENTS / OLDER_PYTHON_CONSTRAINTS.get(version, "constraints.txt")


def _reports(executable: str, version: str, env: dict[str, str] | None = None) -> str | None:
    """The interpreter's real path if it runs and is CPython `version`, else None."""
    probe = "import sys; print(sys.implementation.name, '%d.%d' % sys.version_info[:2], sys.executable)"
    try:
        done = subprocess.run(
            [executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env, check=False
        )
    except OSError:
        return None
    fields = done.stdout.split(maxsplit=2)
    if done.returncode != 0 or len(fields) != 3 or fields[:2] != ["cpython", version]:
        return None
    return fields[2].strip()


def _from_pyenv(version: str) -> str | None:
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return None
    latest = subprocess.run([pyenv, "latest", version], capture_output=True, text=True, check=False)
    if latest.returncode != 0 or not latest.stdout.strip():
        return None
    env = dict(os.environ, PYENV_VERSION=latest.stdout.strip())
    which = subprocess.run(
        [pyenv, "which", f"python{version}"], capture_output=True, text=True, env=env, check=False
    )
    if which.returncode != 0:
        return None
    return _reports(which.stdout.strip(), version)


def find(version: str) -> str | None:
    on_path = shutil.which(f"python{version}")
    if on_path is not None:
        found = _reports(on_path, version)
        if found is not None:
            return found
    return _from_pyenv(version)


def find_all(versions: tuple[str, ...] = SUPPORTED) -> dict[str, str]:
    """Every supported version found; FASTCOGNITO_PYTHONS="3.11 3.12" narrows the list."""
    wanted = os.environ.get("FASTCOGNITO_PYTHONS", "").split() or list(versions)
    found = {}
    for version in wanted:
        executable = find(version)
        if executable is not None:
            found[version] = executable
    return found


if __name__ == "__main__":
    for version, executable in find_all().items():
        print(version, executable)
    sys.exit(0)
