"""URL conf of the per-site cache attacks: the test views, a public page that never reads
``request.user``, and views behind the ALB's source.

``HITS`` counts the views that ran, so a test sees whether an answer came from the cache.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fastcognito.drf.alb import AlbAuthentication
from tests.support.django.urls import urlpatterns as test_urlpatterns

HITS: list[str] = []


def home(request: HttpRequest) -> HttpResponse:
    HITS.append("home")
    return HttpResponse("welcome")


def hello(request: HttpRequest) -> HttpResponse:
    HITS.append("hello")
    return HttpResponse(f"hello {request.user}")


async def ahello(request: HttpRequest) -> HttpResponse:
    HITS.append("ahello")
    return HttpResponse(f"hello {await request.auser()}")  # type: ignore[attr-defined]


class DrfHello(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        HITS.append("drf")
        return Response({"hello": str(request.user)})


class AlbHello(DrfHello):
    authentication_classes = [AlbAuthentication]


urlpatterns = [
    path("", home),
    path("hello/", hello),
    path("ahello/", ahello),
    path("drf/hello/", DrfHello.as_view()),
    path("drf/alb-hello/", AlbHello.as_view()),
    *test_urlpatterns,
]
