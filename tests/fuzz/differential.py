"""The differential oracle of the fuzzer: one input, both twins, the same answer or a failure.

An input is ``mode byte, options byte, body``; the body is raw token text, JSON to be encoded
(and signed with a real key, so the claims parser is reached), a token plus mutations of its
base64url, claims built field by field from the bytes, or a segment for the helpers. Each token
goes to the compiled and the pure twin under several configurations, twice (the second time may
be a cache hit), and everything they return must match: the claims, or the exception class, its
message and its claim details. Anything raised outside ``FastCognitoError`` is a crash.

Imported by ``fuzz_verify.py`` (atheris) and by ``test_fuzz.py`` (the corpus replay); it does
not import atheris itself.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fastcognito import ClaimError, Claims, CognitoVerifier, FastCognitoError, UserPool, default_issuer

CORPUS = Path(__file__).resolve().parent / "corpus"
NOW = 1_700_000_000
POOL = "eu-west-1_FuzzPool1"
OTHER_POOL = "eu-west-1_FuzzPool2"
ISSUER = default_issuer(POOL)
OTHER_ISSUER = default_issuer(OTHER_POOL)
CLIENT = "fuzzclient0123456789abcdef"
KID = "fuzz-key-1"
HEADER = {"kid": KID, "alg": "RS256"}

MODE_RAW, MODE_UNSIGNED, MODE_SIGNED, MODE_SIGNED_PAYLOAD, MODE_MUTATED, MODE_STRUCTURED, MODE_HELPERS = range(7)
MODES = 7
# What a mutation may write: the alphabet, the standard-base64 extras, padding, the separator,
# whitespace, a control, and non-ASCII.
MUTATION_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=. \n\x00\x7f\xe9\u20ac"


class Divergence(AssertionError):
    """The twins answered differently."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@lru_cache(maxsize=1)
def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwks() -> dict[str, Any]:
    numbers = _key().public_key().public_numbers()
    return {
        "keys": [
            {
                "kty": "RSA",
                "kid": KID,
                "alg": "RS256",
                "use": "sig",
                "n": b64url(numbers.n.to_bytes(256, "big")),
                "e": b64url(numbers.e.to_bytes(3, "big")),
            }
        ]
    }


def sign(header_segment: str, payload_segment: str) -> str:
    signing_input = f"{header_segment}.{payload_segment}"
    signature = _key().sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def _deny(claims: Claims) -> None:
    if claims.get("deny"):
        raise ClaimError("denied by the custom check", claim="deny", actual=claims.get("deny"), expected=None)


def _configurations(module: Any) -> list[CognitoVerifier]:
    jwks = _jwks()
    common: dict[str, Any] = {"clock": lambda: NOW, "_impl_module": module}
    return [
        CognitoVerifier(POOL, client_id=CLIENT, token_use="access", jwks=jwks, cache_size=8, **common),
        CognitoVerifier(POOL, client_id=None, token_use=None, jwks=jwks, leeway=30, cache_size=2,
                        custom_check=_deny, **common),
        CognitoVerifier(POOL, client_id=[CLIENT, "other"], token_use="id", jwks=jwks, groups=["admins"],
                        cache_size=0, **common),
        # Several pools: the payload is read (for `iss`) before the signature is checked.
        CognitoVerifier([UserPool(POOL, jwks=jwks), UserPool(OTHER_POOL, jwks=jwks)], client_id=CLIENT,
                        token_use=None, scopes=["openid", "write"], cache_size=4, **common),
    ]


@lru_cache(maxsize=1)
def verifier_pairs() -> list[tuple[CognitoVerifier, CognitoVerifier]]:
    from fastcognito import _verify, _verify_py

    return list(zip(_configurations(_verify), _configurations(_verify_py)))


@lru_cache(maxsize=1)
def helper_pairs() -> list[tuple[Callable[[str], Any], Callable[[str], Any]]]:
    from fastcognito import _verify, _verify_py

    return [(getattr(_verify, name), getattr(_verify_py, name)) for name in ("b64url_decode", "decode_header", "json_too_deep")]


def _outcome(call: Callable[[Any], Any], argument: Any, secret: str | None) -> tuple[Any, ...]:
    try:
        result = call(argument)
    except FastCognitoError as err:
        text = str(err)
        if secret and secret in text + repr(err.args):
            raise AssertionError(f"an error exposes the token's signature: {text[:200]!r}") from None
        details: tuple[Any, ...] = ()
        if isinstance(err, ClaimError):
            details = (err.claim, repr(err.actual), repr(err.expected))
        return (type(err).__name__, err.code, text, details)
    if isinstance(result, Claims):
        return (
            "claims",
            json.dumps(result.to_dict(), sort_keys=True, default=repr),
            # The names in order: what to_dict's sorted dump hides (a repeated name keeps its
            # first place and its last value in both twins).
            list(result),
            result.sub,
            result.username,
            result.groups,
            sorted(result.scopes),
            result.client_id,
            result.token_use,
            result.exp,
            result.issuer,
        )
    return ("value", repr(result))


def compare_token(token: str | bytes) -> None:
    text = token.decode("latin-1") if isinstance(token, bytes) else token
    parts = text.split(".")
    secret = parts[-1] if len(parts) == 3 and len(parts[-1]) >= 16 else None
    for compiled, pure in verifier_pairs():
        for attempt in range(2):
            got = _outcome(compiled.verify, token, secret)
            want = _outcome(pure.verify, token, secret)
            if got != want:
                raise Divergence(f"attempt {attempt}: compiled {got!r} != pure {want!r} for {text[:300]!r}")
        if compiled.cache_info() != pure.cache_info():
            raise Divergence(f"cache_info: {compiled.cache_info()} != {pure.cache_info()}")


def compare_helpers(segment: str, pairs: list[tuple[Callable[[str], Any], Callable[[str], Any]]] | None = None) -> None:
    for compiled, pure in helper_pairs() if pairs is None else pairs:
        got, want = _outcome(compiled, segment, None), _outcome(pure, segment, None)
        if got != want:
            raise Divergence(f"{pure.__name__}: compiled {got!r} != pure {want!r} for {segment[:300]!r}")


def _split(body: bytes) -> tuple[bytes, bytes]:
    head, _, tail = body.partition(b"\x00")
    return head, tail


class _Bytes:
    """Reads choices and values off the front of a byte string, zeros once it is used up."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        value = self.data[self.pos] if self.pos < len(self.data) else 0
        self.pos += 1
        return value

    def pick(self, options: list[Any]) -> Any:
        return options[self.byte() % len(options)]

    def text(self) -> str:
        length = self.byte() % 24
        raw = self.data[self.pos : self.pos + length]
        self.pos += length
        return raw.decode("utf-8", "replace")

    def number(self) -> Any:
        kind = self.byte() % 8
        offset = int.from_bytes(bytes([self.byte(), self.byte()]), "big") - 32768
        return [
            NOW + offset,
            NOW + offset + 0.5,
            -(NOW + offset),
            10 ** (self.byte() % 40) * (1 if offset >= 0 else -1),
            float(NOW + offset) * 10 ** (self.byte() % 320),
            True,
            str(NOW + offset),
            None,
        ][kind]


def structured_claims(data: bytes) -> bytes:
    """A claims object built field by field: each claim present or not, of a right or a wrong
    type, with the values the checks compare; then JSON with varied spacing."""
    source = _Bytes(data)
    claims: dict[str, Any] = {}
    candidates: list[tuple[str, list[Any]]] = [
        ("exp", [NOW + 3600, "number"]),
        ("iat", [NOW - 10, "number"]),
        ("nbf", ["number"]),
        ("auth_time", [NOW - 10, "number"]),
        ("iss", [ISSUER, OTHER_ISSUER, ISSUER + "/", 1, None, "text"]),
        ("token_use", ["access", "id", "refresh", ["access"], "text"]),
        ("client_id", [CLIENT, "other", [CLIENT], "text"]),
        ("aud", [CLIENT, [CLIENT, "x"], [], [1], None, "text"]),
        ("cognito:groups", [["admins"], [], ["x", "admins"], "admins", [1], None]),
        ("scope", ["openid write", "read", "", ["openid"], "text"]),
        ("sub", ["aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", 7, "text"]),
        ("username", ["alice", None, "text"]),
        ("cognito:username", ["alice", "text"]),
        ("deny", [True, False, 0]),
        ("nested", [{"a": [1, {"b": [2.5, None]}]}, [[[]]], {}]),
    ]
    for name, options in candidates:
        if source.byte() % 4 == 0:
            continue
        value = source.pick(options)
        if value == "number":
            value = source.number()
        elif value == "text":
            value = source.text()
        claims[name] = value
    separators = source.pick([(",", ":"), (", ", ": "), (",", " : ")])
    return json.dumps(claims, separators=separators, ensure_ascii=bool(source.byte() % 2)).encode()


def _mutate(token: str, mutations: bytes) -> str:
    chars = list(token)
    for index in range(0, len(mutations) - 2, 3):
        if not chars:
            break
        position = int.from_bytes(mutations[index : index + 2], "big") % len(chars)
        action = mutations[index + 2]
        if action < 16:
            del chars[position]
        elif action < 32:
            chars.insert(position, MUTATION_CHARS[action % len(MUTATION_CHARS)])
        else:
            chars[position] = MUTATION_CHARS[action % len(MUTATION_CHARS)]
    return "".join(chars)


def token_for(data: bytes) -> str | bytes | None:
    """The token an input describes, or None for a helper-only input."""
    if len(data) < 2:
        return data.decode("latin-1")
    mode, options, body = data[0] % MODES, data[1], data[2:]
    header_segment = b64url(json.dumps(HEADER, separators=(",", ":")).encode())
    if mode == MODE_RAW:
        token: str | bytes = body.decode("latin-1")
    elif mode == MODE_UNSIGNED:
        header, rest = _split(body)
        payload, signature = _split(rest)
        token = f"{b64url(header)}.{b64url(payload)}.{b64url(signature or b'x' * 256)}"
    elif mode == MODE_SIGNED:
        header, payload = _split(body)
        token = sign(b64url(header) if header else header_segment, b64url(payload))
    elif mode == MODE_SIGNED_PAYLOAD:
        token = sign(header_segment, b64url(body))
    elif mode == MODE_MUTATED:
        payload, mutations = _split(body)
        token = _mutate(sign(header_segment, b64url(payload)), mutations)
    elif mode == MODE_STRUCTURED:
        token = sign(header_segment, b64url(structured_claims(body)))
    else:
        return None
    if options & 1 and isinstance(token, str):
        token = token.encode("latin-1", "replace") if not token.isascii() else token.encode("ascii")
    return token


def check(data: bytes) -> None:
    """Run one input through both twins; raise on any divergence or crash."""
    token = token_for(data)
    if token is None:
        body = data[2:]
        segment = body.decode("utf-8", "surrogateescape")
        compare_helpers(segment)
        compare_helpers(body.decode("latin-1"))
        return
    compare_token(token)
    if isinstance(token, str):
        for segment in token.split(".")[:3]:
            compare_helpers(segment)


def corpus_files() -> list[Path]:
    return sorted(path for path in CORPUS.iterdir() if path.is_file())


__all__ = ["CORPUS", "Divergence", "check", "corpus_files", "token_for"]


def main(paths: list[str]) -> int:
    """Replay files and directories of inputs (``make test-asan`` does, under the sanitizers)."""
    count = 0
    for name in paths:
        path = Path(name)
        for file in sorted(path.iterdir()) if path.is_dir() else [path]:
            if file.is_file():
                check(file.read_bytes())
                count += 1
    print(f"replayed {count} inputs on both twins: no divergence, no crash")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:] or [str(CORPUS)]))
