"""A DRF API on cognito_code_grant 1.0.30, set up as its README sets it up: its authentication
backend first and DRF's BasicAuthentication after it (a service account signs in with a password),
its login and logout handlers under ``auth/``, and AUTH_COGNITO_CLIENT_ID,
AUTH_COGNITO_CODE_GRANT_URL and AUTH_COGNITO_JWKS_URL. The package keeps the tokens in Django's
session and makes each user on their first request, named after their e-mail, with their Cognito
groups added. The site is served at https://app.example.com behind a proxy that ends TLS."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "migration-test-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["app.example.com"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "api",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
STATIC_URL = "static/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": (
        "cognito_code_grant.authentication.CognitoAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ),
    "DEFAULT_PERMISSION_CLASSES": ("rest_framework.permissions.IsAuthenticated",),
}
AUTH_COGNITO_CLIENT_ID = os.environ["AUTH_COGNITO_CLIENT_ID"]
AUTH_COGNITO_CODE_GRANT_URL = os.environ["AUTH_COGNITO_CODE_GRANT_URL"]
AUTH_COGNITO_JWKS_URL = os.environ["AUTH_COGNITO_JWKS_URL"]
