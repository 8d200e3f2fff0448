"""Retention: a session's personal data does not outlive its use.

A workshop needs the players' names, their seat tokens and what they wrote
(ideas, reflection answers, the host's messages, their own next steps) for the
day and the debrief after it. ``RETENTION_DAYS`` (default 30) after a session
ended, ``manage.py purge_sessions`` pseudonymises it: every display name
becomes the player's research pseudonym (P01, P02 … as in the export), every
seat token stops working, and every free text becomes "[deleted]", in the state, in the
seats and in the event log alike. What stays is what the pseudonymous research
export reads: who (as P01) voted and locked what, the meters, the outcomes.
A session that never ended counts from its last change. The host can do the
same at once from the dashboard.

The purge is the one change that rewrites the event log: the log is
append-only for the game, but the law's storage limitation comes first.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import actions, rules
from .models import Event, Player, Session
from .readmodel import pseudonyms

log = logging.getLogger(__name__)

PURGED_TOKEN = "purged:{pk}"  # not a SHA-256 hex digest, so no seat token can match it
TEXT_KEYS = ("text",)  # free text in actions and events: ideas, reflections, messages
# What a deleted free text becomes: not empty, so that an idea still makes a
# valid option, and an answer still counts as given in the research export.
DELETED = "[deleted]"


def retention() -> timedelta:
    return timedelta(days=settings.RETENTION_DAYS)


def data_until(session: Session) -> datetime | None:
    """When the session's personal data goes; None once it has gone."""
    if session.purged_at is not None:
        return None
    start = session.ended_at or session.updated
    return start + retention() if start else None


def due(now: datetime | None = None, *, days: int | None = None) -> QuerySet[Session]:
    """Sessions whose personal data is past its time and still there."""
    now = now or timezone.now()
    cutoff = now - (timedelta(days=days) if days is not None else retention())
    return Session.objects.filter(purged_at__isnull=True).filter(
        Q(ended_at__lte=cutoff) | Q(ended_at__isnull=True, updated__lte=cutoff)
    )


# --- the pure part: a state and a log entry without personal data -------------------------


def scrub_state(state: rules.State) -> rules.State:
    """A copy of the state with names as pseudonyms and every free text deleted."""
    pseudo = pseudonyms(state)
    new: rules.State = {**state, "players": {}, "committees": {}, "message": ""}
    for pid, p in state["players"].items():
        new["players"][pid] = {**p, "name": pseudo[pid], "online": 0}
    for cid, c in state["committees"].items():
        new["committees"][cid] = {
            **c,
            # Card ideas keep the card's title: that is the case's text, not a person's.
            "ideas": [{**i, "text": DELETED} if i["author"] else {**i} for i in c["ideas"]],
            "reflections": {
                pid: {q: DELETED if text else "" for q, text in answers.items()}
                for pid, answers in c["reflections"].items()
            },
        }
    return new


def scrub_entry(obj: Any, pseudo: dict[str, str]) -> Any:
    """An action or an event of the log without names or free text (pids stay: they are pseudonymous)."""
    if isinstance(obj, list):
        return [scrub_entry(x, pseudo) for x in obj]
    if not isinstance(obj, dict):
        return obj
    out = {}
    for key, value in obj.items():
        if key == "name" and isinstance(value, str):
            value = pseudo.get(str(obj.get("player", "")), "")
        elif key in TEXT_KEYS and isinstance(value, str):
            value = DELETED if value else ""
        else:
            value = scrub_entry(value, pseudo)
        out[key] = value
    return out


# --- the database part ------------------------------------------------------------------------


def purge(session: Session, *, actor: str = "system") -> bool:
    """Pseudonymise one session's personal data now; False if it had gone already.

    A session still in play is ended first, through the rules, so that every
    phone shows the end. Then, in one transaction with the row locked: the
    state, the seats and the log; the change gets a version and a log entry of
    its own like any other, and open screens are patched to the pseudonyms.
    """
    if session.status != "ended":
        try:
            actions.perform_and_broadcast(session.pk, {"kind": "end"}, actor=actor)
        except rules.Refused:
            pass  # ended meanwhile
    with transaction.atomic():
        locked = actions._locked(session.pk)
        if locked.purged_at is not None:
            return False
        old = locked.state
        new = scrub_state(old)
        pseudo = pseudonyms(old)
        entries = list(Event.objects.filter(session=locked))
        for ev in entries:
            ev.action = scrub_entry(ev.action, pseudo)
            ev.events = scrub_entry(ev.events, pseudo)
        Event.objects.bulk_update(entries, ["action", "events"], batch_size=500)
        seats = list(Player.objects.filter(session=locked))
        for player in seats:
            player.name = pseudo.get(player.pid, "")
            player.token_hash = PURGED_TOKEN.format(pk=player.pk)
            player.next_steps = {}
        Player.objects.bulk_update(seats, ["name", "token_hash", "next_steps"], batch_size=500)
        locked.purged_at = timezone.now()
        events = [{"kind": "purge"}]
        done = actions._save(locked, new, {"kind": "purge"}, events, actor)
    log.info("purged the personal data of session %s", locked.code)
    actions.broadcast_sync(done)
    from .consumers import forget_session  # here: consumers imports the actions layer too

    forget_session(locked.pk)  # the snapshots this process kept still hold the names
    return True


def purge_due(now: datetime | None = None, *, days: int | None = None) -> list[str]:
    """Purge every session past its retention; returns their codes."""
    done = []
    for session in due(now, days=days).select_related("case_version"):
        if purge(session):
            done.append(session.code)
    return done
