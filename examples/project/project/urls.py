from __future__ import annotations

from django.urls import include, path

from articles import views

from . import pages

urlpatterns = [
    path("healthz/", views.healthz, name="healthz"),
    path("csrf/", views.csrf, name="csrf"),
    path("whoami/", views.whoami, name="whoami"),
    path("api/", include("articles.urls")),
    # Sign-in (HOSTED_UI): fastcognito's views, and the example's two pages around them.
    path("auth/", include("fastcognito.django.urls")),
    path("", pages.login_page, name="login-page"),
    path("signed-in/", pages.signed_in_page, name="signed-in"),
    path("signed-out/", pages.signed_out_page, name="signed-out"),
]
