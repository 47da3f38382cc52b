"""URL conf of the Django/DRF tests."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated

from fastcognito.drf import HasGroup, HasScope
from tests.support.django import views

PERMISSIONS = {
    "group-admins": [HasGroup("admins")],
    "group-any": [HasGroup("nobody", "editors")],
    "group-none": [HasGroup("nobody")],
    "scope-openid": [HasScope("openid")],
    "scope-write": [HasScope("api/write")],
    "and": [HasGroup("admins") & HasScope("openid")],
    "and-fails": [HasGroup("admins") & HasScope("api/write")],
    "or": [HasGroup("nobody") | HasScope("openid")],
    "or-fails": [HasGroup("nobody") | HasScope("api/write")],
    "not": [IsAuthenticated & ~HasGroup("admins")],
    "nested": [IsAuthenticated & (HasScope("api/write") | HasGroup("editors"))],
    "two-classes": [IsAuthenticated, HasGroup("admins"), HasScope("openid")],
}

urlpatterns = [
    path("drf/whoami/", views.WhoAmI.as_view()),
    path("drf/public/", views.Public.as_view()),
    path("drf/api-key/", views.CognitoThenApiKey.as_view()),
    path("drf/hooked/", views.Hooked.as_view()),
    path("drf/throttled/", views.Throttled.as_view()),
    path("drf/perms/", views.Perms.as_view()),
    *(
        path(f"drf/perm/{name}/", views.Allowed.as_view(permission_classes=classes))
        for name, classes in PERMISSIONS.items()
    ),
    path("plain/whoami/", views.plain_whoami),
    path("plain/async-whoami/", views.async_whoami),
    path("plain/protected/", views.plain_protected),
    path("plain/async-protected/", views.async_protected),
    path("schema/", SpectacularAPIView.as_view()),
    path("auth/", include("fastcognito.django.urls")),
    path("auth/", include("fastcognito.django.users.urls")),
    path("session/whoami/", views.session_whoami),
    path("admin/", admin.site.urls),
]
