from django.urls import include, path

from api import views

urlpatterns = [
    path("api/me/", views.Me.as_view()),
    path("api/staff/", views.StaffOnly.as_view()),
    # auth urls
    path("auth/", include("rest_framework_microservice.urls")),
    # end of auth urls
]
