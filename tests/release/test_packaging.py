"""The package as users get it: sdist, a wheel built from that sdist alone, installed in a fresh
virtual environment, and the suite run against that installation; the sdist's fallback to the pure
twin when nothing can compile; `make test` run from the unpacked sdist on a PATH without flock.
Also cibuildwheel's config and the single-sourced version. What the sdist holds, and the release's
own checks, are in tests/release/test_release.py."""

from __future__ import annotations

import os
import re
import shlex
import shutil
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

REPO = Path(__file__).resolve().parents[2]
# Python 3.10 has its own pins (a dozen of the main file's need 3.11+): scripts/pythons.py.
CONSTRAINTS = REPO / "requirements" / ("constraints-py310.txt" if sys.version_info < (3, 11) else "constraints.txt")
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
    for name in ("PYTHONPATH", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
        env.pop(name, None)
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


def sdist_names(sdist: Path) -> set[str]:
    with tarfile.open(sdist) as archive:
        return {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}


def test_sdist_carries_the_cython_source_and_not_the_generated_c(sdist: Path) -> None:
    names = sdist_names(sdist)
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


def test_version_is_defined_once(sdist: Path, wheel: Path) -> None:
    import fastcognito

    assert "version" not in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?", fastcognito.__version__)
    assert sdist.name == f"fastcognito-{fastcognito.__version__}.tar.gz"
    assert wheel.name.startswith(f"fastcognito-{fastcognito.__version__}-")
    # Its changelog section: tests/release/test_release.py.
    printed = run(Path(sys.executable).with_name("fastcognito"), "--version", env=clean_env())
    assert printed.split() == ["fastcognito", fastcognito.__version__]


def build_from_sdist_without_a_compiler(sdist: Path, out: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    # CC=/bin/false: every compile fails, as on a machine with no C compiler.
    return subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation", "-w", out, sdist],
        env=clean_env(CC="/bin/false", **extra), capture_output=True, text=True, timeout=900,
    )


def test_sdist_falls_back_to_the_pure_twin_without_a_compiler(sdist: Path, tmp_path: Path) -> None:
    done = build_from_sdist_without_a_compiler(sdist, tmp_path)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    (built,) = tmp_path.glob("fastcognito-*.whl")
    assert built.name.endswith("-py3-none-any.whl"), built.name
    with zipfile.ZipFile(built) as archive:
        names = archive.namelist()
    assert "fastcognito/_verify_py.py" in names
    assert not any(name.endswith((".so", ".pyd")) for name in names)
    output = done.stdout + done.stderr
    assert "fastcognito's C extension could not be built" in output
    assert "FASTCOGNITO_NO_EXTENSIONS=1" in output and "FASTCOGNITO_REQUIRE_EXTENSIONS=1" in output


def test_a_packager_can_make_the_failed_compile_fatal(sdist: Path, tmp_path: Path) -> None:
    done = build_from_sdist_without_a_compiler(sdist, tmp_path, FASTCOGNITO_REQUIRE_EXTENSIONS="1")
    assert done.returncode != 0
    assert list(tmp_path.glob("*.whl")) == []
    output = done.stdout + done.stderr
    assert "/bin/false" in output and "ExtensionBuildFailed" in output


def path_without(command: str, scratch: Path) -> str:
    """PATH with every directory that holds `command` replaced by a copy (symlinks) without it."""
    entries = []
    for index, entry in enumerate(os.environ["PATH"].split(os.pathsep)):
        directory = Path(entry)
        if not (directory / command).exists():
            entries.append(entry)
            continue
        shadow = scratch / f"path-{index}"
        shadow.mkdir()
        for item in directory.iterdir():
            if item.name != command:
                (shadow / item.name).symlink_to(item)
        entries.append(str(shadow))
    return os.pathsep.join(entries)


def test_make_test_runs_from_the_unpacked_sdist_without_flock(sdist: Path, tmp_path: Path) -> None:
    """What a packager does with the sdist alone: unpack it and run `make test`, here on a machine
    without util-linux flock (as macOS), and with a bounded slice of the suite.

    The fresh venv reaches the pinned tools of this one through a .pth file, so the Makefile's
    `pip install -r requirements/test.in` finds them satisfied instead of installing a hundred
    packages again; only pytest's entry script is written here, as pip would write it. The package
    itself is compiled and installed into the fresh venv by `make install`."""
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path, filter="data")
    (tree,) = tmp_path.glob("fastcognito-*")
    assert not (tree / ".git").exists()

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip()
    shared = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_relative_to(sys.prefix)]
    Path(site, "_outer_pins.pth").write_text("\n".join(shared) + "\n")
    pytest_script = env_dir / "bin" / "pytest"
    pytest_script.write_text(f"#!{python}\nimport sys\nfrom pytest import console_main\nsys.exit(console_main())\n")
    pytest_script.chmod(0o755)

    scratch = tmp_path / "bin"
    scratch.mkdir()
    env = clean_env(PATH=path_without("flock", scratch))
    assert shutil.which("flock", path=env["PATH"]) is None
    assert shutil.which("make", path=env["PATH"]) is not None
    # ministack's own venv (`make ministack`) is this checkout's: `make test` made it before pytest.
    ministack = [f"MINISTACK_VENV={REPO / '.venv-ministack'}"] if (REPO / ".venv-ministack").is_dir() else []
    output = run(
        "make", "test", f"VENV={env_dir}", f"PYTHON={python}", *ministack,
        "PYTEST_ARGS=-q tests/release/test_extension_build.py tests/core/test_verifier_threads.py"
        " tests/core/test_verify_claims.py",
        cwd=tree, env=env,
    )
    assert "scripts/locked.py" in output
    summary = output.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary) and "failed" not in summary and "error" not in summary, summary
    installed = run(python, "-c", "import fastcognito; print(fastcognito.__file__, fastcognito.EXTENSION_ACTIVE)",
                    cwd=tmp_path, env=env).split()
    assert Path(installed[0]).is_relative_to(env_dir) and installed[1] == "True", installed


def test_cibuildwheel_accepts_the_config() -> None:
    cibuildwheel = Path(sys.executable).with_name("cibuildwheel")
    if sys.version_info < (3, 11):
        # cibuildwheel 3 and later need 3.11: requirements/test.in installs it only there.
        assert not cibuildwheel.exists()
        pytest.skip("cibuildwheel needs Python 3.11+; this check runs on the newer Pythons")
    identifiers = {}
    for platform in ("linux", "macos", "windows"):
        output = run(
            cibuildwheel, "--print-build-identifiers", "--platform", platform,
            "--config-file", REPO / "cibuildwheel.toml", REPO, env=clean_env(), cwd=REPO,
        )
        identifiers[platform] = set(output.split())
    for version in ("cp310", "cp311", "cp312", "cp313", "cp314", "cp314t"):
        assert f"{version}-manylinux_x86_64" in identifiers["linux"]
        assert f"{version}-musllinux_x86_64" in identifiers["linux"]
        assert f"{version}-manylinux_aarch64" in identifiers["linux"]
        assert f"{version}-macosx_arm64" in identifiers["macos"]
        assert f"{version}-win_amd64" in identifiers["windows"]
        assert f"{version}-win_arm64" in identifiers["windows"]
        assert f"{version}-macosx_x86_64" in identifiers["macos"]
        assert f"{version}-musllinux_aarch64" in identifiers["linux"]
    assert not any(ident.startswith(("cp39", "pp")) for ids in identifiers.values() for ident in ids)
