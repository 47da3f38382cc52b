from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("articles/", views.ArticleListCreate.as_view(), name="article-list"),
    path("me/", views.Me.as_view(), name="me"),
    path("admin/report/", views.AdminReport.as_view(), name="admin-report"),
    path("account/", views.Account.as_view(), name="account"),
    path("editorial/", views.Editorial.as_view(), name="editorial"),
]
