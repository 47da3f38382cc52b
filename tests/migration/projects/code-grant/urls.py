from api import views
from cognito_code_grant.views import include_auth_urls
from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/me/", views.Me.as_view()),
    # auth urls
    path("auth/", include_auth_urls()),
    # end of auth urls
]
