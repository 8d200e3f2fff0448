# One command to play, one to test: `make run`, `make test` (CI runs .ci/run = make test).
SHELL := /bin/bash
PORT ?= 8000
# Every interface, so that phones on the room's Wi-Fi reach the laptop; HOST=127.0.0.1 narrows it.
HOST ?= 0.0.0.0
VENV := .venv
PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed
STATIC_STAMP := staticfiles/.collected
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# Any Python from 3.11 up: python3 when it is one, else the newest python3.X found.
PYTHON ?= $(shell for p in python3 python3.14 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && { echo $$p; break; }; done)

.PHONY: venv run services test lint bench soak messages lock cluster

venv: $(VENV_STAMP)

# Reinstall only when requirements.lock is newer than the stamp; every file is checked
# against the hashes in the lock.
$(VENV_STAMP): requirements.lock
	@if [ ! -x $(PY) ]; then \
		if [ -z "$(PYTHON)" ]; then echo "Python 3.11 or newer is needed (python3)" >&2; exit 1; fi; \
		$(PYTHON) -m venv $(VENV); \
	fi
	$(PY) -m pip install -q --require-hashes -r requirements.lock
	@touch $@

# Rewrite requirements.lock from pyproject.toml: every package pinned with its hashes,
# for every Python from 3.11 up, keeping the pins the lock already has.
lock: venv
	$(PY) -m pip install -q uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--generate-hashes --no-header -q -o requirements.lock

# Collect static files only when a source file (or an installed package) changed.
# Always as for production (hashed names and their manifest, which DEBUG=false
# needs; DEBUG=true serves the same files), so `DEBUG=false make run` works too.
$(STATIC_STAMP): $(VENV_STAMP) Makefile $(shell find static $(wildcard */static) -type f 2>/dev/null)
	DEBUG=false SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
		$(PY) manage.py collectstatic --noinput -v 0
	@touch $@

# Static files are collected first (only when changed), before the database steps.
# The addresses printed (and shown on the projector, in the QR code) are the
# laptop's on the room's network: policymaker/network.py finds it.
run: venv messages $(STATIC_STAMP)
	$(PY) manage.py migrate --noinput
	@if [ -f cases/skole.yaml ]; then $(PY) manage.py load_case cases/skole.yaml; fi
	$(PY) manage.py ensure_host
	$(PY) manage.py reset_presence
	$(PY) manage.py purge_sessions
	@LAN=$${LAN_ADDRESS:-$$([ "$(HOST)" = 127.0.0.1 ] || $(PY) -m policymaker.network)}; \
	SITE=http://$${LAN:-127.0.0.1}:$(PORT); \
	echo; \
	echo "  Host login:  http://127.0.0.1:$(PORT)/host/login/  (on this computer)"; \
	echo "  Join page:   $$SITE/  (phones on the same network; the projector shows it with a QR code)"; \
	echo "  Projector:   opened from the host dashboard, one per session"; \
	echo "  Admin:       http://127.0.0.1:$(PORT)/admin/"; \
	if [ -z "$$LAN" ]; then \
		echo "  No network address found: phones can join once this computer is on the room's network"; \
		echo "  (README: The room's network)."; \
	fi; \
	echo; \
	LAN_ADDRESS=$$LAN exec $(VENV)/bin/daphne -b $(HOST) -p $(PORT) \
		--websocket-max-message-size $$($(PY) -c 'from game.wire import MAX_MESSAGE_BYTES as m; print(m)') \
		policymaker.asgi:application

# Compile the translations (the .mo files are built, not committed); needs gettext.
messages: venv
	@if [ -d locale ]; then \
		if ! command -v msgfmt >/dev/null; then \
			$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq gettext >/dev/null; \
		fi; \
		$(PY) manage.py compilemessages --ignore=.venv -v 0; \
	fi

# Start what the tests need (a throwaway server where the machine has none to use as it is).
# What this starts stops with the shell; `make test` starts and stops its own.
services: venv
	@source scripts/services.sh && echo "redis $$TEST_REDIS_URL, postgresql $$PG_TEST_URL" \
		&& stop_services

# Ruff and mypy (its settings in pyproject.toml), then the suite on SQLite, then the
# tests marked postgres on PostgreSQL (scripts/test.sh).
test: venv messages $(STATIC_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	scripts/test.sh

# The production layout locally: N=2 Daphne processes behind nginx on Redis and PostgreSQL.
cluster: venv messages $(STATIC_STAMP)
	N=$(or $(N),2) PORT=$(or $(CLUSTER_PORT),8080) scripts/cluster.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Figures, not pass/fail: join storm, round change, vote storm, memory and CPU for 200, 1,000
# and 2,000 players against a minimal websockets server (README: Performance).
bench: venv
	$(PY) bench/broadcast.py

# Figures, not pass/fail: bot players through whole games while some drop and one floods.
soak: venv $(STATIC_STAMP)
	$(PY) bench/soak.py
