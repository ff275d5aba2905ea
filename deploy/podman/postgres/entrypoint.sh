#!/bin/bash
# First start: initdb with POSTGRES_USER / POSTGRES_PASSWORD (SCRAM), POSTGRES_DB created in
# single-user mode, password auth from any address (the container's port is what is exposed).
# Then the server runs in the foreground; extra arguments are passed to it (e.g. -c key=value).
set -euo pipefail
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set (the official image requires it too)}"
user="${POSTGRES_USER:-postgres}"
db="${POSTGRES_DB:-$user}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb -D "$PGDATA" -U "$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") -E UTF8 --no-locale \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 >/dev/null
  echo 'host all all all scram-sha-256' >>"$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    echo "CREATE DATABASE \"$db\" OWNER \"$user\";" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "postgres-entrypoint: cluster initialised in $PGDATA (user $user, database $db)"
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c logging_collector=off "$@"
