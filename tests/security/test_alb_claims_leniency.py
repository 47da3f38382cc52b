"""Issue 17, finding 3: the ALB verifier is as strict about claim types and nesting as the twins.

It read ``"nbf": null`` and ``"iat": null`` as absent, where the Cognito path refuses them as
malformed, and it had no nesting cap: a claim nested 200 deep was accepted, where the twins refuse
anything deeper than ``MAX_JSON_DEPTH`` before a JSON parser sees it. Each case here is compared
with the Cognito path on both twins (``make_verifier``), which must give the same answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from pytest_httpserver import HTTPServer

from fastcognito import AlbVerifier, CognitoVerifier, MalformedTokenError
from fastcognito._constants import MAX_JSON_DEPTH
from tests.support import TokenFactory
from tests.support.alb_tokens import ALB_KID, ARN, CLIENT, ISSUER, AlbTokens, pem


@pytest.fixture(scope="module")
def alb() -> AlbTokens:
    return AlbTokens(ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture
def alb_verifier(httpserver: HTTPServer, alb: AlbTokens) -> AlbVerifier:
    httpserver.expect_request(f"/{ALB_KID}").respond_with_data(pem(alb.key))
    return AlbVerifier(ARN, client_id=CLIENT, issuer=ISSUER, keys_url=httpserver.url_for("/"))


def nested(levels: int) -> Any:
    """A JSON array ``levels`` deep: ``[[...[]...]]``."""
    value: list[Any] = []
    for _ in range(levels - 1):
        value = [value]
    return value


def refuses_as_malformed(verify: Callable[[str], Any], token: str) -> MalformedTokenError:
    with pytest.raises(MalformedTokenError) as info:
        verify(token)
    assert token not in str(info.value)
    return info.value


# --- null NumericDates ----------------------------------------------------------------------------


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_alb_token_with_null_date_is_malformed_as_on_the_cognito_path(
    alb_verifier: AlbVerifier,
    alb: AlbTokens,
    make_verifier: Callable[..., CognitoVerifier],
    tokens: TokenFactory,
    claim: str,
) -> None:
    # RFC 7519 §2: a NumericDate is a JSON number; null is not one, and does not mean "absent".
    cognito = refuses_as_malformed(make_verifier().verify, tokens.access(**{claim: None}))
    error = refuses_as_malformed(alb_verifier.verify, alb.token(claims={**alb.claims(), claim: None}))
    assert str(error) == str(cognito) == f"the claim {claim!r} is not a finite number"
    assert error.code == "malformed"


def test_alb_token_with_absent_dates_still_verifies(alb_verifier: AlbVerifier, alb: AlbTokens) -> None:
    # An ALB sets no iat (and no nbf): absent stays fine.
    claims = alb_verifier.verify(alb.token())
    assert "iat" not in claims and "nbf" not in claims


def test_alb_token_with_null_exp_is_malformed(alb_verifier: AlbVerifier, alb: AlbTokens) -> None:
    refuses_as_malformed(alb_verifier.verify, alb.token(claims={**alb.claims(), "exp": None}))


# --- nesting ----------------------------------------------------------------------------------------


def test_alb_token_with_a_claim_nested_200_deep_is_malformed(
    alb_verifier: AlbVerifier, alb: AlbTokens
) -> None:
    error = refuses_as_malformed(alb_verifier.verify, alb.token(claims=alb.claims(deep=nested(200))))
    assert str(error) == f"the payload nests arrays or objects more than {MAX_JSON_DEPTH} deep"


def test_alb_nesting_limit_is_the_cognito_paths(
    alb_verifier: AlbVerifier,
    alb: AlbTokens,
    make_verifier: Callable[..., CognitoVerifier],
    tokens: TokenFactory,
) -> None:
    # The payload object is the first level: a claim MAX_JSON_DEPTH - 1 deep reaches the limit.
    at_limit, beyond = nested(MAX_JSON_DEPTH - 1), nested(MAX_JSON_DEPTH)
    assert make_verifier().verify(tokens.access(deep=at_limit))["deep"]
    assert alb_verifier.verify(alb.token(claims=alb.claims(deep=at_limit)))["deep"]
    cognito = refuses_as_malformed(make_verifier().verify, tokens.access(deep=beyond))
    error = refuses_as_malformed(alb_verifier.verify, alb.token(claims=alb.claims(deep=beyond)))
    assert str(error) == str(cognito)


def test_alb_header_nested_too_deep_is_malformed_before_any_key_fetch(
    httpserver: HTTPServer, alb: AlbTokens
) -> None:
    verifier = AlbVerifier(ARN, client_id=CLIENT, issuer=ISSUER, keys_url=httpserver.url_for("/"))
    token = alb.token(header=alb.header(extra=nested(MAX_JSON_DEPTH)))
    error = refuses_as_malformed(verifier.verify, token)
    assert str(error) == f"the header nests arrays or objects more than {MAX_JSON_DEPTH} deep"
    assert httpserver.log == []
