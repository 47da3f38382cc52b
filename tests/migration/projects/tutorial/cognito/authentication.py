"""The tutorial's checks, in this test's words: the raw header's id token is verified with the
pasted keys (python-jose), its expiry and ``aud`` checked, and the user found by e-mail."""

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from jose import jwk, jwt
from jose.utils import base64url_decode
from rest_framework import authentication

from . import keys
from .exceptions import InvalidAuthToken, NoAuthToken, NoSuchClaims, NoSuchUser

UserModel = get_user_model()


def get_jwt_claims(token):
    kid = jwt.get_unverified_headers(token)["kid"]
    key = next((candidate for candidate in keys if candidate["kid"] == kid), None)
    if key is None:
        return []
    message, signature = str(token).rsplit(".", 1)
    if not jwk.construct(key).verify(message.encode("utf8"), base64url_decode(signature.encode("utf-8"))):
        return []
    claims = jwt.get_unverified_claims(token)
    if time.time() > claims["exp"]:
        return []
    if claims["aud"] != settings.COGNITO_CONFIG["app_client_id"]:
        return []
    return claims


class CognitoAuthenticationMixin:
    @staticmethod
    def get_auth_token(request):
        raise NotImplementedError()

    def authenticate(self, request):
        token = self.get_auth_token(request)
        try:
            claims = get_jwt_claims(token)
            if claims:
                return UserModel.objects.get(email=claims["email"])
            raise NoSuchClaims()
        except UserModel.DoesNotExist:
            raise NoSuchUser()
        except Exception:
            raise InvalidAuthToken()


class CognitoAuthentication(CognitoAuthenticationMixin, authentication.BaseAuthentication):
    @staticmethod
    def get_auth_token(request):
        try:
            return request.META["HTTP_AUTHORIZATION"]
        except KeyError:
            raise NoAuthToken()

    def authenticate(self, request):
        return super().authenticate(request), None
