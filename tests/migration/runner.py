"""Serves one half of a migration test: a Django project answering JSON commands, one per line.

Run as ``python runner.py`` with ``DJANGO_SETTINGS_MODULE`` and ``PYTHONPATH`` naming the project,
by the interpreter of that half: a replaced system's own virtual environment (the "before"), or
the suite's (the "after"). It needs only the standard library and Django, so one script serves
Django 4.2 and 5.x alike. Each line on stdin is a command; each answer is one line on stdout:

- ``{"op": "request", "client": NAME, "method": ..., "path": ..., ...}``: one request through
  Django's test client, one client (cookie jar) per NAME, CSRF enforced as in a browser.
- ``{"op": "manage", "argv": [...]}``: a management command, as ``manage.py`` runs it.
- ``{"op": "python", "code": ...}``: Python run in the project (users created the way the
  replaced system creates them, rows counted); its ``result`` variable is answered, and
  ``clients`` holds the test clients by name.
- ``{"op": "checks"}``: the system checks' messages.
- ``{"op": "remember", "name": NAME, "values": {FIELD: TOKEN}}``: tokens for ``{{NAME.FIELD}}``.

No token leaves this process: every JWT in an answer (body, headers, command output) is replaced
by ``<jwt>``, cookie values are never answered, and a body's tokens are kept here under the
request's ``save`` name, for later requests to use as ``{{NAME.FIELD}}``, as are the tokens the
test hands over with ``remember`` (so that no request the test builds holds a token). ``{{csrf:CLIENT}}`` is
that client's CSRF cookie. ``keep_cookies``/``use_cookies`` save a client's cookies after a request
and put them back before another (a stolen cookie replayed).

With ``MIGRATION_JWKS_ORIGIN`` set, a fetch of ``https://cognito-idp.<region>.amazonaws.com/...``
(urllib or requests) goes to that origin instead: the old packages build the AWS address of the
JWKS themselves, with no setting to point them at a local emulator.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import io
import json
import logging
import os
import re
import sys
import traceback
from typing import Any

JWT = re.compile(r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
AWS_JWKS = re.compile(r"https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com(?=/)")
PLACEHOLDER = re.compile(r"\{\{([^}]+)\}\}")
ANSWERED_HEADERS = ("WWW-Authenticate", "Location", "Content-Type", "Cache-Control")


def redact(text: str) -> str:
    return JWT.sub("<jwt>", text)


def redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redacted(item) for item in value]
    if isinstance(value, dict):
        return {key: redacted(item) for key, item in value.items()}
    return value


def unverified_claims(token: str) -> Any:
    segment = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def redirect_aws_jwks(origin: str) -> None:
    """Send the old packages' JWKS fetches to the emulator (see the module's docstring)."""
    import urllib.request

    def moved(url: str) -> str:
        return AWS_JWKS.sub(origin.rstrip("/"), url, count=1)

    original_urlopen = urllib.request.urlopen

    def urlopen(url: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(url, urllib.request.Request):
            url.full_url = moved(url.full_url)
        else:
            url = moved(url)
        return original_urlopen(url, *args, **kwargs)

    urllib.request.urlopen = urlopen
    try:
        import requests.sessions
    except ImportError:
        return
    original_request = requests.sessions.Session.request

    def request(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        return original_request(self, method, moved(url), *args, **kwargs)

    requests.sessions.Session.request = request  # type: ignore[method-assign]


class Half:
    def __init__(self) -> None:
        self.clients: dict[str, Any] = {}
        self.saved: dict[str, str] = {}
        self.namespace: dict[str, Any] = {"clients": self.clients}
        self.jars: dict[str, Any] = {}

    def client(self, name: str) -> Any:
        from django.test import Client

        if name not in self.clients:
            host = os.environ.get("MIGRATION_HOST", "testserver")
            self.clients[name] = Client(
                enforce_csrf_checks=True, raise_request_exception=False, HTTP_HOST=host
            )
        return self.clients[name]

    def substitute(self, value: Any) -> Any:
        if isinstance(value, str):
            return PLACEHOLDER.sub(lambda match: self.lookup(match[1]), value)
        if isinstance(value, list):
            return [self.substitute(item) for item in value]
        if isinstance(value, dict):
            return {key: self.substitute(item) for key, item in value.items()}
        return value

    def lookup(self, name: str) -> str:
        if name.startswith("csrf:"):
            cookie = self.client(name[5:]).cookies.get("csrftoken")
            return cookie.value if cookie is not None else ""
        return self.saved[name]

    # --- commands -----------------------------------------------------------------------------

    def request(self, command: dict[str, Any]) -> dict[str, Any]:
        client = self.client(command.get("client", "browser"))
        if "use_cookies" in command:
            client.cookies = copy.deepcopy(self.jars[command["use_cookies"]])
        for name, value in (command.get("cookies") or {}).items():
            if value is None:
                client.cookies.pop(name, None)
            else:
                client.cookies[name] = self.substitute(value)
        headers = self.substitute(command.get("headers") or {})
        extra = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}
        method = command.get("method", "GET").lower()
        kwargs: dict[str, Any] = {"secure": command.get("secure", True), **extra}
        if "json" in command:
            kwargs.update(data=json.dumps(self.substitute(command["json"])), content_type="application/json")
        elif "form" in command:
            kwargs.update(data=self.substitute(command["form"]))
        elif "query" in command:
            kwargs.update(data=self.substitute(command["query"]))
        response = getattr(client, method)(self.substitute(command["path"]), **kwargs)
        for name, morsel in response.cookies.items():
            # As a browser does: a cookie deleted (Max-Age 0, or emptied) is not sent again.
            if morsel["max-age"] in (0, "0") or not morsel.value:
                client.cookies.pop(name, None)
        if "keep_cookies" in command:
            self.jars[command["keep_cookies"]] = copy.deepcopy(client.cookies)
        return self.answer(response, command.get("save"))

    def answer(self, response: Any, save: str | None) -> dict[str, Any]:
        body: Any = None
        text = ""
        claims: dict[str, Any] = {}
        content_type = response.get("Content-Type", "")
        raw = b"" if getattr(response, "streaming", False) else response.content
        if content_type.startswith("application/json") and raw:
            body = json.loads(raw)
            if isinstance(body, dict):
                for key, value in body.items():
                    if isinstance(value, str) and JWT.fullmatch(value):
                        claims[key] = unverified_claims(value)
                        if save:
                            self.saved[f"{save}.{key}"] = value
        else:
            text = raw.decode("utf-8", "replace")[:400]
        cookies = {}
        for name, morsel in response.cookies.items():
            cookies[name] = {
                "set": bool(morsel.value),
                "httponly": bool(morsel["httponly"]),
                "secure": bool(morsel["secure"]),
                "samesite": morsel["samesite"] or None,
                "path": morsel["path"] or None,
                "max_age": morsel["max-age"] or None,
            }
        return {
            "status": response.status_code,
            "headers": {
                name: redact(response[name]) for name in ANSWERED_HEADERS if response.has_header(name)
            },
            "json": redacted(body),
            "text": redact(text),
            "cookies": cookies,
            "claims": claims,
        }

    def remember(self, command: dict[str, Any]) -> dict[str, Any]:
        for field, value in command["values"].items():
            self.saved[f"{command['name']}.{field}"] = value
        return {}

    def manage(self, command: dict[str, Any]) -> dict[str, Any]:
        from django.core.management import call_command

        out, err = io.StringIO(), io.StringIO()
        try:
            call_command(*self.substitute(command["argv"]), stdout=out, stderr=err)
        except (Exception, SystemExit) as error:  # noqa: BLE001  (answered to the test)
            return {
                "ok": False,
                "output": redact(out.getvalue() + err.getvalue()),
                "error": redact(repr(error)),
            }
        return {"ok": True, "output": redact(out.getvalue() + err.getvalue())}

    def python(self, command: dict[str, Any]) -> dict[str, Any]:
        self.namespace.pop("result", None)
        exec(command["code"], self.namespace)  # noqa: S102  (the test's own code)
        return {"result": redacted(self.namespace.get("result"))}

    def checks(self, command: dict[str, Any]) -> dict[str, Any]:
        from django.core.checks import run_checks

        messages = run_checks(include_deployment_checks=False)
        return {"messages": [{"id": m.id, "level": m.level, "msg": redact(str(m.msg))} for m in messages]}


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def log_errors_to_stderr() -> None:
    """Errors (a 500's traceback) go to stderr, the half's log, tokens replaced."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.WARNING)
    logging.getLogger().addHandler(handler)


def main() -> None:
    answers = sys.stdout
    # Whatever the project prints (some old packages print on settings changes) goes to stderr.
    sys.stdout = sys.stderr
    origin = os.environ.get("MIGRATION_JWKS_ORIGIN")
    if origin:
        redirect_aws_jwks(origin)
    import django

    django.setup()
    log_errors_to_stderr()
    half = Half()
    answers.write(json.dumps({"ready": True, "django": django.get_version()}) + "\n")
    answers.flush()
    for line in sys.stdin:
        command = json.loads(line)
        try:
            with contextlib.redirect_stdout(sys.stderr):
                answer = getattr(half, command["op"])(command)
        except Exception:  # noqa: BLE001  (reported to the test, which fails with it)
            answer = {"crashed": redact(traceback.format_exc())}
        answers.write(json.dumps(answer, default=str) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
