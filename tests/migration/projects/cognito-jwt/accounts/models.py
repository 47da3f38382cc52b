from django.contrib.auth.models import AbstractUser, UserManager
from django.db import IntegrityError, models


class CognitoUserManager(UserManager):
    def get_or_create_for_cognito(self, payload):
        try:
            return self.get(cognito_sub=payload["sub"])
        except self.model.DoesNotExist:
            pass
        try:
            return self.create(
                username=payload["cognito:username"], email=payload.get("email", ""), cognito_sub=payload["sub"]
            )
        except IntegrityError:
            return self.get(cognito_sub=payload["sub"])


class User(AbstractUser):
    cognito_sub = models.CharField(max_length=255, unique=True, null=True, blank=True)

    objects = CognitoUserManager()
