"""Data keys: one per subject, wrapped by the master key, in their own table; and the `KeyStore` interface.

The event table never holds a key. `TableKeyStore` keeps each subject's 256-bit data key in
`DataKey`, wrapped (AES-256-GCM) by the master key from the environment (`DATA_KEY_MASTER`),
so a dump of the database alone opens nothing. Forgetting a subject deletes its row.

A KMS or Vault's transit engine replaces the table by implementing `KeyStore` (three
methods) and naming the class in `settings.EVENTSTORE_KEY_STORE`; nothing else changes.

Unwrapped keys are cached per process (at most `EVENTSTORE_KEY_CACHE_SIZE`) for writing
only: sealing a new value of a subject this process has seen costs no query. Reads always ask
the table, so a key destroyed by another process is never used to open a value again. A write
with a cached key of a forgotten subject cannot happen: forgetting appends to the subject's
stream, so a command that loaded it before conflicts, and one that loads it after is refused.
"""

import base64
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache, partial
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django.utils.module_loading import import_string

from eventstore.personal import cipher

# The row that says which master key wrapped the table (checked once per process), so a
# wrong DATA_KEY_MASTER is refused before anything is written with it.
MASTER_CHECK_SUBJECT = "$master-key-check"
MASTER_CHECK_PLAINTEXT = b"eventstore data keys"


class DataKey(models.Model):
    """One subject's data key, wrapped by a master key (`master_key_id` says which)."""

    subject = models.CharField(max_length=200, primary_key=True)
    wrapped_key = models.BinaryField()
    master_key_id = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "eventstore"
        verbose_name = "data key"

    def __str__(self) -> str:
        return f"data key of {self.subject} (master {self.master_key_id})"


class KeyStore(Protocol):
    """Where subjects' data keys live. Implement these three to put them in a KMS."""

    def key_for_writing(self, subject: str, *, new: bool = False) -> bytes:
        """The subject's data key, created when it has none.

        `new=True`: the caller is creating the subject (its stream's first append), so it
        can have no key yet; a store may then skip looking for one.
        """

    def keys_for_reading(self, subjects: Collection[str]) -> dict[str, bytes]:
        """The data keys of those subjects that have one; a forgotten subject is absent."""

    def destroy(self, subject: str) -> bool:
        """Destroy the subject's key for good; False when it had none."""


class KeyUnusable(ImproperlyConfigured):
    """A stored data key cannot be unwrapped: a wrong or missing master key, or a damaged row."""


@dataclass(frozen=True)
class MasterKey:
    key: bytes

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"data-key-master:" + self.key).hexdigest()[:16]


def parse_master_key(text: str, name: str = "DATA_KEY_MASTER") -> bytes:
    """32 bytes from base64 text, or a message that says how to make a key."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        key = b""
    if len(key) != cipher.KEY_BYTES:
        raise ImproperlyConfigured(
            f"{name} must be 32 random bytes in base64 (44 characters), e.g. the output of "
            "`python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'`."
        )
    return key


def master_keys() -> tuple[MasterKey, ...]:
    """The current master key first, then any previous ones (`DATA_KEY_MASTER_PREVIOUS`, during a rotation)."""
    current = getattr(settings, "DATA_KEY_MASTER", "")
    if not current:
        raise ImproperlyConfigured("DATA_KEY_MASTER is not set: personal data cannot be sealed or opened.")
    previous = [text for text in getattr(settings, "DATA_KEY_MASTER_PREVIOUS", []) if text]
    return (
        MasterKey(parse_master_key(current)),
        *(MasterKey(parse_master_key(text, "DATA_KEY_MASTER_PREVIOUS")) for text in previous),
    )


def wrap(master: MasterKey, subject: str, key: bytes) -> bytes:
    return cipher.seal(master.key, key, subject.encode())


def unwrap(masters: tuple[MasterKey, ...], subject: str, wrapped: bytes | memoryview, master_key_id: str) -> bytes:
    for master in masters:
        if master.key_id == master_key_id:
            try:
                return cipher.open_sealed(master.key, bytes(wrapped), subject.encode())
            except cipher.InvalidTag:
                raise KeyUnusable(
                    f"The data key of {subject} is damaged: it does not open with its master key."
                ) from None
    raise KeyUnusable(
        f"The data key of {subject} was wrapped by master key {master_key_id}, which is not configured: "
        "set DATA_KEY_MASTER to that key (or, while rotating, DATA_KEY_MASTER_PREVIOUS)."
    )


class KeyCache:
    """A bounded, thread-safe LRU of unwrapped keys (for writing only)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._keys: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, subject: str) -> bytes | None:
        with self._lock:
            key = self._keys.get(subject)
            if key is not None:
                self._keys.move_to_end(subject)
            return key

    def put(self, subject: str, key: bytes) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._keys[subject] = key
            self._keys.move_to_end(subject)
            while len(self._keys) > self.size:
                self._keys.popitem(last=False)

    def discard(self, subject: str) -> None:
        with self._lock:
            self._keys.pop(subject, None)

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()


TABLE = DataKey._meta.db_table
# A new subject's key, sent in the same round trip as its stream's first append
# (`EventStore.append`); a key already there aborts the append, as the stream must be new too.
INSERT_NEW_SQL = f"INSERT INTO {TABLE} (subject, wrapped_key, master_key_id, created_at) VALUES (%s, %s, %s, %s)"
PENDING_KEYS = "eventstore_pending_data_keys"
INSERT_SQL = (
    f"INSERT INTO {TABLE} (subject, wrapped_key, master_key_id, created_at) VALUES (%s, %s, %s, %s) "
    "ON CONFLICT (subject) DO NOTHING RETURNING subject"
)


class TableKeyStore:
    """Data keys in the `DataKey` table of the `default` database (the event store's)."""

    using = "default"

    def __init__(self) -> None:
        self.cache = KeyCache(getattr(settings, "EVENTSTORE_KEY_CACHE_SIZE", 10_000))
        self._checked_masters: tuple[MasterKey, ...] | None = None

    def masters(self) -> tuple[MasterKey, ...]:
        """The configured master keys, checked once against the table (a wrong one is refused)."""
        masters = master_keys()
        if self._checked_masters != masters:
            self._check_master(masters)
            self._checked_masters = masters
        return masters

    def _check_master(self, masters: tuple[MasterKey, ...]) -> None:
        rows = DataKey.objects.using(self.using)
        row = rows.filter(subject=MASTER_CHECK_SUBJECT).first()
        if row is None:
            # No check row yet (or its first transaction rolled back): any stored key says which master is right.
            row = rows.order_by("created_at").first()
            if row is None:  # the first use of an empty table: the configured key becomes its master
                if not self._insert(MASTER_CHECK_SUBJECT, masters[0], MASTER_CHECK_PLAINTEXT):
                    self._check_master(masters)  # another process wrote it first: check against theirs
                return
        known = {master.key_id for master in masters}
        if row.master_key_id not in known:
            raise KeyUnusable(
                f"DATA_KEY_MASTER is not the master key of the stored data keys (id {row.master_key_id}, "
                f"configured: {', '.join(sorted(known))}). Set the right DATA_KEY_MASTER; nothing was written."
            )
        unwrap(masters, row.subject, row.wrapped_key, row.master_key_id)

    def _insert(self, subject: str, master: MasterKey, key: bytes) -> bool:
        with connections[self.using].cursor() as cursor:
            cursor.execute(INSERT_SQL, [subject, wrap(master, subject, key), master.key_id, timezone.now()])
            return cursor.fetchone() is not None

    def _remember(self, subject: str, key: bytes) -> None:
        # Only once committed: a key of a rolled-back transaction must never seal anything.
        transaction.on_commit(partial(self.cache.put, subject, key), using=self.using)

    def key_for_writing(self, subject: str, *, new: bool = False) -> bytes:
        key = self.cache.get(subject)
        if key is not None:
            return key
        masters = self.masters()
        if new:
            # No look-up and no INSERT of its own: the key row travels with the stream's first append.
            pending = connections[self.using].__dict__.setdefault(PENDING_KEYS, {})
            if subject not in pending:
                key = cipher.new_key()
                pending[subject] = (key, wrap(masters[0], subject, key), masters[0].key_id)
                self._remember(subject, key)
            key_of_pending: bytes = pending[subject][0]
            return key_of_pending
        key = cipher.new_key()
        if not self._insert(subject, masters[0], key):  # the subject has a key already
            key = self.keys_for_reading([subject])[subject]
        self._remember(subject, key)
        return key

    def keys_for_reading(self, subjects: Collection[str]) -> dict[str, bytes]:
        if not subjects:
            return {}
        masters = self.masters()
        rows = DataKey.objects.using(self.using).filter(subject__in=list(subjects))
        keys = {}
        for subject, wrapped, master_key_id in rows.values_list("subject", "wrapped_key", "master_key_id"):
            keys[subject] = unwrap(masters, subject, wrapped, master_key_id)
        return keys

    def destroy(self, subject: str) -> bool:
        self.cache.discard(subject)
        deleted, _ = DataKey.objects.using(self.using).filter(subject=subject).delete()
        return deleted > 0

    def rewrap_all(self, batch_size: int = 1000) -> int:
        """Wrap every data key with the current master key (run with the old one in DATA_KEY_MASTER_PREVIOUS)."""
        masters = master_keys()
        current = masters[0]
        rewrapped = 0
        with transaction.atomic(using=self.using):
            rows = DataKey.objects.using(self.using).exclude(master_key_id=current.key_id).select_for_update()
            for row in rows.iterator(chunk_size=batch_size):
                key = unwrap(masters, row.subject, row.wrapped_key, row.master_key_id)
                row.wrapped_key, row.master_key_id = wrap(current, row.subject, key), current.key_id
                row.save(update_fields=["wrapped_key", "master_key_id"], using=self.using)
                rewrapped += 1
        self._checked_masters = None
        return rewrapped


@cache
def key_store() -> KeyStore:
    """The key store named in `settings.EVENTSTORE_KEY_STORE` (one per process)."""
    path = getattr(settings, "EVENTSTORE_KEY_STORE", "eventstore.personal.keys.TableKeyStore")
    store: KeyStore = import_string(path)()
    return store


def take_pending_keys(connection: BaseDatabaseWrapper, stream_id: str) -> list[list[Any]]:
    """The INSERT parameters of the new key of the stream being appended, if one is pending.

    Every pending key is taken: one of another stream (its command failed before its append)
    must never be written with someone else's events.
    """
    pending = connection.__dict__.pop(PENDING_KEYS, None)
    if not pending or stream_id not in pending:
        return []
    _, wrapped, master_key_id = pending[stream_id]
    return [[stream_id, wrapped, master_key_id, timezone.now()]]
