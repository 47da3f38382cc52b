"""A URL conf with the replica's exchange views under a prefix of their own (api/auth/), beside
the sign-in views (auth/), as a site mounts both: each logout/ reaches its own view."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("auth/", include("fastcognito.django.urls")),
    path("api/auth/", include("fastcognito.django.users.urls")),
]
