"""Settings of the fastcognito example project.

The Cognito values come from environment variables, so the same project runs against moto's
emulator (``make demo`` sets them) or a real user pool:

    COGNITO_USER_POOL_ID  e.g. eu-west-1_AbC123xyz             (required)
    COGNITO_CLIENT_ID     the app client id                      (required)
    COGNITO_ISSUER        only when not Cognito's default issuer (emulators, proxies)
    COGNITO_JWKS_URL      only when not ``{issuer}/.well-known/jwks.json``
    COGNITO_DOMAIN        the managed-login domain: turns sign-in on (HOSTED_UI), then also
    COGNITO_REDIRECT_URI  e.g. https://app.example.com/auth/callback/  (required with it)
    COGNITO_LOGOUT_URI    e.g. https://app.example.com/signed-out/      (required with it)
    COGNITO_CLIENT_SECRET only for an app client with a secret
    COGNITO_API_URL       only when Cognito's JSON API is not AWS's (emulators)
    EXAMPLE_DB_PATH       the SQLite file (``manage.py migrate`` creates it)
    DJANGO_SECRET_KEY     anything secret in production
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"set the environment variable {name} (see project/settings.py)")
    return value


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-a-secret-0123456789abcdefghijklmnop")
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "fastcognito.django",
    "articles",
]

MIDDLEWARE = [
    # Example-only: reports how many SQL queries a request made (X-DB-Queries), to show that
    # authentication itself never touches the database.
    "project.middleware.QueryCountMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After AuthenticationMiddleware: plain Django views get request.user as a CognitoUser.
    "fastcognito.django.CognitoMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("EXAMPLE_DB_PATH", str(BASE_DIR / "db.sqlite3")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USE_TZ = True
TIME_ZONE = "UTC"

FASTCOGNITO: dict[str, Any] = {
    "USER_POOL_ID": _required("COGNITO_USER_POOL_ID"),
    "CLIENT_ID": _required("COGNITO_CLIENT_ID"),
    "TOKEN_USE": "access",
    # Browsers send the access token in this cookie; unsafe methods then need a CSRF token.
    "COOKIE_NAME": "access_token",
    "STAFF_GROUPS": ["admins"],
    "GROUP_PERMISSIONS": {"editors": ["articles.add_article", "articles.change_article"]},
    "PREFETCH_JWKS": True,
}
# Cognito's issuer and JWKS URL are derived from the pool id; an emulator separates them.
if os.environ.get("COGNITO_ISSUER"):
    FASTCOGNITO["ISSUER"] = os.environ["COGNITO_ISSUER"]
if os.environ.get("COGNITO_JWKS_URL"):
    FASTCOGNITO["JWKS_URL"] = os.environ["COGNITO_JWKS_URL"]

# Sign-in through Cognito's managed login or a password (fastcognito.django.urls under auth/).
if os.environ.get("COGNITO_DOMAIN"):
    FASTCOGNITO["HOSTED_UI"] = {
        "DOMAIN": os.environ["COGNITO_DOMAIN"],
        "CLIENT_SECRET": os.environ.get("COGNITO_CLIENT_SECRET") or None,
        "REDIRECT_URI": _required("COGNITO_REDIRECT_URI"),
        "LOGOUT_URI": _required("COGNITO_LOGOUT_URI"),
        "API_URL": os.environ.get("COGNITO_API_URL") or None,
        "LOGIN_REDIRECT_URL": "/signed-in/",
    }
# Sign-in failure counts are shared by every worker through the cache: in production point this
# at Redis or Memcached. The local-memory cache is right only for one process, as in the demo.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["fastcognito.drf.CognitoAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
