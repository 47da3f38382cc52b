"""``make demo`` end to end: examples/demo.py run as users run it, with the venv's Python.

The demo starts moto's Cognito and the example project under gunicorn, walks through the main job
over HTTP and times verification. These tests check its exit status, the result of every step, the
timing table, and that nothing it started is left running, after success and after SIGTERM.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "demo.py"
TIMEOUT = 180

pytestmark = pytest.mark.slow

COMPOSED = re.escape("IsAuthenticated & (HasGroup('editors') | HasScope('articles/publish'))")

# Each walk-through step: its label (a regex) and the result the demo must report for it.
EXPECTED_STEPS = [
    (r"alice, Authorization: Bearer <access token>, GET /api/me/ \(IsAuthenticated\)", "200"),
    (r"SQL queries made to authenticate and serve /api/me/", "0"),
    (r"alice, Bearer header, GET /whoami/ \(plain Django view behind CognitoMiddleware\)", "200"),
    (r"anonymous GET /whoami/", "200, authenticated=False"),
    (r"alice, cookie access_token=<access token>, GET /api/me/", "200"),
    (r"alice, cookie, POST /api/articles/ WITHOUT the X-CSRFToken header", "403"),
    (r"alice, cookie, POST /api/articles/ WITH the X-CSRFToken header", "201"),
    (r"bob, Bearer header, POST /api/articles/", "201"),
    (r"bob, Bearer header, GET /api/articles/", "200, 2 articles"),
    (r"anonymous GET /api/articles/", "401"),
    (r"expired token \(valid signature\), GET /api/articles/", "401, code=expired"),
    (r"tampered token .*, GET /api/admin/report/", "401, code=invalid_signature"),
    (r"alice \(in admins\), GET /api/admin/report/ \[HasGroup\('admins'\)\]", "200"),
    (r"bob \(not in admins\), GET /api/admin/report/ \[HasGroup\('admins'\)\]", "403"),
    (r"bob, GET /api/account/ \[HasScope\('aws.cognito.signin.user.admin'\)\]", "200"),
    (rf"alice, GET /api/editorial/ \[{COMPOSED}\]", "200"),
    (rf"bob, GET /api/editorial/ \[{COMPOSED}\]", "403"),
    (r"the moto token verifies in-process", "alice"),
    # The sign-in through ministack's managed login, with no browser.
    (r"GET / \(the example's login page\)", "200"),
    (r"GET /auth/login/\?next=/signed-in/ redirects to the managed login", "302 to /oauth2/authorize"),
    (r"GET the emulator's login form", "200"),
    (r"POST the form as alice", "302 to /auth/callback/"),
    (r"GET /auth/callback/ \(state checked", "302 to /signed-in/"),
    (r"GET /api/me/ with the HttpOnly cookie", "200"),
    (r"GET /signed-in/ \(the example's signed-in page\)", "200"),
    (r"POST /auth/refresh/ without the CSRF token", "403"),
    (r"POST /auth/refresh/ with the CSRF token", "200"),
    (r"POST /auth/logout/ \(refresh token revoked", "302 to /logout"),
    (r"GET /api/me/ again, signed out", "401"),
]

TIMING_ROWS = [
    "cryptography RSA verify alone (the floor)",
    "fastcognito verify, cold (cache miss)",
    "fastcognito verify, cached (cache hit)",
    "jwt.decode, key preloaded",
]


def demo_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_", "FASTCOGNITO_"))}
    env.pop("PYTHONPATH", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def demo_command() -> list[str]:
    # The venv's interpreter, from the repository root, exactly as `make demo` runs it.
    return [sys.executable, str(DEMO)]


def started_urls(output: str) -> list[tuple[str, int]]:
    """The moto, ministack and gunicorn addresses the demo printed."""
    servers = r"(?:moto Cognito emulator|ministack Cognito emulator|gunicorn \(1 worker, 2 threads\))"
    found = re.findall(rf"{servers}:\s+http://([\d.]+):(\d+)", output)
    return [(host, int(port)) for host, port in found]


def assert_closed(addresses: list[tuple[str, int]]) -> None:
    for host, port in addresses:
        assert host == "127.0.0.1"
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(2)
            assert sock.connect_ex((host, port)) != 0, f"{host}:{port} still accepts connections"


def test_demo_walks_through_every_step_and_exits_zero() -> None:
    result = subprocess.run(
        demo_command(), cwd=REPO, env=demo_env(), capture_output=True, text=True, timeout=TIMEOUT
    )
    output = result.stdout
    report = f"exit status {result.returncode}\n--- stdout\n{output}\n--- stderr\n{result.stderr[-4000:]}"

    assert result.returncode == 0, report
    assert "FAIL" not in output, report
    assert re.search(r"^OK: all \d+ checks passed", output, re.MULTILINE), report

    for label, expected in EXPECTED_STEPS:
        pattern = rf"^  PASS  {label}.*?: {re.escape(expected)} \(expected "
        assert re.search(pattern, output, re.MULTILINE), f"missing step {label!r} -> {expected}\n{report}"

    assert re.search(r"^\s+WWW-Authenticate: Bearer", output, re.MULTILINE), report
    assert 'error="invalid_token"' in output, report

    assert re.search(r"^  TIMINGS\s+median us/call\s+x RSA verify$", output, re.MULTILINE), report
    for row in TIMING_ROWS:
        assert re.search(rf"^  .*{re.escape(row)}\s+\d+\.\d\d\s+\d+\.\d\dx$", output, re.MULTILINE), (
            f"missing timing row {row!r}\n{report}"
        )
    floor_row = r"^  cryptography RSA verify alone \(the floor\)\s+\d+\.\d\d\s+1\.00x$"
    assert re.search(floor_row, output, re.MULTILINE), report

    assert "stopped gunicorn" in output and "stopped moto" in output, report
    assert "stopped ministack" in output, report
    assert re.search(r"^\s+access_token: HttpOnly; Max-Age=\d+; Path=/; SameSite=Lax$", output, re.MULTILINE), report
    addresses = started_urls(output)
    assert len(addresses) == 4, report  # moto, gunicorn, ministack, gunicorn with sign-in
    assert_closed(addresses)


def test_demo_stops_what_it_started_on_sigterm() -> None:
    process = subprocess.Popen(
        demo_command(), cwd=REPO, env=demo_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + TIMEOUT
        for line in process.stdout:
            lines.append(line)
            if line.lstrip().startswith("gunicorn (1 worker"):
                process.send_signal(signal.SIGTERM)
                break
            assert time.monotonic() < deadline, "".join(lines)
        rest, _ = process.communicate(timeout=60)
        lines.append(rest)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = "".join(lines)

    assert process.returncode == 128 + signal.SIGTERM, output
    assert "FAIL: stopped by signal" in output, output
    assert "stopped gunicorn" in output and "stopped moto" in output, output
    addresses = started_urls(output)
    assert len(addresses) == 2, output
    assert_closed(addresses)
