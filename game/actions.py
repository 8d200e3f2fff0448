"""The one layer that changes a session: check, apply the rules, save, then broadcast.

Views, consumers, management commands and bots all come through here. The
database work is synchronous and runs in one transaction that locks the
session row, so actions on a session are applied one at a time, each with the
next version, even with several server processes. What each viewer must be
told is worked out in that transaction, re-making only the parts of the views
the change touched (``visibility.advance``), and sent per stream (game.wire)
only after the transaction has committed.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, cast

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cases.models import CaseVersion

from . import protocol, rules, visibility, wire
from .db import database_sync_to_async
from .models import (
    Event,
    Player,
    SeatClaim,
    Session,
    StatePart,
    hash_token,
    join_state,
    new_code,
    new_seat_code,
    split_state,
)

Refused = rules.Refused
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Done:
    """An applied action: the session's new version and the frames it sends (game.wire)."""

    session_id: int
    version: int
    events: list[dict]
    # (group, message) per stream that changed; None: the viewers must fetch a snapshot
    messages: list[tuple[str, dict]] | None
    streams: dict = field(default_factory=dict)  # each stream's version after this change
    joined: int | None = None  # how many have joined, when this change moved it
    repeat: bool = False  # the client's op_id was applied before: nothing new, nothing to tell

    def seen(self, viewer: str, pid: str | None = None, stream: str | None = None) -> int:
        """The newest version this viewer has a frame of, once this change has reached it."""
        return wire.seen(self.streams, viewer, pid, stream) if not self.repeat else self.version


def group_name(session_id: int) -> str:
    return wire.session_group(session_id)


def _save(
    session: Session,
    state: rules.State,
    action: dict,
    events: list[dict],
    actor: str,
    op_id: str = "",
) -> Done:
    """Save the new state as the next version, with the frames that tell it, in the
    transaction that holds the session's row lock (so streams' versions follow in order)."""
    old = session.state
    version = session.version + 1
    after, messages, streams = _cut(session, old, state, version)
    before = _parts_of(session, old)
    base, parts, changed = state_texts(state, before)
    session.state = state
    session.version = version
    session.streams = streams
    session.status = state["status"]
    session.timer_due = state["timer"]["ends_at"] if state["status"] == "running" else None
    if state["status"] == "ended" and session.ended_at is None:
        session.ended_at = timezone.now()  # the retention clock starts (game.retention)
    # Parts that went (a committee formed anew) are deleted; when the parts written
    # before are not known, every part is written (changed) and any other deleted.
    gone = set(before) - set(parts) if before else None
    session.save_with_state_text(base, changed, gone)
    Event.objects.create(
        session=session,
        version=version,
        kind=action["kind"],
        actor=actor,
        action=action,
        events=events,
        op_id=op_id,
    )
    if after is not None:  # once committed: a change rolled back must not be the next one's start
        transaction.on_commit(lambda: _remember(session, version, after, state, parts))
    joined = None  # how many have joined, when it moved (a move in a committee shares the players)
    if state["players"] is not old["players"]:
        joined = visibility.joined_count(state)
        joined = joined if joined != visibility.joined_count(old) else None
    return Done(session.pk, version, events, messages, streams, joined)


def _locked(session_id: int) -> Session:
    """The session's row, locked; its state from this process's cache when it is the
    one at the row's version (reading the state costs 9 ms at 1,000 players), or
    from the cache and the parts written since (another process made the changes
    in between: a vote there wrote one committee)."""
    session = (
        Session.objects.select_for_update()
        .select_related("case_version")
        .defer("base", "case_version__data")  # the case: parsed once per process
        .get(pk=session_id)
    )
    with _views_lock:
        cached = _views.get((session.pk, session.code))
    if cached and cached[0] == session.version:
        session.state = cached[2]  # never changed in place: the rules work on a copy
    elif cached and cached[0] < session.version:
        _read_since(session, cached[0], cached[2], cached[3])
    return session  # else the state is read when first used


def _read_since(session: Session, version: int, had: rules.State, known: Parts) -> None:
    """Set the session's state from ``had`` (the state at ``version``, which this
    process made; ``known``: its parts) and the parts written after it. The parts
    left as they were are the same objects, so what the change touched is found
    without looking inside them (visibility.touched), and their texts need not be
    made again; the dicts of seats and parts are copied, not made entry by entry."""
    rows = StatePart.objects.filter(session=session)
    fresh = dict(rows.filter(version__gt=version).values_list("key", "data"))
    new = [key for key in fresh if key not in known]
    parts = dict(known)
    parts.update({key: (obj, protocol.dumps(obj)) for key, obj in fresh.items()})
    base = session.base
    if (
        rows.count() != len(parts)
        or any(key.startswith("p.") for key in new)
        or any(f"c.{cid}" not in parts for cid in base["committees"])
    ):
        # A part was deleted since (a committee formed anew), or a seat came: the
        # seats in the order of their numbers, as a whole read has them.
        keys = set(rows.values_list("key", flat=True))
        if not keys <= parts.keys():
            return  # a part this process never had (cannot be, but then read it all)
        parts = {key: parts[key] for key in parts if key in keys}
        state = join_state(base, {key: obj for key, (obj, _text) in parts.items()})
    else:
        state = cast(rules.State, dict(base))
        state["players"] = dict(had["players"])
        state["players"].update({k[2:]: obj for k, obj in fresh.items() if k.startswith("p.")})
        state["committees"] = {cid: parts[f"c.{cid}"][0] for cid in base["committees"]}
    session.state = state
    session.__dict__["_parts"] = (state, parts)  # for state_texts: the texts as stored


# (session id, code) -> (version, every viewer's views at that version by part, the
# state, its JSON text by part). The views an action starts from are the ones the
# previous action ended with, so in the usual case (one process, or the same process
# twice) only the parts the change touched are made (visibility.advance), and the
# state is neither read nor written out whole again (state_texts). When other
# processes made the changes since, the parts they wrote are read and the views
# brought up from the ones kept here (_read_since), which also costs what changed.
# Everything kept is by version: a state written behind this layer's back must be a
# new version. The code is in the key because an id can come back (a test database
# is emptied between tests). Consumers and HTTP views run actions in different
# threads: hence the lock.
_views: dict[tuple[int, str], tuple[int, visibility.Views, rules.State, Parts]] = {}
_views_lock = threading.Lock()
MAX_CACHED_SESSIONS = 50  # a few workshops at once


def cached_views(session: Session) -> visibility.Views | None:
    """The views at the session's version, if this process made them."""
    with _views_lock:
        cached = _views.get((session.pk, session.code))
    return cached[1] if cached and cached[0] == session.version else None


def views_now(session: Session) -> visibility.Views | None:
    """The views at the session's version (a snapshot's): this process's, or brought
    up to that version from the ones it has of an older one and the parts written
    since, as an action would (in a cluster, most snapshots a process serves are of
    changes the other processes made); None when it has none of this session."""
    views = cached_views(session)
    if views is not None:
        return views
    with _views_lock:
        cached = _views.get((session.pk, session.code))
    if not cached or cached[0] > session.version:
        return None
    with transaction.atomic():  # on SQLite: the parts of one version
        _read_since(session, cached[0], cached[2], cached[3])
        read = session.__dict__.get("_parts")
        if read is None:
            return None
        views = visibility.advance(session.case, cached[2], read[0], session.meta(), cached[1])
        now = Session.objects.filter(pk=session.pk).values_list("version", flat=True).first()
    if now == session.version:  # no change was written meanwhile: these are that version's
        _remember(session, session.version, views, read[0], read[1])
    return views


def _remember(
    session: Session, version: int, after: visibility.Views, state: rules.State, parts: Parts
) -> None:
    key = (session.pk, session.code)
    with _views_lock:
        # Another thread may be newer (it committed between this commit and this call).
        if _views.get(key, (0,))[0] < version:
            _views.pop(key, None)
            _views[key] = (version, after, state, parts)
        while len(_views) > MAX_CACHED_SESSIONS:
            _views.pop(next(iter(_views)))  # the session that changed least recently


# The JSON text of each part of a state (models.split_state), with the object it is
# the text of: a part the rules did not copy is the same object, unchanged.
Parts = dict[str, tuple[Any, str]]


def _parts_of(session: Session, state: rules.State) -> Parts:
    read = session.__dict__.get("_parts")
    if read is not None and read[0] is state:
        return read[1]  # from _read_since
    with _views_lock:
        cached = _views.get((session.pk, session.code))
    return cached[3] if cached and cached[2] is state else {}


def state_texts(state: rules.State, before: Parts) -> tuple[str, Parts, dict[str, str]]:
    """The state as it is stored (models.split_state): the base's JSON text, every
    part's text, and the parts that changed (key -> text), the others' texts taken
    from ``before``: a vote re-encodes and writes its committee, not 0.6 MB. A part
    the rules copied but left as it was (a round change copies every seat) is not
    written again either."""
    base, objects = split_state(state)
    parts: Parts = {}
    changed: dict[str, str] = {}
    for key, obj in objects.items():
        hit = before.get(key)
        if hit is not None and hit[0] is obj:
            parts[key] = hit
            continue
        text = protocol.dumps(obj)
        parts[key] = (obj, text)
        if hit is None or hit[1] != text:
            changed[key] = text
    return protocol.dumps(base), parts, changed


def _cut(
    session: Session, old: rules.State, new: rules.State, version: int
) -> tuple[visibility.Views | None, list[tuple[str, dict]] | None, dict]:
    """The views of the new state, and the frames from the old one, per stream.

    Should making them fail, the change is saved all the same and every viewer
    is told to fetch a snapshot instead (messages None; every stream is at
    least this version, so a client that missed even that sees the gap).
    """
    case, meta = session.case, session.meta()
    key = (session.pk, session.code)
    try:
        with _views_lock:
            cached = _views.get(key)
        if cached and cached[0] == version - 1:
            before = cached[1]
        elif cached and cached[0] < version - 1:  # another process made the changes between
            before = visibility.advance(case, cached[2], old, meta, cached[1])
        else:
            before = visibility.views(case, old, meta)
        after = visibility.advance(case, old, new, meta, before)
        messages, streams = wire.messages(
            session.pk, version, visibility.frames(before, after), session.streams or {}
        )
    except Exception:
        log.exception("views for %s v%s", session.code, version)
        with _views_lock:
            _views.pop(key, None)
        return None, None, {"floor": version}
    return after, messages, streams


def perform(
    session_id: int, action: dict[str, Any], *, actor: str, op_id: str | None = None
) -> Done:
    """Apply one action to a session; raise ``Refused`` and change nothing if the rules say no.

    With the client's ``op_id``, an action this actor already had applied (a
    resend after a reconnect) is not applied again: the answer is the first
    one's version (``repeat``). The session row lock makes the look-up and the
    save one step, so two resends at once apply it once.
    """
    with transaction.atomic():
        session = _locked(session_id)
        if op_id:
            first = (
                Event.objects.filter(session=session, actor=actor, op_id=op_id)
                .values_list("version", "events")
                .first()
            )
            if first is not None:
                return Done(session.pk, first[0], first[1], None, repeat=True)
        new, events = rules.apply(session.case, session.state, action)
        done = _save(session, new, action, events, actor, op_id or "")
    return done


def perform_presence(session_id: int, changes: dict[str, int]) -> Done | None:
    """Connections that came and went, as one version: ``{pid: +n or -n}``.

    A storm of closing sockets is then a few versions instead of hundreds, and
    a seat that connected and went away in between is no change at all. Seats
    the rules do not know (any more) are skipped; None when nothing changed.
    """
    with transaction.atomic():
        session = _locked(session_id)
        old = state = session.state
        events: list[dict] = []
        for pid, delta in changes.items():
            for _n in range(min(abs(delta), 100)):
                try:
                    state, more = rules.apply(
                        session.case,
                        state,
                        {"kind": "presence", "player": pid, "online": delta > 0},
                    )
                except Refused:
                    break
                events.extend(more)
        if state is old:
            return None
        action = {"kind": "presence"}  # who came and went is in the events (the export cleans them)
        done = _save(session, state, action, events, "system")
    return done


class _InOrder:
    """The changes this process made go out in the order of their versions.

    Two changes of one session committed a moment apart (a vote, and the
    presence writer's batch) are broadcast from different tasks; without this
    the later could reach a phone first, which then sees a gap and asks for a
    snapshot. A version is noted in the thread that committed it, before the
    next change can commit; its broadcast waits for the ones before it (at most
    ``WAIT`` seconds, should one of them never be sent).
    """

    WAIT = 2.0  # seconds

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: dict[int, dict[int, float]] = {}  # session id -> {version: noted at}

    def noted(self, done: Done) -> Done:
        if not done.repeat:
            with self.lock:
                self.pending.setdefault(done.session_id, {})[done.version] = time.monotonic()
        return done

    async def turn(self, done: Done) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                waiting = [
                    v
                    for v, at in self.pending.get(done.session_id, {}).items()
                    if v < done.version and now - at < self.WAIT
                ]
            if not waiting:
                return
            await asyncio.sleep(0.002)

    def sent(self, done: Done) -> None:
        with self.lock:
            pending = self.pending.get(done.session_id, {})
            pending.pop(done.version, None)
            now = time.monotonic()
            for v in [v for v, at in pending.items() if now - at >= self.WAIT]:
                pending.pop(v)  # never sent (its caller failed): forgotten
            if not pending:
                self.pending.pop(done.session_id, None)


in_order = _InOrder()


# Group sends in flight at once. On Redis each takes a connection from the layer's
# pool (100, shared with the consumers' receives and joins): a round change at 2,000
# players is 400 of them, and sent all at once most failed ("Too many connections",
# MaxConnectionsError), their frames lost (bench/broadcast.py --cluster).
SENDS_AT_ONCE = 16


async def broadcast(done: Done) -> None:
    """Send each stream's frames to its group: a viewer gets a frame only for a
    change it can see (game.wire). Without frames (see ``_cut``) every viewer is
    sent a fresh snapshot. The lobby's count goes out by itself, coalesced."""
    layer = get_channel_layer()
    assert layer is not None  # the settings set one
    try:
        await in_order.turn(done)
        if done.messages is None:
            messages = [(group_name(done.session_id), {"type": "game.resync"})]
        else:
            messages = done.messages
        results: list = []
        for start in range(0, len(messages), SENDS_AT_ONCE):
            results += await asyncio.gather(
                *(layer.group_send(g, m) for g, m in messages[start : start + SENDS_AT_ONCE]),
                return_exceptions=True,
            )
    finally:
        in_order.sent(done)
    for failed in [r for r in results if isinstance(r, BaseException)]:
        # The change is saved; a client repairs a missed frame from a snapshot.
        log.error("broadcast of session %s v%s: %r", done.session_id, done.version, failed)
    if done.joined is not None:
        await _lobby_count.send(done.session_id, done.version, done.joined)


class _LobbyCount:
    """How many have joined, to every seat of a session at most twice a second.

    In a join storm every arrival would otherwise be a frame to every earlier
    arrival; this sends the newest count, a few times a second, to all at once.
    """

    EVERY = 0.5  # seconds

    def __init__(self) -> None:
        self.last: dict[int, float] = {}
        self.pending: dict[int, tuple[int, int]] = {}  # session id -> (version, count)

    async def send(self, session_id: int, version: int, count: int) -> None:
        wait = self.last.get(session_id, 0.0) + self.EVERY - time.monotonic()
        if session_id in self.pending and wait > -self.EVERY:  # a send is due: the newest count
            if version > self.pending[session_id][0]:
                self.pending[session_id] = (version, count)
            return
        # (A pending send older than that was on a loop that is gone: a command's.)
        self.pending.pop(session_id, None)
        if wait <= 0:
            return await self._send(session_id, version, count)
        self.pending[session_id] = (version, count)
        asyncio.get_running_loop().call_later(
            wait, lambda: asyncio.ensure_future(self._send_pending(session_id))
        )

    async def _send_pending(self, session_id: int) -> None:
        if session_id in self.pending:
            version, count = self.pending.pop(session_id)
            await self._send(session_id, version, count)

    async def _send(self, session_id: int, version: int, count: int) -> None:
        self.last[session_id] = time.monotonic()
        if len(self.last) > MAX_CACHED_SESSIONS * 10:
            self.last.pop(next(iter(self.last)))
        try:
            await get_channel_layer().group_send(  # type: ignore[union-attr]
                group_name(session_id), {"type": "game.joined", "v": version, "n": count}
            )
        except Exception:
            log.exception("lobby count of session %s", session_id)


_lobby_count = _LobbyCount()


async def aperform(
    session_id: int, action: dict[str, Any], *, actor: str, op_id: str | None = None
) -> Done:
    """``perform`` from async code, then tell everyone."""
    done = await database_sync_to_async(
        lambda: in_order.noted(perform(session_id, action, actor=actor, op_id=op_id))
    )()
    if not done.repeat:
        await broadcast(done)
    return done


def perform_and_broadcast(session_id: int, action: dict[str, Any], *, actor: str) -> Done:
    """``perform`` from sync code (views, commands), then tell everyone."""
    done = perform(session_id, action, actor=actor)
    broadcast_sync(done)
    return done


def broadcast_sync(done: Done) -> None:
    """``broadcast`` from sync code (HTTP views, commands), called in the thread that
    committed ``done``: noted first, so that it goes out in order (a join by HTTP and
    a presence batch committed a moment after it, say)."""
    async_to_sync(broadcast)(in_order.noted(done))


# --- sessions and seats -----------------------------------------------------------------


def create_session(
    *, host, case_version: CaseVersion, options: dict[str, Any], previous: Session | None = None
) -> Session:
    """A new session in the lobby; raises ``Refused`` for bad options."""
    # Each session its own draws; the seed stays in the state (a replay gives the same game).
    seed = getattr(settings, "GAME_SEED", None)  # tests fix it; a workshop draws its own
    seed = secrets.randbelow(2**31) if seed is None else seed
    options = {**options, "max_players": settings.MAX_PLAYERS}  # "play again" too: today's cap
    state = rules.new_state(case_version.parsed(), options, seed=seed)
    for _attempt in range(20):
        code = new_code()
        if not Session.objects.filter(code=code).exists():
            break
    session = Session(code=code, host=host, case_version=case_version, previous=previous)
    session.state = state
    session.save()
    return session


def join(
    session: Session, name: str, *, token_hash: str | None = None, admit: bool = False
) -> tuple[Player, str | None, Done]:
    """Give a new seat; returns the player, the seat token (once) and what changed.

    While the host has locked the lobby the seat waits for the host's approval,
    unless ``admit`` (bots the host started, seats carried over by "play again").
    """
    token = None
    if token_hash is None:
        token, token_hash = Player.new_token()
    with transaction.atomic():
        locked = _locked(session.pk)  # the row lock also makes the next number safe
        last = Player.objects.filter(session=locked).aggregate(n=Max("number"))["n"] or 0
        player = Player.objects.create(
            session=locked, token_hash=token_hash, seat_code=new_seat_code(), number=last + 1
        )
        old = locked.state
        action: dict[str, Any] = {"kind": "join", "player": player.pid, "name": name}
        if admit:
            action["admit"] = True
        new, events = rules.apply(locked.case, old, action)  # Refused rolls back the seat too
        seat = new["players"].get(player.pid) or new["waiting"][player.pid]
        player.name = seat["name"]
        player.save(update_fields=["name"])
        done = _save(locked, new, action, events, f"player:{player.pid}")
    return player, token, done


def seat_for(session: Session, token: str | None) -> Player | None:
    """The player whose seat token this is, in this session."""
    if not token:
        return None
    return Player.objects.filter(session=session, token_hash=hash_token(token)).first()


def play_again(session: Session) -> Session:
    """A new session of the same case for the same people; their seats carry over.

    Once per session: pressing the button twice gives the same new session.
    Nobody is connected to the new one yet, so nothing is broadcast.
    """
    with transaction.atomic():
        old = _locked(session.pk)  # two presses at once: the second waits, then finds the first
        existing = Session.objects.filter(previous=old).order_by("created").first()
        if existing is not None:
            return existing
        new_session = create_session(
            host=old.host,
            case_version=old.case_version,
            options=dict(old.state["options"]),
            previous=old,
        )
        for player in old.players.all():
            seat = old.state["players"].get(player.pid)
            if seat is not None and not seat["removed"]:  # the name as the rules told it apart
                join(new_session, seat["name"], token_hash=player.token_hash, admit=True)
    return new_session


def save_next_steps(player: Player, steps: dict[str, str]) -> None:
    """A player's own "our council's next step" notes (the take-home summary).

    Outside the game state and its version: the game is over, nobody else is
    shown them, so there is nothing to broadcast. The caller has checked them.
    """
    player.next_steps = steps
    player.save(update_fields=["next_steps"])


# --- seats that come back ---------------------------------------------------------------
# A player on a new device gets their own seat back: by the seat code on their
# old screen, or by asking the host, who confirms with one tap. Either way the
# seat gets a new token and the old device's token stops working (its open
# connections are closed: see ``revoke``).

MAX_CODE_FAILURES = 5  # wrong seat codes per seat before only the host can help
CLAIM_MINUTES = 15  # a request nobody answered is dropped after this long


def seat_named(session: Session, name: str) -> Player | None:
    """The seat in the game with this display name (case-insensitive), if any."""
    wanted = rules.clean_name(name).casefold()
    if not wanted:
        return None
    for pid, p in session.state["players"].items():
        if not p["removed"] and p["name"].casefold() == wanted:
            return Player.objects.filter(
                session=session, number=int(pid)
            ).first()  # pid: the number
    return None


def is_online(session: Session, player: Player) -> bool:
    seat = session.state["players"].get(player.pid)
    return seat is not None and seat["online"] > 0


def ensure_seat_code(player: Player) -> str:
    """The seat's code; seats from before seat codes get one now."""
    if not player.seat_code:
        player.seat_code = new_seat_code()
        player.save(update_fields=["seat_code"])
    return player.seat_code


def _normal_code(code: str) -> str:
    return "".join(str(code or "").split()).upper()


def _give_seat(locked: Session, player: Player, token_hash: str, how: str) -> Done:
    """Inside a transaction on the locked session: the seat gets a new token."""
    old = locked.state
    action = {"kind": "reseat", "player": player.pid, "how": how}
    new, events = rules.apply(locked.case, old, action)
    player.token_hash = token_hash
    player.seat_code = new_seat_code()  # the old screen's code was seen: a fresh one
    player.code_failures = 0
    player.save(update_fields=["token_hash", "seat_code", "code_failures"])
    SeatClaim.objects.filter(player=player).delete()
    return _save(locked, new, action, events, f"player:{player.pid}")


def reclaim_by_code(session: Session, name: str, code: str) -> tuple[Player, str, Done]:
    """Take the seat called ``name`` to this device with its seat code.

    Returns the seat, its new token and what changed; ``Refused`` with a reason
    for the person otherwise (a wrong code is counted; too many lock it).
    """
    with transaction.atomic():
        locked = _locked(session.pk)
        player = seat_named(locked, name)
        if player is None:
            raise Refused("not_found", rules._("There is no player with that name in this game."))
        player = Player.objects.select_for_update().get(pk=player.pk)
        if player.code_failures >= MAX_CODE_FAILURES:
            raise Refused(
                "locked",
                rules._("Too many wrong codes for this seat. Ask the host to let you in."),
            )
        if not secrets.compare_digest(_normal_code(code), player.seat_code or "\0"):
            player.code_failures += 1
            player.save(update_fields=["code_failures"])
            wrong = True
        else:
            wrong = False
            token, token_hash = Player.new_token()
            done = _give_seat(locked, player, token_hash, "code")
    # Outside the atomic block, so the count of wrong tries is saved.
    if wrong:
        raise Refused(
            "wrong_code",
            rules._(
                "That seat code does not match. Check the code under your role card on "
                "your old screen, or ask the host."
            ),
        )
    return player, token, done


def claim_seat(session: Session, player: Player, token_hash: str) -> tuple[SeatClaim, Done | None]:
    """A new device asks the host for ``player``'s seat; only for a seat that is offline."""
    with transaction.atomic():
        locked = _locked(session.pk)
        mine = SeatClaim.objects.filter(session=locked, token_hash=token_hash).first()
        if mine is not None and mine.player_id == player.pk:
            return mine, None  # asked already: the same request
        stale = timezone.now() - datetime.timedelta(minutes=CLAIM_MINUTES)
        old = locked.state
        state, events = old, []
        for gone in SeatClaim.objects.filter(session=locked, created__lt=stale):
            if gone.cid in state.get("claims", {}):
                state, more = rules.apply(
                    locked.case,
                    state,
                    {"kind": "claim_end", "claim": gone.cid, "outcome": "expired"},
                )
                events += more
            gone.delete()
        if is_online(locked, player):
            raise Refused(
                "online",
                rules._("%(name)s is online right now, so the host cannot hand the seat over."),
                name=player.name,
            )
        claim = SeatClaim.objects.create(session=locked, player=player, token_hash=token_hash)
        action = {"kind": "claim", "claim": claim.cid, "player": player.pid}
        new, more = rules.apply(locked.case, state, action)  # Refused rolls back the claim
        done = _save(locked, new, action, events + more, "system")
    return claim, done


def end_claim(session: Session, claim_id: str, outcome: str) -> Done:
    """The host declines a request, or the waiting device cancels it."""
    with transaction.atomic():
        locked = _locked(session.pk)
        claim = SeatClaim.objects.filter(session=locked, pk=_int(claim_id)).first()
        old = locked.state
        action = {"kind": "claim_end", "claim": str(claim_id), "outcome": outcome}
        new, events = rules.apply(locked.case, old, action)
        if claim is not None:
            claim.delete()
        done = _save(locked, new, action, events, "host" if outcome == "declined" else "system")
    return done


def confirm_claim(session: Session, claim_id: str) -> tuple[Player, Done]:
    """The host says yes: the asking device gets the seat, the old one loses it."""
    with transaction.atomic():
        locked = _locked(session.pk)
        claim = (
            SeatClaim.objects.select_related("player")
            .filter(session=locked, pk=_int(claim_id))
            .first()
        )
        if claim is None or claim.cid not in locked.state.get("claims", {}):
            raise Refused("not_found", rules._("That request is no longer open."))
        player = claim.player
        done = _give_seat(locked, player, claim.token_hash, "host")
    return player, done


def merge_seats(session: Session, duplicate: str, into: str) -> Done:
    """The host merges a duplicate seat into the original; the duplicate's device
    (the newer one) keeps playing, now in the original seat."""
    with transaction.atomic():
        locked = _locked(session.pk)
        dup = Player.objects.filter(session=locked, number=_int(duplicate)).first()
        orig = Player.objects.filter(session=locked, number=_int(into)).first()
        if dup is None or orig is None:
            raise Refused("not_found", rules._("No such player."))
        old = locked.state
        action = {"kind": "merge", "player": dup.pid, "into": orig.pid}
        new, events = rules.apply(locked.case, old, action)
        orig.token_hash, dup.token_hash = dup.token_hash, Player.new_token()[1]
        dup.save(update_fields=["token_hash"])  # first: the pair (session, token) is unique
        orig.seat_code = new_seat_code()
        orig.code_failures = 0
        orig.save(update_fields=["token_hash", "seat_code", "code_failures"])
        SeatClaim.objects.filter(player__in=[dup, orig]).delete()
        done = _save(locked, new, action, events, "host")
    return done


def seat_code_for_host(session: Session, pid: str) -> Player:
    """The host hands a seat to a new device: the seat's code, with the count of wrong
    tries reset (so a seat locked by guessing can be taken again)."""
    with transaction.atomic():
        player = (
            Player.objects.select_for_update().filter(session=session, number=_int(pid)).first()
        )
        p = session.state["players"].get(player.pid) if player else None
        if player is None or p is None or p["removed"]:
            raise Refused("not_found", rules._("No such player."))
        ensure_seat_code(player)
        player.code_failures = 0
        player.save(update_fields=["code_failures"])
    return player


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return -1


async def arevoke(session_id: int, pids: list[str]) -> None:
    """Tell the seats' open connections to check their token again: a device whose
    token no longer holds a seat is closed (and goes to the join page); one whose
    token now holds another seat reconnects into it."""
    try:
        await get_channel_layer().group_send(  # type: ignore[union-attr]  # settings set one
            group_name(session_id), {"type": "game.revoke", "players": pids}
        )
    except Exception:
        log.exception("revoke in session %s", session_id)


def revoke_sync(session_id: int, pids: list[str]) -> None:
    async_to_sync(arevoke)(session_id, pids)


# --- the clock ---------------------------------------------------------------------------


async def fire_due_timers(now: float | None = None) -> list[Done]:
    """Run out every due round timer. Safe with several processes: the rules fire once."""
    now = time.time() if now is None else now
    due = await database_sync_to_async(
        lambda: list(Session.objects.filter(timer_due__lte=now).values_list("pk", flat=True))
    )()
    done = []
    for session_id in due:
        try:
            done.append(await aperform(session_id, {"kind": "tick", "now": now}, actor="system"))
        except Refused:
            pass  # another process fired it first, or the host paused it meanwhile
        except Exception:  # one broken session must not stop the clock of the others
            log.exception("timer of session %s", session_id)
    return done
