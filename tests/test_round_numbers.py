"""One numbering of rounds everywhere: play, host, projector, debrief, chart and export.

A politician counts the rounds the committee works in. The school case's first
round is the lobby and briefing: it is round 0 and not counted, so the
Kommissorium is "Runde 1 af 7" on the phone, the host's dashboard and the
projector, "1 · Kommissorium" in the debrief, 1 on the chart's axis (the
briefing's end is "Start") and 1 in every export table. A case that starts
working at once counts from 1.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
import yaml
from django.utils import translation

from cases.loader import load_case
from game import debrief, export, visibility
from game.readmodel import ReadModel
from tests.conftest import CASES
from tests.play_support import play

pytestmark = pytest.mark.postgres


def _csv(files: dict[str, bytes], name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(files[name].decode("utf-8-sig")), delimiter=";"))


def test_school_case_counts_six_rounds_after_the_briefing(alice, school_case):
    game = play(alice, school_case, players=4, size=4)
    case = game.case
    # Seven rounds after the briefing: the last is implementation, after the council.
    assert len(case.rounds) == 8 and not case.rounds[0].tasks
    rm = ReadModel(game)
    numbers = [r["number"] for r in rm.rounds()]
    assert numbers == list(range(8))
    assert rm.rounds()[1]["label"] == "1 · Kommissorium"
    # What play, host and projector are given: the same number, out of seven (the implementation round after the council counts too).
    for index in range(len(case.rounds)):
        state = dict(game.state, round=index)
        part = visibility.session_part(case, state, {"code": game.code})
        assert part["round_number"] == numbers[index]
        assert part["round_total"] == 7
        assert part["briefing"] == (index == 0)
        assert part["rounds"][index]["number"] == numbers[index]
    # The debrief's decisions and the chart's axis.
    with translation.override("da"):
        d = debrief.debrief(game)
    c = d["committees"][0]
    for x in c["decisions"]:
        assert x["round_label"].startswith(f"{x['round']} · ")  # index == number here
        assert x["round_label"] == rm.round_label(x["round"])
    axis = re.findall(
        r'text-anchor="middle" font-size="15" fill="#333">([^<]+)</text>', str(c["chart"])
    )
    assert axis == ["Start", "1", "2", "3", "4", "5", "6", "7"]
    # The export's tables.
    with zipfile.ZipFile(io.BytesIO(export.export_zip(game))) as z:
        files = {n: z.read(n) for n in z.namelist()}
    meters = _csv(files, "meters.csv")
    assert [r["round"] for r in meters if r["committee"] == "1"] == [str(n) for n in range(8)]
    locks = _csv(files, "locks.csv")
    first = [r for r in locks if r["round_id"] == "kommissorium"]
    assert first and {r["round"] for r in first} == {"1"}
    # The README says how the column counts.
    assert "0 = the briefing" in files["README.txt"].decode("utf-8-sig")


def test_a_case_without_a_briefing_counts_from_one(db, tmp_path):
    data = yaml.safe_load((CASES / "mini.yaml").read_text(encoding="utf-8"))
    data["slug"] = "mini-nobrief"
    data["rounds"] = data["rounds"][1:]  # the first round has tasks
    for role in data["roles"]:
        role["cards"] = {k: v for k, v in role["cards"].items() if k != "r0"} or {
            "r1": {"task": "t"}
        }
    file = tmp_path / "mini-nobrief.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    case = load_case(file)[0].parsed()
    assert not visibility.has_briefing(case)
    assert [visibility.round_number(case, i) for i in range(len(case.rounds))] == [1, 2, 3, 4]
    assert visibility.rounds_counted(case) == 4
