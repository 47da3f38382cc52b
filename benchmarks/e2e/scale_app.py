"""What the scale rehearsal (scale.py) adds to the example project: which worker answered, an
async view (``averify`` under uvicorn), and which fastcognito the server runs."""

from __future__ import annotations

import os
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path

import fastcognito
from fastcognito.django import cognito_login_required

# "host-a/1234": the instance (SCALE_INSTANCE, set per server by scale.py) and the worker's pid.
INSTANCE = os.environ.get("SCALE_INSTANCE", "?")


class ServedByMiddleware:
    """Outermost: every answer, 401 and 503 included, says which worker gave it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["X-Served-By"] = f"{INSTANCE}/{os.getpid()}"
        return response


@cognito_login_required
async def async_whoami(request: HttpRequest) -> JsonResponse:
    """A plain async view: under uvicorn ``CognitoMiddleware`` verifies with ``averify``."""
    user = await request.auser()
    return JsonResponse({"username": user.username})


def implementation(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"file": fastcognito.__file__, "extension_active": fastcognito.EXTENSION_ACTIVE})


urlpatterns = [
    path("scale/async-whoami/", async_whoami),
    path("scale/impl/", implementation),
    path("", include("project.urls")),
]
