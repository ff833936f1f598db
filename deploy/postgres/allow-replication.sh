#!/bin/sh
# Run once by the postgres image when it makes the read database (docker-compose.yml, `read-db`):
# a standby on the compose network may stream from it with the password (pg_basebackup -R).
set -e
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
