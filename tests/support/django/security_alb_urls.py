"""URL conf of the ALB CSRF attacks: views that act on POST, behind the ALB's and the Bearer sources.

Each view that acts records it in ``ACTIONS``, so a test sees whether a forged request ran it.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_protect
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fastcognito.django import cognito_login_required
from fastcognito.django.alb import AlbMiddleware
from fastcognito.django.tokens import RawToken
from fastcognito.drf import CognitoAuthentication
from fastcognito.drf.alb import AlbAuthentication
from fastcognito.exceptions import MalformedTokenError

ACTIONS: list[str] = []


class StrictAlbMiddleware(AlbMiddleware):
    """A project's own source step that refuses an over-long ALB header as malformed."""

    def get_raw_token(self, request: HttpRequest) -> RawToken | None:
        raw_token = super().get_raw_token(request)
        if raw_token is not None and len(raw_token.value) > 100:
            raise MalformedTokenError("the ALB header is too long")
        return raw_token


class AlbTransfer(APIView):
    authentication_classes = [AlbAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"username": request.user.username})

    def post(self, request: Request) -> Response:
        ACTIONS.append(f"drf:{request.user.username}")
        return Response({"done": True})


class BearerTransfer(AlbTransfer):
    authentication_classes = [CognitoAuthentication]


def _act(request: HttpRequest, where: str) -> JsonResponse:
    if request.method == "POST":
        ACTIONS.append(f"{where}:{request.user.username}")
    return JsonResponse({"username": request.user.username})


@cognito_login_required
def plain_transfer(request: HttpRequest) -> JsonResponse:
    return _act(request, "plain")


@cognito_login_required
async def async_transfer(request: HttpRequest) -> JsonResponse:
    await request.auser()
    return _act(request, "async")


@csrf_protect
@cognito_login_required
def protected_transfer(request: HttpRequest) -> JsonResponse:
    return _act(request, "csrf_protect")


urlpatterns = [
    path("drf/alb-transfer/", AlbTransfer.as_view()),
    path("drf/bearer-transfer/", BearerTransfer.as_view()),
    path("plain/transfer/", plain_transfer),
    path("plain/async-transfer/", async_transfer),
    path("plain/protected-transfer/", protected_transfer),
    path("auth/", include("fastcognito.django.urls")),
    path("admin/", admin.site.urls),
]
