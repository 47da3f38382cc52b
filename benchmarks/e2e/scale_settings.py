"""The example project as the scale rehearsal (scale.py) runs it on each "host": shared state in
one Redis (or, in the second run, Memcached) through ``CACHES``, revocations on an alias of their
own, sign-in through ministack behind a load balancer that appends to ``X-Forwarded-For``.

Set by scale.py per server: ``SCALE_CACHE`` (``redis`` or ``memcached``),
``SCALE_REVOCATIONS_LOCATION`` and ``SCALE_DEFAULT_LOCATION``, ``SCALE_DENYLIST`` (``on`` or
``off``), ``SCALE_MAX_STALENESS`` (seconds), ``SCALE_INSTANCE``, and the example's ``COGNITO_*``.
"""

from __future__ import annotations

import os
from typing import Any

from project.settings import *  # noqa: F403 (the example project, unchanged but for the lines below)
from project.settings import FASTCOGNITO, MIDDLEWARE

ROOT_URLCONF = "scale_app"
DEBUG = False
MIDDLEWARE = ["scale_app.ServedByMiddleware", *MIDDLEWARE]


def _cache(location: str) -> dict[str, Any]:
    if os.environ["SCALE_CACHE"] == "redis":
        # Django's Redis client has no timeout of its own: a hung Redis would hang every worker.
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
        }
    options: dict[str, Any] = {"timeout": 1, "connect_timeout": 1}
    if os.environ.get("SCALE_MEMCACHED_DEFAULTS") != "1":
        # docs/deployment.md: back within seconds of an outage, not pymemcache's two minutes.
        options.update(dead_timeout=1, retry_attempts=0)
    return {
        "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
        "LOCATION": location,
        "OPTIONS": options,
    }


CACHES = {
    # Sign-in throttling (HOSTED_UI["CACHE"]): anonymous traffic writes here.
    "default": _cache(os.environ["SCALE_DEFAULT_LOCATION"]),
    # Revocations alone: nothing anonymous writes here.
    "revocations": _cache(os.environ["SCALE_REVOCATIONS_LOCATION"]),
}
# With Redis, the two aliases are two databases of the rehearsal's one Redis, which runs with
# maxmemory-policy noeviction and appendonly yes: what W009 asks for.
SILENCED_SYSTEM_CHECKS = ["fastcognito.W009"]

FASTCOGNITO = {
    **FASTCOGNITO,
    "DENYLIST": "revocations" if os.environ.get("SCALE_DENYLIST", "on") == "on" else None,
    "DENYLIST_MAX_STALENESS": float(os.environ.get("SCALE_MAX_STALENESS", "0")),
    "HOSTED_UI": {
        **FASTCOGNITO["HOSTED_UI"],
        "CACHE": "default",
        # The load generator plays the load balancer: it appends the client's address.
        "TRUSTED_PROXY_COUNT": 1,
        "SIGNIN_MAX_FAILURES": 5,
        "SIGNIN_MAX_FAILURES_PER_ADDRESS": 20,
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(process)d %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # INFO: the prefetch line; WARNING and ERROR are what docs/deployment.md says to alert on.
    "loggers": {"fastcognito": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
