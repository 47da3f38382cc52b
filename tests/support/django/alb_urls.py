"""URL conf of the ALB tests: a DRF view behind AlbAuthentication, plain views behind AlbMiddleware."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fastcognito.django import cognito_login_required
from fastcognito.drf.alb import AlbAuthentication


class AlbWhoAmI(APIView):
    authentication_classes = [AlbAuthentication]

    def get(self, request: Request) -> Response:
        return Response({"username": request.user.username, "email": request.auth["email"]})


def _describe(request: HttpRequest, user: Any) -> JsonResponse:
    authenticated = bool(user.is_authenticated)  # resolves the lazy user, and so cognito_error
    error = getattr(request, "cognito_error", None)
    return JsonResponse(
        {
            "authenticated": authenticated,
            "username": getattr(user, "username", None),
            "error": error.code if error is not None else None,
        }
    )


def plain_whoami(request: HttpRequest) -> JsonResponse:
    return _describe(request, request.user)


async def async_whoami(request: HttpRequest) -> JsonResponse:
    return _describe(request, await request.auser())


@cognito_login_required
def protected(request: HttpRequest) -> JsonResponse:
    return _describe(request, request.user)


urlpatterns = [
    path("drf/alb/", AlbWhoAmI.as_view()),
    path("plain/alb/", plain_whoami),
    path("plain/async-alb/", async_whoami),
    path("plain/alb-protected/", protected),
]
