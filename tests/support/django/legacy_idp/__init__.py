"""A stand-in for the table django-rest-microservice 1.3 keeps each user's Cognito ``sub`` in
(``rest_framework_microservice.models.Idp``, the same fields), for the tests of
``manage.py cognito_link_users --sub-from``."""
