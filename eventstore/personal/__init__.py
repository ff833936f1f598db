"""Personal data in an immutable log: sealed per subject, forgotten by destroying the subject's key.

An event class lists its personal fields (`personal_fields`); the repository seals them with
the data key of the subject they belong to (by default the event's stream, e.g. the
customer) before the append, and every read path of the store opens them again. Forgetting a
subject destroys its key: the sealed values can no longer be opened by anyone, and read as
`None` with `"forgotten": true`, while the rest of every event stays as it was written.

- `cipher`: AES-256-GCM, for values (under a data key) and for data keys (under the master key);
- `keys`: the `DataKey` table, the `KeyStore` interface a KMS can replace, the master keys;
- `sealing`: the stored shape of sealed values, sealing and opening.
"""
