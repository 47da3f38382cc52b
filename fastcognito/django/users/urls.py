"""The token exchange URLs: ``path("api/auth/", include("fastcognito.django.users.urls"))``.

Named in the ``fastcognito_users`` namespace: ``fastcognito_users:exchange`` (a Cognito token for
a simplejwt pair), ``:refresh`` (a new access token for the refresh cookie, with
``REPLICA["EXCHANGE_REFRESH_COOKIE"]``) and ``:logout`` (the refresh token blacklisted, the cookie
cleared). Mounted beside the sign-in views (``fastcognito.django.urls``, whose ``logout/`` is
another view), give them different prefixes.
"""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "fastcognito_users"

urlpatterns = [
    path("exchange/", views.exchange_token, name="exchange"),
    path("refresh/", views.refresh_exchanged_token, name="refresh"),
    path("logout/", views.revoke_exchanged_token, name="logout"),
]
