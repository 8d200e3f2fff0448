"""The host's debrief page and downloads; ``game.urls`` includes these at the root."""

from django.urls import path

from . import reports

urlpatterns = [
    path("host/<str:code>/debrief/", reports.debrief_view, name="debrief"),
    path("host/<str:code>/export.zip", reports.export_zip_view, name="export-zip"),
    path("host/<str:code>/export.xlsx", reports.export_xlsx_view, name="export-xlsx"),
    path("host/<str:code>/events.json", reports.export_json_view, name="export-json"),
]
