"""The websockets' database thread: one connection per process, kept open.

Channels' ``database_sync_to_async`` closes the thread's connection before and
after every call when ``CONN_MAX_AGE`` is 0 (our setting, for the threads that
serve HTTP requests, which come and go). Under Daphne every consumer's and the
timer's calls run in the one thread asgiref keeps for thread-sensitive code, so
that closing made every action, snapshot and presence batch open a connection
again: on SQLite the file and the PRAGMAs (about 8 % of a 500-player soak's
server time), on PostgreSQL a new server process. This ``database_sync_to_async``
keeps that thread's connection for ``KEEP_SECONDS`` and closes it as Django's
own check would otherwise: after an error that left it unusable, or with a
transaction left open.
"""

from __future__ import annotations

import time
from typing import Any

from asgiref.sync import SyncToAsync
from django.db import connections

KEEP_SECONDS = 300.0


def tidy() -> None:
    """Close this thread's connections that are broken or older than KEEP_SECONDS."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        if getattr(conn, "_kept", None) is not conn.connection:  # opened since the last call
            conn._kept = conn.connection  # type: ignore[attr-defined]
            if conn.close_at is not None:  # None: CONN_MAX_AGE=None, kept for good already
                conn.close_at = max(conn.close_at, time.monotonic() + KEEP_SECONDS)
        conn.close_if_unusable_or_obsolete()


class DatabaseSyncToAsync(SyncToAsync):
    def thread_handler(self, loop, *args, **kwargs):
        tidy()
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            tidy()


# Any, as Channels' own is to mypy: asgiref's generic class cannot type the lambdas.
database_sync_to_async: Any = DatabaseSyncToAsync
