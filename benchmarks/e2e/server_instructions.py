"""Instructions per request of the whole server, counted by callgrind: the end-to-end comparison
that a busy machine does not blur.

wrk's rates (run.py) move by several percent between runs on a shared machine, more than the
differences they are meant to show. Here the example project runs under gunicorn (sync, one
worker, as in run.py) inside ``valgrind --tool=callgrind``, and the worker's instruction total is
read after it exits. Each case runs twice, in parallel: both servers answer the same ``--warm``
requests, and one of them ``--requests`` more; the difference of the two totals divided by
``--requests`` is what one request costs the worker, from the socket's accept to its close:
gunicorn's HTTP parsing and WSGI set-up, every middleware, the view and the response. Start-up,
imports and warm-up cancel out. Kernel time is not counted (callgrind sees user space only).

Cases: the no-auth view with no token, and with the token's bytes in a header nothing reads
(what receiving a 1 KB JWT costs gunicorn and Django); the authenticated view with one cached
token and with distinct tokens (a cold verify each), for fastcognito; the PyJWT and
Djognito-style classes with distinct tokens. Ratios are to both no-auth cases.

    python benchmarks/e2e/server_instructions.py [--requests 200] [--warm 20] [--case TEXT]... [--out DIR]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

E2E = Path(__file__).resolve().parent
sys.path.insert(0, str(E2E))

import run  # noqa: E402  (run.py's servers, environment and checks)
from bench_tokens import BenchToken  # noqa: E402
from peers import peer_keys  # noqa: E402

# One worker, as in run.py; the arbiter forks it, and its callgrind file is read when it exits.
# Only gunicorn: granian's worker, a Rust runtime with its own threads, gave counts that depend on
# timing under callgrind (a request carrying an unread token came out cheaper than one without).
GUNICORN_SYNC = [
    str(run.BIN / "gunicorn"),
    "--workers",
    "1",
    "--worker-class",
    "sync",
    "--timeout",
    "900",
    "--log-level",
    "warning",
    "project.wsgi",
]
CONCURRENCY = 4  # client connections at once in the measured phase
START_TIMEOUT = 180  # seconds: gunicorn and Django start about 50x slower under valgrind
STOP_TIMEOUT = 300  # seconds for a graceful stop, which is as slow
_TOTAL = re.compile(rb"^(?:summary|totals):\s*(\d+)", re.MULTILINE)


@dataclass(frozen=True)
class Case:
    label: str
    auth: str  # E2E_AUTH
    path: str
    header: str | None  # None: no token
    tokens: str  # "one" or "distinct"


BASELINE = "no-auth view, no token"
UNREAD = "no-auth view, token unread"
CASES = [
    Case(BASELINE, "fastcognito", "/e2e/noauth/", None, "one"),
    Case(UNREAD, "fastcognito", "/e2e/noauth/", run.UNREAD_HEADER, "one"),
    Case("fastcognito, one cached token", "fastcognito", "/e2e/auth/", "Authorization", "one"),
    Case("fastcognito, distinct tokens", "fastcognito", "/e2e/auth/", "Authorization", "distinct"),
    Case("PyJWT tutorial class, distinct tokens", "pyjwt", "/e2e/auth/", "Authorization", "distinct"),
    Case("Djognito-style class, distinct tokens", "djognito", "/e2e/auth/", "Authorization", "distinct"),
]


def _send_all(port: int, case: Case, tokens: list[str]) -> None:
    """One request per token, one after the other on one connection while the server keeps it:
    both servers here close it after each answer, and http.client opens the next."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        for token in tokens:
            connection.request("GET", case.path, headers={case.header: f"Bearer {token}"} if case.header else {})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{case.path} answered {response.status}")
    finally:
        connection.close()


def worker_instructions(case: Case, env: dict[str, str], tokens: list[str], warm: int, count: int) -> int:
    """The instruction total of the worker of one server that answered the requests for the first
    ``count`` of ``tokens`` (``warm`` of them one after the other) and then stopped."""
    with tempfile.TemporaryDirectory(prefix="fastcognito-e2e-callgrind-") as workdir:
        port = run._free_port()
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={workdir}/callgrind.%p"]
        command += [*GUNICORN_SYNC, "--bind", f"127.0.0.1:{port}"]
        server = subprocess.Popen(
            command,
            env=dict(env, E2E_AUTH=case.auth),
            cwd=E2E,  # not the repository root: see run.running_server
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"gunicorn exited at start-up: {server.stderr.read().decode()[-2000:]}")
                try:
                    # check_implementation's request, which also proves the compiled twin runs.
                    run.check_implementation(port)
                    break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT} s under valgrind")
                time.sleep(0.5)
            workers = run._process_tree(server.pid)[1:]
            if len(workers) != 1:
                raise RuntimeError(f"expected one gunicorn worker, found {workers}")
            _send_all(port, case, tokens[:warm])
            # Then from several connections at once, as under load: the worker always finds the
            # next request waiting, so it never idles in select() between two requests, which
            # would add a number of loop turns that depends on timing.
            measured = tokens[warm:count]
            with concurrent.futures.ThreadPoolExecutor(max_workers=CONCURRENCY) as clients:
                for _ in clients.map(
                    lambda share: _send_all(port, case, share),
                    [measured[index::CONCURRENCY] for index in range(CONCURRENCY)],
                ):
                    pass
        finally:
            server.terminate()
            try:
                server.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        # The worker writes its callgrind file as it exits, which under valgrind can come after
        # the main process has gone.
        out = Path(workdir) / f"callgrind.{workers[0]}"
        deadline = time.monotonic() + STOP_TIMEOUT
        while Path(f"/proc/{workers[0]}").exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        if not out.exists():
            raise RuntimeError("the gunicorn worker left no callgrind file (killed before it exited?)")
        match = _TOTAL.search(out.read_bytes())
        if match is None:
            raise RuntimeError(f"no instruction total in {out}")
        return int(match.group(1))


def measure(case: Case, env: dict[str, str], tokens: list[str], warm: int, requests: int) -> float:
    """Instructions per request of ``case``: two servers in parallel, ``warm`` and
    ``warm + requests`` requests."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        short = pool.submit(worker_instructions, case, env, tokens, warm, warm)
        long = pool.submit(worker_instructions, case, env, tokens, warm, warm + requests)
        return (long.result() - short.result()) / requests


def main(argv: list[str] | None = None) -> int:
    measured = run.commit()  # before the run, which a commit made meanwhile must not rename
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="measured requests per case")
    parser.add_argument("--warm", type=int, default=20, help="requests both servers answer first")
    parser.add_argument(
        "--case", action="append", default=[], help="only cases whose label contains this text (repeatable)"
    )
    parser.add_argument("--out", type=Path, help="write the counts as JSON in this directory")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.warm < 1:
        parser.error("--requests and --warm must be at least 1")
    if shutil.which("valgrind") is None:
        parser.error("valgrind is missing (Debian package valgrind)")
    cases = [case for case in CASES if not args.case or any(text in case.label for text in args.case)]
    if not cases:
        parser.error(f"no case matches {args.case}")

    bench_token = BenchToken()
    distinct = [token for token, _, _ in bench_token.distinct(args.warm + args.requests)]
    counts: dict[str, float] = {}
    with peer_keys(bench_token) as keys, tempfile.TemporaryDirectory(prefix="fastcognito-e2e-") as workdir:
        # PYTHONHASHSEED: the same dict layouts in every server.
        env = run.server_environment(keys, Path(workdir), PYTHONHASHSEED="0")
        print(f"instructions per request, whole gunicorn sync worker ({args.requests} requests, callgrind)")
        for case in cases:
            tokens = [bench_token.token] * (args.warm + args.requests) if case.tokens == "one" else distinct
            counts[case.label] = measure(case, env, tokens, args.warm, args.requests)
            print(f"  {case.label:<40} {counts[case.label]:>12,.0f}{_ratios(counts, case.label)}", flush=True)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.timezone.utc)
        path = args.out / f"e2e-instructions-{now:%Y-%m-%dT%H%MZ}.json"
        path.write_text(
            json.dumps(
                {
                    "date": now.isoformat(timespec="seconds"),
                    "commit": measured,
                    "machine": {"processor": run._cpu_name(), "cpus": os.cpu_count()},
                    "server": "gunicorn sync, 1 worker",
                    "versions": {**run.versions(), **run._server_versions()},
                    "settings": {"requests": args.requests, "warm": args.warm},
                    "instructions_per_request": counts,
                },
                indent=2,
            )
            + "\n"
        )
        print(f"saved {path.relative_to(run.REPO) if path.is_relative_to(run.REPO) else path}")
    return 0


def _ratios(counts: dict[str, float], label: str) -> str:
    """`` baseline/this`` for both no-auth cases, when measured: the share of a CPU-bound worker's
    no-auth rate this case keeps."""
    parts = [
        f"{counts[base] / counts[label]:.3f}x of {base!r}"
        for base in (BASELINE, UNREAD)
        if base in counts and base != label
    ]
    return f"   ({'; '.join(parts)})" if parts else ""


if __name__ == "__main__":
    sys.exit(main())
