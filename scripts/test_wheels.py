"""`make test-wheels`: every wheel in dist/ installed in a fresh virtual environment of its own
Python, then what cibuildwheel does with each wheel it builds: `test-extras` installed,
`test-command` run from a scratch directory (the core suite). Before that, a probe asserts that the
compiled module of that very wheel is the one in use, not the pure twin and not the checkout.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import pythons

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
CIBUILDWHEEL = tomllib.loads((REPO / "cibuildwheel.toml").read_text())["tool"]["cibuildwheel"]

PROBE = """
import importlib.machinery, json, sys
import fastcognito
from fastcognito import _impl
print(json.dumps({
    "version": "%d.%d" % sys.version_info[:2],
    "package": fastcognito.__file__,
    "extension_active": fastcognito.EXTENSION_ACTIVE,
    "twin": _impl.twin.__name__,
    "twin_file": _impl.twin.__file__,
    "extension_suffixes": importlib.machinery.EXTENSION_SUFFIXES,
}))
"""


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("FASTCOGNITO_", "PYTEST_", "PYTHON"))}


def run(*args: str | os.PathLike[str], cwd: Path | None = None) -> str:
    command = [os.fspath(arg) for arg in args]
    print("+", shlex.join(command), flush=True)
    done = subprocess.run(command, cwd=cwd, env=clean_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-8000:] + done.stderr[-4000:])
        raise SystemExit(f"failed ({done.returncode}): {shlex.join(command)}")
    return done.stdout


def test_wheel(wheel: Path, scratch: Path) -> str:
    match = re.search(r"-cp3(\d+)-cp3\d+t?-", wheel.name)
    if match is None:
        raise SystemExit(f"{wheel.name} is not a CPython wheel")
    version = f"3.{match.group(1)}"
    interpreter = pythons.find(version)
    if interpreter is None:
        raise SystemExit(f"{wheel.name}: no CPython {version} found to test it")
    env_dir = scratch / f"venv-{version}"
    run(interpreter, "-m", "venv", env_dir)
    python = env_dir / "bin" / "python"
    extras = ",".join(CIBUILDWHEEL["test-extras"])
    run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
        "-c", pythons.constraints_for(version), f"fastcognito[{extras}] @ {wheel.as_uri()}")

    workdir = scratch / f"run-{version}"
    workdir.mkdir()
    probe = json.loads(run(python, "-c", PROBE, cwd=workdir))
    problems = []
    if probe["version"] != version:
        problems.append(f"ran on {probe['version']}")
    if not Path(probe["package"]).resolve().is_relative_to(env_dir.resolve()):
        problems.append(f"imported {probe['package']}, not the installed wheel")
    if not (probe["extension_active"] and probe["twin"] == "fastcognito._verify"):
        problems.append(f"the pure twin is in use ({probe['twin']})")
    if not probe["twin_file"].endswith(tuple(probe["extension_suffixes"])):
        problems.append(f"the twin {probe['twin_file']} is not a compiled module")
    if problems:
        raise SystemExit(f"{wheel.name}: " + "; ".join(problems))

    command = shlex.split(CIBUILDWHEEL["test-command"].replace("{project}", os.fspath(REPO)))
    output = run(python, "-m", *command, "-q", "--rootdir", workdir, cwd=workdir)
    summary = output.strip().splitlines()[-1]
    print(f"{wheel.name}: {summary}", flush=True)
    return summary


def main() -> int:
    wheels = sorted((REPO / "dist").glob("fastcognito-*-manylinux*.whl"))
    if not wheels:
        raise SystemExit("no manylinux wheel in dist/: run `make wheels` first")
    results = {}
    with tempfile.TemporaryDirectory(prefix="fastcognito-test-wheels-") as scratch:
        for wheel in wheels:
            results[wheel.name] = test_wheel(wheel, Path(scratch))
    print("\nall wheels passed:")
    for name, summary in results.items():
        print(f"  {name}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
