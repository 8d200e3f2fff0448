"""Game URLs: the screens (game.views) and the reports (game.reports)."""

from django.urls import path

from . import views

urlpatterns = [
    path("api/join/", views.api_join, name="api-join"),
]
