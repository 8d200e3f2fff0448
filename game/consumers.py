"""Websocket consumers: they only translate between frames and actions.

Each connection is one viewer: a player (by the seat token in the cookie), the
host (the logged-in owner of the session) or the projector (the host's big
screen). On connect the viewer gets a full snapshot with the session's
version; after that every change arrives as ``event`` with the next version
and the patches for this viewer, cut by ``game.visibility``. A client that
sees a version skip (or a ``pong`` with a newer version) asks for ``sync``.

No frame can end a connection: every frame of any shape is answered (``ok``,
``error``, ``snapshot`` or ``pong``), and whatever goes wrong inside is logged
and answered ``server_error``. Presence is written by one writer per process
(``_PresenceWriter``) that does not depend on the consumer still running, so a
connection that ends in any way, even cancelled by Daphne in a close storm,
leaves its seat offline.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import time
import weakref
from typing import TYPE_CHECKING, Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import BaseChannelLayer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from cases import languages

from . import actions, protocol, rules, timers, visibility, wire
from .db import database_sync_to_async
from .models import Session, StatePart, normalise_code
from .rules import _

try:  # what autobahn (under Daphne) raises on a send to a socket that has closed
    from autobahn.exception import Disconnected
except ImportError:  # pragma: no cover - Daphne always brings autobahn

    class Disconnected(Exception):  # type: ignore[no-redef]
        pass


log = logging.getLogger(__name__)

# Close codes in the 4000 range are ours (RFC 6455 leaves them to applications).
CLOSE_NO_SESSION = 4404
CLOSE_NO_SEAT = 4401
CLOSE_NOT_HOST = 4403
CLOSE_TOO_OFTEN = 4429  # a reconnect loop, or too many connections at once
CLOSE_SERVER_ERROR = 1011  # only when the connection itself could not be set up
CLOSE_RECONNECT = 4000  # connect again: the seat behind this token changed

# A person taps a few times a second at most; a bucket of 20 refilled at 10/s
# lets bursts through (dot voting) and stops a runaway script.
BUCKET_SIZE = 20
BUCKET_RATE = 10.0
# Actions of one seat, over all its connections: a seat cannot multiply its
# rate by opening more sockets. A person votes a few times a minute; a burst of
# dots or a quick change of mind fits in the bucket. The host runs the room and
# clicks fast: ten a second.
ACTION_BUCKET_SIZE = 20
ACTION_BUCKET_RATE = 3.0
HOST_BUCKET_RATE = 10.0
# Snapshots asked for (sync) per seat: a client needs one after a gap, i.e.
# rarely; a flood of them is refused (slow_down) and costs nothing.
SYNC_BUCKET_SIZE = 5
SYNC_BUCKET_RATE = 0.5

# A phone that reconnects with backoff connects a few times a minute at most;
# a seat connecting more often is a script, and is refused.
CONNECTS_PER_MINUTE = 12
# Connections open at once (per server process). A seat: a phone, a laptop and
# a stale tab or two. An address: a venue's Wi-Fi can put a whole room behind
# one NAT address (200 players with a spare tab each, plus hosts), so this only
# stops one machine opening thousands. The host and the projector: a few each.
MAX_PER_SEAT = 4
MAX_PER_ADDRESS = 500
MAX_PER_HOST_VIEW = 10

_connects: dict[tuple[str, str], collections.deque] = collections.defaultdict(collections.deque)
# Who is connected, by limit: key -> the channel names open now. A set, so a
# count can never go negative or count one connection twice.
_live: dict[tuple, set[str]] = collections.defaultdict(set)


class _Bucket:
    """A token bucket: ``size`` at once, refilled at ``rate`` per second."""

    def __init__(self, size: float, rate: float) -> None:
        self.size, self.rate = size, rate
        self.tokens, self.last = float(size), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.size, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


# Buckets shared by every connection of a seat (or of the host of a session).
_action_buckets: dict[tuple, _Bucket] = {}
_sync_buckets: dict[tuple, _Bucket] = {}
MAX_BUCKETS = 5000  # seats of a few workshops; the oldest are forgotten first


def _bucket(table: dict[tuple, _Bucket], key: tuple, size: float, rate: float) -> _Bucket:
    bucket = table.get(key)
    if bucket is None:
        bucket = table[key] = _Bucket(size, rate)
        while len(table) > MAX_BUCKETS:
            table.pop(next(iter(table)))
    return bucket


def seat_cookie(code: str) -> str:
    return f"seat_{code}"


def _snapshot(session: Session, viewer: str, pid: str | None) -> tuple[int, dict]:
    case, state, meta = session.case, session.state, session.meta()
    if viewer == "host":
        view = visibility.host_view(case, state, meta)
    elif viewer == "projector":
        view = visibility.projector_view(case, state, meta)
    else:
        view = visibility.player_view(case, state, pid, meta)
    return session.version, view


# --- one snapshot per viewer per version --------------------------------------------------

# (session id, code, viewer, pid) -> (version, the view as JSON text, the viewer's
# stream). However many connections ask, a viewer's snapshot is made and
# serialised once per version. The code is in the key because an id can come
# back (tests).
_snapshots: dict[tuple, tuple[int, str, str]] = {}
MAX_SNAPSHOTS = 5000


def forget_session(session_id: int) -> None:
    """Drop this process's snapshots of one session: its personal data was deleted (game.retention)."""
    for key in [k for k in list(_snapshots) if k[0] == session_id]:
        _snapshots.pop(key, None)


def _snapshot_text(
    session_id: int, viewer: str, pid: str | None, language: str = ""
) -> tuple[int, str, str] | None:
    """The snapshot's version, view text and stream, from the cache when the version has not moved.

    In the viewer's language when the case has a translation into it (cases/languages.py).
    """
    row = Session.objects.filter(pk=session_id).values_list("version", "code").first()
    if row is None:
        return None
    key = (session_id, row[1], viewer, pid, language)
    hit = _snapshots.get(key)
    if hit and hit[0] == row[0]:
        return hit
    session = (
        Session.objects.select_related("case_version")
        .defer(*Session.HEAVY)
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        return None
    views = actions.views_now(session)  # the state is read whole only when they are not there
    view: dict | None = None
    if views is not None:
        view = views.player(pid) if pid is not None else getattr(views, viewer)
    if view is None:
        _version, view = _snapshot(session, viewer, pid)
    stream = visibility.stream_of(view["me"]) if pid is not None else viewer
    texts = session.case_version.texts(language) if language else {}
    entry = (session.version, protocol.dumps(languages.translate(view, texts)), stream)
    _snapshots.pop(key, None)
    _snapshots[key] = entry
    while len(_snapshots) > MAX_SNAPSHOTS:
        _snapshots.pop(next(iter(_snapshots)))
    return entry


# --- the streams' versions, for pongs ----------------------------------------------------------

VERSION_FRESH = 1.0  # seconds: the database is asked at most once a second per session
# A pong answers with the figure it has while a fresher one is read (tests: it waits).
PONG_WAITS = False
_streams: dict[int, tuple[dict, float]] = {}  # session id -> (Session.streams, when read)
_stream_reads: dict[int, asyncio.Future] = {}


async def current_streams(session_id: int) -> dict:
    """The session's stream versions (game.wire) as the database has them, at most a second old.

    A pong carries the viewer's: a client whose own version is behind missed a
    frame (e.g. a broadcast lost while Redis restarted) and asks for a snapshot.
    One read per session per second, however many clients ping.
    """
    known, read = _streams.get(session_id, ({}, 0.0))
    if time.monotonic() - read < VERSION_FRESH:
        return known
    loop = asyncio.get_running_loop()
    pending = _stream_reads.get(session_id)
    if pending is None or pending.done() or pending.get_loop() is not loop:
        pending = _stream_reads[session_id] = asyncio.ensure_future(_read_streams(session_id))
    if read and not PONG_WAITS:  # the pong does not wait: the next one has the fresh figure
        return known
    try:
        return await asyncio.shield(pending)
    except Exception:
        return known


async def _read_streams(session_id: int) -> dict:
    try:
        streams = await database_sync_to_async(
            lambda: Session.objects.filter(pk=session_id).values_list("streams", flat=True).first()
        )()
    except Exception:
        log.warning("could not read the streams of session %s", session_id, exc_info=True)
        raise
    streams = streams or {}
    _streams[session_id] = (streams, time.monotonic())
    return streams


# --- presence ---------------------------------------------------------------------------------


class _PresenceWriter:
    """One per event loop (i.e. per server process): writes who came and went.

    A consumer only hands over its change (``add`` never awaits), so the change
    is made even when the consumer is cancelled right after (Daphne kills an
    application that takes over 10 s to close; in a storm of 480 closing
    sockets the last ones wait that long for the database). Changes that pile
    up meanwhile are written together, one version per session.
    """

    def __init__(self) -> None:
        self.pending: dict[int, dict[str, int]] = {}
        self.waiters: list[asyncio.Future] = []  # resolved once their change is written
        self.writing: list[asyncio.Future] = []  # those of the batch being written
        self.wake = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._run())

    def add(self, session_id: int, pid: str, delta: int) -> asyncio.Future:
        changes = self.pending.setdefault(session_id, {})
        changes[pid] = changes.get(pid, 0) + delta
        done = asyncio.get_running_loop().create_future()
        self.waiters.append(done)
        self.wake.set()
        return done

    async def _run(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            pending, self.pending = self.pending, {}
            self.writing, self.waiters = self.waiters, []
            try:
                for session_id, changes in pending.items():
                    changes = {pid: n for pid, n in changes.items() if n}
                    if changes:
                        await self._write(session_id, changes)
            except Exception:  # the writer must outlive any fault
                log.exception("presence writer")
            for waiter in self.writing:
                if not waiter.done():
                    waiter.set_result(None)
            self.writing = []

    async def _write(self, session_id: int, changes: dict[str, int]) -> None:
        for attempt in range(5):  # a database fault (SQLite busy, a failover): again
            try:
                done = await database_sync_to_async(_presence_noted)(session_id, changes)
            except Session.DoesNotExist:
                return  # deleted meanwhile: nobody to tell
            except Exception:
                log.warning("presence of session %s (attempt %s)", session_id, attempt + 1)
                await asyncio.sleep(0.2 * 2**attempt)
                continue
            if done is not None:
                await actions.broadcast(done)
            return
        log.error("presence of session %s not written: %s", session_id, changes)


def _presence_noted(session_id: int, changes: dict[str, int]) -> actions.Done | None:
    """Write the presence, and note its version for the broadcasts' order, in one thread."""
    done = actions.perform_presence(session_id, changes)
    return actions.in_order.noted(done) if done is not None else None


_writers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_background: set[asyncio.Task] = set()  # tasks nobody awaits, kept from the garbage collector


def presence_writer() -> _PresenceWriter:
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None or writer.task.done():
        writer = _writers[loop] = _PresenceWriter()
    return writer


async def presence_settled() -> None:
    """Wait until every presence change handed over so far is written (for tests)."""
    writer = presence_writer()
    while writer.pending or writer.waiters or writer.writing:
        await asyncio.gather(*writer.waiters, *writer.writing, return_exceptions=True)
        await asyncio.sleep(0)


# --- staying in the group through a Redis restart ------------------------------------------

# A Redis without persistence forgets every group on a restart, and while it is
# away the channel layer's receive fails. A consumer keeps its socket through
# that: its receive waits and tries again, joining its group again first; and a
# client's ping (every few seconds) joins it again when the last join is older
# than REJOIN_EVERY, for a restart so quick that the receive never failed (this
# also keeps the membership from expiring, group_expiry). What was broadcast
# meanwhile is lost: after a failed receive the consumer sends a fresh snapshot
# as soon as it is back in its group; after a restart too quick to be noticed,
# the client sees the gap in the pong's version and asks for one.
REJOIN_EVERY = 5.0  # seconds
RECEIVE_RETRY_MAX = 2.0  # seconds between two tries of a failing channel layer


class _StaysInGroup:
    """Mixed into the consumer: a channel layer that fails does not end the connection."""

    in_groups: tuple[str, ...] = ()  # the session's, the viewer's stream's, a seat's own
    joined_at = 0.0
    rejoin = False  # the layer failed: join again before receiving
    # What the consumer it is mixed into has (declared for the type checker only).
    channel_layer: BaseChannelLayer
    channel_name: str
    if TYPE_CHECKING:

        async def _quietly(self, awaitable: Any) -> None: ...
        async def send_snapshot(self, ref: Any = None) -> None: ...

    @property
    def channel_receive(self):  # channels' consumer loop sets it, then calls it
        return self._receive_again

    @channel_receive.setter
    def channel_receive(self, receive) -> None:
        self._layer_receive = receive

    async def _receive_again(self) -> dict:
        failures = 0
        while True:
            try:
                if self.rejoin and self.in_groups:
                    for group in self.in_groups:
                        await self.channel_layer.group_add(group, self.channel_name)
                    self.rejoin, self.joined_at = False, time.monotonic()
                    log.info("back in groups %s after %s failures", self.in_groups, failures)
                    await self._quietly(self.send_snapshot())  # what was lost meanwhile
                return await self._layer_receive()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: wait; the socket stays open
                failures += 1
                self.rejoin = True
                if failures == 1:
                    log.warning("channel layer failed (%s); trying again", exc)
                await asyncio.sleep(min(RECEIVE_RETRY_MAX, 0.1 * 2**failures))

    async def dispatch(self, message: dict) -> None:
        """Channels' dispatch without the ``close_old_connections`` it runs before every
        message (Channels 4.2 and later): that is a trip into the one thread every
        database call of the process runs in, for every frame to every consumer and
        every ping, queued behind the actions (at 400 players, 37,000 of them in a
        bench run). Each database call here is a ``database_sync_to_async`` of
        ``game.db``, which closes a broken connection itself, before and after."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def join_groups(self, *groups: str, every: float = 0.0) -> None:
        """Be in these groups (again, when the last join is older than ``every``),
        and in no other; a failure is not fatal."""
        if every and time.monotonic() - self.joined_at < every and groups == self.in_groups:
            return
        left = [g for g in self.in_groups if g not in groups]
        self.in_groups = groups
        try:
            for group in left:
                await self.channel_layer.group_discard(group, self.channel_name)
            for group in groups:
                await self.channel_layer.group_add(group, self.channel_name)
            self.joined_at = time.monotonic()
        except Exception as exc:  # Redis away: the snapshot is served all the same
            log.warning("group_add failed (%s); joining again at the next ping", exc)


# --- the consumers ----------------------------------------------------------------------------


class GameConsumer(_StaysInGroup, AsyncWebsocketConsumer):
    viewer = ""  # "player", "host" or "projector"
    unknown_code: tuple = ()  # the refusal for a code that does not exist: as for a real one

    async def connect(self) -> None:
        self.session_id: int | None = None
        self.pid: str | None = None
        self.stream: str | None = self.viewer  # a player's: its committee's, or the lobby's
        self.joined_v = 0  # the version of the lobby count last sent
        self.present = False  # a +1 of presence is handed over; a -1 is owed
        self.limits: list[tuple] = []  # the _live keys this connection is counted in
        self.bucket = _Bucket(BUCKET_SIZE, BUCKET_RATE)
        self.language = self._language()
        self.texts: dict[str, str] = {}  # the case in self.language, when translated
        try:
            await self._connect()
        except Disconnected:
            pass  # the client left while we were still setting up: _release() follows
        except Exception:
            log.exception("connect of %s failed", self.viewer)
            await self._quietly(self._refuse_now())

    async def _stream_now(self) -> str:
        """The seat's stream as saved now: its own part of the state (game.models)."""
        seat = await database_sync_to_async(
            lambda: (
                StatePart.objects.filter(session_id=self.session_id, key=f"p.{self.pid}")
                .values_list("data", flat=True)
                .first()
            )
        )()
        pid = self.pid or ""
        return visibility.stream_for({pid: seat} if seat else {}, pid)

    def _groups(self) -> tuple[str, ...]:
        assert self.session_id is not None
        mine = (wire.seat_group(self.session_id, self.pid),) if self.pid is not None else ()
        stream = (wire.stream_group(self.session_id, self.stream),) if self.stream else ()
        return (wire.session_group(self.session_id), *stream, *mine)

    async def _refuse_now(self) -> None:
        await self._error("server_error", _("Something went wrong; please try again."))
        await self.close(code=CLOSE_SERVER_ERROR)

    async def _connect(self) -> None:
        # Accept before any database work: Daphne drops a handshake that takes
        # over 5 s, and a whole room reconnecting after a restart queues up.
        await self.accept()
        session = await self._session()
        if session is None:  # answered like a real code without a seat: codes cannot be probed
            return await self._refuse(*self.unknown_code)
        refusal = await self.authenticate(session)
        if refusal:
            return await self._refuse(*refusal)
        refusal = self._count_connection(session)
        if refusal:
            return await self._refuse(*refusal)
        self.session_id = session.pk
        # The case's texts in the viewer's language, when it has a translation into it.
        self.texts = await database_sync_to_async(session.case_version.texts)(self.language)
        # The code too: a session id can come back (a test database is emptied).
        self.seat = (session.pk, session.code, self.viewer if self.pid is None else self.pid)
        # A player's stream is its committee's: joined before the snapshot is read.
        self.stream = self.viewer if self.pid is None else await self._stream_now()
        await self.join_groups(*self._groups())
        # Read again, after joining the groups: a change made in between is then
        # either in the snapshot or in an event (an older event is skipped; one in
        # a player's stream before it is joined shows as a gap in the next frame).
        await self.send_snapshot()
        if self.pid is not None:
            self.present = True
            await presence_writer().add(session.pk, self.pid, +1)
        if settings.GAME_TIMER_LOOP:
            timers.ensure_running()
        log.info("connect %s session=%s player=%s", self.viewer, session.code, self.pid)

    def _count_connection(self, session: Session) -> tuple | None:
        """Count this connection in its limits, or say which one it is over."""
        client = self.scope.get("client") or (None, 0)
        keys: list[tuple[tuple, int]] = []
        if client[0]:  # Daphne always says; an in-process client (a test) may not
            keys.append((("address", client[0]), MAX_PER_ADDRESS))
        if self.pid is not None:
            keys.append((("seat", session.code, self.pid), MAX_PER_SEAT))
        else:
            keys.append((("view", session.code, self.viewer), MAX_PER_HOST_VIEW))
        for key, limit in keys:
            if len(_live[key]) >= limit:
                return (
                    "too_many",
                    _("Too many connections at once; close another tab or device."),
                    CLOSE_TOO_OFTEN,
                )
        for key, _limit in keys:
            _live[key].add(self.channel_name)
            self.limits.append(key)
        return None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """The whole life of the connection; however it ends, its seat is released.

        ``disconnect()`` does not run when the consumer is cancelled (Daphne kills
        one still busy 10 s after its socket closed, as in a close storm) or
        dies; ``finally`` does, and ``_release`` never awaits.
        """
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()

    def _release(self) -> asyncio.Future | None:
        """Uncount this connection and hand over its presence -1 (once; never awaits)."""
        for key in getattr(self, "limits", ()):
            _live[key].discard(self.channel_name)
            if not _live[key]:
                _live.pop(key, None)
        self.limits = []
        session_id = getattr(self, "session_id", None)
        if session_id is None:
            return None
        self.session_id = None  # once
        try:
            # Out of the group in a task of its own: a channel left in the group of
            # the in-memory layer would be sent every change for a day.
            for group in self.in_groups:
                task = asyncio.get_running_loop().create_task(
                    self.channel_layer.group_discard(group, self.channel_name)
                )
                _background.add(task)
                task.add_done_callback(_background.discard)
            self.in_groups = ()
            if getattr(self, "present", False):
                self.present = False
                return presence_writer().add(session_id, self.pid, -1)
        except RuntimeError:  # no running loop any more (the process is stopping)
            log.warning("seat %s of session %s not released: no event loop", self.pid, session_id)
        return None

    async def disconnect(self, code: int) -> None:
        # What must happen whatever follows is done first and without awaiting:
        # this task may be cancelled at any await below.
        written = self._release()
        if written is not None:  # for a client (a test) that waits for the close to finish
            try:
                await asyncio.wait_for(asyncio.shield(written), 5)
            except Exception:
                pass  # the writer carries on without us

    async def authenticate(self, session: Session) -> tuple | None:
        raise NotImplementedError

    # --- incoming -------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """One frame, one answer; nothing a frame does can end the connection."""
        if getattr(self, "session_id", None) is None:
            return
        try:
            await self._receive(text_data)
        except Disconnected:
            pass  # the socket closed under us; disconnect() cleans up
        except Exception:
            log.exception("frame from %s in session %s", self.viewer, self.session_id)
            ref = self._quiet_ref(text_data)
            await self._quietly(
                self._error("server_error", _("Something went wrong; please try again."), ref)
            )

    @staticmethod
    def _quiet_ref(text: str | None) -> Any:
        try:
            return protocol.peek_ref(text)
        except Exception:
            return None

    async def _receive(self, text_data: str | None) -> None:
        if not self.bucket.take():
            ref = protocol.peek_ref(text_data)
            return await self._error("slow_down", _("Too many messages; wait a moment."), ref)
        try:
            msg = protocol.parse(self.viewer, text_data)
        except protocol.BadMessage as exc:
            log.info("refused frame from %s: %s", self.viewer, exc.code)
            return await self._error(exc.code, exc.reason, exc.ref, **exc.params)
        if msg.type == "ping":
            await self.join_groups(*self._groups(), every=REJOIN_EVERY)
            streams = await current_streams(self.session_id)
            version = wire.seen(streams, self.viewer, self.pid, self.stream)
            return await self._send({"type": "pong", "ref": msg.ref, "v": version})
        if msg.type == "sync":
            if not _bucket(_sync_buckets, self.seat, SYNC_BUCKET_SIZE, SYNC_BUCKET_RATE).take():
                return await self._error(
                    "slow_down", _("Too many messages; wait a moment."), msg.ref
                )
            return await self.send_snapshot(ref=msg.ref)
        rate = ACTION_BUCKET_RATE if self.pid is not None else HOST_BUCKET_RATE
        if not _bucket(_action_buckets, self.seat, ACTION_BUCKET_SIZE, rate).take():
            return await self._error("slow_down", _("Too many messages; wait a moment."), msg.ref)
        action = protocol.to_action(msg)
        if self.viewer == "player":
            action["player"] = self.pid  # a player acts in their own seat, never another's
        if action["kind"] in ("timer", "start", "advance"):  # start/advance may start the clock
            action["now"] = time.time()
        await self._act(action, ref=msg.ref, op_id=getattr(msg, "op_id", None))

    async def _act(self, action: dict[str, Any], *, ref: Any = None, op_id: str | None = None):
        actor = "host" if self.viewer == "host" else f"player:{self.pid}"
        try:
            done = await actions.aperform(self.session_id, action, actor=actor, op_id=op_id)
        except rules.Refused as exc:
            return await self._error(exc.code, exc.reason, ref, **exc.params)
        except Exception:  # a bug or a database fault: the transaction rolled back
            log.exception("action %s failed in session %s", action.get("kind"), self.session_id)
            return await self._error(
                "server_error", _("Something went wrong; please try again."), ref
            )
        # A resend of an action already applied gets the same answer as the first time.
        # ``seen``: the version this viewer is at once the change has reached it.
        seen = done.seen(self.viewer, self.pid, self.stream)
        await self._send({"type": "ok", "ref": ref, "v": done.version, "seen": seen})

    # --- outgoing -------------------------------------------------------------------

    async def send_snapshot(self, ref: Any = None) -> None:
        entry = await database_sync_to_async(_snapshot_text)(
            self.session_id, self.viewer, self.pid, self.language if self.texts else ""
        )
        if entry is None:  # deleted in the admin meanwhile
            return await self._refuse(
                "no_session", _("The session no longer exists."), CLOSE_NO_SESSION
            )
        version, view, stream = entry
        if stream != self.stream:  # moved meanwhile (a move frame lost, or not yet here)
            self.stream = stream
            await self.join_groups(*self._groups())
        self.joined_v = max(self.joined_v, version)
        ref_text = protocol.dumps(ref)
        await self.send(
            text_data=f'{{"type":"snapshot","v":{version},"ref":{ref_text},"view":{view}}}'
        )

    async def game_frames(self, event: dict) -> None:
        """A change this viewer's stream can see: forward its patches (game.wire)."""
        try:
            if self.pid is not None and event["stream"] != self.stream and "move" not in event:
                return  # a group this consumer has just left
            if self.pid is not None and "move" in event:
                self.stream = event["move"]
                await self.join_groups(*self._groups())
                # Frames its new stream sent before this consumer joined it are lost:
                # when there were some, the whole view instead. Read now, not the
                # second-old figure pongs use, which may not have them yet.
                streams = await _read_streams(self.session_id)
                if wire.seen(streams, "player", self.pid, self.stream) > event["v"]:
                    return await self.send_snapshot()
            picked = wire.patch_for(event, self.pid)
            if picked is None:
                return
            prev, patch = picked
            if self.texts:  # the case's texts in this viewer's language: values, not paths
                patches = [
                    [path, languages.translate(v, self.texts)] for path, v in json.loads(patch)
                ]
                patch = protocol.dumps(patches)
            await self.send(text_data=wire.event_text(event["v"], prev, patch))
        except Disconnected:
            pass  # closing: disconnect() follows
        except Exception:
            log.exception("event for %s in session %s", self.viewer, self.session_id)

    async def game_joined(self, event: dict) -> None:
        """How many have joined (not versioned: the newest count, a few times a second)."""
        if self.pid is None or event["v"] <= self.joined_v:
            return
        self.joined_v = event["v"]
        await self._send({"type": "joined", "n": event["n"], "v": event["v"]})

    async def game_revoke(self, event: dict) -> None:
        """A seat moved to another device (game.actions.arevoke): check this token again."""
        if self.viewer != "player" or self.pid not in event["players"]:
            return
        session = await self._session(pk=self.session_id)
        player = (
            await database_sync_to_async(actions.seat_for)(session, getattr(self, "token", None))
            if session
            else None
        )
        if player is None:  # this device's token is dead: the seat is on another device now
            return await self._refuse(
                "no_seat", _("Your seat has moved to another device."), CLOSE_NO_SEAT
            )
        if player.pid != self.pid:  # merged: this token now holds the original seat
            await self.close(code=CLOSE_RECONNECT)

    async def game_resync(self, event: dict) -> None:
        """The server could not cut this change into patches: a fresh snapshot instead."""
        await self._quietly(self.send_snapshot())

    async def _send(self, data: dict) -> None:
        try:
            await self.send(text_data=protocol.dumps(data))
        except Disconnected:
            pass  # the socket closed under us; disconnect() cleans up

    async def _error(self, code: str, reason: str, ref: Any = None, **params: Any) -> None:
        with translation.override(self.language):
            text = gettext(reason) % params if params else gettext(reason)
        await self._send({"type": "error", "code": code, "reason": text, "ref": ref})

    async def _refuse(self, code: str, reason: str, close_code: int) -> None:
        log.info("refused %s connection: %s", self.viewer, code)
        await self._error(code, reason)
        await self.close(code=close_code)

    async def _quietly(self, awaitable: Any) -> None:
        """Await something whose failure must not end the consumer (logged)."""
        try:
            await awaitable
        except Disconnected:
            pass
        except Exception:
            log.exception("in %s consumer of session %s", self.viewer, self.session_id)

    # --- helpers --------------------------------------------------------------------

    def _language(self) -> str:
        wanted = self.scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME)
        return wanted if wanted in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE

    @database_sync_to_async
    def _session(self, pk: int | None = None) -> Session | None:
        query = Session.objects.select_related("case_version").defer(*Session.HEAVY)
        if pk is not None:
            return query.filter(pk=pk).first()
        code = normalise_code(self.scope["url_route"]["kwargs"]["code"])
        return query.filter(code=code).first() if code else None


class PlayerConsumer(GameConsumer):
    viewer = "player"
    unknown_code = (
        "no_seat",
        _("You have no seat in this session; join with the code."),
        CLOSE_NO_SEAT,
    )

    async def authenticate(self, session: Session) -> tuple | None:
        token = self.scope.get("cookies", {}).get(seat_cookie(session.code))
        player = await database_sync_to_async(actions.seat_for)(session, token)
        if player is None:
            return (
                "no_seat",
                _("You have no seat in this session; join with the code."),
                CLOSE_NO_SEAT,
            )
        recent = _connects[(session.code, player.pid)]  # this process's; enough to stop a loop
        now = time.monotonic()
        while recent and now - recent[0] > 60:
            recent.popleft()
        if len(recent) >= CONNECTS_PER_MINUTE:
            return ("too_often", _("Too many connections; wait a minute."), CLOSE_TOO_OFTEN)
        recent.append(now)
        self.pid = player.pid
        self.token = token  # checked again when the seat moves (game_revoke)
        return None


class HostConsumer(GameConsumer):
    viewer = "host"
    unknown_code = ("not_host", _("Only the session's host can run it."), CLOSE_NOT_HOST)

    async def authenticate(self, session: Session) -> tuple | None:
        if not await database_sync_to_async(session.is_run_by)(self.scope.get("user")):
            return ("not_host", _("Only the session's host can run it."), CLOSE_NOT_HOST)
        return None


class ProjectorConsumer(HostConsumer):
    """The big screen: opened by the host, read-only."""

    viewer = "projector"
