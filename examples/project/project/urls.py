from __future__ import annotations

from django.urls import include, path

from articles import views

urlpatterns = [
    path("healthz/", views.healthz, name="healthz"),
    path("csrf/", views.csrf, name="csrf"),
    path("whoami/", views.whoami, name="whoami"),
    path("api/", include("articles.urls")),
]
