"""URLs of the start-up tests' project: a DRF view and a plain view behind the middleware."""

from django.http import HttpRequest, JsonResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class WhoAmI(APIView):
    def get(self, request: Request) -> Response:
        return Response({"username": request.user.username})


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("drf/whoami/", WhoAmI.as_view()), path("healthz/", healthz)]
