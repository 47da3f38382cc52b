"""A DRF API on django-rest-microservice 1.3, set up as its README sets it up: its URLs under
``auth/``, simplejwt's JWTTokenUserAuthentication on the internal tokens, the blacklist app for
``logoff/``, REST_FRAMEWORK_MICROSERVICE with the pool (IDP) and ``is_staff`` copied into the
tokens (CUSTOM_TOKEN_USER_ATTRIBUTES). Its users are made by its own ``social-exchange/``."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "migration-test-not-a-secret-but-long-enough-for-hs256"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "rest_framework_microservice",
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

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ("rest_framework_simplejwt.authentication.JWTTokenUserAuthentication",),
}
REST_FRAMEWORK_MICROSERVICE = {
    "IDP": {
        "PROVIDER": "aws",
        "REGION": os.environ["COGNITO_REGION"],
        "USER_POOL": os.environ["COGNITO_USER_POOL"],
        "CLIENT_ID": os.environ["COGNITO_CLIENT_ID"],
    },
    "CUSTOM_TOKEN_USER_ATTRIBUTES": ["is_staff"],
}
