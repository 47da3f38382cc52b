"""``CognitoIdentity``: one row per Cognito user, keyed by its issuer and ``sub`` together,
linked to a local user.

A link table rather than a user model of our own: it works with any ``AUTH_USER_MODEL`` (the
default ``User`` or a custom one), and the local user keeps whatever else the project stores.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

__all__ = ["CognitoIdentity"]


class CognitoIdentity(models.Model):
    """The issuer and ``sub`` of a local user, and what was last synced onto that user.

    A ``sub`` is unique only within its issuer: another identity provider trusted beside the
    pool (an ALB's OpenID Connect provider) may hand out the same value, so the pair is the key.
    Cognito's issuer forms of one pool are stored as one issuer (``sync.identity_issuer``).
    An empty ``issuer`` (rows made by hand before 0002) matches no token: such a row refuses its
    ``sub`` until its issuer is set.

    ``groups_digest`` and ``synced_iat`` let a request tell, without writing, whether a token
    carries anything new: a write happens only when a field, a flag or the groups changed.
    ``synced_groups`` are the ``cognito:groups`` last synced onto the user: the Django groups the
    replica manages for it. Any other group of the user was granted by hand and is left alone
    (unless ``REPLICA["MIRROR"]``).
    """

    # Cognito's sub is a UUID; 255 leaves room for other issuers' opaque ids.
    sub = models.CharField(max_length=255)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cognito_identity"
    )
    issuer = models.CharField(max_length=255, blank=True, default="")
    groups_digest = models.CharField(max_length=64, blank=True, default="")
    synced_iat = models.BigIntegerField(null=True, blank=True)
    synced_groups = models.JSONField(default=list, blank=True)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Cognito identity"
        verbose_name_plural = "Cognito identities"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "sub"], name="fastcognito_identity_issuer_sub"),
        ]

    def __str__(self) -> str:
        return f"{self.sub} ({self.issuer or 'no issuer'})"
