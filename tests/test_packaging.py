"""The package as users get it: sdist, a wheel built from that sdist alone, installed in a fresh
virtual environment, and the suite run against that installation. Also cibuildwheel's config."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import pytest

REPO = Path(__file__).resolve().parent.parent
CONSTRAINTS = REPO / "requirements" / "constraints.txt"
CIBUILDWHEEL = tomllib.loads((REPO / "cibuildwheel.toml").read_text())["tool"]["cibuildwheel"]

pytestmark = pytest.mark.slow


def run(*args: str | os.PathLike[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [os.fspath(arg) for arg in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "FASTCOGNITO_"))}
    env.pop("PYTHONPATH", None)
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sdist")
    # --no-isolation: the pinned setuptools and Cython of .venv, no download at test time.
    run(sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", out, REPO, env=clean_env())
    (archive,) = out.glob("fastcognito-*.tar.gz")
    return archive


@pytest.fixture(scope="module")
def wheel(sdist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", out, sdist,
        env=clean_env(),
    )
    (built,) = out.glob("fastcognito-*.whl")
    return built


def test_sdist_carries_the_cython_source_and_not_the_generated_c(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert "fastcognito/_verify.pyx" in names
    assert "fastcognito/_verify_py.py" in names
    assert "fastcognito/py.typed" in names
    assert "setup.py" in names and "pyproject.toml" in names
    assert "LICENSE" in names
    assert "fastcognito/_verify.c" not in names
    assert not any(name.endswith((".so", ".pyd")) for name in names)


def test_wheel_from_the_sdist_is_compiled_and_carries_types(wheel: Path) -> None:
    assert "-cp3" in wheel.name and not wheel.name.endswith("none-any.whl"), wheel.name
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert any(name.startswith("fastcognito/_verify.") and name.endswith(".so") for name in names), names
    assert "fastcognito/py.typed" in names
    assert "fastcognito/_verify.pyi" in names
    assert "fastcognito/_verify.c" not in names
    assert "fastcognito/_verify.pyx" not in names


def test_no_extensions_builds_a_pure_wheel(sdist: Path, tmp_path: Path) -> None:
    run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", tmp_path, sdist,
        env=clean_env(FASTCOGNITO_NO_EXTENSIONS="1"),
    )
    (built,) = tmp_path.glob("fastcognito-*.whl")
    assert built.name.endswith("-py3-none-any.whl"), built.name
    with zipfile.ZipFile(built) as archive:
        assert not any(name.endswith((".so", ".pyd")) for name in archive.namelist())


def test_suite_passes_against_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    """What cibuildwheel does with each wheel it builds: install it with `test-extras` in a fresh
    environment and run `test-command` outside the source tree."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    extras = ",".join(CIBUILDWHEEL["test-extras"])
    run(python, "-m", "pip", "--disable-pip-version-check", "install", "-q", "-c", CONSTRAINTS,
        f"fastcognito[{extras}] @ {wheel.as_uri()}", env=clean_env())

    workdir = tmp_path / "run"
    workdir.mkdir()
    where = run(python, "-c", "import fastcognito; print(fastcognito.__file__, fastcognito.EXTENSION_ACTIVE)",
                cwd=workdir, env=clean_env())
    location, active = where.split()
    assert Path(location).is_relative_to(env_dir), location
    assert active == "True"

    command = shlex.split(CIBUILDWHEEL["test-command"].replace("{project}", os.fspath(REPO)))
    assert command[0] == "pytest"
    output = run(python, "-m", *command, "-q", "--rootdir", workdir, cwd=workdir, env=clean_env())
    assert " passed" in output and " failed" not in output, output[-2000:]


def test_cibuildwheel_accepts_the_config() -> None:
    cibuildwheel = Path(sys.executable).with_name("cibuildwheel")
    identifiers = {}
    for platform in ("linux", "macos", "windows"):
        output = run(
            cibuildwheel, "--print-build-identifiers", "--platform", platform,
            "--config-file", REPO / "cibuildwheel.toml", REPO, env=clean_env(), cwd=REPO,
        )
        identifiers[platform] = set(output.split())
    for version in ("cp310", "cp311", "cp312", "cp313", "cp314"):
        assert f"{version}-manylinux_x86_64" in identifiers["linux"]
        assert f"{version}-musllinux_x86_64" in identifiers["linux"]
        assert f"{version}-manylinux_aarch64" in identifiers["linux"]
        assert f"{version}-macosx_arm64" in identifiers["macos"]
        assert f"{version}-win_amd64" in identifiers["windows"]
    assert not any(ident.startswith(("cp39", "pp")) for ids in identifiers.values() for ident in ids)
