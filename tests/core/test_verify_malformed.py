"""Malformed and hostile tokens: every step of the verification contract (DESIGN.md §3), on both twins.

Each corpus entry names the exact class it must raise (DESIGN.md §3, errors table). Entries that
a lax verifier would accept (non-canonical base64url, padding, key confusion) are validly signed,
so strictness is the only reason left to reject them. Both twins must give the same class and
message for every entry, and no message may hold the raw token or its signature.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import inspect
import json
import sys
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from fastcognito import (
    ClaimError,
    InvalidSignatureError,
    KeyNotFoundError,
    MalformedTokenError,
    TokenError,
    UnsupportedAlgorithmError,
)
from tests.support import KID, KID2, TokenFactory, access_claims, b64url, sign_token

NOW = 1_700_000_000
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@dataclasses.dataclass(frozen=True)
class Ctx:
    tokens: TokenFactory
    key: rsa.RSAPrivateKey
    other_key: rsa.RSAPrivateKey

    def header(self, **overrides: Any) -> dict[str, Any]:
        return self.tokens.header(**overrides)

    def claims(self, **overrides: Any) -> dict[str, Any]:
        return access_claims(now=NOW, **overrides)

    def sign(self, header: Any, payload: Any, key: rsa.RSAPrivateKey | None = None) -> str:
        return sign_token(header, payload, key or self.key)

    def valid(self) -> str:
        return self.sign(self.header(), self.claims())


@pytest.fixture(scope="module")
def ctx(tokens: TokenFactory, rsa_key: rsa.RSAPrivateKey, rsa_key2: rsa.RSAPrivateKey) -> Ctx:
    return Ctx(tokens, rsa_key, rsa_key2)


# --- builders of hostile segments -------------------------------------------------------------


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _noncanonical(data: bytes) -> str:
    """base64url of ``data`` with its unused trailing bits set: decodes to the same bytes in a
    lax decoder, but is not the canonical encoding (RFC 4648 §3.5)."""
    while len(data) % 3 == 0:
        data += b" "  # JSON whitespace, so the decoded text is still the same JSON
    text = b64url(data)
    last = _ALPHABET.index(text[-1])
    unused = 0x0F if len(data) % 3 == 1 else 0x03
    assert last & unused == 0
    return text[:-1] + _ALPHABET[last | unused]


def _padded(data: bytes) -> str:
    while len(data) % 3 == 0:
        data += b" "
    return base64.urlsafe_b64encode(data).decode()


def _standard_alphabet(claims: dict[str, Any]) -> str:
    """The payload in the standard alphabet (``+`` and ``/``), which lax decoders accept."""
    for filler in range(256):
        data = _json({**claims, "x": "~" * filler + "?>"})
        text = base64.b64encode(data).decode().rstrip("=")
        if "+" in text and "/" in text:
            return text
    raise AssertionError("no filler gave both + and /")


def _with_segment(token: str, index: int, segment: str) -> str:
    parts = token.split(".")
    parts[index] = segment
    return ".".join(parts)


def _flip_middle(segment: str) -> str:
    middle = len(segment) // 2
    replacement = "B" if segment[middle] != "B" else "C"
    return segment[:middle] + replacement + segment[middle + 1 :]


def _key_confusion(ctx: Ctx) -> str:
    # The classic attack: HS256 keyed with the verifier's own public key in PEM form.
    pem = ctx.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{b64url(_json(ctx.header(alg='HS256')))}.{b64url(_json(ctx.claims()))}"
    mac = hmac.new(pem, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def _rs512(ctx: Ctx) -> str:
    signing_input = f"{b64url(_json(ctx.header(alg='RS512')))}.{b64url(_json(ctx.claims()))}"
    signature = ctx.key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA512())
    return f"{signing_input}.{b64url(signature)}"


def _claims_text(ctx: Ctx, **raw: str) -> bytes:
    # The standard claims with some members replaced by literal JSON text.
    claims = {name: value for name, value in ctx.claims().items() if name not in raw}
    body = _json(claims).decode()[:-1]
    extra = "".join(f',"{name}":{text}' for name, text in raw.items())
    return (body + extra + "}").encode()


def _oversized(ctx: Ctx) -> str:
    return ctx.sign(ctx.header(), ctx.claims(filler="x" * 9000))


def _deeply_nested(ctx: Ctx) -> str:
    # Deeper than some interpreters' JSON parsers go (not 3.13's), yet inside the size limit.
    nested = "[" * 2500 + "]" * 2500
    return ctx.sign(ctx.header(), f'{{"exp":{NOW + 3600},"iat":{NOW},"deep":{nested}}}'.encode())


Builder = Callable[[Ctx], Any]

# (id, builder, expected class). A tuple of classes where the contract allows either reading;
# the twins must still agree.
CORPUS: list[tuple[str, Builder, Any]] = [
    # 1. Type and size.
    ("none", lambda c: None, MalformedTokenError),
    ("int", lambda c: 12345, MalformedTokenError),
    ("float", lambda c: 1.5, MalformedTokenError),
    ("list", lambda c: [c.valid()], MalformedTokenError),
    ("dict", lambda c: {"token": c.valid()}, MalformedTokenError),
    ("object", lambda c: object(), MalformedTokenError),
    ("memoryview", lambda c: memoryview(c.valid().encode()), MalformedTokenError),
    ("oversized-str", _oversized, MalformedTokenError),
    ("oversized-bytes", lambda c: _oversized(c).encode(), MalformedTokenError),
    ("oversized-junk", lambda c: "a" * 100_000, MalformedTokenError),
    (
        "non-ascii-str",
        lambda c: _with_segment(c.valid(), 1, "é" + c.valid().split(".")[1]),
        MalformedTokenError,
    ),
    ("non-ascii-str-dot", lambda c: c.valid().replace(".", "\uff0e", 1), MalformedTokenError),
    (
        "non-ascii-bytes",
        lambda c: c.valid().encode()[:10] + b"\xff" + c.valid().encode()[10:],
        MalformedTokenError,
    ),
    ("non-ascii-bytes-utf8", lambda c: ("\u00e9" + c.valid()).encode(), MalformedTokenError),
    # 3. Segments.
    ("empty", lambda c: "", MalformedTokenError),
    ("empty-bytes", lambda c: b"", MalformedTokenError),
    ("one-segment", lambda c: c.valid().replace(".", ""), MalformedTokenError),
    ("two-segments", lambda c: c.valid().rsplit(".", 1)[0], MalformedTokenError),
    ("four-segments", lambda c: c.valid() + "." + c.valid().split(".")[2], MalformedTokenError),
    ("five-segments-jwe", lambda c: "eyJhbGciOiJSU0EtT0FFUCJ9.aaaa.bbbb.cccc.dddd", MalformedTokenError),
    ("dots-only", lambda c: "..", MalformedTokenError),
    ("empty-header", lambda c: _with_segment(c.valid(), 0, ""), MalformedTokenError),
    ("empty-payload", lambda c: _with_segment(c.valid(), 1, ""), MalformedTokenError),
    ("empty-signature", lambda c: _with_segment(c.valid(), 2, ""), MalformedTokenError),
    ("bearer-prefix", lambda c: "Bearer " + c.valid(), MalformedTokenError),
    ("leading-space", lambda c: " " + c.valid(), MalformedTokenError),
    ("trailing-newline", lambda c: c.valid() + "\n", MalformedTokenError),
    ("nul-byte", lambda c: c.valid() + "\x00", MalformedTokenError),
    # 3. Strict base64url, each validly signed over the exact text.
    ("header-padding", lambda c: c.sign(_padded(_json(c.header())), c.claims()), MalformedTokenError),
    ("payload-padding", lambda c: c.sign(c.header(), _padded(_json(c.claims()))), MalformedTokenError),
    (
        "signature-padding",
        lambda c: c.valid() + "=" * (-len(c.valid().split(".")[2]) % 4),
        MalformedTokenError,
    ),
    (
        "header-noncanonical",
        lambda c: c.sign(_noncanonical(_json(c.header())), c.claims()),
        MalformedTokenError,
    ),
    (
        "payload-noncanonical",
        lambda c: c.sign(c.header(), _noncanonical(_json(c.claims()))),
        MalformedTokenError,
    ),
    (
        "signature-noncanonical",
        lambda c: _with_segment(
            c.valid(),
            2,
            _noncanonical(base64.urlsafe_b64decode(c.valid().split(".")[2] + "==")),
        ),
        MalformedTokenError,
    ),
    (
        "payload-standard-alphabet",
        lambda c: c.sign(c.header(), _standard_alphabet(c.claims())),
        MalformedTokenError,
    ),
    (
        "signature-standard-alphabet",
        lambda c: _with_segment(c.valid(), 2, c.valid().split(".")[2].replace("-", "+").replace("_", "/")),
        MalformedTokenError,
    ),
    (
        "payload-inner-space",
        lambda c: c.sign(c.header(), b64url(_json(c.claims()))[:8] + " " + b64url(_json(c.claims()))[8:]),
        MalformedTokenError,
    ),
    (
        "payload-inner-newline",
        lambda c: c.sign(c.header(), b64url(_json(c.claims()))[:8] + "\n" + b64url(_json(c.claims()))[8:]),
        MalformedTokenError,
    ),
    (
        "payload-inner-tab",
        lambda c: c.sign(c.header(), b64url(_json(c.claims()))[:8] + "\t" + b64url(_json(c.claims()))[8:]),
        MalformedTokenError,
    ),
    ("payload-star", lambda c: c.sign(c.header(), "*" + b64url(_json(c.claims()))), MalformedTokenError),
    ("payload-percent", lambda c: c.sign(c.header(), b64url(_json(c.claims())) + "%3D"), MalformedTokenError),
    (
        "header-impossible-length",
        lambda c: c.sign(
            b64url(_json(c.header())) + "A" * ((1 - len(b64url(_json(c.header())))) % 4), c.claims()
        ),
        MalformedTokenError,
    ),
    (
        "signature-impossible-length",
        lambda c: c.valid() + "A" * ((1 - len(c.valid().split(".")[2])) % 4 or 4),
        MalformedTokenError,
    ),
    # 4. Header.
    ("header-not-json", lambda c: c.sign(b"{not json", c.claims()), MalformedTokenError),
    ("header-trailing-garbage", lambda c: c.sign(_json(c.header()) + b"x", c.claims()), MalformedTokenError),
    ("header-bom", lambda c: c.sign("\ufeff".encode() + _json(c.header()), c.claims()), MalformedTokenError),
    (
        "header-utf16",
        lambda c: c.sign(json.dumps(c.header()).encode("utf-16"), c.claims()),
        MalformedTokenError,
    ),
    ("header-list", lambda c: c.sign(b"[]", c.claims()), MalformedTokenError),
    ("header-string", lambda c: c.sign(b'"RS256"', c.claims()), MalformedTokenError),
    ("header-number", lambda c: c.sign(b"1", c.claims()), MalformedTokenError),
    ("header-null", lambda c: c.sign(b"null", c.claims()), MalformedTokenError),
    (
        "header-duplicate-alg",
        lambda c: c.sign(f'{{"kid":"{KID}","alg":"RS256","alg":"none"}}'.encode(), c.claims()),
        MalformedTokenError,
    ),
    (
        "header-duplicate-kid",
        lambda c: c.sign(f'{{"kid":"{KID2}","alg":"RS256","kid":"{KID}"}}'.encode(), c.claims()),
        MalformedTokenError,
    ),
    ("header-too-large", lambda c: c.sign(c.header(pad="p" * 2000), c.claims()), MalformedTokenError),
    ("alg-none", lambda c: c.sign(c.header(alg="none"), c.claims()), UnsupportedAlgorithmError),
    (
        "alg-none-unsigned",
        lambda c: c.sign(c.header(alg="none"), c.claims()).rsplit(".", 1)[0] + ".",
        MalformedTokenError,
    ),
    ("alg-None-case", lambda c: c.sign(c.header(alg="None"), c.claims()), UnsupportedAlgorithmError),
    ("alg-hs256-key-confusion", _key_confusion, UnsupportedAlgorithmError),
    ("alg-rs512", _rs512, UnsupportedAlgorithmError),
    ("alg-ps256", lambda c: c.sign(c.header(alg="PS256"), c.claims()), UnsupportedAlgorithmError),
    ("alg-es256", lambda c: c.sign(c.header(alg="ES256"), c.claims()), UnsupportedAlgorithmError),
    ("alg-lowercase", lambda c: c.sign(c.header(alg="rs256"), c.claims()), UnsupportedAlgorithmError),
    ("alg-trailing-space", lambda c: c.sign(c.header(alg="RS256 "), c.claims()), UnsupportedAlgorithmError),
    ("alg-missing", lambda c: c.sign({"kid": KID}, c.claims()), UnsupportedAlgorithmError),
    (
        "alg-null",
        lambda c: c.sign({"kid": KID, "alg": None}, c.claims()),
        (UnsupportedAlgorithmError, MalformedTokenError),
    ),
    (
        "alg-list",
        lambda c: c.sign(c.header(alg=["RS256"]), c.claims()),
        (UnsupportedAlgorithmError, MalformedTokenError),
    ),
    (
        "alg-number",
        lambda c: c.sign(c.header(alg=256), c.claims()),
        (UnsupportedAlgorithmError, MalformedTokenError),
    ),
    ("crit", lambda c: c.sign(c.header(crit=["exp"]), c.claims()), MalformedTokenError),
    ("crit-empty", lambda c: c.sign(c.header(crit=[]), c.claims()), MalformedTokenError),
    (
        "jku",
        lambda c: c.sign(c.header(jku="https://attacker.example/jwks.json"), c.claims()),
        MalformedTokenError,
    ),
    (
        "x5u",
        lambda c: c.sign(c.header(x5u="https://attacker.example/cert.pem"), c.claims()),
        MalformedTokenError,
    ),
    (
        "jwk-embedded",
        lambda c: c.sign(c.header(jwk={"kty": "RSA", "n": "AQAB", "e": "AQAB"}), c.claims()),
        MalformedTokenError,
    ),
    ("x5c", lambda c: c.sign(c.header(x5c=["MIIB"]), c.claims()), MalformedTokenError),
    ("kid-int", lambda c: c.sign(c.header(kid=1), c.claims()), MalformedTokenError),
    ("kid-null", lambda c: c.sign(c.header(kid=None), c.claims()), MalformedTokenError),
    ("kid-list", lambda c: c.sign(c.header(kid=[KID]), c.claims()), MalformedTokenError),
    ("kid-object", lambda c: c.sign(c.header(kid={"kid": KID}), c.claims()), MalformedTokenError),
    ("kid-empty", lambda c: c.sign(c.header(kid=""), c.claims()), MalformedTokenError),
    ("kid-missing", lambda c: c.sign({"alg": "RS256"}, c.claims()), MalformedTokenError),
    # 5. Key.
    ("kid-unknown", lambda c: c.sign(c.header(kid="no-such-kid"), c.claims()), KeyNotFoundError),
    (
        "kid-other-known-elsewhere",
        lambda c: c.sign(c.header(kid=KID2), c.claims(), c.other_key),
        KeyNotFoundError,
    ),
    # 6. Signature.
    (
        "tampered-payload",
        lambda c: _with_segment(c.valid(), 1, b64url(_json(c.claims(**{"cognito:groups": ["root"]})))),
        InvalidSignatureError,
    ),
    (
        "tampered-header",
        lambda c: _with_segment(c.valid(), 0, b64url(_json(c.header(typ="JWT")))),
        InvalidSignatureError,
    ),
    ("other-key", lambda c: c.sign(c.header(), c.claims(), c.other_key), InvalidSignatureError),
    (
        "signature-flipped",
        lambda c: _with_segment(c.valid(), 2, _flip_middle(c.valid().split(".")[2])),
        InvalidSignatureError,
    ),
    (
        "signature-truncated",
        lambda c: _with_segment(c.valid(), 2, c.valid().split(".")[2][:340]),
        InvalidSignatureError,
    ),
    ("signature-short", lambda c: _with_segment(c.valid(), 2, "AA"), InvalidSignatureError),
    (
        "signature-swapped",
        lambda c: _with_segment(c.valid(), 2, c.sign(c.header(), c.claims(sub="other")).split(".")[2]),
        InvalidSignatureError,
    ),
    # 7. Payload and claim types, each validly signed.
    ("payload-not-json", lambda c: c.sign(c.header(), b"not json"), MalformedTokenError),
    ("payload-truncated-json", lambda c: c.sign(c.header(), _json(c.claims())[:-1]), MalformedTokenError),
    ("payload-list", lambda c: c.sign(c.header(), b"[]"), MalformedTokenError),
    ("payload-string", lambda c: c.sign(c.header(), b'"claims"'), MalformedTokenError),
    ("payload-number", lambda c: c.sign(c.header(), b"42"), MalformedTokenError),
    ("payload-null", lambda c: c.sign(c.header(), b"null"), MalformedTokenError),
    ("payload-true", lambda c: c.sign(c.header(), b"true"), MalformedTokenError),
    ("payload-bom", lambda c: c.sign(c.header(), "\ufeff".encode() + _json(c.claims())), MalformedTokenError),
    (
        "payload-utf16",
        lambda c: c.sign(c.header(), json.dumps(c.claims()).encode("utf-16-le")),
        MalformedTokenError,
    ),
    (
        "payload-utf32",
        lambda c: c.sign(c.header(), json.dumps(c.claims()).encode("utf-32")),
        MalformedTokenError,
    ),
    (
        "payload-invalid-utf8",
        lambda c: c.sign(c.header(), _claims_text(c, nickname='"al\xffce"').replace(b"\xc3\xbf", b"\xff")),
        MalformedTokenError,
    ),
    (
        "payload-overlong-utf8",
        lambda c: c.sign(c.header(), _claims_text(c, nickname='"X"').replace(b'"X"', b'"\xc0\xaf"')),
        MalformedTokenError,
    ),
    ("payload-deeply-nested", _deeply_nested, MalformedTokenError),
    ("exp-string", lambda c: c.sign(c.header(), c.claims(exp=str(NOW + 3600))), MalformedTokenError),
    ("exp-true", lambda c: c.sign(c.header(), c.claims(exp=True)), MalformedTokenError),
    ("exp-false", lambda c: c.sign(c.header(), c.claims(exp=False)), MalformedTokenError),
    ("exp-null", lambda c: c.sign(c.header(), c.claims(exp=None)), MalformedTokenError),
    ("exp-list", lambda c: c.sign(c.header(), c.claims(exp=[NOW + 3600])), MalformedTokenError),
    ("exp-object", lambda c: c.sign(c.header(), c.claims(exp={"value": NOW + 3600})), MalformedTokenError),
    (
        "exp-missing",
        lambda c: c.sign(c.header(), {k: v for k, v in c.claims().items() if k != "exp"}),
        MalformedTokenError,
    ),
    ("exp-nan", lambda c: c.sign(c.header(), _claims_text(c, exp="NaN")), MalformedTokenError),
    ("exp-infinity", lambda c: c.sign(c.header(), _claims_text(c, exp="Infinity")), MalformedTokenError),
    (
        "exp-minus-infinity",
        lambda c: c.sign(c.header(), _claims_text(c, exp="-Infinity")),
        MalformedTokenError,
    ),
    ("exp-1e400", lambda c: c.sign(c.header(), _claims_text(c, exp="1e400")), MalformedTokenError),
    ("exp-huge-int", lambda c: c.sign(c.header(), _claims_text(c, exp="1" + "0" * 400)), MalformedTokenError),
    (
        "iat-huge-negative-int",
        lambda c: c.sign(c.header(), _claims_text(c, iat="-1" + "0" * 400)),
        MalformedTokenError,
    ),
    ("nan-elsewhere", lambda c: c.sign(c.header(), _claims_text(c, score="NaN")), MalformedTokenError),
    (
        "infinity-nested",
        lambda c: c.sign(c.header(), _claims_text(c, extra='{"a":[Infinity]}')),
        MalformedTokenError,
    ),
    ("iat-string", lambda c: c.sign(c.header(), c.claims(iat=str(NOW))), MalformedTokenError),
    ("iat-true", lambda c: c.sign(c.header(), c.claims(iat=True)), MalformedTokenError),
    (
        "iat-missing",
        lambda c: c.sign(c.header(), {k: v for k, v in c.claims().items() if k != "iat"}),
        MalformedTokenError,
    ),
    ("iat-1e400", lambda c: c.sign(c.header(), _claims_text(c, iat="-1e400")), MalformedTokenError),
    ("nbf-string", lambda c: c.sign(c.header(), c.claims(nbf=str(NOW))), MalformedTokenError),
    ("nbf-null", lambda c: c.sign(c.header(), c.claims(nbf=None)), MalformedTokenError),
    ("nbf-nan", lambda c: c.sign(c.header(), _claims_text(c, nbf="NaN")), MalformedTokenError),
    ("iss-number", lambda c: c.sign(c.header(), c.claims(iss=1)), MalformedTokenError),
    ("token_use-list", lambda c: c.sign(c.header(), c.claims(token_use=["access"])), MalformedTokenError),
    ("client_id-list", lambda c: c.sign(c.header(), c.claims(client_id=["x"])), MalformedTokenError),
    (
        "groups-string",
        lambda c: c.sign(c.header(), c.claims(**{"cognito:groups": "admins"})),
        MalformedTokenError,
    ),
    (
        "groups-numbers",
        lambda c: c.sign(c.header(), c.claims(**{"cognito:groups": [1, 2]})),
        MalformedTokenError,
    ),
    ("scope-list", lambda c: c.sign(c.header(), c.claims(scope=["openid"])), MalformedTokenError),
    # Cognito's identifiers are strings: a denylist keyed on them must never see another type.
    ("jti-number", lambda c: c.sign(c.header(), c.claims(jti=12345)), MalformedTokenError),
    ("jti-null", lambda c: c.sign(c.header(), c.claims(jti=None)), MalformedTokenError),
    ("origin_jti-list", lambda c: c.sign(c.header(), c.claims(origin_jti=["a"])), MalformedTokenError),
    ("origin_jti-object", lambda c: c.sign(c.header(), c.claims(origin_jti={"a": "b"})), MalformedTokenError),
    ("event_id-bool", lambda c: c.sign(c.header(), c.claims(event_id=True)), MalformedTokenError),
    ("username-number", lambda c: c.sign(c.header(), c.claims(username=7)), MalformedTokenError),
    (
        "cognito_username-list",
        lambda c: c.sign(c.header(), c.claims(**{"cognito:username": ["alice"]})),
        MalformedTokenError,
    ),
]

CORPUS_IDS = [entry[0] for entry in CORPUS]
assert len(set(CORPUS_IDS)) == len(CORPUS_IDS)

_NOT_TEXT = ("none", "int", "float", "list", "dict", "object", "memoryview")

# (class name, message) per entry and twin; whichever leg of an entry runs second compares.
_OUTCOMES: dict[str, dict[str, tuple[str, str]]] = {}


def _texts(err: BaseException) -> list[str]:
    """Every string an error exposes: message, args, repr, claim attributes and the causes."""
    texts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts.append(str(current))
        texts.append(repr(current))
        texts.extend(repr(arg) for arg in current.args)
        if isinstance(current, ClaimError):
            texts.extend([repr(current.claim), repr(current.actual), repr(current.expected)])
        current = current.__cause__ or current.__context__
    return texts


def assert_no_token_in(err: BaseException, token: Any) -> None:
    if isinstance(token, bytes):
        token = token.decode("latin-1")
    if not isinstance(token, str):
        return
    secrets = []
    if len(token) >= 16:
        secrets.append(token)
    parts = token.split(".")
    if len(parts) >= 3 and len(parts[-1]) >= 16:
        secrets.append(parts[-1])
    for text in _texts(err):
        for secret in secrets:
            assert secret not in text, f"an error exposes the token: {text[:200]!r}"


def _verify_error(verifier: Any, token: Any) -> TokenError:
    with pytest.raises(TokenError) as info:
        verifier.verify(token)
    return info.value


@pytest.mark.parametrize(("case", "build", "expected"), CORPUS, ids=CORPUS_IDS)
def test_corpus_raises_documented_class(
    case: str, build: Builder, expected: Any, ctx: Ctx, twin: Any, make_verifier: Callable[..., Any]
) -> None:
    token = build(ctx)
    verifier = make_verifier(clock=lambda: NOW + 60)
    # A warm verifier (its caches of headers, member names and claims filled by a good token)
    # must judge exactly as a fresh one does; the bytes/str test below uses fresh ones.
    verifier.verify(ctx.valid())
    err = _verify_error(verifier, token)

    allowed = expected if isinstance(expected, tuple) else (expected,)
    assert type(err) in allowed, f"{case}: {type(err).__name__}: {err}"
    assert err.code == type(err).code
    assert err.message
    assert_no_token_in(err, token)
    # Rejections are never cached: the same token is rejected again, the same way.
    again = _verify_error(verifier, token)
    assert (type(again), str(again)) == (type(err), str(err))
    assert verifier.cache_info().size == 1

    outcome = (type(err).__name__, str(err))
    seen = _OUTCOMES.setdefault(case, {})
    seen[twin.name] = outcome
    for other_twin, other in seen.items():
        assert other == outcome, f"{case}: twin {other_twin} gave {other}, twin {twin.name} gave {outcome}"


@pytest.mark.parametrize(
    ("case", "build", "expected"),
    [entry for entry in CORPUS if entry[0] not in _NOT_TEXT],
    ids=[name for name in CORPUS_IDS if name not in _NOT_TEXT],
)
def test_corpus_same_outcome_for_bytes_and_str(
    case: str, build: Builder, expected: Any, ctx: Ctx, make_verifier: Callable[..., Any]
) -> None:
    token = build(ctx)
    as_str = token.decode("latin-1") if isinstance(token, bytes) else token
    as_bytes = token if isinstance(token, bytes) else token.encode("utf-8")
    verifier = make_verifier(clock=lambda: NOW + 60, cache_size=0)
    from_str = _verify_error(verifier, as_str)
    from_bytes = _verify_error(verifier, as_bytes)
    assert type(from_bytes) is type(from_str)
    assert_no_token_in(from_bytes, as_bytes)


def test_control_token_verifies(ctx: Ctx, make_verifier: Callable[..., Any]) -> None:
    # The corpus is built around this token: it must pass, or every rejection above is moot.
    token = ctx.valid()
    claims = make_verifier(clock=lambda: NOW + 60).verify(token)
    assert claims["sub"] == ctx.claims()["sub"]
    assert claims.exp == NOW + 3600


def test_bytes_token_works_like_str(ctx: Ctx, make_verifier: Callable[..., Any]) -> None:
    token = ctx.valid()
    verifier = make_verifier(clock=lambda: NOW + 60, cache_size=0)
    from_bytes = verifier.verify(token.encode("ascii"))
    from_str = verifier.verify(token)
    assert from_bytes == from_str
    assert from_bytes.to_dict() == ctx.claims()


def test_size_limit_is_inclusive(ctx: Ctx, make_verifier: Callable[..., Any]) -> None:
    token = ctx.valid()
    assert make_verifier(clock=lambda: NOW + 60, max_token_bytes=len(token)).verify(token)["sub"]
    assert make_verifier(clock=lambda: NOW + 60, max_token_bytes=len(token)).verify(token.encode())["sub"]
    tight = make_verifier(clock=lambda: NOW + 60, max_token_bytes=len(token) - 1)
    for form in (token, token.encode()):
        err = _verify_error(tight, form)
        assert type(err) is MalformedTokenError
        assert_no_token_in(err, token)


def test_default_size_limit_is_8_kib(ctx: Ctx, make_verifier: Callable[..., Any]) -> None:
    verifier = make_verifier(clock=lambda: NOW + 60)

    def padded(filler: int) -> str:
        return ctx.sign(ctx.header(), ctx.claims(filler="x" * filler))

    # The largest token of at most 8 KiB passes; the next size up is rejected.
    filler = (8192 - len(ctx.valid())) * 3 // 4 - 16
    while len(padded(filler + 1)) <= 8192:
        filler += 1
    largest, too_large = padded(filler), padded(filler + 1)
    assert 8190 <= len(largest) <= 8192 < len(too_large)
    assert verifier.verify(largest)["filler"] == "x" * filler
    assert type(_verify_error(verifier, too_large)) is MalformedTokenError


def test_unknown_kid_offline_raises_key_not_found(ctx: Ctx, make_verifier: Callable[..., Any]) -> None:
    token = ctx.sign(ctx.header(kid="rotated-away"), ctx.claims())
    err = _verify_error(make_verifier(clock=lambda: NOW + 60), token)
    assert type(err) is KeyNotFoundError
    assert err.code == "unknown_kid"


def test_tampered_claims_with_original_signature_are_rejected(
    ctx: Ctx, make_verifier: Callable[..., Any]
) -> None:
    verifier = make_verifier(clock=lambda: NOW + 60)
    original = ctx.valid()
    forged = ctx.claims(username="root", exp=NOW + 10 * 365 * 86400)
    token = _with_segment(original, 1, b64url(_json(forged)))
    err = _verify_error(verifier, token)
    assert type(err) is InvalidSignatureError
    assert err.code == "invalid_signature"
    # The genuine token is unaffected, and the forged one was not cached on the way.
    assert verifier.verify(original)["username"] == "alice"
    assert type(_verify_error(verifier, token)) is InvalidSignatureError


def test_error_codes_match_the_design_table() -> None:
    assert MalformedTokenError.code == "malformed"
    assert UnsupportedAlgorithmError.code == "unsupported_alg"
    assert KeyNotFoundError.code == "unknown_kid"
    assert InvalidSignatureError.code == "invalid_signature"
    for cls in (MalformedTokenError, UnsupportedAlgorithmError, KeyNotFoundError, InvalidSignatureError):
        assert issubclass(cls, TokenError)


# Payload texts the hot path must decode exactly as the json module does (RFC 8259), whichever
# parser a twin uses inside. Each keeps the claims the checks need.
_BASE = f'"iss":"{access_claims()["iss"]}","token_use":"access","client_id":"{access_claims()["client_id"]}"'
_TIMES = f'"exp":{NOW + 3600},"iat":{NOW}'
PAYLOAD_TEXTS = [
    f"{{{_BASE},{_TIMES}}}",
    f"{{ {_BASE} , {_TIMES} }}",
    f"\n\t{{{_BASE},{_TIMES}}}\r\n ",
    f'{{{_BASE},{_TIMES},"x":"a\\"b"}}',
    f'{{{_BASE},{_TIMES},"x":"\\u00e9\\u0041\\/\\n"}}',
    f'{{{_BASE},{_TIMES},"x":"\\ud83d\\ude00"}}',
    f'{{{_BASE},{_TIMES},"x":"caf\u00e9 \u2603"}}',
    f'{{{_BASE},{_TIMES},"x":"~ !#$%&()*+,-./:;<=>?@[]^_`{{|}}"}}',
    f'{{{_BASE},{_TIMES},"x":-0,"y":0,"z":-1}}',
    f'{{{_BASE},{_TIMES},"x":1.5,"y":-2.5e3,"z":1E2,"w":0.0}}',
    f'{{{_BASE},{_TIMES},"x":123456789012345678,"y":1234567890123456789,"z":-999999999999999999999}}',
    f'{{{_BASE},"exp":{NOW + 3600}.0,"iat":{NOW}.5}}',
    f'{{{_BASE},"exp":{NOW + 3600}e0,"iat":1.7e9}}',
    f'{{{_BASE},{_TIMES},"x":[],"y":[1,"a",true,false,null],"z":[[1],{{"a":[2]}}]}}',
    f'{{{_BASE},{_TIMES},"x":{{}},"y":{{"a":{{"b":null}}}}}}',
    f'{{{_BASE},{_TIMES},"x":true,"y":false,"z":null}}',
    f'{{{_BASE},{_TIMES},"":"empty name","a b":"space"}}',
    f'{{{_BASE},{_TIMES},"x":"first","x":"last"}}',
    f'{{{_BASE},{_TIMES},"sub":"a","sub":"b","exp":1,"exp":{NOW + 3600}}}',
]
INVALID_PAYLOAD_TEXTS = [
    f"{{{_BASE},{_TIMES},}}",
    f"{{{_BASE},{_TIMES}}}}}",
    f"{{{_BASE},{_TIMES}}} {{}}",
    f"{{{_BASE},{_TIMES},'x':1}}",
    f'{{{_BASE},{_TIMES},"x":01}}',
    f'{{{_BASE},{_TIMES},"x":1.}}',
    f'{{{_BASE},{_TIMES},"x":.5}}',
    f'{{{_BASE},{_TIMES},"x":+1}}',
    f'{{{_BASE},{_TIMES},"x":-}}',
    f'{{{_BASE},{_TIMES},"x":tru}}',
    f'{{{_BASE},{_TIMES},"x":True}}',
    f'{{{_BASE},{_TIMES},"x":nulll}}',
    f'{{{_BASE},{_TIMES},"x":[1,]}}',
    f'{{{_BASE},{_TIMES},"x":[1 2]}}',
    f'{{{_BASE},{_TIMES},"x":"tab\there"}}',
    f'{{{_BASE},{_TIMES},"x":"\\x41"}}',
    f'{{{_BASE},{_TIMES},"x":"unterminated}}',
    f'{{{_BASE},{_TIMES},"x" 1}}',
    f"{{{_BASE},{_TIMES},x:1}}",
    f"{{{_BASE},{_TIMES}/* comment */}}",
    f'{{{_BASE},{_TIMES},"x":1}}\x00',
]


@pytest.mark.parametrize("text", PAYLOAD_TEXTS)
def test_payload_decodes_as_the_json_module_does(
    text: str, ctx: Ctx, make_verifier: Callable[..., Any]
) -> None:
    verifier = make_verifier(clock=lambda: NOW + 60)
    verifier.verify(ctx.valid())  # warm: the member names of a typical payload are remembered
    for _ in range(2):  # and again once this payload's own names are remembered
        claims = verifier.verify(ctx.sign(ctx.header(), text.encode()))
        assert claims.to_dict() == json.loads(text)
        verifier.clear_cache()


@pytest.mark.parametrize("text", INVALID_PAYLOAD_TEXTS)
def test_invalid_payload_json_is_malformed(text: str, ctx: Ctx, make_verifier: Callable[..., Any]) -> None:
    with pytest.raises(ValueError):
        json.loads(text)
    verifier = make_verifier(clock=lambda: NOW + 60)
    verifier.verify(ctx.valid())
    token = ctx.sign(ctx.header(), text.encode())
    err = _verify_error(verifier, token)
    assert type(err) is MalformedTokenError
    assert_no_token_in(err, token)


def test_payload_values_never_leak_between_tokens(ctx: Ctx, make_verifier: Callable[..., Any]) -> None:
    # Same member names in the same order, values that are prefixes of one another.
    verifier = make_verifier(clock=lambda: NOW + 60, cache_size=0)
    for sub in ["abc", "ab", "abcd", "a", "", "abc", "b" * 300, "abd"]:
        claims = verifier.verify(ctx.sign(ctx.header(), ctx.claims(sub=sub, username=sub[::-1])))
        assert (claims.sub, claims.username, claims["sub"]) == (sub, sub[::-1], sub)


def test_str_subclass_cannot_fake_a_cache_hit(ctx: Ctx, make_verifier: Callable[..., Any]) -> None:
    genuine = ctx.valid()

    class Impostor(str):
        def __eq__(self, other: object) -> bool:
            return True

        def __hash__(self) -> int:
            return hash(genuine)

    verifier = make_verifier(clock=lambda: NOW + 60)
    verifier.verify(genuine)
    err = _verify_error(verifier, Impostor("x.y.z"))
    assert type(err) is MalformedTokenError
    # A well-behaved subclass is judged by its value.
    assert verifier.verify(type("Token", (str,), {})(genuine))["sub"] == ctx.claims()["sub"]


# --- nesting depth (both twins, any interpreter) ----------------------------------------------


def _nested_claims(ctx: Ctx, levels: int, opener: str = "[") -> bytes:
    # The payload object is level 1; "deep" adds `levels` more.
    closer = "]" if opener == "[" else "}"
    inner = "".join('{"k":' if opener == "{" else "[" for _ in range(levels))
    inner += "1" if opener == "{" else ""
    inner += "".join("}" if opener == "{" else "]" for _ in range(levels))
    assert closer in inner or levels == 0
    return _claims_text(ctx, deep=inner)


@pytest.mark.parametrize("opener", ["[", "{"])
def test_payload_nesting_is_capped_at_64_levels(
    opener: str, ctx: Ctx, make_verifier: Callable[..., Any]
) -> None:
    verifier = make_verifier(clock=lambda: NOW + 60, cache_size=0)
    deepest = verifier.verify(ctx.sign(ctx.header(), _nested_claims(ctx, 63, opener)))
    value = deepest["deep"]
    for _ in range(62):
        value = value[0] if opener == "[" else value["k"]
    assert value in ((), 1) or value == {"k": 1}
    for levels in (64, 65, 2500 if opener == "[" else 700):
        err = _verify_error(verifier, ctx.sign(ctx.header(), _nested_claims(ctx, levels, opener)))
        assert type(err) is MalformedTokenError
        assert str(err) == "the payload nests arrays or objects more than 64 deep"


def test_brackets_inside_strings_do_not_count(ctx: Ctx, make_verifier: Callable[..., Any]) -> None:
    verifier = make_verifier(clock=lambda: NOW + 60, cache_size=0)
    text = '"' + "[{" * 100 + '\\"' + "[" * 10 + '\\\\"'
    claims = verifier.verify(ctx.sign(ctx.header(), _claims_text(ctx, note=text)))
    assert claims["note"] == json.loads(text)


def test_header_nesting_is_capped_too(ctx: Ctx, make_verifier: Callable[..., Any]) -> None:
    verifier = make_verifier(clock=lambda: NOW + 60, cache_size=0)
    header = b64url(b'{"kid":"' + KID.encode() + b'","alg":"RS256","x":' + b"[" * 70 + b"]" * 70 + b"}")
    err = _verify_error(verifier, ctx.sign(header, ctx.claims()))
    assert str(err) == "the header nests arrays or objects more than 64 deep"


def test_nesting_verdict_does_not_depend_on_the_callers_stack(
    ctx: Ctx, make_verifier: Callable[..., Any]
) -> None:
    # Called with most of the recursion limit used up: the 65-level payload is still
    # `malformed` for the same reason, never a RecursionError, on either twin.
    verifier = make_verifier(clock=lambda: NOW + 60, cache_size=0)
    too_deep = ctx.sign(ctx.header(), _nested_claims(ctx, 65))
    outcomes: list[str] = []

    def descend(levels: int) -> None:
        if levels:
            descend(levels - 1)
            return
        try:
            verifier.verify(too_deep)
        except MalformedTokenError as err:
            outcomes.append(str(err))

    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(200)
        frames = len(inspect.stack(0))
        descend(max(0, 200 - frames - 30))
    finally:
        sys.setrecursionlimit(limit)
    assert outcomes == ["the payload nests arrays or objects more than 64 deep"]


JSON_DEPTH_TEXTS = [
    ("[" * 64 + "]" * 64, False),
    ("[" * 65 + "]" * 65, True),
    ("[" * 65, True),  # unbalanced: deep before the parser would fail
    ('"' + "[" * 100 + '"', False),
    ('["\\"' + "[" * 100 + '"]', False),
    ('["\\\\"' + "[" * 100 + '"]', True),
    ("{" * 30 + "[" * 35, True),
    ("[]" * 200, False),
    ('"\u00e9' + "[" * 70 + '"', False),
    ('"\u00e9\\\u00e9"' + "[" * 70, True),
    ("\\" + "[" * 65, True),
    ("\u00e9" * 3 + "[" * 65, True),
    # The count of openers that decides whether to look closer crosses from "[" to "{".
    ("{" * 32 + "[" * 32, False),
    ("[" * 64 + "{", True),
    ("[" * 64 + '"{"', False),
]


@pytest.mark.parametrize(("text", "expected"), JSON_DEPTH_TEXTS)
def test_json_too_deep_agrees_on_both_twins(text: str, expected: bool) -> None:
    from fastcognito import _verify, _verify_py

    assert _verify_py.json_too_deep(text) is expected
    assert _verify.json_too_deep(text) is expected
