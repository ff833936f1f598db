#!/usr/bin/env bash
# A private read database with a real streaming hot standby, on this machine (docs/read-database.md).
#
#   bash scripts/read-replica-pair.sh start    # read primary on :5433, hot standby on :5434
#   bash scripts/read-replica-pair.sh status   # exit 0 when both answer and the standby streams
#   bash scripts/read-replica-pair.sh stop
#
# `initdb` makes the primary, `pg_basebackup -R` clones it into a standby that streams from it.
# Both run as the `postgres` OS user (run this as root or as postgres), with their data under
# PAIR_DIR (/tmp/cqrs-read-pair) and their own configuration there: the machine's own cluster
# (port 5432, /etc/postgresql) is never touched. `start` is idempotent: a running pair is left
# as it is, a stopped one is started again, a half-made one is made afresh.
# Connect as user postgres without a password, from 127.0.0.1 only (trust, like a CI service):
#   READ_DATABASE_URL=postgres://postgres@127.0.0.1:5433/cqrs_read
#   READ_REPLICA_URLS=postgres://postgres@127.0.0.1:5434/cqrs_read
set -euo pipefail

PAIR_DIR=${PAIR_DIR:-/tmp/cqrs-read-pair}
PRIMARY_PORT=${PAIR_PRIMARY_PORT:-5433}
STANDBY_PORT=${PAIR_STANDBY_PORT:-5434}
PRIMARY=$PAIR_DIR/primary
STANDBY=$PAIR_DIR/standby
# PAIR_STANDBYS=2 adds a second standby on STANDBY_PORT + 1 (bench/scale_out.py measures 2 replicas).
STANDBYS=${PAIR_STANDBYS:-1}
STANDBY2=$PAIR_DIR/standby2
STANDBY2_PORT=$((STANDBY_PORT + 1))
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
    PG_BIN=$(dirname "$(command -v initdb || echo /nonexistent/initdb)")
fi
[ -x "$PG_BIN/initdb" ] || { echo "read-replica-pair: no initdb found (install PostgreSQL's server package, or set PG_BIN)" >&2; exit 2; }

as_postgres() {
    if [ "$(id -un)" = postgres ]; then
        "$@"
    elif [ "$(id -u)" -eq 0 ]; then
        # runuser keeps no controlling terminal; `cd /` so postgres need not read the caller's cwd.
        (cd / && runuser -u postgres -- "$@")
    else
        echo "read-replica-pair: run as root or as the postgres user" >&2
        exit 2
    fi
}

ready() { "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$1" -q; }

wait_ready() {
    for _ in $(seq 60); do ready "$1" && return 0; sleep 0.25; done
    echo "read-replica-pair: nothing answers on port $1 (log: $2)" >&2
    tail -20 "$2" >&2 || true
    return 1
}

psql_at() { "$PG_BIN/psql" -h 127.0.0.1 -p "$1" -U postgres -d postgres -XAtq -c "$2"; }

streaming() { [ "$(psql_at "$PRIMARY_PORT" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null || echo 0)" -ge "${1:-1}" ]; }

start_cluster() {  # data dir, port
    if ready "$2"; then return 0; fi
    as_postgres "$PG_BIN/pg_ctl" -D "$1" -l "$1.log" -w -t 30 start >/dev/null
    wait_ready "$2" "$1.log"
}

make_primary() {
    rm -rf "$PRIMARY" "$STANDBY"
    as_postgres "$PG_BIN/initdb" -D "$PRIMARY" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$PRIMARY/postgresql.conf" <<EOF
# read-replica-pair.sh: a private read primary, loopback only
listen_addresses = '127.0.0.1'
port = $PRIMARY_PORT
unix_socket_directories = '$PAIR_DIR'
wal_level = replica
max_wal_senders = 4
wal_keep_size = 256MB
hot_standby = on
# Queries on the standby are not cancelled by the primary's vacuum of rows they still read.
hot_standby_feedback = on
# Test-grade durability (no fsync): fast, and the data can always be rebuilt from the event log.
# Commits stay synchronous, so pg_current_wal_lsn() (the lag measure) moves at each commit.
fsync = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 60
EOF
    cat >"$PRIMARY/pg_hba.conf" <<EOF
local all all trust
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
EOF
}

make_standby() {  # data dir, port
    rm -rf "$1"
    as_postgres "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$1" -R -X stream --no-sync
    cat >>"$1/postgresql.conf" <<EOF
# read-replica-pair.sh: a hot standby
port = $2
EOF
}

start() {
    if status >/dev/null 2>&1; then status; return 0; fi  # running: nothing to do (any user may ask)
    if [ "$(id -u)" -ne 0 ] && [ "$(id -un)" != postgres ]; then
        echo "read-replica-pair: the pair is not running; start it as root or as the postgres user" >&2
        exit 2
    fi
    mkdir -p "$PAIR_DIR"
    chown postgres:postgres "$PAIR_DIR" 2>/dev/null || true
    chmod 700 "$PAIR_DIR"
    [ -f "$PRIMARY/PG_VERSION" ] || make_primary
    start_cluster "$PRIMARY" "$PRIMARY_PORT"
    [ -f "$STANDBY/standby.signal" ] || make_standby "$STANDBY" "$STANDBY_PORT"
    start_cluster "$STANDBY" "$STANDBY_PORT"
    for _ in $(seq 40); do streaming && break; sleep 0.25; done
    if ! streaming; then
        # A standby that cannot follow (its primary was made afresh): clone it again.
        as_postgres "$PG_BIN/pg_ctl" -D "$STANDBY" -m fast -w stop >/dev/null 2>&1 || true
        make_standby "$STANDBY" "$STANDBY_PORT"
        start_cluster "$STANDBY" "$STANDBY_PORT"
        for _ in $(seq 40); do streaming && break; sleep 0.25; done
    fi
    if [ "$STANDBYS" -ge 2 ]; then
        [ -f "$STANDBY2/standby.signal" ] || make_standby "$STANDBY2" "$STANDBY2_PORT"
        start_cluster "$STANDBY2" "$STANDBY2_PORT"
        for _ in $(seq 40); do streaming 2 && break; sleep 0.25; done
    fi
    status
}

stop() {
    for dir in "$STANDBY2" "$STANDBY" "$PRIMARY"; do
        [ -f "$dir/postmaster.pid" ] && as_postgres "$PG_BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
    done
    echo "read-replica-pair: stopped"
}

status() {
    local ok=0
    ready "$PRIMARY_PORT" && echo "primary  127.0.0.1:$PRIMARY_PORT up" || { echo "primary  127.0.0.1:$PRIMARY_PORT down"; ok=1; }
    if ready "$STANDBY_PORT" && [ "$(psql_at "$STANDBY_PORT" 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ]; then
        echo "standby  127.0.0.1:$STANDBY_PORT up (hot standby)"
    else
        echo "standby  127.0.0.1:$STANDBY_PORT down"; ok=1
    fi
    if [ "$STANDBYS" -ge 2 ]; then
        ready "$STANDBY2_PORT" && echo "standby  127.0.0.1:$STANDBY2_PORT up" || { echo "standby  127.0.0.1:$STANDBY2_PORT down"; ok=1; }
    fi
    if [ $ok -eq 0 ] && streaming "$STANDBYS"; then echo "replication streaming"; else echo "replication not streaming"; ok=1; fi
    return $ok
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
