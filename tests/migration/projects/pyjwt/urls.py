from api import views
from django.urls import path

urlpatterns = [
    path("api/me/", views.Me.as_view()),
    path("api/editors/", views.Editors.as_view()),
    # auth urls
    # end of auth urls
]
