"""The websockets' database thread keeps its connection, and drops a broken one.

On PostgreSQL only: Django never closes an in-memory SQLite database."""

import asyncio

import pytest
from django.db import connection

from game import db

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _backend_connection():
    """The DB-API connection this thread has after one query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return connection.connection


def _close() -> None:
    """Close the database thread's connection: the next call opens one anew."""
    asyncio.run(db.database_sync_to_async(lambda: connection.close())())


async def _twice(between=None):
    first = await db.database_sync_to_async(_backend_connection)()
    if between is not None:
        await db.database_sync_to_async(between)()
    second = await db.database_sync_to_async(_backend_connection)()
    return first, second


def test_the_actions_of_a_process_reuse_one_connection(settings):
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0  # what HTTP threads keep
    first, second = asyncio.run(_twice())  # no outer thread: asgiref's one database thread
    assert first is second


def test_a_transaction_left_open_is_not_kept():
    def leave_open():
        connection.set_autocommit(False)

    first, second = asyncio.run(_twice(leave_open))
    assert first is not second


def test_a_connection_older_than_the_keep_is_closed(monkeypatch):
    _close()
    monkeypatch.setattr(db, "KEEP_SECONDS", 0.0)
    first, second = asyncio.run(_twice())
    assert first is not second


def test_two_actions_of_the_host_open_at_most_one_connection(session):
    from django.db.backends.signals import connection_created

    from game import actions

    opened = []

    def count(**_kwargs):
        opened.append(1)

    async def two_messages():
        for text in ("Velkommen", "Pause til 10.15"):
            await actions.aperform(session.pk, {"kind": "message", "text": text}, actor="host")

    connection_created.connect(count)
    try:
        _close()
        asyncio.run(two_messages())
    finally:
        connection_created.disconnect(count)
    assert len(opened) == 1
    session.refresh_from_db()
    assert session.state["message"] == "Pause til 10.15"
