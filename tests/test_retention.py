"""Retention: a session's names, seat tokens and free texts go when their time is up.

Players with full Danish names play the mini case to its end through the
actions layer, writing ideas, answers and next steps; the host sends a
message. ``RETENTION_DAYS`` after the end, ``manage.py purge_sessions`` must
leave none of it anywhere in the database (every table, every text column,
JSON escapes included), while the pseudonymous export still works and a purged
player's cookie gets a polite notice. The host can do the same at once from
the dashboard, after typing the code; the admin shows when the data goes.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.translation import trans_real

from game import actions, consumers, export, retention
from game.consumers import seat_cookie
from game.models import Event, Player, Session, hash_token
from tests.support import Client as WsClient
from tests.support import play_whole_game, player_client

# Also run against PostgreSQL (make test runs the postgres tests a second time there).
pytestmark = pytest.mark.postgres

LOCALE = Path(settings.BASE_DIR) / "locale"
FULL_NAMES = [
    "Bodil Kjærsgaard",
    "Cæcilie Ørum",
    "Dagmar Åskov",
    "Eskild Brøns",
    "Frode Lærkholm",
    "Gunhild Søe",
    "Hjørdis Bækgaard",
    "Ingolf Østrup",
]
MESSAGE = "Husk frokosten kl. 12 i kantinen hos Bodil"
PURGED_NOTICE = "Dette spil er slut, og dets oplysninger er slettet"


@pytest.fixture(scope="module", autouse=True)
def _compiled_translations():
    stale = [
        po
        for po in LOCALE.glob("*/LC_MESSAGES/*.po")
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        call_command("compilemessages", locale=["da", "en"], ignore_patterns=[".venv"], verbosity=0)
        trans_real._translations.clear()
        trans_real._default = None


def idea_of(pid: str, n: int) -> str:
    return f"Idé-{pid}-{n}: morgenløb for hele Askelund"


def answer_of(pid: str, q: str) -> str:
    return f"Svar-{pid}-{q}: vi lyttede for lidt til forældrene"


@pytest.fixture
def played(alice, mini_case):
    """The mini case played to its end; every free text the session can hold is written."""
    session = actions.create_session(host=alice, case_version=mini_case, options={"size": 4})
    tokens = {}
    for name in FULL_NAMES:
        player, token, _done = actions.join(session, name)
        tokens[name] = (player.pid, token)
    actions.perform(session.pk, {"kind": "message", "text": MESSAGE}, actor="host")
    written: dict[str, int] = {}

    def text(pid: str, move: dict) -> str:
        if move["type"] == "reflect":
            return answer_of(pid, move["question"])
        written[pid] = written.get(pid, 0) + 1
        return idea_of(pid, written[pid])

    play_whole_game(session, seed=2, text=text)
    for pid, _token in tokens.values():
        actions.save_next_steps(
            Player.objects.get(session=session, number=int(pid)),  # the seat number (issue 10)
            {"vision": f"Næste skridt-{pid}: temamøde i byrådet"},
        )
    session.tokens = tokens
    session.texts = (
        [MESSAGE]
        + [idea_of(pid, n) for pid, n in written.items()]
        + [
            answer_of(pid, q.id)
            for _n, (pid, _t) in tokens.items()
            for q in mini_case.parsed().reflection
        ]
        + [f"Næste skridt-{pid}: temamøde i byrådet" for _n, (pid, _t) in tokens.items()]
    )
    return session


def age(session: Session, days: float) -> None:
    """Move the session's end (and last change) this many days into the past."""
    when = timezone.now() - timedelta(days=days)
    Session.objects.filter(pk=session.pk).update(ended_at=when, updated=when)


def every_text_in_the_database() -> str:
    """Every value of every row of every table, as text: what a search of the database finds."""
    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            out += [str(v) for row in cursor.fetchall() for v in row if v is not None]
    return "\n".join(out)


def forms_of(text: str) -> list[str]:
    """A text as the database may hold it: as written, and escaped inside JSON."""
    return [text, json.dumps(text)[1:-1]]


def secrets_of(session) -> list[str]:
    out = []
    for name, (_pid, token) in session.tokens.items():
        out += [name, *name.split(), token, hash_token(token)]
    return out + session.texts


def test_a_session_gets_its_end_time_when_it_ends(formed_session):
    assert formed_session.ended_at is None
    actions.perform(formed_session.pk, {"kind": "start"}, actor="host")
    before = timezone.now()
    actions.perform(formed_session.pk, {"kind": "end"}, actor="host")
    formed_session.refresh_from_db()
    assert formed_session.ended_at is not None and formed_session.ended_at >= before
    assert retention.data_until(formed_session) == formed_session.ended_at + timedelta(
        days=settings.RETENTION_DAYS
    )


def test_the_retention_setting_defaults_to_30_days():
    assert settings.RETENTION_DAYS == 30


def test_before_its_time_the_data_stays(played):
    age(played, settings.RETENTION_DAYS - 1)
    call_command("purge_sessions", stdout=io.StringIO())
    played.refresh_from_db()
    assert played.purged_at is None
    text = every_text_in_the_database()
    assert "Bodil Kjærsgaard" in text or json.dumps("Bodil Kjærsgaard")[1:-1] in text
    assert any(form in text for form in forms_of(played.texts[-1]))


def test_after_its_time_no_name_token_or_free_text_is_left_anywhere(played):
    searched = secrets_of(played)
    text = every_text_in_the_database()
    # The search would find them before: otherwise it proves nothing.
    found = [s for s in searched if any(form in text for form in forms_of(s))]
    assert len(found) >= len(searched) - len(FULL_NAMES)  # the token itself is never stored
    age(played, settings.RETENTION_DAYS + 1)
    out = io.StringIO()
    call_command("purge_sessions", stdout=out)
    assert played.code in out.getvalue()
    text = every_text_in_the_database()
    for secret in searched:
        for form in forms_of(secret):
            assert form not in text, secret
    played.refresh_from_db()
    assert played.purged_at is not None
    assert {p["name"] for p in played.state["players"].values()} == {f"P0{i}" for i in range(1, 9)}
    # The game's own record stays: every vote and lock is still in the log.
    assert Event.objects.filter(session=played, kind="vote").count() > 20
    assert Event.objects.filter(session=played, kind="purge").count() == 1
    # Run again: nothing more to do.
    again = io.StringIO()
    call_command("purge_sessions", stdout=again)
    assert played.code not in again.getvalue()


def test_a_purged_session_still_exports_with_pseudonyms(played):
    votes_before = len(export.export_rows(played)["votes"])
    age(played, settings.RETENTION_DAYS + 1)
    call_command("purge_sessions", stdout=io.StringIO())
    played.refresh_from_db()
    rows = export.export_rows(played)
    assert [r["player"] for r in rows["players"]] == [f"P0{i}" for i in range(1, 9)]
    assert len(rows["votes"]) == votes_before
    assert {r["player"] for r in rows["votes"]} <= {f"P0{i}" for i in range(1, 9)}
    assert rows["outcomes"] and all(r["outcome"] for r in rows["outcomes"])
    with zipfile.ZipFile(io.BytesIO(export.export_zip(played))) as archive:
        everything = "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    for name in FULL_NAMES:
        assert name not in everything
    assert "P01" in everything
    log = json.loads(export.export_json(played))
    assert log["players"][0]["player"] == "P01"


def test_a_purged_players_cookie_gets_a_polite_notice(played):
    name, (pid, token) = next(iter(played.tokens.items()))
    client = Client()
    client.cookies[seat_cookie(played.code)] = token
    assert client.get(f"/play/{played.code}/summary/").status_code == 200
    age(played, settings.RETENTION_DAYS + 1)
    call_command("purge_sessions", stdout=io.StringIO())
    # The play page, the summary, and the join page a refused websocket sends the phone to.
    for url in (
        f"/play/{played.code}/",
        f"/play/{played.code}/summary/",
        f"/?code={played.code}",
    ):
        page = client.get(url)
        assert page.status_code == 410, url
        assert PURGED_NOTICE in page.text
        assert name not in page.text
    posted = client.post(f"/play/{played.code}/summary/", {"step_vision": "for sent"})
    assert posted.status_code == 410
    assert actions.seat_for(played, token) is None  # the websocket refuses the seat too


def test_the_retention_days_are_a_setting(played, settings):
    settings.RETENTION_DAYS = 7
    age(played, 8)
    call_command("purge_sessions", stdout=io.StringIO())
    played.refresh_from_db()
    assert played.purged_at is not None


def test_a_session_that_never_ended_counts_from_its_last_change(formed_session, seats):
    actions.perform(formed_session.pk, {"kind": "start"}, actor="host")
    Session.objects.filter(pk=formed_session.pk).update(
        updated=timezone.now() - timedelta(days=settings.RETENTION_DAYS + 1)
    )
    out = io.StringIO()
    call_command("purge_sessions", "--dry-run", stdout=out)
    assert formed_session.code in out.getvalue()
    formed_session.refresh_from_db()
    assert formed_session.purged_at is None  # a dry run changes nothing
    call_command("purge_sessions", stdout=io.StringIO())
    formed_session.refresh_from_db()
    assert formed_session.status == "ended" and formed_session.purged_at is not None
    assert "Bo" not in {p["name"] for p in formed_session.state["players"].values()}


def test_the_host_deletes_the_personal_data_at_once_after_confirming(
    played, client, alice, mallory
):
    url = f"/host/{played.code}/delete-data/"
    client.force_login(mallory)
    assert client.get(url).status_code == 404
    assert client.post(url, {"confirm": played.code}).status_code == 404
    client.force_login(alice)
    dashboard = client.get(f"/host/{played.code}/")
    assert f'href="{url}"' in dashboard.text
    page = client.get(url)
    assert page.status_code == 200 and 'name="confirm"' in page.text
    refused = client.post(url, {"confirm": "WRONG"})
    assert refused.status_code == 400
    assert "Skriv spillets kode for at bekræfte." in refused.text
    played.refresh_from_db()
    assert played.purged_at is None
    done = client.post(url, {"confirm": f" {played.code.lower()} "})
    assert done.status_code == 302 and done["Location"] == f"/host/{played.code}/"
    played.refresh_from_db()
    assert played.purged_at is not None
    text = every_text_in_the_database()
    for secret in secrets_of(played):
        assert all(form not in text for form in forms_of(secret)), secret
    after = client.get(f"/host/{played.code}/")
    assert "Personoplysningerne fra spil" in after.text
    assert client.get(f"/host/{played.code}/handout/").status_code == 410


def test_the_host_can_delete_a_session_still_in_play_which_ends_it(formed_session, client, alice):
    actions.perform(formed_session.pk, {"kind": "start"}, actor="host")
    client.force_login(alice)
    client.post(f"/host/{formed_session.code}/delete-data/", {"confirm": formed_session.code})
    formed_session.refresh_from_db()
    assert formed_session.status == "ended" and formed_session.purged_at is not None


def test_the_admin_shows_when_each_sessions_data_goes(played, client, formed_session):
    admin = get_user_model().objects.create_superuser("root", password="root-pw")
    client.force_login(admin)
    page = client.get("/admin/game/session/")
    assert page.status_code == 200
    until = timezone.localtime(retention.data_until(played)).date()
    assert "gemmes til" in page.text
    assert f"{until.day}. " in page.text
    assert "ikke afsluttet" in page.text  # formed_session is still in the lobby
    retention.purge(played)
    page = client.get("/admin/game/session/")
    assert "slettet" in page.text


def test_the_join_page_says_what_is_kept_for_how_long_and_who_sees_it(client, db, settings):
    page = client.get("/")
    assert "Hvad sker der med dine oplysninger?" in page.text
    assert f"slettes {settings.RETENTION_DAYS} dage efter" in page.text
    assert "spillederen ser det hele" in page.text
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/")
    assert "What happens to your data" in page.text
    assert f"deleted {settings.RETENTION_DAYS} days after the session ends" in page.text


def test_purge_refuses_a_negative_number_of_days(db):
    with pytest.raises(SystemExit):
        call_command("purge_sessions", "--days", "-1", stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db(transaction=True)
async def test_an_open_phone_is_patched_to_the_pseudonyms_and_then_refused(alice, mini_case):
    session = await database_sync_to_async(actions.create_session)(
        host=alice, case_version=mini_case, options={"size": 3}
    )
    joined = [await database_sync_to_async(actions.join)(session, n) for n in FULL_NAMES[:3]]
    (player, token, _done) = joined[0]
    await database_sync_to_async(actions.perform)(session.pk, {"kind": "end"}, actor="host")
    phone = WsClient(player_client(session, token), "Bodil")
    try:
        first = await phone.connect()
        assert first["view"]["me"]["name"] == "Bodil Kjærsgaard"
        await database_sync_to_async(retention.purge)(session, actor="host")
        purged = await database_sync_to_async(lambda: Session.objects.get(pk=session.pk))()
        await phone.until(purged.version)
        assert phone.view["me"]["name"] == "P01"
        assert phone.events[-1]["v"] <= purged.version  # a presence change may follow, unseen
        assert "Kjærsgaard" not in json.dumps(phone.events[-1], ensure_ascii=False)
        # Nor is the name kept in this process's snapshots for the next connection.
        kept = [
            text for key, (_v, text, _s) in consumers._snapshots.items() if key[0] == session.pk
        ]
        assert not any("Kjærsgaard" in text for text in kept)
    finally:
        await phone.close()
    again = WsClient(player_client(session, token), "Bodil again")
    refused = await again.connect()
    assert refused["type"] == "error" and refused["code"] == "no_seat"
    await again.close()


def test_make_run_purges_at_start_and_production_is_told_to_run_it_from_cron():
    root = Path(settings.BASE_DIR)
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    run = makefile[makefile.index("\nrun:") :]
    run = run[: run.index("\n\n")]
    # Before the server starts: a laptop that was off for weeks purges on its next start.
    assert "manage.py purge_sessions" in run
    assert run.index("manage.py purge_sessions") < run.index("daphne")
    cron = "manage.py purge_sessions"
    for doc in ("README.md", "deploy/README.md"):
        text = (root / doc).read_text(encoding="utf-8")
        block = text[text.index("```cron") :]
        assert cron in block[: block.index("```", 3)], doc
