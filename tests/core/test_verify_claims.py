"""Claim checks (DESIGN.md §3, step 7) on both twins: time and leeway edges, issuer, token_use,
clients, groups, scopes, explicit opt-outs and the custom check. Time comes from ``clock=``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fastcognito import (
    ClaimError,
    Claims,
    CognitoVerifier,
    ConfigurationError,
    ExpiredTokenError,
    InvalidClientError,
    InvalidIssuerError,
    InvalidTokenUseError,
    MalformedTokenError,
    MissingGroupError,
    MissingScopeError,
    NotYetValidError,
    TokenError,
)
from tests.support import CLIENT_ID, ISSUER, OTHER_CLIENT_ID, OTHER_ISSUER, POOL_ID, TokenFactory

NOW = 1_700_000_000
EXP = NOW + 3600

MakeVerifier = Callable[..., CognitoVerifier]


def at(moment: float) -> Callable[[], float]:
    return lambda: moment


def reject(verifier: CognitoVerifier, token: str, cls: type[ClaimError]) -> ClaimError:
    with pytest.raises(TokenError) as info:
        verifier.verify(token)
    err = info.value
    assert type(err) is cls, f"{type(err).__name__}: {err}"
    assert isinstance(err, ClaimError)
    assert token not in str(err) and token.split(".")[2] not in str(err)
    return err


# --- exp and leeway (RFC 7519 §4.1.4: the token must not be accepted on or after exp) ---------


def test_one_moment_before_exp_is_accepted(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    token = tokens.access(now=NOW)
    assert make_verifier(clock=at(EXP - 0.001)).verify(token).exp == EXP


def test_exactly_at_exp_is_expired(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    err = reject(make_verifier(clock=at(EXP)), tokens.access(now=NOW), ExpiredTokenError)
    assert err.code == "expired"
    assert err.claim == "exp"
    assert err.actual == EXP
    assert err.expected is not None


def test_after_exp_is_expired(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    reject(make_verifier(clock=at(EXP + 86400)), tokens.access(now=NOW), ExpiredTokenError)


@pytest.mark.parametrize("leeway", [1, 30, 0.5, 300.0])
def test_leeway_extends_exp_exclusively(
    make_verifier: MakeVerifier, tokens: TokenFactory, leeway: float
) -> None:
    token = tokens.access(now=NOW)
    assert make_verifier(leeway=leeway, clock=at(EXP + leeway - 0.001)).verify(token)["sub"]
    err = reject(make_verifier(leeway=leeway, clock=at(EXP + leeway)), token, ExpiredTokenError)
    assert err.claim == "exp"
    assert err.actual == EXP


def test_fractional_exp(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    token = tokens.access(now=NOW, exp=EXP + 0.5)
    assert make_verifier(clock=at(EXP + 0.25)).verify(token).exp == EXP + 0.5
    reject(make_verifier(clock=at(EXP + 0.5)), token, ExpiredTokenError)


# --- iat and nbf in the future (RFC 7519 §4.1.5, §4.1.6) ----------------------------------------


def test_iat_now_is_accepted(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    assert make_verifier(clock=at(NOW)).verify(tokens.access(now=NOW))["iat"] == NOW


def test_future_iat_is_not_yet_valid(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    token = tokens.access(now=NOW, iat=NOW + 10)
    err = reject(make_verifier(clock=at(NOW)), token, NotYetValidError)
    assert err.code == "not_yet_valid"
    assert err.claim == "iat"
    assert err.actual == NOW + 10
    assert err.expected is not None


def test_future_iat_within_leeway_is_accepted(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    token = tokens.access(now=NOW, iat=NOW + 10)
    assert make_verifier(leeway=10, clock=at(NOW)).verify(token)["iat"] == NOW + 10
    err = reject(make_verifier(leeway=9.5, clock=at(NOW)), token, NotYetValidError)
    assert err.claim == "iat"


def test_future_nbf_is_not_yet_valid(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    token = tokens.access(now=NOW, nbf=NOW + 60)
    err = reject(make_verifier(clock=at(NOW)), token, NotYetValidError)
    assert err.claim == "nbf"
    assert err.actual == NOW + 60
    assert err.expected is not None


def test_future_nbf_within_leeway_is_accepted(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    token = tokens.access(now=NOW, nbf=NOW + 60)
    assert make_verifier(leeway=60, clock=at(NOW)).verify(token)["nbf"] == NOW + 60
    reject(make_verifier(leeway=59, clock=at(NOW)), token, NotYetValidError)


def test_nbf_reached_is_accepted(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    token = tokens.access(now=NOW, nbf=NOW + 60)
    assert make_verifier(clock=at(NOW + 60)).verify(token)["nbf"] == NOW + 60


def test_past_nbf_and_iat_are_accepted(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    token = tokens.access(now=NOW - 100, nbf=NOW - 100, exp=NOW + 100)
    assert make_verifier(clock=at(NOW)).verify(token)["nbf"] == NOW - 100


def test_expiry_is_checked_before_future_iat(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    # A token whose exp has passed and whose iat lies ahead is still reported as expired (step 7
    # checks exp first), so clients are told to refresh rather than to fix their clock.
    token = tokens.access(now=NOW, iat=NOW + 5000, exp=NOW - 1)
    reject(make_verifier(clock=at(NOW)), token, ExpiredTokenError)


# --- issuer -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "issuer",
    [
        OTHER_ISSUER,
        ISSUER + "/",
        ISSUER.upper(),
        ISSUER.replace("https://", "http://"),
        ISSUER + "x",
        "https://evil.example/" + POOL_ID,
        "",
    ],
)
def test_wrong_issuer_is_rejected(make_verifier: MakeVerifier, tokens: TokenFactory, issuer: str) -> None:
    err = reject(make_verifier(clock=at(NOW)), tokens.access(now=NOW, iss=issuer), InvalidIssuerError)
    assert err.code == "invalid_issuer"
    assert err.claim == "iss"
    assert err.actual == issuer
    assert err.expected == ISSUER


def test_missing_issuer_is_rejected(make_verifier: MakeVerifier, tokens: TokenFactory, DROP: Any) -> None:
    err = reject(make_verifier(clock=at(NOW)), tokens.access(now=NOW, iss=DROP), InvalidIssuerError)
    assert err.claim == "iss"
    assert err.actual is None


# --- token_use ----------------------------------------------------------------------------------


def test_access_token_where_id_is_required(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    err = reject(make_verifier(token_use="id", clock=at(NOW)), tokens.access(now=NOW), InvalidTokenUseError)
    assert err.code == "invalid_token_use"
    assert err.claim == "token_use"
    assert err.actual == "access"
    assert err.expected == "id"


def test_id_token_where_access_is_required(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    err = reject(make_verifier(token_use="access", clock=at(NOW)), tokens.id(now=NOW), InvalidTokenUseError)
    assert err.claim == "token_use"
    assert err.actual == "id"
    assert err.expected == "access"


def test_id_token_where_id_is_required(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    claims = make_verifier(token_use="id", clock=at(NOW)).verify(tokens.id(now=NOW))
    assert claims.token_use == "id"


@pytest.mark.parametrize("token_use", ["refresh", "ACCESS", "", "access "])
@pytest.mark.parametrize("required", ["access", None])
def test_unknown_token_use_is_rejected(
    make_verifier: MakeVerifier, tokens: TokenFactory, token_use: str, required: str | None
) -> None:
    token = tokens.access(now=NOW, token_use=token_use)
    err = reject(make_verifier(token_use=required, clock=at(NOW)), token, InvalidTokenUseError)
    assert err.actual == token_use
    assert err.expected is not None


def test_missing_token_use_is_rejected_even_when_any_is_accepted(
    make_verifier: MakeVerifier, tokens: TokenFactory, DROP: Any
) -> None:
    err = reject(
        make_verifier(token_use=None, clock=at(NOW)),
        tokens.access(now=NOW, token_use=DROP),
        InvalidTokenUseError,
    )
    assert err.actual is None


def test_token_use_none_accepts_both(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    verifier = make_verifier(token_use=None, clock=at(NOW))
    assert verifier.verify(tokens.access(now=NOW)).token_use == "access"
    assert verifier.verify(tokens.id(now=NOW)).token_use == "id"


# --- clients: access tokens name it in client_id, id tokens in aud ---------------------------------


def test_access_token_of_another_client(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    err = reject(
        make_verifier(clock=at(NOW)), tokens.access(now=NOW, client_id=OTHER_CLIENT_ID), InvalidClientError
    )
    assert err.code == "invalid_client"
    assert err.claim == "client_id"
    assert err.actual == OTHER_CLIENT_ID
    assert CLIENT_ID in err.expected


def test_access_token_is_not_judged_by_aud(
    make_verifier: MakeVerifier, tokens: TokenFactory, DROP: Any
) -> None:
    verifier = make_verifier(clock=at(NOW))
    reject(verifier, tokens.access(now=NOW, client_id=OTHER_CLIENT_ID, aud=CLIENT_ID), InvalidClientError)
    reject(verifier, tokens.access(now=NOW, client_id=DROP, aud=CLIENT_ID), InvalidClientError)
    assert verifier.verify(tokens.access(now=NOW, aud=OTHER_CLIENT_ID)).client_id == CLIENT_ID


def test_id_token_of_another_client(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    verifier = make_verifier(token_use="id", clock=at(NOW))
    err = reject(verifier, tokens.id(now=NOW, aud=OTHER_CLIENT_ID), InvalidClientError)
    assert err.claim == "aud"
    assert err.actual == OTHER_CLIENT_ID
    assert CLIENT_ID in err.expected


def test_id_token_is_not_judged_by_client_id(
    make_verifier: MakeVerifier, tokens: TokenFactory, DROP: Any
) -> None:
    verifier = make_verifier(token_use="id", clock=at(NOW))
    reject(verifier, tokens.id(now=NOW, aud=OTHER_CLIENT_ID, client_id=CLIENT_ID), InvalidClientError)
    reject(verifier, tokens.id(now=NOW, aud=DROP, client_id=CLIENT_ID), InvalidClientError)


def test_id_token_aud_as_list(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    verifier = make_verifier(token_use="id", clock=at(NOW))
    assert verifier.verify(tokens.id(now=NOW, aud=[OTHER_CLIENT_ID, CLIENT_ID]))["aud"] == (
        OTHER_CLIENT_ID,
        CLIENT_ID,
    )
    err = reject(verifier, tokens.id(now=NOW, aud=[OTHER_CLIENT_ID, "third"]), InvalidClientError)
    assert err.claim == "aud"
    reject(verifier, tokens.id(now=NOW, aud=[]), InvalidClientError)


@pytest.mark.parametrize(
    "allowed", [[CLIENT_ID, OTHER_CLIENT_ID], (OTHER_CLIENT_ID, CLIENT_ID), {CLIENT_ID, "x"}]
)
def test_several_allowed_clients(make_verifier: MakeVerifier, tokens: TokenFactory, allowed: Any) -> None:
    verifier = make_verifier(client_id=allowed, token_use=None, clock=at(NOW))
    assert verifier.verify(tokens.access(now=NOW)).client_id == CLIENT_ID
    assert verifier.verify(tokens.id(now=NOW)).client_id == CLIENT_ID
    reject(verifier, tokens.access(now=NOW, client_id="stranger"), InvalidClientError)


def test_client_id_none_accepts_any_client(
    make_verifier: MakeVerifier, tokens: TokenFactory, DROP: Any
) -> None:
    verifier = make_verifier(client_id=None, token_use=None, clock=at(NOW))
    assert verifier.verify(tokens.access(now=NOW, client_id="stranger")).client_id == "stranger"
    assert verifier.verify(tokens.id(now=NOW, aud="stranger")).client_id == "stranger"
    assert verifier.verify(tokens.access(now=NOW, client_id=DROP))["sub"]


def test_client_id_prefix_is_not_a_match(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    verifier = make_verifier(clock=at(NOW))
    reject(verifier, tokens.access(now=NOW, client_id=CLIENT_ID[:-1]), InvalidClientError)
    reject(verifier, tokens.access(now=NOW, client_id=CLIENT_ID + "x"), InvalidClientError)


# --- required keywords ------------------------------------------------------------------------------


def test_client_id_is_required(twin: Any, jwks_document: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="client_id"):
        twin.verifier(POOL_ID, token_use="access", jwks=jwks_document)


def test_token_use_is_required(twin: Any, jwks_document: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match="token_use"):
        twin.verifier(POOL_ID, client_id=CLIENT_ID, jwks=jwks_document)


def test_both_required_keywords_missing(twin: Any, jwks_document: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        twin.verifier(POOL_ID, jwks=jwks_document)


# --- groups and scopes: any of ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "groups", ["admins", ["admins"], ["nobody", "editors"], ("editors",), frozenset({"admins", "x"})]
)
def test_groups_any_of_accepts(make_verifier: MakeVerifier, tokens: TokenFactory, groups: Any) -> None:
    claims = make_verifier(groups=groups, clock=at(NOW)).verify(tokens.access(now=NOW))
    assert claims.groups == ("admins", "editors")


@pytest.mark.parametrize("groups", ["nobody", ["nobody", "root"], "admin", "Admins", "admins editors"])
def test_groups_any_of_rejects(make_verifier: MakeVerifier, tokens: TokenFactory, groups: Any) -> None:
    err = reject(make_verifier(groups=groups, clock=at(NOW)), tokens.access(now=NOW), MissingGroupError)
    assert err.code == "missing_group"
    assert err.claim == "cognito:groups"
    assert list(err.actual) == ["admins", "editors"]
    assert set(err.expected) == ({groups} if isinstance(groups, str) else set(groups))


def test_groups_required_but_claim_absent(
    make_verifier: MakeVerifier, tokens: TokenFactory, DROP: Any
) -> None:
    verifier = make_verifier(groups="admins", clock=at(NOW))
    reject(verifier, tokens.access(now=NOW, **{"cognito:groups": DROP}), MissingGroupError)
    reject(verifier, tokens.access(now=NOW, **{"cognito:groups": []}), MissingGroupError)


MANY_GROUPS = [f"dept-{number:03d}-rw" for number in range(200)]


@pytest.mark.parametrize("required", [None, "dept-199-rw", ["nobody", "dept-000-rw"]])
def test_many_groups_checked_exactly(make_verifier: MakeVerifier, tokens: TokenFactory, required: Any) -> None:
    # 200 groups (a ~5 kB token) are decoded at verify time only when a check reads them; the
    # answers are the ones a few groups get.
    claims = make_verifier(groups=required, clock=at(NOW)).verify(
        tokens.access(now=NOW, **{"cognito:groups": MANY_GROUPS})
    )
    assert claims.groups == tuple(MANY_GROUPS)


def test_many_groups_none_required(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    token = tokens.access(now=NOW, **{"cognito:groups": MANY_GROUPS})
    err = reject(make_verifier(groups=["dept-200-rw", "dept-19"], clock=at(NOW)), token, MissingGroupError)
    assert list(err.actual) == MANY_GROUPS


@pytest.mark.parametrize("required", [None, "dept-001-rw"])
@pytest.mark.parametrize("bad", [7, None, ["nested"], {"a": 1}, True])
def test_a_bad_group_among_many_is_malformed(
    make_verifier: MakeVerifier, tokens: TokenFactory, required: Any, bad: Any
) -> None:
    # Whether or not a check reads the groups, their type is checked before verify returns.
    groups = [*MANY_GROUPS[:150], bad, *MANY_GROUPS[150:]]
    verifier = make_verifier(groups=required, clock=at(NOW))
    with pytest.raises(MalformedTokenError, match="cognito:groups"):
        verifier.verify(tokens.access(now=NOW, **{"cognito:groups": groups}))


@pytest.mark.parametrize(
    "scopes", ["openid", ["openid"], ["nope", "profile"], "aws.cognito.signin.user.admin"]
)
def test_scopes_any_of_accepts(make_verifier: MakeVerifier, tokens: TokenFactory, scopes: Any) -> None:
    claims = make_verifier(scopes=scopes, clock=at(NOW)).verify(tokens.access(now=NOW))
    assert "openid" in claims.scopes


@pytest.mark.parametrize("scopes", ["write", "open", "openid profile", ["email", "phone"], "OPENID"])
def test_scopes_any_of_rejects(make_verifier: MakeVerifier, tokens: TokenFactory, scopes: Any) -> None:
    token = tokens.access(now=NOW)
    err = reject(make_verifier(scopes=scopes, clock=at(NOW)), token, MissingScopeError)
    assert err.code == "missing_scope"
    assert err.claim == "scope"
    assert err.actual == "aws.cognito.signin.user.admin openid profile"
    assert set(err.expected) == ({scopes} if isinstance(scopes, str) else set(scopes))


def test_scopes_required_but_claim_absent(
    make_verifier: MakeVerifier, tokens: TokenFactory, DROP: Any
) -> None:
    verifier = make_verifier(scopes="openid", clock=at(NOW))
    reject(verifier, tokens.access(now=NOW, scope=DROP), MissingScopeError)
    reject(verifier, tokens.access(now=NOW, scope=""), MissingScopeError)
    reject(verifier, tokens.access(now=NOW, scope="   "), MissingScopeError)


def test_scope_separated_by_runs_of_spaces(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    claims = make_verifier(scopes="profile", clock=at(NOW)).verify(
        tokens.access(now=NOW, scope="openid   profile")
    )
    assert claims.scopes == frozenset({"openid", "profile"})


def test_groups_and_scopes_both_apply(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    verifier = make_verifier(groups="admins", scopes="openid", clock=at(NOW))
    assert verifier.verify(tokens.access(now=NOW))["sub"]
    reject(verifier, tokens.access(now=NOW, scope="email"), MissingScopeError)
    reject(verifier, tokens.access(now=NOW, **{"cognito:groups": ["editors"]}), MissingGroupError)


# --- order of the checks ------------------------------------------------------------------------------


def test_checks_run_in_contract_order(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    # Every check fails; each fix reveals the next one in DESIGN.md §3 order.
    verifier = make_verifier(token_use="access", groups="root", scopes="write", clock=at(NOW))
    bad: dict[str, Any] = {
        "exp": NOW - 1,
        "iss": OTHER_ISSUER,
        "token_use": "id",
        "client_id": OTHER_CLIENT_ID,
        "cognito:groups": ["users"],
        "scope": "read",
    }
    expected_order = [
        ("exp", ExpiredTokenError, EXP),
        ("iss", InvalidIssuerError, ISSUER),
        ("token_use", InvalidTokenUseError, "access"),
        ("client_id", InvalidClientError, CLIENT_ID),
        ("cognito:groups", MissingGroupError, ["root"]),
        ("scope", MissingScopeError, "write"),
    ]
    for claim, cls, good in expected_order:
        err = reject(verifier, tokens.access(now=NOW, **bad), cls)
        assert err.claim == claim
        bad[claim] = good
    assert verifier.verify(tokens.access(now=NOW, **bad))["scope"] == "write"


# --- custom check -------------------------------------------------------------------------------------


def test_custom_check_sees_claims_and_may_reject(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    seen: list[Claims] = []

    def only_alice(claims: Claims) -> None:
        seen.append(claims)
        if claims.username != "alice":
            raise ClaimError(
                "only alice may pass", claim="username", actual=claims.username, expected="alice"
            )

    verifier = make_verifier(custom_check=only_alice, clock=at(NOW))
    claims = verifier.verify(tokens.access(now=NOW))
    assert seen == [claims]
    assert isinstance(seen[0], Claims)
    with pytest.raises(ClaimError, match="only alice") as info:
        verifier.verify(tokens.access(now=NOW, username="mallory"))
    assert (info.value.claim, info.value.actual, info.value.expected) == ("username", "mallory", "alice")
    assert len(seen) == 2


def test_custom_check_runs_after_the_builtin_checks(
    make_verifier: MakeVerifier, tokens: TokenFactory
) -> None:
    calls: list[Claims] = []
    verifier = make_verifier(custom_check=calls.append, clock=at(NOW))
    reject(verifier, tokens.access(now=NOW, iss=OTHER_ISSUER), InvalidIssuerError)
    reject(verifier, tokens.access(now=NOW, exp=NOW), ExpiredTokenError)
    assert calls == []


def test_custom_check_rejection_is_not_cached(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    allow = {"value": False}

    def gate(claims: Claims) -> None:
        if not allow["value"]:
            raise ClaimError("closed", claim="gate", actual=False, expected=True)

    verifier = make_verifier(custom_check=gate, clock=at(NOW))
    token = tokens.access(now=NOW)
    with pytest.raises(ClaimError, match="closed"):
        verifier.verify(token)
    assert verifier.cache_info().size == 0
    allow["value"] = True
    assert verifier.verify(token)["sub"]


def test_custom_check_runs_on_every_cache_hit(make_verifier: MakeVerifier, tokens: TokenFactory) -> None:
    # A jti denylist written as a custom check: revoking a cached token must take effect on
    # its next use, not when it expires.
    denied: set[str] = set()
    calls: list[Claims] = []

    def not_denied(claims: Claims) -> None:
        calls.append(claims)
        if claims["jti"] in denied:
            raise ClaimError("revoked", claim="jti", actual=claims["jti"], expected="not revoked")

    moment = {"now": NOW}
    verifier = make_verifier(custom_check=not_denied, clock=lambda: moment["now"])
    token = tokens.access(now=NOW)
    first = verifier.verify(token)
    assert verifier.verify(token) is first
    assert verifier.cache_info()[:3] == (1, 1, 1)
    assert calls == [first, first]

    denied.add(first["jti"])
    for _ in range(2):
        with pytest.raises(ClaimError, match="revoked"):
            verifier.verify(token)
    assert len(calls) == 4
    assert verifier.cache_info().hits == 3  # rejected by the check, yet served from the cache

    # The time checks of a hit come first: an expired hit never reaches the check.
    denied.clear()
    moment["now"] = EXP
    reject(verifier, token, ExpiredTokenError)
    assert len(calls) == 4


# --- claims check (once per token) ---------------------------------------------------------------------


def test_claims_check_runs_once_per_token_never_on_a_hit(
    make_verifier: MakeVerifier, tokens: TokenFactory
) -> None:
    order: list[str] = []

    def no_mallory(claims: Claims) -> None:
        order.append("claims")
        if claims.username == "mallory":
            raise ClaimError("no mallory", claim="username", actual="mallory", expected="anyone else")

    verifier = make_verifier(
        claims_check=no_mallory, custom_check=lambda claims: order.append("custom"), clock=at(NOW)
    )
    token = tokens.access(now=NOW)
    first = verifier.verify(token)
    assert verifier.verify(token) is first and verifier.verify(token) is first
    assert order == ["claims", "custom", "custom", "custom"]  # then the custom check on each hit
    assert verifier.cache_info().hits == 2

    # A refusal is never cached, so it is asked again, and refuses again, on every use.
    refused = tokens.access(now=NOW, username="mallory")
    for _ in range(2):
        with pytest.raises(ClaimError, match="no mallory"):
            verifier.verify(refused)
    assert verifier.cache_info().size == 1
    # After the built-in checks: a token they refuse never reaches it.
    order.clear()
    reject(verifier, tokens.access(now=NOW, iss=OTHER_ISSUER), InvalidIssuerError)
    assert order == []


def test_claims_check_must_be_callable(make_verifier: MakeVerifier) -> None:
    with pytest.raises(ConfigurationError, match="claims_check"):
        make_verifier(claims_check=42)


# --- every claim error carries its attributes -----------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "overrides", "cls", "claim"),
    [
        ({}, {"exp": NOW - 10}, ExpiredTokenError, "exp"),
        ({}, {"iat": NOW + 10}, NotYetValidError, "iat"),
        ({}, {"nbf": NOW + 10}, NotYetValidError, "nbf"),
        ({}, {"iss": OTHER_ISSUER}, InvalidIssuerError, "iss"),
        ({}, {"token_use": "id"}, InvalidTokenUseError, "token_use"),
        ({}, {"client_id": OTHER_CLIENT_ID}, InvalidClientError, "client_id"),
        ({"groups": "root"}, {}, MissingGroupError, "cognito:groups"),
        ({"scopes": "write"}, {}, MissingScopeError, "scope"),
    ],
)
def test_claim_error_attributes(
    make_verifier: MakeVerifier,
    tokens: TokenFactory,
    options: dict[str, Any],
    overrides: dict[str, Any],
    cls: type[ClaimError],
    claim: str,
) -> None:
    token = tokens.access(now=NOW, **overrides)
    err = reject(make_verifier(clock=at(NOW), **options), token, cls)
    assert err.claim == claim
    assert err.actual is not None
    assert err.expected is not None
    assert err.message
    assert err.code == cls.code != ClaimError.code
