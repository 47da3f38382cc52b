"""A DRF API on Djognito 0.1.1, set up as its README sets it up: the four environment variables
(ACCESS_TOKEN_KEY, AWS_COGNITO_APP_CLIENT_ID, AWS_COGNITO_REGION, AWS_COGNITO_USER_POOL_ID), and a
subclass of its class, named in DEFAULT_AUTHENTICATION_CLASSES, whose attach_attributes hook
gives the user its Cognito groups. No users in the database: Djognito builds an unsaved User."""

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "migration-test-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
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
    "DEFAULT_AUTHENTICATION_CLASSES": ("authentication.CognitoAuthentication",),
}
