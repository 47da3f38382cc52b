"""A custom USER_CLASS for the tests."""

from __future__ import annotations

from typing import Any

from fastcognito.django import CognitoUser


class TenantUser(CognitoUser):
    def __init__(self, claims: Any) -> None:
        super().__init__(claims)
        self.tenant = claims.get("custom:tenant", "")
        self.username = f"{self.username}@{self.tenant}"
