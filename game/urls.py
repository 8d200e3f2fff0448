"""Game URLs: the screens (game.views) and the reports (game.reports)."""

from django.urls import include, path

from . import seats, views

urlpatterns = [
    path("api/join/", views.api_join, name="api-join"),
    # Players: no account; the seat is a cookie per session.
    path("", views.join_page, name="join"),
    path("join/", seats.join_page, name="join-post"),  # "Is it you?" first, then views
    path("join/wait/<str:code>/", seats.wait, name="seat-wait"),
    path("join/wait/<str:code>/status/", seats.wait_status, name="seat-wait-status"),
    path("join/wait/<str:code>/cancel/", seats.wait_cancel, name="seat-wait-cancel"),
    path("play/<str:code>/", views.play, name="play"),
    path("play/<str:code>/next/", views.play_next, name="play-next"),
    # The host.
    path("host/login/", views.HostLoginView.as_view(), name="login"),
    path("host/logout/", views.auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    path("host/", views.host_home, name="host-home"),
    path("host/<str:code>/", views.dashboard, name="dashboard"),
    path("host/<str:code>/qr.svg", views.qr_svg, name="qr"),
    path("host/<str:code>/projector/", views.projector, name="projector"),
    path("host/<str:code>/again/", views.play_again, name="play-again"),
    path("host/<str:code>/bots/", views.start_bots, name="bots"),
    path(
        "host/<str:code>/claims/<str:claim>/<str:answer>/",
        seats.host_claim,
        name="host-claim",
    ),
    path("host/<str:code>/seats/<str:pid>/code/", seats.host_seat_code, name="host-seat-code"),
    path("host/<str:code>/seats/<str:pid>/merge/", seats.host_merge, name="host-merge"),
    path("host/<str:code>/preview/<str:pid>/", views.preview, name="preview"),
    path("host/<str:code>/preview/<str:pid>/view.json", views.preview_view, name="preview-view"),
    # The debrief and the downloads (game.reports): debrief, export-zip, -xlsx, -json.
    path("", include("game.reports_urls")),
    # The take-home summary, the handout and deleting the personal data (game.summary_views).
    path("", include("game.summary_urls")),
]
