"""Djognito's "Case 2": its class, with the hook that attaches the user's Cognito groups."""

import os

from djognito.authentication import BaseCognitoAuthentication
from djognito.jwt_utils import verify_jwt


class CognitoAuthentication(BaseCognitoAuthentication):
    def attach_attributes(self, user, request):
        claims = verify_jwt(request.COOKIES.get(os.environ["ACCESS_TOKEN_KEY"], ""))
        user.cognito_groups = claims.get("cognito:groups", [])
