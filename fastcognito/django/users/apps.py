"""The app config of ``fastcognito.django.users`` (the opt-in user replica)."""

from __future__ import annotations

from django.apps import AppConfig

__all__ = ["UsersConfig"]


class UsersConfig(AppConfig):
    name = "fastcognito.django.users"
    label = "fastcognito_users"
    verbose_name = "fastcognito users"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the replica's system checks)
