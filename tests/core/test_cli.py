"""``python -m fastcognito``: run as a subprocess of the installed package, from outside the repo."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from tests.support import CLIENT_ID, ISSUER, KID, OTHER_ISSUER, POOL_ID, CognitoPool, TokenFactory, Twin

NOT_VERIFIED = "NOTHING WAS VERIFIED"


def run(
    *args: str, stdin: str | None = None, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fastcognito", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env if env is not None else dict(os.environ),
        timeout=60,
    )


def assert_token_not_echoed(result: subprocess.CompletedProcess[str], token: str) -> None:
    for stream in (result.stdout, result.stderr):
        assert token not in stream
        assert token.split(".")[2] not in stream


def moto_args(cognito: CognitoPool, token_use: str = "access", *extra: str) -> list[str]:
    return [
        "--user-pool-id",
        cognito.pool_id,
        "--client-id",
        cognito.client_id,
        "--token-use",
        token_use,
        "--issuer",
        cognito.issuer,
        "--jwks-url",
        cognito.jwks_url,
        *extra,
    ]


# --- verify against moto --------------------------------------------------------------------------


def test_verify_a_moto_access_token(twin: Twin, cognito: CognitoPool, tmp_path: Path) -> None:
    token = cognito.login("alice")["AccessToken"]
    env = dict(os.environ)
    env.pop("FASTCOGNITO_NO_EXTENSIONS", None)
    if twin.name == "py":
        env["FASTCOGNITO_NO_EXTENSIONS"] = "1"
    result = run("verify", token, *moto_args(cognito), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "Header (verified):" in result.stdout
    assert '"kid": "dummy"' in result.stdout
    assert '"username": "alice"' in result.stdout
    assert '"admins"' in result.stdout
    assert re.search(r"exp: 20\S+\+00:00 \(in (59 min|1 h 0 min)\)", result.stdout)
    assert result.stdout.rstrip().endswith("Verdict: OK")
    assert result.stderr == ""
    assert_token_not_echoed(result, token)


@pytest.mark.parametrize("token_argument", [[], ["-"]], ids=["omitted", "dash"])
def test_verify_reads_the_token_from_stdin(
    cognito: CognitoPool, tmp_path: Path, token_argument: list[str]
) -> None:
    token = cognito.login("bob")["IdToken"]
    result = run("verify", *token_argument, *moto_args(cognito, "id"), stdin=f"{token}\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert '"cognito:username": "bob"' in result.stdout
    assert "Verdict: OK" in result.stdout
    assert_token_not_echoed(result, token)


def test_verify_accepts_a_pasted_authorization_header(cognito: CognitoPool, tmp_path: Path) -> None:
    token = cognito.login("alice")["AccessToken"]
    result = run("verify", *moto_args(cognito), stdin=f"Bearer {token}\n", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_verify_rejects_a_token_of_another_client(cognito: CognitoPool, tmp_path: Path) -> None:
    other = cognito.new_client()
    token = cognito.login("alice", client_id=other)["AccessToken"]
    result = run("verify", token, *moto_args(cognito), cwd=tmp_path)
    assert result.returncode == 1
    assert "Claims (NOT verified):" in result.stdout
    assert "Verdict: REJECTED (invalid_client)" in result.stdout
    assert f"got {other!r}" in result.stdout
    assert "REJECTED (invalid_client)" in result.stderr
    assert_token_not_echoed(result, token)


def test_verify_with_client_none_and_any_token_use(cognito: CognitoPool, tmp_path: Path) -> None:
    other = cognito.new_client()
    tokens = cognito.login("alice", client_id=other)
    for token in (tokens["AccessToken"], tokens["IdToken"]):
        result = run(
            "verify", token, "--user-pool-id", cognito.pool_id, "--client-id", "none", "--token-use", "any",
            "--issuer", cognito.issuer, "--jwks-url", cognito.jwks_url, cwd=tmp_path,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr


def test_verify_rejects_the_wrong_token_use(cognito: CognitoPool, tmp_path: Path) -> None:
    token = cognito.login("alice")["IdToken"]
    result = run("verify", token, *moto_args(cognito, "access"), cwd=tmp_path)
    assert result.returncode == 1
    assert "REJECTED (invalid_token_use)" in result.stdout


def test_verify_checks_groups(cognito: CognitoPool, tmp_path: Path) -> None:
    bob = cognito.login("bob")["AccessToken"]
    result = run("verify", bob, *moto_args(cognito, "access", "--group", "admins"), cwd=tmp_path)
    assert result.returncode == 1
    assert "REJECTED (missing_group)" in result.stdout


def test_verify_json_output(cognito: CognitoPool, tmp_path: Path) -> None:
    token = cognito.login("alice")["AccessToken"]
    result = run("verify", token, *moto_args(cognito, "access", "--json"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["verified"] is True
    assert document["verdict"] == "ok"
    assert document["code"] is None
    assert document["header"]["kid"] == "dummy"
    assert document["header"]["alg"] == "RS256"
    assert document["claims"]["username"] == "alice"
    assert document["claims"]["iss"] == cognito.issuer
    assert document["times"]["exp"].startswith(time.strftime("%Y-", time.gmtime(document["claims"]["exp"])))

    rejected = run("verify", token, *moto_args(cognito, "id", "--json"), cwd=tmp_path)
    assert rejected.returncode == 1
    document = json.loads(rejected.stdout)
    assert document["verified"] is False
    assert document["verdict"] == "rejected"
    assert document["code"] == "invalid_token_use"
    assert document["claim"] == "token_use"
    assert_token_not_echoed(rejected, token)


# --- verify against a local JWKS server and locally signed tokens -----------------------------------


def local_args(url: str, *extra: str) -> list[str]:
    return ["--user-pool-id", POOL_ID, "--client-id", CLIENT_ID, "--token-use", "access", "--jwks-url", url, *extra]


def test_verify_with_a_jwks_server_and_leeway(
    httpserver: HTTPServer, jwks_document: dict[str, Any], tokens: TokenFactory, tmp_path: Path
) -> None:
    httpserver.expect_request("/cli/jwks.json").respond_with_json(jwks_document)
    url = httpserver.url_for("/cli/jwks.json")
    now = int(time.time())
    expired = tokens.access(exp=now - 30, iat=now - 3600)
    result = run("verify", expired, *local_args(url), cwd=tmp_path)
    assert result.returncode == 1
    assert "Verdict: REJECTED (expired)" in result.stdout
    assert "exp: " in result.stdout and " ago)" in result.stdout
    assert_token_not_echoed(result, expired)
    assert run("verify", expired, *local_args(url, "--leeway", "300"), cwd=tmp_path).returncode == 0


def test_verify_reports_an_unavailable_jwks(
    httpserver: HTTPServer, tokens: TokenFactory, tmp_path: Path
) -> None:
    httpserver.expect_request("/down/jwks.json").respond_with_data("down", status=503)
    token = tokens.access()
    result = run("verify", token, *local_args(httpserver.url_for("/down/jwks.json")), cwd=tmp_path)
    assert result.returncode == 3
    assert "JWKS UNAVAILABLE (jwks_unavailable)" in result.stdout
    assert "HTTP 503" in result.stderr
    assert_token_not_echoed(result, token)


def test_verify_offline_with_a_jwks_file(
    jwks_document: dict[str, Any], tokens: TokenFactory, tmp_path: Path
) -> None:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(jwks_document))
    token = tokens.access()
    args = ["--user-pool-id", POOL_ID, "--client-id", CLIENT_ID, "--token-use", "access"]
    result = run("verify", token, *args, "--jwks-file", str(jwks_file), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f'"kid": "{KID}"' in result.stdout
    assert f'"iss": "{ISSUER}"' in result.stdout

    forged = tokens.access()[:-4] + "AAAA"
    result = run("verify", forged, *args, "--jwks-file", str(jwks_file), cwd=tmp_path)
    assert result.returncode == 1
    assert "REJECTED (invalid_signature)" in result.stdout


def test_verify_rejects_a_malformed_token(jwks_document: dict[str, Any], tmp_path: Path) -> None:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(jwks_document))
    result = run(
        "verify", "not-a-token", "--user-pool-id", POOL_ID, "--client-id", CLIENT_ID, "--token-use", "access",
        "--jwks-file", str(jwks_file), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    assert "REJECTED (malformed): the token does not have exactly three segments" in result.stdout
    # One reason, in the verdict: the sections do not give one of their own.
    assert result.stdout.count("three segments") == 1
    assert "not decodable: see the reason below" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--client-id", CLIENT_ID, "--token-use", "access"], "--user-pool-id"),
        (["--user-pool-id", POOL_ID, "--token-use", "access"], "--client-id"),
        (["--user-pool-id", POOL_ID, "--client-id", CLIENT_ID], "--token-use"),
        (["--user-pool-id", POOL_ID, "--client-id", CLIENT_ID, "--token-use", "both"], "invalid choice"),
        (["--user-pool-id", "not-a-pool", "--client-id", CLIENT_ID, "--token-use", "id"], "not of the form"),
        (["--user-pool-id", POOL_ID, "--client-id", "none", "--client-id", "x", "--token-use", "id"], "cannot be combined"),
        (["--user-pool-id", POOL_ID, "--client-id", CLIENT_ID, "--token-use", "id", "--jwks-url",
          "http://jwks.example/keys"], "https URL"),
        (["--user-pool-id", POOL_ID, "--client-id", CLIENT_ID, "--token-use", "id", "--leeway", "-5"], "leeway"),
        (["--user-pool-id", POOL_ID, "--client-id", CLIENT_ID, "--token-use", "id", "--jwks-file",
          "/nonexistent/jwks.json"], "cannot read the JWKS file"),
        (["--user-pool-id", POOL_ID, "--client-id", CLIENT_ID, "--token-use", "id", "--jwks-file", "x",
          "--jwks-url", "https://a.example/j"], "not allowed with"),
    ],
)
def test_usage_and_configuration_errors_exit_2(
    tokens: TokenFactory, tmp_path: Path, args: list[str], message: str
) -> None:
    token = tokens.access()
    result = run("verify", token, *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert_token_not_echoed(result, token)


def test_an_empty_stdin_is_a_usage_error(tmp_path: Path) -> None:
    result = run("verify", "--user-pool-id", POOL_ID, "--client-id", CLIENT_ID, "--token-use", "id",
                 stdin="\n", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert "no token given" in result.stderr


def test_argument_errors_never_echo_a_token(tokens: TokenFactory, tmp_path: Path) -> None:
    token = tokens.access()
    args = ["--user-pool-id", POOL_ID, "--client-id", CLIENT_ID, "--token-use", "access"]
    result = run("verify", token, token, *args, cwd=tmp_path)
    assert "unrecognized arguments" in result.stderr
    assert result.returncode == 2
    assert "<token>" in result.stderr
    assert_token_not_echoed(result, token)


# --- inspect --------------------------------------------------------------------------------------


def test_inspect_decodes_and_says_nothing_was_verified(cognito: CognitoPool, tmp_path: Path) -> None:
    token = cognito.login("alice")["AccessToken"]
    result = run("inspect", token, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.splitlines()[0].startswith(NOT_VERIFIED)
    assert NOT_VERIFIED in result.stderr
    assert "Header (unverified):" in result.stdout
    assert '"kid": "dummy"' in result.stdout
    assert '"username": "alice"' in result.stdout
    for name in ("exp", "iat", "auth_time"):
        assert f"  {name}: 20" in result.stdout
    assert "+00:00" in result.stdout
    assert_token_not_echoed(result, token)


def test_inspect_reads_stdin_and_needs_no_key(rsa_key2: Any, tmp_path: Path) -> None:
    # Signed by a key nobody trusts: inspect decodes it all the same, and says so.
    token = TokenFactory(rsa_key2, "unknown").access(exp=0, iat=0)
    result = run("inspect", stdin=token, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.splitlines()[0].startswith(NOT_VERIFIED)
    assert '"kid": "unknown"' in result.stdout
    assert "exp: 1970-01-01T00:00:00+00:00" in result.stdout
    assert " ago)" in result.stdout
    assert_token_not_echoed(result, token)


@pytest.mark.parametrize("token", ["abc", "a.b", "eyJhbGciOiJSUzI1NiJ9.!!!.sig", "e30.e30=.x"])
def test_inspect_of_an_undecodable_token_exits_1(token: str, tmp_path: Path) -> None:
    result = run("inspect", token, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith(NOT_VERIFIED)
    assert result.stdout.count("Malformed (malformed): ") == 1


def test_inspect_refuses_nan(tokens: TokenFactory, tmp_path: Path) -> None:
    token = tokens.raw({"alg": "RS256", "kid": KID}, b'{"exp": NaN}')
    result = run("inspect", token, cwd=tmp_path)
    assert result.returncode == 1
    assert "Malformed (malformed): the payload is not valid JSON" in result.stdout


# --- packaging ------------------------------------------------------------------------------------


def test_the_cli_imports_no_django(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from fastcognito import cli\n"
        "try:\n"
        "    cli.main(['inspect', 'e30.e30.x'])\n"
        "finally:\n"
        "    assert not [m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework')]\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert NOT_VERIFIED in result.stdout


def test_the_console_script_is_installed(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "fastcognito"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 0
    assert "verify" in result.stdout and "inspect" in result.stdout
    assert "3  JWKS unavailable" in result.stdout


def test_a_token_given_as_an_option_value_is_masked(tokens: TokenFactory, tmp_path: Path) -> None:
    token = tokens.access()
    result = run("verify", "--user-pool-id", token, "--client-id", CLIENT_ID, "--token-use", "id", stdin=token,
                 cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert "user_pool_id '<token>' is not of the form" in result.stderr
    assert_token_not_echoed(result, token)


def test_a_rejection_names_the_expected_issuer(
    jwks_document: dict[str, Any], tokens: TokenFactory, tmp_path: Path
) -> None:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(jwks_document))
    token = tokens.access(iss=OTHER_ISSUER)
    result = run(
        "verify", token, "--user-pool-id", POOL_ID, "--client-id", CLIENT_ID, "--token-use", "access",
        "--jwks-file", str(jwks_file), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    assert "REJECTED (invalid_issuer)" in result.stdout
    assert f"got {OTHER_ISSUER!r}, expected {ISSUER!r}" in result.stdout


# --- version, JSON, time reasons, one reason per malformed token, the environment -------------------


def test_version_prints_the_package_version(tmp_path: Path) -> None:
    import fastcognito

    result = run("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"fastcognito {fastcognito.__version__}"


def test_inspect_json(tokens: TokenFactory, tmp_path: Path) -> None:
    token = tokens.access()
    result = run("inspect", "--json", token, cwd=tmp_path)
    assert result.returncode == 0
    assert NOT_VERIFIED in result.stderr
    document = json.loads(result.stdout)
    assert document["verified"] is False and document["decoded"] is True
    assert document["warning"].startswith(NOT_VERIFIED)
    assert (document["code"], document["reason"]) == (None, None)
    assert document["header"] == {"alg": "RS256", "kid": KID}
    assert document["claims"]["username"] == "alice"
    assert set(document["times"]) == {"exp", "iat", "auth_time"}
    assert_token_not_echoed(result, token)

    result = run("inspect", "--json", "not.a.jwt", cwd=tmp_path)
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["decoded"] is False and document["code"] == "malformed"
    assert document["reason"] == "a segment is not valid base64url: impossible length"


def run_in_process(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    from fastcognito.cli import main

    main(list(args))
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "token", ["not.a.jwt", "abc", "a.b", "a..b", "e30.e30=.x", "eyJhbGciOiJSUzI1NiJ9.!!!.sig", "e30.e30.x", "W10.e30.x"]
)
def test_a_malformed_token_has_one_reason_in_both_commands(
    token: str, jwks_document: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(jwks_document))
    args = ["--user-pool-id", POOL_ID, "--client-id", CLIENT_ID, "--token-use", "access", "--jwks-file", str(jwks_file)]
    verified = run_in_process(capsys, "verify", token, *args, "--json")
    inspected = run_in_process(capsys, "inspect", token, "--json")
    assert verified["code"] == inspected["code"] == "malformed"
    assert verified["reason"] == inspected["reason"]


def test_time_reasons_give_dates_and_relative_times(
    jwks_document: dict[str, Any], tokens: TokenFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(jwks_document))
    args = ["--user-pool-id", POOL_ID, "--client-id", CLIENT_ID, "--token-use", "access", "--jwks-file", str(jwks_file)]
    now = int(time.time())
    cases = {
        "expired": tokens.access(exp=now - 600, iat=now - 4200),
        "issued in the future": tokens.access(iat=now + 7200, exp=now + 9000),
        "nbf": tokens.access(nbf=now + 86400 * 3),
    }
    for name, token in cases.items():
        verdict = run_in_process(capsys, "verify", token, *args, "--json")["reason"]
        assert re.search(r"got 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 \((10 min ago|in 1 h 59 min|in 2 h 0 min|in [23] d)\)", verdict), verdict
        assert re.search(r"expected (after|at or before) 20\d\d-\d\d-\d\dT\S+ \((now|in 0 s|\d+ s ago)\)", verdict), verdict
        assert not re.search(r"\d{10}\.\d", verdict), verdict  # no raw epoch


def test_verify_takes_its_defaults_from_the_environment(
    httpserver: HTTPServer, jwks_document: dict[str, Any], tokens: TokenFactory, tmp_path: Path
) -> None:
    httpserver.expect_request("/env/jwks.json").respond_with_json(jwks_document)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_COGNITO_") and k != "APP_CLIENT_ID"}
    env.update(
        AWS_COGNITO_USER_POOL_ID=POOL_ID,
        AWS_COGNITO_REGION="eu-west-1",
        APP_CLIENT_ID=CLIENT_ID,
        AWS_COGNITO_ISSUER=ISSUER,
        AWS_COGNITO_JWKS_URL=httpserver.url_for("/env/jwks.json"),
    )
    token = tokens.access()
    result = run("verify", token, "--token-use", "access", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert len(httpserver.log) == 1
    # An option still wins over its variable.
    result = run("verify", token, "--token-use", "access", "--client-id", "another", cwd=tmp_path, env=env)
    assert "REJECTED (invalid_client)" in result.stdout
    env["AWS_COGNITO_REGION"] = "us-east-1"
    assert run("verify", token, "--token-use", "access", cwd=tmp_path, env=env).returncode == 2

    del env["AWS_COGNITO_USER_POOL_ID"]
    result = run("verify", token, "--token-use", "access", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "--user-pool-id is required (or set AWS_COGNITO_USER_POOL_ID)" in result.stderr
