"""ALB tokens (``x-amzn-oidc-data``): ES256 tokens signed here, PEM keys served on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from fastcognito import (
    AlbVerifier,
    Claims,
    ConfigurationError,
    ExpiredTokenError,
    InvalidClientError,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidSignerError,
    JWKSError,
    KeyNotFoundError,
    MalformedTokenError,
    NotYetValidError,
    UnsupportedAlgorithmError,
)
from tests.support.alb_tokens import ALB_KID, ARN, CLIENT, ISSUER, OTHER_ARN, AlbTokens, b64, pem, segment


@pytest.fixture(scope="module")
def alb_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def alb(alb_key: ec.EllipticCurvePrivateKey) -> AlbTokens:
    return AlbTokens(alb_key)


@pytest.fixture
def key_server(httpserver: HTTPServer, alb_key: ec.EllipticCurvePrivateKey) -> HTTPServer:
    httpserver.expect_request(f"/{ALB_KID}").respond_with_data(
        pem(alb_key), content_type="application/x-pem-file"
    )
    return httpserver


def key_fetches(httpserver: HTTPServer) -> list[str]:
    return [request.path for request, _ in httpserver.log]


@pytest.fixture
def make_alb(httpserver: HTTPServer) -> Callable[..., AlbVerifier]:
    def make(**options: Any) -> AlbVerifier:
        options.setdefault("client_id", CLIENT)
        options.setdefault("issuer", ISSUER)
        options.setdefault("keys_url", httpserver.url_for("/"))
        return AlbVerifier(options.pop("alb_arn", ARN), **options)

    return make


# --- accepted ----------------------------------------------------------------------------------


@pytest.mark.parametrize("pad", [True, False], ids=["padded", "unpadded"])
def test_a_valid_token_verifies_and_its_key_is_fetched_once(
    key_server: HTTPServer, make_alb: Callable[..., AlbVerifier], alb: AlbTokens, pad: bool
) -> None:
    verifier = make_alb()
    token = alb.token(claims=alb.claims(custom={"tier": 3, "flags": [True, None]}), pad=pad)
    if pad:
        assert "=" in token
    claims = verifier.verify(token)
    assert isinstance(claims, Claims)
    assert claims.username == "alice" and claims["email"] == "alice@example.com"
    assert claims.to_dict()["custom"] == {"tier": 3, "flags": [True, None]}
    assert "iat" not in claims
    assert verifier.verify(alb.token(claims=alb.claims(username="bob"), pad=pad)).username == "bob"
    assert verifier.verify(token) is claims
    assert verifier.cache_info().hits == 1
    assert key_fetches(key_server) == [f"/{ALB_KID}"]


def test_bytes_and_several_arns_clients_and_issuers(
    key_server: HTTPServer, make_alb: Callable[..., AlbVerifier], alb: AlbTokens
) -> None:
    verifier = make_alb(
        alb_arn=[OTHER_ARN, ARN], client_id=["x", CLIENT], issuer=[ISSUER, "https://idp.example"]
    )
    assert verifier.verify(alb.token().encode("ascii")).sub
    assert verifier.verify(alb.token(header=alb.header(signer=OTHER_ARN))).sub


def test_checks_skipped_only_on_purpose(
    key_server: HTTPServer, make_alb: Callable[..., AlbVerifier], alb: AlbTokens
) -> None:
    verifier = make_alb(client_id=None, issuer=None)
    assert verifier.verify(
        alb.token(header=alb.header(client="anyone"), claims=alb.claims(iss="https://x"))
    ).sub


def test_the_default_key_url_is_the_regions_public_key_endpoint() -> None:
    verifier = AlbVerifier(ARN, client_id=CLIENT, issuer=ISSUER)
    assert verifier.region == "eu-west-1"
    assert verifier.keys.key_url(ALB_KID) == f"https://public-keys.auth.elb.eu-west-1.amazonaws.com/{ALB_KID}"


# --- rejected before any key is fetched ----------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "error"),
    [
        ({"signer": OTHER_ARN}, InvalidSignerError),
        ({"signer": None}, InvalidSignerError),
        ({"signer": [ARN]}, InvalidSignerError),
        ({"client": "someone-else"}, InvalidClientError),
        ({"client": None}, InvalidClientError),
        ({"alg": "RS256"}, UnsupportedAlgorithmError),
        ({"alg": "none"}, UnsupportedAlgorithmError),
        ({"alg": "HS256"}, UnsupportedAlgorithmError),
        ({"kid": "../../etc/passwd"}, MalformedTokenError),
        ({"kid": "a/b"}, MalformedTokenError),
        ({"kid": "a%2fb"}, MalformedTokenError),
        ({"kid": ""}, MalformedTokenError),
        ({"kid": 7}, MalformedTokenError),
        ({"jku": "https://evil.example/keys"}, MalformedTokenError),
        ({"crit": ["exp"]}, MalformedTokenError),
    ],
)
def test_header_rejections_fetch_nothing(
    httpserver: HTTPServer,
    make_alb: Callable[..., AlbVerifier],
    alb: AlbTokens,
    header: dict[str, Any],
    error: type[Exception],
) -> None:
    full = alb.header()
    for name, value in header.items():
        if value is None:
            full.pop(name)
        else:
            full[name] = value
    with pytest.raises(error):
        make_alb().verify(alb.token(header=full))
    assert key_fetches(httpserver) == []


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token + ".x",
        lambda token: token.replace(".", "..", 1),
        lambda token: token.split(".")[0] + "==." + ".".join(token.split(".")[1:]),
        lambda token: token.split(".")[0].rstrip("=") + "=." + ".".join(token.split(".")[1:]),
        lambda token: "=" + token,
        lambda token: (
            token.replace("-", "+").replace("_", "/") if ("-" in token or "_" in token) else "+" + token
        ),
        lambda token: token + "é",
        lambda token: "x" * 20000,
        lambda token: 42,
    ],
    ids=[
        "four-segments",
        "empty-segment",
        "extra-padding",
        "short-padding",
        "leading-pad",
        "std-b64",
        "non-ascii",
        "size",
        "type",
    ],
)
def test_malformed_tokens(
    httpserver: HTTPServer, make_alb: Callable[..., AlbVerifier], alb: AlbTokens, mangle: Callable[[str], Any]
) -> None:
    token = alb.token(header=alb.header(kid="A" * 36))
    with pytest.raises(MalformedTokenError):
        make_alb().verify(mangle(token))
    assert key_fetches(httpserver) == []


# --- rejected after the key ------------------------------------------------------------------


def test_signature_failures(
    key_server: HTTPServer, make_alb: Callable[..., AlbVerifier], alb: AlbTokens
) -> None:
    verifier = make_alb()
    header, payload, signature = alb.token().split(".")
    forged = segment(alb.claims(username="mallory"), True)
    with pytest.raises(InvalidSignatureError):
        verifier.verify(f"{header}.{forged}.{signature}")
    with pytest.raises(InvalidSignatureError):
        verifier.verify(f"{header}.{payload}.{b64(b'short')}")
    # The same header, unpadded, is other signed bytes: the signature of the padded form fails.
    padded = next(
        token
        for token in (alb.token(header=alb.header(typ="J" * length)) for length in range(3))
        if token.split(".")[0].endswith("=")
    )
    header, payload, signature = padded.split(".")
    assert verifier.verify(padded).sub
    with pytest.raises(InvalidSignatureError):
        verifier.verify(f"{header.rstrip('=')}.{payload}.{signature}")
    with pytest.raises(InvalidSignatureError):
        verifier.verify(alb.token(key=ec.generate_private_key(ec.SECP256R1())))


@pytest.mark.parametrize(
    ("claims", "error"),
    [
        ({"exp": 1}, ExpiredTokenError),
        ({"exp": None}, MalformedTokenError),
        ({"exp": "9999999999"}, MalformedTokenError),
        ({"exp": True}, MalformedTokenError),
        ({"exp": 10**400}, MalformedTokenError),
        ({"nbf": 9999999999}, NotYetValidError),
        ({"iat": 9999999999}, NotYetValidError),
        ({"iat": "0"}, MalformedTokenError),
        ({"iss": "https://other.example"}, InvalidIssuerError),
        ({"iss": None}, InvalidIssuerError),
        ({"iss": ["https://x"]}, MalformedTokenError),
        ({"cognito:groups": "admins"}, MalformedTokenError),
        ({"cognito:groups": ["admins", 1]}, MalformedTokenError),
        ({"username": 7}, MalformedTokenError),
        ({"sub": None, "cognito:username": ["a"]}, MalformedTokenError),
        ({"aud": [1]}, MalformedTokenError),
    ],
)
def test_claim_rejections(
    key_server: HTTPServer,
    make_alb: Callable[..., AlbVerifier],
    alb: AlbTokens,
    claims: dict[str, Any],
    error: type[Exception],
) -> None:
    full = alb.claims()
    for name, value in claims.items():
        if value is None:
            full.pop(name)
        else:
            full[name] = value
    with pytest.raises(error):
        make_alb().verify(alb.token(claims=full))


def test_payload_must_be_a_json_object(
    key_server: HTTPServer, make_alb: Callable[..., AlbVerifier], alb: AlbTokens
) -> None:
    for payload in (b64(b"[1]"), b64(b"{"), b64(b'{"exp": NaN}')):
        with pytest.raises(MalformedTokenError):
            make_alb().verify(alb.token(claims=payload))


def test_leeway(key_server: HTTPServer, make_alb: Callable[..., AlbVerifier], alb: AlbTokens) -> None:
    expired = alb.token(claims=alb.claims(exp=int(time.time()) - 5))
    with pytest.raises(ExpiredTokenError):
        make_alb().verify(expired)
    assert make_alb(leeway=60).verify(expired).sub


# --- the key server -----------------------------------------------------------------------------


def test_an_unknown_kid_is_fetched_once_per_cooldown_window(
    httpserver: HTTPServer, make_alb: Callable[..., AlbVerifier], alb: AlbTokens, alb_key: Any
) -> None:
    now = [1000.0]
    httpserver.expect_request(f"/{ALB_KID}").respond_with_data(pem(alb_key))
    httpserver.no_handler_status_code = 404
    verifier = make_alb(key_clock=lambda: now[0], key_cooldown=10)
    for number in range(5):
        with pytest.raises(KeyNotFoundError):
            verifier.verify(alb.token(header=alb.header(kid=f"unknown-{number}")))
    assert len(key_fetches(httpserver)) == 1
    # The real kid waits for the window too, then is fetched at once.
    with pytest.raises(KeyNotFoundError):
        verifier.verify(alb.token())
    now[0] += 10
    assert verifier.verify(alb.token()).sub
    assert key_fetches(httpserver) == ["/unknown-0", f"/{ALB_KID}"]


def test_concurrent_misses_share_one_fetch(
    httpserver: HTTPServer, make_alb: Callable[..., AlbVerifier], alb: AlbTokens, alb_key: Any
) -> None:
    release = threading.Event()

    def slow(request: Request) -> Response:
        release.wait(30)
        return Response(pem(alb_key))

    httpserver.expect_request(f"/{ALB_KID}").respond_with_handler(slow)
    verifier = make_alb(cache_size=0, key_timeout=(5.0, 30.0))
    token = alb.token()
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(verifier.verify(token).sub)) for _ in range(5)]
    for thread in threads:
        thread.start()
    # Hold the key server until the first fetch is under way; the others queue behind it.
    while not verifier.keys.fetches:
        release.wait(0.01)
    release.set()
    for thread in threads:
        thread.join(30)
    assert len(results) == 5
    assert len(key_fetches(httpserver)) == 1


@pytest.mark.parametrize(
    ("respond", "message"),
    [
        (lambda server: server.respond_with_data("boom", status=500), "HTTP 500"),
        (
            lambda server: server.respond_with_data("", status=302, headers={"Location": "/elsewhere"}),
            "HTTP 302",
        ),
        (lambda server: server.respond_with_data("not a key"), "not a PEM"),
        (lambda server: server.respond_with_data("x" * 5000), "larger than"),
        (
            lambda server: server.respond_with_data(pem(ec.generate_private_key(ec.SECP384R1()))),
            "not a P-256",
        ),
        (
            lambda server: server.respond_with_data(
                pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
            ),
            "not a P-256",
        ),
        (
            lambda server: server.respond_with_data(b"\x1f\x8b", headers={"Content-Encoding": "gzip"}),
            "content encoding",
        ),
    ],
    ids=["5xx", "redirect", "garbage", "oversized", "p384", "rsa", "gzip"],
)
def test_key_server_faults_are_jwks_errors(
    httpserver: HTTPServer,
    make_alb: Callable[..., AlbVerifier],
    alb: AlbTokens,
    respond: Callable[[Any], None],
    message: str,
) -> None:
    respond(httpserver.expect_request(f"/{ALB_KID}"))
    verifier = make_alb()
    with pytest.raises(JWKSError, match=message):
        verifier.verify(alb.token())
    # The cooldown holds the next attempt back, with the same answer.
    with pytest.raises(JWKSError, match=message):
        verifier.verify(alb.token())
    assert len(key_fetches(httpserver)) == 1


def test_key_server_down(make_alb: Callable[..., AlbVerifier], alb: AlbTokens) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(JWKSError, match="could not be fetched"):
        make_alb(keys_url=f"http://127.0.0.1:{port}").verify(alb.token())


# --- configuration -----------------------------------------------------------------------------


BOTH = {"client_id": CLIENT, "issuer": ISSUER}


@pytest.mark.parametrize(
    ("arn", "options", "message"),
    [
        (ARN, {"client_id": CLIENT}, "issuer is required"),
        (ARN, {"issuer": ISSUER}, "client_id is required"),
        (
            "arn:aws:elasticloadbalancing:eu-west-1:123:loadbalancer/app/x/1",
            BOTH,
            "not an Application Load Balancer",
        ),
        (
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/x/1",
            BOTH,
            "not an Application",
        ),
        ([], BOTH, "non-empty"),
        (42, BOTH, "string or a collection"),
        ([ARN, ARN.replace("eu-west-1", "us-east-1")], BOTH, "several Regions"),
        (ARN, {**BOTH, "region": "us-east-1"}, "differs from the Region"),
        (ARN, {**BOTH, "keys_url": "http://keys.example"}, "https URL"),
        (ARN, {**BOTH, "client_id": ""}, "non-empty"),
        (ARN, {**BOTH, "leeway": -1}, "leeway"),
        (ARN, {**BOTH, "cache_size": -1}, "cache_size"),
        (ARN, {**BOTH, "key_timeout": 3}, "key_timeout"),
    ],
)
def test_configuration_errors(arn: Any, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        AlbVerifier(arn, **options)


# --- the ES256 check of this cryptography build: a fixed vector at construction ---------------


class _EcKey:
    """The vector's key, answering as a refusing or broken OpenSSL would (shapes the real
    configuration below does not give)."""

    def __init__(self, *, error: Exception | None = None, refuse_all: bool = False, accept_all: bool = False) -> None:
        self.error, self.refuse_all, self.accept_all = error, refuse_all, accept_all

    def verify(self, signature: bytes, data: bytes, algorithm: Any) -> None:
        from cryptography.exceptions import InvalidSignature

        if self.error is not None:
            raise self.error
        if self.refuse_all:
            raise InvalidSignature()
        if not self.accept_all:
            raise AssertionError("choose a behaviour")


def test_the_es256_vector_is_genuine_and_this_build_passes() -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    from fastcognito import alb

    key = alb._self_test_key()
    signature = alb._SELF_TEST_SIGNATURE
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    key.verify(der, alb._SELF_TEST_MESSAGE, ec.ECDSA(hashes.SHA256()))  # cryptography vouches for it
    with pytest.raises(InvalidSignature):
        key.verify(der, alb._SELF_TEST_MESSAGE + b".", ec.ECDSA(hashes.SHA256()))
    assert alb._es256_vector() is None
    assert alb.ES256_VECTOR.fault() is None


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (_EcKey(error=ValueError("ECDSA is not allowed")), "ECDSA verify: ValueError: ECDSA is not allowed"),
        (_EcKey(refuse_all=True), "a valid signature was refused"),
        (_EcKey(accept_all=True), "a changed signature was not refused"),
    ],
    ids=["refused", "refuses-valid", "accepts-changed"],
)
def test_a_build_that_cannot_make_the_es256_check_is_named(
    key: _EcKey, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastcognito import alb

    monkeypatch.setattr(alb, "_self_test_key", lambda: key)
    assert alb._es256_vector() == reason
    monkeypatch.setattr(alb.ES256_VECTOR, "_result", [])
    with pytest.raises(ConfigurationError, match=r"cannot make the ES256 check fastcognito makes.*OPENSSL_CONF") as caught:
        AlbVerifier(ARN, client_id=CLIENT, issuer=ISSUER)
    assert reason in str(caught.value)


def test_an_openssl_that_refuses_ecdsa_stops_every_alb_verifier(tmp_path: Any) -> None:
    """No mock: a real OpenSSL configuration that refuses every EC operation."""
    from tests.support.openssl_policy import run_with_and_without

    code = (
        "from fastcognito import AlbVerifier, ConfigurationError\n"
        "try:\n"
        f"    AlbVerifier({ARN!r}, client_id={CLIENT!r}, issuer={ISSUER!r})\n"
        "except ConfigurationError as err:\n"
        "    print('ConfigurationError:', err)\n"
        "else:\n"
        "    print('built')\n"
    )
    done, clean = run_with_and_without(["-c", code], tmp_path)
    assert done.stdout.startswith("ConfigurationError: cryptography "), done.stdout + done.stderr
    assert "cannot make the ES256 check" in done.stdout and "ECDSA verify: InternalError:" in done.stdout
    assert clean.stdout == "built\n", clean.stdout + clean.stderr
