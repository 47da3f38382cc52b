"""Two views that differ only in authentication: the measured one and its no-auth twin, the same
pair as async views (for the ASGI servers: the user from ``CognitoMiddleware``, read with
``cognito_login_required``), and ``/e2e/impl/``, which run.py reads before any load to prove which
fastcognito the server runs."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import fastcognito
from fastcognito.django import cognito_login_required


class Authenticated(APIView):
    """The configured DRF authentication class, then IsAuthenticated."""

    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"user": request.user.username})


class NoAuth(APIView):
    """The same response path with no authentication at all: the pair of every measured run."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"user": "anonymous"})


@cognito_login_required
async def async_authenticated(request: HttpRequest) -> JsonResponse:
    """The user CognitoMiddleware verified (``await request.auser()``, in the decorator)."""
    return JsonResponse({"user": request.user.username})


async def async_no_auth(request: HttpRequest) -> JsonResponse:
    """The same response path, the user never read: the pair of every measured ASGI run."""
    return JsonResponse({"user": "anonymous"})


def implementation(request: HttpRequest) -> JsonResponse:
    """Where the server's fastcognito comes from, and whether its compiled hot path is active."""
    return JsonResponse({"file": fastcognito.__file__, "extension_active": fastcognito.EXTENSION_ACTIVE})


urlpatterns = [
    path("e2e/auth/", Authenticated.as_view()),
    path("e2e/noauth/", NoAuth.as_view()),
    path("e2e/async/auth/", async_authenticated),
    path("e2e/async/noauth/", async_no_auth),
    path("e2e/impl/", implementation),  # after the measured views, so their resolving is unchanged
    path("", include("project.urls")),
]
