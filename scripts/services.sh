#!/usr/bin/env bash
# What the tests need: Redis, PostgreSQL and Chromium. Sourced by scripts/test.sh.
#
# The machine's own Redis and PostgreSQL are used when they can be used as they
# are (Redis answering on 127.0.0.1:6379; PostgreSQL on 127.0.0.1:5432 letting
# the user postgres in without a password). Otherwise a throwaway server is
# started in a temporary directory on a free port, and stopped again when the
# tests end: the configuration of whatever the machine already runs is never
# touched. Missing programs are installed from Debian's packages (as root, or
# with sudo), which is what CI on a clean machine needs.
#
# Sets TEST_REDIS_URL and PG_TEST_URL; stop_services stops what was started here.
# MACHINE_REDIS_PORT and MACHINE_PG_PORT say where to look for the machine's own
# (6379 and 5432); a port where nothing answers makes the throwaway ones start.
MACHINE_REDIS_PORT=${MACHINE_REDIS_PORT:-6379}
MACHINE_PG_PORT=${MACHINE_PG_PORT:-5432}

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
SERVICES_DIR=""
STARTED_REDIS_PID=""
STARTED_PG_DIR=""
PG_BIN=""

say() { echo "services: $*" >&2; }

APT_UPDATED=""
apt_install() {
    # Update the package lists only when something must be installed, and once.
    if [ -z "$APT_UPDATED" ]; then
        $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
        APT_UPDATED=1
    fi
    say "installing $*"
    # Lock timeout: wait for another apt (e.g. an install in the background) to finish.
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null
}

wait_for() {  # wait_for <what> <command...>: up to 30 s
    local what=$1
    shift
    for _ in $(seq 60); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    say "$what did not come up"
    return 1
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

make_services_dir() {  # sets SERVICES_DIR (not in a subshell: stop_services removes it)
    [ -n "$SERVICES_DIR" ] || SERVICES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/policymaker-services.XXXXXX")
    chmod 755 "$SERVICES_DIR"
}

# --- Redis -------------------------------------------------------------------
redis_answers() {  # redis_answers <port>: a PING over plain TCP, no redis-cli needed
    python3 - "$1" <<'EOF'
import socket, sys
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2) as s:
        s.sendall(b"PING\r\n")
        sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
EOF
}

# The fault tests start Redis servers of their own: the program must be there.
command -v redis-server >/dev/null || apt_install redis-server
if redis_answers "$MACHINE_REDIS_PORT"; then
    TEST_REDIS_URL=redis://127.0.0.1:$MACHINE_REDIS_PORT/0
else
    port=$(free_port)
    make_services_dir
    dir=$SERVICES_DIR/redis
    mkdir -p "$dir"
    say "starting a throwaway redis on port $port"
    # No persistence: the channel layer holds only messages in flight.
    redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --dir "$dir" \
        --pidfile "$dir/redis.pid" --save "" --appendonly no >/dev/null
    wait_for redis redis_answers "$port"
    STARTED_REDIS_PID=$(cat "$dir/redis.pid")
    TEST_REDIS_URL=redis://127.0.0.1:$port/0
fi
export TEST_REDIS_URL

# --- PostgreSQL --------------------------------------------------------------
pg_lets_us_in() {  # pg_lets_us_in <port>: as postgres, no password, over TCP
    .venv/bin/python - "$1" <<'EOF'
import sys
import psycopg
try:
    psycopg.connect(host="127.0.0.1", port=sys.argv[1], user="postgres", dbname="postgres",
                    connect_timeout=3, password="").close()
except Exception:
    sys.exit(1)
EOF
}

find_pg_bin() {
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$bin" ] || { command -v pg_config >/dev/null && bin=$(pg_config --bindir); }
    [ -x "$bin/initdb" ] && echo "$bin"
}

if pg_lets_us_in "$MACHINE_PG_PORT"; then
    PG_TEST_URL=postgres://postgres@127.0.0.1:$MACHINE_PG_PORT/policymaker
else
    PG_BIN=$(find_pg_bin || true)
    if [ -z "$PG_BIN" ]; then
        apt_install postgresql
        PG_BIN=$(find_pg_bin)
    fi
    # initdb refuses to run as root: the cluster belongs to an ordinary user.
    runas=()
    if [ "$(id -u)" -eq 0 ]; then
        user=postgres
        id "$user" >/dev/null 2>&1 || user=nobody
        runas=(runuser -u "$user" --)
    fi
    port=$(free_port)
    make_services_dir
    STARTED_PG_DIR=$SERVICES_DIR/pg
    mkdir -p "$STARTED_PG_DIR"
    [ ${#runas[@]} -eq 0 ] || chown "${runas[2]}" "$STARTED_PG_DIR"
    say "starting a throwaway postgresql on port $port"
    "${runas[@]}" "$PG_BIN/initdb" -D "$STARTED_PG_DIR/data" -U postgres --auth=trust \
        -E UTF8 --locale=C.UTF-8 >/dev/null
    # fsync off: test data only, and a much faster suite.
    "${runas[@]}" "$PG_BIN/pg_ctl" -D "$STARTED_PG_DIR/data" -l "$STARTED_PG_DIR/log" -w \
        -o "-p $port -k $STARTED_PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    wait_for postgresql pg_lets_us_in "$port"
    PG_TEST_URL=postgres://postgres@127.0.0.1:$port/policymaker
fi
export PG_TEST_URL

# --- nginx (the two-process tests, make cluster) ------------------------------------
# Only the program: the tests start nginx with a configuration of their own.
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || apt_install nginx
export PATH="$PATH:/usr/sbin"

# --- Chromium (the browser tests) -----------------------------------------------
if [ ! -x /usr/bin/chromium ]; then
    apt_install chromium fonts-dejavu-core
fi

stop_services() {
    if [ -n "$STARTED_REDIS_PID" ]; then
        kill "$STARTED_REDIS_PID" 2>/dev/null || true
    fi
    if [ -n "$STARTED_PG_DIR" ]; then
        runas=()
        [ "$(id -u)" -ne 0 ] || runas=(runuser -u "$(stat -c %U "$STARTED_PG_DIR")" --)
        "${runas[@]}" "$PG_BIN/pg_ctl" -D "$STARTED_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    [ -z "$SERVICES_DIR" ] || rm -rf "$SERVICES_DIR"
}
