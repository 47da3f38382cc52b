"""System checks (``manage.py check``), generated from the settings schema (``conf.SCHEMA``).

``check_settings`` reports each key of ``FASTCOGNITO`` that is unknown, missing or refused by its
validator (``conf.key_problems``), then runs ``RULES``: the few checks that relate several keys,
or a key and other Django settings, each a small function reporting its own ids. ``HOSTED_UI``
is checked in ``hosted_ui.py``, ``REPLICA`` in ``users/checks.py``, the same way. The order of
the middleware, the compiled hot path and the denylist's cache have checks of their own here.

Registered by the app config ``fastcognito.django``. Each check reads the settings afresh.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.checks import Warning as CheckWarning
from django.utils.module_loading import import_string

from .. import _impl
from .._constants import ENV_NO_EXTENSIONS
from .._validate import ENVIRONMENT
from ..exceptions import ConfigurationError
from ..jwk import RS256_VECTOR
from ..verifier import ISSUER_FORMS, CognitoVerifier, cognito_issuers, parse_user_pool_id
from .conf import (
    DOCS,
    SETTINGS_NAME,
    FastCognitoSettings,
    Problem,
    check_messages,
    key_problems,
    reason_of,
    show_value,
    unknown_key_problems,
)
from .hosted_ui import check_hosted_ui  # noqa: F401  (registers the HOSTED_UI checks, E101 and up)

__all__ = ["RULES", "check_denylist_cache", "check_extension", "check_middleware", "check_settings"]

CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
COGNITO_MIDDLEWARE = (
    "fastcognito.django.CognitoMiddleware",
    "fastcognito.django.middleware.CognitoMiddleware",
)
ALB_MIDDLEWARE = ("fastcognito.django.alb.AlbMiddleware",)

Rule = Callable[[FastCognitoSettings, list[Problem]], Iterable[Problem]]
"""A check of several keys: the settings and what was found so far, to the problems it finds."""


@register("fastcognito")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every key of ``FASTCOGNITO`` (unknown, missing, refused by its validator), then ``RULES``;
    in the order of their ids."""
    user = getattr(settings, SETTINGS_NAME, None)
    if user is None:
        user = {}
    if not isinstance(user, Mapping):
        message = f"{SETTINGS_NAME} must be a dict, got {type(user).__name__}."
        return check_messages([Problem("E001", message)])
    conf = FastCognitoSettings(user)
    problems = unknown_key_problems("", user) + key_problems("", conf.raw, conf.describe)
    for rule in RULES:
        problems.extend(rule(conf, problems))
    return check_messages(sorted(problems, key=lambda problem: problem.id))


# --- the rules ----------------------------------------------------------------------------------


def _valid_cookie_name(conf: FastCognitoSettings) -> str | None:
    name = conf.raw("COOKIE_NAME")
    return name if isinstance(name, str) and name else None


def cookie_needs_csrf(conf: FastCognitoSettings, found: list[Problem]) -> Iterable[Problem]:
    """E010: a token in a cookie (``COOKIE_NAME``, or the sign-in's default one) is sent with
    cross-site requests too."""
    if conf.access_cookie_name is None or CSRF_MIDDLEWARE in (getattr(settings, "MIDDLEWARE", None) or ()):
        return []
    return [
        Problem(
            "E010",
            f"{conf.describe('COOKIE_NAME')} ({conf.access_cookie_name!r}) reads tokens from a cookie, but "
            f"{CSRF_MIDDLEWARE} is not in MIDDLEWARE.",
            "A browser sends cookies with cross-site requests: add the CSRF middleware, or (without "
            "HOSTED_UI) set COOKIE_NAME=None to read tokens from the Authorization header only.",
        )
    ]


def cookie_named_twice(conf: FastCognitoSettings, found: list[Problem]) -> Iterable[Problem]:
    """W011: ``COOKIE_NAME`` is set, and Djognito's ``ACCESS_TOKEN_KEY`` names another cookie,
    which the frontend of a site migrating from Djognito may still set."""
    if conf.source("COOKIE_NAME") != "settings":
        return []
    name = conf.raw("COOKIE_NAME")
    for variable in ENVIRONMENT["COOKIE_NAME"]:
        other = conf.environ.get(variable)
        if other and other != name and (name is None or _valid_cookie_name(conf) is not None):
            reads = f"tokens are read from {name!r} only" if name else "no cookie is read"
            return [
                Problem(
                    "W011",
                    f"{SETTINGS_NAME}['COOKIE_NAME'] is {show_value(name)}, but the environment variable "
                    f"{variable} names the cookie {show_value(other)}: {reads}.",
                    f"A frontend migrated from Djognito may still put the access token in the cookie "
                    f"{variable} names: make the two agree, or unset {variable}.",
                )
            ]
    return []


def bare_token_accepted(conf: FastCognitoSettings, found: list[Problem]) -> Iterable[Problem]:
    """W012: ``ACCEPT_BARE_TOKEN`` is on, whenever it is: a stopgap, not a way to stay."""
    if conf.raw("ACCEPT_BARE_TOKEN") is not True:
        return []
    return [
        Problem(
            "W012",
            f"{SETTINGS_NAME}['ACCEPT_BARE_TOKEN'] is on: an Authorization header holding a token alone, "
            "without a scheme, is read as a token. It is meant for a frontend that cannot send "
            "'Bearer <token>' yet.",
            "Change the frontend to send 'Authorization: Bearer <token>' (RFC 6750), then turn "
            "ACCEPT_BARE_TOKEN off.",
        )
    ]


def prefetch_fatal_needs_prefetch(conf: FastCognitoSettings, found: list[Problem]) -> Iterable[Problem]:
    """E014: ``PREFETCH_JWKS_FATAL`` alone prefetches nothing."""
    if conf.raw("PREFETCH_JWKS_FATAL") is True and conf.raw("PREFETCH_JWKS") is False:
        return [
            Problem(
                "E014",
                f"{SETTINGS_NAME}['PREFETCH_JWKS_FATAL'] is True but PREFETCH_JWKS is False: nothing is "
                "prefetched, so nothing can fail.",
                "Set PREFETCH_JWKS=True as well, or drop PREFETCH_JWKS_FATAL.",
            )
        ]
    return []


def additional_regions(conf: FastCognitoSettings, found: list[Problem]) -> Iterable[Problem]:
    """E131: the replica Regions, with the pool and the issuer form (once both are valid)."""
    form, pool, regions = conf.raw("ISSUER_FORM"), conf.raw("USER_POOL_ID"), conf.raw("ADDITIONAL_REGIONS")
    if not (isinstance(form, str) and form in ISSUER_FORMS and isinstance(pool, str)):
        return []
    try:
        parse_user_pool_id(pool)
    except ConfigurationError:
        return []  # E004
    try:
        cognito_issuers(pool, issuer_form=form, additional_regions=() if regions is None else regions)
    except Exception as err:  # noqa: BLE001  (a check reports; it never crashes)
        return [
            Problem(
                "E131",
                f"{SETTINGS_NAME}['ADDITIONAL_REGIONS']: {reason_of(err)}.",
                "List the replica Regions of a multi-Region pool, e.g. ['eu-central-1'].",
            )
        ]
    return []


def alb_verifier_builds(conf: FastCognitoSettings, found: list[Problem]) -> Iterable[Problem]:
    """E134: every ``ALB`` key, by building the ``AlbVerifier`` (no network)."""
    if conf.raw("ALB") is None:
        return []
    from .alb import build_alb_verifier

    try:
        build_alb_verifier(conf)
    except Exception as err:  # noqa: BLE001
        return [
            Problem(
                "E134",
                f"{SETTINGS_NAME}['ALB'] cannot build an ALB verifier: {reason_of(err)}.",
                "See 'ALB tokens' in docs/tokens.md.",
            )
        ]
    return []


# The classes that read the ALB's header, by the module and name of a class in their MRO: the
# DRF one is never imported here (the Django layer does not import DRF).
_ALB_SOURCES = frozenset({
    ("fastcognito.django.alb", "AlbMiddleware"),
    ("fastcognito.drf.alb", "AlbAuthentication"),
})


def _reads_alb_header(path: object) -> bool:
    try:
        cls = import_string(path) if isinstance(path, str) else path
    except Exception:  # noqa: BLE001  (Django and DRF report what cannot be imported)
        return False
    mro = getattr(cls, "__mro__", ())
    return any((getattr(base, "__module__", None), base.__qualname__) in _ALB_SOURCES for base in mro)


def alb_source_needs_alb(conf: FastCognitoSettings, found: list[Problem]) -> Iterable[Problem]:
    """E135: ``AlbMiddleware`` in ``MIDDLEWARE``, or ``AlbAuthentication`` in DRF's
    ``DEFAULT_AUTHENTICATION_CLASSES``, while ``ALB`` is unset: every request carrying the
    ALB's header would have no verifier to check it. (A view's own ``authentication_classes`` is
    out of a check's sight: such a request is answered 503 ``configuration``.)"""
    if conf.raw("ALB") is not None:
        return []
    rest_framework = getattr(settings, "REST_FRAMEWORK", None)
    if not isinstance(rest_framework, Mapping):
        rest_framework = {}
    places = {
        "MIDDLEWARE": getattr(settings, "MIDDLEWARE", None) or (),
        "DEFAULT_AUTHENTICATION_CLASSES": rest_framework.get("DEFAULT_AUTHENTICATION_CLASSES") or (),
    }
    configured = [
        (setting, path) for setting, paths in places.items() for path in paths if _reads_alb_header(path)
    ]
    if not configured:
        return []
    where = ", ".join(f"{path} (in {setting})" for setting, path in configured)
    return [
        Problem(
            "E135",
            f"{where} authenticates by the ALB's x-amzn-oidc-data header, but {SETTINGS_NAME}['ALB'] is "
            "not set: no request carrying that header could be verified.",
            "Set ALB to the ARNS, CLIENT_ID and ISSUER of your load balancer (see 'ALB tokens' in "
            "docs/tokens.md), or remove the ALB source.",
        )
    ]


def denylist_cache_usable(conf: FastCognitoSettings, found: list[Problem]) -> Iterable[Problem]:
    """E141, E142, E144, E146, E147: the ``DENYLIST`` cache exists, keeps what it is given, on one
    server, and is not the sign-in throttle's. (What works but cannot be trusted is a warning:
    W002-W010.)"""
    alias = conf.raw("DENYLIST")
    caches_setting = _caches_setting()
    if not isinstance(alias, str) or not alias:
        return []  # None, or E140
    where = f"{SETTINGS_NAME}['DENYLIST']"
    if alias not in caches_setting:
        return [
            Problem(
                "E141",
                f"{where} names the cache {alias!r}, which is not in settings.CACHES.",
                f"Revocations are shared by every worker through this cache: give them a Redis of their "
                f"own. {DENYLIST_DOCS}",
            )
        ]
    if _is_backend(_entry(caches_setting, alias), DUMMY_CACHE):
        return [
            Problem(
                "E142",
                f"{where} names the cache {alias!r}, a DummyCache, which keeps nothing: every revocation "
                "would be lost.",
                f"Give revocations a Redis of their own. {DENYLIST_DOCS}",
            )
        ]
    problems: list[Problem] = []
    places = _cache_places(_entry(caches_setting, alias))
    memcached_servers = [place for place in places if place[0] == "memcached"]
    if len(memcached_servers) > 1:
        problems.append(
            Problem(
                "E146",
                f"{where} names the cache {alias!r}, a Memcached of {len(memcached_servers)} servers: "
                "while one of them is out of use, its client moves that server's keys to the others, where "
                "the revocations it held are missing and the marker key that vouches for an answer is not "
                "(it lives on one server): signed-out tokens would be accepted.",
                f"Give revocations one server: a Redis, or a Memcached of one server. {DENYLIST_DOCS}",
            )
        )
    redis_places = [place for place in places if place[0] == "redis"]
    if len(redis_places) > 1:
        problems.append(
            Problem(
                "E147",
                f"{where} names the cache {alias!r}, a Redis of {len(redis_places)} servers or databases in "
                "LOCATION: Django's client writes to the first and reads from any of them at random, so a "
                "replica that lags or is cut off answers 'not revoked', and the marker key it holds from "
                "before vouches for that answer: signed-out tokens would be accepted.",
                "Give revocations one address in LOCATION: a primary with failover (Sentinel, a managed "
                f"Redis's primary endpoint). {DENYLIST_DOCS}",
            )
        )
    signin = _signin_cache_alias(conf)
    if _sharing(alias, signin, caches_setting) == "cache":
        problems.append(
            Problem(
                "E144",
                f"{where} ({alias!r}) and HOSTED_UI['CACHE'] ({signin!r}) share one cache: every failed "
                "anonymous sign-in writes there, and a flood of them can evict revocations, which makes "
                "signed-out tokens valid again.",
                "Give revocations a cache alias on a server (or Redis database) of their own, with "
                f"maxmemory-policy noeviction, and keep HOSTED_UI['CACHE'] elsewhere. {DENYLIST_DOCS}",
            )
        )
    return problems


def _blocks_the_verifier(check: str) -> bool:
    # The pool, the client policy, the token use, cryptography's RS256 check (E021), the token
    # sources (E130-E139) and the denylist (E140-E149) have checks of their own: while one fails,
    # building the verifier would only report the same mistake again, as E017.
    number = int(check[1:])
    return check[0] == "E" and (3 <= number <= 7 or number == 21 or 130 <= number <= 149)


def rsa_check_works(conf: FastCognitoSettings, found: list[Problem]) -> Iterable[Problem]:
    """E021: the installed cryptography and hashlib make the RS256 check both twins make (a fixed
    vector, run once per process), whatever the settings: without it no token could be verified."""
    fault = RS256_VECTOR.fault()
    if fault is None:
        return []
    return [
        Problem(
            "E021",
            f"{RS256_VECTOR.message(fault)}.",
            "Every verifier refuses to start here; fastcognito does not fall back to a weaker check.",
        )
    ]


def verifier_builds(conf: FastCognitoSettings, found: list[Problem]) -> Iterable[Problem]:
    """E017: the keys only the verifier checks (REGION, ISSUER, JWKS_URL, LEEWAY, CACHE_SIZE,
    GROUPS, SCOPES, JWKS_COOLDOWN, MAX_TOKEN_BYTES, DENYLIST_TIMEOUT), by building it: no fetch
    happens. Any exception is a rejection: a check that crashes reports nothing useful."""
    if any(_blocks_the_verifier(problem.id) for problem in found):
        return []
    try:
        CognitoVerifier(conf.raw("USER_POOL_ID"), **conf.verifier_options())
    except Exception as err:  # noqa: BLE001
        from_env = [
            f"{key} from {source}"
            for key in ENVIRONMENT
            if (source := conf.source(key)) not in (None, "settings")
        ]
        hint = f"Values taken from the environment: {', '.join(from_env)}." if from_env else None
        return [Problem("E017", f"{SETTINGS_NAME} cannot build a verifier: {reason_of(err)}.", hint)]
    return []


RULES: tuple[Rule, ...] = (
    cookie_needs_csrf,
    cookie_named_twice,
    bare_token_accepted,
    prefetch_fatal_needs_prefetch,
    additional_regions,
    alb_verifier_builds,
    alb_source_needs_alb,
    denylist_cache_usable,
    rsa_check_works,
    verifier_builds,  # last: it runs only when the keys it shares with others passed
)
"""The checks of ``FASTCOGNITO`` that relate several keys, in order."""


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
                hint=f"Move CognitoMiddleware after {AUTH_MIDDLEWARE}. {DOCS}",
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
                f"add the CSRF middleware. {DOCS}",
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
                f"To run the pure twin on purpose, set {ENV_NO_EXTENSIONS}=1, which silences this. {DOCS}"
            ),
            id="fastcognito.W001",
        )
    ]


# --- the denylist's cache (E141-E147, W002-W010) --------------------------------------------

DUMMY_CACHE = "django.core.cache.backends.dummy.DummyCache"
DEFAULT_CACHE_BACKEND = "django.core.cache.backends.locmem.LocMemCache"
SESSION_CACHE_ENGINES = (
    "django.contrib.sessions.backends.cache",
    "django.contrib.sessions.backends.cached_db",
)
PAGE_CACHE_MIDDLEWARE = "django.middleware.cache.UpdateCacheMiddleware"
DENYLIST_DOCS = "See 'Where revocations live' in docs/tokens.md."
MEMCACHED_BACKEND = "django.core.cache.backends.memcached.BaseMemcachedCache"
PYMEMCACHE_BACKEND = "django.core.cache.backends.memcached.PyMemcacheCache"
REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
FILE_BACKEND = "django.core.cache.backends.filebased.FileBasedCache"
DATABASE_BACKEND = "django.core.cache.backends.db.DatabaseCache"
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


def _denylist_warning(check: str, message: str, hint: str) -> Problem:
    return Problem(check, message, f"{hint} {DENYLIST_DOCS}")


def _backend_warnings(name: str, config: Mapping[str, Any], options: Mapping[str, Any]) -> list[Problem]:
    """W002-W007, W010: what the backend of the ``DENYLIST`` cache does with revocations."""
    warnings: list[Problem] = []
    if _is_backend(config, DEFAULT_CACHE_BACKEND):
        warnings.append(_denylist_warning(
            "W002",
            f"{name} is a LocMemCache, which each process keeps for itself: with several workers a sign-out "
            "is seen by one of them only, and the others accept the signed-out token.",
            "Use a Redis shared by every worker (the LocMemCache is fine for one process only).",
        ))
    if _is_backend(config, MEMCACHED_BACKEND):
        warnings.append(_denylist_warning(
            "W003",
            f"{name} is a Memcached, which evicts entries when it is full and loses every entry when it "
            "restarts: a revocation it drops makes the signed-out token valid again. (A denylist on it does "
            "fail closed while it is down: a 503, never an accept.)",
            "Use a Redis with maxmemory-policy noeviction and persistence (appendonly yes).",
        ))
    if _is_backend(config, FILE_BACKEND):
        warnings.append(_denylist_warning(
            "W004",
            f"{name} is a FileBasedCache, a directory of one machine: a sign-out on one host is not seen by "
            "the others.",
            "Use a Redis shared by every host.",
        ))
    culls = any(_is_backend(config, path) for path in (DEFAULT_CACHE_BACKEND, FILE_BACKEND, DATABASE_BACKEND))
    if culls and "MAX_ENTRIES" not in options:
        warnings.append(_denylist_warning(
            "W005",
            f"{name} drops entries once it holds more than MAX_ENTRIES, left at Django's default of 300: "
            "past that many live sign-outs, revocations are culled and their tokens valid again.",
            "Set OPTIONS['MAX_ENTRIES'] above the sign-outs of a day (revocations live at most a day), or "
            "use a Redis.",
        ))
    if options.get("ignore_exc"):
        warnings.append(_denylist_warning(
            "W006",
            f"{name} has OPTIONS['ignore_exc'], which makes the client answer 'not found' instead of raising "
            "when the server cannot be reached. The denylist still fails closed (its marker key is missing "
            "from such answers: 503), but every outage then looks like an empty cache and its cause reaches "
            "no log.",
            "Drop ignore_exc from the denylist's cache.",
        ))
    if _is_backend(config, REDIS_BACKEND) and not options.get("socket_timeout"):
        warnings.append(_denylist_warning(
            "W007",
            f"{name} is a Redis without OPTIONS['socket_timeout']: a hung Redis blocks every request of a "
            "synchronous worker for as long as it hangs (async views give up after DENYLIST_TIMEOUT).",
            "Set OPTIONS {'socket_timeout': 1, 'socket_connect_timeout': 1} (seconds).",
        ))
    elif _is_backend(config, PYMEMCACHE_BACKEND) and not options.get("timeout"):
        warnings.append(_denylist_warning(
            "W007",
            f"{name} is a Memcached without OPTIONS['timeout']: a hung server blocks every request of a "
            "synchronous worker for as long as it hangs.",
            "Set OPTIONS {'timeout': 1, 'connect_timeout': 1} (seconds).",
        ))
    dead_timeout = options.get("dead_timeout", PYMEMCACHE_DEAD_TIMEOUT)
    short_dead_timeout = (
        isinstance(dead_timeout, (int, float))
        and not isinstance(dead_timeout, bool)
        and dead_timeout <= MAX_DEAD_TIMEOUT
    )
    if _is_backend(config, PYMEMCACHE_BACKEND) and not short_dead_timeout:
        warnings.append(_denylist_warning(
            "W010",
            f"{name} is a Memcached whose client keeps a server it saw fail out of use for "
            f"OPTIONS['dead_timeout'] = {show_value(dead_timeout)} s (pymemcache's default is "
            f"{PYMEMCACHE_DEAD_TIMEOUT}): after an outage, each worker answers 503 for up to twice that long "
            "once the server is back.",
            "Set OPTIONS {'dead_timeout': 1, 'retry_attempts': 0}: workers ask again within about two "
            "seconds (docs/deployment.md).",
        ))
    return warnings


def _redis_servers(config: object) -> set[str]:
    """The Redis servers of a ``CACHES`` entry (host and port, or socket path), databases aside."""
    if not isinstance(config, Mapping):
        return set()
    return {place[1] for place in _cache_places(config) if place[0] == "redis"}


def _sharing_warnings(conf: FastCognitoSettings, alias: str, name: str) -> list[Problem]:
    """W008, W009: the ``DENYLIST`` cache shares its memory with what anonymous requests write:
    the session or page cache (W008), or any other alias of ``CACHES`` on its Redis server, in any
    database (W009: ``HOSTED_UI["CACHE"]``, and ``default``, where DRF's throttles write)."""
    caches_setting = _caches_setting()
    shared = []
    if getattr(settings, "SESSION_ENGINE", "") in SESSION_CACHE_ENGINES:
        shared.append(("SESSION_CACHE_ALIAS", "sessions"))
    if PAGE_CACHE_MIDDLEWARE in (getattr(settings, "MIDDLEWARE", None) or ()):
        shared.append(("CACHE_MIDDLEWARE_ALIAS", "pages"))
    warnings: list[Problem] = []
    reported: set[object] = {alias}
    for setting, what in shared:
        other = getattr(settings, setting, "default")
        if _sharing(alias, other, caches_setting):
            reported.add(other)
            warnings.append(_denylist_warning(
                "W008",
                f"{name} shares its cache, or its Redis server's memory, with the {what} cache ({setting} = "
                f"{other!r}): anonymous requests write {what} there, and enough of them can evict "
                "revocations.",
                "Give revocations a cache of their own, on a Redis with maxmemory-policy noeviction.",
            ))
    signin = _signin_cache_alias(conf)
    if _sharing(alias, signin, caches_setting) == "cache":
        reported.add(signin)  # E144
    servers = _redis_servers(caches_setting.get(alias))
    neighbours = []
    for other, config in caches_setting.items():
        if other in reported or not servers & _redis_servers(config):
            continue
        same = _sharing(alias, other, caches_setting) == "cache"
        database = "the same database" if same else "another database"
        role = "HOSTED_UI['CACHE'], " if other == signin else ""
        neighbours.append(f"CACHES[{other!r}] ({role}{database})")
    if neighbours:
        warnings.append(_denylist_warning(
            "W009",
            f"{name} is on a Redis server that also holds {', '.join(neighbours)}: whatever is written there "
            "(failed anonymous sign-ins, DRF's throttles, an application's cache) takes the server's memory, "
            "and unless it runs with maxmemory-policy noeviction, enough of it evicts revocations, from "
            "another database too.",
            "Run that Redis with maxmemory-policy noeviction, or give revocations a server of their own.",
        ))
    return warnings


@register("fastcognito")
def check_denylist_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warnings about a ``DENYLIST`` cache that works, but cannot be trusted with revocations:
    one each worker has its own of, one that loses them, one that hides its errors or blocks.
    (What cannot work at all is an error of ``check_settings``: E140-E142, E144-E147.)"""
    user = getattr(settings, SETTINGS_NAME, None)
    if not isinstance(user, Mapping):
        return []
    conf = FastCognitoSettings(user)
    alias = conf.raw("DENYLIST")
    config = _caches_setting().get(alias) if isinstance(alias, str) else None
    if not isinstance(alias, str) or not isinstance(config, Mapping) or _is_backend(config, DUMMY_CACHE):
        return []
    options = config.get("OPTIONS")
    options = options if isinstance(options, Mapping) else {}
    name = f"{SETTINGS_NAME}['DENYLIST'] ({alias!r})"
    return check_messages(_backend_warnings(name, config, options) + _sharing_warnings(conf, alias, name))
