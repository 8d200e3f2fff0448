"""Reports: the exports (ZIP of CSVs, xlsx, events.json) and the host's debrief page.

A short session of a variant of the mini case is played through the actions
layer by eight players with Danish names, then read back: every vote must be
in the export, æøå must survive, no display name may leave in any file, and
only the session's own host may see the debrief or download anything.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import time
import zipfile
from html import escape
from pathlib import Path

import openpyxl
import pytest
import yaml
from django.urls import NoReverseMatch, include, path, reverse
from django.utils import translation
from django.utils.html import escape as django_escape

from cases.loader import load_case
from cases.schema import Meter
from game import actions, charts, debrief, export, readmodel
from game.models import Event, Session

# Also run against PostgreSQL (make test runs the postgres tests a second time there).
pytestmark = pytest.mark.postgres

CASES = Path(__file__).parent / "cases"
NAMES = [
    "Bodil Kjærsgaard",
    "Cæcilie Ørum",
    "Dagmar Åskov",
    "Eskild Brøns",
    "Frode Lærkholm",
    "Gunhild Søe",
    "Hjørdis Bækgaard",
    "Ingolf Østrup",
]
IDEA_ÆØÅ = "Åben skole på Ærø: lærere, forældre og fodboldklubben planlægger sammen"
IDEA_FORMULA = "=1+1 flere lærere i indskolingen"
ANSWER_ÆØÅ = "Følgeskab kræver, at de berørte får en plads ved bordet – også i Østerå."
ANSWER_NAMING = "Jeg var enig med Bodil om pladserne."  # Bodil joined first: P01
HEADLINE_GOOD = "»Byrådet siger ja – borgerne skrev med på skoleplanen«"
HEADLINE_BAD = "»Skoleplanen sendt retur til udvalget«"
MESSAGE = "Fem minutter tilbage – husk at træffe beslutningerne."
TABLES = export.TABLES

# Used as the URLconf when game.urls does not include the reports yet (see ``urls``).
urlpatterns = [
    path("", include("game.reports_urls")),
    path("", include("policymaker.urls")),
]


@pytest.fixture(autouse=True)
def urls(settings):
    """The real URLs if game.urls includes game.reports_urls; else this module's."""
    try:
        reverse("debrief", args=["AAAAAA"])
    except NoReverseMatch:
        settings.ROOT_URLCONF = __name__


@pytest.fixture
def report_case(db, tmp_path):
    """The mini case with distinctive headlines, six learning goals and tagged cards."""
    data = yaml.safe_load((CASES / "mini.yaml").read_text(encoding="utf-8"))
    data["slug"] = "mini-report"
    # The persona speaks for the stakeholder the committees seat (a persona of a
    # stakeholder left out would give way to a plain seat).
    data["personas"][0]["stakeholder"] = "s2"
    data["learning_goals"] = [{"id": f"LG{i}", "title": f"Mål {i}"} for i in range(1, 7)]
    data["outcomes"][0]["headline"] = HEADLINE_GOOD
    data["outcomes"][1]["headline"] = HEADLINE_BAD
    data["meters"][0]["label"] = "Ejerskab"
    data["meters"][1]["label"] = "Økonomi"
    data["dilemmas"][0]["lg"] = ["LG4"]
    data["dilemmas"][1]["lg"] = ["LG4"]
    data["events"][0]["lg"] = ["LG6"]
    data["rounds"][1]["tasks"][0]["lg"] = ["LG1"]
    data["reflection"] = [
        {"id": "q1", "text": "Hvad lærte I om følgeskab?", "lg": ["LG2"]},
        {"id": "q2", "text": "Hvornår trak I politikerkortet?", "lg": ["LG4"]},
    ]
    file = tmp_path / "mini-report.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_case(file)[0]


def _state(session):
    session.refresh_from_db()
    return session.state


def _holder(state, cid: str, role: str) -> str:
    return next(p for p, r in state["committees"][cid]["roles"].items() if r == role)


def _decision_key(state, cid: str, task: str) -> str:
    return next(k for k, d in state["committees"][cid]["decisions"].items() if d["task"] == task)


@pytest.fixture
def played(alice, report_case):
    """A whole session, lobby to end, in two committees of four, with rotating roles."""
    session = actions.create_session(
        host=alice, case_version=report_case, options={"size": 4, "rotate_roles": True}
    )
    pids = {name: actions.join(session, name)[0].pid for name in NAMES}

    def host(action: dict) -> None:
        actions.perform(session.pk, action, actor="host")

    def player(pid: str, action: dict) -> None:
        actions.perform(session.pk, {**action, "player": pid}, actor=f"player:{pid}")

    host({"kind": "form"})
    host({"kind": "start"})
    host({"kind": "advance"})  # r1: framing, seats, ranking; the igangsætter locks

    s = _state(session)
    for cid in ("1", "2"):
        members = s["committees"][cid]["members"]
        for i, p in enumerate(members):
            # Committee 2's majority wants f2; its igangsætter will lock f1 anyway.
            player(
                p, {"kind": "vote", "key": "fokus", "value": ["f2" if cid == "2" and i else "f1"]}
            )
            player(p, {"kind": "vote", "key": "pladser", "value": ["s2"]})
            player(p, {"kind": "vote", "key": "rang", "value": ["o1", "o2"][:: 1 if i % 2 else -1]})
        ig = _holder(s, cid, "ig")
        player(ig, {"kind": "lock", "key": "fokus", "value": ["f1"] if cid == "2" else None})
        player(ig, {"kind": "lock", "key": "pladser"})
        player(ig, {"kind": "lock", "key": "rang"})

    host({"kind": "advance"})  # r2: ideas, catalyst, dilemma; the katalysator locks
    host({"kind": "timer", "op": "start", "now": time.time()})
    host({"kind": "timer", "op": "pause", "now": time.time() + 30})
    host({"kind": "message", "text": MESSAGE})
    host({"kind": "inject", "card": "e1", "committee": "2"})
    s = _state(session)
    for cid in ("1", "2"):
        members = s["committees"][cid]["members"]
        for i, p in enumerate(members):
            text = f"Idé {i + 1} fra udvalg {cid}"
            if cid == "1" and i == 0:
                text = IDEA_ÆØÅ
            if cid == "2" and i == 0:
                text = IDEA_FORMULA
            player(p, {"kind": "idea", "text": text})
        s = _state(session)
        ids = [str(i["id"]) for i in s["committees"][cid]["ideas"]]
        for i, p in enumerate(members):
            player(p, {"kind": "vote", "key": "ideer", "value": {ids[i % len(ids)]: 2, ids[-1]: 1}})
        ka = _holder(s, cid, "ka")
        player(ka, {"kind": "lock", "key": "ideer"})
        dil = _decision_key(s, cid, "dil")
        for i, p in enumerate(members):
            # Three of four for x: a lock with a majority behind it is no politician card.
            player(p, {"kind": "vote", "key": dil, "value": "y" if i == 1 else "x"})
        if cid == "1":
            player(ka, {"kind": "lock", "key": "kat", "value": "k1"})
            player(ka, {"kind": "lock", "key": dil})
        else:
            for p in members:
                player(p, {"kind": "vote", "key": "inject:e1", "value": "y"})
    host({"kind": "lock_all"})  # committee 2's dilemma and event card: by the host

    host({"kind": "advance"})  # r3: recommendation within the budget, coupling
    s = _state(session)
    for cid in ("1", "2"):
        kept = s["committees"][cid]["decisions"]["ideer"]["locked"]
        for p in s["committees"][cid]["members"]:
            player(p, {"kind": "vote", "key": "anb", "value": kept})
            player(p, {"kind": "vote", "key": "kob", "value": ["c1"]})
        if cid == "1":
            ig = _holder(s, cid, "ig")
            player(ig, {"kind": "lock", "key": "anb"})
            player(ig, {"kind": "lock", "key": "kob"})
    now = time.time()
    host({"kind": "timer", "op": "start", "now": now})
    actions.perform(session.pk, {"kind": "tick", "now": now + 10**6}, actor="system")

    host({"kind": "advance"})  # r4: the council's outcome and the reflection questions
    s = _state(session)
    for cid in ("1", "2"):
        for i, p in enumerate(s["committees"][cid]["members"]):
            answer = f"Svar {i + 1} fra udvalg {cid}"
            if cid == "1" and i == 0:
                answer = ANSWER_ÆØÅ
            if cid == "2" and i == 0:
                answer = ANSWER_NAMING
            player(p, {"kind": "reflect", "question": "q1", "text": answer})
            if i < 2:
                player(p, {"kind": "reflect", "question": "q2", "text": f"Aldrig, sagde {i}"})
    host({"kind": "end"})
    session.refresh_from_db()
    session.pids = pids
    return session


def _log_events(session, kind: str) -> list[dict]:
    return [
        e for ev in Event.objects.filter(session=session) for e in ev.events if e["kind"] == kind
    ]


def _csv_rows(data: bytes) -> list[dict]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for Excel"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def _zip(session) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(export.export_zip(session))) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _every_text(files: dict[str, bytes]) -> dict[str, str]:
    """Every file's text, the xlsx's inner XML files included."""
    out = {}
    for name, data in files.items():
        if name.endswith(".xlsx"):
            with zipfile.ZipFile(io.BytesIO(data)) as inner:
                for part in inner.namelist():
                    out[f"{name}/{part}"] = inner.read(part).decode("utf-8")
        else:
            out[name] = data.decode("utf-8-sig")
    return out


# --- the export ---------------------------------------------------------------------------------


def test_zip_holds_every_table_as_csv_plus_xlsx_json_and_readme(played):
    files = _zip(played)
    assert set(files) == {f"{t}.csv" for t in TABLES} | {
        "session.xlsx",
        "events.json",
        "README.txt",
    }
    for table in TABLES:
        data = files[f"{table}.csv"]
        text = data.decode("utf-8-sig")
        assert text.count("\r\n") >= 1 and "\n" not in text.replace("\r\n", "")
        assert ";" in text.split("\r\n")[0]
    assert "P01" in files["README.txt"].decode("utf-8-sig")


def test_votes_csv_holds_every_vote_of_the_log(played):
    rows = _csv_rows(_zip(played)["votes.csv"])
    logged = _log_events(played, "vote")
    assert len(rows) == len(logged) > 40
    assert {r["key"] for r in rows} >= {"fokus", "pladser", "rang", "ideer", "anb", "kob"}
    fokus = [r for r in rows if r["key"] == "fokus"]
    assert {r["value"] for r in fokus} == {"F1", "F2"} and {r["value_ids"] for r in fokus} == {
        "f1",
        "f2",
    }
    assert all(re.fullmatch(r"P\d\d", r["player"]) for r in rows)
    assert all(r["time"] and r["round_id"] for r in rows)
    ranks = {r["value"] for r in rows if r["key"] == "rang"}
    assert ranks == {"O1 | O2", "O2 | O1"}


def test_locks_show_the_politician_card_the_host_and_the_timer(played):
    rows = _csv_rows(_zip(played)["locks.csv"])
    assert len(rows) == len(_log_events(played, "lock"))
    card = [r for r in rows if r["politician_card"] == "yes"]
    assert [(r["committee"], r["key"], r["value"], r["majority"]) for r in card] == [
        ("2", "fokus", "F1", "F2")
    ]
    by = {r["by"] for r in rows}
    assert {"host", "timer"} <= by and any(re.fullmatch(r"P\d\d", b) for b in by)
    cards = _csv_rows(_zip(played)["cards.csv"])
    assert {(r["committee"], r["injected"], r["choice"]) for r in cards if r["card"] == "e1"} == {
        ("2", "yes", "Y")
    }


def test_aeoeaa_survive_in_csv_xlsx_and_json(played):
    files = _zip(played)
    ideas = _csv_rows(files["ideas.csv"])
    assert IDEA_ÆØÅ in [r["text"] for r in ideas]
    answers = [r["answer"] for r in _csv_rows(files["reflections.csv"])]
    assert ANSWER_ÆØÅ in answers
    book = openpyxl.load_workbook(io.BytesIO(files["session.xlsx"]))
    assert IDEA_ÆØÅ in [c.value for c in book["ideas"]["H"]]
    log = json.loads(files["events.json"])
    assert any(e.get("text") == ANSWER_ÆØÅ for ev in log["events"] for e in ev["events"])
    outcomes = _csv_rows(files["outcomes.csv"])
    assert {r["headline"] for r in outcomes} <= {HEADLINE_GOOD, HEADLINE_BAD}


def test_no_display_name_leaves_in_any_file(played):
    texts = _every_text(_zip(played))
    for name in NAMES:
        for word in (name, name.split()[0], name.split()[1]):
            leaks = [f for f, text in texts.items() if word in text]
            assert not leaks, f"{word!r} in {leaks}"
    # A name written in a reflection became the writer's pseudonym …
    answers = [r["answer"] for r in _csv_rows(_zip(played)["reflections.csv"])]
    assert "Jeg var enig med P01 om pladserne." in answers
    # … and the join events lost their names.
    log = json.loads(texts["events.json"])
    joins = [e for ev in log["events"] for e in ev["events"] if e["kind"] == "join"]
    assert len(joins) == len(NAMES) and all("name" not in e for e in joins)
    assert [ev["version"] for ev in log["events"]] == list(range(1, played.version + 1))
    # Who held which role is keyed by pseudonym too, never by the database's ids.
    roles = [e["roles"] for ev in log["events"] for e in ev["events"] if e["kind"] == "roles"]
    assert roles and all(re.fullmatch(r"P\d+", who) for r in roles for who in r)


def test_formula_like_text_stays_text(played):
    files = _zip(played)
    assert "'" + IDEA_FORMULA in [r["text"] for r in _csv_rows(files["ideas.csv"])]
    book = openpyxl.load_workbook(io.BytesIO(files["session.xlsx"]))
    cell = next(c for c in book["ideas"]["H"] if c.value == IDEA_FORMULA)
    assert cell.data_type == "s"


def test_xlsx_has_the_same_tables_and_row_counts(played):
    files = _zip(played)
    book = openpyxl.load_workbook(io.BytesIO(files["session.xlsx"]))
    assert book.sheetnames == list(TABLES)
    rows = export.export_rows(played)
    for table in TABLES:
        sheet = book[table]
        csv_rows = _csv_rows(files[f"{table}.csv"])
        assert sheet.max_row - 1 == len(csv_rows) == len(rows[table]), table
        assert all(c.font.bold for c in sheet[1])
        if csv_rows:
            assert [c.value for c in sheet[1]] == list(csv_rows[0])
    assert book["ideas"]["H1"].value == "text"
    assert book["ideas"].column_dimensions["H"].width > len(IDEA_ÆØÅ) / 2
    assert export.export_xlsx(played)[:2] == b"PK"


def test_players_are_pseudonyms_with_their_roles_round_by_round(played):
    rows = _csv_rows(_zip(played)["players.csv"])
    assert [r["player"] for r in rows] == [f"P0{i}" for i in range(1, 9)]
    state = played.state
    names = {"ig": "Ig", "fa": "Fa", "ka": "Ka", "p1": "P1"}
    for row, pid in zip(rows, sorted(state["players"], key=int), strict=True):
        cid = state["players"][pid]["committee"]
        assert row["committee"] == cid
        assert row["role"] == names[state["committees"][cid]["roles"][pid]]
        assert row["role_r4"] == row["role"]  # the last round played
        assert row["joined"] and row["removed"] == "no"
    # The roles rotated: in each committee the igangsætter changed from round to round.
    first = [r for r in rows if r["committee"] == "1"]
    assert (
        len(
            {r["player"] for r in first if r["role_r1"] == "Ig"}
            | {r["player"] for r in first if r["role_r2"] == "Ig"}
        )
        == 2
    )


def test_host_events_meters_and_outcomes(played):
    files = _zip(played)
    events = _csv_rows(files["events.csv"])
    kinds = [r["kind"] for r in events]
    for kind in (
        "form",
        "start",
        "round",
        "timer",
        "inject",
        "message",
        "lock_all",
        "timeout",
        "end",
    ):
        assert kind in kinds, kind
    assert MESSAGE in [r["detail"] for r in events]
    meters = _csv_rows(files["meters.csv"])
    assert len(meters) == 2 * 5  # two committees, five rounds
    assert set(meters[0]) >= {"committee", "round", "a", "b"}
    outcomes = _csv_rows(files["outcomes.csv"])
    assert [r["committee"] for r in outcomes] == ["1", "2"]
    assert [r["politician_cards"] for r in outcomes] == ["0", "1"]
    reflections = _csv_rows(files["reflections.csv"])
    assert len(reflections) == 8 + 4


# --- the debrief ------------------------------------------------------------------------------


def test_debrief_data_per_committee_and_learning_goal(played):
    with translation.override("en"):
        d = debrief.debrief(played)
    assert [c["name"] for c in d["committees"]] == ["Committee 1", "Committee 2"]
    one, two = d["committees"]
    assert [m["name"] for m in one["members"]] == [
        played.state["players"][p]["name"] for p in played.state["committees"]["1"]["members"]
    ]
    assert one["outcome"]["headline"] in (HEADLINE_GOOD, HEADLINE_BAD)
    assert [x["prompt"] for x in two["politician_cards"]] == ["p"]
    assert two["politician_cards"][0]["labels"] == ["F1"]
    assert two["politician_cards"][0]["majority"] == ["F2"]
    assert len(one["ideas"]) == 2 and one["ideas"][0]["dots"] >= one["ideas"][1]["dots"]
    assert len(one["history"]) == 5
    q1, q2 = d["reflections"]
    assert (q1["count"], q2["count"]) == (8, 4)
    assert ANSWER_ÆØÅ in [a["text"] for a in q1["answers"]]
    goals = {g["id"]: g for g in d["learning_goals"]}
    assert list(goals) == [f"LG{i}" for i in range(1, 7)]
    assert "D1" in [x["prompt"] for x in goals["LG4"]["decisions"]] or "D2" in [
        x["prompt"] for x in goals["LG4"]["decisions"]
    ]
    assert "E1" in [x["prompt"] for x in goals["LG6"]["decisions"]]
    assert goals["LG2"]["questions"] == ["Hvad lærte I om følgeskab?"]
    assert [row["label"] for row in d["comparison"]] == ["Ejerskab", "Økonomi"]


def test_debrief_page_for_the_host(client, alice, played):
    client.force_login(alice)
    response = client.get(reverse("debrief", args=[played.code]))
    assert response.status_code == 200
    html = response.content.decode()
    headlines = [c["outcome"]["headline"] for c in debrief.debrief(played)["committees"]]
    for headline in headlines:
        assert django_escape(headline) in html
    assert html.count("<svg") >= 2 and 'role="img"' in html
    assert reverse("export-zip", args=[played.code]) in html
    assert "Hvad lærte I om følgeskab?" in html and ANSWER_ÆØÅ in html
    # The code is found however it is typed.
    assert client.get(reverse("debrief", args=[played.code.lower()])).status_code == 200


def test_debrief_and_exports_are_the_hosts_alone(client, mallory, played):
    names = ("debrief", "export-zip", "export-xlsx", "export-json")
    for name in names:
        url = reverse(name, args=[played.code])
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/host/login/")
    client.force_login(mallory)
    for name in names:
        assert client.get(reverse(name, args=[played.code])).status_code == 404
    assert client.get(reverse("debrief", args=["XXXXXX"])).status_code == 404


def test_downloads_are_attachments_named_by_code_and_date(client, alice, played):
    client.force_login(alice)
    date = played.created.astimezone().date().isoformat()
    for name, suffix, kind in (
        ("export-zip", ".zip", "application/zip"),
        ("export-xlsx", ".xlsx", "spreadsheetml"),
        ("export-json", "-events.json", "application/json"),
    ):
        response = client.get(reverse(name, args=[played.code]))
        assert response.status_code == 200
        assert kind in response["Content-Type"]
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert f"policymaker-{played.code}-" in disposition and suffix in disposition
        assert "no-store" in response["Cache-Control"]
    log = json.loads(client.get(reverse("export-json", args=[played.code])).content)
    assert log["session"]["code"] == played.code and date[:4] in log["session"]["created"]


def test_debrief_of_a_session_still_in_the_lobby(client, alice, report_case):
    session = actions.create_session(host=alice, case_version=report_case, options={})
    client.force_login(alice)
    response = client.get(reverse("debrief", args=[session.code]))
    assert response.status_code == 200
    files = _zip(session)
    assert _csv_rows(files["votes.csv"]) == []
    assert files["votes.csv"].decode("utf-8-sig").startswith("time;version;round")


def test_one_query_for_the_log_and_none_per_player(played, django_assert_num_queries):
    session = Session.objects.select_related("case_version").get(pk=played.pk)
    with django_assert_num_queries(2):  # the state's parts (game.models), and the log
        export.export_zip(session)
    # The debrief reads the log once, for the roles round by round (they rotate here).
    with django_assert_num_queries(1):
        debrief.debrief(session)


def test_school_case_played_without_a_single_vote(alice, school_case, client):
    """Every round passes with nothing decided: the reports must not trip over open decisions."""
    session = actions.create_session(host=alice, case_version=school_case, options={"size": 4})
    for name in NAMES[:5]:
        actions.join(session, name)
    for kind in ["form", "start"] + ["advance"] * (len(school_case.parsed().rounds) - 1) + ["end"]:
        actions.perform(session.pk, {"kind": kind}, actor="host")
    session.refresh_from_db()
    files = _zip(session)
    assert _csv_rows(files["votes.csv"]) == [] and _csv_rows(files["locks.csv"]) == []
    assert len(_csv_rows(files["outcomes.csv"])) == 1
    d = debrief.debrief(session)
    assert d["committees"][0]["outcome"] and len(d["learning_goals"]) == 6
    client.force_login(alice)
    response = client.get(reverse("debrief", args=[session.code]))
    headline = django_escape(d["committees"][0]["outcome"]["headline"])
    assert response.status_code == 200 and headline in response.content.decode()


# --- the chart ---------------------------------------------------------------------------------

SIX = [
    Meter(id="problem", label="Problemforståelse"),
    Meter(id="ideer", label="Idérigdom"),
    Meter(id="ejerskab", label="Ejerskab"),
    Meter(id="folgeskab", label="Følgeskab"),
    Meter(id="ledelse", label="Politisk <lederskab> & co"),
    Meter(id="okonomi", label="Økonomi"),
]


def test_meter_chart_reads_without_colour():
    history = [
        (r, {m.id: min(100, 30 + r * k * 3) for k, m in enumerate(SIX)}) for r in range(0, 7)
    ]
    svg = charts.meter_chart_svg(history, SIX, title="Udvalg 1")
    assert svg.startswith("<svg") and 'role="img"' in svg
    title = re.search(r"<title>(.*?)</title>", svg).group(1)
    assert (
        "Udvalg 1" in title
        and "Økonomi" in title
        and "Politisk &lt;lederskab&gt; &amp; co" in title
    )
    assert "<lederskab>" not in svg  # escaped everywhere
    lines = re.findall(r'<polyline class="line"[^>]*stroke-dasharray="([^"]+)"', svg)
    assert len(lines) == 6 and len(set(lines)) == 6
    labels = re.findall(r'<g class="end-label" data-meter="([^"]+)"', svg)
    assert labels == [m.id for m in SIX]
    for m in SIX:  # each end label names its meter and its final value
        text = f"{escape(m.label)} {history[-1][1][m.id]}</text>"
        assert re.search(rf'<g class="end-label" data-meter="{m.id}">.*?{re.escape(text)}', svg)
    # Each line has its own marker shape.
    groups = re.findall(r'<g class="meter"[^>]*><polyline[^>]*/><(\w+)([^>]*)', svg)
    assert len(groups) == 6 and len({g[0] for g in groups}) >= 4
    assert len({_shape(tag, attrs) for tag, attrs in groups}) == 6
    # Axis 0–100 with its gridlines, and a label per round.
    for v in ("0", "25", "50", "75", "100"):
        assert f">{v}</text>" in svg
    assert all(f">{r}</text>" in svg for r in range(7))


def _shape(tag: str, attrs: str) -> str:
    """A marker's shape: its tag, and for polygons which way its first point lies."""
    if tag != "polygon":
        return tag
    pts = [
        tuple(map(float, p.split(",")))
        for p in re.search(r'points="([^"]+)"', attrs).group(1).split()
    ]
    return f"polygon-{len(pts)}-{'up' if pts[0][1] < pts[1][1] else 'down'}"


def test_end_labels_never_overlap():
    history = [(0, {m.id: 50 for m in SIX}), (1, {m.id: 51 for m in SIX})]
    svg = charts.meter_chart_svg(history, SIX)
    ys = sorted(
        float(y)
        for y in re.findall(r'<g class="end-label"[^>]*>.*?<text x="[^"]+" y="([^"]+)"', svg)
    )
    assert len(ys) == 6 and all(b - a >= charts.LABEL_GAP - 0.1 for a, b in itertools.pairwise(ys))


def test_meter_chart_with_one_round_or_none():
    assert "<polyline" in charts.meter_chart_svg({"0": {m.id: 40 for m in SIX}}, SIX)
    empty = charts.meter_chart_svg([], SIX)
    assert "<title>" in empty and "<polyline" not in empty


def test_names_in_free_text_become_pseudonyms_also_in_the_possessive():
    state = {"players": {"1": {"name": "Anna"}, "2": {"name": "Bo"}, "3": {"name": "Bo (2)"}}}
    scrub = readmodel.name_scrubber(state, {"1": "P01", "2": "P02", "3": "P03"})
    assert scrub("Annas idé og Anna's plan") == "P01s idé og P01's plan"
    assert scrub("vi bo i byen") == "vi bo i byen"  # the verb is not a name
    assert scrub("Bo sagde") == "[name] sagde"  # two players called Bo: no guess
    assert scrub("Annasofie") == "Annasofie"  # another word that starts with a name


# --- the debrief for a 20-minute talk (the school case) ----------------------------------------


@pytest.fixture
def school_game(alice, school_case):
    from tests.play_support import play

    return play(alice, school_case, players=8, size=4)


def test_debrief_says_why_each_outcome_came_and_by_how_much(client, alice, school_game):
    with translation.override("da"):
        d = debrief.debrief(school_game)
    client.force_login(alice)
    html = client.get(reverse("debrief", args=[school_game.code])).content.decode()
    case = school_game.case
    for c in d["committees"]:
        w = c["why_view"]
        state_c = school_game.state["committees"][c["id"]]
        meters = (state_c.get("council") or state_c)["meters"]  # what the council weighed
        assert w["reached"]["id"] == c["outcome"]["id"]
        order = [o.id for o in case.outcomes]
        if order.index(c["outcome"]["id"]) > 0:
            # The next better outcome, and what it lacked: its failed meter tests, by how much.
            assert w["next_better"]["id"] == order[order.index(c["outcome"]["id"]) - 1]
            assert w["missing"]
            for x in w["missing"]:
                if x["kind"] == "meter":
                    assert x["short"] == x["min"] - meters[x["meter"]] > 0
                    assert f"mangler {x['short']}" in html
        # The table: each tested meter's value against each outcome's threshold.
        for row in w["rows"]:
            assert row["value"] == meters[row["meter"]]
            for cell in row["cells"]:
                if cell:
                    assert cell["met"] == (cell["margin"] >= 0)
    assert html.count('data-testid="db-why"') >= 2 * len(d["committees"])  # host view + slide


def test_host_script_two_questions_per_goal_about_this_session(school_game):
    with translation.override("da"):
        d = debrief.debrief(school_game)
    script = d["script"]
    assert [s["id"] for s in script] == ["intro"] + [g.id for g in school_game.case.learning_goals]
    # The timings: each question's minutes follow on from the last, and the talk takes 20.
    questions = [q for s in script for q in s["questions"]]
    assert questions[0]["start"] == 0 and questions[-1]["end"] == d["minutes"] == 20
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(questions))
    assert all(q["end"] - q["start"] == q["minutes"] >= 1 for q in questions)
    for step in script:
        assert len(step["questions"]) == 2 and all(q["text"] for q in step["questions"])
        assert step["start"] == step["questions"][0]["start"]
        assert step["end"] == step["questions"][1]["end"]
    names = [c["name"] for c in d["committees"]]
    facts = {s["id"]: [f for q in s["questions"] for f in q["facts"]] for s in script}
    assert all(any(n in f for f in facts["intro"]) for n in names)
    two = d["committees"][1]
    # LG4: the politician card committee 2 played, by name and prompt.
    assert two["politician_cards"]
    card = two["politician_cards"][0]
    assert any(
        f.startswith("Udvalg 2 trak politikerkortet") and card["prompt"] in f for f in facts["LG4"]
    )
    # LG2: who was left out, with how many, and what the most engaged of them did.
    left = len(two["left_out"])
    assert any(f.startswith(f"Udvalg 2 holdt {left} interessenter udenfor") for f in facts["LG2"])
    # LG6: the pressure cards met, with where they came from.
    pressures = [x for x in two["key_decisions"] if x["card"] and x["card"]["source"]]
    assert pressures and any(pressures[0]["prompt"] in f for f in facts["LG6"])
    # The second question of a goal is the case's own reflection question where it has one.
    lg2 = next(q for q in school_game.case.reflection if "LG2" in q.lg)
    assert script[2]["questions"][1]["text"] == lg2.text


def test_projector_mode_one_goal_per_slide_one_answer_per_committee(client, alice, school_game):
    client.force_login(alice)
    html = client.get(reverse("debrief", args=[school_game.code])).content.decode()
    slides = re.findall(r'<section class="db-slide" data-slide="([^"]+)"', html)
    assert slides[0] == "intro" and "paths" in slides
    assert [s for s in slides if s.startswith("LG")] == [f"LG{i}" for i in range(1, 7)]
    # The personas' secret interests are revealed after the goal on co-creation.
    assert slides.index("personas") == slides.index("LG2") + 1
    d = debrief.debrief(school_game)
    for step in d["script"][1:]:
        for r in step["reflection"]:
            committees = [a["committee"] for a in r["answers"]]
            assert len(committees) == len(set(committees)) == len(d["committees"])
            assert r["count"] == 8  # every player answered; one per committee is shown
    # A Content-Security-Policy is coming: no inline script, no inline handler.
    assert "onclick" not in html and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "js/debrief.js" in html


def test_paths_side_by_side_mark_where_they_diverged(school_game):
    d = debrief.debrief(school_game)
    committees = d["committees"]
    rows = {r["prompt"]: r for r in d["paths"]}
    fokus = next(r for r in d["paths"] if r["type"] == "choice")
    for c, cell in zip(committees, fokus["cells"], strict=True):
        x = next(x for x in c["decisions"] if x["prompt"] == fokus["prompt"])
        assert cell["texts"] == [" · ".join(x["labels"])]
    for r in rows.values():
        keys = {tuple(cell["ids"]) for cell in r["cells"]}
        assert r["diverged"] == (len(keys) > 1)
    assert any(r["diverged"] for r in d["paths"])
    # A few committees: every diverging row is on a projector page.
    assert d["paths_not_shown"] == 0
    assert sum(len(p) for p in d["path_pages"]) == sum(r["diverged"] for r in d["paths"])


def test_debrief_is_honest_about_what_an_old_session_lacks(client, alice, school_game):
    client.force_login(alice)
    url = reverse("debrief", args=[school_game.code])
    html = client.get(url).content.decode()
    assert 'data-testid="db-no-scores"' not in html  # the school case scores its personas
    assert 'data-testid="db-no-stances"' not in html
    # A session played before stances were recorded, with scored personas.
    state = school_game.state
    for c in state["committees"].values():
        c.pop("stances", None)
        c["persona_scores"] = {c["roles"][p]: 2 for p in c["members"] if p in c["roles"]}
    school_game.save(update_fields=["state"])
    html = client.get(url).content.decode()
    assert 'data-testid="db-no-stances"' in html
    assert 'data-testid="db-no-scores"' not in html and "Score:" in html


def test_export_says_what_each_idea_cost_and_what_each_outcome_lacked(school_game):
    files = _zip(school_game)
    case = school_game.case
    ideas = _csv_rows(files["ideas.csv"])
    assert ideas and {"cost", "brought_by", "funded"} <= set(ideas[0])
    for r in ideas:
        if r["source"] == "card":
            card = case.idea_card(r["author"])  # a card's "author" is its id
            assert int(r["cost"]) == card.cost
        else:
            assert int(r["cost"]) == case.budget.free_idea_cost and r["brought_by"] == ""
    assert any(r["funded"] == "yes" for r in ideas) and any(r["brought_by"] for r in ideas)
    d = debrief.debrief(school_game)
    outcomes = _csv_rows(files["outcomes.csv"])
    for row, c in zip(outcomes, d["committees"], strict=True):
        w = c["why_view"]
        assert row["next_better"] == (w["next_better"]["id"] if w["next_better"] else "")
        wanted = [f"{x['meter']}:{x['short']}" for x in w["missing"] if x["kind"] == "meter"]
        assert [m for m in row["missing"].split(" | ") if m and ":" in m][: len(wanted)] == wanted
        assert row["left_out"].split(" | ") == [s["id"] for s in c["left_out"]]
    # Still no display name in the new columns.
    for name in NAMES:
        assert name.split()[0] not in files["ideas.csv"].decode("utf-8-sig")


def _most_left_out(state: dict) -> tuple[str, int]:
    """The stakeholder most committees left out (the most engaged on a tie), and how many."""
    counts: dict[str, tuple[int, int]] = {}
    for c in state["committees"].values():
        for sid, s in c["stakeholders"].items():
            if c["seated"] is not None and sid not in c["seated"]:
                n, loud = counts.get(sid, (0, 0))
                counts[sid] = (n + 1, loud + s["engagement"])
    sid = max(counts, key=lambda k: counts[k])
    return sid, counts[sid][0]


def test_host_script_leads_name_what_stood_out_in_this_session(client, alice, school_game):
    """Above each goal's first question, one sentence on this session across the committees."""
    case = school_game.case
    state = school_game.state
    client.force_login(alice)
    with translation.override("da"):
        d = debrief.debrief(school_game)
        html = client.get(
            reverse("debrief", args=[school_game.code]), HTTP_ACCEPT_LANGUAGE="da"
        ).content.decode()
    leads = {s["id"]: s["questions"][0]["lead"] for s in d["script"]}
    shown = [unescape_html(x) for x in re.findall(r'data-testid="db-lead">([^<]+)<', html)]
    # LG2: the stakeholder left out most often, by name, and in how many committees.
    sid, n = _most_left_out(state)
    who = case.stakeholder(sid).name
    assert leads["LG2"] == f"»{who}« fik ikke en plads i {n} af {len(d['committees'])} udvalg."
    # LG3: the committees whose initiator's frame broke, and those where it held.
    broke = [c["label"] for c in d["committees"] if any(not f["kept"] for f in c["frames"])]
    held = [
        c["label"] for c in d["committees"] if c["frames"] and all(f["kept"] for f in c["frames"])
    ]
    assert broke or held
    parts = ([f"brast i {_og(broke)}"] if broke else []) + (
        [f"holdt i {_og(held)}"] if held else []
    )
    assert leads["LG3"] == "Igangsætterens ramme " + " og ".join(parts) + "."
    # LG4: the politician cards counted, and where most were played.
    counts = {c["label"]: len(c["politician_cards"]) for c in d["committees"]}
    total, most = sum(counts.values()), max(counts.values())
    assert leads["LG4"].startswith(f"{total} politikerkort i alt, flest i ")
    assert all(name in leads["LG4"] for name, k in counts.items() if k == most)
    assert leads["LG4"].endswith(f"({most}).")
    # LG5: every committee's outcome; LG6: where the pressure came from.
    for c in d["committees"]:
        assert c["label"] in leads["LG5"] and f"»{c['outcome']['title']}«" in leads["LG5"]
    assert leads["LG6"].startswith("Presset kom ") and "Udvalg" in leads["LG6"]
    # The paths: where they diverged first.
    first = next(r for r in d["paths"] if r["diverged"])
    assert f"»{first['prompt']}«" in d["script"][0]["questions"][1]["lead"]
    # The host sees each of them on the page, above its question.
    for lead in [lead for lead in leads.values() if lead] + [
        d["script"][0]["questions"][1]["lead"]
    ]:
        assert lead in shown, lead


def _og(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " og " + names[-1]


def unescape_html(text: str) -> str:
    import html as html_module

    return html_module.unescape(text)


def test_the_talk_takes_twenty_minutes_whatever_the_number_of_goals():
    for goals in range(1, 10):
        minutes = debrief.goal_minutes(goals)
        assert len(minutes) == goals and all(a >= b >= 1 for a, b in minutes)
        assert sum(debrief.INTRO_MINUTES) + sum(a + b for a, b in minutes) == 20, goals


def _debrief_seen(client, alice, session) -> tuple[dict, str, str]:
    """The debrief's data, and its page as the host gets it: the host view, the slides."""
    client.force_login(alice)
    with translation.override("da"):
        d = debrief.debrief(session)
    html = client.get(reverse("debrief", args=[session.code])).content.decode()
    host, slides = html.split('data-testid="db-slides"')
    return d, host, slides


def test_paths_end_in_the_outcome_each_path_led_to(client, alice, school_game):
    d, host, slides = _debrief_seen(client, alice, school_game)
    row = host.split('data-testid="db-path-outcome"')[1].split("</tr>")[0]
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert len(cells) == len(d["committees"])
    for c, cell in zip(d["committees"], cells, strict=True):
        assert f"<strong>{escape(c['outcome']['title'])}</strong>" in cell
        w = c["why_view"]
        if w["next_better"]:  # and what the better outcome lacked, meter by meter
            for x in w["missing"]:
                if x["kind"] == "meter":
                    assert f"{escape(x['label'])} {x['value']}" in cell and f"{x['short']}" in cell
    # On the projector every page of the paths says where each committee's path led.
    pages = slides.count('data-slide="paths"')
    assert pages == len(d["path_pages"]) >= 1
    heads = re.findall(r'data-testid="db-path-to">→ ([^<]+)<', slides)
    assert heads == [c["outcome"]["title"] for c in d["committees"]] * pages


def test_each_committee_shows_its_log_left_out_votes_cards_and_personas(client, alice, school_game):
    """What the host reads per committee, on the page: item 8's list, committee by committee."""
    d, host, _slides = _debrief_seen(client, alice, school_game)
    articles = host.split('data-testid="db-committee"')[1:]
    assert len(articles) == len(d["committees"])
    for c, page in zip(d["committees"], articles, strict=True):
        page = page.split("</article>")[0]
        # The consequence log, every entry.
        assert c["log"] and all(django_escape(e["text"]) in page for e in c["log"])
        # Who was left out, and what it did (its absence, and the cards it brought on).
        assert c["left_out"]
        for s in c["left_out"]:
            assert django_escape(s["name"]) in page and django_escape(s["absent_text"]) in page
        # The vote split of each key decision: how many voted, and each option's votes.
        for x in c["key_decisions"]:
            if x["split_shown"]:
                assert f"{x['voters']} af {x['members']} stemte:" in page
                for o in x["split_shown"]:
                    assert f"{django_escape(o['label'])} <b>{o['votes']}</b>" in page
        # The politician cards, by prompt, in their own list.
        cards = page.split("Politikerkort</h3>")[1].split("<h3>")[0]
        for x in c["politician_cards"]:
            assert django_escape(x["prompt"]) in cards
        # The personas' secret interests, revealed, and whether they were met.
        assert c["personas"]
        for p in c["personas"]:
            assert django_escape(p["interests"]) in page
            assert (
                "Hemmelig interesse opfyldt" if p["met"] else "Hemmelig interesse ikke opfyldt"
            ) in page
        # The chart goes on into the implementation: the page says when the council weighed it.
        assert "Byrådet vejede målerne, da runde 6 (" in page
