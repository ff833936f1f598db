"""The stored shape of personal data, and sealing and opening it.

A sealed event (or snapshot state) keeps its other fields as plain JSON and moves its
personal ones into one envelope:

    {"customer_id": "…", "$personal": {"subject": "<stream id>", "fields": ["name", "email"],
                                        "sealed": "<base64 of nonce || AES-256-GCM ciphertext>"}}

Opening puts the fields back. When the subject's key is gone (forgotten, or deleted by hand)
they read as `None` and the data gains `"forgotten": true`: never an error. Rows written
before sealing existed have no envelope and read as they are.
"""

import base64
import logging
from collections.abc import Collection, Iterable, Sequence
from typing import Any, TypeGuard, TypeVar, cast

import orjson

from eventstore.db import loads
from eventstore.personal import cipher
from eventstore.personal.keys import KeyStore, key_store

PERSONAL = "$personal"
FORGOTTEN = "forgotten"

logger = logging.getLogger(__name__)


T = TypeVar("T")


def is_sealed(data: object) -> TypeGuard[dict[str, Any]]:
    return type(data) is dict and PERSONAL in data


def seal_fields(
    data: dict[str, Any],
    fields: Collection[str],
    subject: str,
    *,
    new_subject: bool = False,
    store: KeyStore | None = None,
) -> dict[str, Any]:
    """`data` with `fields` sealed under `subject`'s key (created on first use; `new_subject`: see `KeyStore`)."""
    present = [name for name in fields if name in data]
    if not present:
        return data
    key = (store or key_store()).key_for_writing(subject, new=new_subject)
    plaintext = orjson.dumps({name: data[name] for name in present})
    sealed = cipher.seal(key, plaintext, subject.encode())
    opened = {name: value for name, value in data.items() if name not in present}
    opened[PERSONAL] = {"subject": subject, "fields": present, "sealed": base64.b64encode(sealed).decode()}
    return opened


def open_fields(data: T, keys: dict[str, bytes]) -> T:
    """`data` with its sealed fields opened with `keys` (subject -> key), or marked forgotten."""
    if not is_sealed(data):
        return data
    return cast(T, _opened(data, keys))


def _opened(data: dict[str, Any], keys: dict[str, bytes]) -> dict[str, Any]:
    envelope = data[PERSONAL]
    opened = {name: value for name, value in data.items() if name != PERSONAL}
    subject = envelope["subject"]
    key = keys.get(subject)
    if key is not None:
        try:
            opened.update(loads(cipher.open_sealed(key, base64.b64decode(envelope["sealed"]), subject.encode())))
            return opened
        except cipher.InvalidTag:
            # Sealed with a key that no longer exists (deleted by hand, then made anew): as good as forgotten.
            logger.warning("a sealed value of subject %s does not open with its current key", subject)
    opened.update(dict.fromkeys(envelope["fields"]))
    opened[FORGOTTEN] = True
    return opened


def keys_for(values: Iterable[object]) -> dict[str, bytes]:
    """The keys that open these values, in one look-up (none when nothing is sealed)."""
    subjects = {value[PERSONAL]["subject"] for value in values if is_sealed(value)}
    return key_store().keys_for_reading(subjects) if subjects else {}


def open_one(data: T) -> T:
    return open_fields(data, keys_for([data]))  # nothing sealed: no look-up, `data` as it is


def open_many(values: Sequence[T]) -> list[T]:
    keys = keys_for(values)
    return [open_fields(value, keys) for value in values]


def open_rows(rows: Sequence[tuple[Any, ...]], *indexes: int) -> Sequence[tuple[Any, ...]]:
    """The rows with the JSON at `indexes` opened: one key look-up for all, none when nothing is sealed."""
    sealed = [i for i, row in enumerate(rows) if any(is_sealed(row[index]) for index in indexes)]
    if not sealed:
        return rows
    keys = keys_for(rows[i][index] for i in sealed for index in indexes)
    rows = list(rows)
    for i in sealed:
        row = list(rows[i])
        for index in indexes:
            row[index] = open_fields(row[index], keys)
        rows[i] = tuple(row)
    return rows
