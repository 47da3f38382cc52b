"""One view per permission style, plus plain Django views behind ``CognitoMiddleware``.

Authentication never queries the database: ``request.user`` is a ``CognitoUser`` built from the
verified claims and ``request.auth`` is the ``Claims``. Only the article queries hit SQLite.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.http import require_GET
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from fastcognito.drf import HasGroup, HasScope

from .models import Article
from .serializers import ArticleSerializer


def describe(user: Any) -> dict[str, Any]:
    """What the views show of ``request.user`` (a ``CognitoUser``): every value comes from the token."""
    if not user.is_authenticated:
        return {"authenticated": False}
    return {
        "authenticated": True,
        "username": user.username,
        "sub": user.sub,
        "groups": sorted(user.groups),
        "scopes": sorted(user.scopes),
        "is_staff": user.is_staff,
        "can_add_article": user.has_perm("articles.add_article"),
    }


# --- DRF -------------------------------------------------------------------------------------


class ArticleListCreate(generics.ListCreateAPIView):
    """IsAuthenticated: any signed-in user lists and creates articles."""

    queryset = Article.objects.all()
    serializer_class = ArticleSerializer
    permission_classes = [IsAuthenticated]

    def perform_create(self, serializer: BaseSerializer) -> None:
        serializer.save(author_sub=self.request.user.sub)


class Me(APIView):
    """IsAuthenticated, and no database: the user comes from the verified token."""

    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response(describe(request.user))


class AdminReport(APIView):
    """HasGroup: members of the Cognito group `admins` only."""

    permission_classes = [HasGroup("admins")]

    def get(self, request: Request) -> Response:
        return Response({"articles": Article.objects.count(), "requested_by": request.user.username})


class Account(APIView):
    """HasScope: the scope Cognito grants for its own user APIs."""

    permission_classes = [HasScope("aws.cognito.signin.user.admin")]

    def get(self, request: Request) -> Response:
        return Response({"username": request.user.username, "scopes": sorted(request.user.scopes)})


class Editorial(APIView):
    """Composed: signed in, and an editor or a machine client granted `articles/publish`."""

    permission_classes = [IsAuthenticated & (HasGroup("editors") | HasScope("articles/publish"))]

    def get(self, request: Request) -> Response:
        return Response({"queue": [], "editor": request.user.username})


# --- plain Django, behind CognitoMiddleware --------------------------------------------------


@require_GET
def whoami(request: HttpRequest) -> JsonResponse:
    return JsonResponse(describe(request.user))


@require_GET
def csrf(request: HttpRequest) -> JsonResponse:
    """Sets the CSRF cookie and returns the token a browser client sends back in X-CSRFToken."""
    return JsonResponse({"csrfToken": get_token(request)})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})
