"""Revocation (issue 12, item 5) on both twins: the denylist is asked after the signature and on
every cache hit, keys on origin_jti (the whole sign-in) or jti, and entries end."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from fastcognito import (
    CognitoVerifier,
    ConfigurationError,
    Denylist,
    DenylistUnavailableError,
    MemoryDenylist,
    MissingScopeError,
    RememberingDenylist,
    RevokedTokenError,
    TokenError,
)
from fastcognito.denylist import MAX_TOKEN_LIFETIME, revocation_keys
from tests.support import TokenFactory

NOW = 1_700_000_000
MakeVerifier = Callable[..., CognitoVerifier]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def revoked(verifier: CognitoVerifier, token: str) -> RevokedTokenError:
    with pytest.raises(TokenError) as info:
        verifier.verify(token)
    assert type(info.value) is RevokedTokenError
    assert info.value.code == "revoked"
    assert token.split(".")[2] not in str(info.value)
    return info.value


def test_revoke_refuses_a_cached_token_and_its_siblings(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    clock = Clock(NOW + 10)
    verifier = make_verifier(denylist=MemoryDenylist(clock=clock), clock=clock)
    token = tokens.access(now=NOW)
    claims = verifier.verify(token)
    verifier.verify(token)
    assert verifier.cache_info().hits == 1
    # A token refreshed from the same sign-in: same origin_jti, its own jti, a later exp.
    sibling = tokens.access(now=NOW + 5, jti="ffffffff-0000-4000-8000-000000000001")
    other_sign_in = tokens.access(now=NOW, origin_jti="99999999-0000-4000-8000-000000000002", jti="j2")

    verifier.revoke(claims)

    revoked(verifier, token)  # a cache hit: still asked
    revoked(verifier, sibling)  # never seen: refused after the signature
    assert verifier.verify(other_sign_in)["origin_jti"] == "99999999-0000-4000-8000-000000000002"
    hits = verifier.cache_info().hits
    revoked(verifier, token)
    assert verifier.cache_info().hits == hits + 1  # the hit happened, then the denylist refused it


def test_a_token_without_origin_jti_is_revoked_by_jti(make_verifier: MakeVerifier, tokens: TokenFactory, DROP: Any) -> None:
    clock = Clock(NOW + 10)
    verifier = make_verifier(denylist=MemoryDenylist(clock=clock), clock=clock)
    machine = tokens.access(now=NOW, origin_jti=DROP, username=DROP, jti="m-1")
    other = tokens.access(now=NOW, origin_jti=DROP, username=DROP, jti="m-2")
    verifier.revoke(verifier.verify(machine))
    revoked(verifier, machine)
    assert verifier.verify(other)["jti"] == "m-2"
    # Keyed on jti too: a token whose own jti was revoked is refused whatever its origin_jti.
    assert revocation_keys({"jti": "m-1"}) == ("m-1",)
    revoked(verifier, tokens.access(now=NOW, jti="m-1"))


def test_entries_end_after_every_sibling_has_expired(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    clock = Clock(NOW + 10)
    denylist = MemoryDenylist(clock=clock)
    verifier = make_verifier(denylist=denylist, clock=clock)
    claims = verifier.verify(tokens.access(now=NOW))
    verifier.revoke(claims)
    assert len(denylist) == 1
    clock.now = NOW + 10 + MAX_TOKEN_LIFETIME - 1
    assert denylist.is_revoked(claims)
    clock.now = NOW + 10 + MAX_TOKEN_LIFETIME
    assert not denylist.is_revoked(claims)
    assert len(denylist) == 0
    # An explicit `until` wins; the next revoke prunes the dead entry.
    denylist.revoke({"jti": "short"}, until=clock.now + 1)
    assert denylist.is_revoked({"jti": "short"}) and len(denylist) == 1
    for number in range(64):
        denylist.revoke({"jti": f"n{number}"}, until=clock.now + 1)
    assert len(denylist._until) <= 66  # the dead entry was pruned


LEEWAY = 60


@pytest.mark.parametrize("kind", ["machine token (jti only)", "sign-in token (origin_jti)"])
def test_a_revocation_outlives_the_leeway_the_verifier_grants(
    make_verifier: MakeVerifier, tokens: TokenFactory, DROP: Any, kind: str
) -> None:
    # The verifier accepts a token until exp plus its leeway: a revocation that ended at exp let a
    # revoked token back in for the leeway's seconds (a 1-day sign-in token revoked at once: at
    # the end of its day; a machine token: at every expiry).
    clock = Clock(NOW)
    denylist = MemoryDenylist(clock=clock)
    verifier = make_verifier(denylist=denylist, clock=clock, leeway=LEEWAY)
    if kind.startswith("machine"):
        token = tokens.access(now=NOW, exp=NOW + 3600, origin_jti=DROP, username=DROP)
        expires = NOW + 3600
    else:
        # A 1-day token revoked as soon as it was issued: its exp is also the end of the latest
        # sibling the revocation must cover.
        token = tokens.access(now=NOW, exp=NOW + MAX_TOKEN_LIFETIME)
        expires = NOW + MAX_TOKEN_LIFETIME
    claims = verifier.verify(token)
    verifier.revoke(claims)
    clock.now = expires + LEEWAY - 1  # past exp, inside the leeway: still refused
    revoked(verifier, token)
    assert denylist.is_revoked(claims)
    clock.now = expires + LEEWAY  # the verifier refuses it as expired from here on; the entry ends
    with pytest.raises(TokenError) as info:
        verifier.verify(token)
    assert info.value.code == "expired"
    assert not denylist.is_revoked(claims)


def test_a_denylist_given_the_leeway_applies_it_to_its_own_revoke(tokens: TokenFactory) -> None:
    clock = Clock(NOW)
    claims = {"jti": "m-1", "exp": NOW + 3600}
    with_leeway, without = MemoryDenylist(clock=clock, leeway=LEEWAY), MemoryDenylist(clock=clock)
    with_leeway.revoke(claims)
    without.revoke(claims)
    clock.now = NOW + 3600 + LEEWAY - 1
    assert with_leeway.is_revoked(claims) and not without.is_revoked(claims)
    clock.now = NOW + 3600 + LEEWAY
    assert not with_leeway.is_revoked(claims)
    # An explicit `until` is the caller's: taken as given.
    with_leeway.revoke({"jti": "m-2"}, until=clock.now + 1)
    clock.now += 1
    assert not with_leeway.is_revoked({"jti": "m-2"})


@pytest.mark.parametrize("leeway", [-1, float("nan"), float("inf"), True, "60"])
def test_a_denylist_refuses_a_leeway_that_is_not_a_number_of_seconds(leeway: Any) -> None:
    with pytest.raises(ConfigurationError, match="leeway must be"):
        MemoryDenylist(leeway=leeway)


def test_denylist_runs_before_custom_check_and_keeps_it(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    seen: list[str] = []

    def custom(claims: Mapping[str, Any]) -> None:
        seen.append(claims["jti"])
        if claims["jti"] == "refuse-me":
            raise MissingScopeError("custom refusal")

    clock = Clock(NOW + 10)
    verifier = make_verifier(denylist=MemoryDenylist(clock=clock), custom_check=custom, clock=clock)
    good = tokens.access(now=NOW)
    verifier.verify(good)
    with pytest.raises(MissingScopeError):
        verifier.verify(tokens.access(now=NOW, jti="refuse-me", origin_jti="o-2"))
    verifier.revoke(verifier.verify(good))
    count = len(seen)
    revoked(verifier, good)
    assert len(seen) == count  # the custom check never sees a revoked token


def test_revoke_needs_a_denylist(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    verifier = make_verifier(clock=lambda: NOW + 10)
    claims = verifier.verify(tokens.access(now=NOW))
    with pytest.raises(ConfigurationError, match="denylist="):
        verifier.revoke(claims)
    with pytest.raises(ConfigurationError, match="denylist"):
        make_verifier(denylist=object())
    with pytest.raises(ConfigurationError, match="neither origin_jti nor jti"):
        MemoryDenylist().revoke({"sub": "x", "exp": NOW})


def test_a_custom_denylist_fits_the_protocol(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    class SetDenylist:
        def __init__(self) -> None:
            self.ids: set[str] = set()

        def is_revoked(self, claims: Mapping[str, Any]) -> bool:
            return claims.get("origin_jti") in self.ids

        def revoke(self, claims: Mapping[str, Any], until: float | None = None) -> None:
            self.ids.add(claims["origin_jti"])

    denylist = SetDenylist()
    assert isinstance(denylist, Denylist)
    verifier = make_verifier(denylist=denylist, clock=lambda: NOW + 10)
    token = tokens.access(now=NOW)
    verifier.revoke(verifier.verify(token))
    revoked(verifier, token)


# --- averify: a blocking denylist is asked off the event loop (issue 17, finding 11) ---------------


class SlowSetDenylist:
    """A denylist of the kind that waits on a server (no ``blocking = False``), here on an event."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.asked_from: list[str] = []
        self.release = threading.Event()
        self.release.set()

    def is_revoked(self, claims: Mapping[str, Any]) -> bool:
        self.asked_from.append(threading.current_thread().name)
        if not self.release.wait(timeout=10):
            raise TimeoutError("the test never released the denylist")
        return claims.get("origin_jti") in self.ids

    def revoke(self, claims: Mapping[str, Any], until: float | None = None) -> None:
        self.ids.add(claims["origin_jti"])


def test_averify_asks_a_blocking_denylist_in_a_worker_thread_on_every_call(
    make_verifier: MakeVerifier, tokens: TokenFactory
) -> None:
    seen: list[str] = []
    denylist = SlowSetDenylist()
    verifier = make_verifier(denylist=denylist, custom_check=lambda claims: seen.append(claims["jti"]))
    token = tokens.access()
    loop_thread = threading.current_thread().name

    claims = asyncio.run(verifier.averify(token))
    assert asyncio.run(verifier.averify(token)) is claims  # a cache hit, asked again
    assert len(denylist.asked_from) == 2 and loop_thread not in denylist.asked_from
    assert len(seen) == 2  # the custom check ran once per call, after the denylist
    verifier.revoke(claims)
    with pytest.raises(RevokedTokenError):
        asyncio.run(verifier.averify(token))
    assert len(seen) == 2  # the custom check never sees a revoked token
    # The same answers as verify, which asks on its own thread.
    revoked(verifier, token)
    assert denylist.asked_from[-1] == loop_thread


def test_averify_answers_503_when_the_denylist_does_not_answer_in_time(
    make_verifier: MakeVerifier, tokens: TokenFactory
) -> None:
    denylist = SlowSetDenylist()
    verifier = make_verifier(denylist=denylist, denylist_timeout=0.05)
    token = tokens.access()
    denylist.release.clear()
    try:
        with pytest.raises(DenylistUnavailableError):
            asyncio.run(verifier.averify(token))
    finally:
        denylist.release.set()
    assert asyncio.run(verifier.averify(token))["username"] == "alice"
    with pytest.raises(ConfigurationError, match="denylist_timeout"):
        make_verifier(denylist=denylist, denylist_timeout=0)


def test_an_in_process_denylist_stays_on_the_loop(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    verifier = make_verifier(denylist=MemoryDenylist())
    token = tokens.access()
    claims = asyncio.run(verifier.averify(token))
    verifier.revoke(claims)
    with pytest.raises(RevokedTokenError):
        asyncio.run(verifier.averify(token))
    assert verifier._denylist_executor is None  # no thread was ever started


@pytest.mark.parametrize("path", ["verify", "averify"])
def test_whatever_a_denylist_raises_is_a_503_never_a_500(
    make_verifier: MakeVerifier, tokens: TokenFactory, path: str
) -> None:
    class BrokenDenylist:
        def is_revoked(self, claims: Mapping[str, Any]) -> bool:
            raise RuntimeError("the backend fell over")

        def revoke(self, claims: Mapping[str, Any], until: float | None = None) -> None:
            raise RuntimeError("the backend fell over")

    verifier = make_verifier(denylist=BrokenDenylist())
    token = tokens.access()
    with pytest.raises(DenylistUnavailableError):
        if path == "verify":
            verifier.verify(token)
        else:
            asyncio.run(verifier.averify(token))


# --- RememberingDenylist: a bounded revocation delay for one round trip less per request (issue 22) -


class CountingDenylist(SlowSetDenylist):
    """The shared denylist of other workers and hosts: revocations written to it directly are
    those made elsewhere. ``down`` makes it fail as a stopped server does."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False

    def is_revoked(self, claims: Mapping[str, Any]) -> bool:
        if self.down:
            raise DenylistUnavailableError()
        return super().is_revoked(claims)


def remembering(
    max_staleness: float = 0.5, **options: Any
) -> tuple[RememberingDenylist, CountingDenylist, Clock]:
    clock = Clock(1000.0)
    inner = CountingDenylist()
    return RememberingDenylist(inner, max_staleness, clock=clock, **options), inner, clock


def test_a_remembered_answer_saves_the_round_trip_for_at_most_max_staleness(
    make_verifier: MakeVerifier, tokens: TokenFactory
) -> None:
    denylist, inner, clock = remembering(0.5)
    verifier = make_verifier(denylist=denylist)
    token = tokens.access()
    claims = verifier.verify(token)
    for _ in range(5):
        verifier.verify(token)  # cache hits: the remembered answer, no round trip
    assert len(inner.asked_from) == 1
    # Signed out on another host: written to the shared denylist, not through this object.
    inner.revoke(claims)
    clock.now += 0.49
    assert verifier.verify(token)["jti"] == claims["jti"]  # within the chosen delay
    clock.now += 0.01
    revoked(verifier, token)  # max_staleness after the answer was asked: asked again
    assert len(inner.asked_from) == 2
    # "Revoked" is remembered too: a signed-out client retrying costs no round trip.
    revoked(verifier, token)
    assert len(inner.asked_from) == 2
    clock.now += 0.5
    revoked(verifier, token)
    assert len(inner.asked_from) == 3


def test_a_revocation_made_through_it_is_refused_by_this_process_at_once(
    make_verifier: MakeVerifier, tokens: TokenFactory
) -> None:
    denylist, inner, clock = remembering(30)
    verifier = make_verifier(denylist=denylist)
    token = tokens.access()
    claims = verifier.verify(token)  # "not revoked", remembered for 30 s
    sibling = tokens.access(jti="a-refreshed-token-of-that-sign-in")
    verifier.verify(sibling)
    verifier.revoke(claims)  # the logout view of this process
    assert claims["origin_jti"] in inner.ids
    revoked(verifier, token)
    revoked(verifier, sibling)
    # Refused on its own until every answer asked before the revocation has aged out; then the
    # shared denylist, which holds the revocation, answers.
    asked = len(inner.asked_from)
    clock.now += 30
    revoked(verifier, token)
    assert len(inner.asked_from) == asked + 1  # asked again once the memory was stale
    assert denylist.remembered({"origin_jti": "another-sign-in"}) is None


def test_it_fails_closed_once_the_remembered_answer_is_stale(
    make_verifier: MakeVerifier, tokens: TokenFactory
) -> None:
    denylist, inner, clock = remembering(0.5)
    verifier = make_verifier(denylist=denylist)
    token = tokens.access()
    verifier.verify(token)
    inner.down = True
    clock.now += 0.25
    verifier.verify(token)  # still within the delay the site chose
    clock.now += 0.25
    for _ in range(2):  # failures are never remembered: each request asks, and gets a 503
        with pytest.raises(DenylistUnavailableError):
            verifier.verify(token)
    inner.down = False
    assert verifier.verify(token)["username"] == "alice"


def test_zero_asks_on_every_call(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    denylist, inner, _ = remembering(0)
    verifier = make_verifier(denylist=denylist)
    token = tokens.access()
    claims = verifier.verify(token)
    verifier.verify(token)
    assert len(inner.asked_from) == 2 and len(denylist) == 0
    verifier.revoke(claims)
    revoked(verifier, token)


def test_its_memory_is_bounded() -> None:
    denylist, _, clock = remembering(0.5, max_entries=3)
    for number in range(10):
        assert not denylist.is_revoked({"origin_jti": f"o{number}", "jti": f"j{number}"})
    assert len(denylist) == 3
    # The oldest went first; the newest are still remembered.
    assert denylist.remembered({"origin_jti": "o9", "jti": "j9"}) is False
    assert denylist.remembered({"origin_jti": "o0", "jti": "j0"}) is None
    # Stale entries go as new answers come.
    clock.now += 1
    denylist.is_revoked({"origin_jti": "fresh", "jti": "fresh"})
    assert len(denylist) == 1


def test_averify_uses_a_remembered_answer_on_the_loop(
    make_verifier: MakeVerifier, tokens: TokenFactory
) -> None:
    denylist, inner, clock = remembering(0.5)
    assert denylist.blocking  # a blocking inner: asked in a worker thread
    verifier = make_verifier(denylist=denylist)
    token = tokens.access()
    loop_thread = threading.current_thread().name
    claims = asyncio.run(verifier.averify(token))
    assert asyncio.run(verifier.averify(token)) is claims
    assert len(inner.asked_from) == 1 and loop_thread not in inner.asked_from
    inner.revoke(claims)
    clock.now += 0.5
    with pytest.raises(RevokedTokenError):
        asyncio.run(verifier.averify(token))
    with pytest.raises(RevokedTokenError):
        asyncio.run(verifier.averify(token))  # remembered: no second round trip
    assert len(inner.asked_from) == 2
    assert not RememberingDenylist(MemoryDenylist(), 0.5).blocking


@pytest.mark.parametrize(
    ("max_staleness", "options"),
    [(-1, {}), (61, {}), (float("nan"), {}), (True, {}), ("0.5", {}), (0.5, {"max_entries": 0})],
)
def test_its_settings_are_checked(max_staleness: Any, options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        RememberingDenylist(MemoryDenylist(), max_staleness, **options)
    with pytest.raises(ConfigurationError, match="inner"):
        RememberingDenylist(object(), 0.5)  # type: ignore[arg-type]
    assert "max_staleness=0.5" in repr(RememberingDenylist(MemoryDenylist(), 0.5))
