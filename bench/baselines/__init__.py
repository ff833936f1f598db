"""The peers each row is compared with: raw psycopg, the `eventsourcing` library, plain DRF."""
