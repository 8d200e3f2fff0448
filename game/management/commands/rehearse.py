"""``manage.py rehearse``: a whole session played by bots, run as the host would run it.

Creates a session of a case for the user ``host``, starts committees × size bots
(real websocket clients, see ``game.bots``), connects as the host over
``/ws/host/<code>/`` and runs every round: form, start, the timer, an injected
pressure event, lock_all when a round takes too long, advance, end. Without
``--url`` it starts its own Daphne server on a free port, on this process's
database, and stops it at the end.

The last line of the output starts with ``rehearsal ok:`` and gives counts from
the session's event log in the database. Anything that goes wrong exits non-zero.
"""

from __future__ import annotations

import asyncio
import os
import random
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from cases.models import Case as CaseRow
from cases.models import CaseVersion
from cases.schema import Case, CaseError
from game import actions, rules
from game.bots import BotError, BotStats, ViewClient, run_bots
from game.devserver import Server, ServerError
from game.limits import join_pass
from game.models import Event, Session

HOST_USERNAME = "host"
JOIN_TIMEOUT = 60.0  # seconds for every bot to have joined the lobby
SERVER_START_TIMEOUT = 30.0


class RehearsalError(Exception):
    """The rehearsal failed; the message says where."""


# --- the server -----------------------------------------------------------------------


def database_url() -> str:
    """This process's database as a DATABASE_URL, so that a server process uses the same one."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise RehearsalError(
                "The database is in memory, so a server process cannot share it: "
                "use a file database, or --url with a running server."
            )
        return f"sqlite:///{Path(name).resolve()}"
    if connection.vendor == "postgresql":
        user = quote(db.get("USER") or "", safe="")
        password = quote(db.get("PASSWORD") or "", safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = db.get("HOST") or "localhost"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{auth}{host}{port}/{quote(str(db['NAME']), safe='')}"
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise RehearsalError(f"Cannot pass a {connection.vendor} database to a server: use --url.")
    return url


def server_env() -> dict[str, str]:
    """This process's environment, on this process's database."""
    return dict(os.environ, DATABASE_URL=database_url())


def login_cookie(user: Any) -> tuple[str, Any]:
    """A logged-in Django session for ``user`` (no password involved): the Cookie header, the store.

    Delete the store when done, which logs that session out.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]  # the model backend
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save(must_create=True)
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}", store


# --- the host ---------------------------------------------------------------------------


def _joined(view: dict) -> int:
    return sum(not p["removed"] for p in view["players"].values())


def _all_done(index: int) -> Any:
    def check(view: dict) -> bool:
        return view["session"]["round"] == index and all(
            c["done"] for c in view["committees"].values()
        )

    return check


def _all_reflected(questions: list[str]) -> Any:
    def check(view: dict) -> bool:
        return all(
            set(questions) <= set(c["reflections"].get(m["id"], {}))
            for c in view["committees"].values()
            for m in c["members"]
        )

    return check


def _unanswered(view: dict, questions: list[str]) -> str:
    return "; ".join(
        f"Udvalg {c['name']}: {m['name']} ({len(c['reflections'].get(m['id'], {}))}"
        f"/{len(questions)} answered)"
        for c in view["committees"].values()
        for m in c["members"]
        if not set(questions) <= set(c["reflections"].get(m["id"], {}))
    )


def _open_decisions(view: dict) -> str:
    return "; ".join(
        f"Udvalg {c['name']}: {d['key']} ({len(d['voted'])}/{len(c['members'])} voted)"
        for c in view["committees"].values()
        for d in c["decisions"]
        if d["locked"] is None and d["required"]
    )


def inject_round(case: Case) -> int | None:
    """A round where a committee decides; one that meets pressure events if there is one."""
    rounds = [i for i, r in enumerate(case.rounds) if r.lead is not None and r.tasks]
    meets_events = [
        i
        for i in rounds
        if any(t.type == "card" and t.deck == "events" for t in case.rounds[i].tasks)
    ]
    found = meets_events or rounds
    return found[0] if found else None


class Host:
    """Runs the session over the host websocket, round by round."""

    def __init__(
        self, url: str, code: str, cookie: str, case: Case, *, round_timeout: float, seed: int
    ) -> None:
        self.client = ViewClient(url, f"/ws/host/{code}/", cookie)
        self.case = case
        self.round_timeout = round_timeout
        self.rng = random.Random(seed)
        self.injected: str | None = None

    async def send(self, message: dict) -> dict:
        try:
            return await self.client.request(message)
        except BotError as exc:
            raise RehearsalError(f"The host's {message['type']} was refused: {exc}") from None

    async def run(self, players: int, size: int) -> dict:
        client = self.client
        await client.open()
        if not await client.wait_until(lambda v: _joined(v) >= players, JOIN_TIMEOUT):
            raise RehearsalError(
                f"Only {_joined(client.view or {'players': {}})} of {players} bots "
                f"joined within {JOIN_TIMEOUT:.0f} s."
            )
        await self.send({"type": "form", "size": size})
        await self.send({"type": "start"})
        last = len(self.case.rounds) - 1
        for index, round_ in enumerate(self.case.rounds):
            assert client.view is not None  # it has had its snapshot since it joined
            autostarts = client.view["session"]["options"].get("autostart_timer") and round_.tasks
            if not autostarts:  # else the round's clock started by itself
                await self.send({"type": "timer", "op": "start"})
            if index == inject_round(self.case):
                await self.inject()
            if round_.reflection:
                questions = [q.id for q in self.case.reflection]
                if not await client.wait_until(_all_reflected(questions), self.round_timeout):
                    raise RehearsalError(
                        f"Round {index} ({round_.id}): the bots did not answer every "
                        f"reflection question within {self.round_timeout:.0f} s: "
                        + _unanswered(client.view or {"committees": {}}, questions)
                        + f" (the host's view is at v{client.version})"
                    )
            elif not await client.wait_until(_all_done(index), self.round_timeout):
                await self.send({"type": "lock_all"})
                if not await client.wait_until(_all_done(index), 10):
                    raise RehearsalError(
                        f"Round {index} ({round_.id}) is not done after lock_all: "
                        + _open_decisions(client.view or {"committees": {}})
                    )
            if index < last:
                await self.send({"type": "advance", "from_round": index})
        await self.send({"type": "end"})
        assert client.view is not None
        return client.view

    async def inject(self) -> None:
        """One pressure event card into one committee (the first one it has not met)."""
        view = self.client.view
        assert view is not None
        cid = min(view["committees"], key=int)
        met = {d["card"]["id"] for d in view["committees"][cid]["decisions"] if d["card"]}
        cards = [k["id"] for k in view["case"]["cards"] if k["deck"] == "events"]
        self.rng.shuffle(cards)
        for card in cards:
            if card in met:
                continue
            try:
                await self.client.request({"type": "inject", "card": card, "committee": cid})
            except BotError:
                continue
            self.injected = f"{card} -> Udvalg {view['committees'][cid]['name']}"
            return
        raise RehearsalError("No pressure event card could be injected.")


async def rehearse(
    url: str,
    code: str,
    cookie: str,
    case: Case,
    *,
    committees: int,
    size: int,
    pace: float,
    seed: int,
    round_timeout: float,
) -> tuple[dict, BotStats, Host]:
    players = committees * size
    overall = JOIN_TIMEOUT + round_timeout * (len(case.rounds) + 1) + 60
    bots = asyncio.create_task(
        run_bots(
            url, code, players, pace=pace, seed=seed, timeout=overall, join_pass=join_pass(code)
        )
    )
    host = Host(url, code, cookie, case, round_timeout=round_timeout, seed=seed)
    try:
        view = await host.run(players, size)
    except BaseException:
        bots.cancel()
        await asyncio.gather(bots, return_exceptions=True)
        raise
    finally:
        await host.client.close()
    try:
        stats = await asyncio.wait_for(bots, 30)  # the bots leave once they see the end
    except TimeoutError:
        raise RehearsalError("The bots did not stop after the session ended.") from None
    return view, stats, host


# --- the command ------------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Rehearse a session with bot players: creates a session of the case, plays every "
        "round as the host over websockets, and reports the outcome per committee."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--committees", type=int, default=3)
        parser.add_argument("--size", type=int, default=4, help="players per committee")
        parser.add_argument(
            "--url", help="a running server (same database); default: start one on a free port"
        )
        parser.add_argument("--case", default="skole", help="the case's slug (default: skole)")
        parser.add_argument(
            "--pace", type=float, default=0.3, help="the bots' mean think time in seconds"
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--round-timeout",
            type=float,
            default=60.0,
            help="seconds before the host locks every open decision",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        committees, size = opts["committees"], opts["size"]
        if not rules.MIN_COMMITTEE <= size <= rules.MAX_COMMITTEE:
            raise CommandError(f"--size must be {rules.MIN_COMMITTEE} to {rules.MAX_COMMITTEE}.")
        if committees < 1 or committees * size > settings.MAX_PLAYERS:
            raise CommandError(
                f"--committees must be 1 or more, for {settings.MAX_PLAYERS} players at most"
                " (the MAX_PLAYERS setting)."
            )
        version = self.case_version(opts["case"])
        case = version.parsed()
        user, created = get_user_model().objects.get_or_create(
            username=HOST_USERNAME, defaults={"is_staff": True}
        )
        if created:  # no password is set here: `manage.py ensure_host`/changepassword does that
            self.stderr.write(f"Created the user '{HOST_USERNAME}' (no password set).")
        session = actions.create_session(host=user, case_version=version, options={"size": size})
        cookie, login = login_cookie(user)
        server = Server(server_env()) if opts["url"] is None else None
        try:
            url = opts["url"].rstrip("/") if server is None else server.start()
            connection.close()  # the server writes now; this process only reads at the end
            self.stdout.write(
                f"rehearsal: session {session.code} of {version}, {committees} committees "
                f"of {size} at {url}"
            )
            view, stats, host = asyncio.run(
                rehearse(
                    url,
                    session.code,
                    cookie,
                    case,
                    committees=committees,
                    size=size,
                    pace=opts["pace"],
                    seed=opts["seed"],
                    round_timeout=opts["round_timeout"],
                )
            )
        except (RehearsalError, ServerError, BotError, OSError) as exc:
            detail = f"\n--- server log ---\n{server.tail()}" if server and server.proc else ""
            raise CommandError(f"rehearsal failed: {exc}{detail}") from exc
        finally:
            if server is not None:
                server.stop()
            login.delete()
        self.report(session, case, view, stats, host, players=committees * size)

    def case_version(self, slug: str) -> CaseVersion:
        """The case's latest version; the file cases/<slug>.yaml is loaded first if it changed."""
        from cases.loader import load_case

        path = Path(settings.BASE_DIR) / "cases" / f"{slug}.yaml"
        row = CaseRow.objects.filter(slug=slug).first()
        latest = row.latest() if row else None
        if path.exists():
            try:
                return load_case(path)[0]
            except CaseError as exc:
                if latest is None:
                    raise CommandError(str(exc)) from exc
                self.stderr.write(f"{path} does not validate; rehearsing {latest} instead.")
        if latest is None:
            raise CommandError(f"No case '{slug}' in the database and no file {path}.")
        return latest

    def report(
        self, session: Session, case: Case, view: dict, stats: BotStats, host: Host, players: int
    ) -> None:
        session.refresh_from_db()
        state = session.state
        outcomes = {o.id: o.title for o in case.outcomes}
        missing = [c["name"] for c in state["committees"].values() if c["outcome"] is None]
        if session.status != "ended" or missing:
            raise CommandError(
                f"rehearsal failed: session {session.code} is {session.status}; "
                f"committees without an outcome: {', '.join(missing) or 'none'}"
            )
        labels = {m.id: m.label for m in case.meters}
        for cid in sorted(state["committees"], key=int):
            c = state["committees"][cid]
            meters = " ".join(f"{labels[m]}={v}" for m, v in c["meters"].items())
            outcome = outcomes[c["outcome"] or ""]
            self.stdout.write(f"Udvalg {c['name']}: {outcome} — {meters}")
        self.stdout.write(f"bots: {stats.summary()}")
        if host.injected:
            self.stdout.write(f"injected: {host.injected}")
        events = Event.objects.filter(session=session)
        joined = events.filter(kind="join").count()
        votes = events.filter(kind="vote").count()
        ideas = events.filter(kind="idea").count()
        rounds = len(
            {
                e["round"]
                for logged in events.values_list("events", flat=True)
                for e in logged
                if e.get("kind") == "round"
            }
        )
        if joined != players or rounds != len(case.rounds) or not votes:
            raise CommandError(
                f"rehearsal failed: {joined} of {players} players, {rounds} of "
                f"{len(case.rounds)} rounds, {votes} votes in the event log"
            )
        self.stdout.write(
            f"rehearsal ok: {joined} players, {rounds} rounds, {votes} votes, {ideas} ideas"
        )
