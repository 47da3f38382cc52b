"""End-to-end load: the example project on 127.0.0.1 under gunicorn (sync, gthread) and granian
(WSGI), and under uvicorn and granian's ASGI mode, loaded by wrk, each authenticated variant
paired with no-auth runs on the same server.

Variants (DRF view `GET /e2e/auth/`, IsAuthenticated):
- fastcognito, one cached token (every request the same token: a cache hit);
- fastcognito, distinct tokens (20,480 users' tokens in rotation, more than the claims cache
  holds, so every request is a full verify);
- the PyJWT class of the tutorials, distinct tokens;
- a Djognito-style class, distinct tokens.
Each is paired with `GET /e2e/noauth/` (the same view without authentication) on the same
server, twice: with no token at all, and with the same token bytes in a header nothing reads
(`X-Unread-Auth`, as long as `Authorization`), which isolates what the server spends receiving a
1 KB JWT from what the authentication spends on it. `--pairs` alternating rounds of the three
runs, medians reported, and the ratios of the medians. Goal: the cached token serves at least
0.97x the no-auth rate.

Under the ASGI servers the measured view is an async Django view (`GET /e2e/async/auth/`, the
user from `CognitoMiddleware` through `cognito_login_required`, so `averify` on the loop), paired
with an async view that never reads the user (`/e2e/async/noauth/`), the cached-token variant only.

Every run is bounded: wrk runs `--seconds` (at most 30) with a timeout, servers are started on a
free 127.0.0.1 port and stopped on the way out, also on failure. Before any load, each variant
must answer 200 to a good token and 401 to none and to an expired one, and each wrk run must see
only 2xx answers, or the run fails.

    python benchmarks/e2e/run.py [--seconds 5] [--pairs 3] [--out benchmarks/results] [--check-only]
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

E2E = Path(__file__).resolve().parent
BENCHMARKS = E2E.parent
REPO = BENCHMARKS.parent
sys.path.insert(0, str(BENCHMARKS))

from bench_results import _cpu_name, commit, versions  # noqa: E402
from bench_tokens import CLIENT_ID, POOL_ID, REGION, BenchToken  # noqa: E402
from peers import PeerKeys, peer_keys  # noqa: E402

from fastcognito._constants import DEFAULT_CACHE_SIZE  # noqa: E402

MAX_SECONDS = 30
# A header of the same length as "Authorization", which no middleware or view reads.
UNREAD_HEADER = "X-Unread-Auth"
# More than fastcognito's default cache holds, so every request of the distinct variants is a miss.
DISTINCT_TOKENS = DEFAULT_CACHE_SIZE + 4096
BIN = Path(sys.executable).parent
SERVERS = {
    "gunicorn sync": [str(BIN / "gunicorn"), "--workers", "1", "--worker-class", "sync"],
    "gunicorn gthread": [
        str(BIN / "gunicorn"),
        "--workers",
        "1",
        "--worker-class",
        "gthread",
        "--threads",
        "4",
    ],
    "granian": [sys.executable, "-m", "granian", "--interface", "wsgi", "--workers", "1", "--no-log"],
    # uvloop and httptools when installed (make bench-tools), as uvicorn[standard] deploys it.
    "uvicorn": [sys.executable, "-m", "uvicorn", "--workers", "1", "--no-access-log"],
    "granian asgi": [sys.executable, "-m", "granian", "--interface", "asgi", "--workers", "1", "--no-log"],
}
ASGI_SERVERS = ("uvicorn", "granian asgi")
# (authenticated path, no-auth path) by the kind of server.
WSGI_PATHS = ("/e2e/auth/", "/e2e/noauth/")
ASGI_PATHS = ("/e2e/async/auth/", "/e2e/async/noauth/")
# (variant label, E2E_AUTH, which tokens)
VARIANTS = [
    ("fastcognito, one cached token", "fastcognito", "one"),
    ("fastcognito, distinct tokens", "fastcognito", "distinct"),
    ("PyJWT tutorial class, distinct tokens", "pyjwt", "distinct"),
    ("Djognito-style class, distinct tokens", "djognito", "distinct"),
]
ASGI_VARIANTS = [("fastcognito, one cached token (async view, CognitoMiddleware)", "fastcognito", "one")]


@dataclass
class LoadRun:
    server: str
    variant: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_request: float
    noauth_requests_per_second: float
    noauth_p50_ms: float
    noauth_p99_ms: float
    noauth_cpu_us_per_request: float
    unread_requests_per_second: float
    unread_p50_ms: float
    unread_p99_ms: float
    unread_cpu_us_per_request: float

    @property
    def ratio(self) -> float:
        """Requests per second, as a ratio to the paired no-auth run."""
        return self.requests_per_second / self.noauth_requests_per_second

    @property
    def cpu_ratio(self) -> float:
        """The server's CPU time per no-auth request over its CPU time per authenticated request:
        the share of its no-auth rate a CPU-bound worker keeps. Steadier than the rate on a
        shared machine, where other jobs take the cores for seconds at a time."""
        return self.noauth_cpu_us_per_request / self.cpu_us_per_request

    @property
    def unread_ratio(self) -> float:
        """Requests per second, as a ratio to the no-auth run that carried the same token unread."""
        return self.requests_per_second / self.unread_requests_per_second

    @property
    def unread_cpu_ratio(self) -> float:
        """``cpu_ratio`` against the no-auth run with the same token unread: the authentication's
        own share, without the server's cost of receiving the token."""
        return self.unread_cpu_us_per_request / self.cpu_us_per_request


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _get(port: int, path: str, token: str | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _process_tree(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                pending.extend(int(child) for child in (task / "children").read_text().split())
            except OSError:
                pass
    return found


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of the server: the process and every worker under it."""
    total = 0
    for member in _process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return total / os.sysconf("SC_CLK_TCK")


def server_environment(keys: PeerKeys, workdir: Path, **extra: str) -> dict[str, str]:
    """The environment of a server of the example project with the e2e settings and these keys
    (E2E_AUTH, which picks the authentication class, is set per server)."""
    return dict(
        os.environ,
        PYTHONPATH=_python_path(REPO / "examples" / "project", E2E),
        DJANGO_SETTINGS_MODULE="e2e_settings",
        COGNITO_USER_POOL_ID=POOL_ID,
        COGNITO_CLIENT_ID=CLIENT_ID,
        COGNITO_JWKS_URL=keys.jwks_url,
        EXAMPLE_DB_PATH=str(workdir / "db.sqlite3"),
        E2E_JWKS_PATH=keys.jwks_path,
        # What the Djognito-style class reads on every call, as Djognito does.
        APP_CLIENT_ID=CLIENT_ID,
        AWS_COGNITO_REGION=REGION,
        **extra,
    )


def _python_path(*first: Path) -> str:
    # The caller's PYTHONPATH, if any, after the project's: a tree whose extension is built in
    # place can be measured without installing it (check_implementation shows which one runs).
    inherited = [part for part in os.environ.get("PYTHONPATH", "").split(os.pathsep) if part]
    return os.pathsep.join([*map(str, first), *inherited])


@dataclass
class Server:
    port: int
    pid: int


@contextmanager
def running_server(name: str, env: dict[str, str]) -> Iterator[Server]:
    port = _free_port()
    command = list(SERVERS[name])
    noauth_path = (ASGI_PATHS if name in ASGI_SERVERS else WSGI_PATHS)[1]
    if name == "granian":
        command += ["--host", "127.0.0.1", "--port", str(port), "project.wsgi:application"]
    elif name == "granian asgi":
        command += ["--host", "127.0.0.1", "--port", str(port), "project.asgi:application"]
    elif name == "uvicorn":
        command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        command += ["project.asgi:application"]
    else:
        command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "project.wsgi"]
    # Not the repository's root: the servers put their working directory first on sys.path, and
    # there `fastcognito/` is the source tree, whose compiled extension is not built in place, so
    # the server would silently measure the pure-Python twin. check_implementation() proves it.
    process = subprocess.Popen(command, env=env, cwd=E2E, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited at start-up: {process.stderr.read().decode()[-2000:]}")
            try:
                if _get(port, noauth_path) == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer on 127.0.0.1:{port} within 30 s")
            time.sleep(0.2)
        yield Server(port, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def check_implementation(port: int) -> dict[str, object]:
    """The server must run the installed fastcognito with its compiled hot path, as users do."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/e2e/impl/")
        response = connection.getresponse()
        found: dict[str, object] = json.loads(response.read())
    finally:
        connection.close()
    if found.get("extension_active") is not True:
        raise RuntimeError(
            f"the server runs fastcognito from {found.get('file')} without its compiled extension; "
            "`make install` builds it (and FASTCOGNITO_NO_EXTENSIONS must not be set)"
        )
    return found


def check_variant(
    port: int, bench_token: BenchToken, distinct_token: str, paths: tuple[str, str] = WSGI_PATHS
) -> None:
    """The authenticated view must accept good tokens and refuse a missing or expired one."""
    auth, noauth = paths
    expected = {
        "good token": (_get(port, auth, bench_token.token), 200),
        "another user's token": (_get(port, auth, distinct_token), 200),
        "no token": (_get(port, auth), 401),
        "expired token": (_get(port, auth, bench_token.bad()["exp"]), 401),
        "forged signature": (_get(port, auth, bench_token.bad()["signature"]), 401),
        "no-auth view": (_get(port, noauth), 200),
    }
    wrong = {case: got for case, (got, want) in expected.items() if got != want}
    if wrong:
        raise RuntimeError(f"unexpected answers: {wrong}")


_LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(
    server: Server,
    path: str,
    seconds: int,
    connections: int,
    extra: list[str],
    env: dict[str, str] | None = None,
) -> tuple[float, float, float, float]:
    """(requests/s, p50 ms, p99 ms, server CPU us per request) of one bounded wrk run; fails on
    any non-2xx answer."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    command += extra + [f"http://127.0.0.1:{server.port}{path}"]
    cpu_before = cpu_seconds(server.pid)
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, env=env)
    cpu_used = cpu_seconds(server.pid) - cpu_before
    output = result.stdout
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed: {result.stderr}{output}")
    if "Non-2xx or 3xx responses" in output or "Socket errors" in output:
        raise RuntimeError(f"wrk saw errors or refusals:\n{output}")
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    count = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    latencies = {percent: float(value) * _UNIT_MS[unit] for percent, value, unit in _LATENCY.findall(output)}
    if rate is None or count is None or int(count.group(1)) == 0 or set(latencies) != {"50", "99"}:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    return float(rate.group(1)), latencies["50"], latencies["99"], cpu_used / int(count.group(1)) * 1e6


def _medians(samples: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    rate, p50, p99, cpu = (statistics.median(column) for column in zip(*samples))
    return rate, p50, p99, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help=f"per wrk run, at most {MAX_SECONDS}")
    parser.add_argument("--pairs", type=int, default=3, help="alternating no-auth/auth runs per variant")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--servers", nargs="+", default=list(SERVERS), choices=list(SERVERS))
    parser.add_argument("--distinct-tokens", type=int, default=DISTINCT_TOKENS)
    parser.add_argument("--out", type=Path, default=BENCHMARKS / "results")
    parser.add_argument(
        "--check-only", action="store_true", help="start each server and variant, check answers, no load"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds must be between 1 and {MAX_SECONDS}")
    if not args.check_only and shutil.which("wrk") is None:
        parser.error("wrk is missing (Debian package wrk)")

    measured = commit()  # before the run, which a commit made meanwhile must not rename
    bench_token = BenchToken()
    distinct = [token for token, _, _ in bench_token.distinct(args.distinct_tokens)]
    runs: list[LoadRun] = []
    implementation: dict[str, object] = {}
    with peer_keys(bench_token) as keys, tempfile.TemporaryDirectory(prefix="fastcognito-e2e-") as workdir:
        tokens_file = Path(workdir) / "tokens.txt"
        tokens_file.write_text("\n".join(distinct) + "\n")
        base_env = server_environment(keys, Path(workdir), E2E_TOKENS=str(tokens_file))
        for server in args.servers:
            asgi = server in ASGI_SERVERS
            auth_path, noauth_path = ASGI_PATHS if asgi else WSGI_PATHS
            # Under ASGI: fastcognito behind CognitoMiddleware, its cached token only.
            variants = ASGI_VARIANTS if asgi else VARIANTS
            for auth in dict.fromkeys(auth for _, auth, _ in variants):
                env = dict(base_env, E2E_AUTH=auth, E2E_ASGI="1" if asgi else "0")
                with running_server(server, env) as running:
                    implementation = check_implementation(running.port)
                    check_variant(running.port, bench_token, distinct[-1], (auth_path, noauth_path))
                    print(f"{server} / {auth}: answers checked", flush=True)
                    if args.check_only:
                        continue
                    wrk(running, noauth_path, 1, args.connections, [])  # warm-up, not reported
                    for label, variant_auth, tokens in variants:
                        if variant_auth != auth:
                            continue
                        if tokens == "one":
                            extra = ["-H", f"Authorization: Bearer {bench_token.token}"]
                            unread = ["-H", f"{UNREAD_HEADER}: Bearer {bench_token.token}"]
                            unread_env = env
                        else:
                            extra = unread = ["-s", str(E2E / "tokens.lua")]  # reads E2E_TOKENS
                            unread_env = dict(env, E2E_HEADER=UNREAD_HEADER)
                        # Alternating rounds, medians kept: the load of a shared machine drifts.
                        noauth_runs, unread_runs, auth_runs = [], [], []
                        for _ in range(args.pairs):
                            noauth_runs.append(wrk(running, noauth_path, args.seconds, args.connections, []))
                            unread_runs.append(
                                wrk(running, noauth_path, args.seconds, args.connections, unread, unread_env)
                            )
                            auth_runs.append(
                                wrk(running, auth_path, args.seconds, args.connections, extra, env)
                            )
                        run = LoadRun(
                            server, label, *_medians(auth_runs), *_medians(noauth_runs), *_medians(unread_runs)
                        )
                        runs.append(run)
                        print(
                            f"  {label}: {run.requests_per_second:.0f} req/s, {run.ratio:.3f}x no-auth, "
                            f"{run.unread_ratio:.3f}x no-auth with the token unread; "
                            f"{run.cpu_us_per_request:.0f} us CPU/request, CPU ratios "
                            f"{run.cpu_ratio:.3f}x and {run.unread_cpu_ratio:.3f}x",
                            flush=True,
                        )
    if args.check_only:
        return 0
    print()
    print(table(runs))
    args.out.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    path = args.out / f"e2e-{now:%Y-%m-%dT%H%MZ}.json"
    path.write_text(
        json.dumps(
            {
                "date": now.isoformat(timespec="seconds"),
                "commit": measured,
                "machine": {"processor": _cpu_name(), "cpus": os.cpu_count(), "load": os.getloadavg()},
                "versions": {**versions(), **_server_versions()},
                "settings": {
                    "seconds": args.seconds,
                    "pairs": args.pairs,
                    "connections": args.connections,
                    "distinct_tokens": args.distinct_tokens,
                    "workers": 1,
                    "fastcognito": implementation,
                },
                "runs": [
                    {
                        **asdict(run),
                        "ratio": run.ratio,
                        "cpu_ratio": run.cpu_ratio,
                        "unread_ratio": run.unread_ratio,
                        "unread_cpu_ratio": run.unread_cpu_ratio,
                    }
                    for run in runs
                ],
            },
            indent=2,
        )
    )
    print(f"\nsaved {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return 0


def _server_versions() -> dict[str, str]:
    import importlib.metadata

    found = {}
    for name in ("gunicorn", "granian"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    # `wrk -v` prints its version, then its usage, and exits 1.
    banner = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    found["wrk"] = (banner.stdout + banner.stderr).split("\n")[0].split(" [")[0].replace("wrk ", "") or "?"
    return found


def table(runs: list[LoadRun]) -> str:
    lines = [
        "| server | variant | req/s | p50 (ms) | p99 (ms) | no-auth req/s (token unread) | req/s ratio "
        "(token unread) | server CPU/request (us) | no-auth CPU/request (token unread) | CPU ratio "
        "(token unread) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run.server} | {run.variant} | {run.requests_per_second:.0f} | {run.p50_ms:.2f} | "
            f"{run.p99_ms:.2f} | {run.noauth_requests_per_second:.0f} ({run.unread_requests_per_second:.0f}) | "
            f"{run.ratio:.3f}x ({run.unread_ratio:.3f}x) | {run.cpu_us_per_request:.0f} | "
            f"{run.noauth_cpu_us_per_request:.0f} ({run.unread_cpu_us_per_request:.0f}) | "
            f"{run.cpu_ratio:.3f}x ({run.unread_cpu_ratio:.3f}x) |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
