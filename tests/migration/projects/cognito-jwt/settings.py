"""A DRF API on django-cognito-jwt 0.0.4, set up as its README sets it up: COGNITO_AWS_REGION,
COGNITO_USER_POOL, COGNITO_AUDIENCE (the app client: it expects id tokens), the key cache on,
and its JSONWebTokenAuthentication. The user model is the project's own, whose manager's
``get_or_create_for_cognito(payload)`` the package calls on every request: it keeps each user's
``sub`` in ``cognito_sub`` and makes the user on their first request."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "migration-test-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "accounts",
    "api",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
ROOT_URLCONF = "urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
AUTH_USER_MODEL = "accounts.User"

COGNITO_AWS_REGION = os.environ["COGNITO_AWS_REGION"]
COGNITO_USER_POOL = os.environ["COGNITO_USER_POOL"]
COGNITO_AUDIENCE = os.environ["COGNITO_AUDIENCE"]
COGNITO_PUBLIC_KEYS_CACHING_ENABLED = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["django_cognito_jwt.JSONWebTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
