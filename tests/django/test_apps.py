"""Fail fast: invalid settings stop start-up under real servers and management commands, the JWKS
is prefetched only by processes that serve, and the classes refuse to run without the app.

The servers and commands are real processes (gunicorn, ``python -m django``) on 127.0.0.1, running
the small project in ``startup_project/``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.apps import apps
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from fastcognito.django.apps import running_command_argv, serves_requests, startup_errors
from fastcognito.django.conf import fastcognito_settings
from tests.support import CLIENT_ID, POOL_ID
from tests.support.extension_probe import REFUSE_THE_EXTENSION
from tests.support.openssl_policy import refusing_openssl_env

PROJECT = Path(__file__).resolve().parents[1] / "support" / "django" / "startup_project"
VALID = {"USER_POOL_ID": POOL_ID, "CLIENT_ID": CLIENT_ID}
# Two mistakes a new user makes: a key in the wrong case, and no CLIENT_ID.
INVALID = {"USER_POOL_ID": POOL_ID, "client_id": CLIENT_ID}


def expected_check_lines(fastcognito: dict[str, Any]) -> list[str]:
    """What ``manage.py check`` prints for these settings, one entry per error."""
    with override_settings(FASTCOGNITO=fastcognito):
        return [str(message) for message in checks.run_checks(tags=["fastcognito"])]


def project_env(fastcognito: dict[str, Any], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AWS_COGNITO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="startup_settings",
        PYTHONPATH=str(PROJECT),
        STARTUP_FASTCOGNITO=json.dumps(fastcognito),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def gunicorn(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    """gunicorn on 127.0.0.1 with one worker; yields (process, base URL, log file)."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
             "--graceful-timeout", "2", "--no-control-socket", "--chdir", str(PROJECT), "startup_wsgi:application"],
            cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield process, f"http://127.0.0.1:{port}", log
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def wait_ready(process: subprocess.Popen[bytes], base_url: str, timeout: float = 30) -> int | None:
    """The status of /healthz/ once the server answers, None if it exited first."""
    deadline = time.monotonic() + timeout
    with requests.Session() as http:
        http.trust_env = False
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return None
            with contextlib.suppress(requests.ConnectionError, requests.Timeout):
                return http.get(f"{base_url}/healthz/", timeout=1).status_code
            time.sleep(0.1)
    raise AssertionError("gunicorn neither served nor exited")


def django_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60
    )


# --- real processes ---------------------------------------------------------------------------


@pytest.mark.slow
def test_gunicorn_refuses_to_start_with_invalid_settings(tmp_path: Path) -> None:
    with gunicorn(project_env(INVALID), tmp_path) as (process, base_url, log):
        assert wait_ready(process, base_url) is None
        process.wait(timeout=30)
    output = log.read_text()
    assert process.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured: FASTCOGNITO is invalid" in output
    lines = expected_check_lines(INVALID)
    assert [line.split(")")[0] for line in lines] == ["FASTCOGNITO: (fastcognito.E002", "FASTCOGNITO: (fastcognito.E005"]
    for line in lines:
        assert line in output
    assert "Did you mean 'CLIENT_ID'?" in output


@pytest.mark.slow
def test_a_management_command_refuses_to_run_with_invalid_settings() -> None:
    result = django_command("migrate", "--noinput", env=project_env(INVALID))
    assert result.returncode == 1
    assert "ImproperlyConfigured: FASTCOGNITO is invalid" in result.stderr
    for line in expected_check_lines(INVALID):
        assert line in result.stderr


@pytest.mark.slow
def test_check_and_help_still_run_on_invalid_settings() -> None:
    # `check` gives its usual report of the same errors; `help` and `diffsettings` help find them.
    result = django_command("check", env=project_env(INVALID))
    assert result.returncode == 1
    assert "SystemCheckError: System check identified some issues" in result.stderr
    assert "ImproperlyConfigured" not in result.stderr
    for line in expected_check_lines(INVALID):
        assert line in result.stderr
    assert django_command("diffsettings", env=project_env(INVALID)).returncode == 0
    assert django_command("help", env=project_env(INVALID)).returncode == 0


@pytest.mark.slow
def test_an_openssl_that_refuses_rsa_stops_start_up(tmp_path: Path) -> None:
    # A real OpenSSL configuration (no mock) under which no RS256 check can be made: `check`
    # reports E021, and every other command, servers included (the same ready()), stops.
    env = refusing_openssl_env(tmp_path, project_env(VALID))
    result = django_command("check", env=env)
    assert result.returncode == 1
    assert "FASTCOGNITO: (fastcognito.E021) cryptography " in result.stderr
    assert "recover_data_from_signature: InternalError:" in result.stderr
    assert "fastcognito.E017" not in result.stderr
    result = django_command("migrate", "--noinput", env=env)
    assert result.returncode == 1
    assert "ImproperlyConfigured: FASTCOGNITO is invalid" in result.stderr
    assert "(fastcognito.E021)" in result.stderr
    assert django_command("check", env=project_env(VALID)).returncode == 0


@pytest.mark.slow
def test_gunicorn_prefetches_and_management_commands_do_not(httpserver: Any, jwks_document: Any, tmp_path: Path) -> None:
    httpserver.expect_request("/jwks.json").respond_with_json(jwks_document)
    settings = {**VALID, "JWKS_URL": httpserver.url_for("/jwks.json"), "PREFETCH_JWKS": True}

    for command in (["migrate", "--noinput"], ["check"]):
        result = django_command(*command, env=project_env(settings))
        assert result.returncode == 0, result.stderr
    assert len(httpserver.log) == 0

    with gunicorn(project_env(settings), tmp_path) as (process, base_url, log):
        assert wait_ready(process, base_url) == 200, log.read_text()
        # Fetched at start-up, before the first request reached the app.
        assert len(httpserver.log) == 1
        assert "fastcognito prefetched the JWKS of http://127.0.0.1" in log.read_text()


@pytest.mark.slow
def test_a_fatal_prefetch_stops_gunicorn(closed_port_url: str, tmp_path: Path) -> None:
    settings = {**VALID, "JWKS_URL": closed_port_url, "PREFETCH_JWKS": True, "PREFETCH_JWKS_FATAL": True}
    with gunicorn(project_env(settings), tmp_path) as (process, base_url, log):
        assert wait_ready(process, base_url) is None
        process.wait(timeout=30)
    output = log.read_text()
    assert "ImproperlyConfigured: fastcognito could not prefetch the JWKS (jwks_unavailable)" in output
    assert "PREFETCH_JWKS_FATAL" in output
    # Without the option the same outage only warns, and the server starts.
    del settings["PREFETCH_JWKS_FATAL"]
    with gunicorn(project_env(settings), tmp_path) as (process, base_url, log):
        assert wait_ready(process, base_url) == 200, log.read_text()
        assert "could not prefetch the JWKS (jwks_unavailable)" in log.read_text()


@pytest.mark.slow
def test_without_the_app_the_first_request_fails_loudly(tmp_path: Path, tokens: Any) -> None:
    # The settings are invalid, and nothing could say so at start-up: the app is not installed.
    with gunicorn(project_env(INVALID, STARTUP_WITHOUT_APP="1"), tmp_path) as (process, base_url, log):
        # The plain view behind the middleware fails too, with or without a token.
        assert wait_ready(process, base_url) == 500, log.read_text()
        with requests.Session() as http:
            http.trust_env = False
            answer = http.get(f"{base_url}/drf/whoami/", headers={"Authorization": f"Bearer {tokens.access()}"})
        assert answer.status_code == 500
    output = log.read_text()
    assert "ImproperlyConfigured: fastcognito's authentication class and middleware need " in output
    assert "'fastcognito.django' in INSTALLED_APPS" in output


@pytest.mark.slow
def test_an_asgi_application_refuses_to_load_with_invalid_settings() -> None:
    # What uvicorn, daphne and hypercorn do first: build the ASGI application.
    code = "from django.core.asgi import get_asgi_application; get_asgi_application()"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=project_env(INVALID), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "ImproperlyConfigured: FASTCOGNITO is invalid" in result.stderr


@pytest.mark.slow
def test_runserver_prefetches_once_in_its_serving_child(httpserver: Any, jwks_document: Any, tmp_path: Path) -> None:
    httpserver.expect_request("/jwks.json").respond_with_json(jwks_document)
    settings = {**VALID, "JWKS_URL": httpserver.url_for("/jwks.json"), "PREFETCH_JWKS": True}
    port = free_port()
    log = tmp_path / "runserver.log"
    with open(log, "wb") as out:
        # With the autoreloader: a parent process that only watches files, and a child that serves.
        process = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--skip-checks"],
            cwd=PROJECT, env=project_env(settings), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        assert wait_ready(process, f"http://127.0.0.1:{port}") == 200, log.read_text()
        assert len(httpserver.log) == 1
    finally:
        # The group holds the parent and its serving child, and nothing else.
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


# --- in process -------------------------------------------------------------------------------


def test_ready_raises_the_check_messages() -> None:
    config = apps.get_app_config("fastcognito")
    with override_settings(FASTCOGNITO=INVALID):
        with pytest.raises(ImproperlyConfigured) as caught:
            config.ready()
        assert str(caught.value).splitlines()[1:] == "\n".join(startup_errors()).splitlines()
    config.ready()  # the project's settings are valid


def test_silenced_checks_do_not_stop_start_up() -> None:
    settings = {**VALID, "COOKIE_NAME": "access_token"}
    without_csrf = ["django.contrib.auth.middleware.AuthenticationMiddleware"]
    with override_settings(FASTCOGNITO=settings, MIDDLEWARE=without_csrf):
        assert any("fastcognito.E010" in line for line in startup_errors())
        with override_settings(SILENCED_SYSTEM_CHECKS=["fastcognito.E010"]):
            assert startup_errors() == []
            apps.get_app_config("fastcognito").ready()


def test_ready_builds_the_verifier_without_fetching(fastcognito_config: Any, httpserver: Any) -> None:
    apps.get_app_config("fastcognito").ready()
    assert fastcognito_settings._verifier is not None
    assert len(httpserver.log) == 0


@pytest.mark.parametrize(
    ("argv", "serves"),
    [
        (None, True),
        (("manage.py", "migrate"), False),
        (("manage.py", "collectstatic", "--noinput"), False),
        (("manage.py", "check", "--deploy"), False),
        (("manage.py",), False),
        (("manage.py", "runserver", "--noreload"), True),
        (("manage.py", "testserver", "fixture.json"), True),
    ],
)
def test_which_processes_serve(argv: tuple[str, ...] | None, serves: bool) -> None:
    assert serves_requests(argv) is serves


def test_runserver_prefetches_in_the_child_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.utils.autoreload import DJANGO_AUTORELOAD_ENV

    monkeypatch.delenv(DJANGO_AUTORELOAD_ENV, raising=False)
    assert serves_requests(("manage.py", "runserver")) is False  # the reloader's parent
    monkeypatch.setenv(DJANGO_AUTORELOAD_ENV, "true")
    assert serves_requests(("manage.py", "runserver")) is True


def test_no_management_command_under_pytest() -> None:
    assert running_command_argv() is None


def test_the_running_management_command_is_found() -> None:
    from django.core.management import ManagementUtility

    seen: list[Any] = []

    class Probe(ManagementUtility):
        def fetch_command(self, subcommand: str) -> Any:
            seen.append(running_command_argv())
            raise SystemExit(0)

    with pytest.raises(SystemExit):
        Probe(["manage.py", "migrate", "--noinput"]).execute()
    assert seen == [("manage.py", "migrate", "--noinput")]


@pytest.mark.parametrize("path", ["/drf/whoami/", "/plain/whoami/"])
def test_without_the_app_a_request_is_improperly_configured(client: Any, path: str) -> None:
    from django.conf import settings

    installed = [app for app in settings.INSTALLED_APPS if app != "fastcognito.django"]
    with override_settings(INSTALLED_APPS=installed):
        with pytest.raises(ImproperlyConfigured, match="'fastcognito.django' in INSTALLED_APPS"):
            client.get(path)
    assert fastcognito_settings.verifier is not None  # installed again: no error


# --- the compiled hot path missing (W001) ----------------------------------------------------

IMPORT_FAILURE = "ImportError: libfoo.so.1: cannot open shared object file: No such file or directory"


def w001_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if "fastcognito.W001" in record.getMessage()]


def test_a_missing_extension_is_logged_and_does_not_stop_start_up(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from fastcognito import _impl
    from fastcognito.django.checks import check_extension

    monkeypatch.setattr(_impl, "EXTENSION_ERROR", IMPORT_FAILURE)
    assert startup_errors() == []  # a warning never stops start-up
    with caplog.at_level(logging.WARNING, logger="fastcognito.django"):
        apps.get_app_config("fastcognito").ready()
    (record,) = w001_lines(caplog)
    assert record.name == "fastcognito.django" and record.levelno == logging.WARNING
    (message,) = check_extension()
    assert record.getMessage() == f"{message.msg} (fastcognito.W001) HINT: {message.hint}"
    assert IMPORT_FAILURE in record.getMessage()


def test_a_silenced_w001_is_not_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from fastcognito import _impl

    monkeypatch.setattr(_impl, "EXTENSION_ERROR", IMPORT_FAILURE)
    with override_settings(SILENCED_SYSTEM_CHECKS=["fastcognito.W001"]):
        with caplog.at_level(logging.WARNING, logger="fastcognito.django"):
            apps.get_app_config("fastcognito").ready()
    assert w001_lines(caplog) == []


def test_nothing_is_logged_when_the_extension_runs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from fastcognito import _impl

    monkeypatch.setattr(_impl, "EXTENSION_ERROR", None)
    with caplog.at_level(logging.WARNING, logger="fastcognito.django"):
        apps.get_app_config("fastcognito").ready()
    assert w001_lines(caplog) == []


def test_management_commands_leave_w001_to_the_check_they_print(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from fastcognito import _impl
    from fastcognito.django import apps as app_module

    monkeypatch.setattr(_impl, "EXTENSION_ERROR", IMPORT_FAILURE)
    monkeypatch.setattr(app_module, "running_command_argv", lambda: ("manage.py", "migrate"))
    with caplog.at_level(logging.WARNING, logger="fastcognito.django"):
        apps.get_app_config("fastcognito").ready()
    assert w001_lines(caplog) == []


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60
    )


only_cpython = pytest.mark.skipif(
    sys.implementation.name != "cpython", reason="other interpreters never import the extension"
)


@pytest.mark.slow
@only_cpython
def test_a_server_without_the_extension_logs_w001_once_and_starts() -> None:
    # What gunicorn and uvicorn do first: build the application; they run no system checks.
    code = REFUSE_THE_EXTENSION + "from django.core.wsgi import get_wsgi_application; get_wsgi_application()"
    result = run_python(code, env=project_env(VALID))
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if "fastcognito.W001" in line]
    assert "(ImportError: fastcognito._verify refused by the test)" in line
    assert "FASTCOGNITO_NO_EXTENSIONS=1" in line


@pytest.mark.slow
@only_cpython
def test_manage_py_check_without_the_extension_warns_and_passes() -> None:
    code = REFUSE_THE_EXTENSION + (
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check'])"
    )
    result = run_python(code, env=project_env(VALID))
    assert result.returncode == 0, result.stderr
    # Printed once, by the check: the check command's ready() leaves it to the report.
    assert result.stderr.count("fastcognito.W001") == 1, result.stderr
    assert "?: (fastcognito.W001) fastcognito's compiled hot path could not be imported" in result.stderr
