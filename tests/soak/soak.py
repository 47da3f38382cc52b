"""Soak and leak runs of the verifier: many threads, a small cache, expiring tokens, a JWKS that
rotates (and sometimes fails) on a real HTTP server on 127.0.0.1.

    python tests/soak/soak.py soak --twin c --seconds 120 --threads 16
    python tests/soak/soak.py leak --twin c --verifies 1000000

``soak`` counts wrong answers: claims of another token, an expired or forged token accepted, a
key refused although served for longer than a refresh takes, a key trusted well after it was
removed, any exception outside the documented ones. ``leak`` runs mixed verifies (hits, misses,
rejections of every kind) and requires RSS and tracemalloc to stay flat after a warm-up. Both
exit non-zero on failure; ``make soak`` runs both on both twins, ``make test`` a short soak.
"""

from __future__ import annotations

import argparse
import array
import base64
import dataclasses
import gc
import http.server
import importlib
import json
import logging
import os
import random
import sys
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fastcognito import (
    CognitoVerifier,
    ExpiredTokenError,
    FastCognitoError,
    InvalidSignatureError,
    KeyNotFoundError,
    MalformedTokenError,
    default_issuer,
)

POOL = "eu-west-1_SoakPool1"
ISSUER = default_issuer(POOL)
CLIENT = "soakclient0123456789abcdef"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {
        "kty": "RSA",
        "kid": kid,
        "alg": "RS256",
        "use": "sig",
        "n": b64url(numbers.n.to_bytes(256, "big")),
        "e": b64url(numbers.e.to_bytes(3, "big")),
    }


def sign(key: rsa.RSAPrivateKey, kid: str, claims: dict[str, Any]) -> str:
    header = b64url(json.dumps({"kid": kid, "alg": "RS256"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{b64url(signature)}"


def claims_for(sub: str, iat: float, exp: float) -> dict[str, Any]:
    return {
        "sub": sub,
        "iss": ISSUER,
        "client_id": CLIENT,
        "token_use": "access",
        "scope": "openid",
        "iat": iat,
        "exp": exp,
        "jti": sub,
        "username": sub,
    }


def twin_module(name: str) -> Any:
    return importlib.import_module("fastcognito._verify" if name == "c" else "fastcognito._verify_py")


# --- a JWKS server that rotates -------------------------------------------------------------


class JWKSState:
    """What the server serves, and the history of it: (start, kids served, up)."""

    def __init__(self, keys: dict[str, rsa.RSAPrivateKey]) -> None:
        self.keys = keys
        self.lock = threading.Lock()
        self.history: list[tuple[float, frozenset[str], bool]] = []
        self.document = b""
        self.up = True
        self.fetches = 0

    def serve(self, kids: list[str], up: bool = True) -> None:
        document = json.dumps({"keys": [jwk(self.keys[kid], kid) for kid in kids]}).encode()
        with self.lock:
            self.document = document
            self.up = up
            self.history.append((time.monotonic(), frozenset(kids), up))

    def phases(self, start: float, end: float) -> Iterator[frozenset[str]]:
        """The sets served at any moment of [start, end]."""
        history = self.history
        for index, (begin, kids, _) in enumerate(history):
            until = history[index + 1][0] if index + 1 < len(history) else float("inf")
            if begin <= end and until >= start:
                yield kids


@contextmanager
def jwks_server(state: JWKSState) -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            with state.lock:
                state.fetches += 1
                body, up = state.document, state.up
            if not up:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- the soak -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SoakToken:
    token: str
    sub: str
    kid: str
    exp: float
    forged: bool  # signed by another key than its kid names


@dataclasses.dataclass
class SoakResult:
    verifies: int
    outcomes: Counter[str]
    wrong: list[str]
    fetches: int
    cache_hits: int
    seconds: float

    def summary(self) -> str:
        return (
            f"{self.verifies} verifies in {self.seconds:.1f} s, {len(self.wrong)} wrong, "
            f"{self.fetches} JWKS fetches, {self.cache_hits} cache hits, {dict(self.outcomes)}"
        )


def run_soak(
    twin: str = "c",
    seconds: float = 10.0,
    threads: int = 8,
    keys: int = 5,
    rotate_every: float = 1.0,
    max_age: float = 0.5,
    cooldown: float = 0.1,
    cache_size: int = 16,
    seed: int = 11,
) -> SoakResult:
    rng = random.Random(seed)
    kids = [f"soak-key-{index}" for index in range(keys)]
    private = {kid: rsa.generate_private_key(public_exponent=65537, key_size=2048) for kid in kids}
    start_wall = time.time()
    tokens: list[SoakToken] = []
    for index in range(keys * 12):
        kid = kids[index % keys]
        # A third expire during the run, at whole seconds; the rest outlive it.
        exp = float(int(start_wall) + (rng.randint(1, int(seconds) + 1) if index % 3 == 0 else 3600))
        forged = index % 11 == 5
        signer = private[kids[(index + 1) % keys]] if forged else private[kid]
        sub = f"user-{index}"
        tokens.append(SoakToken(sign(signer, kid, claims_for(sub, start_wall - 60, exp)), sub, kid, exp, forged))
    state = JWKSState(private)
    # Longer than a refresh can take: the stale set's max age, a cooldown, and the fetch itself.
    removal_grace = max_age + cooldown + 1.0
    addition_grace = cooldown + 1.0
    outcomes: Counter[str] = Counter()
    wrong: list[str] = []
    count = [0]
    lock = threading.Lock()
    module = twin_module(twin)

    with jwks_server(state) as url:
        state.serve(kids[:2])
        verifier = CognitoVerifier(
            POOL,
            client_id=CLIENT,
            token_use="access",
            issuer=ISSUER,
            jwks_url=url,
            cache_size=cache_size,
            jwks_max_age=max_age,
            jwks_cooldown=cooldown,
            _impl_module=module,
        )
        deadline = time.monotonic() + seconds
        stop = threading.Event()

        def judge(item: SoakToken, result: Any, wall0: float, wall1: float, mono0: float, mono1: float) -> str | None:
            if isinstance(result, BaseException) and not isinstance(result, FastCognitoError):
                return f"crash {type(result).__name__}: {result}"
            if not isinstance(result, BaseException):
                if result["sub"] != item.sub:
                    return f"claims of {result['sub']} for {item.sub}"
                if item.forged:
                    return f"forged token {item.sub} accepted"
                if wall0 >= item.exp:
                    return f"expired token {item.sub} accepted"
                if all(item.kid not in served for served in state.phases(mono0 - removal_grace, mono1)):
                    return f"{item.kid} trusted {removal_grace:.1f} s after its removal"
                return None
            if isinstance(result, ExpiredTokenError):
                return None if wall1 >= item.exp else f"{item.sub} called expired before {item.exp}"
            if isinstance(result, KeyNotFoundError):
                if all(item.kid in served for served in state.phases(mono0 - addition_grace, mono1)):
                    return f"{item.kid} refused although served for {addition_grace:.1f} s"
                return None
            if isinstance(result, InvalidSignatureError):
                return None if item.forged else f"genuine token {item.sub} called forged"
            return f"unexpected {type(result).__name__}: {result}"

        # Half the traffic on a few hot tokens, one per key, so they live in the small cache
        # across rotations; the rest spread over all of them, so the cache also evicts.
        hot = [item for item in tokens if not item.forged and item.exp > start_wall + 3000][:keys]

        def worker(worker_seed: int) -> None:
            local = random.Random(worker_seed)
            done = 0
            while time.monotonic() < deadline:
                item = local.choice(hot) if local.random() < 0.5 else local.choice(tokens)
                wall0, mono0 = time.time(), time.monotonic()
                result: Any
                try:
                    result = verifier.verify(item.token)
                except BaseException as err:  # judged below, never swallowed
                    result = err
                wall1, mono1 = time.time(), time.monotonic()
                verdict = judge(item, result, wall0, wall1, mono0, mono1)
                name = "accepted" if not isinstance(result, BaseException) else type(result).__name__
                with lock:
                    outcomes[name] += 1
                    if verdict is not None and len(wrong) < 1000:
                        wrong.append(verdict)
                done += 1
            with lock:
                count[0] += done

        def rotate() -> None:
            phase = 0
            while not stop.wait(rotate_every):
                phase += 1
                # Cognito's way: the next key appears beside the current one, the old one goes.
                # Every fifth phase the JWKS is down for a while: the last good set must carry on.
                state.serve([kids[phase % keys], kids[(phase + 1) % keys]], up=phase % 5 != 4)

        rotator = threading.Thread(target=rotate, daemon=True)
        workers = [threading.Thread(target=worker, args=(seed * 1000 + index,)) for index in range(threads)]
        began = time.monotonic()
        rotator.start()
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        stop.set()
        rotator.join(timeout=10)
        elapsed = time.monotonic() - began
        info = verifier.cache_info()
    return SoakResult(count[0], outcomes, wrong, state.fetches, info.hits, elapsed)


# --- the leak run ---------------------------------------------------------------------------


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@dataclasses.dataclass
class LeakResult:
    verifies: int
    rss: list[int]
    traced: list[int]

    def growth(self) -> tuple[int, int]:
        """RSS and traced-memory growth from the end of the warm-up to the end."""
        return self.rss[-1] - self.rss[0], self.traced[-1] - self.traced[0]


def run_leak(twin: str = "c", verifies: int = 1_000_000, checkpoints: int = 10, warmup: float = 0.2) -> LeakResult:
    """Mixed verifies on one verifier with a 64-entry cache; memory sampled at checkpoints after
    a warm-up fraction."""
    rng = random.Random(7)
    key, other = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
    now = time.time()
    jwks = {"keys": [jwk(key, "leak-key")]}
    valid = [sign(key, "leak-key", claims_for(f"user-{i}", now - 60, now + 3600)) for i in range(96)]
    rejected = [
        sign(key, "leak-key", claims_for("expired", now - 120, now - 60)),
        sign(other, "leak-key", claims_for("forged", now - 60, now + 3600)),
        sign(key, "unknown-key", claims_for("unknown", now - 60, now + 3600)),
        valid[0][:-4] + "====",
        "not.a.token",
        valid[1].replace(".", "..", 1),
        "x" * 9000,
    ]
    verifier = CognitoVerifier(
        POOL, client_id=CLIENT, token_use="access", jwks=jwks, cache_size=64, _impl_module=twin_module(twin)
    )
    # 96 tokens over 64 entries: steady hits and evictions; one verify in ten is a rejection.
    schedule = [rng.choice(rejected) if rng.random() < 0.1 else rng.choice(valid) for _ in range(4096)]
    warm = int(verifies * warmup)
    step = max(1, (verifies - warm) // checkpoints)
    # Preallocated C arrays: samples kept in Python lists would be a growth of their own.
    rss = array.array("q", [0] * (checkpoints + 1))
    traced = array.array("q", [0] * (checkpoints + 1))
    sample = 0
    tracemalloc.start()
    index = 0
    for done in range(verifies):
        try:
            verifier.verify(schedule[index])
        except FastCognitoError:
            pass
        index = (index + 1) & 4095
        if done + 1 >= warm and (done + 1 - warm) % step == 0 and sample <= checkpoints:
            gc.collect()
            traced[sample] = tracemalloc.get_traced_memory()[0]
            rss[sample] = _rss_bytes()
            sample += 1
    tracemalloc.stop()
    return LeakResult(verifies, list(rss[:sample]), list(traced[:sample]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["soak", "leak"])
    parser.add_argument("--twin", choices=["c", "py"], default="c")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--verifies", type=int, default=1_000_000)
    parser.add_argument("--max-rss-growth", type=int, default=1 << 20)
    parser.add_argument("--max-traced-growth", type=int, default=64 << 10)
    options = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the failing JWKS phases warn by design
    if options.what == "soak":
        result = run_soak(options.twin, options.seconds, options.threads)
        print(f"soak [{options.twin}]: {result.summary()}")
        for line in result.wrong[:20]:
            print("  wrong:", line)
        bound = options.seconds / 0.1 + 2
        if result.fetches > bound:
            print(f"  too many fetches: {result.fetches} > {bound:.0f}")
            return 1
        return 1 if result.wrong else 0
    leak = run_leak(options.twin, options.verifies)
    rss_growth, traced_growth = leak.growth()
    print(
        f"leak [{options.twin}]: {leak.verifies} verifies; after warm-up RSS {leak.rss[0] >> 10} kB "
        f"-> {leak.rss[-1] >> 10} kB ({rss_growth:+d} B), traced {leak.traced[0]} B -> {leak.traced[-1]} B "
        f"({traced_growth:+d} B)"
    )
    return 0 if rss_growth <= options.max_rss_growth and traced_growth <= options.max_traced_growth else 1


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["LeakResult", "MalformedTokenError", "SoakResult", "run_leak", "run_soak"]
