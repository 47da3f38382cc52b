"""The hot path in pure Python: the twin of ``_verify.pyx``.

Both twins accept and reject exactly the same inputs and raise the same classes; a change to one
lands in the other in the same commit. This one runs where the extension is not built
(``FASTCOGNITO_NO_EXTENSIONS=1``, PyPy) and is what type checkers read.
"""

from __future__ import annotations

import binascii
import json
import math
import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from hashlib import sha256
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15

from ._constants import (
    ALLOWED_ALGORITHMS,
    B64URL_ALPHABET,
    CLAIM_AUD,
    CLAIM_CLIENT_ID,
    CLAIM_EXP,
    CLAIM_GROUPS,
    CLAIM_IAT,
    CLAIM_ISS,
    CLAIM_NBF,
    CLAIM_SCOPE,
    CLAIM_TOKEN_USE,
    FORBIDDEN_HEADER_PARAMETERS,
    HEADER_CACHE_SIZE,
    MAX_HEADER_SEGMENT_CHARS,
    MAX_JSON_DEPTH,
    NUMERIC_CLAIMS,
    REQUIRED_CLAIMS,
    SHA256_DIGEST_INFO,
    STRING_CLAIMS,
    TOKEN_USES,
)
from ._validate import reject_constant, unique_object
from .claims import Claims, split_scope
from .exceptions import (
    ConfigurationError,
    ExpiredTokenError,
    InvalidClientError,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidTokenUseError,
    MalformedTokenError,
    MissingGroupError,
    MissingScopeError,
    NotYetValidError,
    UnsupportedAlgorithmError,
)

__all__ = [
    "CacheInfo",
    "ClaimsCache",
    "VerifierCore",
    "b64url_decode",
    "decode_header",
    "json_too_deep",
    "token_text",
]

# Claims over a dict decoded and checked here, without Claims.__init__, which would freeze every
# array now (Claims._settle does it on first read).
_new_claims = object.__new__
# The descriptor of Claims' `_data` slot, set on `object.__new__(Claims)` over a dict decoded and
# checked here, which nobody else holds, and whose arrays stay pending (the compiled twin alike).
_CLAIMS_DATA_SLOT: Any = Claims.__dict__["_data"]
_PKCS1V15 = PKCS1v15()

# 256-entry table: the 6-bit value of each base64url character, -1 for every other byte.
_B64_VALUES = [-1] * 256
for _index, _char in enumerate(B64URL_ALPHABET):
    _B64_VALUES[ord(_char)] = _index
_B64_PADDING = (b"", b"", b"==", b"=")
# The bits of the last character that a segment of this length % 4 leaves unused.
_B64_UNUSED = (0, 0, 0x0F, 0x03)
# Python 3.10: what strict a2b_base64 accepts after base64url's "-" and "_" became "+" and "/"
# (the padding only at the end, as the decoder adds it).
_B64URL_STANDARD_BYTES = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
_B64_LENGTH = "a segment is not valid base64url: impossible length"
_B64_ALPHABET = "a segment is not valid base64url: character outside the alphabet"
_B64_TRAILING = "a segment is not valid base64url: non-canonical trailing bits"


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    size: int
    maxsize: int


def b64url_decode(segment: str) -> bytes:
    """Strict base64url (RFC 4648 §5, as RFC 7515 §2 uses it): no padding, nothing outside the
    alphabet, and canonical trailing bits (RFC 4648 §3.5), so one value has one encoding."""
    if not isinstance(segment, str):
        raise TypeError("b64url_decode() takes a str")
    if len(segment) % 4 == 1:
        raise MalformedTokenError(_B64_LENGTH)
    if not segment.isascii():
        raise MalformedTokenError(_B64_ALPHABET)
    text = segment.encode("ascii")
    return _b64url_decode_ascii(text, 0, len(text))


def _b64url_decode_ascii(text: bytes, start: int, end: int) -> bytes:
    """``b64url_decode`` of the ASCII ``text[start:end]``."""
    remainder = (end - start) % 4
    if remainder == 1:
        raise MalformedTokenError(_B64_LENGTH)
    segment = text[start:end]
    # The standard alphabet's own characters and padding are foreign here (ints: `bytes in
    # bytes` first tries its operand as an int, raising and clearing a TypeError).
    if 0x2B in segment or 0x2F in segment or 0x3D in segment:  # + / =
        raise MalformedTokenError(_B64_ALPHABET)
    # Two replaces (memchr, most bytes untouched) then strict a2b_base64 cost less than a
    # translate of every byte.
    standard = segment.replace(b"-", b"+").replace(b"_", b"/")
    try:
        decoded = _a2b_strict(standard + _B64_PADDING[remainder], strict_mode=True)
    except binascii.Error:
        raise MalformedTokenError(_B64_ALPHABET) from None
    # 2 chars carry 12 bits for 8 (4 unused), 3 carry 18 for 16 (2 unused): unused must be 0.
    if remainder and _B64_VALUES[segment[-1]] & _B64_UNUSED[remainder]:
        raise MalformedTokenError(_B64_TRAILING)
    return decoded


if sys.version_info >= (3, 11):
    _a2b_strict = binascii.a2b_base64
else:  # pragma: no cover - Python 3.10 has no strict mode

    def _a2b_strict(data: bytes, strict_mode: bool) -> bytes:
        """Python 3.10's a2b_base64 skips foreign characters: the alphabet is checked first."""
        if _B64URL_STANDARD_BYTES.fullmatch(data) is None:
            raise binascii.Error("character outside the alphabet")
        return binascii.a2b_base64(data)


# Built once: json.loads with any keyword builds a new JSONDecoder on every call.
# NaN and Infinity are not JSON (RFC 8259 §6); header members must be unique (RFC 7515 §5.2).
_PAYLOAD_DECODER = json.JSONDecoder(parse_constant=reject_constant)
_HEADER_DECODER = json.JSONDecoder(parse_constant=reject_constant, object_pairs_hook=unique_object)
_PAYLOAD_SCAN: Callable[[str, int], tuple[Any, int]] = _PAYLOAD_DECODER.scan_once  # type: ignore[attr-defined]

# The characters that can change the nesting depth or the string state of JSON text.
_JSON_STRUCTURE = re.compile(r'["\\\[\]{}]')


def json_too_deep(text: str) -> bool:
    """Whether arrays and objects nest more than ``MAX_JSON_DEPTH`` deep anywhere in ``text``.

    Every JSON parser at hand recurses once per level, so the depth they can take depends on the
    interpreter and on how deep the caller's stack already is; this count does not. Brackets
    inside strings do not count. The compiled twin runs the same state machine over the bytes.
    """
    # At most one opener of each kind, as in a Cognito payload (one object, one array): two
    # partitions and two `in`, each a memchr with no argument parsing: under half the finds below.
    if "[" not in text.partition("[")[2] and "{" not in text.partition("{")[2]:
        return False
    # Otherwise too few openers to nest that deep, as in a JWKS. str.find of one character is memchr,
    # where str.count looks at every character: a payload has a handful of brackets in hundreds
    # or thousands of characters (a 5 kB token's two counts cost some 30k instructions).
    openers = 0
    for opener in "[{":
        index = text.find(opener)
        while index >= 0:
            openers += 1
            if openers > MAX_JSON_DEPTH:
                break
            index = text.find(opener, index + 1)
    if openers <= MAX_JSON_DEPTH:
        return False
    depth = 0
    in_string = False
    escaped_until = -1
    for match in _JSON_STRUCTURE.finditer(text):
        index = match.start()
        if index < escaped_until:
            continue  # the character after a backslash inside a string
        char = match.group()
        if in_string:
            if char == "\\":
                escaped_until = index + 2
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "[" or char == "{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif char == "]" or char == "}":
            depth -= 1
    return False


def _decode_json_object(raw: bytes, what: str, *, unique: bool) -> dict[str, Any]:
    # RFC 7519 §7.2 / RFC 7515 §5.2: UTF-8 JSON objects. json.loads(bytes) would also guess
    # UTF-16/32, so decode UTF-8 strictly first.
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise MalformedTokenError(f"the {what} is not valid JSON") from err
    if json_too_deep(text):
        raise MalformedTokenError(f"the {what} nests arrays or objects more than {MAX_JSON_DEPTH} deep")
    try:
        if unique:
            value = _HEADER_DECODER.decode(text)
        else:
            # The scanner alone, when the text is one value without surrounding whitespace;
            # anything else goes through decode(), which also reports the error.
            try:
                value, end = _PAYLOAD_SCAN(text, 0)
            except StopIteration:
                end = -1
            if end != len(text):
                value = _PAYLOAD_DECODER.decode(text)
    except (ValueError, RecursionError) as err:
        raise MalformedTokenError(f"the {what} is not valid JSON") from err
    if type(value) is not dict:
        raise MalformedTokenError(f"the {what} is not a JSON object")
    return value


def decode_header(segment: str) -> str:
    """Decode and check a header segment; return its ``kid``."""
    if len(segment) > MAX_HEADER_SEGMENT_CHARS:
        raise MalformedTokenError("the header is too large")
    header = _decode_json_object(b64url_decode(segment), "header", unique=True)
    for name in FORBIDDEN_HEADER_PARAMETERS:
        if name in header:
            raise MalformedTokenError(f"the header parameter {name!r} is not accepted")
    alg = header.get("alg")
    if alg is None:
        raise UnsupportedAlgorithmError("the header has no alg")
    if type(alg) is not str:
        raise MalformedTokenError("the header's alg is not a string")
    if alg not in ALLOWED_ALGORITHMS:
        raise UnsupportedAlgorithmError(f"the algorithm {alg[:16]!r} is not allowed; only RS256 is")
    kid = header.get("kid")
    if kid is None:
        raise MalformedTokenError("the header has no kid")
    if type(kid) is not str or not kid:
        raise MalformedTokenError("the header's kid is not a non-empty string")
    return kid


def token_text(token: object, max_token_bytes: int) -> str:
    """Step 1 of ``VerifierCore.verify``: ``token`` (a str, or ASCII bytes) as a str of at most
    ``max_token_bytes`` ASCII characters, or ``MalformedTokenError``."""
    if isinstance(token, (bytes, bytearray)):
        if len(token) > max_token_bytes:
            raise MalformedTokenError("the token is larger than the allowed size")
        if not token.isascii():
            raise MalformedTokenError("the token is not ASCII")
        text = token.decode("ascii")
    elif isinstance(token, str):
        text = token if type(token) is str else str(token)
    else:
        raise MalformedTokenError("the token is not a str or bytes")
    if len(text) > max_token_bytes:
        raise MalformedTokenError("the token is larger than the allowed size")
    if not text.isascii():
        raise MalformedTokenError("the token is not ASCII")
    return text


def _is_number(value: object) -> bool:
    kind = type(value)
    if kind is float:
        return math.isfinite(value)  # type: ignore[arg-type]
    if kind is int:
        # The time checks compare as floats; an int too large for one is not a usable date.
        try:
            float(value)  # type: ignore[arg-type]
        except OverflowError:
            return False
        return True
    return False


_MISSING: Any = object()
# Every int up to 2**53 is a float exactly; larger ones take _is_number's overflow test.
_EXACT_INT = 2**53
# `_ONLY_STR.issuperset(map(type, items))`: every item is exactly a str, without a generator.
_ONLY_STR = frozenset({str})


# What the fast path of step 7 reads besides the claims it checks by value: the string claims
# whose type one str.join proves (absent reads as ""), all but `iss` and `token_use`, which equal
# a str when it holds; and the NumericDates other than exp, iat and nbf, whose type it checks
# (unpacking fails at import if NUMERIC_CLAIMS changes).
_JOINED_STRING_CLAIMS = tuple(name for name in STRING_CLAIMS if name not in (CLAIM_ISS, CLAIM_TOKEN_USE))
# One name each, for one tuple of eight gets: about 60% of the time of map(get, names, defaults),
# an iterator that join must first copy into a list. The check is the same for every name, so
# their order does not matter; their number does (unpacking fails at import if it changes).
(_STR_1, _STR_2, _STR_3, _STR_4, _STR_5, _STR_6, _STR_7, _STR_8) = _JOINED_STRING_CLAIMS
(_CLAIM_AUTH_TIME,) = (name for name in NUMERIC_CLAIMS if name not in (CLAIM_EXP, CLAIM_IAT, CLAIM_NBF))
_NO_GROUPS: list[str] = []
_JOIN_STR = "".join


def _check_claim_types(claims: dict[str, Any]) -> None:
    """The claims' types (RFC 7519 §2 NumericDates, strings, `aud`, `cognito:groups`): the first
    culprit named as the compiled twin names it."""
    get = claims.get
    _check_scalar_claims(get)
    aud = get(CLAIM_AUD)
    if aud is not None and type(aud) is not str:
        if type(aud) is not list or not _ONLY_STR.issuperset(map(type, aud)):
            raise MalformedTokenError("the claim 'aud' is not a string or a list of strings")
    # Present means a list: `null` would pass for "no groups" and break Claims.groups.
    groups = get(CLAIM_GROUPS, _MISSING)
    if groups is not _MISSING:
        if type(groups) is not list or not _ONLY_STR.issuperset(map(type, groups)):
            raise MalformedTokenError("the claim 'cognito:groups' is not a list of strings")


def _check_scalar_claims(get: Callable[..., Any]) -> None:
    # RFC 7519 §2 NumericDate: a JSON number; booleans, strings and non-finite values are not.
    for name in NUMERIC_CLAIMS:
        value = get(name, _MISSING)
        if value is _MISSING:
            if name in REQUIRED_CLAIMS:
                raise MalformedTokenError(f"the claim {name!r} is missing")
        elif type(value) is not int or not -_EXACT_INT <= value <= _EXACT_INT:
            if not _is_number(value):
                raise MalformedTokenError(f"the claim {name!r} is not a finite number")
    for name in STRING_CLAIMS:
        # Absent reads as "" (fine); present must be a str (`null` is not).
        if type(get(name, "")) is not str:
            raise MalformedTokenError(f"the claim {name!r} is not a string")


def _release_in_order(released: list[Any]) -> None:
    # Least recently used first, one at a time, as the compiled twin does: a finalizer that
    # calls the cache back then sees the same cache in both twins.
    for index in range(len(released)):
        released[index] = None


# How many characters at the end of a token key the claims cache: for a JWT, the end of its
# signature, a part that is cheap to hash (a hit compares the whole token). Hashing all of a
# 5 kB token on every request (each brings a new str) cost more than the rest of a hit.
_KEY_CHARS = 64


class ClaimsCache:
    """Bounded LRU of verified claims, keyed by the end of the token, a hit confirmed by the
    whole token (full equality): two tokens that end alike cost a miss, never a wrong hit.

    Entries live until ``exp`` plus leeway; an expired or not-yet-valid entry is never returned.
    Safe under threads. One cache serves one verifier: ``VerifierCore`` refuses a cache that
    another one holds, so claims accepted under one configuration never answer for another.
    """

    __slots__ = ("maxsize", "hits", "misses", "_entries", "_lock", "_bound")

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        # token[-_KEY_CHARS:] -> (token, claims, expires_at, not_before)
        self._entries: OrderedDict[str, tuple[str, Claims, float, float]] = OrderedDict()
        # Every method drops the objects it removes only after releasing the lock: dropping the
        # last reference to one can run Python code (a finalizer) that calls the cache again.
        self._lock = threading.RLock()
        self._bound = False

    def get(self, token: str, now: float) -> Claims | None:
        key = token[-_KEY_CHARS:]
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == token:
                if entry[3] <= now < entry[2]:
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return entry[1]
                # `entry` keeps the stale claims alive until after the lock is released.
                del self._entries[key]
            self.misses += 1
        return None

    def put(self, token: str, claims: Claims, expires_at: float, not_before: float) -> None:
        if self.maxsize <= 0:
            return
        key = token[-_KEY_CHARS:]
        evicted: list[object] = []
        with self._lock:
            entries = self._entries
            # The entry it replaces (this token's, or once in a blue moon another's with the same
            # ending), if any, is dropped after the lock, like evicted ones.
            evicted.append(entries.pop(key, None))
            entries[key] = (token, claims, expires_at, not_before)
            while len(entries) > self.maxsize:
                evicted.append(entries.popitem(last=False)[1])
        _release_in_order(evicted)

    def discard(self, token: str) -> None:
        """Drop the entry of ``token``, if any."""
        key = token[-_KEY_CHARS:]
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == token:
                del self._entries[key]
        del entry

    def drop_entries(self) -> None:
        """Drop every entry; the counters stay."""
        with self._lock:
            released = list(self._entries.values())
            self._entries = OrderedDict()
        _release_in_order(released)

    def clear(self) -> None:
        with self._lock:
            released = list(self._entries.values())
            self._entries = OrderedDict()
            self.hits = 0
            self.misses = 0
        _release_in_order(released)

    def info(self) -> CacheInfo:
        with self._lock:
            return CacheInfo(self.hits, self.misses, len(self._entries), self.maxsize)

    def __len__(self) -> int:
        return len(self._entries)

    def _bind(self) -> None:
        with self._lock:
            if self._bound:
                raise ConfigurationError("this ClaimsCache already serves another verifier; give each its own")
            self._bound = True


def _split_token(token: str) -> tuple[bytes, bytes]:
    """Step 3 of ``VerifierCore.verify`` check by check, in the compiled twin's order: exactly
    three segments, none empty, then the payload and the signature strict base64url. Returns both
    decoded, or raises ``MalformedTokenError`` naming the first fault."""
    first = token.find(".")
    second = token.find(".", first + 1) if first >= 0 else -1
    if second < 0 or token.find(".", second + 1) >= 0:
        raise MalformedTokenError("the token does not have exactly three segments")
    if first == 0 or second == first + 1 or second == len(token) - 1:
        raise MalformedTokenError("the token has an empty segment")
    text = token.encode("ascii")
    return _b64url_decode_ascii(text, first + 1, second), _b64url_decode_ascii(text, second + 1, len(text))


class VerifierCore:
    """Steps 1 to 8 of the verification (docs/verifier.md), minus the network.

    ``pools`` maps each trusted issuer to its key source: an object with a ``by_kid`` dict (kid to
    ``cryptography`` RSA public key), replaced whole when the keys change, and ``key_for(kid)``
    that may refresh and returns the key with the seconds its key set may be trusted without
    asking again, or raises ``KeyNotFoundError`` or ``JWKSError``.
    """

    __slots__ = (
        "_pools",
        "_single_issuer",
        "_single_source",
        "_leeway",
        "_token_use",
        "_clients",
        "_groups",
        "_scopes",
        "_claims_check",
        "_custom_check",
        "_max_token_bytes",
        "_cache",
        "_clock",
        "_headers",
        "_last_header",
        "_last_key",
    )

    def __init__(
        self,
        *,
        pools: Mapping[str, Any],
        leeway: float,
        token_use: str | None,
        clients: frozenset[str] | None,
        groups: frozenset[str] | None,
        scopes: frozenset[str] | None,
        claims_check: Callable[[Claims], object] | None = None,
        custom_check: Callable[[Claims], object] | None,
        max_token_bytes: int,
        cache: ClaimsCache | None,
        clock: Callable[[], float],
    ) -> None:
        self._pools = dict(pools)
        self._single_issuer: str | None
        self._single_source: Any
        if len(self._pools) == 1:
            ((self._single_issuer, self._single_source),) = self._pools.items()
        else:
            self._single_issuer = None
            self._single_source = None
        self._leeway = float(leeway)
        self._token_use = token_use
        self._clients = clients
        self._groups = groups
        self._scopes = scopes
        self._claims_check = claims_check
        self._custom_check = custom_check
        self._max_token_bytes = max_token_bytes
        if cache is not None:
            cache._bind()
        self._cache = cache
        self._clock = clock
        self._headers: dict[str, str] = {}
        # (header segment + ".", kid) of the last token, one object so that threads never see
        # a segment with another's kid: checked with startswith, no slice and no hash.
        self._last_header: tuple[str, str] | None = None
        # (key, its bound recover_data_from_signature, the modulus's length in octets) of the
        # last key used, as the compiled twin keeps it: a pyo3 getter and a method lookup fewer
        # per verify. One tuple, so threads never pair a key with another key's method or length.
        self._last_key: tuple[Any, Callable[..., bytes], int] | None = None

    def _kid(self, token: str, first: int) -> str:
        # Cognito signs every token of a pool with one of two keys, so the same few header
        # segments recur; a checked segment maps to its kid without decoding it again. (The
        # last one is checked in verify, with no call.)
        segment = token[:first]
        kid = self._headers.get(segment)
        if kid is None:
            kid = decode_header(segment)
            if len(self._headers) >= HEADER_CACHE_SIZE:
                self._headers.clear()
            self._headers[segment] = kid
        self._last_header = (token[: first + 1], kid)
        return kid

    def verify(self, token: str | bytes) -> Claims:
        # 1. Type and size (the common case, a short ASCII str, without a call).
        if type(token) is not str or len(token) > self._max_token_bytes or not token.isascii():
            token = token_text(token, self._max_token_bytes)
        now = float(self._clock())

        # 2. Cache: the exact same token, not expired.
        cache = self._cache
        if cache is not None:
            claims = cache.get(token, now)
            if claims is not None:
                # A hit has passed the time checks (in get); a denylist or a disabled-user
                # check must still see every use of the token, not only its first.
                if self._custom_check is not None:
                    self._custom_check(claims)
                return claims
        return self._verify_new(token, now, cache)

    def _verify_new(self, token: str, now: float, cache: ClaimsCache | None) -> Claims:
        """Steps 3 to 8 of ``verify``, for a token the cache did not answer: a method of its own
        so that a cache hit sets up and clears none of the locals these steps use."""
        # 3. Exactly three non-empty segments, each strict base64url (RFC 7515 §7.1). The common
        # case in one pass: three non-empty segments (a fourth leaves a "." in the signature,
        # which the strict decoder refuses), none of "+", "/" or "=" (standard base64's own
        # characters, which the mapping of "-" and "_" would hide), both segments strict after
        # that mapping, and canonical trailing bits. Anything else goes through _split_token,
        # which names the first fault as the compiled twin does.
        first = token.find(".")
        second = token.find(".", first + 1)
        text = token.encode("ascii")
        payload = None
        if 0 < first < second - 1 < len(text) - 2 and not (0x2B in text or 0x2F in text or 0x3D in text):
            standard = text.replace(b"-", b"+").replace(b"_", b"/")
            payload_remainder = (second - first - 1) & 3
            signature_remainder = (len(text) - second - 1) & 3
            try:
                payload = _a2b_strict(
                    standard[first + 1 : second] + _B64_PADDING[payload_remainder], strict_mode=True
                )
                signature = _a2b_strict(
                    standard[second + 1 :] + _B64_PADDING[signature_remainder], strict_mode=True
                )
            except binascii.Error:
                payload = None
            else:
                if (
                    _B64_VALUES[text[second - 1]] & _B64_UNUSED[payload_remainder]
                    or _B64_VALUES[text[-1]] & _B64_UNUSED[signature_remainder]
                ):
                    payload = None
        if payload is None:
            payload, signature = _split_token(token)
        # 4. Header.
        last = self._last_header
        kid = last[1] if last is not None and token.startswith(last[0]) else self._kid(token, first)

        # 5. Key, from the pool the token names (several pools: peek at `iss`, checked again
        # after the signature).
        decoded: dict[str, Any] | None = None
        source = self._single_source
        issuer = self._single_issuer
        if source is None:
            decoded = _decode_json_object(payload, "payload", unique=False)
            iss = decoded.get(CLAIM_ISS)
            source = self._pools.get(iss) if type(iss) is str else None
            if source is None:
                raise InvalidIssuerError(
                    "the token's issuer is not a trusted user pool",
                    claim=CLAIM_ISS,
                    actual=iss,
                    expected=sorted(self._pools),
                )
            issuer = iss
        key, trusted_for = source.key_for(kid)

        # 6. Signature over the exact ASCII bytes of `header.payload` (RFC 7515 §5.2):
        # RSASSA-PKCS1-v1_5 verification (RFC 8017 §8.2.2). A signature is exactly k octets;
        # cryptography does RSAVP1 and checks the 00 01 FF..FF 00 padding; the rest must equal the
        # whole encoded DigestInfo of the SHA-256 hash. This is the check key.verify makes, without
        # the digest setup OpenSSL repeats on every call.
        last_key = self._last_key
        if last_key is None or last_key[0] is not key:
            last_key = self._last_key = (key, key.recover_data_from_signature, (key.key_size + 7) >> 3)
        if len(signature) != last_key[2]:
            raise InvalidSignatureError()
        try:
            recovered = last_key[1](signature, _PKCS1V15, None)
        except InvalidSignature:
            raise InvalidSignatureError() from None
        if recovered != SHA256_DIGEST_INFO + sha256(text[:second]).digest():
            raise InvalidSignatureError()

        # 7. Claims, only now that they are signed. The common case parsed here, without the two
        # calls of _decode_json_object: UTF-8, at most one "[" and one "{" (so not too deep),
        # one JSON object with nothing around it. Anything else goes through _decode_json_object,
        # which makes the same checks in the same order and names the fault.
        if decoded is None:
            try:
                json_text = payload.decode("utf-8")
                if "[" in json_text.partition("[")[2] or "{" in json_text.partition("{")[2]:
                    decoded = None
                else:
                    decoded, end = _PAYLOAD_SCAN(json_text, 0)
                    if end != len(json_text) or type(decoded) is not dict:
                        decoded = None
            except (ValueError, StopIteration, RecursionError):
                decoded = None
            if decoded is None:
                decoded = _decode_json_object(payload, "payload", unique=False)
        # The common case proved at once: every NumericDate an int that a float holds (the
        # required ones present), every string claim a str, `aud` absent or a str, the groups a
        # list of str, then the times, the issuer, token_use and the client. Anything it cannot
        # prove (a float exp, `aud` as a list, any fault) goes to _check_claims, which names the
        # first fault as the compiled twin does.
        leeway = self._leeway
        get = decoded.get
        want = self._token_use
        clients = self._clients
        # KeyError: a required claim absent; TypeError: str.join meets an item that is not a str
        # (JSON makes no str subclass), or `in` an unhashable value; OverflowError: an int that
        # no float holds.
        try:
            exp: Any = decoded[CLAIM_EXP]
            iat: Any = decoded[CLAIM_IAT]
            token_use = decoded[CLAIM_TOKEN_USE]
            nbf = get(CLAIM_NBF, _MISSING)
            auth_time = get(_CLAIM_AUTH_TIME, 0)
            member_of = get(CLAIM_GROUPS, _NO_GROUPS)
            proven = (
                type(exp) is int
                and type(iat) is int
                and (nbf is _MISSING or type(nbf) is int)
                and type(auth_time) is int
                and type(member_of) is list
                # Equal to a str, `iss` and `token_use` are str.
                and decoded[CLAIM_ISS] == issuer
                and token_use in TOKEN_USES
                and (want is None or token_use == want)
                and (
                    clients is None
                    or decoded[CLAIM_CLIENT_ID if token_use == "access" else CLAIM_AUD] in clients
                )
            )
            if proven:
                # `aud` among them: absent or a str (a list takes the step-by-step checks).
                _JOIN_STR(
                    (
                        get(CLAIM_AUD, ""),
                        get(_STR_1, ""),
                        get(_STR_2, ""),
                        get(_STR_3, ""),
                        get(_STR_4, ""),
                        get(_STR_5, ""),
                        get(_STR_6, ""),
                        get(_STR_7, ""),
                        get(_STR_8, ""),
                    )
                )
                _JOIN_STR(member_of)
                float(auth_time)
                expires_at = float(exp) + leeway
                not_before = float(iat)
                nbf_at = not_before if nbf is _MISSING else float(nbf)
                proven = now < expires_at and not_before <= now + leeway and nbf_at <= now + leeway
                if nbf_at > not_before:
                    not_before = nbf_at
        except (KeyError, TypeError, OverflowError):
            proven = False
        if not proven:
            expires_at, not_before = self._check_claims(decoded, now, issuer)
        # The cache keeps these claims: the verifier's own issuer and token_use strings (equal,
        # just checked) replace the payload's copies, which every entry would otherwise hold.
        decoded[CLAIM_ISS] = issuer
        if want is not None:
            decoded[CLAIM_TOKEN_USE] = want
        groups = self._groups
        if groups is not None:
            have = decoded.get(CLAIM_GROUPS) or ()
            if groups.isdisjoint(have):
                raise MissingGroupError(claim=CLAIM_GROUPS, actual=list(have), expected=sorted(groups))
        scopes = self._scopes
        if scopes is not None:
            scope = decoded.get(CLAIM_SCOPE)
            # RFC 6749 §3.3: split on U+0020 only; the same split as Claims.scopes.
            if scopes.isdisjoint(split_scope(scope) if scope else ()):
                raise MissingScopeError(claim=CLAIM_SCOPE, actual=scope, expected=sorted(scopes))
        claims = _new_claims(Claims)
        _CLAIMS_DATA_SLOT.__set__(claims, decoded)
        # A verdict on the claims alone holds for the token's life: asked once, never on a hit
        # (a refusal is never cached). The custom check, whose answer may change, runs on both.
        if self._claims_check is not None:
            self._claims_check(claims)
        if self._custom_check is not None:
            self._custom_check(claims)

        # 8. Cache until exp (plus leeway), or until the key set must be checked again if that
        # comes first: a hit never looks at the key, so the entry must end when trust in it does.
        if cache is not None and trusted_for > 0:
            cache.put(token, claims, min(expires_at, now + trusted_for), not_before - leeway)
            if source.by_kid.get(kid) is not key:
                # A refresh removed or replaced the key while this token was being verified,
                # after it dropped the cached claims of that key: drop this entry too.
                cache.discard(token)
        return claims

    def _check_claims(
        self, decoded: dict[str, Any], now: float, issuer: str | None
    ) -> tuple[float, float]:
        """Step 7 up to the client, check by check in the compiled twin's order, for what the
        fast path in ``_verify_new`` cannot prove: raises at the first fault, or returns when the
        claims may be cached until (``exp`` plus leeway) and from (the later of ``iat`` and
        ``nbf``, without leeway)."""
        _check_claim_types(decoded)
        exp = decoded[CLAIM_EXP]
        iat = decoded[CLAIM_IAT]
        leeway = self._leeway
        # NumericDates compare as floats, exactly as the compiled twin compares C doubles.
        expires_at = float(exp) + leeway
        if not now < expires_at:
            raise ExpiredTokenError(claim=CLAIM_EXP, actual=exp, expected=f"> {now - leeway}")
        not_before = float(iat)
        if not_before > now + leeway:
            raise NotYetValidError(
                "the token was issued in the future", claim=CLAIM_IAT, actual=iat, expected=f"<= {now + leeway}"
            )
        nbf = decoded.get(CLAIM_NBF)
        if nbf is not None:
            nbf_at = float(nbf)
            if nbf_at > now + leeway:
                raise NotYetValidError(claim=CLAIM_NBF, actual=nbf, expected=f"<= {now + leeway}")
            if nbf_at > not_before:
                not_before = nbf_at
        iss = decoded.get(CLAIM_ISS)
        if iss != issuer:
            raise InvalidIssuerError(claim=CLAIM_ISS, actual=iss, expected=issuer)
        token_use = decoded.get(CLAIM_TOKEN_USE)
        if token_use not in TOKEN_USES or (self._token_use is not None and token_use != self._token_use):
            raise InvalidTokenUseError(
                claim=CLAIM_TOKEN_USE, actual=token_use, expected=self._token_use or sorted(TOKEN_USES)
            )
        clients = self._clients
        if clients is not None:
            if token_use == "access":
                client_claim = CLAIM_CLIENT_ID
                client = decoded.get(CLAIM_CLIENT_ID)
                allowed = client in clients
            else:
                client_claim = CLAIM_AUD
                client = decoded.get(CLAIM_AUD)
                if type(client) is list:
                    allowed = any(item in clients for item in client)
                else:
                    allowed = client in clients
            if not allowed:
                raise InvalidClientError(claim=client_claim, actual=client, expected=sorted(clients))
        return expires_at, not_before

    def clear_header_cache(self) -> None:
        self._headers.clear()
        self._last_header = None
