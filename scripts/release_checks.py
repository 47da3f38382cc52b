"""What a release checks in its sdist and wheels, written once: `make wheels`
(scripts/build_wheels.py) runs these on every wheel it builds, and the release slice of `make test`
(tests/release/test_release.py) on the wheel it builds for the running Python, so a change that would stop a
release fails the suite the same day.

Each check raises ReleaseCheckFailed with the tool's own output.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "fastcognito"
# Django migrations are modules whose names start with a digit: check-wheel-contents reports them
# as W004, which pyproject.toml ignores for the whole wheel (the tool has no per-file ignore), so
# this pattern is the only place such a module may be.
MIGRATION = re.compile(r"(?:.+/)?migrations/\d{4}_\w+\.py")
# What the wheel's .dist-info holds, and nothing else.
DIST_INFO_FILES = {"METADATA", "WHEEL", "RECORD", "entry_points.txt", "top_level.txt", "licenses/LICENSE"}
# Sources the wheel does not carry (pyproject.toml, exclude-package-data): the sdist does.
NOT_IN_WHEEL = (".pyx", ".c")
# What a checkout holds that is not the project: left out of the copy the release is built from.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv*", ".nox", ".bench", ".benchmarks", "build", "dist", "*.egg-info", "__pycache__",
    "node_modules", "*.so", "*.pyd", "_verify.c", "_verify.html", "*.sqlite3",
)


class ReleaseCheckFailed(Exception):
    pass


def _run(command: list[str | os.PathLike[str]], env: Mapping[str, str] | None = None) -> str:
    args = [os.fspath(arg) for arg in command]
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600, check=False)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise ReleaseCheckFailed(f"failed ({done.returncode}): {shlex.join(args)}\n{output[-6000:]}")
    return output


def copy_sources(tree: Path, target: Path) -> Path:
    """The project's files without what builds and runs leave behind: in a git checkout, what git
    tracks or would track (tracked, or untracked and not ignored); elsewhere (an unpacked sdist)
    the tree without build products."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=tree, capture_output=True, text=True, check=False,
    )
    if listed.returncode == 0 and (tree / ".git").exists():
        for name in filter(None, listed.stdout.split("\0")):
            source = tree / name
            if source.is_file():  # a tracked file deleted in the working tree is not a source
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)
    else:
        shutil.copytree(tree, target, ignore=NOT_SOURCES, dirs_exist_ok=True)
    return target


def check_wheel_contents(python: str | os.PathLike[str], wheels: Iterable[Path], config: Path) -> str:
    """check-wheel-contents with the project's configuration, then the one thing its ignored W004
    no longer covers: a module at a path Python cannot import is a migration, or an error."""
    wheels = list(wheels)
    output = _run([python, "-m", "check_wheel_contents", "--config", config, *wheels])
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
        odd = [name for name in names if _not_importable(name) and not MIGRATION.fullmatch(name)]
        if odd:
            raise ReleaseCheckFailed(f"{wheel.name}: modules at paths Python cannot import: {odd}")
    return output


def _not_importable(name: str) -> bool:
    if not name.endswith(".py") or ".dist-info/" in name or ".data/" in name:
        return False
    parts = name[: -len(".py")].split("/")
    return not all(part.isidentifier() for part in parts)


def twine_check(python: str | os.PathLike[str], files: Iterable[Path]) -> str:
    return _run([python, "-m", "twine", "check", "--strict", *files])


def auditwheel_show(
    python: str | os.PathLike[str], wheel: Path, platform: str, env: Mapping[str, str] | None = None
) -> str:
    """`auditwheel show` must find the wheel consistent with `platform` (e.g.
    manylinux_2_17_x86_64), needing no library outside the manylinux set, and using no glibc
    symbol newer than the platform's glibc. Returns the one-line summary."""
    report = " ".join(_run([python, "-m", "auditwheel", "show", wheel], env=env).split())
    if f'consistent with the following platform tag: "{platform}"' not in report:
        raise ReleaseCheckFailed(f"{wheel.name}: auditwheel does not report {platform}:\n{report}")
    # Only libc and friends, which every manylinux system provides, may be linked; anything else
    # would be listed as an external library to graft into the wheel.
    if "external shared libraries are required" in report or "repair" in report:
        raise ReleaseCheckFailed(f"{wheel.name}: the wheel needs external shared libraries:\n{report}")
    glibc = [tuple(map(int, found)) for found in re.findall(r"GLIBC_(\d+)\.(\d+)", report)]
    policy = re.match(r"manylinux_(\d+)_(\d+)_", platform)
    if policy is None:
        raise ValueError(f"not a manylinux platform tag: {platform}")
    allowed = (int(policy.group(1)), int(policy.group(2)))
    if not glibc or max(glibc) > allowed:
        raise ReleaseCheckFailed(f"{wheel.name}: glibc symbols newer than {platform} allows:\n{report}")
    newest = ".".join(map(str, max(glibc)))
    return f"{wheel.name} is {platform}, newest glibc symbol {newest}, no external libraries"


def expected_package_files(tree: Path) -> set[str]:
    """Every file of the package in the source tree, as the wheel must hold it: all of it but the
    Cython source. In a git checkout, the files git does not ignore (no build products); elsewhere
    (an unpacked sdist, a clean copy) every file."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", PACKAGE],
        cwd=tree, capture_output=True, text=True, check=False,
    )
    if listed.returncode == 0 and (tree / ".git").exists():
        files = [tree / name for name in listed.stdout.split("\0") if name]
    else:
        files = list((tree / PACKAGE).rglob("*"))
    return {
        path.relative_to(tree).as_posix()
        for path in files
        if path.is_file() and "__pycache__" not in path.parts and not path.name.endswith(NOT_IN_WHEEL)
    }


def wheel_surprises(wheel: Path, tree: Path) -> list[str]:
    """What is wrong with the wheel's file list against the clean source tree: a package file
    missing (a subpackage left out of pyproject.toml's list), anything unexpected (a generated .c,
    the .pyx, tests, a stray top-level name), or not exactly one compiled module."""
    with zipfile.ZipFile(wheel) as archive:
        names = {name for name in archive.namelist() if not name.endswith("/")}
    compiled = {name for name in names if re.fullmatch(rf"{PACKAGE}/_verify\.[\w.-]+\.(so|pyd)", name)}
    dist_info = {name for name in names if name.split("/")[0].endswith(".dist-info")}
    package = names - compiled - dist_info
    expected = expected_package_files(tree)
    problems = []
    if len(compiled) != 1:
        problems.append(f"compiled modules: {sorted(compiled)} (expected exactly one)")
    if expected - package:
        problems.append(f"missing: {sorted(expected - package)}")
    if package - expected:
        problems.append(f"unexpected: {sorted(package - expected)}")
    extra_meta = {name.split("/", 1)[1] for name in dist_info} - DIST_INFO_FILES
    if extra_meta or len({name.split("/")[0] for name in dist_info}) != 1:
        problems.append(f"unexpected metadata: {sorted(dist_info)}")
    return problems
