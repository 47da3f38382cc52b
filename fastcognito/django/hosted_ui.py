"""``FASTCOGNITO["HOSTED_UI"]``: parsed into a ``HostedUIConfig``, and its system checks; and the
client's address, for the sign-in throttle. The cookies the sign-in views set are ``cookies.py``'s.

Its keys, defaults and validators are in the settings schema (``conf.SCHEMA``); the checks that
relate them to the top-level keys (E105, E106, E112-E114, E122) are here. Kept apart from
``checks.py`` on purpose: the sign-in flows are opt-in, and the token settings must not depend on
them. ``hosted_ui_config()`` parses the dict once per settings change (a value derived from the
settings, dropped by their one reload: it holds nothing but configuration).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, register
from django.http import HttpRequest

from .._validate import UNSET, strings
from ..exceptions import ConfigurationError
from ..oauth import CognitoOAuthClient, cognito_api_url
from ..verifier import CognitoVerifier, parse_user_pool_id
from .conf import (
    DEFAULT_ACCESS_COOKIE,
    DERIVED,
    NOT_BUILT,
    SETTINGS_NAME,
    FastCognitoSettings,
    Problem,
    check_messages,
    defaults_of,
    fastcognito_settings,
    key_problems,
    unknown_key_problems,
)

__all__ = [
    "HOSTED_UI_DEFAULTS",
    "HostedUIConfig",
    "check_hosted_ui",
    "client_address",
    "hosted_ui_config",
    "hosted_ui_config_or_none",
    "parse_hosted_ui",
]

HOSTED_UI_DEFAULTS: dict[str, Any] = defaults_of("HOSTED_UI")
"""Every key of ``HOSTED_UI`` and its default (``UNSET``: required), from the settings schema."""


@dataclass(frozen=True)
class HostedUIConfig:
    """``HOSTED_UI`` parsed and checked, plus the objects built from it."""

    client: CognitoOAuthClient
    access_cookie_name: str
    refresh_cookie_name: str
    state_cookie_name: str
    cookie_domain: str | None
    cookie_path: str
    cookie_samesite: str
    refresh_cookie_max_age: int
    state_max_age: int
    logout_uri: str
    login_redirect_url: str
    allowed_redirect_hosts: frozenset[str]
    auto_refresh: bool
    signin_max_failures: int
    signin_max_failures_per_address: int
    signin_failure_window: int
    cache_alias: str
    id_verifier: CognitoVerifier
    trusted_proxy_count: int = 0
    max_pending_signins: int = 5

    @property
    def access_verifier(self) -> CognitoVerifier:
        # The very verifier every API request uses: a cookie set here is accepted there.
        return fastcognito_settings.verifier


# --- the client's address -----------------------------------------------------------------------


def client_address(request: HttpRequest, trusted_proxy_count: int) -> str:
    """The address of the client, for the sign-in throttle.

    With ``trusted_proxy_count`` 0 (the default) it is ``REMOTE_ADDR``, the peer of the TCP
    connection, which a client cannot choose. Behind N proxies that each append the address of
    their peer to ``X-Forwarded-For``, it is the N-th entry from the right: the one the outermost
    of our proxies wrote. Entries to its left come from the client and are never read. A header
    with fewer entries (a request that did not pass every proxy) or an entry that is not an
    address leaves ``REMOTE_ADDR``.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    if trusted_proxy_count > 0:
        entries = str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        if len(entries) >= trusted_proxy_count:
            forwarded = _ip_address(entries[-trusted_proxy_count])
            if forwarded is not None:
                return forwarded
    return _ip_address(remote) or remote


def _ip_address(text: str) -> str | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]  # [IPv6]:port
    elif text.count(":") == 1:
        text = text.partition(":")[0]  # IPv4:port, as some proxies write it
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


# --- parsing ------------------------------------------------------------------------------------


def _key(name: str) -> str:
    return f"{SETTINGS_NAME}['HOSTED_UI'][{name!r}]"


def _client_id(conf: FastCognitoSettings, values: Mapping[str, Any]) -> tuple[str | None, list[Problem]]:
    """The sign-in's app client (E105 when there is none, E106 when the APIs would refuse its
    tokens); a wrong type is its validator's E105."""
    client_id, top = values["CLIENT_ID"], conf.raw("CLIENT_ID")
    if client_id is None:
        if not (isinstance(top, str) and top):
            return None, [
                Problem(
                    "E105",
                    f"{_key('CLIENT_ID')} is not set, and the top-level CLIENT_ID is not one string.",
                    "Set HOSTED_UI['CLIENT_ID'] to the app client of the managed login.",
                )
            ]
        client_id = top
    if not isinstance(client_id, str) or not client_id:
        return None, []
    if top is not UNSET and top is not None and client_id not in (strings(top) or ()):
        return client_id, [
            Problem(
                "E106",
                f"{_key('CLIENT_ID')} is not among the top-level CLIENT_ID: the tokens it signs in with "
                "would be refused by every API.",
                "Add it to FASTCOGNITO['CLIENT_ID'].",
            )
        ]
    return client_id, []


def _top_level_problems(conf: FastCognitoSettings, values: Mapping[str, Any]) -> list[Problem]:
    """E112-E114: what the sign-in needs of the top-level keys."""
    problems: list[Problem] = []
    access_cookie = conf.access_cookie_name
    if access_cookie is None:
        if conf.source("COOKIE_NAME") == "settings" and conf.raw("COOKIE_NAME") is None:
            problems.append(
                Problem(
                    "E113",
                    f"HOSTED_UI is set but {SETTINGS_NAME}['COOKIE_NAME'] is None: the access token the "
                    "sign-in sets in a cookie would never be read.",
                    f"Leave COOKIE_NAME out (the sign-in's cookie is then {DEFAULT_ACCESS_COOKIE!r}), "
                    "or name the cookie.",
                )
            )
    elif access_cookie in (values["REFRESH_COOKIE_NAME"], values["STATE_COOKIE_NAME"]):
        message = (
            f"{SETTINGS_NAME}['COOKIE_NAME'] ({access_cookie!r}) and the HOSTED_UI cookie names must differ."
        )
        problems.append(Problem("E112", message))
    if conf.raw("TOKEN_USE") not in ("access", None):
        problems.append(
            Problem(
                "E114",
                "HOSTED_UI signs in with access tokens in a cookie, but TOKEN_USE is not 'access'.",
                "Set TOKEN_USE='access' (or None).",
            )
        )
    return problems


def _build(conf: FastCognitoSettings, values: Mapping[str, Any], client_id: str) -> HostedUIConfig | None:
    """The config of checked ``values``; ``None`` while ``USER_POOL_ID`` (E004) gives no API URL."""
    api_url = values["API_URL"]
    if api_url is None:
        try:
            api_url = cognito_api_url(conf.raw("REGION") or parse_user_pool_id(conf.raw("USER_POOL_ID")))
        except ConfigurationError:
            return None
    timeout = values["TIMEOUT"]
    if not isinstance(timeout, tuple):
        timeout = (float(timeout), float(timeout))
    client = CognitoOAuthClient(
        domain=values["DOMAIN"],
        client_id=client_id,
        client_secret=values["CLIENT_SECRET"],
        redirect_uri=values["REDIRECT_URI"],
        scopes=strings(values["SCOPES"]) or (),
        api_url=api_url,
        timeout=timeout,
    )
    options = conf.verifier_options()
    options.update(token_use="id", client_id=client_id, groups=None, scopes=None)
    pool = conf.raw("USER_POOL_ID")
    if pool is None:
        raise ConfigurationError("USER_POOL_ID is not set")
    access_cookie = conf.access_cookie_name
    if access_cookie is None:
        raise ConfigurationError("COOKIE_NAME is None")
    return HostedUIConfig(
        client=client,
        access_cookie_name=access_cookie,
        refresh_cookie_name=values["REFRESH_COOKIE_NAME"],
        state_cookie_name=values["STATE_COOKIE_NAME"],
        cookie_domain=values["COOKIE_DOMAIN"],
        cookie_path=values["COOKIE_PATH"],
        cookie_samesite=values["COOKIE_SAMESITE"],
        refresh_cookie_max_age=values["REFRESH_COOKIE_MAX_AGE"],
        state_max_age=values["STATE_MAX_AGE"],
        logout_uri=values["LOGOUT_URI"],
        login_redirect_url=values["LOGIN_REDIRECT_URL"],
        allowed_redirect_hosts=frozenset(strings(values["ALLOWED_REDIRECT_HOSTS"]) or ()),
        auto_refresh=values["AUTO_REFRESH"],
        signin_max_failures=values["SIGNIN_MAX_FAILURES"],
        signin_max_failures_per_address=values["SIGNIN_MAX_FAILURES_PER_ADDRESS"],
        signin_failure_window=values["SIGNIN_FAILURE_WINDOW"],
        cache_alias=values["CACHE"],
        id_verifier=CognitoVerifier(pool, **options),
        trusted_proxy_count=values["TRUSTED_PROXY_COUNT"],
        max_pending_signins=values["MAX_PENDING_SIGNINS"],
    )


def parse_hosted_ui(conf: FastCognitoSettings) -> tuple[HostedUIConfig | None, list[Problem]]:
    """``HOSTED_UI`` checked and built, or the problems its system checks report. ``None`` with
    no problem: not configured (or not a dict, which ``check_settings`` reports as E015)."""
    raw = conf.raw("HOSTED_UI")
    if not isinstance(raw, Mapping):
        return None, []
    values = {**HOSTED_UI_DEFAULTS, **raw}
    problems = unknown_key_problems("HOSTED_UI", raw) + key_problems("HOSTED_UI", values.__getitem__, _key)
    client_id, client_problems = _client_id(conf, values)
    problems += client_problems + _top_level_problems(conf, values)
    if problems or client_id is None:
        return None, problems
    try:
        return _build(conf, values, client_id), []
    except (ConfigurationError, TypeError, ValueError) as err:
        return None, [Problem("E122", f"{SETTINGS_NAME}['HOSTED_UI'] cannot be used: {err}.")]


def _parsed() -> HostedUIConfig | None:
    config, problems = parse_hosted_ui(fastcognito_settings)
    if problems:
        raise ConfigurationError("; ".join(problem.message for problem in problems))
    return config


def hosted_ui_config() -> HostedUIConfig | None:
    """The parsed ``HOSTED_UI`` (``None`` when not configured), once per settings change;
    ``ConfigurationError`` when it is wrong, naming every problem the system checks report."""
    config: HostedUIConfig | None = DERIVED.hosted_ui  # per request: a slot read
    if config is NOT_BUILT:
        config = fastcognito_settings.derive("hosted_ui", _parsed)
    return config


def hosted_ui_config_or_none() -> HostedUIConfig | None:
    """``hosted_ui_config()``, or ``None`` when it is not configured or not usable (for the hot
    path of the middleware, which must not fail every request over a check-reported mistake)."""
    try:
        return hosted_ui_config()
    except ConfigurationError:
        return None


@register("fastcognito")
def check_hosted_ui(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every key of ``HOSTED_UI``, read afresh (ids fastcognito.E101 and up)."""
    user = getattr(settings, SETTINGS_NAME, None)
    if not isinstance(user, Mapping):
        return []
    return check_messages(parse_hosted_ui(FastCognitoSettings(user))[1])
