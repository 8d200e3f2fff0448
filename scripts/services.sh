#!/usr/bin/env bash
# Start what the tests need and use what is already there: Redis and PostgreSQL
# on 127.0.0.1, and Chromium for the browser tests. Idempotent and quiet when all
# is running; works as root without a terminal (CI), or with sudo otherwise.
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

APT_UPDATED=""
apt_install() {
    # Update the package lists only when something must be installed, and once.
    if [ -z "$APT_UPDATED" ]; then
        $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
        APT_UPDATED=1
    fi
    echo "services: installing $*"
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
    echo "services: $what did not come up" >&2
    return 1
}

# --- Redis -------------------------------------------------------------------
if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    command -v redis-server >/dev/null || apt_install redis-server
    echo "services: starting redis"
    # No persistence: the channel layer holds only messages in flight.
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    wait_for redis redis-cli -h 127.0.0.1 ping
fi

# --- PostgreSQL --------------------------------------------------------------
if ! pg_isready -q -h 127.0.0.1 2>/dev/null; then
    [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql)" ] || apt_install postgresql
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "services: starting postgresql $version"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_for postgresql pg_isready -q -h 127.0.0.1
fi
# The tests connect as postgres over TCP without a password (trust on loopback
# only, as on our development machines). Configure it when it is not so.
if ! psql -h 127.0.0.1 -U postgres -w -tAc 'select 1' >/dev/null 2>&1; then
    # Peer authentication over the local socket works for the postgres OS user.
    if [ -z "$SUDO" ]; then
        hba=$(su postgres -c "psql -tAc 'show hba_file'")
    else
        hba=$(sudo -u postgres psql -tAc 'show hba_file')
    fi
    echo "services: trusting loopback connections in $hba"
    rules="host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust"
    # First matching line wins, so the rules go on top.
    $SUDO sed -i "1i $rules" "$hba"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main reload
    wait_for "postgresql trust" psql -h 127.0.0.1 -U postgres -w -tAc 'select 1'
fi

# --- Chromium ----------------------------------------------------------------
if [ ! -x /usr/bin/chromium ]; then
    apt_install chromium fonts-dejavu-core
fi
