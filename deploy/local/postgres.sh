# shellcheck shell=bash disable=SC2034  # sourced by stack.sh; PG_* are read there
# The PostgreSQL 15 component of the local-process stack (the history store of the archive
# service and the tracer's historical lookups). Sourced by stack.sh, never run.
#
# Contract:
#   - Debian's postgresql-15 binaries (/usr/lib/postgresql/15/bin); installed with apt-get when
#     missing and we are root (or have sudo), like integration.sh does for redis-server;
#   - the cluster lives in .stack/data/postgres (initdb on first start: database crosstrace,
#     role crosstrace, SCRAM password auth, TCP on 127.0.0.1:$POSTGRES_PORT only, no Unix socket);
#   - the role's password is generated once into .stack/keys/postgres-password (0600) and is
#     part of DATABASE_URL (`stack.sh env`);
#   - PostgreSQL refuses to run as root: as root the server runs as the `postgres` system user
#     (created by the Debian package), which then owns .stack/data/postgres;
#   - stopped with SIGINT (PostgreSQL's "fast" shutdown: open client sessions are ended),
#     where SIGTERM would wait for every client to disconnect.
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_DB=crosstrace
PG_USER=crosstrace
PG_PASSWORD_FILE="$STACK_DIR/keys/postgres-password"

stop_signal_of() { case "$1" in postgres) echo INT ;; *) echo TERM ;; esac; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else return 1; fi; }

ensure_postgres() {
  [ -x "$PG_BIN/postgres" ] && [ -x "$PG_BIN/initdb" ] && return 0
  if command -v apt-get >/dev/null 2>&1 && as_root true 2>/dev/null; then
    say "postgres: installing Debian's postgresql-15 (the history store runs its own cluster on port $POSTGRES_PORT)"
    as_root apt-get update -qq >&2 && as_root env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends postgresql-15 >&2 \
      || die "apt-get install postgresql-15 failed; install it by hand or set PG_BIN to a PostgreSQL 15 bin directory"
  fi
  [ -x "$PG_BIN/postgres" ] || die "PostgreSQL 15 not found in $PG_BIN; install it (apt-get install -y postgresql-15) or set PG_BIN"
}

# pg_as_owner COMMAND...: runs COMMAND as the user the server runs as (postgres when we are root).
pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups "$@"; else "$@"; fi
}

# First start: a fresh cluster with the crosstrace role (password from the key file) and
# database. Everything after initdb runs in single-user mode, so no server is needed yet.
init_postgres() {
  local dir="$DATA/postgres" pwfile
  [ -f "$dir/PG_VERSION" ] && return 0
  mkdir -p "$STACK_DIR/keys" "$dir"
  [ -n "$(ls -A "$dir" 2>/dev/null)" ] && die "${dir#"$ROOT"/} is not empty but holds no PostgreSQL cluster (no PG_VERSION); move it away and rerun"
  if [ ! -s "$PG_PASSWORD_FILE" ]; then
    (umask 077; head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$PG_PASSWORD_FILE")
  fi
  pwfile="$DATA/postgres.pw"
  (umask 077; cat "$PG_PASSWORD_FILE" >"$pwfile")
  if [ "$(id -u)" -eq 0 ]; then
    getent passwd postgres >/dev/null || die "no 'postgres' system user to run PostgreSQL as (root may not); reinstall postgresql-15"
    chown postgres: "$dir" "$pwfile"
    pg_as_owner test -w "$dir" || die "the postgres user cannot write ${dir#"$ROOT"/}: a parent directory is not searchable by it (chmod o+x the path)"
  fi
  say "postgres: first start, initdb in ${dir#"$ROOT"/} (role $PG_USER, database $PG_DB)"
  pg_as_owner "$PG_BIN/initdb" -D "$dir" -U "$PG_USER" --pwfile="$pwfile" -E UTF8 --no-locale \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 >>"$(log_of postgres)" 2>&1 \
    || { rm -f "$pwfile"; die "initdb failed" "$(log_of postgres)"; }
  rm -f "$pwfile"
  echo "CREATE DATABASE $PG_DB OWNER $PG_USER;" | pg_as_owner "$PG_BIN/postgres" --single -D "$dir" postgres >>"$(log_of postgres)" 2>&1 \
    || die "creating database $PG_DB failed" "$(log_of postgres)"
}

start_postgres() {
  init_postgres
  # Sized for this 2-core machine shared with Kafka and Redis; bulk COPY wants room for WAL
  # between checkpoints. Logs go to stderr, i.e. .stack/logs/postgres.log.
  local owner=()
  [ "$(id -u)" -ne 0 ] || owner=(setpriv --reuid=postgres --regid=postgres --init-groups)
  launch postgres "${owner[@]}" "$PG_BIN/postgres" -D "$DATA/postgres" -p "$POSTGRES_PORT" -k '' \
    -c listen_addresses=127.0.0.1 -c logging_collector=off -c shared_buffers=256MB \
    -c max_wal_size=2GB -c checkpoint_timeout=15min -c max_connections=100
}

postgres_env_line() {
  local pw=""
  [ -s "$PG_PASSWORD_FILE" ] && pw="$(<"$PG_PASSWORD_FILE")"
  printf 'export DATABASE_URL=postgres://%s:%s@127.0.0.1:%s/%s\n' "$PG_USER" "$pw" "$POSTGRES_PORT" "$PG_DB"
}
