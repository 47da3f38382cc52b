"""The token exchange URL: ``path("auth/", include("fastcognito.django.users.urls"))``.

Named ``fastcognito_users:exchange``.
"""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "fastcognito_users"

urlpatterns = [path("exchange/", views.exchange_token, name="exchange")]
