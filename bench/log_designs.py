"""Which gap-free log design to build: the four candidates, measured side by side in raw psycopg.

`python -m bench.log_designs [--seconds 3] [--trials 3] [--clients 1,4,8]` (uses `BENCH_DATABASE_URL`,
default the local PostgreSQL; creates and drops the database `cqrs_bench_designs`).

Every design runs the same transaction a command runs: load the stream (one SELECT), append
one event row, commit, in one process per client, fsync and synchronous_commit on. What
differs is what makes readers gap-free:

- `lock-from-insert` (the store before issue 10): an advisory lock taken with the version
  read, then the INSERT, then COMMIT: the lock spans three round trips;
- `lock-at-append`: the rows built first, then the lock and a version-guarded INSERT sent
  as one pipeline, then COMMIT: the lock spans the insert and the commit;
- `commit-trigger` (what the store does, migration 0006): rows inserted with provisional
  negative positions; a deferred constraint trigger takes the lock at commit and numbers
  them (an UPDATE of fresh rows); the COMMIT and the read of the position share a pipeline;
- `xid-horizon`: no lock at all; rows carry `pg_current_xact_id()` and readers stop below
  the oldest running transaction. The ceiling: what no writer waiting for another costs.

Trials are alternated between designs; the figure is the median of the trials.
"""

import argparse
import json
import multiprocessing
import os
import statistics
import time
import uuid

import psycopg

BASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DB = "cqrs_bench_designs"
LOCK = 0x45564E54

COLUMNS = """event_id uuid NOT NULL UNIQUE, stream_type varchar(100) NOT NULL, stream_id varchar(128) NOT NULL,
    version integer NOT NULL, event_type varchar(100) NOT NULL, schema_version smallint NOT NULL,
    data jsonb NOT NULL, metadata jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (stream_id, version)"""

DDL = {
    "lock-from-insert": f"CREATE TABLE ev_lock_from_insert (position bigserial PRIMARY KEY, {COLUMNS})",
    "lock-at-append": f"CREATE TABLE ev_lock_at_append (position bigserial PRIMARY KEY, {COLUMNS})",
    "commit-trigger": f"""
        CREATE SEQUENCE ev_commit_trigger_position;
        CREATE SEQUENCE ev_commit_trigger_provisional;
        CREATE TABLE ev_commit_trigger (position bigint PRIMARY KEY
            DEFAULT -nextval('ev_commit_trigger_provisional'), {COLUMNS});
        CREATE FUNCTION ev_number() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock({LOCK});
            UPDATE ev_commit_trigger SET position = nextval('ev_commit_trigger_position')
             WHERE position = NEW.position;
            RETURN NULL;
        END $$;
        CREATE CONSTRAINT TRIGGER ev_number AFTER INSERT ON ev_commit_trigger
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.position < 0) EXECUTE FUNCTION ev_number();""",
    "xid-horizon": f"""CREATE TABLE ev_xid_horizon (position bigserial PRIMARY KEY,
        txid xid8 NOT NULL DEFAULT pg_current_xact_id(), {COLUMNS});
        CREATE INDEX ev_xid_horizon_order ON ev_xid_horizon (txid, position);""",
}

LOAD = "SELECT version, event_type, data FROM {table} WHERE stream_id = %s ORDER BY version"
INSERT = """INSERT INTO {table} (event_id, stream_type, stream_id, version, event_type, schema_version, data,
            metadata) VALUES (%s, 'customer', %s, %s, 'CustomerRegistered', 1, %s, %s)"""
GUARDED_INSERT = """INSERT INTO {table} (event_id, stream_type, stream_id, version, event_type, schema_version,
            data, metadata)
            SELECT %s, 'customer', %s, %s, 'CustomerRegistered', 1, %s, %s
             WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE stream_id = %s AND version >= %s)"""


def _url(db: str) -> str:
    return BASE_URL.rsplit("/", 1)[0] + "/" + db


def setup() -> None:
    with psycopg.connect(BASE_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB}")
        conn.execute(f"CREATE DATABASE {DB}")
    with psycopg.connect(_url(DB), autocommit=True) as conn:
        for ddl in DDL.values():
            conn.execute(ddl)


def teardown() -> None:
    with psycopg.connect(BASE_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


def one_command(conn: psycopg.Connection, design: str) -> None:
    table = "ev_" + design.replace("-", "_")
    stream = str(uuid.uuid4())
    data = json.dumps({"name": "Ada Lovelace", "email": "ada@example.com"})
    metadata = json.dumps({"correlation_id": str(uuid.uuid4()), "command": "register-customer", "user": "bench"})
    conn.execute(LOAD.format(table=table), (stream,), prepare=True).fetchall()
    if design == "lock-from-insert":
        conn.execute(
            f"SELECT pg_advisory_xact_lock({LOCK}), (SELECT coalesce(max(version), 0) FROM {table} "
            "WHERE stream_id = %s)",
            (stream,),
            prepare=True,
        ).fetchone()
        conn.execute(INSERT.format(table=table), (uuid.uuid4(), stream, 1, data, metadata), prepare=True)
    elif design == "lock-at-append":
        with conn.pipeline():
            conn.execute(f"SELECT pg_advisory_xact_lock({LOCK})", prepare=True)
            conn.execute(
                GUARDED_INSERT.format(table=table), (uuid.uuid4(), stream, 1, data, metadata, stream, 1), prepare=True
            )
    else:
        conn.execute(INSERT.format(table=table), (uuid.uuid4(), stream, 1, data, metadata), prepare=True)
    if design == "commit-trigger":  # the position exists only once the commit has numbered the row
        with conn.pipeline():
            conn.execute("COMMIT")
            conn.execute(f"SELECT position FROM {table} WHERE stream_id = %s AND version = 1", (stream,), prepare=True)
        return
    conn.commit()


def _client(design: str, start_at: float, seconds: float, out: "multiprocessing.Queue[int]") -> None:
    conn = psycopg.connect(_url(DB), prepare_threshold=1)
    for _ in range(20):  # warm the prepared statements
        one_command(conn, design)
    time.sleep(max(0.0, start_at - time.time()))
    done, end = 0, start_at + seconds
    while time.time() < end:
        one_command(conn, design)
        done += 1
    conn.close()
    out.put(done)


def trial(design: str, clients: int, seconds: float) -> float:
    out: multiprocessing.Queue[int] = multiprocessing.Queue()
    start_at = time.time() + 1.0
    procs = [multiprocessing.Process(target=_client, args=(design, start_at, seconds, out)) for _ in range(clients)]
    for proc in procs:
        proc.start()
    total = sum(out.get() for _ in procs)
    for proc in procs:
        proc.join()
    return total / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--clients", default="1,4,8")
    args = parser.parse_args()
    setup()
    try:
        client_counts = [int(n) for n in args.clients.split(",")]
        results: dict[tuple[str, int], list[float]] = {}
        for clients in client_counts:
            for _ in range(args.trials):
                for design in DDL:  # alternated: every design in every round
                    results.setdefault((design, clients), []).append(trial(design, clients, args.seconds))
        print(f"{'design':18} " + " ".join(f"{n:>3} client(s)   " for n in client_counts))
        for design in DDL:
            one = statistics.median(results[(design, client_counts[0])])
            cells = []
            for clients in client_counts:
                rate = statistics.median(results[(design, clients)])
                cells.append(f"{rate:7,.0f}/s ({rate / one:4.2f}x)")
            print(f"{design:18} " + " ".join(cells))
    finally:
        teardown()


if __name__ == "__main__":
    main()
