"""Views of the Django/DRF tests: DRF views under /drf/, plain Django views under /plain/."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from fastcognito.django import cognito_login_required
from fastcognito.drf import CognitoAuthentication


def describe(user: Any) -> dict[str, Any]:
    if not user.is_authenticated:
        return {"authenticated": False, "class": user.__class__.__name__}
    return {
        "authenticated": True,
        "class": user.__class__.__name__,
        "username": user.get_username(),
        "str": str(user),
        "pk": user.pk,
        "id": user.id,
        "groups": list(getattr(user, "groups", ())) if isinstance(getattr(user, "groups", None), tuple) else None,
        "scopes": sorted(getattr(user, "scopes", ())),
        "email": user.email,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
    }


class WhoAmI(APIView):
    def get(self, request: Request) -> Response:
        return Response({**describe(request.user), "token_use": request.auth.token_use})

    def post(self, request: Request) -> Response:
        return Response({"created": True, "username": request.user.username}, status=201)


class Public(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response(describe(request.user))

    def post(self, request: Request) -> Response:
        return Response(describe(request.user))


class Allowed(APIView):
    """A 200 with the username; its permission classes come from the URL conf."""

    def get(self, request: Request) -> Response:
        return Response({"ok": True, "username": getattr(request.user, "username", None)})


class ApiKeyUser:
    is_authenticated = True
    username = "api-key-client"


class ApiKeyAuthentication(BaseAuthentication):
    """Another authenticator after ours: runs when the request has no Cognito token."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        if request.headers.get("X-Api-Key") == "letmein":
            return ApiKeyUser(), None
        return None


class CognitoThenApiKey(APIView):
    authentication_classes = [CognitoAuthentication, ApiKeyAuthentication]

    def get(self, request: Request) -> Response:
        return Response({"username": request.user.username, "class": type(request.user).__name__})


class DepartmentAuthentication(CognitoAuthentication):
    """Uses the Djognito hook: attributes added before any view sees the user."""

    def attach_attributes(self, user: Any, request: Request) -> None:
        user.department = "sales" if "editors" in user.groups else "none"
        user.seen_path = request.path


class Hooked(APIView):
    authentication_classes = [DepartmentAuthentication]

    def get(self, request: Request) -> Response:
        return Response({"department": request.user.department, "seen_path": request.user.seen_path})


class TwoPerMinute(UserRateThrottle):
    rate = "2/min"
    scope = "fastcognito-tests"


class Throttled(APIView):
    throttle_classes = [TwoPerMinute]

    def get(self, request: Request) -> Response:
        return Response({"pk": request.user.pk})


class Perms(APIView):
    def get(self, request: Request) -> Response:
        user = request.user
        return Response(
            {
                "add": user.has_perm("blog.add_post"),
                "delete": user.has_perm("blog.delete_post"),
                "add_and_change": user.has_perms(["blog.add_post", "blog.change_post"]),
                "add_and_delete": user.has_perms(["blog.add_post", "blog.delete_post"]),
                "object_level": user.has_perm("blog.add_post", obj=object()),
                "module_blog": user.has_module_perms("blog"),
                "module_shop": user.has_module_perms("shop"),
            }
        )


# --- plain Django views, through CognitoMiddleware ----------------------------------------------


def _plain(request: HttpRequest, user: Any) -> JsonResponse:
    described = describe(user)
    # Read after the user: the lazy user records why it is anonymous when it is evaluated.
    error = request.cognito_error  # type: ignore[attr-defined]
    return JsonResponse({**described, "error": error.code if error is not None else None})


def plain_whoami(request: HttpRequest) -> JsonResponse:
    return _plain(request, request.user)


async def async_whoami(request: HttpRequest) -> JsonResponse:
    user = await request.auser()  # type: ignore[attr-defined]
    return _plain(request, user)


@cognito_login_required
def plain_protected(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"username": request.user.get_username()})


@cognito_login_required
async def async_protected(request: HttpRequest) -> JsonResponse:
    user = await request.auser()  # type: ignore[attr-defined]
    return JsonResponse({"username": user.get_username()})



def session_whoami(request: HttpRequest) -> JsonResponse:
    """Who Django's session says the user is (AuthenticationMiddleware's answer, no token)."""
    from django.contrib.auth import get_user

    return JsonResponse(describe(get_user(request)))
