#!/usr/bin/env bash
# `make test`: start what is missing, run every suite, stop what was started.
# The suites run on SQLite and the in-memory channel layer whatever the shell
# exports; the tests marked postgres run a second time on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
trap stop_services EXIT

clean=(env -u DATABASE_URL -u REDIS_URL -u DEBUG -u SECRET_KEY -u ALLOWED_HOSTS -u CONN_MAX_AGE
    -u PUBLIC_URL -u LAN_ADDRESS "TEST_REDIS_URL=$TEST_REDIS_URL")
"${clean[@]}" .venv/bin/python -m pytest -q -m "not postgres_only" "$@"
# pytest-django creates (and drops) test_policymaker from this.
"${clean[@]}" "DATABASE_URL=$PG_TEST_URL" .venv/bin/python -m pytest -q -m postgres "$@"
