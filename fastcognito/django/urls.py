"""The sign-in URLs: ``path("auth/", include("fastcognito.django.urls"))``.

Named in the ``fastcognito`` namespace: ``fastcognito:login``, ``:callback``, ``:refresh``,
``:logout`` and ``:signin``.
"""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "fastcognito"

urlpatterns = [
    path("login/", views.login, name="login"),
    path("callback/", views.callback, name="callback"),
    path("refresh/", views.refresh, name="refresh"),
    path("logout/", views.logout, name="logout"),
    path("signin/", views.signin, name="signin"),
]
