"""SQLite as configured in the settings takes concurrent writers without "database is locked".

Runs in a subprocess on a real database file: the test database of pytest-django
may live in memory, where WAL and locking do not apply.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
THREADS = 8
WRITES = 50

# Each thread does WRITES transactions that read a counter and then write it back
# plus a row of its own: the read-then-write pattern that fails under DEFERRED.
HAMMER = r"""
import json, os, sys, threading
import django
from django.conf import settings

mode, threads, writes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] = mode  # only the control changes it
django.setup()
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import OperationalError, connection, transaction

call_command("migrate", "auth", verbosity=0)
counter = Group.objects.create(name="0")
errors = []
start = threading.Barrier(threads)

def work(t):
    start.wait()
    try:
        for i in range(writes):
            try:
                with transaction.atomic():
                    group = Group.objects.get(pk=counter.pk)
                    group.name = str(int(group.name) + 1)
                    group.save(update_fields=["name"])
                    Group.objects.create(name=f"t{t}-{i}")
            except OperationalError as e:
                errors.append(str(e))
    finally:
        connection.close()

pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
for thread in pool:
    thread.start()
for thread in pool:
    thread.join()
print(json.dumps({
    "options": settings.DATABASES["default"]["OPTIONS"],
    "counter": int(Group.objects.get(pk=counter.pk).name),
    "rows": Group.objects.exclude(pk=counter.pk).count(),
    "errors": errors,
}))
"""


def hammer(tmp_path: Path, mode: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    result = subprocess.run(
        [sys.executable, "-c", HAMMER, mode, str(THREADS), str(WRITES)],
        cwd=ROOT,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "policymaker.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'hammer.sqlite3'}",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_concurrent_read_then_write_transactions_all_succeed(tmp_path: Path) -> None:
    outcome = hammer(tmp_path, "IMMEDIATE")
    assert outcome["options"]["transaction_mode"] == "IMMEDIATE"  # unchanged from the settings
    assert outcome["errors"] == []
    assert outcome["rows"] == THREADS * WRITES
    assert outcome["counter"] == THREADS * WRITES  # no lost update either


@pytest.mark.slow
def test_deferred_transactions_would_fail(tmp_path: Path) -> None:
    """Control: the same load under DEFERRED does hit "database is locked"."""
    outcome = hammer(tmp_path, "DEFERRED")
    assert any("database is locked" in error for error in outcome["errors"])
