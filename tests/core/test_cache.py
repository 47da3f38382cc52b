"""The claims cache (DESIGN.md §5) through the verifier, on both twins: hits, expiry, LRU order,
bounds, failures, immutability, near-miss tokens, and threads."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import pytest

from fastcognito import (
    CacheInfo,
    Claims,
    CognitoVerifier,
    ConfigurationError,
    ExpiredTokenError,
    InvalidIssuerError,
    InvalidSignatureError,
    MalformedTokenError,
    MissingGroupError,
    NotYetValidError,
    TokenError,
)
from tests.support import OTHER_ISSUER, TokenFactory

NOW = 1_700_000_000
EXP = NOW + 3600

MakeVerifier = Callable[..., CognitoVerifier]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def user_token(tokens: TokenFactory, number: int, **claims: Any) -> str:
    return tokens.access(now=NOW, sub=f"user-{number}", username=f"user{number}", **claims)


def flip(token: str, index: int) -> str:
    """The token with the character at ``index`` replaced by another letter of the alphabet."""
    replacement = "B" if token[index] != "B" else "C"
    return token[:index] + replacement + token[index + 1 :]


def test_hit_returns_the_same_claims_object(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    verifier = make_verifier(clock=Clock(NOW))
    token = user_token(tokens, 1)
    first = verifier.verify(token)
    assert verifier.cache_info() == CacheInfo(hits=0, misses=1, size=1, maxsize=16384)
    second = verifier.verify(token)
    assert second is first
    assert verifier.cache_info() == CacheInfo(hits=1, misses=1, size=1, maxsize=16384)


def test_cache_info_counts(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    verifier = make_verifier(cache_size=10, clock=Clock(NOW))
    a, b = user_token(tokens, 1), user_token(tokens, 2)
    assert verifier.cache_info() == (0, 0, 0, 10)
    for token in (a, a, b, a, b, b):
        verifier.verify(token)
    info = verifier.cache_info()
    assert info == CacheInfo(hits=4, misses=2, size=2, maxsize=10)
    assert (info.hits, info.misses, info.size, info.maxsize) == (4, 2, 2, 10)


def test_clear_cache(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    verifier = make_verifier(clock=Clock(NOW))
    token = user_token(tokens, 1)
    first = verifier.verify(token)
    verifier.clear_cache()
    assert verifier.cache_info() == (0, 0, 0, 16384)
    again = verifier.verify(token)
    assert again is not first and again == first
    assert verifier.cache_info() == (0, 1, 1, 16384)


def test_expired_entry_is_never_returned(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    clock = Clock(NOW)
    verifier = make_verifier(clock=clock)
    token = user_token(tokens, 1)
    claims = verifier.verify(token)
    clock.now = EXP - 0.001
    assert verifier.verify(token) is claims
    clock.now = EXP
    with pytest.raises(ExpiredTokenError):
        verifier.verify(token)
    assert verifier.cache_info().size == 0
    clock.now = EXP + 1000
    with pytest.raises(ExpiredTokenError):
        verifier.verify(token)


def test_entry_lives_until_exp_plus_leeway(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    clock = Clock(NOW)
    verifier = make_verifier(leeway=30, clock=clock)
    token = user_token(tokens, 1)
    claims = verifier.verify(token)
    clock.now = EXP + 29.999
    assert verifier.verify(token) is claims
    clock.now = EXP + 30
    with pytest.raises(ExpiredTokenError):
        verifier.verify(token)
    assert verifier.cache_info().size == 0


def test_hit_checks_nbf_again_when_the_clock_steps_back(
    make_verifier: MakeVerifier, tokens: TokenFactory
) -> None:
    clock = Clock(NOW + 10)
    verifier = make_verifier(clock=clock)
    token = user_token(tokens, 1, nbf=NOW + 10)
    claims = verifier.verify(token)
    assert verifier.verify(token) is claims
    clock.now = NOW + 5  # e.g. an NTP correction
    with pytest.raises(NotYetValidError):
        verifier.verify(token)
    clock.now = NOW + 10
    assert verifier.verify(token) == claims


def test_least_recently_used_is_evicted_first(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    verifier = make_verifier(cache_size=2, clock=Clock(NOW))
    one, two, three = (user_token(tokens, n) for n in (1, 2, 3))
    first_one = verifier.verify(one)
    first_two = verifier.verify(two)
    assert verifier.verify(one) is first_one  # `two` is now the least recently used
    verifier.verify(three)  # evicts `two`
    assert verifier.cache_info() == (1, 3, 2, 2)
    assert verifier.verify(one) is first_one
    assert verifier.cache_info() == (2, 3, 2, 2)
    again_two = verifier.verify(two)  # a miss; evicts `three`
    assert again_two is not first_two and again_two == first_two
    assert verifier.cache_info() == (2, 4, 2, 2)
    verifier.verify(three)
    assert verifier.cache_info() == (2, 5, 2, 2)


def test_size_is_bounded(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    verifier = make_verifier(cache_size=3, clock=Clock(NOW))
    all_tokens = [user_token(tokens, n) for n in range(10)]
    results = [verifier.verify(token) for token in all_tokens]
    assert verifier.cache_info() == (0, 10, 3, 3)
    for token, claims in zip(all_tokens[-3:], results[-3:], strict=True):
        assert verifier.verify(token) is claims
    assert verifier.cache_info() == (3, 10, 3, 3)
    assert verifier.verify(all_tokens[0]) is not results[0]
    assert verifier.cache_info() == (3, 11, 3, 3)


def test_cache_size_one(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    verifier = make_verifier(cache_size=1, clock=Clock(NOW))
    a, b = user_token(tokens, 1), user_token(tokens, 2)
    first = verifier.verify(a)
    assert verifier.verify(a) is first
    verifier.verify(b)
    assert verifier.verify(a) is not first
    assert verifier.cache_info() == (1, 3, 1, 1)


def test_cache_size_zero_disables_the_cache(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    verifier = make_verifier(cache_size=0, clock=Clock(NOW))
    token = user_token(tokens, 1)
    first, second = verifier.verify(token), verifier.verify(token)
    assert first == second
    assert first is not second
    info = verifier.cache_info()
    assert info.size == 0
    assert info.maxsize == 0
    assert info.hits == 0
    # Still verified on every call: once expired, it is rejected.
    verifier_later = make_verifier(cache_size=0, clock=Clock(EXP))
    with pytest.raises(ExpiredTokenError):
        verifier_later.verify(token)


def test_failures_are_not_cached(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    token = user_token(tokens, 1, **{"cognito:groups": ["users"]})
    strict = make_verifier(groups="admins", clock=Clock(NOW))
    lenient = make_verifier(clock=Clock(NOW))
    for _ in range(3):
        with pytest.raises(MissingGroupError):
            strict.verify(token)
    assert strict.cache_info() == (0, 3, 0, 16384)
    # Each verifier has its own cache: accepted (and cached) by one is still rejected by the other.
    accepted = lenient.verify(token)
    assert lenient.verify(token) is accepted
    with pytest.raises(MissingGroupError):
        strict.verify(token)
    assert strict.cache_info().size == 0


def test_rejection_then_acceptance_after_the_clock_moves(
    make_verifier: MakeVerifier, tokens: TokenFactory
) -> None:
    clock = Clock(NOW - 100)
    verifier = make_verifier(clock=clock)
    token = user_token(tokens, 1)  # iat = NOW: in the future at first
    with pytest.raises(NotYetValidError):
        verifier.verify(token)
    assert verifier.cache_info().size == 0
    clock.now = NOW
    assert verifier.verify(token)["sub"] == "user-1"


def test_returned_claims_cannot_be_mutated(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    verifier = make_verifier(clock=Clock(NOW))
    token = user_token(tokens, 1, profile={"roles": ["reader"], "level": 1})
    claims = verifier.verify(token)
    with pytest.raises(TypeError):
        claims["sub"] = "root"  # type: ignore[index]
    with pytest.raises(TypeError):
        del claims["sub"]  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        claims.sub = "root"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        claims.groups = ("root",)  # type: ignore[misc]
    with pytest.raises(AttributeError):
        claims.is_admin = True  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        claims["cognito:groups"].append("root")
    with pytest.raises(AttributeError):
        claims.groups.append("root")  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        claims["cognito:groups"][0] = "root"
    with pytest.raises(TypeError):
        claims["profile"]["level"] = 99
    with pytest.raises((TypeError, AttributeError)):
        claims["profile"]["roles"].append("admin")
    with pytest.raises(AttributeError):
        claims.scopes.add("admin")  # type: ignore[attr-defined]
    copy = claims.to_dict()
    copy["sub"] = "root"
    copy["cognito:groups"].append("root")

    hit = verifier.verify(token)
    assert hit is claims
    assert hit["sub"] == "user-1"
    assert hit.sub == "user-1"
    assert list(hit["cognito:groups"]) == ["admins", "editors"]
    assert hit.groups == ("admins", "editors")
    assert hit["profile"]["level"] == 1
    assert list(hit["profile"]["roles"]) == ["reader"]


def test_one_character_changed_is_a_miss_and_is_rejected(
    make_verifier: MakeVerifier, tokens: TokenFactory
) -> None:
    verifier = make_verifier(clock=Clock(NOW))
    token = user_token(tokens, 1)
    verifier.verify(token)
    header_end, payload_end = token.index("."), token.rindex(".")
    variants = {
        "signature middle": flip(token, (payload_end + len(token)) // 2),
        "signature start": flip(token, payload_end + 1),
        "payload middle": flip(token, (header_end + payload_end) // 2),
        "header start": flip(token, 0),
    }
    misses = verifier.cache_info().misses
    for name, variant in variants.items():
        with pytest.raises(TokenError) as info:
            verifier.verify(variant)
        assert type(info.value) in (InvalidSignatureError, MalformedTokenError), name
        misses += 1
        assert verifier.cache_info().misses == misses, name
    # Prefixes and extensions of a cached token are misses too.
    for variant in (token[:-1], token[:-4], token + "A", token + "AAAA"):
        with pytest.raises((InvalidSignatureError, MalformedTokenError)):
            verifier.verify(variant)
    assert verifier.cache_info().size == 1
    assert verifier.cache_info().hits == 0


def test_signature_alone_is_not_the_key(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    verifier = make_verifier(clock=Clock(NOW))
    token = user_token(tokens, 1)
    verifier.verify(token)
    forged = user_token(tokens, 2).rsplit(".", 1)[0] + "." + token.rsplit(".", 1)[1]
    with pytest.raises(InvalidSignatureError):
        verifier.verify(forged)


def test_tokens_that_end_alike_share_no_hit(twin: Any) -> None:
    # The cache key hashes the end of a token only (its signature's); a hit needs the whole token.
    cache = twin.module.ClaimsCache(8)
    ending = "S" * 400
    first, second = "header.payload-1." + ending, "header.payload-2." + ending
    first_claims, second_claims = Claims({"sub": "1"}), Claims({"sub": "2"})
    cache.put(first, first_claims, EXP, NOW)
    assert cache.get(second, NOW) is None
    cache.discard(second)
    assert cache.get(first, NOW) is first_claims
    assert cache.get(first[:-1] + "T", NOW) is None
    assert cache.get("x" + first, NOW) is None
    # Storing the other token replaces the entry; each token still hits only its own claims.
    cache.put(second, second_claims, EXP, NOW)
    assert cache.get(second, NOW) is second_claims
    assert cache.get(first, NOW) is None
    assert cache.info() == CacheInfo(hits=2, misses=4, size=1, maxsize=8)


def test_a_5_kb_token_hits_as_fresh_copies(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    verifier = make_verifier(clock=Clock(NOW))
    token = user_token(tokens, 1, **{"cognito:groups": [f"dept-{n:03d}-rw" for n in range(200)]})
    assert len(token) > 4500
    claims = verifier.verify(token)
    for _ in range(3):
        assert verifier.verify(token[:-1] + token[-1]) is claims
    assert verifier.cache_info().hits == 3


def test_rejected_issuer_after_a_hit_for_the_genuine_token(
    make_verifier: MakeVerifier, tokens: TokenFactory
) -> None:
    verifier = make_verifier(clock=Clock(NOW))
    genuine = user_token(tokens, 1)
    verifier.verify(genuine)
    with pytest.raises(InvalidIssuerError):
        verifier.verify(user_token(tokens, 1, iss=OTHER_ISSUER))
    assert verifier.cache_info().size == 1


def test_threads_verify_and_evict_without_losing_anything(
    make_verifier: MakeVerifier, tokens: TokenFactory
) -> None:
    maxsize = 5
    verifier = make_verifier(cache_size=maxsize, clock=Clock(NOW))
    valid = {user_token(tokens, n): f"user-{n}" for n in range(12)}
    forged = [flip(token, (token.rindex(".") + len(token)) // 2) for token in list(valid)[:4]]
    # Signed, but not JSON the hot path accepts: the decoder calls back into Python mid-parse.
    not_json = [
        tokens.raw(tokens.header(), f'{{"exp":{EXP},"iat":{NOW},"sub":"nan-{n}","score":NaN}}'.encode())
        for n in range(3)
    ]
    expected_error = {token: InvalidSignatureError for token in forged}
    expected_error.update({token: MalformedTokenError for token in not_json})
    pool = list(valid) + forged + not_json
    threads_count, rounds = 8, 300
    barrier = threading.Barrier(threads_count)
    failures: list[str] = []
    counts = [0] * threads_count

    def work(index: int) -> None:
        rng = random.Random(index)
        barrier.wait()
        for _ in range(rounds):
            token = rng.choice(pool)
            counts[index] += 1
            try:
                claims = verifier.verify(token)
            except Exception as err:  # the class is checked below, whatever it is
                if type(err) is not expected_error.get(token):
                    failures.append(f"{type(err).__name__}: {err}")
                continue
            if token not in valid:
                failures.append("an invalid token was accepted")
            elif claims["sub"] != valid[token] or claims.sub != valid[token]:
                failures.append(f"claims of {claims.sub} returned for {valid[token]}")

    threads = [threading.Thread(target=work, args=(index,)) for index in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert sum(counts) == threads_count * rounds
    info = verifier.cache_info()
    assert info.hits + info.misses == threads_count * rounds
    assert info.hits > 0
    assert 0 < info.size <= maxsize
    assert info.maxsize == maxsize
    # After the storm every valid token still verifies to its own claims.
    for token, sub in valid.items():
        assert verifier.verify(token).sub == sub
    assert verifier.cache_info().size <= maxsize


# --- finalizers that call the cache back (both twins) ----------------------------------------


class CallsBack:
    """A stored value whose finalizer calls the cache: releasing it runs Python code."""

    def __init__(self, cache: Any, action: Callable[[Any], object], log: list[str], name: str) -> None:
        self.cache, self.action, self.log, self.name = cache, action, log, name

    def __del__(self) -> None:
        self.log.append(self.name)
        self.action(self.cache)


def contents(cache: Any, names: str = "abcdefghxyz") -> list[str]:
    """The tokens a lookup finds, without changing what the cache holds."""
    return [name for name in names if cache.get(name, NOW) is not None]


def run_bounded(scenario: Callable[[], object]) -> None:
    # A lock held while a finalizer calls back deadlocks; a thread turns that into a failure.
    errors: list[BaseException] = []

    def target() -> None:
        try:
            scenario()
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the cache deadlocked when a finalizer called it back"
    assert errors == []


REENTRY_CASES = {
    # name: (maxsize, what the finalizer does, the steps, the tokens left, the finalizers run)
    "replace-then-clear": (4, lambda c: c.clear(), "put a*; put a", "", "a"),
    "replace-then-put": (4, lambda c: c.put("x", "X", NOW + 10, NOW), "put a*; put b; put a", "abx", "a"),
    "evict-then-put": (2, lambda c: c.put("x", "X", NOW + 10, NOW), "put a*; put b; put c", "cx", "a"),
    "evict-then-clear": (2, lambda c: c.clear(), "put a*; put b; put c", "", "a"),
    "evict-then-get": (2, lambda c: c.get("b", NOW), "put a*; put b; put c", "bc", "a"),
    "clear-then-put": (4, lambda c: c.put("x", "X", NOW + 10, NOW), "put a*; put b*; clear", "x", "ab"),
    "drop-then-put": (4, lambda c: c.put("x", "X", NOW + 10, NOW), "put a*; put b; drop", "x", "a"),
    "discard-then-clear": (4, lambda c: c.clear(), "put a*; put b; discard a", "", "a"),
    "expired-get-then-put": (4, lambda c: c.put("x", "X", NOW + 10, NOW), "put e*; put b; get e", "bx", "e"),
}


@pytest.mark.parametrize("case", list(REENTRY_CASES))
def test_finalizers_may_call_the_cache_back(twin: Any, case: str) -> None:
    maxsize, action, steps, left, finalized = REENTRY_CASES[case]
    cache = twin.module.ClaimsCache(maxsize)
    log: list[str] = []

    def scenario() -> None:
        for step in steps.split("; "):
            verb, _, arg = step.partition(" ")
            if verb == "put":
                name = arg.rstrip("*")
                # "e" expires at NOW, so a lookup at NOW finds it expired and drops it.
                expires = NOW if name == "e" else NOW + 10
                value = CallsBack(cache, action, log, name) if arg.endswith("*") else name.upper()
                cache.put(name, value, expires, NOW - 10)
                del value
            elif verb == "get":
                assert cache.get(arg, NOW) is None
            elif verb == "discard":
                cache.discard(arg)
            elif verb == "drop":
                cache.drop_entries()
            else:
                cache.clear()

    run_bounded(scenario)
    assert "".join(sorted(log)) == finalized
    assert contents(cache) == list(left)
    assert len(cache) == len(left)
    # And the cache still works as an LRU afterwards.
    cache.put("z", "Z", NOW + 10, NOW - 10)
    assert cache.get("z", NOW) == "Z"


def test_finalizers_calling_back_leave_both_twins_alike() -> None:
    # One long random schedule, replayed on each twin: the same finalizers, the same contents.
    from fastcognito import _verify, _verify_py

    def replay(module: Any) -> tuple[list[str], list[str], int]:
        rng = random.Random(1234)
        cache = module.ClaimsCache(3)
        log: list[str] = []
        actions: list[Callable[[Any], object]] = [
            lambda c: c.clear(),
            lambda c: c.put("x", "X", NOW + 10, NOW),
            lambda c: c.get("a", NOW),
            lambda c: c.discard("b"),
            lambda c: c.drop_entries(),
        ]

        def scenario() -> None:
            for step in range(400):
                name = rng.choice("abcdefg")
                kind = rng.random()
                if kind < 0.6:
                    action = rng.choice(actions)
                    value: Any = CallsBack(cache, action, log, f"{name}{step}") if rng.random() < 0.5 else name
                    cache.put(name, value, NOW + rng.choice([0, 10]), NOW - 10)
                    del value
                elif kind < 0.8:
                    cache.get(name, NOW)
                elif kind < 0.9:
                    cache.discard(name)
                else:
                    cache.clear()

        run_bounded(scenario)
        return log, contents(cache), len(cache)

    assert replay(_verify) == replay(_verify_py)


def test_a_cache_serves_one_verifier_only(twin: Any) -> None:
    cache = twin.module.ClaimsCache(8)
    options: dict[str, Any] = {
        "pools": {},
        "leeway": 0,
        "token_use": "access",
        "groups": None,
        "scopes": None,
        "custom_check": None,
        "max_token_bytes": 8192,
        "cache": cache,
        "clock": lambda: NOW,
    }
    twin.module.VerifierCore(clients=frozenset({"one"}), **options)
    # Another configuration (here, another client) must not read claims the first accepted.
    with pytest.raises(ConfigurationError, match="another verifier"):
        twin.module.VerifierCore(clients=frozenset({"two"}), **options)
    # Each CognitoVerifier builds its own cache.
    assert twin.module.VerifierCore(clients=frozenset({"two"}), **{**options, "cache": None})


def test_verifiers_never_share_claims(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    from tests.support import OTHER_CLIENT_ID

    token = user_token(tokens, 1)
    accepting = make_verifier(clock=Clock(NOW))
    refusing = make_verifier(clock=Clock(NOW), client_id=OTHER_CLIENT_ID)
    accepting.verify(token)
    with pytest.raises(TokenError):
        refusing.verify(token)
