"""Benchmark fixtures: one locally signed Cognito-like access token, its key, and the verifiers.

Nothing touches the network. The session ends with a table of medians per verification and
their ratio to the raw RSA verify of the same signature (printed, and saved to results.md).
"""

from __future__ import annotations

import base64
import json
import platform
import random
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

POOL_ID = "eu-west-1_BenchPool1"
ISSUER = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL_ID}"
CLIENT_ID = "benchclient0123456789abcde"
KID = "bench-key-1"
RESULTS = Path(__file__).with_name("results.md")
# How many different tokens the distinct-token rows cycle through.
DISTINCT_TOKENS = 256


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class BenchToken:
    """An access token shaped like Cognito's, its parts, and the JWKS that verifies it."""

    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.private_key.public_key().public_numbers()
        self.jwks = {
            "keys": [
                {
                    "kty": "RSA",
                    "kid": KID,
                    "alg": "RS256",
                    "use": "sig",
                    "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                    "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
                }
            ]
        }
        now = int(time.time())
        claims = {
            "sub": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
            "cognito:groups": ["admins", "editors"],
            "iss": ISSUER,
            "version": 2,
            "client_id": CLIENT_ID,
            "origin_jti": "11111111-2222-4333-8444-555555555555",
            "event_id": "66666666-7777-4888-9999-000000000000",
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin openid profile",
            "auth_time": now,
            "exp": now + 24 * 3600,
            "iat": now,
            "jti": "abcdefab-cdef-4abc-8def-abcdefabcdef",
            "username": "alice",
        }
        self.claims = claims
        self._distinct: list[tuple[str, bytes, bytes]] = []
        header = {"kid": KID, "alg": "RS256"}
        self.signing_input = (
            b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + b64url(json.dumps(claims, separators=(",", ":")).encode())
        ).encode("ascii")
        self.signature = self.private_key.sign(self.signing_input, padding.PKCS1v15(), hashes.SHA256())
        self.token = f"{self.signing_input.decode('ascii')}.{b64url(self.signature)}"

    def distinct(self, count: int = DISTINCT_TOKENS) -> list[tuple[str, bytes, bytes]]:
        """``count`` tokens of different users and sessions, as real traffic brings: each differs
        in every per-token claim (sub, username, jti, origin_jti, event_id, iat, exp). Returns
        (token, signing input, signature) triples."""
        if len(self._distinct) < count:
            now = int(time.time())
            header = b64url(json.dumps({"kid": KID, "alg": "RS256"}, separators=(",", ":")).encode())
            for index in range(len(self._distinct), count):
                claims = dict(self.claims)
                claims.update(
                    sub=str(uuid.UUID(int=random.getrandbits(128), version=4)),
                    username=f"user{index:05d}",
                    jti=str(uuid.UUID(int=random.getrandbits(128), version=4)),
                    origin_jti=str(uuid.UUID(int=random.getrandbits(128), version=4)),
                    event_id=str(uuid.UUID(int=random.getrandbits(128), version=4)),
                    iat=now - index,
                    auth_time=now - index,
                    exp=now - index + 24 * 3600,
                )
                payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
                signing_input = f"{header}.{payload}".encode("ascii")
                signature = self.private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
                self._distinct.append((f"{header}.{payload}.{b64url(signature)}", signing_input, signature))
        return self._distinct[:count]

    def fresh_copies(self, count: int) -> list[str]:
        """New str objects equal to the token, none with its hash computed yet (as a request's
        header value arrives)."""
        head, last = self.token[:-1], self.token[-1]
        return [head + last for _ in range(count)]


@pytest.fixture(scope="session")
def bench_token() -> BenchToken:
    return BenchToken()


class Results:
    """Median seconds per verification, by case, filled in as the benchmarks run."""

    def __init__(self) -> None:
        self.medians: dict[str, float] = {}
        # Rows recorded with a group are compared with that group's baseline, not the RSA verify.
        self.groups: dict[str, str] = {}
        self.group_baselines: dict[str, str] = {}

    def record(
        self, name: str, benchmark: Any, per_round: int = 1, *, group: str | None = None, baseline: bool = False
    ) -> None:
        stats = getattr(benchmark, "stats", None)
        if stats is None:  # --benchmark-disable: nothing was timed
            return
        self.medians[name] = stats.stats.median / per_round
        if group is not None:
            self.groups[name] = group
            if baseline:
                self.group_baselines[group] = name

    def ratio(self, name: str) -> float | None:
        """The row's median over its group's baseline median (``None`` without a baseline)."""
        group = self.groups.get(name)
        baseline_name = self.group_baselines.get(group) if group is not None else None
        if baseline_name is None or baseline_name not in self.medians:
            return None
        return self.medians[name] / self.medians[baseline_name]

    def table(self) -> str:
        # Each row is compared with the baseline of its own group: distinct tokens or one token.
        baselines = {
            "distinct": self.medians.get("raw RSA verify, distinct tokens (baseline)"),
            "one": self.medians.get("raw RSA verify, one token (baseline)"),
        }
        lines = [
            "| case | median (us) | ratio to raw RSA verify |",
            "|---|---:|---:|",
        ]
        for name, median in self.medians.items():
            if name in self.groups:
                continue
            baseline = baselines["distinct" if "distinct" in name else "one"]
            ratio = f"{median / baseline:.4f}x" if baseline else "-"
            lines.append(f"| {name} | {median * 1e6:.3f} | {ratio} |")
        for group in dict.fromkeys(self.groups.values()):
            lines += ["", f"| {group}: case | median (us) | ratio to {self.group_baselines.get(group, '-')} |", "|---|---:|---:|"]
            for name, row_group in self.groups.items():
                if row_group == group:
                    group_ratio = self.ratio(name)
                    shown = f"{group_ratio:.4f}x" if group_ratio is not None else "-"
                    lines.append(f"| {name} | {self.medians[name] * 1e6:.3f} | {shown} |")
        return "\n".join(lines)


_RESULTS = Results()


@pytest.fixture(scope="session")
def results() -> Results:
    return _RESULTS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _RESULTS.medians:
        return
    table = _RESULTS.table()
    terminalreporter.write_sep("=", "fastcognito: medians per verification")
    terminalreporter.write_line(table)
    RESULTS.write_text(
        "# Benchmark results\n\n"
        f"Python {platform.python_version()} on {platform.machine()} ({platform.processor() or 'unknown cpu'}); "
        "written by `make bench`. Distinct-token rows cycle through 256 tokens of different users "
        "(as real traffic), one-token rows verify one token again and again; hit rows verify fresh "
        "str copies (hash not yet computed), as a new request brings.\n\n"
        f"{table}\n"
    )
