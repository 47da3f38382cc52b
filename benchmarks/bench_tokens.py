"""Cognito-shaped tokens signed locally, for every benchmark and every peer's correctness pass.

One 2048-bit RSA key signs access tokens (``client_id``, no ``aud``) and ID tokens (``aud``), as
Cognito does. ``bad(token_use)`` gives one token per check a verifier should make, each wrong in
that one way only, so a peer that accepts it is shown not to make that check.
"""

from __future__ import annotations

import base64
import http.server
import json
import random
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

REGION = "eu-west-1"
POOL_ID = "eu-west-1_BenchPool1"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL_ID}"
CLIENT_ID = "benchclient0123456789abcde"
KID = "bench-key-1"
# How many different tokens the cold groups cycle through: more than any memo of a peer keeps
# hot, few enough to sign in a second.
DISTINCT_TOKENS = 256
# The big token: an access token whose groups mirror an enterprise directory (200 groups, about
# 5 kB, where the standard token is about 1 kB).
BIG_GROUPS = [f"dept-{index:03d}-rw" for index in range(200)]

# The checks of the correctness pass, in the order the table prints them. A verifier must reject
# the token `bad()` builds for each; "signature", "exp" and "iss" are the ones every peer is
# configured to make where the library can.
CHECKS = ("signature", "exp", "iss", "iat", "client", "token_use")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def rsa_jwk(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    """The JWK of ``public_key`` as Cognito publishes it, under ``KID``."""
    numbers = public_key.public_numbers()
    return {
        "kty": "RSA",
        "kid": KID,
        "alg": "RS256",
        "use": "sig",
        "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
    }


class JWKSServer:
    """The JWKS on 127.0.0.1 (``url``), served until ``stop()``. A verifier keeps the keys it
    fetched, so a benchmark may stop the server once every case has run once."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        document = json.dumps(jwks).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(document)))
                self.end_headers()
                self.wfile.write(document)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _compact_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class BenchToken:
    """Access and ID tokens shaped like Cognito's, their parts, and the JWKS that verifies them."""

    def __init__(self) -> None:
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_key: rsa.RSAPrivateKey | None = private_key
        self.jwk = rsa_jwk(private_key.public_key())
        self.jwks = {"keys": [self.jwk]}
        now = int(time.time())
        self.claims: dict[str, Any] = {
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
        self.id_claims: dict[str, Any] = {
            "sub": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
            "cognito:groups": ["admins", "editors"],
            "email_verified": True,
            "iss": ISSUER,
            "cognito:username": "alice",
            "origin_jti": "11111111-2222-4333-8444-555555555555",
            "aud": CLIENT_ID,
            "event_id": "66666666-7777-4888-9999-000000000000",
            "token_use": "id",
            "auth_time": now,
            "exp": now + 24 * 3600,
            "iat": now,
            "jti": "abcdefab-cdef-4abc-8def-abcdefabcdef",
            "email": "alice@example.com",
        }
        self.big_claims: dict[str, Any] = {**self.claims, "cognito:groups": BIG_GROUPS}
        self._distinct: dict[str, list[tuple[str, bytes, bytes]]] = {"access": [], "id": [], "access-big": []}
        self._bad: dict[str, dict[str, str]] = {}
        self.token, self.signing_input, self.signature = self.sign(self.claims)
        self.id_token = self.sign(self.id_claims)[0]
        self.big_token, self.big_signing_input, self.big_signature = self.sign(self.big_claims)

    def sign(
        self, claims: dict[str, Any], private_key: rsa.RSAPrivateKey | None = None
    ) -> tuple[str, bytes, bytes]:
        """(token, signing input, signature) for these claims under the bench key's kid."""
        private_key = private_key or self.private_key
        if private_key is None:
            raise RuntimeError("a BenchToken from a snapshot has no private key: make the tokens up front")
        header = b64url(_compact_json({"kid": KID, "alg": "RS256"}))
        signing_input = f"{header}.{b64url(_compact_json(claims))}".encode("ascii")
        signature = private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input.decode('ascii')}.{b64url(signature)}", signing_input, signature

    def good(self, token_use: str = "access", big: bool = False) -> str:
        if big:
            return self.big_token
        return self.token if token_use == "access" else self.id_token

    def distinct(
        self, count: int = DISTINCT_TOKENS, token_use: str = "access", big: bool = False
    ) -> list[tuple[str, bytes, bytes]]:
        """``count`` tokens of different users and sessions, as real traffic brings: each differs
        in every per-token claim (sub, username, jti, origin_jti, event_id, iat, exp). Returns
        (token, signing input, signature) triples. ``big``: access tokens with 200 groups."""
        made = self._distinct[f"{token_use}-big" if big else token_use]
        if len(made) < count:
            now = int(time.time())
            template = self.big_claims if big else self.claims if token_use == "access" else self.id_claims
            user_claim = "username" if token_use == "access" else "cognito:username"
            for index in range(len(made), count):
                claims = dict(template)
                claims.update(
                    sub=str(uuid.UUID(int=random.getrandbits(128), version=4)),
                    jti=str(uuid.UUID(int=random.getrandbits(128), version=4)),
                    origin_jti=str(uuid.UUID(int=random.getrandbits(128), version=4)),
                    event_id=str(uuid.UUID(int=random.getrandbits(128), version=4)),
                    iat=now - index,
                    auth_time=now - index,
                    exp=now - index + 24 * 3600,
                )
                claims[user_claim] = f"user{index:05d}"
                made.append(self.sign(claims))
        return made[:count]

    def fresh_copies(self, count: int, token_use: str = "access", big: bool = False) -> list[str]:
        """New str objects equal to the token, none with its hash computed yet (as a request's
        header value arrives)."""
        token = self.good(token_use, big)
        head, last = token[:-1], token[-1]
        return [head + last for _ in range(count)]

    def bad(self, token_use: str = "access") -> dict[str, str]:
        """One token per entry of CHECKS, each wrong in that one respect only."""
        if token_use not in self._bad:
            now = int(time.time())
            good = self.claims if token_use == "access" else self.id_claims
            client_claim = "client_id" if token_use == "access" else "aud"
            other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            variants: dict[str, dict[str, Any]] = {
                "exp": {"iat": now - 7200, "auth_time": now - 7200, "exp": now - 3600},
                "iss": {"iss": ISSUER.replace("BenchPool1", "OtherPool9")},
                # Two days ahead: still in the future when `instructions.py --tokens` reuses
                # these tokens the next day (the good ones expire after one).
                "iat": {"iat": now + 2 * 86400, "auth_time": now + 2 * 86400, "exp": now + 3 * 86400},
                "client": {client_claim: "someoneelsesclient0123456"},
                "token_use": {"token_use": "id" if token_use == "access" else "access"},
            }
            tokens = {"signature": self.sign(good, private_key=other_key)[0]}
            for check, changes in variants.items():
                tokens[check] = self.sign({**good, **changes})[0]
            self._bad[token_use] = tokens
        return self._bad[token_use]

    def snapshot(self) -> dict[str, Any]:
        """Everything the benchmarks read, as JSON: the keys and every token made up front
        (good, distinct, bad), so that ``from_snapshot`` rebuilds them in another process
        without generating a key, drawing a random number or reading the clock."""
        for token_use in ("access", "id"):
            self.distinct(token_use=token_use)
            self.bad(token_use)
        self.distinct(big=True)
        return {
            "jwk": self.jwk,
            "claims": self.claims,
            "id_claims": self.id_claims,
            "big_claims": self.big_claims,
            "token": self.token,
            "id_token": self.id_token,
            "signing_input": self.signing_input.decode("ascii"),
            "signature": b64url(self.signature),
            "big_token": self.big_token,
            "big_signing_input": self.big_signing_input.decode("ascii"),
            "big_signature": b64url(self.big_signature),
            "distinct": {
                token_use: [[token, signing_input.decode("ascii"), b64url(signature)]
                            for token, signing_input, signature in made]
                for token_use, made in self._distinct.items()
            },
            "bad": self._bad,
        }

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> BenchToken:
        """The tokens of ``snapshot()``, without the private key: ``sign()`` and tokens beyond
        those made up front are refused."""
        self = cls.__new__(cls)
        self.private_key = None
        self.jwk = data["jwk"]
        self.jwks = {"keys": [self.jwk]}
        self.claims, self.id_claims, self.big_claims = data["claims"], data["id_claims"], data["big_claims"]
        self.token, self.id_token = data["token"], data["id_token"]
        self.signing_input = data["signing_input"].encode("ascii")
        self.signature = _b64url_decode(data["signature"])
        self.big_token = data["big_token"]
        self.big_signing_input = data["big_signing_input"].encode("ascii")
        self.big_signature = _b64url_decode(data["big_signature"])
        self._distinct = {
            token_use: [(token, signing_input.encode("ascii"), _b64url_decode(signature))
                        for token, signing_input, signature in made]
            for token_use, made in data["distinct"].items()
        }
        self._bad = data["bad"]
        return self

    def fixture_json(self, count: int = DISTINCT_TOKENS) -> dict[str, Any]:
        """What a benchmark in another process (PyJWT 2.13, aws-jwt-verify) needs, as JSON."""
        return {
            "region": REGION,
            "pool_id": POOL_ID,
            "issuer": ISSUER,
            "client_id": CLIENT_ID,
            "jwks": self.jwks,
            "token": self.token,
            "distinct": [
                {
                    "token": token,
                    "signing_input": signing_input.decode("ascii"),
                    "signature": b64url(signature),
                }
                for token, signing_input, signature in self.distinct(count)
            ],
            "bad": self.bad("access"),
            "checks": list(CHECKS),
        }
