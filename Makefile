# One command to play, one to test: `make run`, `make test` (CI runs .ci/run = make test).
SHELL := /bin/bash
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
STATIC_STAMP := staticfiles/.collected
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# Tests run on SQLite and the in-memory channel layer whatever the shell exports;
# tests that need Redis read TEST_REDIS_URL (and skip without it).
TEST_ENV := env -u DATABASE_URL -u REDIS_URL -u DEBUG -u SECRET_KEY -u ALLOWED_HOSTS \
	-u CONN_MAX_AGE TEST_REDIS_URL=redis://127.0.0.1:6379/0
# pytest-django creates (and drops) test_policymaker from this.
PG_TEST_URL := postgres://postgres@127.0.0.1:5432/policymaker

.PHONY: venv run services test lint bench messages

venv: $(VENV_STAMP)

# Reinstall only when requirements.lock is newer than the stamp.
$(VENV_STAMP): requirements.lock
	@if [ ! -x $(PY) ]; then \
		if command -v python3.11 >/dev/null; then python3.11 -m venv $(VENV); \
		elif python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then \
			python3 -m venv $(VENV); \
		else echo "Python 3.11 is needed (python3.11, or python3 being 3.11)" >&2; exit 1; fi; \
	fi
	$(PY) -m pip install -q -r requirements.lock
	@touch $@

# Collect static files only when a source file (or an installed package) changed.
$(STATIC_STAMP): $(VENV_STAMP) $(shell find static $(wildcard */static) -type f 2>/dev/null)
	$(PY) manage.py collectstatic --noinput -v 0
	@touch $@

# Static files are collected first (only when changed), before the database steps.
run: venv messages $(STATIC_STAMP)
	$(PY) manage.py migrate --noinput
	@if [ -f cases/skole.yaml ]; then $(PY) manage.py load_case cases/skole.yaml; fi
	$(PY) manage.py ensure_host
	$(PY) manage.py reset_presence
	@echo
	@echo "  Host login:  http://127.0.0.1:$(PORT)/host/login/"
	@echo "  Join page:   http://127.0.0.1:$(PORT)/"
	@echo "  Projector:   opened from the host dashboard, one per session"
	@echo "  Admin:       http://127.0.0.1:$(PORT)/admin/"
	@echo
	exec $(VENV)/bin/daphne -b 127.0.0.1 -p $(PORT) policymaker.asgi:application

# Compile the translations (the .mo files are built, not committed); needs gettext.
messages: venv
	@if [ -d locale ]; then \
		if ! command -v msgfmt >/dev/null; then \
			$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq gettext >/dev/null; \
		fi; \
		$(PY) manage.py compilemessages --ignore=.venv -v 0; \
	fi

services:
	@scripts/services.sh

test: venv services messages $(STATIC_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(TEST_ENV) $(PY) -m pytest -q
	$(TEST_ENV) DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest -q -m postgres

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Figures, not pass/fail: broadcast latency to 40 and 200 players.
bench: venv
	$(PY) bench/broadcast.py
