"""The two-host rehearsal on one machine, 127.0.0.1 only: `make scale`.

Two "hosts" of the example project (two gunicorn masters on their own ports, several sync
workers each) and one ASGI instance (uvicorn) share one Redis, then, in a second run, Memcached,
as `CACHES` (benchmarks/e2e/scale_settings.py: revocations on an alias of their own, sign-in
throttling on another). Users sign in with a password through ministack (a local Cognito
emulator), call the API with their tokens on every instance, refresh and sign out, at a steady
rate for a bounded time; every answer is recorded with the worker that gave it (`X-Served-By`).

Per backend:
1. throttle: wrong passwords for one user from one address, spread over the three instances:
   the limit is counted across hosts; the right password from another address still signs in;
2. steady load with the cache server(s) stopped for `--outage` seconds in the middle
   (`DENYLIST_MAX_STALENESS` 0, the default): after each logout its token is sent to every
   instance at once, and revoked tokens keep being sent to the end; tokens not revoked are
   sent to every instance to time the recovery;
3. the same load with `DENYLIST_MAX_STALENESS` = `--staleness`: how long after a logout answered
   each worker still accepted the token (the bound);
4. the cached-token path (`GET /api/me/`, one token, wrk) on gunicorn with the denylist off, on,
   and on with `--staleness`: requests per second, p50/p99 latency, CPU per request of the
   workers and the cache server together; alternating rounds, medians;
5. the servers' logs searched for every token and password used.

Results: `--out`/scale-<date>.json, and a table (docs/deployment.md). `--quick` is the slice the
test suite runs (tests/bench/test_e2e_scale.py): Redis only, fewer workers, a short outage, no throughput.
`--memcached-defaults` keeps pymemcache's own retry options, to see what W010 warns about.
Every loop is bounded in count and time, the whole run by `--max-seconds`; every server is
stopped on the way out, also on failure.

    python benchmarks/e2e/scale.py [--backends redis memcached] [--seconds 30] [--outage 10]
        [--staleness 0.5] [--throughput-seconds 5] [--rounds 3] [--out benchmarks/results] [--quick]
"""

from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import dataclasses
import datetime
import http.client
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

E2E = Path(__file__).resolve().parent
BENCHMARKS = E2E.parent
REPO = BENCHMARKS.parent
for _path in (BENCHMARKS, E2E):
    sys.path.insert(0, str(_path))
# The test suite's servers (``tests.support``): the checkout goes last, so that ``fastcognito`` is
# still the installed package, as under pytest (``--import-mode=append``).
sys.path.append(str(REPO))

from bench_results import _cpu_name, versions  # noqa: E402
from run import cpu_seconds, wrk  # noqa: E402

import fastcognito  # noqa: E402
from tests.support.cache_servers import MemcachedServer, RedisServer, free_port, missing_servers  # noqa: E402
from tests.support.ministack_server import (  # noqa: E402
    LOGOUT_URI,
    REDIRECT_URI,
    cognito_api,
    create_app,
    run_ministack,
)

BIN = Path(sys.executable).parent
ACCESS_COOKIE = "access_token"  # the example project's COOKIE_NAME
REFRESH_COOKIE = "fastcognito_refresh"
CSRF_COOKIE = "csrftoken"
API_PATHS = ("/api/me/", "/scale/async-whoami/")  # DRF; a plain async view (averify under uvicorn)
SIGNIN_MAX_FAILURES = 5  # scale_settings.py
HTTP_TIMEOUT = 10.0
MAX_REVOKED_POOL = 64
PHASES = ("default", "staleness", "throughput")


# --- HTTP ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class Reply:
    status: int  # 0: no answer (connection refused, reset, timed out)
    served_by: str
    code: str | None
    set_cookies: list[str]
    body: bytes


def call(
    port: int, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        code = None
        if response.status != 200 and response.getheader("Content-Type", "").startswith("application/json"):
            with contextlib.suppress(ValueError, AttributeError):
                code = json.loads(data).get("code")
        return Reply(
            response.status,
            response.getheader("X-Served-By", "?"),
            code,
            response.headers.get_all("Set-Cookie") or [],
            data,
        )
    except OSError as err:
        return Reply(0, "?", type(err).__name__, [], b"")
    finally:
        connection.close()


class Browser:
    """One person's cookies, as a browser keeps them (paths aside: every path gets every cookie)."""

    def __init__(self, address: str) -> None:
        self.address = address  # what the load balancer appends to X-Forwarded-For
        self.cookies: dict[str, str] = {}

    def absorb(self, reply: Reply) -> None:
        for header in reply.set_cookies:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0].strip().strip('"')
            if value and "max-age=0" not in header.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)

    def headers(self, *, csrf: bool = False, json_body: bool = False) -> dict[str, str]:
        headers = {"X-Forwarded-For": self.address, "Accept": "application/json"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if csrf and CSRF_COOKIE in self.cookies:
            headers["X-CSRFToken"] = self.cookies[CSRF_COOKIE]
        if json_body:
            headers["Content-Type"] = "application/json"
        return headers


def origin_jti(token: str) -> str | None:
    """The token's origin_jti, read without verification (only to group a sign-in's tokens)."""
    try:
        payload = token.split(".")[1]
        value = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).get("origin_jti")
    except (IndexError, ValueError):
        return None
    return value if isinstance(value, str) else None


# --- servers ------------------------------------------------------------------------------------


@dataclasses.dataclass
class Instance:
    name: str
    kind: str  # "gunicorn" or "uvicorn"
    workers: int
    port: int
    process: subprocess.Popen[bytes]
    log: Path


def _stop_process_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)  # the master and its workers: a group of our own
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def running_instance(
    name: str, kind: str, workers: int, env: dict[str, str], logs: Path
) -> Iterator[Instance]:
    port = free_port()
    if kind == "gunicorn":
        command = [
            str(BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "-",
            "--error-logfile",
            "-",
            "--log-level",
            "info",
            "--graceful-timeout",
            "5",
            "project.wsgi",
        ]
    else:
        command = [
            str(BIN / "uvicorn"),
            "project.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--lifespan",
            "off",
            "--log-level",
            "info",
        ]
    log = logs / f"{name}.log"
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            command,
            env=dict(env, SCALE_INSTANCE=name),
            cwd=E2E,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    instance = Instance(name, kind, workers, port, process, log)
    try:
        _wait_for_every_worker(instance)
        yield instance
    finally:
        _stop_process_group(process)


def _wait_for_every_worker(instance: Instance, timeout: float = 90.0) -> None:
    """Until every worker has answered (each has started, prefetched the keys and checked the
    settings): a request goes to whichever worker accepts it, so ask until all have."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while len(seen) < instance.workers:
        if instance.process.poll() is not None:
            raise RuntimeError(f"{instance.name} exited at start-up:\n{instance.log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{instance.name}: {len(seen)} of {instance.workers} workers answered in {timeout} s"
            )
        reply = call(instance.port, "GET", "/healthz/")
        if reply.status == 200:
            seen.add(reply.served_by)
        else:
            time.sleep(0.1)
    found = json.loads(call(instance.port, "GET", "/scale/impl/").body)
    if found.get("extension_active") is not True or found.get("file") != fastcognito.__file__:
        raise RuntimeError(
            f"{instance.name} runs fastcognito from {found.get('file')} (extension active: "
            f"{found.get('extension_active')}), not the compiled {fastcognito.__file__} this runner imports"
        )


class CacheServers:
    """The shared state: one Redis (appendonly, noeviction; two databases), or two Memcached
    servers (revocations on one, sign-in throttling on the other: E144 refuses one for both)."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.servers: list[Any] = (
            [RedisServer(appendonly=True)] if backend == "redis" else [MemcachedServer(), MemcachedServer()]
        )
        self.restarts = 0  # how many times they came back (a Memcached comes back empty)

    @property
    def keeps_data(self) -> bool:
        return self.backend == "redis"

    def locations(self) -> dict[str, str]:
        if self.backend == "redis":
            url = f"redis://127.0.0.1:{self.servers[0].port}"
            return {"SCALE_REVOCATIONS_LOCATION": f"{url}/0", "SCALE_DEFAULT_LOCATION": f"{url}/1"}
        return {
            "SCALE_REVOCATIONS_LOCATION": self.servers[0].location,
            "SCALE_DEFAULT_LOCATION": self.servers[1].location,
        }

    def pids(self) -> list[int]:
        return [server.process.pid for server in self.servers if server.process is not None]

    def start(self) -> None:
        for server in self.servers:
            server.start()

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def back(self) -> None:
        self.start()
        self.restarts += 1

    def close(self) -> None:
        for server in self.servers:
            server.close()


# --- the load -----------------------------------------------------------------------------------


@dataclasses.dataclass
class Answer:
    phase: str
    kind: str  # signin, refresh, logout, api, probe-live, probe-revoked, throttle
    instance: str
    worker: str
    sent: float  # time.monotonic() when sent
    done: float
    status: int
    code: str | None
    token: str  # live, revoked, unrevoked (its logout could not be recorded), none
    since_logout: float | None = None  # sent minus the time the logout answered
    signin: int | None = None
    lost: bool = False  # revoked before the cache server came back empty (Memcached)


@dataclasses.dataclass
class Revoked:
    token: str
    signin: int
    logout_done: float
    logout_worker: str
    restarts: int  # of the cache servers when the logout answered


class Load:
    """The threads of one phase. Everything they learn is in ``answers`` and ``revoked``."""

    def __init__(
        self,
        phase: str,
        instances: Sequence[Instance],
        users: Sequence[tuple[str, str]],
        caches: CacheServers,
        secrets_seen: set[str],
        *,
        seconds: float,
        rate: float,
        sessions: int,
        probes_after_logout: int,
        api_calls: int,
    ) -> None:
        self.phase = phase
        self.instances = list(instances)
        self.users = list(users)
        self.caches = caches
        self.secrets_seen = secrets_seen
        self.seconds = seconds
        self.sessions = sessions
        # Each thread paces itself: together they send about `rate` requests a second.
        self.interval = (sessions + 2) / rate
        self.probes_after_logout = probes_after_logout
        self.api_calls = api_calls
        self.answers: list[Answer] = []
        self.revoked: list[Revoked] = []
        self.live_tokens: list[str] = []
        self.signins = itertools.count()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.deadline = 0.0

    # --- one request ------------------------------------------------------------------------

    def request(
        self,
        instance: Instance,
        kind: str,
        method: str,
        path: str,
        headers: dict[str, str],
        *,
        body: bytes | None = None,
        token: str = "none",
        revoked: Revoked | None = None,
        signin: int | None = None,
    ) -> Reply:
        sent = time.monotonic()
        reply = call(instance.port, method, path, headers, body)
        done = time.monotonic()
        since = None if revoked is None else sent - revoked.logout_done
        lost = revoked is not None and not self.caches.keeps_data and self.caches.restarts > revoked.restarts
        self.answers.append(
            Answer(
                self.phase,
                kind,
                instance.name,
                reply.served_by,
                sent,
                done,
                reply.status,
                reply.code,
                token,
                since,
                signin,
                lost,
            )
        )
        return reply

    def api(self, instance: Instance, token: str, kind: str, state: str, **extra: Any) -> Reply:
        path = API_PATHS[int(time.monotonic() * 1000) % len(API_PATHS)]
        headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": "198.51.100.1"}
        return self.request(instance, kind, "GET", path, headers, token=state, **extra)

    def pace(self, slot: float) -> float:
        slot += self.interval
        wait = slot - time.monotonic()
        if wait > 0:
            self.stop.wait(wait)
        return max(slot, time.monotonic() - self.interval)

    def running(self) -> bool:
        return not self.stop.is_set() and time.monotonic() < self.deadline

    # --- a person: sign in, use the API, refresh, use it again, sign out -----------------------

    def sign_in(self, browser: Browser, username: str, password: str, instance: Instance) -> int | None:
        browser.absorb(self.request(instance, "csrf", "GET", "/csrf/", browser.headers()))
        reply = self.request(
            instance,
            "signin",
            "POST",
            "/auth/signin/",
            browser.headers(csrf=True, json_body=True),
            body=json.dumps({"username": username, "password": password}).encode(),
        )
        browser.absorb(reply)
        if reply.status != 200 or ACCESS_COOKIE not in browser.cookies:
            return None
        self.secrets_seen.update((browser.cookies[ACCESS_COOKIE], browser.cookies.get(REFRESH_COOKIE, "")))
        return next(self.signins)

    def session(self, number: int) -> None:
        rotation = itertools.cycle(self.instances[number % len(self.instances) :] + self.instances)
        slot = time.monotonic()
        user_index = number
        while self.running():
            username, password = self.users[user_index % len(self.users)]
            user_index += self.sessions
            browser = Browser(f"198.51.100.{10 + number}")
            signin = self.sign_in(browser, username, password, next(rotation))
            slot = self.pace(slot)
            if signin is None:
                continue
            for _ in range(self.api_calls):
                if not self.running():
                    break
                self.api(next(rotation), browser.cookies[ACCESS_COOKIE], "api", "live", signin=signin)
                slot = self.pace(slot)
            first_access = browser.cookies[ACCESS_COOKIE]
            reply = self.request(
                next(rotation), "refresh", "POST", "/auth/refresh/", browser.headers(csrf=True), signin=signin
            )
            browser.absorb(reply)
            access = browser.cookies.get(ACCESS_COOKIE, first_access)
            self.secrets_seen.update((access, browser.cookies.get(REFRESH_COOKIE, "")))
            slot = self.pace(slot)
            # Every worker learns this token before the logout (a remembered "not revoked" is
            # what the staleness bound is about).
            for instance in self.instances * 2:
                if not self.running():
                    break
                self.api(instance, access, "api", "live", signin=signin)
                slot = self.pace(slot)
            if not self.running():
                break
            self.logout(browser, access, first_access, signin, next(rotation))
            slot = self.pace(slot)

    def logout(
        self, browser: Browser, access: str, first_access: str, signin: int, instance: Instance
    ) -> None:
        reply = self.request(
            instance, "logout", "POST", "/auth/logout/", browser.headers(csrf=True), signin=signin
        )
        done = time.monotonic()
        if reply.status != 200:
            # 503: the revocation could not be stored (documented): the token stays valid.
            return
        # The refreshed token, and the first one when it shares the sign-in's origin_jti.
        tokens = [access] + [first_access] * (
            first_access != access and origin_jti(first_access) == origin_jti(access)
        )
        revoked = [Revoked(token, signin, done, reply.served_by, self.caches.restarts) for token in tokens]
        with self.lock:
            self.revoked.extend(revoked)
        # Its very next requests, on every instance in turn, at once.
        for probe in range(self.probes_after_logout):
            entry = revoked[probe % len(revoked)]
            self.api(
                self.instances[probe % len(self.instances)],
                entry.token,
                "probe-revoked",
                "revoked",
                revoked=entry,
                signin=signin,
            )

    # --- probers: revoked tokens to the end, tokens not revoked for the recovery ---------------

    def probe_revoked(self) -> None:
        slot = time.monotonic()
        for number in itertools.count():
            if not self.running():
                return
            with self.lock:
                pool = self.revoked[-MAX_REVOKED_POOL:]
            if pool:
                entry = pool[number % len(pool)]
                instance = self.instances[number % len(self.instances)]
                self.api(
                    instance, entry.token, "probe-revoked", "revoked", revoked=entry, signin=entry.signin
                )
            slot = self.pace(slot)

    def probe_live(self) -> None:
        slot = time.monotonic()
        for number in itertools.count():
            if not self.running():
                return
            token = self.live_tokens[number % len(self.live_tokens)]
            self.api(self.instances[number % len(self.instances)], token, "probe-live", "live")
            slot = self.pace(slot)

    def run(self, faults: Callable[[Load], None] | None = None) -> None:
        """Sign the probers' users in, then run every thread for ``seconds``."""
        for number, (username, password) in enumerate(self.users[-2:]):
            browser = Browser(f"198.51.100.{200 + number}")
            for _ in range(5):
                if (
                    self.sign_in(browser, username, password, self.instances[number % len(self.instances)])
                    is not None
                ):
                    self.live_tokens.append(browser.cookies[ACCESS_COOKIE])
                    break
                time.sleep(0.5)
        if not self.live_tokens:
            raise RuntimeError("no sign-in succeeded before the load")
        self.deadline = time.monotonic() + self.seconds
        threads = [threading.Thread(target=self.session, args=(number,)) for number in range(self.sessions)]
        threads += [threading.Thread(target=self.probe_revoked), threading.Thread(target=self.probe_live)]
        for thread in threads:
            thread.start()
        try:
            if faults is not None:
                faults(self)
        finally:
            # Bounded: each thread checks the deadline between requests, and each request has a
            # timeout; the stop flag ends them early on a failure.
            for thread in threads:
                thread.join(timeout=self.seconds + 4 * HTTP_TIMEOUT)
            self.stop.set()
            for thread in threads:
                thread.join(timeout=2 * HTTP_TIMEOUT)


# --- phases -------------------------------------------------------------------------------------


def throttle(
    instances: Sequence[Instance], username: str, password: str, secrets_seen: set[str]
) -> dict[str, Any]:
    """Wrong passwords from one address, one instance after the other: the count is shared."""
    attacker = Browser("203.0.113.66")
    statuses = []
    for number in range(SIGNIN_MAX_FAILURES + 3):
        instance = instances[number % len(instances)]
        wrong = f"Wrong-{secrets.token_hex(6)}-1!"
        secrets_seen.add(wrong)
        attacker.absorb(call(instance.port, "GET", "/csrf/", attacker.headers()))
        body = json.dumps({"username": username, "password": wrong}).encode()
        reply = call(
            instance.port, "POST", "/auth/signin/", attacker.headers(csrf=True, json_body=True), body
        )
        statuses.append({"instance": instance.name, "status": reply.status, "code": reply.code})
    right_password_attacker = _password_signin(instances[0], attacker, username, password)
    right_password_elsewhere = _password_signin(instances[1], Browser("198.51.100.250"), username, password)
    refused = [entry["status"] for entry in statuses]
    return {
        "limit": SIGNIN_MAX_FAILURES,
        "wrong_passwords": statuses,
        "counted_across_hosts": refused == [401] * SIGNIN_MAX_FAILURES + [429] * 3,
        "right_password_same_address": right_password_attacker,
        "right_password_other_address": right_password_elsewhere,
    }


def _password_signin(instance: Instance, browser: Browser, username: str, password: str) -> int:
    browser.absorb(call(instance.port, "GET", "/csrf/", browser.headers()))
    body = json.dumps({"username": username, "password": password}).encode()
    return call(
        instance.port, "POST", "/auth/signin/", browser.headers(csrf=True, json_body=True), body
    ).status


def outage(
    start_after: float, seconds: float, caches: CacheServers, times: dict[str, float]
) -> Callable[[Load], None]:
    def run(load: Load) -> None:
        if load.stop.wait(start_after):
            return
        # The outage is from the moment the servers are gone (a Redis stop saves its data
        # first) to the moment they are started again; recovery counts from when they listen.
        times["stopping"] = time.monotonic()
        caches.stop()
        times["stopped"] = time.monotonic()
        try:
            load.stop.wait(max(0.0, seconds - (times["stopped"] - times["stopping"])))
        finally:
            times["starting"] = time.monotonic()
            caches.back()
            times["back"] = time.monotonic()

    return run


def summarize(load: Load, times: dict[str, float] | None = None, staleness: float = 0.0) -> dict[str, Any]:
    answers = load.answers
    by_kind: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for answer in answers:
        by_kind[f"{answer.kind} ({answer.token})"][f"{answer.status} {answer.code or ''}".strip()] += 1
    after_logout = [
        a for a in answers if a.token == "revoked" and a.since_logout is not None and a.since_logout >= 0
    ]
    kept = [a for a in after_logout if not a.lost]
    accepted = [a for a in kept if a.status == 200]
    # The logout's "very next request" on each worker: the first request of each token there.
    first_next: dict[tuple[int | None, str], Answer] = {}
    for answer in sorted(kept, key=lambda a: a.sent):
        first_next.setdefault((answer.signin, answer.worker), answer)
    workers = sorted({a.worker for a in answers if a.worker != "?"})
    summary: dict[str, Any] = {
        "requests": len(answers),
        "seconds": load.seconds,
        "workers_answering": workers,
        "answers": {kind: dict(counter) for kind, counter in sorted(by_kind.items())},
        "status_500": sum(1 for a in answers if a.status == 500),
        "no_answer": sum(1 for a in answers if a.status == 0),
        "logouts_recorded": len({entry.signin for entry in load.revoked}),
        "revoked_requests_after_logout": len(kept),
        "revoked_workers_asked": len({a.worker for a in kept}),
        "revoked_after_logout_per_worker": {
            worker: {
                "requests": sum(1 for a in kept if a.worker == worker),
                "accepted": sum(1 for a in accepted if a.worker == worker),
            }
            for worker in sorted({a.worker for a in kept})
        },
        "revoked_accepted_after_logout": len(accepted),
        "very_next_request_per_worker": {
            "requests": len(first_next),
            "accepted": sum(1 for a in first_next.values() if a.status == 200),
        },
        "revoked_lost_with_a_restart": {
            "requests": sum(1 for a in after_logout if a.lost),
            "accepted": sum(1 for a in after_logout if a.lost and a.status == 200),
        },
    }
    if staleness > 0:
        summary["staleness"] = _staleness(kept, load.revoked, staleness)
    if times and "back" in times:
        summary["outage"] = _outage(answers, times)
    return summary


def _staleness(kept: list[Answer], revoked: list[Revoked], bound: float) -> dict[str, Any]:
    """Accepted after its logout answered: by which worker, how late (sent minus the logout's
    answer: the worker decided after that), and never later than the bound."""
    accepted = [a for a in kept if a.status == 200]
    logout_worker = {entry.signin: entry.logout_worker for entry in revoked}
    return {
        "max_staleness": bound,
        "requests_after_logout": len(kept),
        "accepted_after_logout": len(accepted),
        "workers_that_accepted": len({a.worker for a in accepted}),
        "latest_accept_after_logout_s": round(max((a.since_logout or 0.0 for a in accepted), default=0.0), 4),
        "accepted_after_the_bound": sum(1 for a in accepted if (a.since_logout or 0.0) > bound),
        "logout_worker_accepted": sum(1 for a in accepted if a.worker == logout_worker.get(a.signin)),
        "within_bound": all((a.since_logout or 0.0) <= bound for a in accepted),
    }


def _outage(answers: list[Answer], times: dict[str, float]) -> dict[str, Any]:
    stopped, starting, back = times["stopped"], times["starting"], times["back"]
    during = [a for a in answers if stopped <= a.sent and a.done < starting]
    revoked_during = [a for a in during if a.token == "revoked" and (a.since_logout or 0) >= 0]
    live_during = [a for a in during if a.token == "live"]
    live_after = [a for a in answers if a.token == "live" and a.sent >= back]
    first_200: dict[str, float] = {}
    for answer in sorted(live_after, key=lambda a: a.sent):
        if answer.status == 200:
            first_200.setdefault(answer.worker, answer.sent - back)
    refused_after = [a.sent - back for a in live_after if a.status != 200]
    return {
        "seconds": round(starting - times["stopping"], 2),
        "revoked_during": dict(
            collections.Counter(f"{a.status} {a.code or ''}".strip() for a in revoked_during)
        ),
        "revoked_accepted_during": sum(1 for a in revoked_during if a.status == 200),
        "live_during": dict(collections.Counter(f"{a.status} {a.code or ''}".strip() for a in live_during)),
        "status_500_during": sum(1 for a in during if a.status == 500),
        # Full service: no token that is not revoked refused after this.
        "last_live_refusal_after_back_s": round(max(refused_after, default=0.0), 3),
        "worker_first_200_after_back_s": {
            worker: round(value, 3) for worker, value in sorted(first_200.items())
        },
        "workers_without_200_after_back": sorted(
            {a.worker for a in answers if a.worker != "?"} - set(first_200)
        ),
    }


def throughput(
    caches: CacheServers, env: dict[str, str], logs: Path, args: argparse.Namespace, token: str
) -> dict[str, Any]:
    """The cached-token path with the denylist off, on, and on with bounded staleness."""
    configs = {
        "denylist off": {"SCALE_DENYLIST": "off"},
        "denylist on": {"SCALE_DENYLIST": "on", "SCALE_MAX_STALENESS": "0"},
        f"denylist on, max staleness {args.staleness:g} s": {
            "SCALE_DENYLIST": "on",
            "SCALE_MAX_STALENESS": str(args.staleness),
        },
    }
    samples: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in configs}
    header = ["-H", f"Authorization: Bearer {token}"]
    with contextlib.ExitStack() as stack:
        running = {
            name: stack.enter_context(
                running_instance(f"bench-{index}", "gunicorn", args.bench_workers, dict(env, **extra), logs)
            )
            for index, (name, extra) in enumerate(configs.items())
        }
        for name, instance in running.items():
            if call(instance.port, "GET", "/api/me/", {"Authorization": f"Bearer {token}"}).status != 200:
                raise RuntimeError(f"{name}: the token is not accepted")
            wrk(
                _WrkTarget(instance.port, instance.process.pid), "/api/me/", 1, args.connections, header
            )  # warm-up
        names = list(configs)
        for round_number in range(args.rounds):
            # A different order each round, and ratios taken within a round: the load of a
            # shared machine drifts by the second, and a round's runs see the same drift.
            for name in names[round_number % len(names) :] + names[: round_number % len(names)]:
                instance = running[name]
                cache_cpu = _cpu(caches.pids())
                rate, p50, p99, worker_cpu = wrk(
                    _WrkTarget(instance.port, instance.process.pid),
                    "/api/me/",
                    args.throughput_seconds,
                    args.connections,
                    header,
                )
                requests = rate * args.throughput_seconds
                cache_us = (_cpu(caches.pids()) - cache_cpu) / max(requests, 1) * 1e6
                samples[name].append((rate, p50, p99, worker_cpu + cache_us))
        # Side by side: the three servers loaded at once, so every moment's contention from the
        # rest of the machine falls on each of them alike; each gets an equal share of the CPU
        # (each is a session of its own), and serves in proportion to what a request costs it.
        together: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in configs}
        for _ in range(args.side_by_side_rounds):
            found: dict[str, tuple[float, float, float, float]] = {}

            def load(name: str, found: dict[str, tuple[float, float, float, float]]) -> None:
                instance = running[name]
                found[name] = wrk(
                    _WrkTarget(instance.port, instance.process.pid),
                    "/api/me/",
                    args.side_by_side_seconds,
                    args.connections,
                    header,
                )

            threads = [threading.Thread(target=load, args=(name, found)) for name in names]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=args.side_by_side_seconds + 60)
            if set(found) != set(names):
                raise RuntimeError("a side-by-side wrk run did not finish")
            for name in names:
                together[name].append(found[name])
    results = _throughput_results(samples, names)
    side_by_side = _throughput_results(together, names)
    return {
        "server": f"gunicorn sync, {args.bench_workers} workers",
        "connections": args.connections,
        "how": "wrk, one token (a claims-cache hit), GET /api/me/",
        "alternating": {
            "seconds_per_run": args.throughput_seconds,
            "rounds": args.rounds,
            "how": "one server at a time, the order rotating; ratios: the median of each round's ratio",
        },
        "side_by_side": {
            "seconds_per_run": args.side_by_side_seconds,
            "rounds": args.side_by_side_rounds,
            "how": "the three servers loaded at once, an equal share of the machine each; CPU per request "
            "counts the workers only",
            "runs": side_by_side,
        },
        "runs": results,
    }


def _throughput_results(
    samples: dict[str, list[tuple[float, float, float, float]]], names: list[str]
) -> list[Any]:
    results = []
    off = samples[names[0]]
    for name, runs in samples.items():
        rate, p50, p99, cpu = (statistics.median(column) for column in zip(*runs))
        entry: dict[str, Any] = {
            "config": name,
            "requests_per_second": round(rate, 1),
            "p50_ms": round(p50, 3),
            "p99_ms": round(p99, 3),
            "cpu_us_per_request": round(cpu, 1),
        }
        if name != names[0]:
            entry["ratio_to_off"] = round(
                statistics.median(run[0] / base[0] for run, base in zip(runs, off)), 3
            )
            entry["cpu_ratio_to_off"] = round(
                statistics.median(base[3] / run[3] for run, base in zip(runs, off)), 3
            )
            entry["ratio_of_medians"] = round(rate / statistics.median(run[0] for run in off), 3)
        entry["rounds"] = [[round(value, 3) for value in run] for run in runs]
        results.append(entry)
    return results


@dataclasses.dataclass
class _WrkTarget:
    port: int
    pid: int


def _cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


def search_logs(logs: Path, secrets_seen: set[str]) -> dict[str, Any]:
    """Every token and password used, in any server log: never. And what the logs say, in
    shapes (numbers and quoted values elided), WARNING and above."""
    needles = {value for value in secrets_seen if len(value) >= 8}
    # A token's signature alone would identify it too.
    needles |= {value.rsplit(".", 1)[-1] for value in needles if value.count(".") == 2}
    found = []
    lines: collections.Counter[str] = collections.Counter()
    files = sorted(logs.glob("*.log"))
    for path in files:
        text = path.read_text(errors="replace")
        found += [f"{path.name}: {needle[:6]}..." for needle in needles if needle in text]
        for line in text.splitlines():
            match = re.search(r"\b(WARNING|ERROR|CRITICAL)\b\]?:?\s+(.*)", line)
            if match:
                lines[f"{match[1]} {re.sub(r'[0-9]+', 'N', match[2])[:160]}"] += 1
    return {
        "files": [path.name for path in files],
        "secrets_searched": len(needles),
        "secrets_found": found,
        "warning_lines": dict(lines.most_common(20)),
    }


# --- the run ------------------------------------------------------------------------------------


def create_users(url: str, count: int) -> tuple[Any, list[tuple[str, str]]]:
    app = create_app(url, suffix="scale")
    api = cognito_api(url)
    users = []
    for number in range(count):
        username, password = f"user{number:03d}", f"Sa-{secrets.token_hex(8)}-9!"
        api.admin_create_user(
            UserPoolId=app.pool_id,
            Username=username,
            MessageAction="SUPPRESS",
            TemporaryPassword=f"Tmp-{secrets.token_hex(8)}-9!",
        )
        api.admin_set_user_password(
            UserPoolId=app.pool_id, Username=username, Password=password, Permanent=True
        )
        users.append((username, password))
    return app, users


def bench_token(app: Any, ministack_url: str, user: tuple[str, str], secrets_seen: set[str]) -> str:
    """An access token of ``user`` for the cached-token path, straight from Cognito's API."""
    import hashlib
    import hmac

    username, password = user
    client = app.confidential
    digest = hmac.new(
        client.client_secret.encode(), (username + client.client_id).encode(), hashlib.sha256
    ).digest()
    answer = cognito_api(ministack_url).initiate_auth(
        ClientId=client.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": username,
            "PASSWORD": password,
            "SECRET_HASH": base64.b64encode(digest).decode(),
        },
    )
    token: str = answer["AuthenticationResult"]["AccessToken"]
    secrets_seen.add(token)
    return token


def server_environment(
    app: Any, ministack_url: str, caches: CacheServers, *, memcached_defaults: bool = False
) -> dict[str, str]:
    package_root = Path(fastcognito.__file__).resolve().parents[1]
    paths = [str(REPO / "examples" / "project"), str(E2E)]
    if "site-packages" not in package_root.parts:
        paths.insert(0, str(package_root))  # this tree's fastcognito, its extension built in place
    return dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(paths),
        DJANGO_SETTINGS_MODULE="scale_settings",
        COGNITO_USER_POOL_ID=app.pool_id,
        COGNITO_CLIENT_ID=app.confidential.client_id,
        COGNITO_CLIENT_SECRET=app.confidential.client_secret,
        COGNITO_JWKS_URL=app.jwks_url,
        COGNITO_DOMAIN=ministack_url,
        COGNITO_API_URL=ministack_url,
        COGNITO_REDIRECT_URI=REDIRECT_URI,
        COGNITO_LOGOUT_URI=LOGOUT_URI,
        SCALE_CACHE=caches.backend,
        SCALE_MEMCACHED_DEFAULTS="1" if memcached_defaults else "0",
        **caches.locations(),
    )


def rehearse(
    backend: str,
    app: Any,
    ministack_url: str,
    users: list[tuple[str, str]],
    args: argparse.Namespace,
    logs: Path,
) -> dict[str, Any]:
    caches = CacheServers(backend)
    secrets_seen = {password for _, password in users}
    result: dict[str, Any] = {"backend": backend, "keeps_revocations_across_restart": caches.keeps_data}
    try:
        caches.start()
        env = server_environment(app, ministack_url, caches, memcached_defaults=args.memcached_defaults)
        layout = [
            ("host-a", "gunicorn", args.workers),
            ("host-b", "gunicorn", args.workers),
            ("asgi", "uvicorn", args.asgi_workers),
        ]
        result["layout"] = [f"{name}: {kind}, {workers} workers" for name, kind, workers in layout]

        # Phases 1 and 2: the default (ask on every request), with the outage in the middle.
        if "default" in args.phases:
            print(f"[{backend}] starting {len(layout)} instances", flush=True)
            with contextlib.ExitStack() as stack:
                instances = [
                    stack.enter_context(running_instance(*spec, dict(env, SCALE_MAX_STALENESS="0"), logs))
                    for spec in layout
                ]
                result["throttle"] = throttle(instances, users[0][0], users[0][1], secrets_seen)
                print(f"[{backend}] throttle: {result['throttle']['counted_across_hosts']}", flush=True)
                load = _load("default", instances, users[1:], caches, secrets_seen, args, args.seconds)
                times: dict[str, float] = {}
                start_after = max(1.0, (args.seconds - args.outage) / 2)
                load.run(outage(start_after, args.outage, caches, times))
                result["default"] = summarize(load, times)
                print(f"[{backend}] default: {_short(result['default'])}", flush=True)

        # Phase 3: bounded staleness.
        if "staleness" in args.phases and args.staleness > 0:
            with contextlib.ExitStack() as stack:
                stale_env = dict(env, SCALE_MAX_STALENESS=str(args.staleness))
                instances = [stack.enter_context(running_instance(*spec, stale_env, logs)) for spec in layout]
                load = _load(
                    "staleness", instances, users[1:], caches, secrets_seen, args, args.staleness_seconds
                )
                load.run()
                result["staleness"] = summarize(load, staleness=args.staleness)
                print(f"[{backend}] staleness: {result['staleness'].get('staleness')}", flush=True)

        # Phase 4: the cached-token path, denylist off and on.
        if "throughput" in args.phases and args.throughput_seconds > 0:
            token = bench_token(app, ministack_url, users[-1], secrets_seen)
            result["throughput"] = throughput(caches, env, logs, args, token)
            for how, runs in (
                ("alternating", result["throughput"]["runs"]),
                ("side by side", result["throughput"]["side_by_side"]["runs"]),
            ):
                for run in runs:
                    print(
                        f"[{backend}] {how}, {run['config']}: {run['requests_per_second']} req/s, "
                        f"{run.get('ratio_to_off', 1.0)}x; CPU {run.get('cpu_ratio_to_off', 1.0)}x",
                        flush=True,
                    )
    finally:
        caches.close()
    result["logs"] = search_logs(logs, secrets_seen)
    return result


def _load(
    phase: str,
    instances: list[Instance],
    users: list[tuple[str, str]],
    caches: CacheServers,
    secrets_seen: set[str],
    args: argparse.Namespace,
    seconds: float,
) -> Load:
    return Load(
        phase,
        instances,
        users,
        caches,
        secrets_seen,
        seconds=seconds,
        rate=args.rate,
        sessions=args.sessions,
        probes_after_logout=args.probes,
        api_calls=args.api_calls,
    )


def _short(summary: dict[str, Any]) -> str:
    outage_summary = summary.get("outage", {})
    return (
        f"{summary['requests']} requests, {summary['logouts_recorded']} logouts, "
        f"{summary['revoked_accepted_after_logout']} revoked accepted, {summary['status_500']} answers 500; "
        f"outage: revoked {outage_summary.get('revoked_during')}, "
        f"full service {outage_summary.get('last_live_refusal_after_back_s')} s after the server was back"
    )


def table(results: dict[str, Any]) -> str:
    """The table of docs/deployment.md."""
    lines = [
        "| | " + " | ".join(results["runs"]) + " |",
        "|---|" + "---:|" * len(results["runs"]),
    ]

    def row(label: str, value: Callable[[dict[str, Any]], Any]) -> None:
        cells = []
        for run in results["runs"].values():
            try:
                cells.append(str(value(run)))
            except (KeyError, IndexError, TypeError):
                cells.append("—")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("requests recorded (default run)", lambda r: r["default"]["requests"])
    row("logouts, then their token on every instance", lambda r: r["default"]["logouts_recorded"])
    row(
        "revoked token accepted after its logout answered",
        lambda r: r["default"]["revoked_accepted_after_logout"],
    )
    row("throttle counted across hosts (5 wrong, then 429)", lambda r: r["throttle"]["counted_across_hosts"])
    row("outage: seconds stopped", lambda r: r["default"]["outage"]["seconds"])
    row("outage: revoked tokens' answers", lambda r: _counts(r["default"]["outage"]["revoked_during"]))
    row("outage: other tokens' answers", lambda r: _counts(r["default"]["outage"]["live_during"]))
    row("answers 500 (whole run)", lambda r: r["default"]["status_500"])
    row(
        "full service again after the server was back (s)",
        lambda r: r["default"]["outage"]["last_live_refusal_after_back_s"],
    )
    row(
        "revoked before a restart, accepted after it",
        lambda r: r["default"]["revoked_lost_with_a_restart"]["accepted"],
    )
    row("max staleness (s)", lambda r: r["staleness"]["staleness"]["max_staleness"])
    row(
        "latest accept after a logout, any worker (s)",
        lambda r: r["staleness"]["staleness"]["latest_accept_after_logout_s"],
    )
    for index, label in ((0, "off"), (1, "on"), (2, "on, bounded staleness")):
        row(
            f"cached-token path, denylist {label}: req/s (p50/p99 ms)",
            lambda r, i=index: _rate(r["throughput"]["runs"][i]),
        )
    row("denylist on / off", lambda r: f"{r['throughput']['runs'][1]['ratio_to_off']}x")
    row("bounded staleness / off", lambda r: f"{r['throughput']['runs'][2]['ratio_to_off']}x")
    row(
        "side by side: on / off, bounded staleness / off",
        lambda r: " / ".join(
            f"{run['ratio_to_off']}x" for run in r["throughput"]["side_by_side"]["runs"][1:]
        ),
    )
    row("tokens or passwords found in the logs", lambda r: len(r["logs"]["secrets_found"]))
    return "\n".join(lines)


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{key}: {value}" for key, value in sorted(counter.items()))


def _rate(run: dict[str, Any]) -> str:
    return f"{run['requests_per_second']:.0f} ({run['p50_ms']:.1f}/{run['p99_ms']:.1f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--backends", nargs="+", default=["redis", "memcached"], choices=["redis", "memcached"]
    )
    parser.add_argument("--phases", nargs="+", default=list(PHASES), choices=list(PHASES))
    parser.add_argument("--seconds", type=float, default=30, help="the default run, outage included")
    parser.add_argument("--outage", type=float, default=10, help="seconds the cache server(s) are stopped")
    parser.add_argument(
        "--staleness", type=float, default=0.5, help="DENYLIST_MAX_STALENESS of phase 3 (0: skip)"
    )
    parser.add_argument("--staleness-seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=3, help="per gunicorn host")
    parser.add_argument("--asgi-workers", type=int, default=2)
    parser.add_argument(
        "--sessions", type=int, default=6, help="people signing in, using the API, signing out"
    )
    parser.add_argument("--rate", type=float, default=150, help="requests per second, all threads together")
    parser.add_argument("--api-calls", type=int, default=6)
    parser.add_argument("--probes", type=int, default=9, help="requests with a token right after its logout")
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--throughput-seconds", type=int, default=2, help="per wrk run (0: skip phase 4)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--side-by-side-seconds", type=int, default=5)
    parser.add_argument("--side-by-side-rounds", type=int, default=3)
    parser.add_argument("--bench-workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=1200, help="the whole run, or it fails")
    parser.add_argument("--out", type=Path, default=BENCHMARKS / "results")
    parser.add_argument("--logs", type=Path, default=None, help="keep the servers' logs here")
    parser.add_argument(
        "--quick", action="store_true", help="the test suite's slice: redis, a 2 s outage, no wrk"
    )
    parser.add_argument(
        "--memcached-defaults",
        action="store_true",
        help="pymemcache's own retry options (dead_timeout 60 s), as before",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.backends, args.seconds, args.outage, args.staleness_seconds = ["redis"], 10.0, 2.0, 5.0
        args.workers, args.asgi_workers, args.sessions, args.rate, args.users = 2, 1, 3, 60, 8
        args.throughput_seconds = 0
    if not 0 < args.outage < args.seconds or args.seconds > 300 or args.staleness_seconds > 120:
        parser.error("need 0 < --outage < --seconds <= 300 and --staleness-seconds <= 120")
    if not 0 <= args.staleness <= 60 or not 0 <= args.throughput_seconds <= 30 or not 1 <= args.rounds <= 40:
        parser.error("--staleness from 0 to 60, --throughput-seconds at most 30, --rounds from 1 to 40")
    missing = missing_servers() + [name for name in ("gunicorn", "uvicorn") if not (BIN / name).exists()]
    if args.throughput_seconds and shutil.which("wrk") is None:
        missing.append("wrk")
    if missing:
        parser.error(f"missing: {', '.join(missing)} (make system-packages, make bench-tools)")
    if not fastcognito.EXTENSION_ACTIVE:
        parser.error(f"fastcognito from {fastcognito.__file__} runs without its compiled extension")

    # The whole run is bounded: past --max-seconds the process ends itself (servers are in
    # process groups of their own; the finally blocks stop them on the way out).
    watchdog = threading.Timer(args.max_seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
    watchdog.daemon = True
    watchdog.start()
    started = time.monotonic()
    results: dict[str, Any] = {"runs": {}}
    with tempfile.TemporaryDirectory(prefix="fastcognito-scale-") as workdir:
        logs = args.logs or Path(workdir) / "logs"
        with run_ministack(Path(workdir)) as ministack:
            app, users = create_users(ministack.url, args.users)
            for backend in args.backends:
                backend_logs = logs / backend
                backend_logs.mkdir(parents=True, exist_ok=True)
                results["runs"][backend] = rehearse(backend, app, ministack.url, users, args, backend_logs)
    watchdog.cancel()
    now = datetime.datetime.now(datetime.timezone.utc)
    results.update(
        date=now.isoformat(timespec="seconds"),
        duration_s=round(time.monotonic() - started, 1),
        machine={"processor": _cpu_name(), "cpus": os.cpu_count()},
        versions={**versions(), **_server_versions()},
        settings={key: value for key, value in vars(args).items() if key not in ("out", "logs")},
    )
    print()
    print(table(results))
    if not args.quick:
        args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"scale-{'quick-' if args.quick else ''}{now:%Y-%m-%dT%H%MZ}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nsaved {path}")
    return 0


def _server_versions() -> dict[str, str]:
    import importlib.metadata

    found = {}
    for name in ("gunicorn", "uvicorn", "redis", "pymemcache"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    for binary, flag in (("redis-server", "--version"), ("memcached", "-V")):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            found[binary] = subprocess.run(
                [binary, flag], capture_output=True, text=True, timeout=10
            ).stdout.strip()
    return found


if __name__ == "__main__":
    sys.exit(main())
