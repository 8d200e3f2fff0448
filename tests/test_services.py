"""`make test` on a machine whose own Redis and PostgreSQL it cannot use as they are.

scripts/services.sh then starts a throwaway Redis and a throwaway PostgreSQL
cluster in a temporary directory on free ports, and stops and removes them at
the end; the machine's own configuration (pg_hba.conf, postgresql.conf, the
Redis configuration) is never written. Here the machine's servers are made to
look absent by pointing MACHINE_REDIS_PORT and MACHINE_PG_PORT at ports where
nothing listens.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import subprocess
from pathlib import Path

import pytest

from game.devserver import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
# What a machine's own PostgreSQL and Redis are configured by.
MACHINE_CONFIG = (
    "/etc/postgresql/*/*/*.conf",
    "/var/lib/pgsql/data/*.conf",
    "/usr/local/var/postgres*/*.conf",
    "/etc/redis/*.conf",
)

RUN = r"""
set -euo pipefail
source scripts/services.sh
echo "REDIS=$TEST_REDIS_URL"
echo "PG=$PG_TEST_URL"
echo "DIR=$SERVICES_DIR"
redis_port=${TEST_REDIS_URL##*:}; redis_port=${redis_port%%/*}
pg_port=${PG_TEST_URL##*:}; pg_port=${pg_port%%/*}
redis_answers "$redis_port" && echo "REDIS_ANSWERS=1" || true
"$PG_BIN/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -tAc "select 1" | sed 's/^/PSQL=/'
stop_services
"""


def _fingerprint() -> dict[str, str]:
    files = sorted({f for pattern in MACHINE_CONFIG for f in glob.glob(pattern)})
    return {f: hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in files}


def _pg_bin() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return found[-1] if found else ""


def test_without_a_usable_machine_server_make_test_starts_its_own_and_edits_nothing():
    if not _pg_bin() or not os.path.exists("/usr/bin/redis-server"):
        # Installing them is services.sh's job under `make test`; here it would be apt.
        pytest.skip("PostgreSQL's initdb or redis-server is not installed")
    redis_port, pg_port = free_port(), free_port()
    before = _fingerprint()
    env = os.environ | {
        "MACHINE_REDIS_PORT": str(redis_port),
        "MACHINE_PG_PORT": str(pg_port),
        "TMPDIR": "/tmp",
    }
    run = subprocess.run(
        ["bash", "-c", RUN],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    out = dict(re.findall(r"^([A-Z_]+)=(.*)$", run.stdout, re.M))
    # Throwaway servers on ports of their own, not the machine's.
    redis = re.fullmatch(r"redis://127\.0\.0\.1:(\d+)/0", out["REDIS"])
    pg = re.fullmatch(r"postgres://postgres@127\.0\.0\.1:(\d+)/policymaker", out["PG"])
    assert redis and pg, out
    assert int(redis.group(1)) != redis_port and int(pg.group(1)) != pg_port
    assert out.get("REDIS_ANSWERS") == "1"
    assert out.get("PSQL") == "1", run.stderr  # a real PostgreSQL, letting the tests in
    assert "throwaway postgresql" in run.stderr
    # Stopped and removed at the end, and the machine's own configuration untouched.
    assert out["DIR"].startswith("/tmp/policymaker-services.")
    assert not Path(out["DIR"]).exists()
    assert _fingerprint() == before


def test_no_script_writes_the_machines_own_server_configuration():
    for script in (ROOT / "scripts").glob("*.sh"):
        text = script.read_text()
        for line in text.splitlines():
            if line.lstrip().startswith("#"):
                continue
            assert "pg_hba" not in line, f"{script.name}: {line}"
            assert not re.search(r"/etc/(postgresql|redis)", line), f"{script.name}: {line}"
            assert "ALTER SYSTEM" not in line.upper(), f"{script.name}: {line}"
