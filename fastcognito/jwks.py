"""Network: ``JWKSClient`` fetches a pool's JWKS and keeps it.

No expiry: the key set is refreshed when a token names an unknown ``kid``, at most once per
``cooldown`` seconds, with concurrent misses sharing one fetch. A failed fetch keeps the last
good key set.
"""

from __future__ import annotations

import json
import logging
import threading
import time
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
        self._last_error: JWKSError | None = None
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
                raise self._last_error or JWKSError()
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
            keyset = KeySet.from_jwks(self._download())
        except JWKSError as err:
            self._last_error = err
            logger.warning("could not refresh the JWKS of %s: %s", self.url, err)
            raise
        self.by_kid = keyset.by_kid
        self._has_keys = True
        self._last_error = None
        return keyset

    def _download(self) -> Any:
        url = self.url
        origin = urlsplit(url)[:2]
        try:
            for _ in range(_MAX_REDIRECTS + 1):
                with self.session.get(
                    url, timeout=self.timeout, allow_redirects=False, stream=True
                ) as response:
                    if response.is_redirect:
                        target = urljoin(url, response.headers.get("location", ""))
                        if urlsplit(target)[:2] != origin:
                            raise JWKSError("the JWKS URL redirects to another host")
                        url = target
                        continue
                    if response.status_code != 200:
                        raise JWKSError(f"the JWKS URL answered HTTP {response.status_code}")
                    declared = response.headers.get("content-length")
                    if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
                        raise JWKSError(f"the JWKS is larger than {self.max_bytes} bytes")
                    body = response.raw.read(self.max_bytes + 1, decode_content=True)
                    if len(body) > self.max_bytes:
                        raise JWKSError(f"the JWKS is larger than {self.max_bytes} bytes")
                    break
            else:
                raise JWKSError("the JWKS URL redirects too often")
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as err:
            raise JWKSError(f"the JWKS could not be fetched: {type(err).__name__}") from err
        try:
            return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as err:
            raise JWKSError("the JWKS is not valid JSON") from err

    def __repr__(self) -> str:
        return f"JWKSClient(url={self.url!r}, kids={sorted(self.by_kid)!r})"
