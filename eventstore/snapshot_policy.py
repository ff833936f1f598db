"""Which streams are snapshotted, and how often: the domain names the types, the settings give N.

Apart from `eventstore.snapshots` (which imports the models) so the domain can register its
stream types while its classes are defined, before Django's apps are ready.
"""

from django.conf import settings

# The stream types the domain snapshots (`snapshotted`), every `EVENTSTORE_SNAPSHOT_EVERY` events.
_snapshotted_stream_types: set[str] = set()


def snapshotted(stream_type: str) -> str:
    """Snapshot streams of this type every `settings.EVENTSTORE_SNAPSHOT_EVERY` events (the domain calls it)."""
    _snapshotted_stream_types.add(stream_type)
    return stream_type


def snapshot_every(stream_type: str) -> int | None:
    """How many events apart this stream type is snapshotted; None when it is not.

    `EVENTSTORE_SNAPSHOT_EVERY` is N for every type the domain registered, or a dict of stream
    type to N that snapshots exactly the types it lists (tests, an operator's own settings).
    """
    setting = getattr(settings, "EVENTSTORE_SNAPSHOT_EVERY", 0)
    if isinstance(setting, dict):
        every = setting.get(stream_type)
    else:
        every = setting if stream_type in _snapshotted_stream_types else None
    return every if isinstance(every, int) and every > 0 else None
