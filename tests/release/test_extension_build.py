"""The installed build prefers the compiled twin, honours FASTCOGNITO_NO_EXTENSIONS, and keeps
Django out of the core (DESIGN.md §1, §2).

Each check runs in a fresh interpreter with its working directory outside the repository, so it
imports the installed package, not the source tree; a silent ``ImportError`` fallback to the
pure twin would otherwise ship a slow wheel unnoticed.
"""

from __future__ import annotations

import ast
import importlib.machinery
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.extension_probe import REFUSE_THE_EXTENSION

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys, sysconfig
import fastcognito
from fastcognito import _impl
print(json.dumps({
    "extension_active": fastcognito.EXTENSION_ACTIVE,
    "impl_extension_active": _impl.EXTENSION_ACTIVE,
    "twin": _impl.twin.__name__,
    "twin_file": _impl.twin.__file__,
    "package_file": fastcognito.__file__,
    "verifier_core": _impl.VerifierCore.__module__,
    "modules": sorted(sys.modules),
    "site_dirs": [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]],
}))
"""


def run_python(tmp_path: Path, code: str, **env_overrides: str | None) -> str:
    """The standard output of ``python -c code`` in ``tmp_path``, away from the checkout, with
    the environment of this run but for ``PYTHONPATH`` and ``FASTCOGNITO_NO_EXTENSIONS`` (set
    again from ``env_overrides``; ``None`` leaves one unset)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("PYTHONPATH", "FASTCOGNITO_NO_EXTENSIONS")
    }
    for name, value in env_overrides.items():
        if value is not None:
            env[name] = value
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_probe(tmp_path: Path, **env_overrides: str | None) -> dict[str, Any]:
    probe: dict[str, Any] = json.loads(run_python(tmp_path, PROBE, **env_overrides))
    # The installed copy, never the checkout.
    package_dir = Path(probe["package_file"]).resolve().parent
    assert package_dir != (REPO / "fastcognito").resolve()
    assert any(package_dir.is_relative_to(Path(site).resolve()) for site in probe["site_dirs"]), package_dir
    return probe


@pytest.mark.slow
def test_c_extension_preferred_by_default(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    probe = run_probe(tmp_path)
    if request.config.getoption("c_extensions"):
        assert probe["extension_active"] is True
        assert probe["impl_extension_active"] is True
        assert probe["twin"] == "fastcognito._verify"
        assert probe["verifier_core"] == "fastcognito._verify"
        assert probe["twin_file"].endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
        assert probe["twin_file"].endswith(".so") or probe["twin_file"].endswith(".pyd")
    else:  # a pure build, tested with --no-c-extensions
        assert probe["extension_active"] is False
        assert probe["twin"] == "fastcognito._verify_py"


@pytest.mark.slow
@pytest.mark.parametrize("value", ["1", "yes", "true"])
def test_no_extensions_selects_the_pure_twin(tmp_path: Path, value: str) -> None:
    probe = run_probe(tmp_path, FASTCOGNITO_NO_EXTENSIONS=value)
    assert probe["extension_active"] is False
    assert probe["impl_extension_active"] is False
    assert probe["twin"] == "fastcognito._verify_py"
    assert probe["verifier_core"] == "fastcognito._verify_py"
    assert probe["twin_file"].endswith(".py")
    assert "fastcognito._verify" not in probe["modules"]


@pytest.mark.slow
@pytest.mark.parametrize("value", ["", "0"])
def test_no_extensions_unset_or_zero_keeps_the_extension(
    tmp_path: Path, value: str, request: pytest.FixtureRequest
) -> None:
    probe = run_probe(tmp_path, FASTCOGNITO_NO_EXTENSIONS=value)
    assert probe["extension_active"] is request.config.getoption("c_extensions")


@pytest.mark.slow
def test_import_fastcognito_does_not_import_django(tmp_path: Path) -> None:
    probe = run_probe(tmp_path)
    heavy = [
        name
        for name in probe["modules"]
        if name.split(".")[0] in ("django", "rest_framework", "drf_spectacular", "boto3", "moto")
        or name.startswith(("fastcognito.django", "fastcognito.drf"))
    ]
    assert heavy == []
    assert "fastcognito.verifier" in probe["modules"]


@pytest.mark.slow
def test_pure_twin_works_end_to_end_in_a_fresh_interpreter(tmp_path: Path) -> None:
    # The twin chosen at import is the one CognitoVerifier uses when no twin is forced.
    code = """
import json
from fastcognito import CognitoVerifier, MalformedTokenError
verifier = CognitoVerifier(
    "eu-west-1_TestPool1", client_id="c", token_use="access",
    jwks={"keys": [{"kty": "RSA", "kid": "k", "n": "%s", "e": "AQAB"}]},
)
try:
    verifier.verify("not.a.token!")
except MalformedTokenError as err:
    print(json.dumps({"module": type(verifier._core).__module__, "code": err.code}))
""" % ("u" + "A" * 340 + "Q")
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    results = {}
    for setting in ("1", "0"):
        env["FASTCOGNITO_NO_EXTENSIONS"] = setting
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        results[setting] = json.loads(done.stdout)
    assert results["1"] == {"module": "fastcognito._verify_py", "code": "malformed"}
    assert results["0"]["code"] == "malformed"
    assert results["0"]["module"] == "fastcognito._verify"


REPORT_THE_TWIN = """
import fastcognito
print(repr((fastcognito.EXTENSION_ACTIVE, fastcognito.EXTENSION_ERROR)))
"""


def extension_state(tmp_path: Path, code: str, **env_overrides: str) -> tuple[bool, str | None]:
    state: tuple[bool, str | None] = ast.literal_eval(run_python(tmp_path, code, **env_overrides).strip())
    return state


@pytest.mark.slow
def test_a_failed_import_of_the_extension_is_recorded(tmp_path: Path) -> None:
    state = extension_state(tmp_path, REFUSE_THE_EXTENSION + REPORT_THE_TWIN)
    if sys.implementation.name == "cpython":
        assert state == (False, "ImportError: fastcognito._verify refused by the test")
    else:  # other interpreters never try the extension: the pure twin is their choice
        assert state == (False, None)


@pytest.mark.slow
def test_the_pure_twin_chosen_on_purpose_records_no_error(tmp_path: Path) -> None:
    assert extension_state(tmp_path, REPORT_THE_TWIN, FASTCOGNITO_NO_EXTENSIONS="1") == (False, None)
    state = extension_state(tmp_path, REFUSE_THE_EXTENSION + REPORT_THE_TWIN, FASTCOGNITO_NO_EXTENSIONS="1")
    assert state == (False, None)


@pytest.mark.slow
def test_the_extension_in_use_records_no_error(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    state = extension_state(tmp_path, REPORT_THE_TWIN)
    if request.config.getoption("c_extensions"):
        assert state == (True, None)
    elif sys.implementation.name == "cpython":  # a pure build: the module is not there
        assert state == (False, "ModuleNotFoundError: No module named 'fastcognito._verify'")
    else:
        assert state == (False, None)


@pytest.mark.slow
def test_a_copy_without_the_compiled_module_names_it(tmp_path: Path) -> None:
    # The trap itself: a copy of the package with no built module first on the path, as a source
    # checkout on PYTHONPATH is. The reason names the missing module, not a circular import.
    import shutil

    import fastcognito

    compiled = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    copy = tmp_path / "fastcognito"
    shutil.copytree(
        Path(fastcognito.__file__).parent, copy, ignore=shutil.ignore_patterns(*(f"*{s}" for s in compiled))
    )
    assert (copy / "_verify_py.py").is_file()
    assert not any(path.name.endswith(compiled) for path in copy.iterdir())
    state = extension_state(tmp_path, REPORT_THE_TWIN, PYTHONPATH=str(tmp_path))
    if sys.implementation.name == "cpython":
        assert state == (False, "ModuleNotFoundError: No module named 'fastcognito._verify'")
    else:
        assert state == (False, None)
