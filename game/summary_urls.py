"""The take-home pages (game.summary_views); ``game.urls`` includes these at the root."""

from django.urls import path

from . import summary_views

urlpatterns = [
    path("play/<str:code>/summary/", summary_views.player_summary, name="summary"),
    path("host/<str:code>/handout/", summary_views.handout, name="handout"),
    path("host/<str:code>/handout.pdf", summary_views.handout_pdf, name="handout-pdf"),
    path("host/<str:code>/delete-data/", summary_views.delete_data, name="delete-data"),
]
