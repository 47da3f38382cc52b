from api import views
from django.urls import include, path

urlpatterns = [
    path("api/me/", views.Me.as_view()),
    path("api/staff/", views.StaffOnly.as_view()),
    # auth urls
    path("auth/", include("rest_framework_microservice.urls")),
    # end of auth urls
]
