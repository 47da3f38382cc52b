"""Two views that differ only in authentication: the measured one and its no-auth twin, and
``/e2e/impl/``, which run.py reads before any load to prove which fastcognito the server runs."""

from __future__ import annotations

import fastcognito
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


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


def implementation(request: HttpRequest) -> JsonResponse:
    """Where the server's fastcognito comes from, and whether its compiled hot path is active."""
    return JsonResponse({"file": fastcognito.__file__, "extension_active": fastcognito.EXTENSION_ACTIVE})


urlpatterns = [
    path("e2e/auth/", Authenticated.as_view()),
    path("e2e/noauth/", NoAuth.as_view()),
    path("e2e/impl/", implementation),  # after the measured views, so their resolving is unchanged
    path("", include("project.urls")),
]
