#!/usr/bin/env bash
# `make cluster`: the production layout on this machine, for tests and benchmarks:
# N Daphne processes behind nginx, on Redis and PostgreSQL (the machine's own when
# they can be used as they are, else throwaway ones: scripts/services.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2}
PORT=${PORT:-8080}
source scripts/services.sh
trap stop_services EXIT
command -v nginx >/dev/null || apt_install nginx-light

# A database of its own beside the tests' (kept between runs on the machine's server).
export DATABASE_URL=${PG_TEST_URL%/*}/policymaker_cluster
export REDIS_URL=${TEST_REDIS_URL%/*}/1
.venv/bin/python - "$DATABASE_URL" <<'PY'
import sys
from urllib.parse import urlsplit
import psycopg
url = urlsplit(sys.argv[1])
with psycopg.connect(host=url.hostname, port=url.port, user=url.username, dbname="postgres",
                     autocommit=True) as conn:
    if not conn.execute("select 1 from pg_database where datname = 'policymaker_cluster'").fetchone():
        conn.execute("create database policymaker_cluster")
PY
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py load_case cases/skole.yaml
.venv/bin/python manage.py ensure_host
.venv/bin/python -m game.devserver cluster -n "$N" --port "$PORT"
