from types import SimpleNamespace

import jwt
from django.conf import settings
from rest_framework.authentication import BaseAuthentication

POOL_URL = f"https://cognito-idp.{settings.COGNITO_REGION}.amazonaws.com/{settings.COGNITO_USER_POOL_ID}"


class CognitoJWTAuthentication(BaseAuthentication):
    jwks = jwt.PyJWKClient(f"{POOL_URL}/.well-known/jwks.json")

    def authenticate(self, request):
        token = request.META.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ")
        if not token:
            return None
        key = self.jwks.get_signing_key_from_jwt(token).key
        claims = jwt.decode(token, key, algorithms=["RS256"], options={"verify_aud": False})
        username = claims.get("username") or claims.get("cognito:username")
        return SimpleNamespace(username=username, is_authenticated=True), claims
