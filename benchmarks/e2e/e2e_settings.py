"""The example project's settings, with the DRF authentication class chosen by E2E_AUTH.

E2E_AUTH: "fastcognito" (the project as shipped), "pyjwt" (the PyJWT class of the tutorials) or
"djognito" (a Djognito-style python-jose class); run.py sets it with the Cognito variables.
E2E_ASGI=1 (the ASGI servers): the example's query-counting middleware, which is sync only and
would put every request of an async stack through a worker thread, is left out.
"""

from __future__ import annotations

import os

from project.settings import *  # noqa: F403 (the example project, unchanged but for the lines below)
from project.settings import MIDDLEWARE, REST_FRAMEWORK

AUTHENTICATION_CLASSES = {
    "fastcognito": "fastcognito.drf.CognitoAuthentication",
    "pyjwt": "e2e_auth.TutorialPyJWTAuthentication",
    "djognito": "e2e_auth.DjognitoStyleAuthentication",
}

ROOT_URLCONF = "e2e_urls"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_AUTHENTICATION_CLASSES": [AUTHENTICATION_CLASSES[os.environ.get("E2E_AUTH", "fastcognito")]],
}

if os.environ.get("E2E_ASGI") == "1":
    MIDDLEWARE = [name for name in MIDDLEWARE if name != "project.middleware.QueryCountMiddleware"]
