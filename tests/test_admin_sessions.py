"""The admin shows sessions and their event log, and cannot change them."""

from django.contrib.auth import get_user_model
from django.urls import reverse


def test_the_admin_reads_a_session_with_its_log_and_cannot_change_it(client, formed_session):
    admin = get_user_model().objects.create_superuser("root", password="pw")
    client.force_login(admin)
    listing = client.get(reverse("admin:game_session_changelist"))
    assert listing.status_code == 200 and formed_session.code in listing.text
    page = client.get(reverse("admin:game_session_change", args=[formed_session.pk]))
    assert page.status_code == 200
    assert "form" in page.text and "join" in page.text  # the log's first events
    assert client.get(reverse("admin:game_session_add")).status_code == 403
    before = formed_session.state
    client.post(reverse("admin:game_session_change", args=[formed_session.pk]), {"status": "ended"})
    formed_session.refresh_from_db()
    assert formed_session.state == before and formed_session.status == "lobby"
