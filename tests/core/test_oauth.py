"""fastcognito.oauth, the framework-free sign-in protocol, against ministack's Cognito and real
faulty servers on 127.0.0.1 (nothing in ``requests`` is patched)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from fastcognito import CognitoVerifier, MalformedTokenError
from fastcognito.exceptions import (
    AuthorizationDeniedError,
    ChallengeRequiredError,
    CognitoRejectedError,
    CognitoUnavailableError,
    ConfigurationError,
    InvalidCredentialsError,
    InvalidGrantError,
    InvalidNonceError,
    SignInError,
    SignInThrottledError,
)
from fastcognito.oauth import (
    CognitoOAuthClient,
    TokenSet,
    at_hash,
    code_challenge,
    secret_hash,
    verify_token_set,
)
from tests.support import CLIENT_ID, TokenFactory
from tests.support.ministack_server import (
    LOGOUT_URI,
    PASSWORD,
    REDIRECT_URI,
    AppClient,
    CognitoApp,
    submit_login_form,
)
from tests.support.servers import serve_answer, serve_silently

pytestmark = pytest.mark.slow


def oauth_client(app: CognitoApp, client: AppClient, **overrides: Any) -> CognitoOAuthClient:
    options: dict[str, Any] = {
        "domain": app.url,
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        "redirect_uri": REDIRECT_URI,
        "scopes": ("openid", "email"),
        "api_url": app.url,
        "timeout": (2.0, 2.0),
    }
    options.update(overrides)
    return CognitoOAuthClient(**options)


def verifiers(app: CognitoApp, client: AppClient) -> tuple[CognitoVerifier, CognitoVerifier]:
    common = {"client_id": client.client_id, "jwks_url": app.jwks_url}
    return (
        CognitoVerifier(app.pool_id, token_use="access", **common),
        CognitoVerifier(app.pool_id, token_use="id", **common),
    )


def authorize(client: CognitoOAuthClient, username: str = "alice", password: str = PASSWORD) -> tuple[str, Any]:
    attempt = client.authorization_request()
    answer = submit_login_form(attempt.url, username, password)
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == [attempt.state]
    return query["code"][0], attempt


@pytest.fixture(params=["confidential", "public"])
def app_client(request: pytest.FixtureRequest, cognito_app: CognitoApp) -> AppClient:
    client: AppClient = getattr(cognito_app, request.param)
    return client


# --- pure helpers -----------------------------------------------------------------------------


def test_pkce_s256_matches_rfc7636_appendix_b() -> None:
    assert code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_secret_hash_is_hmac_sha256_of_username_and_client_id() -> None:
    import base64
    import hashlib
    import hmac

    expected = base64.b64encode(hmac.new(b"s3cret", b"aliceclient", hashlib.sha256).digest()).decode()
    assert secret_hash("alice", "client", "s3cret") == expected


def test_authorization_request_carries_pkce_state_and_nonce(cognito_app: CognitoApp) -> None:
    client = oauth_client(cognito_app, cognito_app.confidential)
    first, second = client.authorization_request(), client.authorization_request()
    query = parse_qs(urlsplit(first.url).query)
    assert first.url.startswith(f"{cognito_app.url}/oauth2/authorize?")
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [cognito_app.confidential.client_id]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert query["scope"] == ["openid email"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"] == [code_challenge(first.code_verifier)]
    assert query["state"] == [first.state] and query["nonce"] == [first.nonce]
    assert "code_verifier" not in query and first.code_verifier not in first.url
    assert len({first.state, second.state, first.nonce, second.nonce}) == 4
    assert first.code_verifier != second.code_verifier
    assert first.code_verifier not in repr(first)


@pytest.mark.parametrize(
    "options",
    [
        {"domain": "http://example.com"},
        {"domain": "https://auth.example.com/path"},
        {"client_id": ""},
        {"client_secret": ""},
        {"redirect_uri": "ftp://example.com/cb"},
        {"scopes": ("open id",)},
    ],
)
def test_bad_configuration_is_refused(options: dict[str, Any]) -> None:
    base: dict[str, Any] = {"domain": "https://auth.example.com", "client_id": "c", "redirect_uri": "https://a.example/cb"}
    with pytest.raises(ConfigurationError):
        CognitoOAuthClient(**{**base, **options})


def test_logout_url(cognito_app: CognitoApp) -> None:
    client = oauth_client(cognito_app, cognito_app.public)
    url = urlsplit(client.logout_url(LOGOUT_URI))
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{cognito_app.url}/logout"
    assert parse_qs(url.query) == {"client_id": [cognito_app.public.client_id], "logout_uri": [LOGOUT_URI]}


def test_callback_error_is_access_denied() -> None:
    with pytest.raises(AuthorizationDeniedError) as info:
        CognitoOAuthClient.check_callback_error({"error": "access_denied", "error_description": "<script>"})
    assert info.value.error == "access_denied" and info.value.status == 400
    CognitoOAuthClient.check_callback_error({"code": "abc"})


# --- against ministack ------------------------------------------------------------------------


def test_code_grant_refresh_and_revoke(cognito_app: CognitoApp, app_client: AppClient) -> None:
    client = oauth_client(cognito_app, app_client)
    access_verifier, id_verifier = verifiers(cognito_app, app_client)
    code, attempt = authorize(client)
    tokens = client.exchange_code(code, attempt.code_verifier)
    assert tokens.refresh_token and tokens.id_token and tokens.expires_in > 0
    assert tokens.access_token not in repr(tokens)
    signed = verify_token_set(tokens, access_verifier=access_verifier, id_verifier=id_verifier, nonce=attempt.nonce)
    assert signed.access_claims["username"] == "alice"
    assert signed.id_claims is not None and signed.id_claims["nonce"] == attempt.nonce

    refreshed = client.refresh(tokens.refresh_token)
    assert refreshed.refresh_token is None  # not rotated: the caller keeps the old one
    verify_token_set(refreshed, access_verifier=access_verifier, id_verifier=id_verifier)

    client.revoke(tokens.refresh_token)
    with pytest.raises(InvalidGrantError) as info:
        client.refresh(tokens.refresh_token)
    assert info.value.status == 400


def test_replayed_code_is_invalid_grant(cognito_app: CognitoApp) -> None:
    client = oauth_client(cognito_app, cognito_app.confidential)
    code, attempt = authorize(client)
    client.exchange_code(code, attempt.code_verifier)
    with pytest.raises(InvalidGrantError):
        client.exchange_code(code, attempt.code_verifier)


def test_wrong_verifier_is_invalid_grant(cognito_app: CognitoApp) -> None:
    client = oauth_client(cognito_app, cognito_app.public)
    code, _ = authorize(client)
    with pytest.raises(InvalidGrantError):
        client.exchange_code(code, client.authorization_request().code_verifier)


def test_unknown_refresh_token_is_invalid_grant(cognito_app: CognitoApp) -> None:
    with pytest.raises(InvalidGrantError):
        oauth_client(cognito_app, cognito_app.confidential).refresh("not-a-refresh-token")


def test_wrong_client_secret_is_a_rejection_not_a_user_error(cognito_app: CognitoApp) -> None:
    client = oauth_client(cognito_app, cognito_app.confidential)
    code, attempt = authorize(client)
    wrong = oauth_client(cognito_app, AppClient(cognito_app.confidential.client_id, "wrong-secret"))
    with pytest.raises(CognitoRejectedError) as info:
        wrong.exchange_code(code, attempt.code_verifier)
    assert info.value.error == "invalid_client" and info.value.status == 502
    assert "wrong-secret" not in str(info.value)


def test_wrong_nonce_is_refused(cognito_app: CognitoApp) -> None:
    client = oauth_client(cognito_app, cognito_app.public)
    access_verifier, id_verifier = verifiers(cognito_app, cognito_app.public)
    code, attempt = authorize(client)
    tokens = client.exchange_code(code, attempt.code_verifier)
    with pytest.raises(InvalidNonceError) as info:
        verify_token_set(tokens, access_verifier=access_verifier, id_verifier=id_verifier, nonce="another-nonce")
    assert info.value.code == "invalid_nonce"
    assert attempt.nonce not in str(info.value)
    no_id = TokenSet(tokens.access_token, None, tokens.refresh_token, tokens.expires_in)
    with pytest.raises(InvalidNonceError):
        verify_token_set(no_id, access_verifier=access_verifier, id_verifier=id_verifier, nonce=attempt.nonce)


def test_password_sign_in(cognito_app: CognitoApp, app_client: AppClient) -> None:
    client = oauth_client(cognito_app, app_client)
    access_verifier, id_verifier = verifiers(cognito_app, app_client)
    tokens = client.initiate_auth("alice", PASSWORD)
    assert tokens.refresh_token
    signed = verify_token_set(tokens, access_verifier=access_verifier, id_verifier=id_verifier)
    assert signed.access_claims["username"] == "alice"


def test_wrong_password_and_unknown_user_get_the_same_answer(cognito_app: CognitoApp, app_client: AppClient) -> None:
    client = oauth_client(cognito_app, app_client)
    answers = []
    for username, password in (("alice", "Wrong-password-1!"), ("nobody-here", "Wrong-password-1!")):
        with pytest.raises(InvalidCredentialsError) as info:
            client.initiate_auth(username, password)
        answers.append((type(info.value), info.value.code, str(info.value), info.value.status))
    assert answers[0] == answers[1] == (InvalidCredentialsError, "invalid_credentials", "incorrect username or password", 401)


def test_new_password_required_is_a_challenge(cognito_app: CognitoApp) -> None:
    from tests.support.ministack_server import TEMPORARY_PASSWORD

    client = oauth_client(cognito_app, cognito_app.confidential)
    with pytest.raises(ChallengeRequiredError) as info:
        client.initiate_auth(cognito_app.new_password_username, TEMPORARY_PASSWORD)
    assert info.value.challenge == "NEW_PASSWORD_REQUIRED" and info.value.code == "challenge_required"


def test_initiate_auth_request_shape(httpserver: Any) -> None:
    """SECRET_HASH with a secret, none without (ministack checks it only under AUTH=true, which
    needs IAM set-up, so its shape is checked here on a local server)."""
    answer = {"AuthenticationResult": {"AccessToken": "a", "IdToken": "i", "RefreshToken": "r", "ExpiresIn": 60}}
    httpserver.expect_request(
        "/", method="POST", headers={"X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth"}
    ).respond_with_json(answer)
    base = httpserver.url_for("").rstrip("/")
    faulty_client(base).initiate_auth("alice", "pw")
    faulty_client(base, secret=None).initiate_auth("alice", "pw")
    with_secret, without = (json.loads(entry[0].data) for entry in httpserver.log)
    assert with_secret == {
        "AuthFlow": "USER_PASSWORD_AUTH",
        "ClientId": CLIENT_ID,
        "AuthParameters": {"USERNAME": "alice", "PASSWORD": "pw", "SECRET_HASH": secret_hash("alice", CLIENT_ID, "s3cret")},
    }
    assert without["AuthParameters"] == {"USERNAME": "alice", "PASSWORD": "pw"}


@pytest.mark.parametrize(
    ("kind", "message", "error"),
    [
        ("NotAuthorizedException", "Unable to verify secret hash for client x", CognitoRejectedError),
        ("NotAuthorizedException", "Password attempts exceeded", SignInThrottledError),
        ("TooManyRequestsException", "slow down", SignInThrottledError),
        ("PasswordResetRequiredException", "reset", ChallengeRequiredError),
        ("InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client", CognitoRejectedError),
    ],
)
def test_initiate_auth_errors(httpserver: Any, kind: str, message: str, error: type[SignInError]) -> None:
    httpserver.expect_request("/", method="POST").respond_with_json({"__type": kind, "message": message}, status=400)
    with pytest.raises(error):
        faulty_client(httpserver.url_for("").rstrip("/")).initiate_auth("alice", "pw")


# --- at_hash (ministack sends none: locally signed tokens) ----------------------------------------


def test_at_hash_is_checked_when_present(tokens: TokenFactory, make_verifier: Any) -> None:
    access = tokens.access()
    good = TokenSet(access, tokens.id(at_hash=at_hash(access), nonce="n"), None, 3600)
    bad = TokenSet(access, tokens.id(at_hash=at_hash(tokens.access(jti="other")), nonce="n"), None, 3600)
    access_verifier, id_verifier = make_verifier(), make_verifier(token_use="id")
    signed = verify_token_set(good, access_verifier=access_verifier, id_verifier=id_verifier, nonce="n")
    assert signed.id_claims is not None and signed.id_claims["at_hash"] == at_hash(access)
    with pytest.raises(MalformedTokenError):
        verify_token_set(bad, access_verifier=access_verifier, id_verifier=id_verifier, nonce="n")


def test_id_token_of_another_user_is_refused(tokens: TokenFactory, make_verifier: Any) -> None:
    pair = TokenSet(tokens.access(), tokens.id(sub="someone-else"), None, 3600)
    with pytest.raises(MalformedTokenError):
        verify_token_set(pair, access_verifier=make_verifier(), id_verifier=make_verifier(token_use="id"))


# --- faults from real servers on 127.0.0.1 ----------------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers: a token endpoint too slow for the timeout."""
    with serve_silently() as url:
        yield url


def faulty_client(domain: str, secret: str | None = "s3cret") -> CognitoOAuthClient:
    return CognitoOAuthClient(
        domain=domain,
        client_id=CLIENT_ID,
        client_secret=secret,
        redirect_uri=REDIRECT_URI,
        api_url=f"{domain}/",
        timeout=(0.5, 0.5),
    )


def test_token_endpoint_down(closed_port: str) -> None:
    client = faulty_client(closed_port)
    for call in (lambda: client.exchange_code("c", "v"), lambda: client.refresh("r"), lambda: client.revoke("r")):
        with pytest.raises(CognitoUnavailableError) as info:
            call()
        assert info.value.status == 502


def test_token_endpoint_too_slow(silent_server: str) -> None:
    with pytest.raises(CognitoUnavailableError, match="in time"):
        faulty_client(silent_server).exchange_code("c", "v")


def test_a_trickling_answer_is_cut_at_the_total_timeout() -> None:
    # Each byte comes well within the read timeout (0.5 s); the answer as a whole would take 10 s.
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n"
    with serve_answer(head, iter([b" "] * 50), pause=0.2) as (url, sent):
        started = time.monotonic()
        with pytest.raises(CognitoUnavailableError, match="in time"):
            faulty_client(url).exchange_code("c", "v")
        elapsed = time.monotonic() - started
    assert elapsed < 0.5 + 0.5 + 0.5, elapsed  # connect + read in total, give or take one read
    assert sent[0] < 50


def test_an_endless_answer_is_read_only_up_to_the_cap() -> None:
    # No Content-Length, and more bytes than any Cognito answer, as fast as the socket takes them.
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
    with serve_answer(head, iter([b" " * 65536] * 1024)) as (url, sent):  # 64 MiB
        with pytest.raises(CognitoUnavailableError, match="too large"):
            faulty_client(url).exchange_code("c", "v")
    assert sent[0] < 16 * 1024 * 1024, sent[0]  # the cap (256 KiB), plus what the sockets buffer


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_a_compressed_answer_is_refused(httpserver: Any, encoding: str) -> None:
    # Asked for identity; inflating without a cap is how a small answer fills the memory.
    httpserver.expect_request("/oauth2/token", method="POST").respond_with_data(
        b"\x1f\x8b", 200, headers={"Content-Encoding": encoding}
    )
    with pytest.raises(CognitoUnavailableError, match="compressed"):
        faulty_client(httpserver.url_for("").rstrip("/")).exchange_code("c", "v")
    assert httpserver.log[0][0].headers["Accept-Encoding"] == "identity"


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (500, "oops", "text/plain"),
        (503, json.dumps({"error": "invalid_grant"}), "application/json"),
        (200, "<html>not json</html>", "text/html"),
        (200, "[1, 2]", "application/json"),
        (200, json.dumps({"access_token": "a", "expires_in": 3600}), "application/json"),  # no refresh token
        (200, json.dumps({"access_token": 5, "refresh_token": "r", "expires_in": 3600}), "application/json"),
        (400, "not json", "text/plain"),
    ],
)
def test_token_endpoint_nonsense_is_unavailable(httpserver: Any, status: int, body: str, content_type: str) -> None:
    httpserver.expect_request("/oauth2/token", method="POST").respond_with_data(body, status, content_type=content_type)
    with pytest.raises(CognitoUnavailableError) as info:
        faulty_client(httpserver.url_for("").rstrip("/")).exchange_code("the-code", "the-verifier")
    assert info.value.status == 502
    assert "the-code" not in str(info.value) and "the-verifier" not in str(info.value)


# About 100,000 levels in 200 kB, under MAX_RESPONSE_BYTES: json.loads alone recurses out of its
# stack on it (a RecursionError, not a ValueError).
DEEP_JSON = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("status", [200, 400])
@pytest.mark.parametrize(
    "body",
    [DEEP_JSON, '{"error": ' + "[" * 65 + "]" * 65 + "}", '{"expires_in": NaN}', b"\xff\xfe{}"],
    ids=["deep", "deep-inside", "nan", "not-utf8"],
)
def test_malformed_answers_of_every_endpoint_are_unavailable(httpserver: Any, status: int, body: Any) -> None:
    httpserver.expect_request("/oauth2/token", method="POST").respond_with_data(body, status)
    httpserver.expect_request("/", method="POST").respond_with_data(body, status)
    client = faulty_client(httpserver.url_for("").rstrip("/"))
    calls = {
        "exchange_code": lambda: client.exchange_code("the-code", "the-verifier"),
        "refresh": lambda: client.refresh("the-refresh"),
        "revoke": lambda: client.revoke("the-refresh"),
        "initiate_auth": lambda: client.initiate_auth("alice", "the-password"),
    }
    for name, call in calls.items():
        with pytest.raises(CognitoUnavailableError) as info:
            call()
        assert info.value.status == 502, name
        assert "unreadable JSON" in str(info.value), name
        for secret in ("the-code", "the-verifier", "the-refresh", "the-password"):
            assert secret not in str(info.value)


def test_code_exchange_request_shape(httpserver: Any) -> None:
    """HTTP Basic with the secret, client_id always in the body, the verifier and redirect URI."""
    seen: dict[str, Any] = {}

    def handler(request: Any) -> Any:
        from werkzeug.wrappers import Response

        seen["auth"] = request.authorization
        seen["form"] = dict(request.form)
        body = {"access_token": "a", "id_token": "i", "refresh_token": "r", "expires_in": 60, "token_type": "Bearer"}
        return Response(json.dumps(body), 200, content_type="application/json")

    httpserver.expect_request("/oauth2/token", method="POST").respond_with_handler(handler)
    tokens = faulty_client(httpserver.url_for("").rstrip("/")).exchange_code("the-code", "the-verifier")
    assert (tokens.access_token, tokens.id_token, tokens.refresh_token) == ("a", "i", "r")
    assert (seen["auth"].username, seen["auth"].password) == (CLIENT_ID, "s3cret")
    assert seen["form"] == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": REDIRECT_URI,
        "code_verifier": "the-verifier",
        "client_id": CLIENT_ID,
    }
    httpserver.clear()
    httpserver.expect_request("/oauth2/token", method="POST").respond_with_handler(handler)
    faulty_client(httpserver.url_for("").rstrip("/"), secret=None).refresh("the-refresh")
    assert seen["auth"] is None
    assert seen["form"] == {"grant_type": "refresh_token", "refresh_token": "the-refresh", "client_id": CLIENT_ID}


def test_revoke_request_shape_and_failure(httpserver: Any) -> None:
    httpserver.expect_request(
        "/", method="POST", headers={"X-Amz-Target": "AWSCognitoIdentityProviderService.RevokeToken"}
    ).respond_with_json({})
    faulty_client(httpserver.url_for("").rstrip("/")).revoke("the-refresh")
    request = httpserver.log[0][0]
    assert "Authorization" not in request.headers  # Cognito's public API: no AWS signature
    assert json.loads(request.data) == {"Token": "the-refresh", "ClientId": CLIENT_ID, "ClientSecret": "s3cret"}
    httpserver.clear()
    httpserver.expect_request("/", method="POST").respond_with_data("down", 503)
    with pytest.raises(CognitoUnavailableError):
        faulty_client(httpserver.url_for("").rstrip("/")).revoke("the-refresh")


def test_every_sign_in_error_has_a_code_and_status() -> None:
    import fastcognito.exceptions as exceptions

    for name in exceptions.__all__:
        cls = getattr(exceptions, name)
        if isinstance(cls, type) and issubclass(cls, SignInError):
            assert cls.code and 400 <= cls.status < 600, name


@pytest.fixture
def closed_port() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"

