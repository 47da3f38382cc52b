"""Network: ``JWKSClient`` fetches a pool's JWKS and keeps it.

The key set is refreshed when a token names an unknown ``kid``, and on its first use after it
is ``max_age`` seconds old (stale while revalidate: one caller fetches, the others keep using
the set they have). At most one refresh per ``cooldown`` seconds; concurrent misses share one
fetch. A failed fetch keeps the last good key set. A refresh that drops or replaces a key tells
its listeners, so the claims cache forgets the tokens it vouched for.
"""

from __future__ import annotations

import http.client
import json
import logging
import contextvars
import math
import threading
import time
import zlib
from collections.abc import Callable, Collection, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from ._constants import JWKS_CONNECT_TIMEOUT, JWKS_COOLDOWN, JWKS_MAX_AGE, JWKS_MAX_BYTES, JWKS_READ_TIMEOUT
from ._impl import json_too_deep
from ._validate import reject_constant
from .exceptions import JWKSError, KeyNotFoundError
from .jwk import KeySet

__all__ = ["JWKSClient", "download"]

logger = logging.getLogger("fastcognito.jwks")

_MAX_REDIRECTS = 3
_CHUNK_BYTES = 8192
# Only what read_body can inflate under a cap; identity is always acceptable (RFC 9110 §12.5.3).
_REQUEST_HEADERS = {"Accept": "application/json", "Accept-Encoding": "gzip"}
NETWORK_ERRORS = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,  # socket errors, and ssl.SSLError
    zlib.error,
    ValueError,  # URL parsing (LocationParseError), IDNA (UnicodeError), chunk sizes
)


# Set by ``CognitoVerifier.averify`` around its call into the core: where a fetch would block,
# ``key_for`` raises ``FetchNeeded`` instead, and averify fetches in a worker thread. A context
# variable, so it holds for that task alone: threads and other tasks fetch as usual.
no_fetch_here: contextvars.ContextVar[bool] = contextvars.ContextVar("fastcognito_no_fetch_here", default=False)


class FetchNeeded(Exception):
    """``key_for`` would have to fetch (an unknown kid, or a stale set nobody is refreshing),
    and ``no_fetch_here`` is set. Internal: never leaves ``averify``."""

    def __init__(self, client: JWKSClient, kid: str) -> None:
        super().__init__(kid)
        self.client = client
        self.kid = kid


def _origin(url: str) -> tuple[str, str]:
    # Scheme and host[:port]: a redirect may change the path only, never the host, the port
    # or https to http.
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _total_timeout(timeout: float | tuple[float, float]) -> float:
    if isinstance(timeout, tuple):
        return float(sum(timeout))
    return 2 * float(timeout)


class JWKSClient:
    """Fetches and caches the JWKS at ``url``. Thread-safe.

    ``by_kid`` is the current kid-to-key dict; it is replaced whole, never changed in place, so
    readers need no lock. A key whose JWK is unchanged by a refresh keeps its object, so
    ``by_kid.get(kid) is key`` tells that a key is still trusted.
    """

    def __init__(
        self,
        url: str,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (JWKS_CONNECT_TIMEOUT, JWKS_READ_TIMEOUT),
        cooldown: float = JWKS_COOLDOWN,
        max_bytes: int = JWKS_MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
        max_age: float = JWKS_MAX_AGE,
    ) -> None:
        self.url = url
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout
        self.cooldown = cooldown
        self.max_bytes = max_bytes
        self.max_age = max_age
        self._clock = clock
        self.by_kid: dict[str, RSAPublicKey] = {}
        self.fetches = 0
        self._has_keys = False
        # When the current key set goes stale, on `clock`.
        self._fresh_until = -math.inf
        self._removal_listeners: list[Callable[[], object]] = []
        self._last_attempt: float | None = None
        # The message only: a stored exception would keep its traceback's frames (and the
        # token in a caller's locals) alive until the next good fetch.
        self._last_error: str | None = None
        self._fetch_lock = threading.Lock()

    def key_for(self, kid: str) -> tuple[RSAPublicKey, float]:
        """The key for ``kid``, and for how many seconds its key set may be trusted without
        asking again (what the claims cache keeps a token for, at most).

        A stale key set is refreshed first, by one caller; the others, and everyone while a
        failed refresh cools down, keep the last good set. Raises ``KeyNotFoundError`` when the
        kid is unknown even after a refresh (or was dropped by one), ``JWKSError`` when no key
        set could ever be fetched.
        """
        key = self.by_kid.get(kid)
        if key is not None:
            remaining = self._fresh_until - self._clock()
            if remaining > 0:
                return key, remaining
            if no_fetch_here.get() and not self._cooling_down() and not self._fetch_lock.locked():
                raise FetchNeeded(self, kid)
            self._revalidate()
            key = self.by_kid.get(kid)
            if key is None:
                raise KeyNotFoundError()
        else:
            if no_fetch_here.get():
                raise FetchNeeded(self, kid)
            key = self.get_key(kid)
        return key, self._trusted_for()

    def on_keys_removed(self, callback: Callable[[], object]) -> None:
        """Call ``callback()`` after every refresh that drops or replaces a key."""
        self._removal_listeners.append(callback)

    def _revalidate(self) -> None:
        # Stale while revalidate: whoever gets the lock without waiting fetches; the others go
        # on with the set they have rather than queue behind the network.
        if self._cooling_down() or not self._fetch_lock.acquire(blocking=False):
            return
        try:
            if self._clock() >= self._fresh_until and not self._cooling_down():
                try:
                    self._refresh_locked()
                except JWKSError:
                    pass  # logged in _refresh_locked; the last good set stays.
        finally:
            self._fetch_lock.release()

    def _trusted_for(self) -> float:
        now = self._clock()
        remaining = self._fresh_until - now
        if remaining > 0:
            return remaining
        # Stale because a refresh failed or is under way: until the next one may start.
        last = self._last_attempt
        return 0.0 if last is None else max(0.0, last + self.cooldown - now)

    def get_key(self, kid: str) -> RSAPublicKey:
        """The key for ``kid``, refreshing the JWKS once if it is unknown.

        Raises ``KeyNotFoundError`` when the kid is still unknown, ``JWKSError`` when no key set
        could ever be fetched.
        """
        key = self.by_kid.get(kid)
        if key is not None:
            return key
        # Single flight: whoever holds the lock fetches; the others wait, then find the kid in
        # the new set, or find the cooldown running and do not fetch again.
        with self._fetch_lock:
            key = self.by_kid.get(kid)
            if key is not None:
                return key
            if self._cooling_down():
                logger.debug("kid not in the JWKS of %s; refresh is cooling down", self.url)
            else:
                try:
                    self._refresh_locked()
                except JWKSError:
                    pass  # logged in _refresh_locked; the last good set stays.
            key = self.by_kid.get(kid)
            if key is not None:
                return key
            if not self._has_keys:
                # A new exception per caller: one stored instance raised from many threads
                # would grow its traceback with every raise.
                raise JWKSError(self._last_error)
        raise KeyNotFoundError()

    def refresh(self) -> KeySet:
        """Fetch the JWKS now (no cooldown). Raises ``JWKSError``; the last good set stays."""
        with self._fetch_lock:
            return self._refresh_locked()

    def hydrate(self) -> None:
        """Fetch the key set unless a fresh one is held already."""
        if not self._has_keys or self._clock() >= self._fresh_until:
            self.refresh()

    def _cooling_down(self) -> bool:
        last = self._last_attempt
        return last is not None and self._clock() - last < self.cooldown

    def _refresh_locked(self) -> KeySet:
        started = self._last_attempt = self._clock()
        self.fetches += 1
        try:
            keyset = KeySet.from_jwks(self._download(), source=f"the JWKS at {self.url}")
        except JWKSError as err:
            self._last_error = err.message
            # "fetch" until a key set was ever held: nothing is being refreshed on a first fetch.
            verb = "refresh" if self._has_keys else "fetch"
            logger.warning("could not %s the JWKS of %s: %s", verb, self.url, err)
            raise
        old = self.by_kid
        by_kid = {
            kid: old[kid] if kid in old and old[kid].public_numbers() == key.public_numbers() else key
            for kid, key in keyset.by_kid.items()
        }
        removed = [kid for kid, key in old.items() if by_kid.get(kid) is not key]
        self.by_kid = by_kid
        self._fresh_until = started + self.max_age
        self._has_keys = True
        self._last_error = None
        if removed:
            logger.info(
                "the JWKS of %s dropped or replaced %d key(s); tokens they signed are refused from now on",
                self.url,
                len(removed),
            )
            for listener in self._removal_listeners:
                listener()
        return keyset

    def _download(self) -> Any:
        body = download(
            self.session,
            self.url,
            timeout=self.timeout,
            max_bytes=self.max_bytes,
            what="the JWKS",
            server="the JWKS URL",
        )
        try:
            text = body.decode("utf-8")
            if json_too_deep(text):
                raise ValueError("nested too deeply")
            return json.loads(text, parse_constant=reject_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as err:
            raise JWKSError("the JWKS is not valid JSON") from err

    def __repr__(self) -> str:
        return f"JWKSClient(url={self.url!r}, kids={sorted(self.by_kid)!r})"


def download(
    session: requests.Session,
    url: str,
    *,
    timeout: tuple[float, float],
    max_bytes: int,
    what: str,
    server: str | None = None,
    headers: Mapping[str, str] = _REQUEST_HEADERS,
    redirects: int = _MAX_REDIRECTS,
    not_found: Collection[int] = (),
) -> bytes:
    """The body at ``url``: at most ``max_bytes`` both as sent and once inflated, within the
    timeouts in total, or ``JWKSError`` ("``what`` could not be fetched", "``server`` answered
    HTTP 500", ...). Statuses in ``not_found`` raise ``KeyNotFoundError``.

    Up to ``redirects`` redirects on the same origin are followed (a redirect is an HTTP error
    with 0). gzip is inflated, under the cap, when ``headers`` ask for it; any other content
    encoding is refused.
    """
    origin = _origin(url)
    gzip = "gzip" in headers.get("Accept-Encoding", "")
    # The read timeout bounds each socket read, not the whole body: a server that trickles
    # one byte per read would hold the fetch (and every thread waiting for it) for hours.
    deadline = time.monotonic() + _total_timeout(timeout)
    try:
        for _ in range(redirects + 1):
            with session.get(
                url, timeout=timeout, allow_redirects=False, stream=True, headers=dict(headers)
            ) as response:
                if redirects and response.is_redirect:
                    target = urljoin(url, response.headers.get("location", ""))
                    if _origin(target) != origin:
                        raise JWKSError(f"{server or what} redirects to another host")
                    url = target
                    continue
                if response.status_code in not_found:
                    raise KeyNotFoundError()
                if response.status_code != 200:
                    raise JWKSError(f"{server or what} answered HTTP {response.status_code}")
                try:
                    return read_body(response, max_bytes, deadline, gzip=gzip)
                except BodyRefused as refused:
                    raise JWKSError(_refusal(refused.kind, what, max_bytes, gzip)) from None
        raise JWKSError(f"{server or what} redirects too often")
    except NETWORK_ERRORS as err:
        # Whatever breaks while connecting or mid-stream is an unavailable key source (503),
        # not a crash of the request that needed the key.
        raise JWKSError(f"{what} could not be fetched: {type(err).__name__}") from err


class BodyRefused(Exception):
    """Why ``read_body`` refused a body, as ``kind``: "large" (past the cap, as declared, sent or
    inflated), "encoded" (a content encoding it may not read), "slow" (past the deadline) or
    "truncated" (a gzip stream cut short or followed by other data). Each caller words it."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def read_body(response: requests.Response, limit: int, deadline: float, *, gzip: bool) -> bytes:
    """The body of a streamed ``response``, at most ``limit`` bytes both as sent and once inflated,
    read before ``deadline`` (``time.monotonic()``), or ``BodyRefused``: the JWKS and the ALB keys
    (``download``) and Cognito's answers (``fastcognito.oauth``) alike.

    The raw bytes are read undecoded and inflated here with an output cap, so a small gzip body
    that inflates to gigabytes is refused after ``limit``, whatever the version of urllib3. gzip
    is taken only when ``gzip`` (the request asked for it); any other content encoding is refused.
    """
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyRefused("large")
    absent = "" if gzip else "identity"
    encoding = response.headers.get("content-encoding", absent).strip().lower()
    inflater: Any = None
    if gzip and encoding in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # RFC 1952 framing only
    elif encoding not in (absent, "identity"):
        raise BodyRefused("encoded")
    raw = response.raw
    # read1 returns after one socket read, so the deadline is checked between reads; read()
    # (urllib3 1.x has no read1) waits for a whole chunk, which a trickle can stretch.
    read = getattr(raw, "read1", None) or raw.read
    body = bytearray()
    received = 0
    while True:
        chunk = read(_CHUNK_BYTES, decode_content=False)
        if not chunk:
            break
        received += len(chunk)
        if received > limit:
            raise BodyRefused("large")
        if inflater is not None:
            # max_length: inflate at most one byte past the cap, however much the input holds.
            chunk = inflater.decompress(chunk, limit + 1 - len(body))
        body += chunk
        if len(body) > limit:
            raise BodyRefused("large")
        if time.monotonic() > deadline:
            raise BodyRefused("slow")
    if inflater is not None and (not inflater.eof or inflater.unused_data):
        raise BodyRefused("truncated")
    return bytes(body)


def _refusal(kind: str, what: str, limit: int, gzip: bool) -> str:
    """``download``'s words for a ``BodyRefused``."""
    if kind == "large":
        return f"{what} is larger than {limit} bytes"
    if kind == "encoded":
        return f"{what} is sent with a content encoding" + (" other than gzip" if gzip else "")
    if kind == "slow":
        return f"{what} download took too long"
    return f"{what}'s gzip stream is truncated or followed by other data"
