"""System checks (``manage.py check``): one id per misconfiguration of ``FASTCOGNITO``.

Registered by the app config ``fastcognito.django``. Each check reads the settings afresh.
"""

from __future__ import annotations

import difflib
import inspect
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.checks import Warning as CheckWarning
from django.utils.module_loading import import_string

from .. import _impl
from .._constants import ENV_NO_EXTENSIONS, MAX_DENYLIST_STALENESS, TOKEN_USES
from ..claims import Claims
from ..exceptions import ConfigurationError, JWKSError
from ..jwk import KeySet
from ..verifier import ISSUER_FORMS, CognitoVerifier, cognito_issuers, parse_user_pool_id
from .conf import (
    DEFAULTS,
    ENVIRONMENT_FALLBACKS,
    SETTINGS_NAME,
    UNSET,
    FastCognitoSettings,
    jwks_timeout_setting,
    load_jwks_setting,
)
from .hosted_ui import check_hosted_ui  # noqa: F401  (registers the HOSTED_UI checks, E101 and up)

__all__ = ["check_settings", "check_middleware", "check_extension", "check_denylist_cache"]

CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
COGNITO_MIDDLEWARE = (
    "fastcognito.django.CognitoMiddleware",
    "fastcognito.django.middleware.CognitoMiddleware",
)
ALB_MIDDLEWARE = ("fastcognito.django.alb.AlbMiddleware",)

DOCS = "see the FASTCOGNITO settings reference in the README"


def _error(msg: str, hint: str | None, number: int) -> Error:
    return Error(msg, hint=hint or DOCS, obj=SETTINGS_NAME, id=f"fastcognito.E{number:03d}")


def _show(value: object) -> str:
    """``repr(value)``, short, and never an exception: the check must report, not crash."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001
        return f"<a {type(value).__name__} that cannot be shown>"
    return text if len(text) <= 80 else f"{text[:77]}..."


def _reason(err: Exception) -> str:
    """The message of a rejection; for an unexpected exception its type too, and never a crash."""
    try:
        text = str(err)
    except Exception:  # noqa: BLE001
        text = ""
    return text if isinstance(err, ConfigurationError) else f"{type(err).__name__}: {text}"


def _env_hint(key: str) -> str:
    """`` (or the environment variable X)`` for keys with an environment fallback."""
    names = ENVIRONMENT_FALLBACKS.get(key, ())
    if not names:
        return ""
    return f" (or the environment variable {' or '.join(names)})"


def _suggest_key(key: object) -> str:
    """A hint for an unknown key: the known key it most likely means (case-insensitively)."""
    text = str(key)
    if text.upper() in DEFAULTS:
        return f"Did you mean {text.upper()!r}? Keys are upper case."
    close = difflib.get_close_matches(text.upper(), DEFAULTS, n=1)
    return f"Did you mean {close[0]!r}?" if close else f"Known keys: {', '.join(sorted(DEFAULTS))}."


def _is_string_collection(value: object, *, allow_empty: bool = True) -> bool:
    if isinstance(value, str):
        return bool(value)
    if not isinstance(value, Iterable) or isinstance(value, Mapping):
        return False
    items = list(value)
    return (allow_empty or bool(items)) and all(isinstance(item, str) and item for item in items)


@register("fastcognito")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every key of ``FASTCOGNITO``: presence, types, and whether a verifier can be built."""
    user = getattr(settings, SETTINGS_NAME, None)
    if user is None:
        user = {}
    if not isinstance(user, Mapping):
        return [_error(f"{SETTINGS_NAME} must be a dict, got {type(user).__name__}.", None, 1)]
    conf = FastCognitoSettings(user)
    errors: list[CheckMessage] = []

    for key in user:
        if key not in DEFAULTS:
            errors.append(_error(f"{SETTINGS_NAME} has an unknown key {_show(key)}.", _suggest_key(key), 2))

    pool = conf.raw("USER_POOL_ID")
    pool_ok = False
    if pool is None:
        errors.append(
            _error(
                f"{SETTINGS_NAME}['USER_POOL_ID'] is not set.",
                f"Set it to your user pool id, e.g. 'eu-west-1_AbC123'{_env_hint('USER_POOL_ID')}.",
                3,
            )
        )
    else:
        try:
            parse_user_pool_id(pool)
            pool_ok = True
        except ConfigurationError as err:
            errors.append(_error(f"{conf.describe('USER_POOL_ID')}: {err}.", None, 4))

    client_id = conf.raw("CLIENT_ID")
    client_ok = False
    if client_id is UNSET:
        errors.append(
            _error(
                f"{SETTINGS_NAME}['CLIENT_ID'] is not set: no policy for which app clients to accept.",
                "Set the app client id (or a list of them) that tokens must be issued to"
                f"{_env_hint('CLIENT_ID')}, or CLIENT_ID=None to accept tokens of every app client "
                "of the pool on purpose.",
                5,
            )
        )
    elif client_id is not None and not _is_string_collection(client_id, allow_empty=False):
        errors.append(
            _error(
                f"{conf.describe('CLIENT_ID')} must be a string, a non-empty list of strings or None, "
                f"got {_show(client_id)}.",
                None,
                6,
            )
        )
    else:
        client_ok = True

    token_use = conf.raw("TOKEN_USE")
    token_use_ok = token_use is None or (isinstance(token_use, str) and token_use in TOKEN_USES)
    if not token_use_ok:
        errors.append(
            _error(
                f"{SETTINGS_NAME}['TOKEN_USE'] is {_show(token_use)}, not a known token use.",
                "Use 'access' (APIs), 'id', or None to accept both on purpose.",
                7,
            )
        )

    user_class = conf.raw("USER_CLASS")
    try:
        if isinstance(user_class, str):
            user_class = import_string(user_class)
        # DRF's permissions and Django's views read user.is_authenticated: anything else would
        # fail per request, as a 500.
        is_factory = inspect.isroutine(user_class) and getattr(user_class, "fastcognito_user_factory", False)
        if not is_factory and (not inspect.isclass(user_class) or not hasattr(user_class, "is_authenticated")):
            raise ImportError(
                "it is not a user class (a class with is_authenticated) nor a function marked "
                "with @fastcognito.django.user_factory"
            )
        try:
            inspect.signature(user_class).bind(Claims({}))
        except ValueError:
            pass  # no signature to read (some builtins): it may still work
        except TypeError as err:
            raise ImportError(f"it cannot be called with the claims alone ({err})") from None
    except Exception as err:  # noqa: BLE001  (an import path can fail with any exception)
        errors.append(
            _error(
                f"{SETTINGS_NAME}['USER_CLASS'] = {_show(conf.raw('USER_CLASS'))} cannot be used: {err}.",
                "Give the import path of a user class called with the token's claims, "
                "e.g. 'fastcognito.django.CognitoUser' or a subclass, or of a function marked "
                "with @fastcognito.django.user_factory, e.g. 'fastcognito.django.users.replica_user'.",
                8,
            )
        )

    cookie_name = conf.raw("COOKIE_NAME")
    if cookie_name is not None:
        if not isinstance(cookie_name, str) or not cookie_name:
            errors.append(
                _error(f"{conf.describe('COOKIE_NAME')} must be a non-empty string or None.", None, 9)
            )
        elif CSRF_MIDDLEWARE not in (getattr(settings, "MIDDLEWARE", None) or ()):
            errors.append(
                _error(
                    f"{conf.describe('COOKIE_NAME')} reads tokens from a cookie, but {CSRF_MIDDLEWARE} "
                    "is not in MIDDLEWARE.",
                    "A browser sends cookies with cross-site requests: add the CSRF middleware, "
                    "or set COOKIE_NAME=None to read tokens from the Authorization header only.",
                    10,
                )
            )

    header_types = conf.raw("AUTH_HEADER_TYPES")
    if not _is_string_collection(header_types, allow_empty=False) or any(
        any(char.isspace() for char in header_type)
        for header_type in ((header_types,) if isinstance(header_types, str) else header_types)
    ):
        errors.append(
            _error(
                f"{SETTINGS_NAME}['AUTH_HEADER_TYPES'] must be a non-empty list of words, "
                f"e.g. ('Bearer',), got {_show(header_types)}.",
                None,
                11,
            )
        )

    for key in ("STAFF_GROUPS", "SUPERUSER_GROUPS"):
        value = conf.raw(key)
        if value is not None and not _is_string_collection(value):
            errors.append(_error(f"{SETTINGS_NAME}[{key!r}] must be a list of group names.", None, 12))

    permissions = conf.raw("GROUP_PERMISSIONS")
    if permissions is not None and not (
        isinstance(permissions, Mapping)
        and all(
            isinstance(group, str)
            and not isinstance(perms, str)
            and _is_string_collection(perms)
            and all(perm.count(".") >= 1 and "" not in perm.split(".", 1) for perm in perms)
            for group, perms in permissions.items()
        )
    ):
        errors.append(
            _error(
                f"{SETTINGS_NAME}['GROUP_PERMISSIONS'] must map group names to lists of "
                "'app_label.codename' strings.",
                "e.g. {'editors': ['blog.add_post', 'blog.change_post']}",
                13,
            )
        )

    prefetch, prefetch_fatal = conf.raw("PREFETCH_JWKS"), conf.raw("PREFETCH_JWKS_FATAL")
    if not isinstance(prefetch, bool) or not isinstance(prefetch_fatal, bool):
        errors.append(
            _error(
                f"{SETTINGS_NAME}['PREFETCH_JWKS'] and ['PREFETCH_JWKS_FATAL'] must be True or False.", None, 14
            )
        )
    elif prefetch_fatal and not prefetch:
        errors.append(
            _error(
                f"{SETTINGS_NAME}['PREFETCH_JWKS_FATAL'] is True but PREFETCH_JWKS is False: nothing is "
                "prefetched, so nothing can fail.",
                "Set PREFETCH_JWKS=True as well, or drop PREFETCH_JWKS_FATAL.",
                14,
            )
        )

    hosted_ui = conf.raw("HOSTED_UI")
    if hosted_ui is not None and not isinstance(hosted_ui, Mapping):
        errors.append(_error(f"{SETTINGS_NAME}['HOSTED_UI'] must be a dict or None.", None, 15))

    realm = conf.raw("WWW_AUTHENTICATE_REALM")
    # RFC 7235 §2.2: the realm is a quoted-string in a header, so printable ASCII only.
    if not isinstance(realm, str) or not realm or not (realm.isascii() and realm.isprintable()) or any(
        char in realm for char in '"\\'
    ):
        errors.append(
            _error(
                f"{SETTINGS_NAME}['WWW_AUTHENTICATE_REALM'] must be a non-empty string of printable ASCII "
                "without quotes.",
                None,
                16,
            )
        )

    # ISSUER_FORM, ADDITIONAL_REGIONS, JWKS, JWKS_TIMEOUT and ALB have checks of their own; while
    # one fails, building the verifier would only report the same mistake again as E017.
    source_errors = _token_source_errors(conf) + _principal_errors(conf)
    errors.extend(source_errors)
    if pool_ok and client_ok and token_use_ok and not source_errors:
        # What remains (REGION, ISSUER, JWKS_URL, JWKS, LEEWAY, CACHE_SIZE, GROUPS, SCOPES,
        # JWKS_COOLDOWN, MAX_TOKEN_BYTES) is checked by building the verifier itself: no fetch
        # happens. Any exception is a rejection: a check that crashes reports nothing useful.
        try:
            CognitoVerifier(pool, **conf.verifier_options())
        except Exception as err:  # noqa: BLE001
            reason = _reason(err)
            from_env = [
                f"{key} from {source}"
                for key in ENVIRONMENT_FALLBACKS
                if (source := conf.source(key)) not in (None, "settings")
            ]
            hint = f"Values taken from the environment: {', '.join(from_env)}." if from_env else None
            errors.append(_error(f"{SETTINGS_NAME} cannot build a verifier: {reason}.", hint, 17))
    return errors


@register("fastcognito")
def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``CognitoMiddleware`` must come after ``AuthenticationMiddleware``, which would overwrite it;
    ``AlbMiddleware`` needs ``CsrfViewMiddleware``, because its credential is ambient."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or ())
    errors: list[CheckMessage] = []
    ours = [index for index, path in enumerate(middleware) if path in COGNITO_MIDDLEWARE + ALB_MIDDLEWARE]
    if ours and AUTH_MIDDLEWARE in middleware and middleware.index(AUTH_MIDDLEWARE) > ours[0]:
        errors.append(
            Error(
                f"CognitoMiddleware comes before {AUTH_MIDDLEWARE} in MIDDLEWARE, "
                "which then replaces the Cognito user with the session's.",
                hint=f"Move CognitoMiddleware after {AUTH_MIDDLEWARE}.",
                obj="MIDDLEWARE",
                id="fastcognito.E018",
            )
        )
    if any(path in ALB_MIDDLEWARE for path in middleware) and CSRF_MIDDLEWARE not in middleware:
        # The ALB adds x-amzn-oidc-data to every request that carries its session cookie,
        # cross-site ones included: without the CSRF middleware a forged form acts as the user.
        errors.append(
            Error(
                f"AlbMiddleware authenticates by the ALB's x-amzn-oidc-data header, but {CSRF_MIDDLEWARE} "
                "is not in MIDDLEWARE.",
                hint="The ALB adds that header to cross-site requests too, as a browser sends a cookie: "
                "add the CSRF middleware.",
                obj="MIDDLEWARE",
                id="fastcognito.E019",
            )
        )
    return errors


@register("fastcognito")
def check_extension(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The compiled hot path could not be imported, so every verification runs the pure twin.

    A warning, not an error: the pure twin accepts and rejects the same tokens, only slower, so
    start-up goes on. Servers run no system checks; ``ready()`` logs the same text for them.
    """
    reason = _impl.EXTENSION_ERROR  # read now, not at import: tests patch it
    if reason is None:
        return []
    import fastcognito

    return [
        CheckWarning(
            f"fastcognito's compiled hot path could not be imported ({reason}), so every token "
            "verification runs the pure-Python twin, several times slower.",
            hint=(
                "Install a wheel built for this platform, or rebuild it with "
                "`pip install --force-reinstall fastcognito` (an sdist needs a C compiler). "
                "Make sure the installed package is imported, not a source checkout: "
                f"fastcognito is imported from {fastcognito.__file__}. "
                f"To run the pure twin on purpose, set {ENV_NO_EXTENSIONS}=1, which silences this."
            ),
            id="fastcognito.W001",
        )
    ]


# --- issuer forms, replica Regions, offline keys, JWKS timeouts, ALB (E130-E139) ----------------


def _token_source_errors(conf: FastCognitoSettings) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    form = conf.raw("ISSUER_FORM")
    form_ok = isinstance(form, str) and form in ISSUER_FORMS
    if not form_ok:
        errors.append(
            _error(
                f"{SETTINGS_NAME}['ISSUER_FORM'] is {_show(form)}.",
                "Use 'original' (https://cognito-idp...), 'updated' (https://issuer-cognito-idp...), "
                "or 'both' while the pool switches.",
                130,
            )
        )
    regions = conf.raw("ADDITIONAL_REGIONS")
    pool = conf.raw("USER_POOL_ID")
    if form_ok and isinstance(pool, str):
        try:
            parse_user_pool_id(pool)
        except ConfigurationError:
            pass  # reported by check_settings
        else:
            try:
                cognito_issuers(pool, issuer_form=form, additional_regions=() if regions is None else regions)
            except Exception as err:  # noqa: BLE001  (a check reports; it never crashes)
                errors.append(
                    _error(
                        f"{SETTINGS_NAME}['ADDITIONAL_REGIONS']: {_reason(err)}.",
                        "List the replica Regions of a multi-Region pool, e.g. ['eu-central-1'].",
                        131,
                    )
                )
    try:
        document = load_jwks_setting(conf.raw("JWKS"))
        if document is not None:
            try:
                KeySet.from_jwks(document)
            except JWKSError as err:
                raise ConfigurationError(f"{SETTINGS_NAME}['JWKS'] is not a usable JWKS: {err}") from err
    except Exception as err:  # noqa: BLE001
        errors.append(
            _error(f"{_reason(err)}.", "Give a JWKS document (a dict with 'keys') or the path of a JSON file.", 132)
        )
    try:
        timeout = jwks_timeout_setting(conf.raw("JWKS_TIMEOUT"))
        if not all(
            isinstance(part, (int, float)) and not isinstance(part, bool) and 0.001 <= part < math.inf
            for part in timeout
        ):
            raise ConfigurationError(f"{SETTINGS_NAME}['JWKS_TIMEOUT'] must hold positive finite seconds")
    except Exception as err:  # noqa: BLE001
        errors.append(_error(f"{_reason(err)}.", "e.g. 'JWKS_TIMEOUT': (1.5, 3.0) or 'JWKS_TIMEOUT': 2.", 133))
    if conf.raw("ALB") is not None:
        from .alb import build_alb_verifier

        try:
            build_alb_verifier(conf)
        except Exception as err:  # noqa: BLE001
            errors.append(
                _error(
                    f"{SETTINGS_NAME}['ALB'] cannot build an ALB verifier: {_reason(err)}.",
                    "See 'ALB tokens' in docs/tokens.md.",
                    134,
                )
            )
    return errors


# --- revocation denylist and machine tokens (E140-E149, W002-W010) ----------------------------

DUMMY_CACHE = "django.core.cache.backends.dummy.DummyCache"
DEFAULT_CACHE_BACKEND = "django.core.cache.backends.locmem.LocMemCache"
SESSION_CACHE_ENGINES = (
    "django.contrib.sessions.backends.cache",
    "django.contrib.sessions.backends.cached_db",
)
PAGE_CACHE_MIDDLEWARE = "django.middleware.cache.UpdateCacheMiddleware"
DENYLIST_DOCS = "See 'Where revocations live' in docs/tokens.md."
MEMCACHED_BACKEND = "django.core.cache.backends.memcached.BaseMemcachedCache"
# pymemcache's HashClient keeps a server that failed out of use this long (its default), and
# looks again only that long after its last look: up to twice this after the server is back.
PYMEMCACHE_DEAD_TIMEOUT = 60
# Above this, recovery after an outage is no longer a matter of seconds (W010).
MAX_DEAD_TIMEOUT = 5
_REDIS_SCHEMES = ("redis", "rediss", "unix")


def _caches_setting() -> Mapping[str, Any]:
    value = getattr(settings, "CACHES", None)
    return value if isinstance(value, Mapping) else {"default": {"BACKEND": DEFAULT_CACHE_BACKEND}}


def _entry(caches_setting: Mapping[str, Any], alias: str) -> Mapping[str, Any]:
    entry = caches_setting.get(alias)
    return entry if isinstance(entry, Mapping) else {}


def _backend_class(config: Mapping[str, Any]) -> type | None:
    """The class of a ``CACHES`` entry, or ``None`` when it cannot be imported (Django reports
    that itself): subclasses of Django's backends count as those backends."""
    try:
        backend = import_string(str(config.get("BACKEND", DEFAULT_CACHE_BACKEND)))
    except Exception:  # noqa: BLE001  (an import path can fail with any exception)
        return None
    return backend if inspect.isclass(backend) else None


def _is_backend(config: Mapping[str, Any], path: str) -> bool:
    backend = _backend_class(config)
    if backend is None:
        return config.get("BACKEND") == path
    try:
        return issubclass(backend, import_string(path))
    except Exception:  # noqa: BLE001  (an optional client library may be missing)
        return False


def _host(name: str | None) -> str:
    """A host name as the check compares it: the loopback names are one host."""
    host = (name or "").strip("[]").lower()
    return "localhost" if host in ("localhost", "127.0.0.1", "::1") else host


def _cache_places(config: Mapping[str, Any]) -> set[tuple[str, str, str]]:
    """Where a ``CACHES`` entry keeps its data, one ``(kind, server, database)`` per server. A
    Redis URL is its host and port, and its database number; a process-local or file cache is
    its backend and ``LOCATION`` (two LocMemCaches of one ``LOCATION`` share one store)."""
    location = config.get("LOCATION", "")
    if isinstance(location, str):
        listed = re.split("[;,]", location)  # as Django's Redis and Memcached backends split it
    elif isinstance(location, Iterable):
        listed = [str(item) for item in location]
    else:
        listed = [str(location)]
    servers = [server.strip() for server in listed if server.strip()]
    places: set[tuple[str, str, str]] = set()
    for server in servers or [""]:
        try:
            parts = urlsplit(server) if "://" in server else None
        except ValueError:  # e.g. an unclosed IPv6 bracket: Django reports it when connecting
            parts = None
        if parts is not None and parts.scheme in _REDIS_SCHEMES:
            try:
                port = str(parts.port or 6379)
            except ValueError:
                port = "?"
            database = parse_qs(parts.query).get("db", [parts.path.strip("/") or "0"])[0]
            where = parts.path if parts.scheme == "unix" else f"{_host(parts.hostname)}:{port}"
            places.add(("redis", where, database))
        elif _is_backend(config, MEMCACHED_BACKEND):
            host, _, port = server.rpartition(":") if ":" in server else (server, "", "11211")
            places.add(("memcached", f"{_host(host)}:{port}", ""))
        else:
            places.add((str(config.get("BACKEND", DEFAULT_CACHE_BACKEND)), server, ""))
    return places


def _sharing(alias: str, other: object, caches_setting: Mapping[str, Any]) -> str | None:
    """``"cache"`` when two aliases of ``CACHES`` are one store (the same alias, or the same
    servers and database), ``"server"`` when they are two Redis databases of one server, which
    share its memory and its eviction; otherwise (or ``other`` is not an alias) ``None``."""
    if not isinstance(other, str) or other not in caches_setting:
        return None
    if alias == other:
        return "cache"
    mine, theirs = caches_setting.get(alias), caches_setting.get(other)
    if not isinstance(mine, Mapping) or not isinstance(theirs, Mapping):
        return None
    places, other_places = _cache_places(mine), _cache_places(theirs)
    if places & other_places:
        return "cache"
    if {place[:2] for place in places} & {place[:2] for place in other_places}:
        return "server"
    return None


def _signin_cache_alias(conf: FastCognitoSettings) -> str | None:
    hosted_ui = conf.raw("HOSTED_UI")
    if not isinstance(hosted_ui, Mapping):
        return None
    alias = hosted_ui.get("CACHE", "default")
    return alias if isinstance(alias, str) else None


def _principal_errors(conf: FastCognitoSettings) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    alias = conf.raw("DENYLIST")
    caches_setting = _caches_setting()
    if alias is not None:
        if not isinstance(alias, str) or not alias:
            errors.append(
                _error(
                    f"{SETTINGS_NAME}['DENYLIST'] is {_show(alias)}.",
                    "Name one of settings.CACHES (e.g. 'revocations'), or None to refuse no token.",
                    140,
                )
            )
        elif alias not in caches_setting:
            errors.append(
                _error(
                    f"{SETTINGS_NAME}['DENYLIST'] names the cache {alias!r}, which is not in settings.CACHES.",
                    "Revocations are shared by every worker through this cache: give them a Redis "
                    f"of their own. {DENYLIST_DOCS}",
                    141,
                )
            )
        elif _is_backend(_entry(caches_setting, alias), DUMMY_CACHE):
            errors.append(
                _error(
                    f"{SETTINGS_NAME}['DENYLIST'] names the cache {alias!r}, a DummyCache, which keeps "
                    "nothing: every revocation would be lost.",
                    f"Give revocations a Redis of their own. {DENYLIST_DOCS}",
                    142,
                )
            )
        else:
            places = _cache_places(_entry(caches_setting, alias))
            memcached_servers = [place for place in places if place[0] == "memcached"]
            if len(memcached_servers) > 1:
                errors.append(
                    _error(
                        f"{SETTINGS_NAME}['DENYLIST'] names the cache {alias!r}, a Memcached of "
                        f"{len(memcached_servers)} servers: while one of them is out of use, its client "
                        "moves that server's keys to the others, where the revocations it held are "
                        "missing and the marker key that vouches for an answer is not (it lives on one "
                        "server): signed-out tokens would be accepted.",
                        "Give revocations one server: a Redis, or a Memcached of one server. "
                        + DENYLIST_DOCS,
                        146,
                    )
                )
            signin = _signin_cache_alias(conf)
            if _sharing(alias, signin, caches_setting) == "cache":
                errors.append(
                    _error(
                        f"{SETTINGS_NAME}['DENYLIST'] ({alias!r}) and HOSTED_UI['CACHE'] ({signin!r}) "
                        "share one cache: every failed anonymous sign-in writes there, and a flood of "
                        "them can evict revocations, which makes signed-out tokens valid again.",
                        "Give revocations a cache alias on a server (or Redis database) of their own, "
                        "with maxmemory-policy noeviction, and keep HOSTED_UI['CACHE'] elsewhere. "
                        + DENYLIST_DOCS,
                        144,
                    )
                )
    staleness = conf.raw("DENYLIST_MAX_STALENESS")
    if (
        isinstance(staleness, bool)
        or not isinstance(staleness, (int, float))
        or not 0 <= staleness <= MAX_DENYLIST_STALENESS  # NaN fails both comparisons
    ):
        errors.append(
            _error(
                f"{SETTINGS_NAME}['DENYLIST_MAX_STALENESS'] is {_show(staleness)}.",
                f"A number of seconds from 0 (the default: ask the denylist's cache on every request) "
                f"to {MAX_DENYLIST_STALENESS:g}: how long after a sign-out elsewhere a worker may still "
                "accept the token. See 'Bounded staleness' in docs/tokens.md.",
                145,
            )
        )
    machine = conf.raw("MACHINE_CLIENTS")
    if not (machine == "*" or _is_string_collection(machine)):
        errors.append(
            _error(
                f"{SETTINGS_NAME}['MACHINE_CLIENTS'] is {_show(machine)}.",
                "List the app client ids whose client-credentials tokens are accepted, () for none, "
                "or '*' for every allowed client.",
                143,
            )
        )
    return errors


def _denylist_warning(message: str, hint: str, number: int) -> CheckWarning:
    return CheckWarning(
        message, hint=f"{hint} {DENYLIST_DOCS}", obj=SETTINGS_NAME, id=f"fastcognito.W{number:03d}"
    )


@register("fastcognito")
def check_denylist_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warnings about a ``DENYLIST`` cache that works, but cannot be trusted with revocations:
    one each worker has its own of, one that loses them, one that hides its errors or blocks.
    (What cannot work at all is an error of ``check_settings``: E140-E142, E144.)"""
    user = getattr(settings, SETTINGS_NAME, None)
    if not isinstance(user, Mapping):
        return []
    alias = FastCognitoSettings(user).raw("DENYLIST")
    caches_setting = _caches_setting()
    config = caches_setting.get(alias) if isinstance(alias, str) else None
    if not isinstance(config, Mapping) or _is_backend(config, DUMMY_CACHE):
        return []
    options = config.get("OPTIONS")
    options = options if isinstance(options, Mapping) else {}
    name = f"{SETTINGS_NAME}['DENYLIST'] ({alias!r})"
    warnings: list[CheckMessage] = []
    if _is_backend(config, DEFAULT_CACHE_BACKEND):
        warnings.append(
            _denylist_warning(
                f"{name} is a LocMemCache, which each process keeps for itself: with several workers "
                "a sign-out is seen by one of them only, and the others accept the signed-out token.",
                "Use a Redis shared by every worker (the LocMemCache is fine for one process only).",
                2,
            )
        )
    if _is_backend(config, MEMCACHED_BACKEND):
        warnings.append(
            _denylist_warning(
                f"{name} is a Memcached, which evicts entries when it is full and loses every entry "
                "when it restarts: a revocation it drops makes the signed-out token valid again. "
                "(A denylist on it does fail closed while it is down: a 503, never an accept.)",
                "Use a Redis with maxmemory-policy noeviction and persistence (appendonly yes).",
                3,
            )
        )
    if _is_backend(config, "django.core.cache.backends.filebased.FileBasedCache"):
        warnings.append(
            _denylist_warning(
                f"{name} is a FileBasedCache, a directory of one machine: a sign-out on one host is "
                "not seen by the others.",
                "Use a Redis shared by every host.",
                4,
            )
        )
    culls = any(
        _is_backend(config, path)
        for path in (
            DEFAULT_CACHE_BACKEND,
            "django.core.cache.backends.filebased.FileBasedCache",
            "django.core.cache.backends.db.DatabaseCache",
        )
    )
    if culls and "MAX_ENTRIES" not in options:
        warnings.append(
            _denylist_warning(
                f"{name} drops entries once it holds more than MAX_ENTRIES, left at Django's default "
                "of 300: past that many live sign-outs, revocations are culled and their tokens "
                "valid again.",
                "Set OPTIONS['MAX_ENTRIES'] above the sign-outs of a day (revocations live at most "
                "a day), or use a Redis.",
                5,
            )
        )
    if options.get("ignore_exc"):
        warnings.append(
            _denylist_warning(
                f"{name} has OPTIONS['ignore_exc'], which makes the client answer 'not found' "
                "instead of raising when the server cannot be reached. The denylist still fails closed "
                "(its marker key is missing from such answers: 503), but every outage then looks like "
                "an empty cache and its cause reaches no log.",
                "Drop ignore_exc from the denylist's cache.",
                6,
            )
        )
    redis_backend = _is_backend(config, "django.core.cache.backends.redis.RedisCache")
    pymemcache_backend = _is_backend(config, "django.core.cache.backends.memcached.PyMemcacheCache")
    if redis_backend and not options.get("socket_timeout"):
        warnings.append(
            _denylist_warning(
                f"{name} is a Redis without OPTIONS['socket_timeout']: a hung Redis blocks every "
                "request of a synchronous worker for as long as it hangs (async views give up after "
                "DENYLIST_TIMEOUT).",
                "Set OPTIONS {'socket_timeout': 1, 'socket_connect_timeout': 1} (seconds).",
                7,
            )
        )
    elif pymemcache_backend and not options.get("timeout"):
        warnings.append(
            _denylist_warning(
                f"{name} is a Memcached without OPTIONS['timeout']: a hung server blocks every "
                "request of a synchronous worker for as long as it hangs.",
                "Set OPTIONS {'timeout': 1, 'connect_timeout': 1} (seconds).",
                7,
            )
        )
    dead_timeout = options.get("dead_timeout", PYMEMCACHE_DEAD_TIMEOUT)
    short_dead_timeout = (
        isinstance(dead_timeout, (int, float))
        and not isinstance(dead_timeout, bool)
        and dead_timeout <= MAX_DEAD_TIMEOUT
    )
    if pymemcache_backend and not short_dead_timeout:
        warnings.append(
            _denylist_warning(
                f"{name} is a Memcached whose client keeps a server it saw fail out of use for "
                f"OPTIONS['dead_timeout'] = {_show(dead_timeout)} s (pymemcache's default is "
                f"{PYMEMCACHE_DEAD_TIMEOUT}): after an outage, each worker answers 503 for up to twice "
                "that long once the server is back.",
                "Set OPTIONS {'dead_timeout': 1, 'retry_attempts': 0}: workers ask again within about "
                "two seconds (docs/deployment.md).",
                10,
            )
        )
    shared = []
    if getattr(settings, "SESSION_ENGINE", "") in SESSION_CACHE_ENGINES:
        shared.append(("SESSION_CACHE_ALIAS", "sessions"))
    if PAGE_CACHE_MIDDLEWARE in (getattr(settings, "MIDDLEWARE", None) or ()):
        shared.append(("CACHE_MIDDLEWARE_ALIAS", "pages"))
    for setting, what in shared:
        other = getattr(settings, setting, "default")
        if _sharing(alias, other, caches_setting):
            warnings.append(
                _denylist_warning(
                    f"{name} shares its cache, or its Redis server's memory, with the {what} cache "
                    f"({setting} = {other!r}): anonymous requests write {what} there, and enough of "
                    "them can evict revocations.",
                    "Give revocations a cache of their own, on a Redis with maxmemory-policy noeviction.",
                    8,
                )
            )
    signin = _signin_cache_alias(FastCognitoSettings(user))
    if _sharing(alias, signin, caches_setting) == "server":
        warnings.append(
            _denylist_warning(
                f"{name} and HOSTED_UI['CACHE'] ({signin!r}) are two databases of one Redis server, "
                "which share its memory: unless it runs with maxmemory-policy noeviction, a flood "
                "of failed anonymous sign-ins evicts revocations from the other database too.",
                "Run that Redis with maxmemory-policy noeviction, or give revocations a server of "
                "their own.",
                9,
            )
        )
    return warnings
