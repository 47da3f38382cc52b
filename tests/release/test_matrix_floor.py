"""The floor of the matrix, in `make test`: nox's `floor` session (noxfile.py) builds the extension for
the lowest supported Python, installs it with the lowest supported Django and the project's pins
for that Python, and runs a short subset of the core and Django tests, about a minute. `make
test-all` runs the whole matrix; this keeps its oldest corner from rotting between two such runs.

The interpreter is found as `make wheels` and nox find them (`pythonX.Y` on PATH, then pyenv).
When there is none the test fails and says how to install one: a missing leg is not a pass.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import pythons  # noqa: E402

REMEDY = """no CPython {version} found (python{version} on PATH, or a pyenv version): the floor of
the matrix (`nox -s floor`: Python {version} with the lowest supported Django) cannot run, and
`make test` does not pass without it. Install CPython {version} with its headers, then run
`make test` again. One of:
  pyenv install {version}
  .venv/bin/uv python install {version}    (then put ~/.local/bin, where it links python{version}, on PATH)
  sudo apt-get install python{version}-dev python{version}-venv    (Ubuntu 22.04; deadsnakes on later ones)
In GitHub Actions, add "{version}" to actions/setup-python's python-version. pyenv and uv download
CPython from python.org and GitHub: a machine that reaches only the package registries needs an
image that already has CPython {version} (this project's machines have it under pyenv)."""


def clean_env() -> dict[str, str]:
    env = {
        name: value for name, value in os.environ.items()
        if not name.startswith(("PYTEST_", "FASTCOGNITO_", "DJANGO_", "NOX_"))
        and name not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    # nox finds uv beside itself, in this environment.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


@pytest.mark.slow
def test_the_lowest_python_with_the_lowest_django() -> None:
    version = pythons.LOWEST
    if pythons.find(version) is None:
        pytest.fail(REMEDY.format(version=version), pytrace=False)
    done = subprocess.run(
        [
            sys.executable, "-m", "nox", "-f", str(REPO / "noxfile.py"), "-s", "floor",
            "--error-on-missing-interpreters", "--download-python", "never", "--nocolor",
        ],
        cwd=REPO, env=clean_env(), capture_output=True, text=True, timeout=900, check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    ran = rf"^floor: Python {re.escape(version)}, Django \d+\.\d+\.\d+$"
    assert re.search(ran, output, flags=re.MULTILINE), output[-3000:]
    summary = re.search(r"^(\d+) passed(?:, \d+ deselected)? in ", output, flags=re.MULTILINE)
    assert summary and int(summary.group(1)) >= 100, output[-3000:]
    assert "Session floor was successful" in output
