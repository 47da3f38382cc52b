"""The pure twin across interpreters (benchmarks/pure_twin.py, `make bench-pure`) in a short run:
each interpreter gets every figure, its build and the fastcognito of this tree, the venv it makes
holds the core's dependencies at their pins and nothing else, and the figures are saved with the
machine and its load. Nothing about time is asserted."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_TWIN = ROOT / "benchmarks" / "pure_twin.py"
FIGURES = (
    "pure floor, cold, 1 kB",
    "pure twin, cold, 1 kB",
    "pure floor, cold, 5 kB",
    "pure twin, cold, 5 kB",
)


def _pure_twin_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pure_twin_under_test", PURE_TWIN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(*arguments: str, environ: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", str(PURE_TWIN), *arguments],
        capture_output=True,
        text=True,
        env=environ,
        check=False,
        timeout=600,
    )


@pytest.mark.slow
def test_each_interpreter_gets_every_figure_and_its_build(tmp_path: Path) -> None:
    saved = tmp_path / "pure-twin.json"
    done = _run(
        "--rounds", "2", "--only-given", "--no-venv", "--python", sys.executable, "--json", str(saved)
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(saved.read_text(encoding="utf-8"))

    (run,) = result["runs"]
    found = run["interpreter"]
    assert found["python"] == "cpython " + ".".join(map(str, sys.version_info[:3]))
    assert found["executable"] == os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    assert found["libpython"] in ("shared", "static")
    assert set(found["configure options"]) <= {"--enable-optimizations", "--with-lto"}
    assert found["cryptography"] == __import__("cryptography").__version__
    assert tuple(run["figures"]) == FIGURES
    for figure in run["figures"].values():
        assert 0 < figure["q1"] <= figure["median"] <= figure["q3"]

    assert result["rounds"] == 2
    machine = result["machine"]
    assert machine["cpus"] == os.cpu_count()
    assert machine["processor"] and machine["processor"] != "unknown"
    assert len(machine["load average at start"]) == len(machine["load average at end"]) == 3

    header, rule, row = done.stdout.splitlines()[:3]
    assert header == "| Python | executable | configure | libpython | " + " | ".join(FIGURES) + " |"
    assert rule == "|---|---|---|---|" + "---:|" * len(FIGURES)
    assert row.startswith(f"| {found['python']} | {found['executable']} | ")
    assert f"processor: {machine['processor']}" in done.stdout
    assert done.stdout.rstrip().endswith(f"saved {saved}")


@pytest.mark.slow
def test_the_figures_come_from_this_tree_or_not_at_all() -> None:
    # .venv has fastcognito installed: without this tree first on the path, the child would time
    # the installed copy, which may be another commit's.
    environ = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    done = _run("--child", "--rounds", "1", environ=environ)
    installed = importlib.util.find_spec("fastcognito")
    assert installed is not None and installed.origin is not None
    if Path(installed.origin).resolve().parent == ROOT / "fastcognito":
        pytest.fail("this test needs fastcognito installed, not imported from the tree (make install)")
    assert done.returncode != 0
    assert "not from this tree" in done.stderr


def test_rounds_below_one_are_refused() -> None:
    done = _run("--rounds", "0", "--only-given", "--no-venv", "--python", sys.executable)
    assert done.returncode == 2
    assert "--rounds must be at least 1" in done.stderr


def test_an_interpreter_that_does_not_exist_is_skipped_and_named(tmp_path: Path) -> None:
    missing = tmp_path / "python9.9"
    done = _run("--rounds", "1", "--only-given", "--no-venv", "--python", str(missing))
    assert done.returncode == 1
    assert f"skipped {missing}: not an executable" in done.stderr
    assert "no interpreter found" in done.stderr


@pytest.mark.slow
def test_the_venv_holds_the_core_dependencies_at_their_pins_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The module puts benchmarks/ and scripts/ on sys.path; the test's own copy is dropped after it.
    monkeypatch.setattr(sys, "path", list(sys.path))
    pure_twin = _pure_twin_module()
    monkeypatch.setattr(pure_twin, "VENVS", tmp_path / "venvs")
    import pythons

    base = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    python = pure_twin.core_venv(base)
    assert python.parent.parent.parent == tmp_path / "venvs"

    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format", "json"], capture_output=True, text=True, check=True
    )
    installed = {entry["name"].lower(): entry["version"] for entry in json.loads(listed.stdout)}
    pins = {}
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for line in pythons.constraints_for(version).read_text(encoding="utf-8").splitlines():
        name, _, pinned = line.partition("==")
        if pinned and not line.startswith("#"):
            pins[name.strip().lower()] = pinned.split(";")[0].strip()
    for dependency in pure_twin.CORE_DEPENDENCIES:
        assert installed[dependency] == pins[dependency]
    assert "django" not in installed and "fastcognito" not in installed

    # Made once: a second call finds it whole and installs nothing.
    marker = python.parent.parent / ".complete"
    before = marker.stat().st_mtime_ns
    assert pure_twin.core_venv(base) == python
    assert marker.stat().st_mtime_ns == before
