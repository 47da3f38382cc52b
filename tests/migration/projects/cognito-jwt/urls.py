from api import token_views, views
from django.urls import path

urlpatterns = [
    path("api/me/", views.Me.as_view()),
    path("api/token-email/", token_views.TokenEmail.as_view()),
    # auth urls
    # end of auth urls
]
