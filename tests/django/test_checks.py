"""System checks: each misconfiguration of FASTCOGNITO has its own id and a clear message."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.test import override_settings

from fastcognito.django.alb import AlbMiddleware
from tests.support import CLIENT_ID, POOL_ID
from tests.support.alb_tokens import ARN, CLIENT, ISSUER

BASE = {"USER_POOL_ID": POOL_ID, "CLIENT_ID": CLIENT_ID}
CSRF = "django.middleware.csrf.CsrfViewMiddleware"
AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
OURS = "fastcognito.django.CognitoMiddleware"


def ids(**fastcognito: Any) -> list[str]:
    with override_settings(FASTCOGNITO=fastcognito):
        return [message.id for message in checks.run_checks(tags=["fastcognito"])]


def messages(**fastcognito: Any) -> list[Any]:
    with override_settings(FASTCOGNITO=fastcognito):
        return list(checks.run_checks(tags=["fastcognito"]))


def test_valid_settings_pass() -> None:
    assert ids(**BASE) == []
    assert ids(**{**BASE, "TOKEN_USE": None, "CLIENT_ID": None}) == []
    assert ids(**{**BASE, "CLIENT_ID": [CLIENT_ID, "second"], "COOKIE_NAME": "accessToken", "PREFETCH_JWKS": True}) == []


def test_the_project_settings_pass() -> None:
    assert checks.run_checks(tags=["fastcognito"]) == []


def test_checks_run_with_manage_py_check() -> None:
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    with override_settings(FASTCOGNITO={"USER_POOL_ID": POOL_ID}):
        with pytest.raises(SystemCheckError, match=r"fastcognito\.E005"):
            call_command("check")


def test_not_a_dict() -> None:
    with override_settings(FASTCOGNITO=["USER_POOL_ID"]):
        assert [m.id for m in checks.run_checks(tags=["fastcognito"])] == ["fastcognito.E001"]


def test_unknown_key_suggests_the_close_one() -> None:
    (message,) = messages(**BASE, STAF_GROUPS=["ops"])
    assert message.id == "fastcognito.E002"
    assert "'STAF_GROUPS'" in message.msg and "'STAFF_GROUPS'" in message.hint


@pytest.mark.parametrize(
    ("fastcognito", "expected"),
    [
        ({"CLIENT_ID": CLIENT_ID}, "fastcognito.E003"),
        ({**BASE, "USER_POOL_ID": "not-a-pool"}, "fastcognito.E004"),
        ({**BASE, "USER_POOL_ID": 42}, "fastcognito.E004"),
        ({"USER_POOL_ID": POOL_ID}, "fastcognito.E005"),
        ({**BASE, "CLIENT_ID": []}, "fastcognito.E006"),
        ({**BASE, "CLIENT_ID": 7}, "fastcognito.E006"),
        ({**BASE, "TOKEN_USE": "refresh"}, "fastcognito.E007"),
        ({**BASE, "USER_CLASS": "no.such.Module"}, "fastcognito.E008"),
        ({**BASE, "USER_CLASS": "fastcognito.django.conf.SETTINGS_NAME"}, "fastcognito.E008"),
        ({**BASE, "COOKIE_NAME": ""}, "fastcognito.E009"),
        ({**BASE, "AUTH_HEADER_TYPES": ()}, "fastcognito.E011"),
        ({**BASE, "AUTH_HEADER_TYPES": ("Bearer token",)}, "fastcognito.E011"),
        ({**BASE, "STAFF_GROUPS": 3}, "fastcognito.E012"),
        ({**BASE, "SUPERUSER_GROUPS": [None]}, "fastcognito.E012"),
        ({**BASE, "GROUP_PERMISSIONS": {"editors": "blog.add_post"}}, "fastcognito.E013"),
        ({**BASE, "GROUP_PERMISSIONS": {"editors": ["add_post"]}}, "fastcognito.E013"),
        ({**BASE, "GROUP_PERMISSIONS": ["blog.add_post"]}, "fastcognito.E013"),
        ({**BASE, "PREFETCH_JWKS": "yes"}, "fastcognito.E014"),
        ({**BASE, "HOSTED_UI": "https://auth.example.com"}, "fastcognito.E015"),
        ({**BASE, "WWW_AUTHENTICATE_REALM": 'a"b'}, "fastcognito.E016"),
        ({**BASE, "ISSUER": "http://cognito.example.com/pool"}, "fastcognito.E017"),
        ({**BASE, "JWKS_URL": "ftp://127.0.0.1/jwks.json"}, "fastcognito.E017"),
        ({**BASE, "REGION": "us-east-1"}, "fastcognito.E017"),
        ({**BASE, "LEEWAY": -1}, "fastcognito.E017"),
        ({**BASE, "LEEWAY": "5"}, "fastcognito.E017"),
        ({**BASE, "CACHE_SIZE": -1}, "fastcognito.E017"),
        ({**BASE, "GROUPS": []}, "fastcognito.E017"),
        ({**BASE, "SCOPES": [1]}, "fastcognito.E017"),
        ({**BASE, "MAX_TOKEN_BYTES": 10}, "fastcognito.E017"),
        ({**BASE, "JWKS_COOLDOWN": float("nan")}, "fastcognito.E017"),
    ],
)
def test_each_misconfiguration_has_its_id(fastcognito: dict[str, Any], expected: str) -> None:
    found = messages(**fastcognito)
    assert [m.id for m in found] == [expected], [m.msg for m in found]
    assert all(isinstance(m, checks.Error) and m.msg and m.hint for m in found)


def test_cookie_source_without_csrf_middleware() -> None:
    from django.conf import settings

    without_csrf = [name for name in settings.MIDDLEWARE if name != CSRF]
    with override_settings(MIDDLEWARE=without_csrf):
        assert ids(**BASE, COOKIE_NAME="accessToken") == ["fastcognito.E010"]
        assert ids(**BASE) == []


class ProjectAlbMiddleware(AlbMiddleware):
    """A project's own subclass: a source of the ALB's header all the same."""


ALB_CONFIG = {"ARNS": [ARN], "CLIENT_ID": CLIENT, "ISSUER": ISSUER}


@pytest.mark.parametrize(("setting", "path"), [
    ("MIDDLEWARE", "fastcognito.django.alb.AlbMiddleware"),
    ("MIDDLEWARE", f"{__name__}.ProjectAlbMiddleware"),
    ("DEFAULT_AUTHENTICATION_CLASSES", "fastcognito.drf.alb.AlbAuthentication"),
])
def test_alb_source_without_alb_settings(setting: str, path: str) -> None:
    """An ALB source with FASTCOGNITO["ALB"] unset could verify no request that carries the
    ALB's header: it answered 500 to each of them, with the token in the error report."""
    from django.conf import settings

    if setting == "MIDDLEWARE":
        override = override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, path])
    else:
        override = override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, setting: [path]})
    with override:
        (message,) = messages(**BASE)
        assert message.id == "fastcognito.E135" and path in message.msg and "['ALB']" in message.msg
        assert ids(**BASE, ALB=ALB_CONFIG) == []


def test_middleware_order() -> None:
    with override_settings(MIDDLEWARE=[OURS, AUTH]):
        found = checks.run_checks(tags=["fastcognito"])
    assert [m.id for m in found] == ["fastcognito.E018"]
    with override_settings(MIDDLEWARE=[AUTH, OURS]):
        assert checks.run_checks(tags=["fastcognito"]) == []
    with override_settings(MIDDLEWARE=[OURS]):
        assert checks.run_checks(tags=["fastcognito"]) == []


def test_environment_fallbacks_satisfy_the_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_COGNITO_USER_POOL_ID", POOL_ID)
    monkeypatch.setenv("AWS_COGNITO_APP_CLIENT_ID", CLIENT_ID)
    assert ids() == []
    monkeypatch.setenv("AWS_COGNITO_REGION", "us-east-1")
    assert ids() == ["fastcognito.E017"]


def test_several_problems_are_all_reported() -> None:
    found = ids(USER_POOL_ID="bad", TOKEN_USE="both", COOKIE_NAME="", TYPO=1)
    assert found == ["fastcognito.E002", "fastcognito.E004", "fastcognito.E005", "fastcognito.E007", "fastcognito.E009"]


def test_unknown_key_suggestion_ignores_case() -> None:
    (message,) = messages(USER_POOL_ID=POOL_ID, client_id=CLIENT_ID, CLIENT_ID=CLIENT_ID)
    assert message.id == "fastcognito.E002"
    assert "'CLIENT_ID'" in message.hint and "upper case" in message.hint
    (message,) = messages(**BASE, staf_groups=["ops"])
    assert "Did you mean 'STAFF_GROUPS'?" in message.hint


def test_prefetch_fatal_needs_a_bool_and_prefetch() -> None:
    assert ids(**BASE, PREFETCH_JWKS=True, PREFETCH_JWKS_FATAL=True) == []
    assert ids(**BASE, PREFETCH_JWKS=True, PREFETCH_JWKS_FATAL=1) == ["fastcognito.E014"]
    (message,) = messages(**BASE, PREFETCH_JWKS_FATAL=True)
    assert message.id == "fastcognito.E014" and "PREFETCH_JWKS=True" in message.hint


def test_an_offline_jwks_is_checked() -> None:
    assert ids(**BASE, JWKS={"keys": "none"}) == ["fastcognito.E132"]
    assert ids(**BASE, JWKS="not a document") == ["fastcognito.E132"]


@pytest.mark.parametrize(
    ("fastcognito", "names"),
    [
        ({"CLIENT_ID": CLIENT_ID}, ["AWS_COGNITO_USER_POOL_ID"]),
        ({"USER_POOL_ID": POOL_ID}, ["AWS_COGNITO_APP_CLIENT_ID", "APP_CLIENT_ID"]),
    ],
)
def test_checks_of_missing_keys_name_their_environment_variables(fastcognito: dict[str, Any], names: list[str]) -> None:
    (message,) = messages(**fastcognito)
    assert all(name in message.hint for name in names)


@pytest.mark.parametrize(
    ("variable", "value", "expected", "named"),
    [
        ("AWS_COGNITO_USER_POOL_ID", "not-a-pool", "fastcognito.E004", "AWS_COGNITO_USER_POOL_ID"),
        ("APP_CLIENT_ID", "", None, None),
        ("AWS_COGNITO_REGION", "us-east-1", "fastcognito.E017", "REGION from AWS_COGNITO_REGION"),
        ("AWS_COGNITO_ISSUER", "http://cognito.example.com/pool", "fastcognito.E017", "ISSUER from AWS_COGNITO_ISSUER"),
        ("AWS_COGNITO_JWKS_URL", "ftp://127.0.0.1/jwks", "fastcognito.E017", "JWKS_URL from AWS_COGNITO_JWKS_URL"),
    ],
)
def test_a_bad_value_from_the_environment_is_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str | None, named: str | None
) -> None:
    monkeypatch.setenv("AWS_COGNITO_USER_POOL_ID", POOL_ID)
    monkeypatch.setenv("APP_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv(variable, value)
    found = messages()
    if expected is None:  # an empty variable counts as unset
        assert [m.id for m in found] == ["fastcognito.E005"]
        return
    (message,) = found
    assert message.id == expected
    assert named in f"{message.msg} {message.hint}"


def test_cookie_checks_name_access_token_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.conf import settings

    monkeypatch.setenv("ACCESS_TOKEN_KEY", "accessToken")
    without_csrf = [name for name in settings.MIDDLEWARE if name != CSRF]
    with override_settings(MIDDLEWARE=without_csrf):
        (message,) = messages(**BASE)
    assert message.id == "fastcognito.E010" and "environment variable ACCESS_TOKEN_KEY" in message.msg


# --- the compiled hot path (W001) -------------------------------------------------------------

# What _impl records when `from . import _verify` fails; patched in, since this suite runs on a
# working build (tests/release/test_extension_build.py makes the import really fail, in a subprocess).
IMPORT_FAILURE = "ImportError: libfoo.so.1: cannot open shared object file: No such file or directory"


def test_a_missing_extension_is_a_warning_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    import fastcognito
    from fastcognito import _impl

    monkeypatch.setattr(_impl, "EXTENSION_ERROR", IMPORT_FAILURE)
    (message,) = checks.run_checks(tags=["fastcognito"])
    assert message.id == "fastcognito.W001"
    assert message.level == checks.WARNING and not message.is_serious()
    assert IMPORT_FAILURE in message.msg
    assert "compiled hot path could not be imported" in message.msg and "pure-Python twin" in message.msg
    assert "pip install --force-reinstall fastcognito" in message.hint and "C compiler" in message.hint
    assert f"imported from {fastcognito.__file__}" in message.hint
    assert "FASTCOGNITO_NO_EXTENSIONS=1" in message.hint


def test_no_warning_when_the_extension_runs_or_was_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastcognito import _impl

    monkeypatch.setattr(_impl, "EXTENSION_ERROR", None)
    assert checks.run_checks(tags=["fastcognito"]) == []


def test_manage_py_check_shows_the_warning_and_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from django.core.management import call_command

    from fastcognito import _impl

    monkeypatch.setattr(_impl, "EXTENSION_ERROR", IMPORT_FAILURE)
    out, err = io.StringIO(), io.StringIO()
    call_command("check", stdout=out, stderr=err)  # a warning: no SystemCheckError
    assert "fastcognito.W001" in err.getvalue() and IMPORT_FAILURE in err.getvalue()
    with override_settings(SILENCED_SYSTEM_CHECKS=["fastcognito.W001"]):
        out, err = io.StringIO(), io.StringIO()
        call_command("check", stdout=out, stderr=err)
        assert "W001" not in out.getvalue() + err.getvalue()


# --- a COOKIE_NAME beside Djognito's ACCESS_TOKEN_KEY (W011) ------------------------------------


def test_a_cookie_name_that_differs_from_access_token_key_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCESS_TOKEN_KEY", "accessToken")
    (message,) = messages(**BASE, COOKIE_NAME="fastcognito_access")
    assert message.id == "fastcognito.W011" and message.level == checks.WARNING and not message.is_serious()
    assert "'fastcognito_access'" in message.msg and "'accessToken'" in message.msg
    assert "ACCESS_TOKEN_KEY" in message.msg and "ACCESS_TOKEN_KEY" in message.hint
    (message,) = messages(**BASE, COOKIE_NAME=None)  # no cookie on purpose: the variable is ignored
    assert message.id == "fastcognito.W011" and "no cookie is read" in message.msg


def test_no_warning_when_the_cookie_names_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCESS_TOKEN_KEY", "accessToken")
    assert ids(**BASE, COOKIE_NAME="accessToken") == []
    assert ids(**BASE) == []  # the variable alone names the cookie
    monkeypatch.setenv("ACCESS_TOKEN_KEY", "")  # an empty variable counts as unset
    assert ids(**BASE, COOKIE_NAME="fastcognito_access") == []
    monkeypatch.delenv("ACCESS_TOKEN_KEY")
    assert ids(**BASE, COOKIE_NAME="fastcognito_access") == []


def test_the_warning_does_not_stop_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastcognito.django.apps import startup_errors

    monkeypatch.setenv("ACCESS_TOKEN_KEY", "accessToken")
    with override_settings(FASTCOGNITO={**BASE, "COOKIE_NAME": "fastcognito_access"}):
        assert startup_errors() == []


# --- a cryptography that cannot make the RS256 check (E021) -------------------------------------


class _RefusingKey:
    """What an OpenSSL policy that refuses RSA recovery without a digest answers (patched in: this
    suite's cryptography makes the check)."""

    def recover_data_from_signature(self, signature: bytes, pad: Any, algorithm: Any) -> bytes:
        from cryptography.exceptions import UnsupportedAlgorithm

        raise UnsupportedAlgorithm("PKCS1v15 recovery without a digest is not allowed")


def test_a_cryptography_that_cannot_make_the_check_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    from django.apps import apps

    from fastcognito import jwk

    monkeypatch.setattr(jwk, "_self_test_key", _RefusingKey)
    monkeypatch.setattr(jwk.RS256_VECTOR, "_result", [])
    (message,) = messages(**BASE)  # E021 alone: building the verifier (E017) would say it again
    assert message.id == "fastcognito.E021" and message.is_serious()
    assert "UnsupportedAlgorithm: PKCS1v15 recovery without a digest is not allowed" in message.msg
    assert "cannot make the RS256 check" in message.msg and "OpenSSL" in message.msg
    assert "does not fall back" in message.hint
    # Whatever else is wrong, it is reported too.
    assert ids(USER_POOL_ID=POOL_ID) == ["fastcognito.E005", "fastcognito.E021"]
    with override_settings(FASTCOGNITO=BASE):
        with pytest.raises(SystemCheckError, match=r"fastcognito\.E021"):
            call_command("check")
        with pytest.raises(ImproperlyConfigured, match=r"fastcognito\.E021"):
            apps.get_app_config("fastcognito").ready()
        # Silenced, the verifier still refuses to be built: no server starts without the check.
        with override_settings(SILENCED_SYSTEM_CHECKS=["fastcognito.E021"]):
            with pytest.raises(ImproperlyConfigured, match="cannot build a verifier: cryptography .* UnsupportedAlgorithm"):
                apps.get_app_config("fastcognito").ready()
