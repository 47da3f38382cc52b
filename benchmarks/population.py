"""A realistic population through the default verifier: what the claims cache buys, and costs.

``make bench-population`` runs this. A stream of requests from ``--users`` distinct users (100,000),
the user of each request drawn from a Zipf distribution (exponent ``--zipf``, 1.0: the user of rank
r sends in proportion to 1/r), spread evenly over ``--hours`` of simulated time. Each user holds a
Cognito-shaped access token that lives one hour and is refreshed when it ends, each user on a
phase of their own; a request carries the token its user holds at that moment. Every token is a
genuine RS256 token, signed by one local key.

The stream goes through ``CognitoVerifier`` with its defaults (the JWKS fetched from a server on
127.0.0.1 and trusted for ``jwks_max_age``), one replay per ``--cache-sizes`` entry, the verifier's
two clocks driven by the simulated time. Each request's token is a fresh ``str``, made just before
its batch of 256 requests, as a server makes it from the request's header. Reported per twin and
cache size:

- the hit rate (``cache_info()``), over the whole stream and per simulated hour;
- the mean CPU time per request (process time, the stream's own loop taken out), beside the raw
  RSA verify measured in the same process: the cost if every request were a miss at the floor;
- the cache's memory, from ``tracemalloc``: ``--memory-entries`` distinct tokens verified into an
  empty cache, bytes still held afterwards per entry, as verified and after every claim was read
  (``Claims`` decodes arrays on first read), with what the entries hold (token, claims dict, values
  no other entry shares, the rest: the cache's own structures).

Every token of the stream is checked before anything is timed: a replay that rejects one fails.

Signing takes about 1 ms per token, and the default stream needs some 200,000 tokens, so they are
made lazily, only those the stream uses, and kept on disk (``--token-dir``, ``.bench/population``):
the key, then 256 bytes of signature per token, the rest of each token rebuilt from its user and
hour. ``--jobs`` signs in several processes.

    python benchmarks/population.py [--users 100000] [--requests 1000000] [--hours 2] [--zipf 1.0]
        [--cache-sizes 1024,4096,...] [--twins c,py] [--memory-entries 20000] [--out DIR]
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import datetime
import gc
import hashlib
import itertools
import json
import os
import random
import statistics
import struct
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
sys.path.insert(0, str(BENCHMARKS))

from bench_results import _cpu_name, commit, load_average, versions
from bench_tokens import BIG_GROUPS, CLIENT_ID, ISSUER, KID, POOL_ID, JWKSServer, b64url, rsa_jwk
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# The simulated time starts here (2026-01-01T00:00:00Z), whatever the real date: the tokens on
# disk then stay valid for every later run.
EPOCH = 1_767_225_600
TOKEN_LIFETIME = 3600  # Cognito's default for access tokens; each user refreshes when it ends
BATCH = 256  # requests per timed batch: their fresh token strs (about 280 kB) stay in L2
SIGNATURE_BYTES = 256
RECORD = struct.Struct("<II")  # (user, token index), then the signature
# The version of the tokens' shape: part of the directory name, so a change re-signs.
TOKEN_SHAPE = 2
# What users belong to, by user number: most tokens carry one or two groups (about 1 kB); one
# user in BIG_EVERY has 200 (about 5 kB), as where groups mirror an enterprise directory.
GROUP_SETS = (("users",), ("users", "editors"), ("users",), ("admins", "users"), ())
BIG_EVERY = 20
TWINS = ("c", "py")


@dataclass(frozen=True)
class Population:
    users: int
    requests: int
    hours: float
    zipf: float
    seed: int

    @property
    def fingerprint(self) -> str:
        text = f"{TOKEN_SHAPE}:{self.users}:{self.seed}:{EPOCH}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def groups_of(user: int) -> Sequence[str]:
    return BIG_GROUPS if user % BIG_EVERY == 0 else GROUP_SETS[user % len(GROUP_SETS)]


def _uuid(*parts: object) -> str:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).digest()
    return str(uuid.UUID(bytes=digest, version=4))


class Stream:
    """The requests (user, seconds since EPOCH) and each user's refresh phase, from the seed."""

    def __init__(self, population: Population) -> None:
        rng = random.Random(population.seed)
        self.population = population
        # Seconds into their first hour each user already was at EPOCH.
        self.phases = [rng.randrange(TOKEN_LIFETIME) for _ in range(population.users)]
        ranked = list(range(population.users))
        rng.shuffle(ranked)
        weights = itertools.accumulate(1.0 / rank**population.zipf for rank in range(1, population.users + 1))
        cumulative = list(weights)
        self.users = rng.choices(ranked, cum_weights=cumulative, k=population.requests)
        step = population.hours * 3600 / population.requests
        self.times = [index * step for index in range(population.requests)]

    def token_index(self, user: int, at: float) -> int:
        return int((at + self.phases[user]) // TOKEN_LIFETIME)

    def needed(self) -> set[tuple[int, int]]:
        return {(user, self.token_index(user, at)) for user, at in zip(self.users, self.times)}

    def signing_input(self, user: int, index: int) -> bytes:
        issued = EPOCH - self.phases[user] + index * TOKEN_LIFETIME
        claims = {
            "sub": _uuid("sub", user),
            "cognito:groups": list(groups_of(user)),
            "iss": ISSUER,
            "version": 2,
            "client_id": CLIENT_ID,
            "origin_jti": _uuid("origin", user),
            "event_id": _uuid("event", user),
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin openid profile",
            "auth_time": EPOCH - self.phases[user],
            "exp": issued + TOKEN_LIFETIME,
            "iat": issued,
            "jti": _uuid("jti", user, index),
            "username": f"user{user:06d}",
        }
        if not claims["cognito:groups"]:
            del claims["cognito:groups"]
        header = b64url(json.dumps({"kid": KID, "alg": "RS256"}, separators=(",", ":")).encode())
        payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
        return f"{header}.{payload}".encode("ascii")


_SIGNER: rsa.RSAPrivateKey | None = None


def _init_signer(pem: bytes) -> None:
    global _SIGNER
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    _SIGNER = key


def _sign_all(signing_inputs: list[bytes]) -> list[bytes]:
    assert _SIGNER is not None
    return [_SIGNER.sign(data, padding.PKCS1v15(), hashes.SHA256()) for data in signing_inputs]


class TokenStore:
    """The key and the signatures of the tokens made so far, under ``directory``."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        key_path = directory / "key.pem"
        if not key_path.exists():
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            temporary = key_path.with_suffix(".tmp")
            temporary.write_bytes(pem)
            temporary.replace(key_path)
        self.pem = key_path.read_bytes()
        loaded = serialization.load_pem_private_key(self.pem, password=None)
        assert isinstance(loaded, rsa.RSAPrivateKey)
        self.jwks = {"keys": [rsa_jwk(loaded.public_key())]}
        self.signatures_path = directory / "signatures.bin"
        self.signatures: dict[tuple[int, int], bytes] = {}
        if self.signatures_path.exists():
            data = self.signatures_path.read_bytes()
            size = RECORD.size + SIGNATURE_BYTES
            # A record cut short by an interrupted run is dropped, and signed again when needed.
            for offset in range(0, len(data) - size + 1, size):
                user, index = RECORD.unpack_from(data, offset)
                self.signatures[user, index] = data[offset + RECORD.size : offset + size]

    def tokens(self, stream: Stream, jobs: int) -> dict[tuple[int, int], str]:
        """Every token the stream uses, signing (and saving) those not on disk yet."""
        needed = stream.needed()
        missing = sorted(needed - self.signatures.keys())
        if missing:
            started = time.monotonic()
            print(f"signing {len(missing):,} tokens ({len(needed) - len(missing):,} on disk)", flush=True)
            chunk = 2000
            pieces = [missing[start : start + chunk] for start in range(0, len(missing), chunk)]
            with self.signatures_path.open("ab") as out, concurrent.futures.ProcessPoolExecutor(
                max_workers=jobs, initializer=_init_signer, initargs=(self.pem,)
            ) as pool:
                inputs = ([stream.signing_input(*pair) for pair in piece] for piece in pieces)
                for done, (piece, signatures) in enumerate(zip(pieces, pool.map(_sign_all, inputs)), 1):
                    for pair, signature in zip(piece, signatures):
                        out.write(RECORD.pack(*pair) + signature)
                        self.signatures[pair] = signature
                    out.flush()
                    if done % 10 == 0 or done == len(pieces):
                        print(
                            f"  {sum(map(len, pieces[:done])):,} signed, {time.monotonic() - started:.0f} s",
                            flush=True,
                        )
        return {
            pair: f"{stream.signing_input(*pair).decode('ascii')}.{b64url(self.signatures[pair])}"
            for pair in needed
        }


def _module(twin: str) -> ModuleType:
    from fastcognito import _verify, _verify_py

    return _verify if twin == "c" else _verify_py


class SimulatedClock:
    """Both clocks of the verifier: seconds since the epoch of the simulated time."""

    __slots__ = ("now",)

    def __init__(self) -> None:
        self.now = float(EPOCH)

    def __call__(self) -> float:
        return self.now


def default_verifier(twin: str, cache_size: int | None, jwks_url: str, clock: Callable[[], float]) -> Any:
    from fastcognito import CognitoVerifier

    options: dict[str, Any] = {} if cache_size is None else {"cache_size": cache_size}
    return CognitoVerifier(
        POOL_ID,
        client_id=CLIENT_ID,
        token_use="access",
        issuer=ISSUER,
        jwks_url=jwks_url,
        clock=clock,
        jwks_clock=clock,
        _impl_module=_module(twin),
        **options,
    )


@dataclass
class Replay:
    twin: str
    cache_size: int
    requests: int
    hits: int
    misses: int
    entries_at_end: int
    hourly_hit_rate: list[float]
    mean_us: float  # CPU time per request, the stream's own loop taken out
    loop_us: float  # the loop alone (fresh str, clock, call of a C function), per request
    raw_rsa_us: float  # one raw RSA verify, the same process, around the replay

    @property
    def hit_rate(self) -> float:
        return self.hits / self.requests

    @property
    def ratio_to_raw(self) -> float:
        return self.mean_us / self.raw_rsa_us


def _raw_rsa_us(jwks: dict[str, Any], samples: Sequence[tuple[bytes, bytes]], rounds: int = 15) -> float:
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.hashes import SHA256

    from fastcognito.jwk import load_rsa_public_key

    key = load_rsa_public_key(jwks["keys"][0])
    verify, pkcs, sha = key.verify, PKCS1v15(), SHA256()
    times = []
    for _ in range(rounds):
        started = time.process_time()
        for signature, signed in samples:
            verify(signature, signed, pkcs, sha)
        times.append((time.process_time() - started) / len(samples))
    return statistics.median(times) * 1e6


def _batches(stream: Stream, tokens: dict[tuple[int, int], str]) -> Iterator[tuple[list[float], list[str]]]:
    """(simulated times, fresh token strs) of each batch of BATCH requests."""
    for start in range(0, len(stream.users), BATCH):
        users = stream.users[start : start + BATCH]
        times = stream.times[start : start + BATCH]
        fresh = []
        for user, at in zip(users, times):
            token = tokens[user, stream.token_index(user, at)]
            fresh.append(token[:-1] + token[-1])  # a new str, its hash not computed, as a request's
        yield [EPOCH + at for at in times], fresh


def replay(
    twin: str,
    cache_size: int,
    stream: Stream,
    tokens: dict[tuple[int, int], str],
    jwks: dict[str, Any],
    jwks_url: str,
    raw_samples: Sequence[tuple[bytes, bytes]],
) -> Replay:
    clock = SimulatedClock()
    verifier = default_verifier(twin, cache_size, jwks_url, clock)
    verify = verifier.verify
    raw_before = _raw_rsa_us(jwks, raw_samples)
    hours = max(1, int(-(-stream.population.hours // 1)))
    hourly: list[list[int]] = [[0, 0] for _ in range(hours)]
    elapsed = loop = 0.0
    timer = time.process_time
    for times, fresh in _batches(stream, tokens):
        hits_before = verifier.cache_info().hits
        started = timer()
        for at, token in zip(times, fresh):
            clock.now = at
            verify(token)
        elapsed += timer() - started
        # The loop alone, with a C function where verify was: what the stream itself costs.
        started = timer()
        for at, token in zip(times, fresh):
            clock.now = at
            len(token)
        loop += timer() - started
        hour = min(hours - 1, int((times[0] - EPOCH) // 3600))
        hourly[hour][0] += verifier.cache_info().hits - hits_before
        hourly[hour][1] += len(fresh)
    raw_after = _raw_rsa_us(jwks, raw_samples)
    info = verifier.cache_info()
    requests = len(stream.users)
    if info.hits + info.misses != requests:
        raise SystemExit(f"{twin}, cache {cache_size}: {info.hits} hits + {info.misses} misses != {requests}")
    return Replay(
        twin=twin,
        cache_size=cache_size,
        requests=requests,
        hits=info.hits,
        misses=info.misses,
        entries_at_end=info.size,
        hourly_hit_rate=[hits / count if count else 0.0 for hits, count in hourly],
        mean_us=(elapsed - loop) / requests * 1e6,
        loop_us=loop / requests * 1e6,
        raw_rsa_us=(raw_before + raw_after) / 2,
    )


def check_stream(twin: str, stream: Stream, tokens: dict[tuple[int, int], str], jwks_url: str) -> None:
    """Every token of the stream verifies at its request's time, as its own user, before any timing."""
    clock = SimulatedClock()
    verifier = default_verifier(twin, 0, jwks_url, clock)
    from fastcognito import TokenError

    wrong = 0

    def issued(item: tuple[tuple[int, int], str]) -> int:
        (user, index), _ = item
        return EPOCH - stream.phases[user] + index * TOKEN_LIFETIME

    # In the order they were issued: the clock only moves forward, as the key set's trust does.
    for item in sorted(tokens.items(), key=issued):
        (user, _), token = item
        clock.now = issued(item) + 1
        try:
            claims = verifier.verify(token)
        except TokenError:
            wrong += 1
            continue
        wrong += claims["username"] != f"user{user:06d}"
    # The last request of the stream, at the end of the simulated time.
    user, at = stream.users[-1], stream.times[-1]
    clock.now = EPOCH + at
    claims = verifier.verify(tokens[user, stream.token_index(user, at)])
    if wrong or claims["username"] != f"user{user:06d}":
        raise SystemExit(f"{twin}: {wrong} of {len(tokens)} tokens did not verify as their user")


@dataclass
class Memory:
    twin: str
    tokens: str  # "1 kB" or "5 kB (200 groups)"
    entries: int
    bytes_per_entry: float  # as verified
    bytes_per_entry_read: float  # after every claim of every entry was read
    parts: dict[str, float] = field(default_factory=dict)  # per entry, as verified


def _part_sizes(claims_list: list[Any], tokens: list[str]) -> dict[str, float]:
    seen: set[int] = set()
    values = 0
    for claims in claims_list:
        data = object.__getattribute__(claims, "_data")
        for item in (*data.keys(), *data.values()):
            if id(item) not in seen:
                seen.add(id(item))
                values += sys.getsizeof(item)
    count = len(claims_list)
    return {
        "token str": sum(map(sys.getsizeof, tokens)) / count,
        "claims dict": sum(sys.getsizeof(object.__getattribute__(c, "_data")) for c in claims_list) / count,
        "names and values not shared": values / count,
        "Claims object": sys.getsizeof(claims_list[0]),
    }


def memory(
    twin: str, stream: Stream, tokens: dict[tuple[int, int], str], entries: int, jwks_url: str, big: bool
) -> Memory | None:
    """Bytes a cache entry holds: ``entries`` distinct tokens of one size (``big``: the 200-group
    ones), all valid at the stream's last request, verified into an empty cache. None when the
    stream has fewer than two such tokens."""
    at = stream.times[-1]
    valid = []
    for user in dict.fromkeys(reversed(stream.users)):
        if (user % BIG_EVERY == 0) != big:
            continue
        token = tokens.get((user, stream.token_index(user, at)))
        if token is not None:
            valid.append(token)
        if len(valid) > entries:
            break
    if len(valid) < 2:
        return None
    clock = SimulatedClock()
    clock.now = EPOCH + at
    verifier = default_verifier(twin, len(valid), jwks_url, clock)
    verifier.verify(valid.pop())  # the key set fetched, the header seen: not the entries' memory
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        fresh = [token[:-1] + token[-1] for token in valid]
        claims_list = [verifier.verify(token) for token in fresh]
        gc.collect()
        # The two lists are the benchmark's, not the cache's.
        own = sys.getsizeof(claims_list) + sys.getsizeof(fresh)
        verified = tracemalloc.get_traced_memory()[0] - before - own
        parts = _part_sizes(claims_list, fresh)
        for claims in claims_list:
            for name in claims:
                claims[name]
        gc.collect()
        read = tracemalloc.get_traced_memory()[0] - before - own
    finally:
        tracemalloc.stop()
    count = len(valid)
    if verifier.cache_info().size != count + 1:
        cached = verifier.cache_info().size - 1
        raise SystemExit(f"{twin}: {cached} entries cached of {count} tokens verified")
    parts["cache structures (rest)"] = verified / count - sum(parts.values())
    shape = "5 kB (200 groups)" if big else "1 kB"
    return Memory(twin, shape, count, verified / count, read / count, parts)


def mixed_bytes_per_entry(memories: list[Memory]) -> dict[str, float]:
    """Bytes per entry of each twin over the population's mix (one token in BIG_EVERY is 5 kB)."""
    mixed: dict[str, float] = {}
    for found in memories:
        share = 1 / BIG_EVERY if found.tokens != "1 kB" else 1 - 1 / BIG_EVERY
        mixed[found.twin] = mixed.get(found.twin, 0.0) + share * found.bytes_per_entry
    return mixed


def table(replays: list[Replay], memories: list[Memory]) -> str:
    lines = [
        (
            "| twin | cache_size | hit rate | hit rate, last hour | mean CPU/request (us) | "
            "x raw RSA verify | entries at end | cache memory (MB) |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    mixed = mixed_bytes_per_entry(memories)
    for run in replays:
        megabytes = mixed.get(run.twin, 0.0) * run.entries_at_end / 1e6
        lines.append(
            f"| {run.twin} | {run.cache_size:,} | {run.hit_rate:.3f} | {run.hourly_hit_rate[-1]:.3f} | "
            f"{run.mean_us:.2f} | {run.ratio_to_raw:.3f}x | {run.entries_at_end:,} | {megabytes:.1f} |"
        )
    for memory in memories:
        parts = ", ".join(f"{name} {size:.0f}" for name, size in memory.parts.items())
        lines.append(
            f"\n{memory.twin}, {memory.tokens} tokens: {memory.bytes_per_entry:.0f} bytes per entry as "
            f"verified, {memory.bytes_per_entry_read:.0f} after every claim was read "
            f"({memory.entries:,} entries): {parts}"
        )
    return "\n".join(lines)


def _sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--zipf", type=float, default=1.0, help="the exponent s: rank r sends as 1/r**s")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--cache-sizes", type=_sizes, default=_sizes("1024,4096,16384,32768,65536,131072"))
    parser.add_argument(
        "--py-cache-sizes", type=_sizes, default=None, help="the pure twin's (default: the same)"
    )
    parser.add_argument("--twins", default="c,py", help="c, py or both")
    parser.add_argument("--memory-entries", type=int, default=20_000)
    parser.add_argument("--token-dir", type=Path, default=REPO / ".bench" / "population")
    parser.add_argument("--jobs", type=int, default=1, help="processes that sign the tokens not on disk")
    parser.add_argument("--out", type=Path, default=BENCHMARKS / "results")
    args = parser.parse_args(argv)
    twins = [twin for twin in args.twins.split(",") if twin]
    if not twins or set(twins) - set(TWINS):
        parser.error("--twins takes c, py or c,py")
    if args.users < 1 or args.requests < BATCH or args.hours <= 0 or args.memory_entries < 1:
        parser.error(f"--users, --hours and --memory-entries must be positive, --requests at least {BATCH}")

    measured = commit()  # before the run, which a commit made meanwhile must not rename
    population = Population(args.users, args.requests, args.hours, args.zipf, args.seed)
    stream = Stream(population)
    store = TokenStore(args.token_dir / f"tokens-{population.fingerprint}")
    tokens = store.tokens(stream, args.jobs)
    print(f"{len(tokens):,} distinct tokens, {args.requests:,} requests, {args.users:,} users", flush=True)
    raw_samples = []
    for token in itertools.islice(tokens.values(), 64):
        head, _, signature = token.rpartition(".")
        raw_samples.append((base64.urlsafe_b64decode(signature + "=="), head.encode("ascii")))
    replays: list[Replay] = []
    memories: list[Memory] = []
    server = JWKSServer(store.jwks)
    jwks_url = server.url
    try:
        for twin in twins:
            check_stream(twin, stream, tokens, jwks_url)
            sizes = args.cache_sizes
            if twin == "py" and args.py_cache_sizes is not None:
                sizes = args.py_cache_sizes
            for size in sizes:
                run = replay(twin, size, stream, tokens, store.jwks, jwks_url, raw_samples)
                replays.append(run)
                print(
                    f"{twin} cache_size={size:,}: hit rate {run.hit_rate:.3f} (last hour "
                    f"{run.hourly_hit_rate[-1]:.3f}), {run.mean_us:.2f} us/request, "
                    f"{run.ratio_to_raw:.3f}x the raw RSA verify ({run.raw_rsa_us:.2f} us)",
                    flush=True,
                )
            for big in (False, True):
                found = memory(twin, stream, tokens, args.memory_entries, jwks_url, big)
                if found is not None:
                    memories.append(found)
                    print(f"{twin}, {found.tokens} tokens: {found.bytes_per_entry:.0f} bytes per cache entry")
    finally:
        server.stop()
    print()
    print(table(replays, memories))
    from fastcognito._constants import DEFAULT_CACHE_SIZE

    now = datetime.datetime.now(datetime.timezone.utc)
    report = {
        "date": now.isoformat(timespec="seconds"),
        "commit": measured,
        "machine": {"processor": _cpu_name(), "cpus": os.cpu_count(), "load": load_average()},
        "versions": versions(),
        "population": {**asdict(population), "distinct_tokens": len(tokens), "batch": BATCH},
        "default_cache_size": DEFAULT_CACHE_SIZE,
        "replays": [
            {**asdict(run), "hit_rate": run.hit_rate, "ratio_to_raw": run.ratio_to_raw} for run in replays
        ],
        "memory": [asdict(found) for found in memories],
        "bytes_per_entry_mixed": mixed_bytes_per_entry(memories),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"population-{now:%Y-%m-%dT%H%MZ}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nsaved {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
