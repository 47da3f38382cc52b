"""`pip install "fastcognito[bench]"` brings every library the benchmarks import: each pinned
in requirements/bench.in and bench-tools.in, and the benchmark runner, is named in the extra."""

from __future__ import annotations

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _pinned(path: Path) -> set[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return {_name(line) for line in lines if line}


def test_bench_extra_names_every_benchmark_dependency() -> None:
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["bench"]
    named = {_name(requirement) for requirement in extra}
    needed = _pinned(ROOT / "requirements" / "bench.in") | _pinned(ROOT / "requirements" / "bench-tools.in")
    needed |= {"pytest", "pytest-benchmark", "pyjwt", "django", "djangorestframework", "gunicorn"}
    assert needed - named == set()
