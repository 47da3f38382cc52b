"""``FASTCOGNITO["HOSTED_UI"]``: its keys, their defaults and their system checks; and the client's
address, for the sign-in throttle. The cookies the sign-in views set are ``cookies.py``'s.

Kept apart from ``conf.py`` and ``checks.py`` on purpose: the sign-in flows are opt-in, and the
token settings must not depend on them. ``hosted_ui_config()`` parses the dict once per settings
change (a per-process cache that can be lost: it holds nothing but configuration).
"""

from __future__ import annotations

import difflib
import ipaddress
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.signals import setting_changed
from django.http import HttpRequest

from ..exceptions import ConfigurationError
from ..oauth import DEFAULT_TIMEOUT, CognitoOAuthClient, cognito_api_url
from ..verifier import CognitoVerifier, is_loopback, parse_user_pool_id
from .conf import SETTINGS_NAME, UNSET, FastCognitoSettings, fastcognito_settings

__all__ = ["HOSTED_UI_DEFAULTS", "HostedUIConfig", "check_hosted_ui", "client_address", "hosted_ui_config"]

REQUIRED = object()

HOSTED_UI_DEFAULTS: dict[str, Any] = {
    "DOMAIN": REQUIRED,
    "CLIENT_ID": None,  # None: the top-level CLIENT_ID when that is one string
    "CLIENT_SECRET": None,
    "REDIRECT_URI": REQUIRED,
    "SCOPES": ("openid", "email"),
    "LOGOUT_URI": REQUIRED,
    "ALLOWED_REDIRECT_HOSTS": (),
    "LOGIN_REDIRECT_URL": "/",
    "API_URL": None,  # None: Cognito's JSON API in the user pool's region
    "REFRESH_COOKIE_NAME": "fastcognito_refresh",
    "STATE_COOKIE_NAME": "fastcognito_signin",
    "COOKIE_DOMAIN": None,
    "COOKIE_PATH": "/",
    "COOKIE_SAMESITE": "Lax",
    "REFRESH_COOKIE_MAX_AGE": 30 * 24 * 3600,
    "STATE_MAX_AGE": 600,
    "TIMEOUT": DEFAULT_TIMEOUT,
    "AUTO_REFRESH": False,
    "SIGNIN_MAX_FAILURES": 5,
    "SIGNIN_MAX_FAILURES_PER_ADDRESS": 20,
    "SIGNIN_FAILURE_WINDOW": 300,
    "CACHE": "default",
    # How many proxies in front of Django append the client's address to X-Forwarded-For. 0: the
    # header is never read (anyone can write it), REMOTE_ADDR is the client.
    "TRUSTED_PROXY_COUNT": 0,
    # Sign-in attempts (state cookies) one browser may have pending at once; login/ drops the
    # oldest beyond it, so the cookies sent to the callback stay small.
    "MAX_PENDING_SIGNINS": 5,
}

MAX_TRUSTED_PROXIES = 16
MAX_PENDING_LIMIT = 20

DOCS = "see docs/sign-in.md for every HOSTED_UI key"
_SAMESITE = ("Lax", "Strict", "None")


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


class _Problems:
    def __init__(self) -> None:
        self.items: list[tuple[int, str, str | None]] = []

    def add(self, number: int, message: str, hint: str | None = None) -> None:
        self.items.append((number, message, hint))


def _key(name: str) -> str:
    return f"{SETTINGS_NAME}['HOSTED_UI'][{name!r}]"


def _url_ok(value: object) -> bool:
    if not isinstance(value, str) or not value:
        return False
    parts = urlsplit(value)
    return (parts.scheme == "https" and bool(parts.hostname)) or (
        parts.scheme == "http" and is_loopback(parts.hostname)
    )


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _int_within(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _strings(value: object) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        items = tuple(value)
        if all(isinstance(item, str) and item for item in items):
            return items
    return None


def _parse(conf: FastCognitoSettings, problems: _Problems) -> HostedUIConfig | None:
    raw = conf.raw("HOSTED_UI")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        return None  # reported by check_settings (E015)
    for name in raw:
        if name not in HOSTED_UI_DEFAULTS:
            close = difflib.get_close_matches(str(name), HOSTED_UI_DEFAULTS, n=1)
            problems.add(101, f"{SETTINGS_NAME}['HOSTED_UI'] has an unknown key {name!r}.",
                         f"Did you mean {close[0]!r}?" if close else None)
    values = {**HOSTED_UI_DEFAULTS, **raw}
    for name, value in values.items():
        if value is REQUIRED:
            problems.add(102, f"{_key(name)} is required.", None)

    domain = values["DOMAIN"]
    if domain is not REQUIRED and not (_url_ok(domain) and urlsplit(domain).path in ("", "/")):
        problems.add(103, f"{_key('DOMAIN')} must be the managed-login base URL, e.g. "
                          f"'https://myapp.auth.eu-west-1.amazoncognito.com' (plain http only on loopback).")
    for name in ("REDIRECT_URI", "LOGOUT_URI"):
        value = values[name]
        if value is not REQUIRED and not _url_ok(value):
            problems.add(104, f"{_key(name)} must be an absolute https URL (plain http only on loopback), "
                              "registered on the app client.")

    client_id = values["CLIENT_ID"]
    top_client = conf.raw("CLIENT_ID")
    if client_id is None:
        if isinstance(top_client, str) and top_client:
            client_id = top_client
        else:
            problems.add(105, f"{_key('CLIENT_ID')} is not set, and the top-level CLIENT_ID is not one string.",
                         "Set HOSTED_UI['CLIENT_ID'] to the app client of the managed login.")
    elif not isinstance(client_id, str) or not client_id:
        problems.add(105, f"{_key('CLIENT_ID')} must be a non-empty string.")
        client_id = None
    if isinstance(client_id, str) and top_client is not UNSET and top_client is not None:
        allowed = _strings(top_client) or ()
        if client_id not in allowed:
            problems.add(106, f"{_key('CLIENT_ID')} is not among the top-level CLIENT_ID: the tokens it "
                              "signs in with would be refused by every API.",
                         "Add it to FASTCOGNITO['CLIENT_ID'].")
    secret = values["CLIENT_SECRET"]
    if secret is not None and (not isinstance(secret, str) or not secret):
        problems.add(107, f"{_key('CLIENT_SECRET')} must be a non-empty string or None.")

    scopes = _strings(values["SCOPES"])
    if scopes is None or any(" " in scope for scope in scopes) or "openid" not in scopes:
        problems.add(108, f"{_key('SCOPES')} must be a list of scopes that includes 'openid'.",
                     "'openid' brings the id token that carries the nonce of each sign-in.")
    hosts = _strings(values["ALLOWED_REDIRECT_HOSTS"])
    if hosts is None:
        problems.add(109, f"{_key('ALLOWED_REDIRECT_HOSTS')} must be a list of host names.")
    login_redirect = values["LOGIN_REDIRECT_URL"]
    if not isinstance(login_redirect, str) or not login_redirect.startswith("/") or login_redirect.startswith("//"):
        problems.add(110, f"{_key('LOGIN_REDIRECT_URL')} must be a path on this site, e.g. '/'.")
    api_url = values["API_URL"]
    if api_url is None:
        pool = conf.raw("USER_POOL_ID")
        region = conf.raw("REGION")
        try:
            api_url = cognito_api_url(region or parse_user_pool_id(pool))
        except ConfigurationError:
            api_url = None  # USER_POOL_ID is reported by check_settings
    elif not _url_ok(api_url):
        problems.add(111, f"{_key('API_URL')} must be an https URL (plain http only on loopback) or None.")
        api_url = None

    for name in ("REFRESH_COOKIE_NAME", "STATE_COOKIE_NAME"):
        value = values[name]
        if not isinstance(value, str) or not value or not value.replace("_", "").replace("-", "").isalnum():
            problems.add(112, f"{_key(name)} must be a cookie name of letters, digits, '-' and '_'.")
    access_cookie = conf.raw("COOKIE_NAME")
    if not isinstance(access_cookie, str) or not access_cookie:
        problems.add(113, f"HOSTED_UI is set but {SETTINGS_NAME}['COOKIE_NAME'] is not: the access token "
                          "the sign-in sets in a cookie would never be read.",
                     "Set COOKIE_NAME, e.g. 'fastcognito_access'.")
    elif access_cookie in (values["REFRESH_COOKIE_NAME"], values["STATE_COOKIE_NAME"]):
        problems.add(112, f"{SETTINGS_NAME}['COOKIE_NAME'] and the HOSTED_UI cookie names must differ.")
    if conf.raw("TOKEN_USE") not in ("access", None):
        problems.add(114, "HOSTED_UI signs in with access tokens in a cookie, but TOKEN_USE is not 'access'.",
                     "Set TOKEN_USE='access' (or None).")
    domain_value = values["COOKIE_DOMAIN"]
    if domain_value is not None and (not isinstance(domain_value, str) or not domain_value):
        problems.add(115, f"{_key('COOKIE_DOMAIN')} must be a domain or None.")
    path_value = values["COOKIE_PATH"]
    if not isinstance(path_value, str) or not path_value.startswith("/"):
        problems.add(116, f"{_key('COOKIE_PATH')} must be a path starting with '/'.")
    samesite = values["COOKIE_SAMESITE"]
    if samesite not in _SAMESITE:
        problems.add(117, f"{_key('COOKIE_SAMESITE')} must be 'Lax', 'Strict' or 'None'.")
    for name in ("REFRESH_COOKIE_MAX_AGE", "STATE_MAX_AGE", "SIGNIN_MAX_FAILURES",
                 "SIGNIN_MAX_FAILURES_PER_ADDRESS", "SIGNIN_FAILURE_WINDOW"):
        if not _positive_int(values[name]):
            problems.add(118, f"{_key(name)} must be a positive integer.")
    timeout = values["TIMEOUT"]
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        timeout = (float(timeout), float(timeout))
    if not (
        isinstance(timeout, tuple)
        and len(timeout) == 2
        and all(isinstance(t, (int, float)) and not isinstance(t, bool) and 0 < t <= 60 for t in timeout)
    ):
        problems.add(119, f"{_key('TIMEOUT')} must be seconds, or a (connect, read) pair, above 0 and at most 60.")
    if not isinstance(values["AUTO_REFRESH"], bool):
        problems.add(120, f"{_key('AUTO_REFRESH')} must be True or False.")
    cache_alias = values["CACHE"]
    if not isinstance(cache_alias, str) or cache_alias not in getattr(settings, "CACHES", {"default": {}}):
        problems.add(121, f"{_key('CACHE')} must name one of settings.CACHES.",
                     "Sign-in throttling is shared by every worker through this cache: use Redis or "
                     "Memcached in production.")
    proxies = values["TRUSTED_PROXY_COUNT"]
    if not _int_within(proxies, 0, MAX_TRUSTED_PROXIES):
        problems.add(123, f"{_key('TRUSTED_PROXY_COUNT')} must be an integer from 0 to "
                          f"{MAX_TRUSTED_PROXIES}.",
                     "The number of proxies in front of Django that append to X-Forwarded-For; 0 (the "
                     "default) reads REMOTE_ADDR only.")
    pending = values["MAX_PENDING_SIGNINS"]
    if not _int_within(pending, 1, MAX_PENDING_LIMIT):
        problems.add(124, f"{_key('MAX_PENDING_SIGNINS')} must be an integer from 1 to {MAX_PENDING_LIMIT}.",
                     "Each pending sign-in is a cookie of about 350 bytes, sent to the callback.")

    if problems.items or not isinstance(client_id, str) or api_url is None:
        return None
    try:
        client = CognitoOAuthClient(
            domain=domain,
            client_id=client_id,
            client_secret=secret,
            redirect_uri=values["REDIRECT_URI"],
            scopes=scopes or (),
            api_url=api_url,
            timeout=timeout,
        )
        options = conf.verifier_options()
        options.update(token_use="id", client_id=client_id, groups=None, scopes=None)
        pool = conf.raw("USER_POOL_ID")
        if pool is None:
            raise ConfigurationError("USER_POOL_ID is not set")
        id_verifier = CognitoVerifier(pool, **options)
    except (ConfigurationError, TypeError, ValueError) as err:
        problems.add(122, f"{SETTINGS_NAME}['HOSTED_UI'] cannot be used: {err}.")
        return None
    return HostedUIConfig(
        client=client,
        access_cookie_name=access_cookie,
        refresh_cookie_name=values["REFRESH_COOKIE_NAME"],
        state_cookie_name=values["STATE_COOKIE_NAME"],
        cookie_domain=domain_value,
        cookie_path=path_value,
        cookie_samesite=samesite,
        refresh_cookie_max_age=values["REFRESH_COOKIE_MAX_AGE"],
        state_max_age=values["STATE_MAX_AGE"],
        logout_uri=values["LOGOUT_URI"],
        login_redirect_url=login_redirect,
        allowed_redirect_hosts=frozenset(hosts or ()),
        auto_refresh=values["AUTO_REFRESH"],
        signin_max_failures=values["SIGNIN_MAX_FAILURES"],
        signin_max_failures_per_address=values["SIGNIN_MAX_FAILURES_PER_ADDRESS"],
        signin_failure_window=values["SIGNIN_FAILURE_WINDOW"],
        cache_alias=cache_alias,
        id_verifier=id_verifier,
        trusted_proxy_count=proxies,
        max_pending_signins=pending,
    )


_lock = threading.Lock()
_cached: list[HostedUIConfig | None] = []


def hosted_ui_config() -> HostedUIConfig | None:
    """The parsed ``HOSTED_UI`` (``None`` when not configured); ``ConfigurationError`` when it is
    wrong, naming every problem the system checks report."""
    if _cached:
        return _cached[0]
    with _lock:
        if not _cached:
            problems = _Problems()
            config = _parse(fastcognito_settings, problems)
            if problems.items:
                raise ConfigurationError("; ".join(message for _, message, _ in problems.items))
            _cached.append(config)
    return _cached[0]


def hosted_ui_config_or_none() -> HostedUIConfig | None:
    """``hosted_ui_config()``, or ``None`` when it is not configured or not usable (for the hot
    path of the middleware, which must not fail every request over a check-reported mistake)."""
    try:
        return hosted_ui_config()
    except ConfigurationError:
        return None


def _forget(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTINGS_NAME:
        with _lock:
            _cached.clear()


setting_changed.connect(_forget, dispatch_uid="fastcognito.django.hosted_ui.forget")


@register("fastcognito")
def check_hosted_ui(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every key of ``HOSTED_UI``, read afresh (ids fastcognito.E101 and up)."""
    user = getattr(settings, SETTINGS_NAME, None)
    if not isinstance(user, Mapping):
        return []
    problems = _Problems()
    _parse(FastCognitoSettings(user), problems)
    return [
        Error(message, hint=hint or DOCS, obj=SETTINGS_NAME, id=f"fastcognito.E{number:03d}")
        for number, message, hint in problems.items
    ]
