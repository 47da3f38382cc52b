"""`make test-all`: the suite on every supported CPython found here x Django 4.2 LTS, 5.2 LTS and the
newest release, with the DRF release that supports each.

Cheap where it can be: the package is compiled once per Python (a wheel cached under .nox/ by a
hash of its sources) and installed into each Django session of that Python; the core suite, which
never imports Django, runs once per Python (in the Django 5.2 session, the one every supported
Python has); the Django and DRF tests run in every session. The tool tests that cibuildwheel's
test command leaves out (packaging, typing, benchmarks, the demo, the workflow lint, long runs)
depend on neither and stay in `make test`.

`nox -l` lists the sessions; `nox -s "tests(3.12-django4.2)"` runs one. `nox` alone runs the matrix.

`floor` is the matrix's lowest corner, the lowest supported Python with the lowest supported Django,
on a short subset of the core and Django tests: `make test` runs it (tests/release/test_matrix_floor.py),
so a change that breaks the oldest supported set-up fails the suite the same day.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nox

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO / "scripts"))
import pythons  # noqa: E402

nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = False
nox.options.sessions = ["tests"]

# Django series -> the exact pins of that leg. DRF 3.18 needs Django 5.2+, so 4.2 gets 3.17.
DJANGO = {
    "4.2": ["Django==4.2.30", "djangorestframework==3.17.2"],
    "5.2": ["Django==5.2.20", "djangorestframework==3.18.3"],
    "6.1": ["Django==6.1.3", "djangorestframework==3.18.3"],
}
# Django 6.0 and later need Python 3.12+.
DJANGO_MIN_PYTHON = {"6.1": (3, 12)}
CORE_SUITE_DJANGO = "5.2"


def _series(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


FLOOR_PYTHON = pythons.LOWEST
FLOOR_DJANGO = min(DJANGO, key=_series)
# The floor's subset, about 30 s: the compiled twin preferred and the hot path on both twins
# (strict parsing, claim checks, parity); DRF, the middleware (sync and async), the system checks
# and the replica on SQLite, whose tests migrate a fresh database.
FLOOR_TESTS = [
    "tests/release/test_extension_build.py", "tests/core/test_verify_malformed.py",
    "tests/core/test_verify_claims.py", "tests/core/test_verify_twin_parity.py",
    "tests/drf/test_authentication.py", "tests/django/test_middleware.py", "tests/django/test_checks.py",
    "tests/django/users/test_sync.py", "-k", "not postgresql",
]
VARYING_PINS = ("django", "djangorestframework")

# What the matrix installs: the package's test extra plus the Django integration's test tools.
TEST_REQUIREMENTS = [
    "pytest", "pytest-httpserver", "pytest-django", "moto[server,cognitoidp]", "boto3",
    "PyJWT[crypto]", "drf-spectacular", "requests", "cryptography",
    # averify under a real ASGI server; the replica's exchange, PostgreSQL and a Redis outage.
    "uvicorn", "djangorestframework-simplejwt", "psycopg[binary]", "redis",
    # The fail-fast tests start the app under gunicorn.
    "gunicorn",
]
# pip too: a session made by uv (the floor) has none, and the wheel is built with `pip wheel`.
BUILD_REQUIREMENTS = ["pip", "setuptools", "Cython", "wheel"]
# The core suite is cibuildwheel's test command: the same ignores (tool tests, long runs), except
# that the Django and DRF tests run here too.
DJANGO_SUITES = ("tests/django", "tests/drf")
CIBUILDWHEEL_TEST_COMMAND = tomllib.loads((REPO / "cibuildwheel.toml").read_text())["tool"]["cibuildwheel"][
    "test-command"
]
CORE_IGNORES = [
    f"--ignore={path}"
    for path in re.findall(r"--ignore=\{project\}/(\S+)", CIBUILDWHEEL_TEST_COMMAND)
    if path not in DJANGO_SUITES
]


def _select_pyenv_versions() -> None:
    """pyenv shims run only the selected versions; select every installed supported one, the
    documented way to let tox or nox see several (`pyenv global 3.12 3.11 ...`)."""
    pyenv = shutil.which("pyenv")
    if pyenv is None or "PYENV_VERSION" in os.environ:
        return
    selected = []
    for version in pythons.SUPPORTED:
        latest = subprocess.run([pyenv, "latest", version], capture_output=True, text=True, check=False)
        if latest.returncode == 0 and latest.stdout.strip():
            selected.append(latest.stdout.strip())
    if selected:
        os.environ["PYENV_VERSION"] = ":".join(selected)


_select_pyenv_versions()


def _combinations() -> list[nox.Param]:
    combos = []
    for python in pythons.SUPPORTED:
        major, minor = (int(part) for part in python.split("."))
        for django in DJANGO:
            if (major, minor) >= DJANGO_MIN_PYTHON.get(django, (0, 0)):
                combos.append(nox.param(python, django, id=f"{python}-django{django}"))
    return combos


def _constraints(session: nox.Session, python: str) -> Path:
    """The project's pins for this Python, without the ones this Django leg sets itself."""
    source = pythons.constraints_for(python)
    kept = [
        line for line in source.read_text().splitlines()
        if line.split("==")[0].strip().lower() not in VARYING_PINS
    ]
    target = Path(session.create_tmp()) / "constraints.txt"
    target.write_text("\n".join(kept) + "\n")
    return target


def _sources_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted([REPO / "setup.py", REPO / "pyproject.toml", *(REPO / "fastcognito").rglob("*")]):
        if path.is_file() and path.suffix in (".py", ".pyx", ".pyi", ".toml", ".typed"):
            digest.update(path.relative_to(REPO).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _wheel(session: nox.Session, python: str, constraints: Path) -> Path:
    """This Python's compiled wheel, built once per source state and shared by its sessions."""
    cache = REPO / ".nox" / "_wheels" / f"{python}-{_sources_digest()}"
    built = sorted(cache.glob("fastcognito-*.whl"))
    if built:
        return built[0]
    session.install("-c", str(constraints), *BUILD_REQUIREMENTS)
    session.run(
        "python", "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(cache), str(REPO),
        env={"FASTCOGNITO_REQUIRE_EXTENSIONS": "1"},
    )
    (wheel,) = cache.glob("fastcognito-*.whl")
    return wheel


def _install(session: nox.Session, django: str) -> None:
    """The pinned test tools, this leg's Django and DRF, and the compiled wheel of this Python."""
    python = str(session.python)
    constraints = _constraints(session, python)
    wheel = _wheel(session, python, constraints)
    session.install("-c", str(constraints), *TEST_REQUIREMENTS, *DJANGO[django])
    session.install("--no-deps", "--force-reinstall", str(wheel))
    # -I: not the checkout in the working directory, the installed wheel.
    session.run(
        "python", "-I", "-c",
        "import fastcognito, sys; sys.exit(0 if fastcognito.EXTENSION_ACTIVE else 'the extension is not in use')",
    )
    series = f"django.__version__.startswith('{django}.')"
    session.run("python", "-I", "-c", f"import django, sys; sys.exit(0 if {series} else django.__version__)")


def _pytest(session: nox.Session, *targets: str) -> None:
    # From the repository root, so pyproject.toml's pytest settings (warnings as errors) apply;
    # the package itself is imported from the session's site-packages, not from the checkout
    # (tests/release/test_extension_build.py asserts it).
    session.run("pytest", "-q", "-p", "no:cacheprovider", *targets, *session.posargs)


@nox.session
@nox.parametrize(["python", "django"], _combinations())
def tests(session: nox.Session, django: str) -> None:
    _install(session, django)
    if django == CORE_SUITE_DJANGO:
        _pytest(session, "tests", *CORE_IGNORES)
    else:
        _pytest(session, *DJANGO_SUITES)


# uv (pinned in requirements/release.in) makes the environment: a minute of pip becomes seconds,
# which keeps the floor within its time in `make test`.
@nox.session(python=FLOOR_PYTHON, venv_backend="uv")
def floor(session: nox.Session) -> None:
    _install(session, FLOOR_DJANGO)
    # What ran, for tests/release/test_matrix_floor.py to check.
    ran = "'floor: Python %d.%d, Django %s' % (*sys.version_info[:2], django.__version__)"
    session.run("python", "-I", "-c", f"import sys, django; print({ran})")
    _pytest(session, *FLOOR_TESTS)
