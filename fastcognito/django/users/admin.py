"""The admin's view of the replica: ``CognitoIdentity`` rows, read-only.

A row is written by the replica alone, from verified tokens (``sync.py``): the admin lists and
searches them, and changes none. Adding one by hand would bind a local user to a ``sub`` that no
token vouched for; editing ``issuer`` or ``sub`` would hand that user to another Cognito identity.
Loaded by ``django.contrib.admin``'s autodiscovery when both apps are installed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.http import HttpRequest

from .models import CognitoIdentity

__all__ = ["CognitoIdentityAdmin"]


@admin.register(CognitoIdentity)
class CognitoIdentityAdmin(admin.ModelAdmin):
    list_display = ("issuer", "sub", "user", "synced_at")
    list_select_related = ("user",)
    list_filter = ("issuer",)
    ordering = ("-synced_at",)
    readonly_fields = ("issuer", "sub", "user", "synced_groups", "groups_digest", "synced_iat", "synced_at")

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        # The user model's own name field: AUTH_USER_MODEL may be a custom model (e.g. e-mail).
        return ("sub", f"user__{get_user_model().USERNAME_FIELD}")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
