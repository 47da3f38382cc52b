from rest_framework import exceptions


class NoAuthToken(exceptions.AuthenticationFailed):
    default_detail = "No authentication token provided"


class InvalidAuthToken(exceptions.AuthenticationFailed):
    default_detail = "Invalid authentication token provided"


class NoSuchClaims(exceptions.AuthenticationFailed):
    default_detail = "The token carries no claims"


class NoSuchUser(exceptions.AuthenticationFailed):
    default_detail = "No such user"
