"""Django settings of the Django/DRF tests (loaded by ``tests.support.django.plugin``).

FASTCOGNITO here is a valid base; tests point JWKS_URL at a real local server with
override_settings (the fixture ``fastcognito_config``).
"""

from tests.support import CLIENT_ID, POOL_ID

SECRET_KEY = "fastcognito-tests-only-not-a-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.support.django.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    # The admin proves the replica's session login (tests/django/users/test_session_login.py).
    "django.contrib.admin",
    "django.contrib.messages",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "rest_framework",
    # The replica's exchange logout/ blacklists refresh tokens
    # (tests/django/users/test_views_exchange_cookie.py).
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "fastcognito.django",
    "fastcognito.django.users",
    # A table of subs as django-rest-microservice keeps it (manage.py cognito_link_users --sub-from).
    "tests.support.django.legacy_idp",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Ends a session login with its Cognito sign-in (REPLICA["SESSION_LOGIN"]); idle otherwise.
    "fastcognito.django.users.middleware.SessionRefreshMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "fastcognito.django.CognitoMiddleware",
]

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

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fastcognito-tests"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["fastcognito.drf.CognitoAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "fastcognito.drf.exception_handler",
}
SPECTACULAR_SETTINGS = {"TITLE": "fastcognito tests", "DISABLE_ERRORS_AND_WARNINGS": True}

FASTCOGNITO = {
    "USER_POOL_ID": POOL_ID,
    "CLIENT_ID": CLIENT_ID,
    "TOKEN_USE": "access",
    # A closed port: nothing is fetched unless a test points JWKS_URL at its server.
    "JWKS_URL": "http://127.0.0.1:9/jwks.json",
    "STAFF_GROUPS": ["editors"],
    "SUPERUSER_GROUPS": ["admins"],
    "GROUP_PERMISSIONS": {"editors": ["blog.add_post", "blog.change_post"], "readers": ["blog.view_post"]},
}
