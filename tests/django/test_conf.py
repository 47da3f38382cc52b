"""FASTCOGNITO: lazy reads, defaults, environment fallbacks, reload in place, the app config."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.test import override_settings

from fastcognito import ConfigurationError
from fastcognito.django import CognitoUser, fastcognito_settings
from fastcognito.django.conf import DEFAULTS, FastCognitoSettings
from tests.support import CLIENT_ID, POOL_ID


def test_defaults() -> None:
    conf = FastCognitoSettings({"USER_POOL_ID": POOL_ID}, environ={})
    assert conf.TOKEN_USE == "access"
    assert conf.AUTH_HEADER_TYPES == ("Bearer",)
    assert conf.COOKIE_NAME is None
    assert conf.USER_CLASS is CognitoUser
    assert conf.PREFETCH_JWKS is False
    assert conf.HOSTED_UI is None
    assert conf.LEEWAY == 0
    assert conf.STAFF_GROUPS == () and conf.SUPERUSER_GROUPS == ()
    assert conf.GROUP_PERMISSIONS == {}
    assert conf.WWW_AUTHENTICATE_REALM == "api"
    with pytest.raises(ConfigurationError, match="client_id is required"):
        conf.build_verifier()


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError, match="unknown fastcognito setting 'COOKIE'"):
        fastcognito_settings.COOKIE  # noqa: B018


def test_single_strings_become_tuples() -> None:
    conf = FastCognitoSettings({"AUTH_HEADER_TYPES": "JWT", "STAFF_GROUPS": "ops"}, environ={})
    assert conf.AUTH_HEADER_TYPES == ("JWT",) and conf.STAFF_GROUPS == ("ops",)


def test_user_class_import_error_is_a_configuration_error() -> None:
    conf = FastCognitoSettings({"USER_CLASS": "no.such.User"}, environ={})
    with pytest.raises(ConfigurationError, match="cannot be imported"):
        conf.USER_CLASS  # noqa: B018


def test_djognito_environment_fallbacks() -> None:
    environ = {
        "AWS_COGNITO_USER_POOL_ID": POOL_ID,
        "AWS_COGNITO_REGION": "eu-west-1",
        "AWS_COGNITO_APP_CLIENT_ID": CLIENT_ID,
        "ACCESS_TOKEN_KEY": "accessToken",
    }
    conf = FastCognitoSettings({}, environ=environ)
    assert (conf.USER_POOL_ID, conf.REGION, conf.CLIENT_ID, conf.COOKIE_NAME) == (
        POOL_ID,
        "eu-west-1",
        CLIENT_ID,
        "accessToken",
    )
    assert conf.build_verifier().client_ids == frozenset({CLIENT_ID})
    # FASTCOGNITO wins over the environment, even with an explicit None.
    conf = FastCognitoSettings({"CLIENT_ID": None, "COOKIE_NAME": None}, environ=environ)
    assert conf.CLIENT_ID is None and conf.COOKIE_NAME is None


def test_environment_is_read_on_reload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_COGNITO_APP_CLIENT_ID", "from-the-environment")
    with override_settings(FASTCOGNITO={"USER_POOL_ID": POOL_ID}):
        assert fastcognito_settings.CLIENT_ID == "from-the-environment"


def test_reload_in_place_under_override_settings() -> None:
    settings_object = fastcognito_settings
    before = fastcognito_settings.CLIENT_ID
    with override_settings(FASTCOGNITO={"USER_POOL_ID": POOL_ID, "CLIENT_ID": "changed", "COOKIE_NAME": "c"}):
        assert fastcognito_settings is settings_object
        assert fastcognito_settings.CLIENT_ID == "changed"
        assert fastcognito_settings.COOKIE_NAME == "c"
        assert fastcognito_settings.verifier.client_ids == frozenset({"changed"})
    assert fastcognito_settings.CLIENT_ID == before
    assert fastcognito_settings.COOKIE_NAME is None
    assert fastcognito_settings.verifier.client_ids == frozenset({CLIENT_ID})


def test_other_settings_do_not_reload() -> None:
    verifier = fastcognito_settings.verifier
    with override_settings(DEBUG=True):
        assert fastcognito_settings.verifier is verifier


def test_verifier_is_built_once_across_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    fastcognito_settings.reload()
    with ThreadPoolExecutor(8) as pool:
        built = set(pool.map(lambda _: id(fastcognito_settings.verifier), range(64)))
    assert len(built) == 1


def test_import_reads_no_settings(tmp_path: Path) -> None:
    # A fresh interpreter without any Django settings, outside the checkout (whose tests/django
    # would shadow Django): importing must not touch them.
    code = (
        "import fastcognito.django, fastcognito.django.apps, fastcognito.django.checks;"
        "from django.conf import settings; assert not settings.configured; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_every_documented_key_has_a_default() -> None:
    for key in (
        "USER_POOL_ID", "REGION", "CLIENT_ID", "TOKEN_USE", "ISSUER", "JWKS_URL", "LEEWAY", "CACHE_SIZE",
        "AUTH_HEADER_TYPES", "COOKIE_NAME", "STAFF_GROUPS", "SUPERUSER_GROUPS", "GROUP_PERMISSIONS",
        "USER_CLASS", "PREFETCH_JWKS", "HOSTED_UI",
    ):  # fmt: skip
        assert key in DEFAULTS


# --- the app config --------------------------------------------------------------------------


def test_app_config_is_installed() -> None:
    config = apps.get_app_config("fastcognito")
    assert config.name == "fastcognito.django"


def test_prefetch_jwks_hydrates_at_ready(fastcognito_config: Any, httpserver: Any) -> None:
    fastcognito_config(PREFETCH_JWKS=True)
    apps.get_app_config("fastcognito").ready()
    assert len(httpserver.log) == 1
    assert all(client.by_kid for client in fastcognito_settings.verifier.jwks_clients.values())


def test_prefetch_is_off_by_default(fastcognito_config: Any, httpserver: Any) -> None:
    assert apps.get_app_config("fastcognito").prefetch_jwks() is False
    assert len(httpserver.log) == 0


def test_prefetch_with_jwks_down_only_warns(
    fastcognito_config: Any, closed_port_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    fastcognito_config(PREFETCH_JWKS=True, JWKS_URL=closed_port_url)
    with caplog.at_level(logging.WARNING, logger="fastcognito"):
        assert apps.get_app_config("fastcognito").prefetch_jwks() is False
    assert any("could not prefetch the JWKS (jwks_unavailable)" in r.getMessage() for r in caplog.records)


def test_prefetch_with_bad_settings_only_warns(caplog: pytest.LogCaptureFixture) -> None:
    with override_settings(FASTCOGNITO={"USER_POOL_ID": POOL_ID, "PREFETCH_JWKS": True}):
        with caplog.at_level(logging.WARNING, logger="fastcognito"):
            assert apps.get_app_config("fastcognito").prefetch_jwks() is False
    assert any("(configuration)" in r.getMessage() for r in caplog.records)


def test_djognito_code_reads_app_client_id_too() -> None:
    conf = FastCognitoSettings({"USER_POOL_ID": POOL_ID}, environ={"APP_CLIENT_ID": "from-djognito-code"})
    assert conf.CLIENT_ID == "from-djognito-code"
    assert conf.source("CLIENT_ID") == "APP_CLIENT_ID"
    both = {"AWS_COGNITO_APP_CLIENT_ID": "from-the-readme", "APP_CLIENT_ID": "from-djognito-code"}
    assert FastCognitoSettings({}, environ=both).CLIENT_ID == "from-the-readme"


def test_issuer_and_jwks_url_from_the_environment() -> None:
    environ = {
        "AWS_COGNITO_USER_POOL_ID": POOL_ID,
        "AWS_COGNITO_APP_CLIENT_ID": CLIENT_ID,
        "AWS_COGNITO_ISSUER": "http://127.0.0.1:5000/eu-west-1_TestPool1",
        "AWS_COGNITO_JWKS_URL": "http://127.0.0.1:5000/keys.json",
    }
    verifier = FastCognitoSettings({}, environ=environ).build_verifier()
    (pool,) = verifier.pools.values()
    assert (pool.issuer, pool.jwks_url) == (environ["AWS_COGNITO_ISSUER"], environ["AWS_COGNITO_JWKS_URL"])
    conf = FastCognitoSettings({"ISSUER": None}, environ=environ)
    assert conf.ISSUER is None and conf.source("ISSUER") == "settings"
    assert conf.describe("JWKS_URL") == "FASTCOGNITO['JWKS_URL'] (from the environment variable AWS_COGNITO_JWKS_URL)"


def test_an_offline_jwks_setting_fetches_nothing(jwks_document: dict[str, Any], tokens: Any) -> None:
    conf = FastCognitoSettings({"USER_POOL_ID": POOL_ID, "CLIENT_ID": CLIENT_ID, "JWKS": jwks_document}, environ={})
    assert conf.build_verifier().verify(tokens.access()).username == "alice"


def test_prefetch_fatal_raises_improperly_configured(fastcognito_config: Any, closed_port_url: str) -> None:
    from django.core.exceptions import ImproperlyConfigured

    fastcognito_config(PREFETCH_JWKS=True, PREFETCH_JWKS_FATAL=True, JWKS_URL=closed_port_url)
    with pytest.raises(ImproperlyConfigured, match=r"could not prefetch the JWKS \(jwks_unavailable\)"):
        apps.get_app_config("fastcognito").prefetch_jwks()


# --- one schema, one reload ------------------------------------------------------------------


def test_the_defaults_come_from_the_schema() -> None:
    from fastcognito.django.alb import ALB_SETTINGS
    from fastcognito.django.conf import SCHEMA
    from fastcognito.django.hosted_ui import HOSTED_UI_DEFAULTS
    from fastcognito.django.users.config import REPLICA_DEFAULTS

    for section, defaults in (("", DEFAULTS), ("HOSTED_UI", HOSTED_UI_DEFAULTS), ("REPLICA", REPLICA_DEFAULTS)):
        assert defaults == {s.key: s.default for s in SCHEMA if s.section == section}
    assert ALB_SETTINGS == {s.key: s.argument for s in SCHEMA if s.section == "ALB"}
    assert HOSTED_UI_DEFAULTS["SCOPES"] == ("openid", "email") and REPLICA_DEFAULTS["EXCHANGE_CAP_EXP"] is True


def test_one_receiver_reloads_every_derived_value() -> None:
    from django.core.signals import setting_changed

    from fastcognito.django.alb import alb_verifier
    from fastcognito.django.hosted_ui import hosted_ui_config
    from fastcognito.django.tokens import request_policy
    from fastcognito.django.users.config import replica_config
    from fastcognito.django.users.views import exchange_verifier
    from tests.support.alb_tokens import ARN

    hosted_ui = {
        "DOMAIN": "https://myapp.auth.eu-west-1.amazoncognito.com",
        "REDIRECT_URI": "https://app.example.com/auth/callback/",
        "LOGOUT_URI": "https://app.example.com/",
    }
    alb = {"ARNS": [ARN], "CLIENT_ID": "albclient", "ISSUER": None}
    config = {
        "USER_POOL_ID": POOL_ID, "CLIENT_ID": CLIENT_ID, "COOKIE_NAME": "c", "HOSTED_UI": hosted_ui,
        "ALB": alb, "REPLICA": {"MATCH_EMAIL": True},
    }  # fmt: skip
    built = [hosted_ui_config, alb_verifier, replica_config, exchange_verifier, request_policy]
    with override_settings(FASTCOGNITO=config):
        first = [build() for build in built]
        assert [build() for build in built] == first and all(
            again is before for again, before in zip([build() for build in built], first)
        )  # built once
        fastcognito_settings.reload()
        again = [build() for build in built]
        assert all(new is not old for new, old in zip(again, first))
        assert replica_config().match_email is True and alb_verifier().client_ids == frozenset({"albclient"})
    assert replica_config().match_email is False  # override_settings' own change reloads too
    ours = [entry for entry in setting_changed.receivers if str(entry[0][0]).startswith("fastcognito")]
    assert [entry[0][0] for entry in ours] == ["fastcognito.django.conf.reload"]
