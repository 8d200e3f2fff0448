"""What a session leaves in the database.

``Session.state`` is the game as the rules see it (see ``game.rules``), saved
after every action together with the next ``version``. It is stored by part:
the session's row holds the session-wide part (``base``), and a ``StatePart``
row each holds one seat and one committee, so that a vote writes its own
committee's row and a join its seat's, not the state of a thousand players. ``Event`` is the
append-only log of every change with that version, who did it and when: every
vote, lock, idea, dilemma and event choice, the meters after each round, the
outcomes and the reflections are rows there, which is what the export reads.
``Player`` holds the seat: the display name and the hash of the seat token.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any, cast

from django.conf import settings
from django.db import connections, models

from cases.models import CaseVersion
from cases.schema import Case

from .state import State

# No 0/O, 1/I/L, 5/S, 2/Z, 8/B: a code read off a projector must not be misread.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY3479"
CODE_LENGTH = 6


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: object) -> str | None:
    """A code as typed (any case, spaces between) as stored; None if it cannot be one.

    Checked before any query: a NUL in an address is an error on PostgreSQL.
    """
    code = "".join(str(code).split()).upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


SEAT_CODE_LENGTH = 4  # short enough to type on a phone; tries are limited per seat


def new_seat_code() -> str:
    """The code a player reads off their own screen to take the seat to a new device."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(SEAT_CODE_LENGTH))


class Session(models.Model):
    code = models.CharField(max_length=CODE_LENGTH, unique=True)
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="game_sessions"
    )
    case_version = models.ForeignKey(CaseVersion, on_delete=models.PROTECT, related_name="sessions")
    # The state without its seats and committees (those are StateParts), with the
    # committees' ids in order under "committees". Read and set ``state`` instead.
    base = models.JSONField()
    version = models.PositiveIntegerField(default=0)
    # The version each stream of frames was last sent at (game.actions): a client
    # whose version is behind its stream's missed a frame.
    streams = models.JSONField(default=dict, blank=True)
    # Copies of state fields that queries need: the list filters on status, and
    # the timer loop looks for due timers without reading every state.
    status = models.CharField(max_length=10, default="lobby", db_index=True)
    timer_due = models.FloatField(null=True, blank=True, db_index=True)
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    # Retention (game.retention): the personal data goes RETENTION_DAYS after
    # ended_at; purged_at says it has gone, so a seat cookie gets a polite notice.
    ended_at = models.DateTimeField(null=True, blank=True, db_index=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    # What a look-up by code or id leaves out: the state and the case's data are the
    # big JSON fields (hundreds of KB at a thousand players), read only where used.
    HEAVY = ("base", "streams", "case_version__data")

    def __str__(self) -> str:
        return f"{self.code} ({self.case_version})"

    @property
    def case(self) -> Case:
        return self.case_version.parsed()

    @property
    def state(self) -> State:
        """The whole state: the base with the players and the committees put in."""
        full = self.__dict__.get("_full")
        if full is None:
            parts = dict(StatePart.objects.filter(session=self).values_list("key", "data"))
            full = self.__dict__["_full"] = join_state(self.base, parts)
        return full

    @state.setter
    def state(self, value: State) -> None:
        self.__dict__["_full"] = value

    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        if fields is None or "state" in fields:
            self.__dict__.pop("_full", None)
            if fields is not None:
                fields = ["base" if f == "state" else f for f in fields]
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)

    def save(self, *args, update_fields=None, **kwargs) -> None:
        """A save that includes the state (``update_fields`` None or naming "state")
        writes every part of it; game.actions writes only the changed ones instead."""
        full = self.__dict__.get("_full")
        whole = full is not None and (update_fields is None or "state" in update_fields)
        if update_fields is not None:
            update_fields = [f for f in update_fields if f != "state"] + ["base"] * whole
        if full is not None and whole:
            base, parts = split_state(full)
            self.base = base
        super().save(*args, update_fields=update_fields, **kwargs)
        if whole:
            version: Any = self.version
            if not isinstance(version, int):  # F("version") + 1: what it came to
                self.refresh_from_db(fields=["version"])
            self.write_parts({k: json.dumps(v) for k, v in parts.items()}, None, self.version)

    def save_with_state_text(
        self, base_text: str, changed: dict[str, str], gone: set[str] | None
    ) -> None:
        """Save the row with the base's JSON text already made, and the parts as
        ``write_parts`` does at the row's version (game.actions makes the texts)."""
        deferred = self.get_deferred_fields()
        self.save(
            update_fields=[
                f.attname
                for f in self._meta.concrete_fields
                if not f.primary_key and f.attname != "base" and f.attname not in deferred
            ]
        )
        connection = connections[self._state.db or "default"]
        table = connection.ops.quote_name(self._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE {table} SET "base" = {_json(connection)} WHERE "id" = %s',
                [base_text, self.pk],
            )
        self.write_parts(changed, gone, self.version)

    def write_parts(self, texts: dict[str, str], gone: set[str] | None, version: int) -> None:
        """Write the parts in ``texts`` (key -> JSON text) at ``version`` and delete the
        ``gone`` ones; ``gone`` None: ``texts`` is every part, and any other row is deleted."""
        connection = connections[self._state.db or "default"]
        table = connection.ops.quote_name(StatePart._meta.db_table)
        if texts:
            with connection.cursor() as cursor:
                cursor.executemany(
                    f'INSERT INTO {table} ("session_id", "key", "data", "version") '
                    f"VALUES (%s, %s, {_json(connection)}, %s) "
                    'ON CONFLICT ("session_id", "key") DO UPDATE SET "data" = excluded."data", '
                    '"version" = excluded."version"',
                    [(self.pk, key, text, version) for key, text in texts.items()],
                )
        rows = StatePart.objects.filter(session=self)
        if gone is None:
            gone = set(rows.values_list("key", flat=True)) - set(texts)
        if gone:
            rows.filter(key__in=gone).delete()

    def is_run_by(self, user) -> bool:
        """Only the session's own host runs it, and only while a staff account."""
        return bool(user and user.is_authenticated and user.is_active and user.is_staff) and (
            user.pk == self.host_id
        )

    def meta(self) -> dict:
        """What the views need besides the state."""
        return {"code": self.code}


def _json(connection) -> str:
    return "%s::jsonb" if connection.vendor == "postgresql" else "%s"


def split_state(state: State) -> tuple[dict, dict[str, Any]]:
    """The base and the parts of a state (``StatePart``): each seat ("p.<pid>") and
    each committee ("c.<cid>") a part, so that a join or a vote writes one or two."""
    base: dict[str, Any] = {k: v for k, v in state.items() if k != "players"}
    base["committees"] = list(state["committees"])
    parts: dict[str, Any] = {f"p.{pid}": p for pid, p in state["players"].items()}
    parts.update({f"c.{cid}": c for cid, c in state["committees"].items()})
    return base, parts


def join_state(base: dict, parts: dict[str, Any]) -> State:
    """The state that ``split_state`` split; the seats in the order of their numbers
    (which is also the order PostgreSQL's jsonb keeps the keys of a dict in)."""
    state = dict(base)
    state["committees"] = {cid: parts[f"c.{cid}"] for cid in base["committees"]}
    seats = sorted((k[2:] for k in parts if k.startswith("p.")), key=lambda pid: (len(pid), pid))
    state["players"] = {pid: parts[f"p.{pid}"] for pid in seats}
    return cast(State, state)


class StatePart(models.Model):
    """A part of a session's state: one seat ("p.<pid>") or one committee ("c.<cid>")."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="parts")
    key = models.CharField(max_length=20)
    data = models.JSONField()
    # The session's version this part was last written at: a process that has the
    # state of an older version reads only the parts written since (game.actions).
    version = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "key"], name="unique_state_part"),
        ]
        indexes = [models.Index(fields=["session", "version"], name="state_part_since")]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.key}"


class Player(models.Model):
    """A seat: the display name and the hash of the seat token (the token itself is
    only in the player's cookie). Committee and role live in the session's state."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="players")
    # The seat's number within its session (1, 2, 3 … in the order of joining): the
    # id the state, the frames and the exports use. Not the primary key, which
    # would tell every player how many seats the server has ever given.
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=60)  # as the rules told it apart: "Bo (2)"
    token_hash = models.CharField(max_length=64)
    # Shown only on the player's own screen (and to the host on request): with the
    # name it moves the seat to a new device. Wrong tries are counted, so a
    # stranger cannot guess it; the host's hand-over resets the count.
    seat_code = models.CharField(max_length=8, blank=True, default="")
    code_failures = models.PositiveSmallIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    # The player's own "our council's next step" per step of the take-home
    # summary (game.summary.STEPS): {step id: text}. Not game state: it is
    # written after the game, by the player alone, and no one else sees it.
    next_steps = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            # "Play again" carries a seat over to the next session with the same token.
            models.UniqueConstraint(fields=["session", "token_hash"], name="unique_seat"),
            models.UniqueConstraint(fields=["session", "number"], name="unique_seat_number"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def pid(self) -> str:
        """The player's id in the game state: the seat's number in its session."""
        return str(self.number)

    @staticmethod
    def new_token() -> tuple[str, str]:
        token = secrets.token_urlsafe(24)
        return token, hash_token(token)


class Event(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="events")
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=20)
    actor = models.CharField(max_length=20)  # "host", "player:<pid>", "system"
    action = models.JSONField()
    events = models.JSONField()  # what the rules said happened
    # The client's own id of the action ("op_id"; "" when it sent none): a resend
    # after a reconnect finds the first one here and is answered with its version.
    op_id = models.CharField(max_length=40, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "version"]
        constraints = [
            models.UniqueConstraint(fields=["session", "version"], name="unique_session_version"),
            models.UniqueConstraint(
                fields=["session", "actor", "op_id"],
                condition=~models.Q(op_id=""),
                name="unique_session_actor_op",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session.code} v{self.version} {self.kind}"


class SeatClaim(models.Model):
    """A new device asks for a seat; the host confirms it with one tap.

    The device holds the claim token in a cookie and the claim only its hash; on
    confirmation that hash becomes the seat's token hash, so the token the device
    already holds is its new seat token and the old device's token stops working.
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="claims")
    player = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="claims")
    token_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.session.code}: {self.player.name}"

    @property
    def cid(self) -> str:
        """The claim's id in the game state."""
        return str(self.pk)
