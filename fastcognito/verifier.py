"""Pipeline: ``CognitoVerifier`` ties the twin, the keys, the JWKS client and the cache together."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Union

import requests

from . import _impl
from ._constants import (
    DEFAULT_CACHE_SIZE,
    DEFAULT_MAX_TOKEN_BYTES,
    DENYLIST_TIMEOUT,
    JWKS_CONNECT_TIMEOUT,
    JWKS_COOLDOWN,
    JWKS_MAX_AGE,
    JWKS_READ_TIMEOUT,
    TOKEN_USES,
)
from ._impl import CacheInfo
from ._validate import UNSET, check_url, integer, number, string_set
from .claims import Claims
from .denylist import (
    NOTHING_CLEARED,
    Denylist,
    DenylistCheckNeeded,
    ask_denylist,
    cleared_identifiers,
    denylist_check,
    denylist_cleared,
    is_blocking,
    revoked_until,
)
from .exceptions import (
    ConfigurationError,
    DenylistUnavailableError,
    FastCognitoError,
    JWKSError,
    KeyNotFoundError,
    RevokedTokenError,
)
from .jwk import RS256_VECTOR, KeySet
from .jwks import FetchNeeded, JWKSClient, no_fetch_here

if TYPE_CHECKING:
    from . import _verify_py

__all__ = [
    "ISSUER_FORMS",
    "CognitoVerifier",
    "UserPool",
    "cognito_issuers",
    "default_issuer",
    "parse_user_pool_id",
]

logger = logging.getLogger("fastcognito.verifier")

# A Cognito user pool id is `<region>_<id>` (e.g. `eu-west-1_AbC123xyz`).
_REGION_PATTERN = r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}"
_USER_POOL_ID = re.compile(rf"(?P<region>{_REGION_PATTERN})_[0-9A-Za-z]+")
_REGION = re.compile(_REGION_PATTERN)

# Cognito's two issuer forms: the original `https://cognito-idp.{region}...` and the updated
# `https://issuer-cognito-idp.{region}...` it now recommends for every pool. "both" accepts
# either, for the window in which a pool switches.
ISSUER_FORMS = ("original", "updated", "both")


def parse_user_pool_id(user_pool_id: object) -> str:
    """Return the region of a well-formed user pool id; raise ``ConfigurationError`` otherwise."""
    if not isinstance(user_pool_id, str):
        raise ConfigurationError(f"user_pool_id must be a string like 'eu-west-1_AbC123', got {type(user_pool_id).__name__}")
    match = _USER_POOL_ID.fullmatch(user_pool_id)
    if match is None:
        raise ConfigurationError(
            f"user_pool_id {user_pool_id!r} is not of the form '<region>_<id>', e.g. 'eu-west-1_AbC123'"
        )
    return match.group("region")


def default_issuer(user_pool_id: str, region: str | None = None, *, form: str = "original") -> str:
    """The issuer Cognito puts in ``iss``: ``https://cognito-idp.{region}.amazonaws.com/{pool}``
    (``form="original"``) or ``https://issuer-cognito-idp.{region}.amazonaws.com/{pool}``
    (``form="updated"``)."""
    pool_region = parse_user_pool_id(user_pool_id)
    if form == "original":
        host = "cognito-idp"
    elif form == "updated":
        host = "issuer-cognito-idp"
    else:
        raise ConfigurationError(f"an issuer form is 'original' or 'updated', got {form!r}")
    return f"https://{host}.{region or pool_region}.amazonaws.com/{user_pool_id}"


def _regions(value: object, pool_region: str) -> tuple[str, ...]:
    items: Iterable[object]
    if isinstance(value, str):
        items = (value,)
    elif isinstance(value, Iterable) and not isinstance(value, Mapping):
        items = value
    else:
        raise ConfigurationError(f"additional_regions must be a list of AWS regions, got {value!r}")
    regions: list[str] = []
    for region in items:
        if not isinstance(region, str) or _REGION.fullmatch(region) is None:
            raise ConfigurationError(
                f"additional_regions holds {region!r}, which is not an AWS region like 'eu-west-1'"
            )
        if region == pool_region or region in regions:
            raise ConfigurationError(
                f"additional_regions names {region!r} twice (the pool's own region counts)"
            )
        regions.append(region)
    return tuple(regions)


def cognito_issuers(
    user_pool_id: str, *, issuer_form: str = "original", additional_regions: Iterable[str] = ()
) -> tuple[str, ...]:
    """Every ``iss`` a pool's tokens may carry, by configuration alone (never read from a token).

    The original form names the Region of the endpoint that signed the token, so a pool with
    multi-Region replication issues one original issuer per replica Region
    (``additional_regions``). The updated form always names the pool's home Region.
    """
    if not isinstance(issuer_form, str) or issuer_form not in ISSUER_FORMS:
        raise ConfigurationError(f"issuer_form must be 'original', 'updated' or 'both', got {issuer_form!r}")
    pool_region = parse_user_pool_id(user_pool_id)
    regions = _regions(additional_regions, pool_region)
    if regions and issuer_form == "updated":
        raise ConfigurationError(
            "additional_regions applies to the original issuer form only: the updated form names the "
            "pool's home Region whichever replica signs; use issuer_form='both' during a migration"
        )
    issuers: list[str] = []
    if issuer_form in ("original", "both"):
        issuers.append(default_issuer(user_pool_id))
        issuers.extend(default_issuer(user_pool_id, region) for region in regions)
    if issuer_form in ("updated", "both"):
        issuers.append(default_issuer(user_pool_id, form="updated"))
    return tuple(issuers)


@dataclass(frozen=True)
class UserPool:
    """One trusted user pool, for verifiers that trust several or that need per-pool URLs.

    ``issuer`` and ``jwks_url`` default to Cognito's; set them apart for emulators and proxies.
    ``jwks`` is a JWKS document for offline use: nothing is ever fetched for this pool.
    ``issuer_form`` (``"original"``, ``"updated"`` or ``"both"``) and ``additional_regions``
    (replica Regions of a multi-Region pool) choose which issuers are trusted; each issuer's
    JWKS is fetched from that issuer. ``None`` takes the verifier's value.
    """

    user_pool_id: str
    region: str | None = None
    issuer: str | None = None
    jwks_url: str | None = None
    jwks: Mapping[str, Any] | None = None
    issuer_form: str | None = None
    additional_regions: Sequence[str] | None = None


PoolSpec = Union[str, UserPool]


_FetchOutcome = Union[tuple[type[FastCognitoError], Union[str, None]], None]

# Threads of averify's denylist calls, apart from the loop's default executor: calls stuck on a
# hung backend fill this pool, not the one every other thread hop of the application uses.
_DENYLIST_THREADS = 8


async def _key_in_thread(source: JWKSClient, kid: str) -> _FetchOutcome:
    # The outcome, not the exception: each waiting caller raises its own. key_for fetches an
    # unknown kid, or refreshes a stale set, as a synchronous verify would.
    try:
        await asyncio.to_thread(source.key_for, kid)
    except KeyNotFoundError:
        return (KeyNotFoundError, None)
    except JWKSError as err:
        return (JWKSError, err.message)
    return None


class CognitoVerifier:
    """Verifies Cognito JWTs: ``verify(token) -> Claims`` or a ``TokenError`` subclass.

    ``client_id`` and ``token_use`` are required; pass ``None`` to skip that check on purpose.
    docs/verifier.md lists the steps, in order.
    """

    def __init__(
        self,
        user_pool_id: PoolSpec | Sequence[PoolSpec],
        *,
        client_id: str | Iterable[str] | None = UNSET,
        token_use: str | None = UNSET,
        region: str | None = None,
        issuer: str | None = None,
        jwks_url: str | None = None,
        issuer_form: str = "original",
        additional_regions: Iterable[str] = (),
        leeway: float = 0,
        groups: str | Iterable[str] | None = None,
        scopes: str | Iterable[str] | None = None,
        cache_size: int = DEFAULT_CACHE_SIZE,
        jwks: Mapping[str, Any] | None = None,
        max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES,
        jwks_cooldown: float = JWKS_COOLDOWN,
        jwks_max_age: float = JWKS_MAX_AGE,
        jwks_timeout: tuple[float, float] = (JWKS_CONNECT_TIMEOUT, JWKS_READ_TIMEOUT),
        claims_check: Callable[[Claims], object] | None = None,
        custom_check: Callable[[Claims], object] | None = None,
        denylist: Denylist | None = None,
        denylist_timeout: float = DENYLIST_TIMEOUT,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        jwks_clock: Callable[[], float] = time.monotonic,
        _impl_module: ModuleType | None = None,
    ) -> None:
        if client_id is UNSET:
            raise ConfigurationError(
                "client_id is required: the app client id(s) tokens must be issued to, "
                "or client_id=None to accept any client on purpose"
            )
        if token_use is UNSET:
            raise ConfigurationError(
                "token_use is required: 'access' or 'id', or token_use=None to accept both on purpose"
            )
        if token_use is not None and (not isinstance(token_use, str) or token_use not in TOKEN_USES):
            raise ConfigurationError(f"token_use must be 'access', 'id' or None, got {token_use!r}")
        twin = _impl_module if _impl_module is not None else _impl.twin
        fault = RS256_VECTOR.fault()
        if fault is not None:
            raise ConfigurationError(RS256_VECTOR.message(fault))

        self.client_ids = string_set("client_id", client_id, allow_none=True)
        self.token_use = token_use
        self.leeway = number("leeway", leeway)
        self.groups = string_set("groups", groups, allow_none=True)
        self.scopes = string_set("scopes", scopes, allow_none=True)
        cache_size = integer("cache_size", cache_size, minimum=0)
        max_token_bytes = integer("max_token_bytes", max_token_bytes, minimum=64)
        jwks_cooldown = number("jwks_cooldown", jwks_cooldown)
        jwks_max_age = number("jwks_max_age", jwks_max_age, minimum=0.001)
        if claims_check is not None and not callable(claims_check):
            raise ConfigurationError("claims_check must be callable")
        if custom_check is not None and not callable(custom_check):
            raise ConfigurationError("custom_check must be callable")
        if denylist is not None and not isinstance(denylist, Denylist):
            raise ConfigurationError("denylist must have is_revoked(claims) and revoke(claims, until)")
        self.denylist = denylist
        self.denylist_timeout = number("denylist_timeout", denylist_timeout, minimum=0.001)
        # averify asks this one in a worker thread; a denylist that never blocks stays on the loop.
        self._blocking_denylist = denylist if denylist is not None and is_blocking(denylist) else None
        self._denylist_executor: concurrent.futures.ThreadPoolExecutor | None = None
        if denylist is not None:
            # The twins' one per-token hook, which already runs on every cache hit: the denylist
            # rides on it instead of adding a second path to both twins.
            custom_check = denylist_check(denylist, custom_check)
        if not callable(clock):
            raise ConfigurationError("clock must be callable")
        self._clock = clock
        if not callable(jwks_clock):
            raise ConfigurationError("jwks_clock must be callable")
        if not (isinstance(jwks_timeout, tuple) and len(jwks_timeout) == 2):
            raise ConfigurationError("jwks_timeout must be a (connect, read) pair of seconds")
        jwks_timeout = (
            number("jwks_timeout", jwks_timeout[0], minimum=0.001),
            number("jwks_timeout", jwks_timeout[1], minimum=0.001),
        )
        if session is None:
            session = requests.Session()

        pools = self._pool_specs(user_pool_id, region=region, issuer=issuer, jwks_url=jwks_url, jwks=jwks)
        self.pools: dict[str, UserPool] = {}
        self._sources: dict[str, KeySet | JWKSClient] = {}
        for pool in pools:
            pool_region = parse_user_pool_id(pool.user_pool_id)
            if pool.region is not None and pool.region != pool_region:
                raise ConfigurationError(
                    f"region {pool.region!r} differs from the region of user pool {pool.user_pool_id!r}"
                )
            pool_form = issuer_form if pool.issuer_form is None else pool.issuer_form
            pool_regions = additional_regions if pool.additional_regions is None else pool.additional_regions
            if pool.issuer is None:
                pool_issuers = cognito_issuers(
                    pool.user_pool_id, issuer_form=pool_form, additional_regions=pool_regions
                )
            else:
                # Only None means "Cognito's default": an empty string is a mistake, not a request for it.
                if pool_form != "original" or _regions(pool_regions, pool_region):
                    raise ConfigurationError(
                        "issuer is set explicitly: issuer_form and additional_regions cannot add to it"
                    )
                pool_issuers = (check_url("issuer", pool.issuer),)
            if len(pool_issuers) > 1 and pool.jwks_url is not None:
                raise ConfigurationError(
                    f"jwks_url names one JWKS, but user pool {pool.user_pool_id!r} trusts "
                    f"{len(pool_issuers)} issuers, each fetched from its own JWKS URL"
                )
            offline: KeySet | None = None
            if pool.jwks is not None:
                try:
                    offline = KeySet.from_jwks(pool.jwks)
                except JWKSError as err:
                    raise ConfigurationError(f"the jwks of user pool {pool.user_pool_id!r}: {err}") from err
            for pool_issuer in pool_issuers:
                pool_issuer = check_url("issuer", pool_issuer)
                pool_jwks_url = check_url(
                    "jwks_url",
                    f"{pool_issuer}/.well-known/jwks.json" if pool.jwks_url is None else pool.jwks_url,
                )
                if pool_issuer in self.pools:
                    raise ConfigurationError(f"the issuer {pool_issuer!r} is configured twice")
                source: KeySet | JWKSClient
                if offline is not None:
                    # One pool signs with one key set, whichever issuer form or Region names it.
                    source = offline
                else:
                    source = JWKSClient(
                        pool_jwks_url,
                        session=session,
                        timeout=jwks_timeout,
                        cooldown=jwks_cooldown,
                        clock=jwks_clock,
                        max_age=jwks_max_age,
                    )
                self.pools[pool_issuer] = UserPool(
                    pool.user_pool_id,
                    pool_region,
                    pool_issuer,
                    pool_jwks_url,
                    pool.jwks,
                    pool_form,
                    _regions(pool_regions, pool_region),
                )
                self._sources[pool_issuer] = source

        # Both twins have one API; type checkers read the pure one's.
        self._cache: _verify_py.ClaimsCache | None = twin.ClaimsCache(cache_size) if cache_size else None
        self._cache_size = cache_size
        if self._cache is not None:
            for source in self._sources.values():
                if isinstance(source, JWKSClient):
                    # A key dropped by a refresh takes its cached tokens with it.
                    source.on_keys_removed(self._cache.drop_entries)
        self._core: _verify_py.VerifierCore = twin.VerifierCore(
            pools=self._sources,
            leeway=self.leeway,
            token_use=token_use,
            clients=self.client_ids,
            groups=self.groups,
            scopes=self.scopes,
            claims_check=claims_check,
            custom_check=custom_check,
            max_token_bytes=max_token_bytes,
            cache=self._cache,
            clock=clock,
        )
        # The bound method of the core, so a call costs no extra Python frame.
        self.verify = self._core.verify  # type: ignore[method-assign]
        self._loop_fetches: dict[
            tuple[asyncio.AbstractEventLoop, JWKSClient, str], asyncio.Task[_FetchOutcome]
        ] = {}
        self._loop_fetches_lock = threading.Lock()

    @staticmethod
    def _pool_specs(
        user_pool_id: object,
        *,
        region: str | None,
        issuer: str | None,
        jwks_url: str | None,
        jwks: Mapping[str, Any] | None,
    ) -> list[UserPool]:
        if isinstance(user_pool_id, (str, UserPool)):
            specs: list[object] = [user_pool_id]
        elif isinstance(user_pool_id, Sequence) and user_pool_id:
            specs = list(user_pool_id)
        else:
            raise ConfigurationError("user_pool_id must be a pool id, a UserPool, or a non-empty list of them")
        several = len(specs) > 1
        if several and (issuer is not None or jwks_url is not None or jwks is not None):
            raise ConfigurationError(
                "with several user pools, set issuer, jwks_url and jwks per pool with UserPool(...)"
            )
        pools = []
        for spec in specs:
            if isinstance(spec, UserPool):
                if not several and (issuer or jwks_url or jwks is not None or region):
                    raise ConfigurationError("set issuer, jwks_url, jwks and region on the UserPool itself")
                pools.append(spec)
            elif isinstance(spec, str):
                pools.append(UserPool(spec, region, issuer, jwks_url, jwks))
            else:
                parse_user_pool_id(spec)
        return pools

    def verify(self, token: str | bytes) -> Claims:
        """Verify ``token`` and return its claims; raise a ``TokenError`` (401) or ``JWKSError``
        (503). Replaced per instance by the core's bound method."""
        return self._core.verify(token)  # pragma: no cover

    async def averify(self, token: str | bytes) -> Claims:
        """``verify`` for ``async`` code, which never blocks the event loop.

        A cache hit, or a token whose key is held, is verified at once on the loop (no thread
        hop: an RS256 check costs tens of microseconds). Only a key that must be fetched sends
        the fetch to a worker thread; concurrent misses on one loop share that fetch. A blocking
        denylist (a Redis or Memcached round trip) is asked in a worker thread too, on every
        call, cache hits included, for at most ``denylist_timeout`` seconds: then the answer is
        ``DenylistUnavailableError`` (503), never an accept.
        """
        if self._blocking_denylist is not None:
            return await self._averify_off_loop_denylist(token)
        flag = no_fetch_here.set(True)
        try:
            return self._core.verify(token)
        except FetchNeeded as need:
            client, kid = need.client, need.kid
        finally:
            no_fetch_here.reset(flag)
        # The signal's traceback (and the token in its frames) is gone before the await.
        await self._fetch_key_off_loop(client, kid)
        flag = no_fetch_here.set(True)
        try:
            return self._core.verify(token)
        except FetchNeeded:
            # The fetch found the key, and the key set lost it again before this retry.
            raise KeyNotFoundError() from None
        finally:
            no_fetch_here.reset(flag)

    async def _averify_off_loop_denylist(self, token: str | bytes) -> Claims:
        # The core runs on the loop until it needs a fetch or the denylist; that is done off the
        # loop, and the core runs again. Each at most once, so at most three runs: the key fetch,
        # the denylist (after the signature, or on a cache hit), then the rest of the checks.
        cleared = NOTHING_CLEARED
        fetched = False
        while True:
            claims: Mapping[str, Any] | None = None
            no_fetch = no_fetch_here.set(True)
            deferred = denylist_cleared.set(cleared)
            try:
                return self._core.verify(token)
            except FetchNeeded as need:
                if fetched:
                    # The fetch found the key, and the key set lost it again before this retry.
                    raise KeyNotFoundError() from None
                client, kid = need.client, need.kid
            except DenylistCheckNeeded as need:
                if cleared is not NOTHING_CLEARED:
                    # Cleared, and asked again: the same token cannot change its identifiers.
                    raise DenylistUnavailableError() from None
                claims = need.claims
            finally:
                denylist_cleared.reset(deferred)
                no_fetch_here.reset(no_fetch)
            # The signal's traceback (and the token in its frames) is gone before the await.
            if claims is None:
                await self._fetch_key_off_loop(client, kid)
                fetched = True
            elif await self._ask_denylist_off_loop(claims):
                raise RevokedTokenError()
            else:
                cleared = cleared_identifiers(claims)

    async def _ask_denylist_off_loop(self, claims: Mapping[str, Any]) -> bool:
        denylist = self._blocking_denylist
        assert denylist is not None
        executor = self._denylist_executor
        if executor is None:
            with self._loop_fetches_lock:
                executor = self._denylist_executor
                if executor is None:
                    executor = self._denylist_executor = concurrent.futures.ThreadPoolExecutor(
                        _DENYLIST_THREADS, thread_name_prefix="fastcognito-denylist"
                    )
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(
                loop.run_in_executor(executor, ask_denylist, denylist, claims), self.denylist_timeout
            )
        except asyncio.TimeoutError:
            # The thread goes on until the backend answers or its own socket timeout ends it.
            logger.warning("the denylist %r did not answer within %s s", denylist, self.denylist_timeout)
            raise DenylistUnavailableError() from None

    def revoke(self, claims: Mapping[str, Any], until: float | None = None) -> None:
        """Refuse every token of ``claims``' sign-in (its ``origin_jti``, else its ``jti``) from now
        on, cache hits included, with ``RevokedTokenError``. Needs ``denylist=``."""
        if self.denylist is None:
            raise ConfigurationError("revoke() needs a verifier built with denylist=")
        if until is None:
            # This verifier accepts a token until its exp plus the leeway: so long at least.
            until = revoked_until(claims, float(self._clock()), self.leeway)
        self.denylist.revoke(claims, until)

    async def ahydrate(self) -> None:
        """``hydrate`` off the event loop."""
        await asyncio.to_thread(self.hydrate)

    async def _fetch_key_off_loop(self, client: JWKSClient, kid: str) -> None:
        loop = asyncio.get_running_loop()
        slot = (loop, client, kid)
        with self._loop_fetches_lock:
            task = self._loop_fetches.get(slot)
            if task is None:
                task = loop.create_task(_key_in_thread(client, kid))
                self._loop_fetches[slot] = task
                task.add_done_callback(lambda _: self._forget_loop_fetch(slot))
        # shield: a cancelled request must not cancel the fetch other requests wait for.
        outcome = await asyncio.shield(task)
        if outcome is not None:
            error_class, message = outcome
            # A new exception per caller: one instance raised in many tasks grows its traceback.
            raise error_class(message)

    def _forget_loop_fetch(self, slot: tuple[asyncio.AbstractEventLoop, JWKSClient, str]) -> None:
        with self._loop_fetches_lock:
            self._loop_fetches.pop(slot, None)

    def hydrate(self) -> None:
        """Fetch every issuer's JWKS now, instead of on the first token. Raises ``JWKSError``
        when a pool has none of its issuers' key sets.

        A pool trusted under several issuers (``issuer_form="both"``, replica Regions) is ready
        when one of them answers: a pool that has not switched to the updated form does not
        serve that form's JWKS, and that must not stop start-up.
        """
        failures: dict[str, list[str]] = {}
        ready: set[str] = set()
        for issuer, source in self._sources.items():
            pool_id = self.pools[issuer].user_pool_id
            if not isinstance(source, JWKSClient):
                ready.add(pool_id)
                continue
            try:
                source.hydrate()
            except JWKSError as err:
                failures.setdefault(pool_id, []).append(f"{issuer}: {err.message}")
            else:
                ready.add(pool_id)
        missing = [pool_id for pool_id in failures if pool_id not in ready]
        if missing:
            raise JWKSError("; ".join(message for pool_id in missing for message in failures[pool_id]))
        for pool_id, messages in failures.items():
            for message in messages:
                logger.info(
                    "user pool %s: no JWKS at one of its issuers (%s); its other issuers answered",
                    pool_id,
                    message,
                )

    def cache_info(self) -> CacheInfo:
        """Hits, misses, current size and maximum size of the claims cache."""
        if self._cache is None:
            return CacheInfo(0, 0, 0, 0)
        return self._cache.info()

    def clear_cache(self) -> None:
        if self._cache is not None:
            self._cache.clear()

    @property
    def jwks_clients(self) -> dict[str, JWKSClient]:
        """The JWKS client of each issuer fetched over the network (offline pools have none)."""
        return {iss: src for iss, src in self._sources.items() if isinstance(src, JWKSClient)}

    def __repr__(self) -> str:
        return (
            f"CognitoVerifier(issuers={list(self.pools)!r}, token_use={self.token_use!r}, "
            f"client_id={sorted(self.client_ids) if self.client_ids is not None else None!r})"
        )
