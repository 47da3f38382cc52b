"""The GitHub Actions workflows: actionlint accepts them, and they build and publish what the
README promises (every platform and CPython of cibuildwheel.toml, the sdist, trusted publishing on
tags only)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"


def actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    assert found is not None, "actionlint is not installed in this environment (requirements/test.in)"
    return found


def lint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [actionlint(), "-no-color", *map(str, paths)], capture_output=True, text=True, timeout=120, check=False
    )


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    document["on"] = document.pop(True)
    return document


@pytest.mark.parametrize("name", ["ci.yml", "wheels.yml"])
def test_actionlint_accepts_the_workflow(name: str) -> None:
    done = lint(WORKFLOWS / name)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ matrix.nothing }}\n"
    )
    done = lint(broken)
    assert done.returncode != 0
    assert "matrix" in done.stdout


def test_wheels_cover_every_platform_from_the_sdist() -> None:
    wheels = load("wheels.yml")["jobs"]["wheels"]
    targets = {(entry["os"].split("-")[0], entry["archs"]) for entry in wheels["strategy"]["matrix"]["include"]}
    assert targets == {
        ("ubuntu", "x86_64"), ("ubuntu", "aarch64"), ("macos", "x86_64"), ("macos", "arm64"),
        ("windows", "AMD64"), ("windows", "ARM64"),
    }
    (build,) = [step for step in wheels["steps"] if str(step.get("uses", "")).startswith("pypa/cibuildwheel@")]
    assert build["with"]["config-file"] == "cibuildwheel.toml"
    assert build["with"]["package-dir"].startswith("dist/")  # built from the sdist, as users' pip would
    assert wheels["needs"] == "sdist"


def test_publishing_is_trusted_and_only_on_tags() -> None:
    document = load("wheels.yml")
    assert document["permissions"] == {"contents": "read"}
    publish = document["jobs"]["publish"]
    assert publish["permissions"] == {"id-token": "write"}
    assert "refs/tags/v" in publish["if"]
    assert set(publish["needs"]) == {"sdist", "wheels"}
    steps = publish["steps"]
    assert any(str(step.get("uses", "")).startswith("pypa/gh-action-pypi-publish@") for step in steps)
    # Trusted publishing: no password or token handed to the action.
    assert not any("password" in step.get("with", {}) for step in steps)


def test_ci_runs_every_supported_python_on_every_os() -> None:
    core = load("ci.yml")["jobs"]["core"]["strategy"]["matrix"]
    assert {"3.10", "3.11", "3.12", "3.13", "3.14", "3.14t"} <= set(core["python"])
    assert {os_name.split("-")[0] for os_name in core["os"]} == {"ubuntu", "macos", "windows"}
