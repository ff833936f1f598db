"""Hot standbys of the read database: which database answers a query, and how far each replica is.

With `READ_REPLICA_URLS` set, settings add one alias per replica (`read_replica_1`, ...,
listed in `settings.READ_REPLICA_ALIASES`). Nothing is sent to them implicitly: the router
keeps every read and write of the read side on the read primary, so a projection that reads
a read model inside its transaction never reads a stale copy. Only a caller that can live
with a copy asks `choose_reader()` for an alias and queries it with `.using(alias)`, as the
query API does.

Read-your-writes on a replica: a checkpoint commits in the same transaction as the rows it
covers, and a streaming standby replays the primary's transactions in commit order, so a
replica's own copy of the checkpoints says exactly what that replica's read models contain.
`?min_position=` is therefore answered from the replica's checkpoints, never the primary's:
a replica that has replayed position P shows P's effects, however far behind it otherwise is.
A replica that is behind gets a short wait (`READ_REPLICA_WAIT_SECONDS`); then the read
primary is asked instead, with what is left of the caller's timeout.
"""

import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connections, router

from eventstore.models import Checkpoint

POLL_SECONDS = 0.02

_rotation: Iterator[int] = itertools.count()
_down_until: dict[str, float] = {}
_lock = threading.Lock()


def read_primary() -> str:
    """The alias that holds the read side and takes its writes (`read`, or `default` with one database)."""
    return router.db_for_write(Checkpoint)


def replica_aliases() -> list[str]:
    return list(getattr(settings, "READ_REPLICA_ALIASES", []))


def mark_down(alias: str) -> None:
    """Leave a replica that failed to answer alone for `READ_REPLICA_RETRY_SECONDS`."""
    with _lock:
        _down_until[alias] = time.monotonic() + settings.READ_REPLICA_RETRY_SECONDS
    connections[alias].close()


def replicas_in_turn() -> list[str]:
    """The replicas not marked down, starting at the next one in turn (round robin per process)."""
    aliases = replica_aliases()
    if not aliases:
        return []
    now = time.monotonic()
    with _lock:
        start = next(_rotation) % len(aliases)
        up = [alias for alias in aliases if _down_until.get(alias, 0.0) <= now]
    return sorted(up, key=lambda alias: (aliases.index(alias) - start) % len(aliases))


def checkpoint_positions(alias: str, names: tuple[str, ...]) -> dict[str, int]:
    """The subscribers' checkpoints as the database `alias` has them (0 for one never run)."""
    found = dict(Checkpoint.objects.using(alias).filter(name__in=names).values_list("name", "position"))
    return {name: found.get(name, 0) for name in names}


@dataclass(frozen=True)
class Reader:
    """Where to run a query: the alias, its subscribers' positions there, and why it was chosen."""

    alias: str
    positions: dict[str, int]
    reason: str

    @property
    def position(self) -> int:
        return min(self.positions.values(), default=0)


def wait_on(alias: str, names: tuple[str, ...], min_position: int, seconds: float) -> dict[str, int]:
    """Poll `alias`'s checkpoints until all reach `min_position` or `seconds` pass; the last positions read.

    Outside any transaction, so nothing is held open on the database while it sleeps.
    """
    deadline = time.monotonic() + seconds
    while True:
        positions = checkpoint_positions(alias, names)
        if min(positions.values(), default=0) >= min_position or time.monotonic() >= deadline:
            return positions
        time.sleep(POLL_SECONDS)


def choose_reader(names: tuple[str, ...], min_position: int | None) -> Reader:
    """A replica that has the subscribers `names` at `min_position` (or any replica without one), else the primary.

    Each replica is asked for its own checkpoints. Unreachable replicas are marked down and
    skipped. The primary comes back when no replica is configured, when the read primary has a
    transaction open on this connection (its own uncommitted writes are only there), when every
    replica is down, or when the first one that answers is still behind `min_position` after
    `READ_REPLICA_WAIT_SECONDS`. The primary's positions are then left for the caller to wait on.
    """
    primary = read_primary()
    if connections[primary].in_atomic_block:
        return Reader(primary, {}, "transaction open on the read primary")
    candidates = replicas_in_turn()
    if not candidates:
        return Reader(primary, {}, "no replica configured" if not replica_aliases() else "no replica reachable")
    for alias in candidates:
        try:
            if min_position is None:
                return Reader(alias, checkpoint_positions(alias, names), "replica")
            positions = wait_on(alias, names, min_position, settings.READ_REPLICA_WAIT_SECONDS)
        except DatabaseError:
            mark_down(alias)
            continue
        if min(positions.values(), default=0) >= min_position:
            return Reader(alias, positions, "replica has the position")
        # Behind: the primary is the surest place to find the position (the next replica is
        # most likely behind too, and waiting on each would add up).
        return Reader(primary, {}, f"{alias} is behind position {min_position}")
    return Reader(primary, {}, "no replica reachable")


@dataclass(frozen=True)
class ReplicaStatus:
    """How far one replica is from the read primary, for `/healthz` and `/metrics`."""

    alias: str
    up: bool
    replay_paused: bool = False
    lag_bytes: int = 0  # WAL the primary has written that the replica has not replayed
    lag_seconds: float = 0.0  # age of the last transaction replayed, while WAL is still to replay
    lag_events: dict[str, int] | None = None  # per subscriber: primary checkpoint − replica checkpoint


def replica_statuses() -> list[ReplicaStatus]:
    """Each configured replica's state; an unreachable one is `up=False` (this never raises for a replica)."""
    aliases = replica_aliases()
    if not aliases:
        return []
    primary = read_primary()
    with connections[primary].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        primary_lsn = cursor.fetchone()[0]
    primary_positions = dict(Checkpoint.objects.using(primary).values_list("name", "position"))
    statuses = []
    for alias in aliases:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute(
                    "SELECT pg_is_wal_replay_paused(),"
                    " greatest(pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn()), 0)::bigint,"
                    " CASE WHEN pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn()) > 0"
                    "  THEN coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) ELSE 0 END",
                    [primary_lsn, primary_lsn],
                )
                paused, lag_bytes, lag_seconds = cursor.fetchone()
            positions = dict(Checkpoint.objects.using(alias).values_list("name", "position"))
        except DatabaseError:
            mark_down(alias)
            statuses.append(ReplicaStatus(alias, up=False))
            continue
        lag_events = {name: max(position - positions.get(name, 0), 0) for name, position in primary_positions.items()}
        statuses.append(
            ReplicaStatus(alias, True, bool(paused), int(lag_bytes), round(float(lag_seconds), 3), lag_events)
        )
    return statuses
