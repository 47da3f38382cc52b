from __future__ import annotations

from django.conf import settings
from django.db import models


class Idp(models.Model):
    """django-rest-microservice's ``Idp``: the user, and the Cognito ``sub`` as a UUID."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idp")
    uuid = models.UUIDField()


class Note(models.Model):
    """A model with a sub but no link to the user: not a source of links."""

    author = models.CharField(max_length=150)
    sub = models.CharField(max_length=255)
