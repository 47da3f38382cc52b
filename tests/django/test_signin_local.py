"""``make signin-local`` (examples/signin_local.py, docs/sign-in.md "Run sign-in locally"): the
settings it prints work as pasted into a project, it keeps ministack up until Ctrl-C, it stops by
itself after ``SIGNIN_LOCAL_MINUTES``, and ``--print-only`` stops right after printing. Nothing it
starts outlives it."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client, override_settings

from fastcognito import CognitoVerifier
from fastcognito.oauth import CognitoOAuthClient
from tests.support.ministack_server import MINISTACK

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "signin_local.py"
READY = "Press Ctrl-C to stop"


def start(*args: str, minutes: str = "5") -> subprocess.Popen[str]:
    if not MINISTACK.exists():
        pytest.fail(f"{MINISTACK} is missing: `make test` creates it (`make ministack`)", pytrace=False)
    env = {**os.environ, "FASTCOGNITO_MINISTACK": str(MINISTACK), "SIGNIN_LOCAL_MINUTES": minutes}
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


class Output:
    """The process's output, read line by line on a thread so that a silent process cannot hang
    the test; the one reader of its stdout."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout:
            for line in self.process.stdout:
                self.lines.put(line)
        self.lines.put(None)

    def read(self, marker: str | None, timeout: float = 60) -> str:
        """Up to and including the line holding ``marker``; with ``None``, up to the end."""
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                if marker is None:
                    return "".join(seen)
                break
            seen.append(line)
            if marker is not None and marker in line:
                return "".join(seen)
        self.process.kill()
        pytest.fail(f"no {marker or 'end of output'!r} within {timeout} s:\n{''.join(seen)}", pytrace=False)


def printed(output: str) -> tuple[dict[str, Any], str, str]:
    """The FASTCOGNITO dict, user name and password, read as a person copies them."""
    settings = re.search(r"^FASTCOGNITO = (\{.*?^\})$", output, re.MULTILINE | re.DOTALL)
    username = re.search(r"^user name: (\S+)$", output, re.MULTILINE)
    password = re.search(r"^password: +(\S+)$", output, re.MULTILINE)
    assert settings and username and password, output
    return json.loads(settings.group(1)), username.group(1), password.group(1)


def port_is_closed(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((parts.hostname or "", parts.port or 80)) != 0


def test_the_printed_settings_sign_in_and_ctrl_c_stops_it(db: Any) -> None:
    process = start()
    output = Output(process)
    try:
        printed_output = output.read(READY)
        settings, username, password = printed(printed_output)
        hosted = settings["HOSTED_UI"]
        assert urlsplit(hosted["DOMAIN"]).hostname == "127.0.0.1"

        # fastcognito.oauth, framework-free: InitiateAuth as the printed user, then verify.
        client = CognitoOAuthClient(
            domain=hosted["DOMAIN"], client_id=settings["CLIENT_ID"],
            redirect_uri=hosted["REDIRECT_URI"], api_url=hosted["API_URL"],
        )
        tokens = client.initiate_auth(username, password)
        verifier = CognitoVerifier(
            settings["USER_POOL_ID"], client_id=settings["CLIENT_ID"], token_use="access",
            jwks_url=settings["JWKS_URL"],
        )
        assert verifier.verify(tokens.access_token).username == username

        # Pasted into a Django project (DEBUG, as the printed comment says): the password
        # sign-in view signs the user in, and the managed login goes to ministack.
        with override_settings(FASTCOGNITO=settings, DEBUG=True):
            browser = Client()
            answer = browser.post(
                "/auth/signin/", {"username": username, "password": password}, content_type="application/json"
            )
            assert answer.status_code == 200, answer.content
            assert answer.cookies[settings["COOKIE_NAME"]].value
            whoami = browser.get("/plain/protected/")
            assert whoami.json() == {"username": username}
            login = browser.get("/auth/login/")
            assert login.status_code == 302
            assert str(login["Location"]).startswith(f"{hosted['DOMAIN']}/oauth2/authorize?")
    finally:
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        rest = output.read(None, timeout=20)
        process.wait(timeout=10)
    assert process.returncode == 0, rest
    assert "Stopped ministack" in rest
    assert port_is_closed(hosted["DOMAIN"])


def test_print_only_exits_after_printing_and_leaves_nothing_running() -> None:
    process = start("--print-only", "--app-url", "http://localhost:8001/", "--username", "bob")
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    settings, username, _ = printed(output)
    assert username == "bob"
    assert settings["HOSTED_UI"]["REDIRECT_URI"] == "http://localhost:8001/auth/callback/"
    assert READY not in output and "Stopped ministack" in output
    assert port_is_closed(settings["HOSTED_UI"]["DOMAIN"])


def test_it_stops_by_itself_after_signin_local_minutes() -> None:
    started = time.monotonic()
    process = start(minutes="0.02")  # 1.2 s once the settings are printed
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert READY in output and "minutes are up (SIGNIN_LOCAL_MINUTES)" in output
    assert time.monotonic() - started < 45
    assert port_is_closed(printed(output)[0]["HOSTED_UI"]["DOMAIN"])


@pytest.mark.parametrize("minutes", ["0", "-1", "soon", "nan", "100000"])
def test_an_unbounded_or_unreadable_duration_is_refused(minutes: str) -> None:
    process = start(minutes=minutes)
    output, _ = process.communicate(timeout=30)
    assert process.returncode != 0
    assert "SIGNIN_LOCAL_MINUTES must be a number of minutes" in output
    assert "ministack's Cognito runs" not in output
