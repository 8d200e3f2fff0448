"""Websocket consumers: they only translate between frames and actions.

Each connection is one viewer: a player (by the seat token in the cookie), the
host (the logged-in owner of the session) or the projector (the host's big
screen). On connect the viewer gets a full snapshot with the session's
version; after that every change arrives as ``event`` with the next version
and the patches for this viewer, cut by ``game.visibility``. A client that
sees a version skip asks for ``sync``.
"""

from __future__ import annotations

import collections
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from . import actions, protocol, rules, timers, visibility
from .models import Session
from .rules import _

log = logging.getLogger(__name__)

# Close codes in the 4000 range are ours (RFC 6455 leaves them to applications).
CLOSE_NO_SESSION = 4404
CLOSE_NO_SEAT = 4401
CLOSE_NOT_HOST = 4403

# A person taps a few times a second at most; a bucket of 20 refilled at 10/s
# lets bursts through (dot voting) and stops a runaway script.
BUCKET_SIZE = 20
BUCKET_RATE = 10.0

# Every connect and disconnect of a seat is a change everyone is told about
# (presence). A phone that reconnects with backoff connects a few times a
# minute at most; a seat connecting more often is a script, and is refused.
CLOSE_TOO_OFTEN = 4429
CONNECTS_PER_MINUTE = 12
_connects: dict[tuple[str, str], collections.deque] = collections.defaultdict(collections.deque)


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


class GameConsumer(AsyncWebsocketConsumer):
    viewer = ""  # "player", "host" or "projector"

    async def connect(self) -> None:
        self.session_id: int | None = None
        self.pid: str | None = None
        self.tokens, self.last_fill = float(BUCKET_SIZE), time.monotonic()
        self.language = self._language()
        session = await self._session()
        await self.accept()
        if session is None:
            return await self._refuse(
                "no_session", _("There is no session with that code."), CLOSE_NO_SESSION
            )
        refusal = await self.authenticate(session)
        if refusal:
            return await self._refuse(*refusal)
        self.session_id = session.pk
        await self.channel_layer.group_add(actions.group_name(session.pk), self.channel_name)
        # Read again, after joining the group: a change made in between is then
        # either in the snapshot or in an event (an older event is skipped).
        await self.send_snapshot()
        if self.pid is not None:
            await self._act({"kind": "presence", "player": self.pid, "online": True}, quiet=True)
        if settings.GAME_TIMER_LOOP:
            timers.ensure_running()
        log.info("connect %s session=%s player=%s", self.viewer, session.code, self.pid)

    async def disconnect(self, code: int) -> None:
        if self.session_id is None:
            return
        await self.channel_layer.group_discard(
            actions.group_name(self.session_id), self.channel_name
        )
        if self.pid is not None:
            await self._act({"kind": "presence", "player": self.pid, "online": False}, quiet=True)

    async def authenticate(self, session: Session) -> tuple | None:
        raise NotImplementedError

    # --- incoming -------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.session_id is None:
            return
        if not self._take_token():
            ref = protocol.peek_ref(text_data)
            return await self._error("slow_down", _("Too many messages; wait a moment."), ref)
        try:
            msg = protocol.parse(self.viewer, text_data)
        except protocol.BadMessage as exc:
            log.info("refused frame from %s: %s", self.viewer, exc.code)
            return await self._error(exc.code, exc.reason, exc.ref, **exc.params)
        if msg.type == "ping":
            return await self._send({"type": "pong", "ref": msg.ref})
        if msg.type == "sync":
            return await self.send_snapshot(ref=msg.ref)
        action = protocol.to_action(msg)
        if self.viewer == "player":
            action["player"] = self.pid  # a player acts in their own seat, never another's
        if action["kind"] == "timer":
            action["now"] = time.time()
        await self._act(action, ref=msg.ref)

    async def _act(self, action: dict[str, Any], *, ref: Any = None, quiet: bool = False) -> None:
        actor = "host" if self.viewer == "host" else f"player:{self.pid}"
        try:
            done = await actions.aperform(self.session_id, action, actor=actor)
        except rules.Refused as exc:
            if not quiet:
                await self._error(exc.code, exc.reason, ref, **exc.params)
            return
        except Exception:  # a bug or a database fault: the transaction rolled back
            log.exception("action %s failed in session %s", action.get("kind"), self.session_id)
            if not quiet:
                await self._error("server_error", _("Something went wrong; please try again."), ref)
            return
        if not quiet:
            await self._send({"type": "ok", "ref": ref, "v": done.version})

    # --- outgoing -------------------------------------------------------------------

    async def send_snapshot(self, ref: Any = None) -> None:
        session = await self._session(pk=self.session_id)
        if session is None:  # deleted in the admin meanwhile
            return await self._refuse(
                "no_session", _("The session no longer exists."), CLOSE_NO_SESSION
            )
        version, view = await database_sync_to_async(_snapshot)(session, self.viewer, self.pid)
        await self._send({"type": "snapshot", "v": version, "view": view, "ref": ref})

    async def game_patch(self, event: dict) -> None:
        """A change in the session: forward this viewer's patches, and only those."""
        frames = event["frames"]
        patch = (
            frames["players"].get(self.pid, "[]")
            if self.viewer == "player"
            else frames[self.viewer]
        )
        await self.send(text_data=f'{{"type":"event","v":{event["v"]},"patch":{patch}}}')

    async def game_resync(self, event: dict) -> None:
        """The server could not cut this change into patches: a fresh snapshot instead."""
        await self.send_snapshot()

    async def _send(self, data: dict) -> None:
        await self.send(text_data=protocol.dumps(data))

    async def _error(self, code: str, reason: str, ref: Any = None, **params: Any) -> None:
        with translation.override(self.language):
            text = gettext(reason) % params if params else gettext(reason)
        await self._send({"type": "error", "code": code, "reason": text, "ref": ref})

    async def _refuse(self, code: str, reason: str, close_code: int) -> None:
        log.info("refused %s connection: %s", self.viewer, code)
        await self._error(code, reason)
        await self.close(code=close_code)

    # --- helpers --------------------------------------------------------------------

    def _take_token(self) -> bool:
        now = time.monotonic()
        self.tokens = min(BUCKET_SIZE, self.tokens + (now - self.last_fill) * BUCKET_RATE)
        self.last_fill = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def _language(self) -> str:
        wanted = self.scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME)
        return wanted if wanted in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE

    @database_sync_to_async
    def _session(self, pk: int | None = None) -> Session | None:
        query = Session.objects.select_related("case_version")
        if pk is not None:
            return query.filter(pk=pk).first()
        code = str(self.scope["url_route"]["kwargs"]["code"]).upper()
        return query.filter(code=code).first()


class PlayerConsumer(GameConsumer):
    viewer = "player"

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
        return None


class HostConsumer(GameConsumer):
    viewer = "host"

    async def authenticate(self, session: Session) -> tuple | None:
        if not await database_sync_to_async(session.is_run_by)(self.scope.get("user")):
            return ("not_host", _("Only the session's host can run it."), CLOSE_NOT_HOST)
        return None


class ProjectorConsumer(HostConsumer):
    """The big screen: opened by the host, read-only."""

    viewer = "projector"
