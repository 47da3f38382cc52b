"""Network: ``JWKSClient`` fetches a pool's JWKS and keeps it.

No expiry: the key set is refreshed when a token names an unknown ``kid``, at most once per
``cooldown`` seconds, with concurrent misses sharing one fetch. A failed fetch keeps the last
good key set.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from ._constants import JWKS_CONNECT_TIMEOUT, JWKS_COOLDOWN, JWKS_MAX_BYTES, JWKS_READ_TIMEOUT
from .exceptions import JWKSError, KeyNotFoundError
from .jwk import KeySet

__all__ = ["JWKSClient"]

logger = logging.getLogger("fastcognito.jwks")

_MAX_REDIRECTS = 3
_CHUNK_BYTES = 8192
# Only what _read_body can inflate under a cap; identity is always acceptable (RFC 9110 §12.5.3).
_REQUEST_HEADERS = {"Accept": "application/json", "Accept-Encoding": "gzip"}
_NETWORK_ERRORS = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,  # socket errors, and ssl.SSLError
    zlib.error,
    ValueError,  # URL parsing (LocationParseError), IDNA (UnicodeError), chunk sizes
)


def _origin(url: str) -> tuple[str, str]:
    # Scheme and host[:port]: a redirect may change the path only, never the host, the port
    # or https to http.
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _total_timeout(timeout: float | tuple[float, float]) -> float:
    if isinstance(timeout, tuple):
        return float(sum(timeout))
    return 2 * float(timeout)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class JWKSClient:
    """Fetches and caches the JWKS at ``url``. Thread-safe.

    ``by_kid`` is the current kid-to-key dict; it is replaced whole, never changed in place, so
    readers need no lock.
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
    ) -> None:
        self.url = url
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout
        self.cooldown = cooldown
        self.max_bytes = max_bytes
        self._clock = clock
        self.by_kid: dict[str, RSAPublicKey] = {}
        self.fetches = 0
        self._has_keys = False
        self._last_attempt: float | None = None
        # The message only: a stored exception would keep its traceback's frames (and the
        # token in a caller's locals) alive until the next good fetch.
        self._last_error: str | None = None
        self._fetch_lock = threading.Lock()

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
        """Fetch the key set unless one is held already."""
        if not self._has_keys:
            self.refresh()

    def _cooling_down(self) -> bool:
        last = self._last_attempt
        return last is not None and self._clock() - last < self.cooldown

    def _refresh_locked(self) -> KeySet:
        self._last_attempt = self._clock()
        self.fetches += 1
        try:
            keyset = KeySet.from_jwks(self._download(), source=f"the JWKS at {self.url}")
        except JWKSError as err:
            self._last_error = err.message
            logger.warning("could not refresh the JWKS of %s: %s", self.url, err)
            raise
        self.by_kid = keyset.by_kid
        self._has_keys = True
        self._last_error = None
        return keyset

    def _download(self) -> Any:
        url = self.url
        origin = _origin(url)
        # The read timeout bounds each socket read, not the whole body: a server that trickles
        # one byte per read would hold the fetch (and every thread waiting for it) for hours.
        deadline = time.monotonic() + _total_timeout(self.timeout)
        try:
            for _ in range(_MAX_REDIRECTS + 1):
                with self.session.get(
                    url, timeout=self.timeout, allow_redirects=False, stream=True, headers=_REQUEST_HEADERS
                ) as response:
                    if response.is_redirect:
                        target = urljoin(url, response.headers.get("location", ""))
                        if _origin(target) != origin:
                            raise JWKSError("the JWKS URL redirects to another host")
                        url = target
                        continue
                    if response.status_code != 200:
                        raise JWKSError(f"the JWKS URL answered HTTP {response.status_code}")
                    declared = response.headers.get("content-length")
                    if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
                        raise JWKSError(f"the JWKS is larger than {self.max_bytes} bytes")
                    body = self._read_body(response, deadline)
                    break
            else:
                raise JWKSError("the JWKS URL redirects too often")
        except _NETWORK_ERRORS as err:
            # Whatever breaks while connecting or mid-stream is an unavailable JWKS (503), not
            # a crash of the request that needed the key.
            raise JWKSError(f"the JWKS could not be fetched: {type(err).__name__}") from err
        try:
            return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as err:
            raise JWKSError("the JWKS is not valid JSON") from err

    def _read_body(self, response: requests.Response, deadline: float) -> bytes:
        """The body, at most ``max_bytes`` both as sent and once inflated.

        The raw bytes are read undecoded and inflated here with an output cap, so a small gzip
        body that inflates to gigabytes is refused after ``max_bytes``, whatever the version of
        urllib3. Only gzip is offered (``Accept-Encoding``) and accepted.
        """
        limit = self.max_bytes
        encoding = response.headers.get("content-encoding", "").strip().lower()
        inflater: Any = None
        if encoding in ("gzip", "x-gzip"):
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # RFC 1952 framing only
        elif encoding not in ("", "identity"):
            raise JWKSError("the JWKS is sent with a content encoding other than gzip")
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
                raise JWKSError(f"the JWKS is larger than {limit} bytes")
            if inflater is not None:
                # max_length: inflate at most one byte past the cap, however much the input holds.
                chunk = inflater.decompress(chunk, limit + 1 - len(body))
            body += chunk
            if len(body) > limit:
                raise JWKSError(f"the JWKS is larger than {limit} bytes")
            if time.monotonic() > deadline:
                raise JWKSError("the JWKS download took too long")
        if inflater is not None and (not inflater.eof or inflater.unused_data):
            raise JWKSError("the JWKS's gzip stream is truncated or followed by other data")
        return bytes(body)

    def __repr__(self) -> str:
        return f"JWKSClient(url={self.url!r}, kids={sorted(self.by_kid)!r})"
