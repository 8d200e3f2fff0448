"""The research export: the session as pseudonymised tables, and the files.

Everything is read from one session: its ``state`` (the game as it ended) and
its ``Event`` log, fetched with one query. Nothing here changes a session.

The exports (ZIP of CSVs, xlsx, events.json) leave the room, for the host's
notes and for research. Players are pseudonymous there: ``P01``, ``P02`` … in
the order they joined. Display names are dropped from the log (join actions
and events carry them), and a display name that a player or the host wrote
into free text (an idea, a reflection, a message) is replaced by the
pseudonym too.

The tables (``export_rows``) have stable English column names so that a
research script reads every session the same way; the values (option labels,
card titles, outcomes) are the case's own, in the case's language.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone

from cases.schema import PLAYED_TYPES

from . import rules
from .models import Event, Session
from .readmodel import ReadModel, history_of, labels_of, pid_order, prompt_of
from .visibility import role_name, round_number

SEP = " | "  # joins several labels or ids in one cell: a comma would clash with the texts
YES, NO = "yes", "no"
# Cells that spreadsheet programs read as a formula when a CSV is opened; a
# player's idea "=HYPERLINK(...)" must stay text (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters that XML 1.0 (and so xlsx) cannot hold; a pasted text may carry them.
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
MAX_COLUMN_WIDTH = 60  # characters; longer texts wrap in the xlsx

TABLES = (
    "players",
    "votes",
    "locks",
    "ideas",
    "cards",
    "events",
    "meters",
    "outcomes",
    "reflections",
)

# Host and system actions that the events table lists (the rest have tables of their own).
HOST_EVENTS = (
    "form",
    "start",
    "round",
    "timer",
    "timeout",
    "inject",
    "message",
    "seat",
    "remove",
    "readmit",
    "end",
)


def _time(dt: datetime | None) -> str:
    return timezone.localtime(dt).isoformat(timespec="seconds") if dt else ""


# --- the export tables ------------------------------------------------------------------


def _round_order(d: tuple[str, rules.Decision]) -> int:
    return d[1]["round"]


class _Report:
    """The export's tables, read through the public read model, pseudonymously."""

    def __init__(self, session: Session) -> None:
        self.rm = ReadModel(session, pseudonymous=True)
        self.session = session
        self.case = self.rm.case
        self.state = self.rm.state
        self.pseudo = self.rm.pseudo
        self.text = self.rm.text
        self.meter_ids = self.case.meter_ids()

    @property
    def log(self) -> list[Event]:
        return self.rm.log

    def who(self, pid: str | None) -> str:
        return self.pseudo.get(pid, pid) if pid else ""

    def actor(self, actor: str) -> str:
        kind, _sep, pid = actor.partition(":")
        return self.who(pid) if kind == "player" else actor

    def committee(self, cid: str | None) -> rules.Committee | None:
        return self.state["committees"].get(cid or "")

    def cname(self, cid: str | None) -> str:
        c = self.committee(cid)
        return c["name"] if c else cid or ""

    def round_id(self, index: int | None) -> str:
        if index is None or not 0 <= index < len(self.case.rounds):
            return ""
        return self.case.rounds[index].id

    def events(self, *kinds: str) -> Iterable[tuple[Event, dict]]:
        return self.rm.events(*kinds)

    def number(self, index: int) -> int:
        """The round as the game shows it (0 is the briefing): one numbering everywhere."""
        return round_number(self.case, index)

    # One method per table; each returns (columns, rows).

    def players(self) -> tuple[list[str], list[dict]]:
        by_round = self.rm.roles_by_round
        rotating = self.state["options"].get("rotate_roles") and by_round
        played = sorted(by_round) if rotating else []
        joined = {e["player"]: ev.created for ev, e in self.events("join")}
        columns = ["player", "committee", "role_start", "role", "joined", "removed"]
        columns[4:4] = [f"role_{self.round_id(r)}" for r in played]
        rows = []
        for pid in sorted(self.state["players"], key=pid_order):
            p = self.state["players"][pid]
            c = self.committee(p["committee"])
            start = next((by_round[r][pid] for r in sorted(by_round) if pid in by_round[r]), None)
            row = {
                "player": self.who(pid),
                "committee": self.cname(p["committee"]),
                "role_start": role_name(self.case, start),
                "role": role_name(self.case, c["roles"].get(pid) if c else None),
            }
            for r in played:
                row[f"role_{self.round_id(r)}"] = role_name(self.case, by_round[r].get(pid))
            row["joined"] = _time(joined.get(pid))
            row["removed"] = YES if p["removed"] else NO
            rows.append(row)
        return columns, rows

    def votes(self) -> tuple[list[str], list[dict]]:
        columns = [
            "time",
            "version",
            "round",
            "round_id",
            "committee",
            "player",
            "key",
            "task",
            "prompt",
            "value",
            "value_ids",
        ]
        rows = []
        for ev, e in self.events("vote"):
            c = self.committee(e["committee"])
            d = c["decisions"].get(e["key"]) if c else None
            labels, ids = labels_of(self.case, c, d, e["value"], self.text) if c and d else ([], [])
            rows.append(
                {
                    "time": _time(ev.created),
                    "version": ev.version,
                    "round": self.number(d["round"]) if d else "",
                    "round_id": self.round_id(d["round"]) if d else "",
                    "committee": self.cname(e["committee"]),
                    "player": self.who(e["player"]),
                    "key": e["key"],
                    "task": rules.task_of(self.case, d).id if d else "",
                    "prompt": prompt_of(self.case, d) if d else "",
                    "value": SEP.join(labels),
                    "value_ids": SEP.join(ids) if d else json.dumps(e["value"]),
                }
            )
        return columns, rows

    def _by(self, ev: Event, by: str | None) -> str:
        if by:
            return self.who(by)
        return "timer" if ev.kind == "tick" else "host"  # lock_all: the host's button

    def locks(self) -> tuple[list[str], list[dict]]:
        columns = [
            "time",
            "version",
            "round",
            "round_id",
            "committee",
            "key",
            "task",
            "prompt",
            "value",
            "value_ids",
            "majority",
            "by",
            "politician_card",
        ] + self.meter_ids
        rows = []
        for ev, e in self.events("lock"):
            c = self.committee(e["committee"])
            d = c["decisions"].get(e["key"]) if c else None
            if c is None or d is None:
                continue
            labels, ids = labels_of(self.case, c, d, e["value"], self.text)
            majority = ""
            if rules.task_of(self.case, d).type not in ("ideas", *PLAYED_TYPES):
                # Votes are frozen once a decision is locked, so this is the majority it was locked against.
                majority = SEP.join(
                    labels_of(self.case, c, d, rules.plurality(self.case, c, d), self.text)[0]
                )
            rows.append(
                {
                    "time": _time(ev.created),
                    "version": ev.version,
                    "round": self.number(d["round"]),
                    "round_id": self.round_id(d["round"]),
                    "committee": self.cname(e["committee"]),
                    "key": e["key"],
                    "task": rules.task_of(self.case, d).id,
                    "prompt": prompt_of(self.case, d),
                    "value": SEP.join(labels),
                    "value_ids": SEP.join(ids),
                    "majority": majority,
                    "by": self._by(ev, e["by"]),
                    "politician_card": YES if e["politician_card"] else NO,
                }
                | {m: e["meters"].get(m, "") for m in self.meter_ids}
            )
        return columns, rows

    def ideas(self) -> tuple[list[str], list[dict]]:
        columns = [
            "time",
            "round",
            "round_id",
            "committee",
            "idea",
            "source",
            "author",
            "text",
            "dots",
            "kept",
        ]
        columns += ["cost", "brought_by", "funded"]
        written = {str(e["idea"]): ev.created for ev, e in self.events("idea")}
        rows = []
        for read in self.rm.committees():  # the read model: texts already pseudonymous
            d = rules.ideas_decision(self.case, self.state["committees"][read["id"]])
            for i in read["ideas"]:
                rows.append(
                    {
                        "time": _time(written.get(i["id"])),
                        "round": self.number(d["round"]) if d else "",
                        "round_id": self.round_id(d["round"]) if d else "",
                        "committee": read["name"],
                        "idea": i["id"],
                        "source": i["source"],
                        "author": i["author"] if i["source"] == "player" else i["card"],
                        "text": i["text"],
                        "dots": i["dots"],
                        "kept": YES if i["kept"] else NO,
                        "cost": i["cost"],
                        "brought_by": SEP.join(i["brought_by"]),
                        "funded": YES if i["funded"] else NO,
                    }
                )
        return columns, rows

    def cards(self) -> tuple[list[str], list[dict]]:
        columns = [
            "time",
            "round",
            "round_id",
            "committee",
            "key",
            "card",
            "title",
            "source",
            "deck",
            "injected",
            "choice",
            "choice_id",
            "by",
            "politician_card",
        ]
        locked = {(e["committee"], e["key"]): (ev, e) for ev, e in self.events("lock")}
        rows = []
        for cid, c in self.state["committees"].items():
            for key, d in sorted(c["decisions"].items(), key=_round_order):
                card = self.case.card(d["card"]) if d["card"] else None
                if card is None:
                    continue
                labels, ids = labels_of(self.case, c, d, d["locked"])
                ev, e = locked.get((cid, key), (None, None))
                rows.append(
                    {
                        "time": _time(ev.created if ev else None),
                        "round": self.number(d["round"]),
                        "round_id": self.round_id(d["round"]),
                        "committee": c["name"],
                        "key": key,
                        "card": card.id,
                        "title": card.title,
                        "source": card.source or "",
                        "deck": "events"
                        if any(x.id == card.id for x in self.case.events)
                        else "dilemmas",
                        "injected": NO if d["task"] else YES,
                        "choice": SEP.join(labels),
                        "choice_id": SEP.join(ids),
                        "by": self._by(ev, e["by"]) if ev and e else "",
                        "politician_card": YES if d["politician_card"] else NO,
                    }
                )
        return columns, rows

    def host_events(self) -> tuple[list[str], list[dict]]:
        columns = ["time", "version", "kind", "actor", "round", "round_id", "committee", "detail"]
        rows = []
        current = 0
        for ev in self.log:
            if ev.kind == "lock_all":  # the host's button; each lock is in the locks table
                locks = sum(1 for e in ev.events if e["kind"] == "lock")
                rows.append(self._host_row(ev, "lock_all", current, None, str(locks)))
            for e in ev.events:
                kind = e["kind"]
                if kind == "round":
                    current = e["round"]
                if kind not in HOST_EVENTS or (kind == "seat" and ev.kind != "move"):
                    continue  # a seat by joining or forming is in the players table
                detail = ""
                if kind == "round":
                    detail = ("back: " if e.get("back") else "") + self.case.rounds[current].title
                elif kind == "form":
                    detail = str(e["committees"])
                elif kind == "timer":
                    detail = e["op"] + (f" {e['seconds']}" if e.get("seconds") else "")
                elif kind == "inject":
                    card = self.case.card(e["card"])
                    detail = card.title if card else e["card"]
                elif kind == "message":
                    detail = self.text(e["text"])
                elif kind in ("seat", "remove", "readmit"):
                    detail = self.who(e["player"])
                    kind = "move" if kind == "seat" else kind
                rows.append(self._host_row(ev, kind, current, e.get("committee"), detail))
        return columns, rows

    def _host_row(self, ev: Event, kind: str, current: int, cid: str | None, detail: str) -> dict:
        return {
            "time": _time(ev.created),
            "version": ev.version,
            "kind": kind,
            "actor": self.actor(ev.actor),
            "round": self.number(current),
            "round_id": self.round_id(current),
            "committee": self.cname(cid) if cid else "",
            "detail": detail,
        }

    def meters(self) -> tuple[list[str], list[dict]]:
        columns = ["committee", "round", "round_id", "when"] + self.meter_ids
        rows = []
        for c in self.state["committees"].values():
            for r, values in history_of(self.state, c):
                rows.append(
                    {
                        "committee": c["name"],
                        "round": self.number(r),
                        "round_id": self.round_id(r),
                        "when": "end of round" if str(r) in c["history"] else "now",
                    }
                    | {m: values.get(m, "") for m in self.meter_ids}
                )
        return columns, rows

    def outcomes(self) -> tuple[list[str], list[dict]]:
        columns = (
            [
                "committee",
                "members",
                "outcome",
                "title",
                "headline",
                "politician_cards",
            ]
            + self.meter_ids
            + ["next_better", "missing", "left_out"]
        )
        rows = []
        for read in self.rm.committees():
            o = read["outcome"] or {}
            why = read["why"]
            # The outcome just above the one reached, and what it lacked (meter:points short).
            better = [k for k in why["checks"] if k["better"]]
            step = better[-1] if better else None
            missing = [
                f"{x['meter']}:{-x['margin']}"
                if x["kind"] == "meter"
                else f"{x['kind']}:{x['label']}"
                for x in (step["conditions"] if step else [])
                if not x["met"]
            ]
            rows.append(
                {
                    "committee": read["name"],
                    "members": sum(1 for m in read["members"] if not m["removed"]),
                    "outcome": o.get("id", ""),
                    "title": o.get("title", ""),
                    "headline": o.get("headline", ""),
                    "politician_cards": read["politician_card_count"],
                }
                | {m: read["final"].get(m, "") for m in self.meter_ids}
                | {
                    "next_better": step["id"] if step else "",
                    "missing": SEP.join(missing),
                    "left_out": SEP.join(x["id"] for x in read["left_out"]),
                }
            )
        return columns, rows

    def reflections(self) -> tuple[list[str], list[dict]]:
        columns = ["time", "committee", "player", "question", "question_text", "lg", "answer"]
        when = {(e["player"], e["question"]): ev.created for ev, e in self.events("reflect")}
        questions = {q.id: q for q in self.case.reflection}
        rows = []
        for c in self.state["committees"].values():
            for pid in sorted(c["reflections"], key=pid_order):
                for qid, answer in c["reflections"][pid].items():
                    if not answer:
                        continue
                    q = questions.get(qid)
                    rows.append(
                        {
                            "time": _time(when.get((pid, qid))),
                            "committee": c["name"],
                            "player": self.who(pid),
                            "question": qid,
                            "question_text": q.text if q else "",
                            "lg": SEP.join(q.lg) if q else "",
                            "answer": self.text(answer),
                        }
                    )
        return columns, rows

    def tables(self) -> dict[str, tuple[list[str], list[dict]]]:
        return {
            "players": self.players(),
            "votes": self.votes(),
            "locks": self.locks(),
            "ideas": self.ideas(),
            "cards": self.cards(),
            "events": self.host_events(),
            "meters": self.meters(),
            "outcomes": self.outcomes(),
            "reflections": self.reflections(),
        }

    # The log itself, pseudonymised.

    def _clean(self, obj: dict) -> dict:
        out = {}
        for key, value in obj.items():
            if key == "name":
                continue  # a join carries the display name
            if key in ("player", "by") and isinstance(value, str):
                value = self.who(value)
            elif key == "roles" and isinstance(value, dict):  # {pid: role}
                value = {self.who(pid): role for pid, role in value.items()}
            elif key == "text" and isinstance(value, str):
                value = self.text(value)
            out[key] = value
        return out

    def log_json(self) -> dict:
        s = self.session
        return {
            "session": {
                "code": s.code,
                "case": self.case.slug,
                "case_title": self.case.title,
                "case_version": s.case_version.number,
                "created": _time(s.created),
                "status": self.state["status"],
                "version": s.version,
                "options": self.state["options"],
            },
            "players": [
                {
                    "player": self.who(pid),
                    "committee": self.cname(self.state["players"][pid]["committee"]),
                    "removed": self.state["players"][pid]["removed"],
                }
                for pid in sorted(self.state["players"], key=pid_order)
            ],
            "events": [
                {
                    "version": ev.version,
                    "time": _time(ev.created),
                    "kind": ev.kind,
                    "actor": self.actor(ev.actor),
                    "action": self._clean(ev.action),
                    "events": [self._clean(e) for e in ev.events],
                }
                for ev in self.log
            ],
        }


def export_rows(session: Session) -> dict[str, list[dict]]:
    """The session as tables of rows (dicts), pseudonymised; see the module docstring."""
    return {name: rows for name, (_columns, rows) in _Report(session).tables().items()}


# --- files ------------------------------------------------------------------------------------


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        value = value.replace("\r\n", "\n")
        if value.startswith(FORMULA_START):
            return "'" + value  # shown as text by Excel; see FORMULA_START
    return value


def _csv(columns: list[str], rows: list[dict]) -> bytes:
    """A CSV as Danish Excel opens it with a double click: BOM, semicolons, CRLF."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(col)) for col in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx(tables: dict[str, tuple[list[str], list[dict]]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.worksheets[0])  # the sheet a new workbook has
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for name, (columns, rows) in tables.items():
        sheet = book.create_sheet(title=name[:31])
        widths = [len(col) for col in columns]
        for j, col in enumerate(columns, 1):
            sheet.cell(row=1, column=j, value=col).font = bold
        for i, row in enumerate(rows, 2):
            for j, col in enumerate(columns, 1):
                value = row.get(col)
                if isinstance(value, str):
                    value = ILLEGAL_XML.sub("", value)
                cell = sheet.cell(row=i, column=j, value=value)
                if isinstance(value, str):
                    # Text stays text, even "=…", which openpyxl would store as a formula.
                    cell.data_type = "s"
                    longest = max((len(line) for line in value.split("\n")), default=0)
                    widths[j - 1] = max(widths[j - 1], longest)
                    if longest > MAX_COLUMN_WIDTH or "\n" in value:
                        cell.alignment = wrap
                else:
                    widths[j - 1] = max(widths[j - 1], len(str(value or "")))
        for j, width in enumerate(widths, 1):
            sheet.column_dimensions[get_column_letter(j)].width = min(width + 2, MAX_COLUMN_WIDTH)
        sheet.freeze_panes = "A2"
        if rows:
            sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _json(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def export_xlsx(session: Session) -> bytes:
    return _xlsx(_Report(session).tables())


def export_json(session: Session) -> bytes:
    """The whole event log, pseudonymised, with versions and times."""
    return _json(_Report(session).log_json())


README = """POLICY-MAKER – data from session {code}
Case: {case} (version {version})
Session created: {created}    Exported: {exported}

Kort på dansk
  Én CSV-fil pr. tabel (UTF-8, semikolon: åbner i dansk Excel med dobbeltklik),
  de samme tabeller som ark i session.xlsx, og hele hændelsesloggen i events.json.
  Spillerne er pseudonymer (P01, P02 … i den rækkefølge, de kom ind); deres
  visningsnavne er fjernet, også hvor de står i idéer, refleksioner og beskeder.
  Fritekst kan stadig afsløre en person på andre måder: læs den, før I deler den.

Files
  players.csv      one row per player: pseudonym, committee, roles, joined, removed
  votes.csv        every vote, with time, round, committee, player, decision and value
  (round: the round's number as the game shows it, 0 = the briefing before the first
   round; round_id: the case's id for it)
  locks.csv        every locked committee decision, who locked it (a player, "host" or
                   "timer"), whether it was locked against the majority (the politician
                   card) and the meters right after it
  ideas.csv        every idea (written by a player or from an idea card), its dots,
                   whether it went forward, its cost, who brought it (idea cards) and
                   whether the recommendation funded it
  cards.csv        the dilemma and pressure-event cards each committee met, and its choice
  events.csv       what the host did: rounds, timer, injected cards, messages, moves
  meters.csv       each committee's meters at the end of each round
  outcomes.csv     each committee's outcome in the council, headline, politician cards,
                   final meters, the next better outcome and what it lacked
                   ("meter:points short"), and the stakeholders left out
  reflections.csv  every answer to the reflection questions
  session.xlsx     the same tables as sheets of one workbook
  events.json      the whole event log (every action, with version and time)

Format
  The CSV files are UTF-8 with a byte order mark, separated by semicolons, so that
  Danish Excel opens them with a double click. Several labels or ids in one cell are
  separated by " | ". Times are local time in ISO 8601. A text that starts with
  = + - or @ has a ' in front in the CSV files, so that a spreadsheet does not run it
  as a formula; the xlsx and the JSON have the texts exactly as written.

Pseudonyms
  Players are P01, P02 … in the order they joined. Display names are not in these
  files: they are dropped from the log, and a display name written in an idea, a
  reflection or a message is replaced by the pseudonym ("[name]" when two players
  share it). Free text may still identify a person in other ways: read it before
  you share it.
"""


def _readme(report: _Report) -> bytes:
    s = report.session
    text = README.format(
        code=s.code,
        case=report.case.title,
        version=s.case_version.number,
        created=_time(s.created),
        exported=_time(timezone.now()),
    )
    return ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8")


def export_zip(session: Session) -> bytes:
    """A ZIP with one CSV per table, the same tables as session.xlsx, events.json and a README."""
    report = _Report(session)
    tables = report.tables()
    stamp = timezone.localtime().timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, data: bytes) -> None:
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), data, zipfile.ZIP_DEFLATED)

        add("README.txt", _readme(report))
        for name, (columns, rows) in tables.items():
            add(f"{name}.csv", _csv(columns, rows))
        add("session.xlsx", _xlsx(tables))
        add("events.json", _json(report.log_json()))
    return out.getvalue()
