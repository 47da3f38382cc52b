import views
from django.urls import path

urlpatterns = [
    path("api/profile/", views.Profile.as_view()),
    path("api/editors/", views.Editors.as_view()),
    # auth urls
    # end of auth urls
]
