#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The local-process stack: Kafka (KRaft, one combined node), Apicurio Registry (in-memory,
# Confluent-compatible API), a private redis-server and a private PostgreSQL 15 (the history
# store), all on 127.0.0.1.
#
#   stack.sh up       start what is not running, wait until each answers (idempotent)
#   stack.sh down     stop exactly what `up` started (PID files), TERM then KILL
#   stack.sh status   one line per component: state, pid, port, version
#   stack.sh env      shell lines for KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL, DATABASE_URL,
#                     KAFKA_CLIENT_PROPERTIES (the admin's client properties) and CROSSTRACE_API_CA
#                     (the CA that signs the gateway's API certificate) (stdout only)
#
# Kafka speaks SASL_SSL only (SCRAM-SHA-512, TLS with the development CA of
# deploy/security/dev-pki.sh) with ACLs; .stack/security/ holds the CA, the broker key, the
# passwords and one client properties file per principal (clients/<name>.properties). After
# Kafka answers, `up` applies deploy/security/acls.json (bin/crosstrace admin acl apply), unless
# it was applied to this broker from the same files before (acl_inputs).
# Redis requires the password in .stack/security/redis.password (REDIS_URL carries it).
#
# Settings (environment):
#   KAFKA_PORT=19092 KAFKA_CONTROLLER_PORT=19093 KAFKA_MTLS_PORT=19094 REGISTRY_PORT=18081 REDIS_PORT=16379
#   POSTGRES_PORT=15432
#     a port set here wins; otherwise the port a running component was started on; otherwise
#     the default. Changing the port of a running component needs `down` first.
#   STACK_TIMEOUT=90        seconds `up` waits for all components to answer
#   STACK_STOP_TIMEOUT=30   seconds `down` waits after SIGTERM before SIGKILL
#   STACK_ACL_APPLY=always  apply deploy/security/acls.json at every `up` (default: only when
#                           what it is made from changed since the last apply to this broker)
#   KAFKA_JAVA_OPTS="-Xms256m -Xmx512m"   REGISTRY_JAVA_OPTS="-Xmx512m"
#
# Everything lives in .stack/ (git-ignored): logs/<name>.log, run/<name>.pid and the port
# it was started on, data/<name>/ (each process's working directory, which is also how a
# PID is recognised as ours before it is signalled).
set -euo pipefail
TAG=stack
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

RUN="$STACK_DIR/run" LOGS="$STACK_DIR/logs" DATA="$STACK_DIR/data"
SEC="$STACK_DIR/security"
ADMIN_PROPERTIES="$SEC/clients/admin.properties"
STACK_TIMEOUT="${STACK_TIMEOUT:-90}"
STACK_STOP_TIMEOUT="${STACK_STOP_TIMEOUT:-30}"
KAFKA_JAVA_OPTS="${KAFKA_JAVA_OPTS:--Xms256m -Xmx512m}"
REGISTRY_JAVA_OPTS="${REGISTRY_JAVA_OPTS:--Xmx512m}"
COMPONENTS=(kafka registry redis postgres)

# resolve_port VAR DEFAULT: environment, else the port recorded at start, else DEFAULT.
resolve_port() {
  local var="$1" v="${!1:-}"
  if [ -z "$v" ] && [ -f "$RUN/$var" ]; then v="$(<"$RUN/$var")"; fi
  v="${v:-$2}"
  if ! [[ "$v" =~ ^[0-9]+$ ]] || [ "$v" -lt 1 ] || [ "$v" -gt 65535 ]; then
    die "$var=$v is not a TCP port; use a number from 1024 to 65535"
  fi
  printf -v "$var" '%s' "$v"
}
resolve_port KAFKA_PORT 19092
resolve_port KAFKA_CONTROLLER_PORT 19093
resolve_port KAFKA_MTLS_PORT 19094
resolve_port REGISTRY_PORT 18081
resolve_port REDIS_PORT 16379
resolve_port POSTGRES_PORT 15432
[[ "$STACK_TIMEOUT" =~ ^[0-9]+$ ]] || die "STACK_TIMEOUT=$STACK_TIMEOUT must be whole seconds, e.g. STACK_TIMEOUT=180"
[[ "$STACK_STOP_TIMEOUT" =~ ^[0-9]+$ ]] || die "STACK_STOP_TIMEOUT=$STACK_STOP_TIMEOUT must be whole seconds"

port_vars() { case "$1" in kafka) echo KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_MTLS_PORT ;; registry) echo REGISTRY_PORT ;; redis) echo REDIS_PORT ;; postgres) echo POSTGRES_PORT ;; esac; }
port_of() { case "$1" in kafka) echo "$KAFKA_PORT" ;; registry) echo "$REGISTRY_PORT" ;; redis) echo "$REDIS_PORT" ;; postgres) echo "$POSTGRES_PORT" ;; esac; }
pattern_of() { case "$1" in kafka) echo kafka.Kafka ;; registry) echo apicurio-registry-app ;; redis) echo redis-server ;; postgres) echo bin/postgres ;; esac; }
awaited() { # what `up` waits for, in words
  case "$1" in
    kafka) echo "a kafkajs admin call (describeCluster, listTopics) as admin over SASL_SSL on 127.0.0.1:$KAFKA_PORT" ;;
    registry) echo "GET http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7/subjects" ;;
    redis) echo "PING on 127.0.0.1:$REDIS_PORT" ;;
    postgres) echo "pg_isready on 127.0.0.1:$POSTGRES_PORT" ;;
  esac
}
# lock: one up/down at a time per checkout; a second one waits up to 2 minutes.
lock() {
  exec 9>"$RUN/.lock"
  flock -w 120 9 || die "waited 2 minutes for ${RUN#"$ROOT"/}/.lock; another stack.sh up/down is running (see: fuser -v ${RUN#"$ROOT"/}/.lock)"
}
log_of() { echo "$LOGS/$1.log"; }
redis_password() { cat "$SEC/redis.password" 2>/dev/null || true; }
pid_of() { cat "$RUN/$1.pid" 2>/dev/null || true; }
ours() { pid_is "$2" "$DATA/$1" "$(pattern_of "$1")"; } # ours NAME PID

answers() { # answers NAME: one bounded readiness probe
  case "$1" in
    kafka) "$NODE" "$LOCAL_DIR/kafka-ready.mjs" "127.0.0.1:$KAFKA_PORT" 3000 "$ADMIN_PROPERTIES" >/dev/null 2>&1 ;;
    registry) curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7/subjects" ;;
    redis) [ "$(REDISCLI_AUTH="$(redis_password)" timeout 2 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] ;;
    postgres) timeout 3 "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$POSTGRES_PORT" -d "$PG_DB" -t 2 ;;
  esac
}

version_of() { # version_of NAME PID: what the running process reports
  local v=""
  case "$1" in
    kafka) [[ "$(tr '\0' ' ' <"/proc/$2/cmdline" 2>/dev/null)" =~ /kafka-([^/]+)/libs/ ]] && v="${BASH_REMATCH[1]}" ;;
    registry) v="$(curl -sf --max-time 2 "http://127.0.0.1:$REGISTRY_PORT/apis/registry/v2/system/info" 2>/dev/null |
                 sed -n 's/.*"version":"\([^"]*\)".*/\1/p')" ;;
    redis) v="$(REDISCLI_AUTH="$(redis_password)" timeout 2 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info server 2>/dev/null | sed -n 's/^redis_version:\([^[:space:]]*\).*/\1/p')" ;;
    postgres) v="$("$PG_BIN/postgres" --version 2>/dev/null | sed -n 's/.* \([0-9][0-9.]*\).*/\1/p')" ;;
  esac
  echo "${v:-?}"
}

prerequisites() {
  local jv
  JAVA="$(java_bin)"
  jv="$("$JAVA" -version 2>&1 | head -n 1)"
  if ! [[ "$jv" =~ version\ \"([0-9]+) ]] || [ "${BASH_REMATCH[1]}" -lt 17 ]; then
    die "Kafka $KAFKA_VERSION and Apicurio $APICURIO_VERSION need Java 17+, found: $jv; install openjdk-17-jre-headless or set JAVA_HOME"
  fi
  need redis-server "install Redis (apt-get install -y redis-server); the stack starts its own on port $REDIS_PORT"
  need redis-cli "install redis-tools (apt-get install -y redis-tools)"
  need curl "install curl (apt-get install -y curl); it probes the registry"
  need setsid "install util-linux"
  need openssl "install openssl (apt-get install -y openssl); it makes the development CA and broker certificate"
  ensure_postgres
  NODE="$("$ROOT/deploy/tools/ensure-node.sh")/node"
  [ -f "$ROOT/node_modules/kafkajs/package.json" ] || die "kafkajs is not installed, and the Kafka readiness probe uses it; run make deps"
  if [ ! -f "$KAFKA_MARKER" ] || [ ! -f "$APICURIO_JAR" ]; then "$LOCAL_DIR/fetch-jars.sh"; fi
}

# launch NAME COMMAND...: start COMMAND in its own session with .stack/data/NAME as working
# directory, output appended to the log. The process writes its own PID file before exec,
# so the PID is right even if setsid had to fork.
launch() {
  local name="$1" pidfile="$RUN/$1.pid" i v; shift
  rm -f "$pidfile"
  mkdir -p "$DATA/$name"
  printf '==== %s stack.sh up: %s on 127.0.0.1:%s ====\n' "$(date -Is)" "$name" "$(port_of "$name")" >>"$(log_of "$name")"
  # shellcheck disable=SC2016 # $$, $0 and $@ belong to the inner bash
  (exec 9>&-  # the stack lock stays with stack.sh, or a later `down` would wait for this process
   cd "$DATA/$name" && exec setsid bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@" \
     </dev/null >>"$(log_of "$name")" 2>&1) &
  for ((i = 0; i < 50; i++)); do [ -s "$pidfile" ] && break; sleep 0.1; done
  [ -s "$pidfile" ] || die "$name did not start (no PID file after 5 s)" "$(log_of "$name")"
  for v in $(port_vars "$name"); do echo "${!v}" >"$RUN/$v"; done
}

# secret NAME: a password kept in .stack/security/NAME.password, made on first use (URL-safe
# base64 of 24 random bytes: nothing a properties file or a JAAS string would need to escape).
secret() {
  local f="$SEC/$1.password"
  if [ ! -s "$f" ]; then (umask 077; head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$f"); fi
  cat "$f"
}

# kafka_security: the development CA and broker certificate, the broker's and the admin's
# passwords, and the admin's client properties (rewritten each time: the port may change).
kafka_security() {
  mkdir -p "$SEC/clients"
  chmod 700 "$SEC" "$SEC/clients"
  "$ROOT/deploy/security/dev-pki.sh" "$SEC"
  # the gateway's API certificate (HTTPS), signed by the same CA: gateway.pem + gateway.key
  "$ROOT/deploy/security/server-cert.sh" "$SEC" gateway
  secret broker >/dev/null
  # Redis requires a password (kept off the command line: a config file only we can read); the
  # default user is the admin; each service has its own ACL user (deploy/security/redis-users.json,
  # passwords in .stack/security/redis-<service>.password, services.sh builds their REDIS_URL)
  (umask 077; { printf 'requirepass %s\n' "$(secret redis)"
    "$NODE" "$ROOT/services/common/redis-acl.ts" "$ROOT/deploy/security/redis-users.json" "$SEC"; } >"$SEC/redis-auth.conf")
  # (the note as services/common/kafka-security.ts SCRAM_LIBRDKAFKA_NOTE writes it in every other SCRAM file)
  (umask 077; printf '%s\n' "# the admin principal of the local stack (super user); made by deploy/local/stack.sh" \
    "# SCRAM with Kafka 4 needs librdkafka >= 2.6.1 (Debian 12's kcat and python3-confluent-kafka have 2.0.2, whose login" \
    "# Kafka 4 refuses): with an older one use Java clients (deploy/security/java-client-properties.sh turns this file" \
    "# into their form); no certificate maps to the admin" \
    "bootstrap.servers=127.0.0.1:$KAFKA_PORT" security.protocol=SASL_SSL sasl.mechanisms=SCRAM-SHA-512 \
    sasl.username=admin "sasl.password=$(secret admin)" "ssl.ca.location=$SEC/ca.pem" >"$ADMIN_PROPERTIES")
}

# acl_inputs: what `acl apply` makes the broker's topics, bindings and SCRAM credentials from,
# as text (its digest is the stamp in .stack/data/kafka/acls-applied): the broker's storage
# (cluster id; a new one is formatted empty), its ports, the ACL file and the providers file it
# names, the client credentials and CA, and the code that applies them (the cli's admin commands
# and the common modules they use, which name the topics). Anything else that changes the
# broker's ACLs (kafka-acls.sh by hand) is not seen: STACK_ACL_APPLY=always.
acl_inputs() {
  local acls="$ROOT/deploy/security/acls.json" providers f
  providers="$(sed -n 's/.*"fromProvidersFile": *"\([^"]*\)".*/\1/p' "$acls" | head -n 1)"
  sed -n 's/^cluster\.id=//p' "$DATA/kafka/logdir/meta.properties" 2>/dev/null || true
  printf 'ports %s %s %s\n' "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$KAFKA_MTLS_PORT"
  for f in "$acls" "$(dirname "$acls")/$providers" "$SEC/ca.pem" "$SEC"/clients/*.properties \
    "$ROOT"/services/cli/main.ts "$ROOT"/services/cli/env.ts "$ROOT"/services/cli/admin/*.ts "$ROOT"/services/common/*.ts; do
    [[ "$f" == *.test.ts ]] && continue
    printf '== %s\n' "${f#"$ROOT"/}"
    cat "$f" 2>/dev/null || true
  done
}

start_kafka() {
  local dir="$DATA/kafka" cluster_id=-
  mkdir -p "$dir/logdir" "$STACK_DIR/tmp"
  (umask 077; sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@KAFKA_MTLS_PORT@|$KAFKA_MTLS_PORT|g" -e "s|@KAFKA_DATA@|$dir/logdir|g" -e "s|@SECURITY_DIR@|$SEC|g" -e "s|@BROKER_PASSWORD@|$(secret broker)|g" \
      "$LOCAL_DIR/kafka/server.properties.tmpl" >"$dir/server.properties")
  chmod 600 "$dir/server.properties"
  # SCRAM users are written into the metadata log when the storage is formatted; a log
  # formatted before (PLAINTEXT days, or another .stack/security) has no usable admin.
  if [ -f "$dir/logdir/meta.properties" ] && ! cmp -s "$SEC/admin.password" "$dir/admin.password.formatted"; then
    local aside
    aside="$dir/logdir.before-security.$(date +%Y%m%dT%H%M%S)"
    mv "$dir/logdir" "$aside"
    mkdir -p "$dir/logdir"
    say "kafka: the storage was formatted without this stack's SCRAM users; moved it to ${aside#"$ROOT"/} and formatting a new one"
  fi
  if [ ! -f "$dir/logdir/meta.properties" ]; then
    # A Kafka Uuid: 16 random bytes, URL-safe base64 without padding, not starting with '-'.
    while [[ "$cluster_id" == -* ]]; do
      cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    done
    say "kafka: first start, formatting KRaft storage in ${dir#"$ROOT"/}/logdir (cluster $cluster_id)"
  fi
  # The launched process formats the storage on first start (one more JVM, ~2 s), with the
  # broker's and the admin's SCRAM credentials, then becomes the broker; the other components
  # start meanwhile. $1 = the properties file, $2 = cluster id, "-" when already formatted,
  # $3 = the SCRAM file (read and removed by the inner bash); the rest is the java command line.
  local scram="$STACK_DIR/tmp/scram.$$"
  (umask 077; printf 'SCRAM-SHA-512=[name=broker,password=%s]\nSCRAM-SHA-512=[name=admin,password=%s]\n' \
    "$(secret broker)" "$(secret admin)" >"$scram")
  cp "$SEC/admin.password" "$dir/admin.password.formatted"
  # shellcheck disable=SC2016,SC2086 # the script is for the inner bash; KAFKA_JAVA_OPTS is a list of flags
  launch kafka bash -c 'conf="$1" id="$2" scram="$3"; shift 3
    mapfile -t users <"$scram"; rm -f "$scram"
    if [ "$id" != - ]; then "$@" kafka.tools.StorageTool format -t "$id" -c "$conf" "${users[@]/#/--add-scram=}" || exit 1; fi
    exec "$@" kafka.Kafka "$conf"' kafka-start "$dir/server.properties" "$cluster_id" "$scram" \
    "$JAVA" $KAFKA_JAVA_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Djava.io.tmpdir="$STACK_DIR/tmp" -Dlog4j2.configurationFile="$LOCAL_DIR/log4j2.properties" \
    -Dkafka.logs.dir="$LOGS" -cp "$KAFKA_LIBS/*"
}

start_registry() {
  mkdir -p "$STACK_DIR/tmp"
  # A registry stopped before it first answered (an `up` that timed out on a loaded machine
  # stops it mid-way through creating its H2 tables) leaves a database every later start
  # refuses (NullPointerException in DdlParser). Such a registry never handed out a schema id,
  # so it starts over on an empty database: `.initializing` marks a first start until it answers.
  if [ -f "$DATA/registry/.initializing" ]; then
    say "registry: its first start never answered; its half-made database is started over"
    rm -rf "$DATA/registry/db"
  fi
  [ -d "$DATA/registry/db" ] || { mkdir -p "$DATA/registry"; touch "$DATA/registry/.initializing"; }
  REGISTRY_DATASOURCE_URL="jdbc:h2:file:$DATA/registry/db/registry" \
  launch registry "$JAVA" $REGISTRY_JAVA_OPTS -Djava.io.tmpdir="$STACK_DIR/tmp" \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$REGISTRY_PORT" -jar "$APICURIO_JAR"
}

# shellcheck source=postgres.sh
. "$LOCAL_DIR/postgres.sh"

# Window encodings (bench/correlate-index.bench.ts prints bytes per key kind): a window part of
# up to 128 events stays a listpack when its values fit; a stored event (9-byte prefix +
# normalised Avro, ~130-250 bytes) is longer than Redis' default 64-byte limit, which made every
# window's events a hashtable (518 -> 385 bytes/event at 2 events a window, 337 -> 282 at 100).
# 128 entries, not the server's built-in 512: a listpack is scanned per write. The same settings
# in deploy/podman/redis, docker-compose.yml and the tests' Redis (test/setup/testcontainers-stack.ts).
REDIS_ENCODING_ARGS=(--hash-max-listpack-entries 128 --hash-max-listpack-value 512 --zset-max-listpack-value 128)

# AOF rewrites from 1 GB on (Redis' default: 64 MB, then each time the AOF doubles): while one
# runs, the forked child competes for the cores and each write of the parent copies the pages it
# touches. Indexing into a 1.4 GB Redis: 12.2-13.2 -> 18.6-18.9 µs of Redis CPU per event and
# 70-75k -> 39-41k events/s during a rewrite (bench/ROUNDS.md round 13); `make bench` ran 15 of them. The
# AOF grows to 1 GB (or twice its last rewrite) on disk before the next; the same setting in
# deploy/podman/redis, docker-compose.yml and the tests' Redis.
start_redis() {
  launch redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DATA/redis" \
    --save '' --appendonly yes --appendfsync everysec --auto-aof-rewrite-min-size 1gb --daemonize no --logfile '' \
    "${REDIS_ENCODING_ARGS[@]}" --include "$SEC/redis-auth.conf"
}

up() {
  local t0 name pid e pending=() started=()
  t0="$(now_ms)"
  prerequisites
  mkdir -p "$RUN" "$LOGS" "$DATA"
  lock
  kafka_security
  declare -A since=()
  for name in "${COMPONENTS[@]}"; do
    pid="$(pid_of "$name")"
    if [ -n "$pid" ] && ours "$name" "$pid"; then
      local v recorded
      for v in $(port_vars "$name"); do
        recorded="$(cat "$RUN/$v" 2>/dev/null || true)"
        [ "$recorded" = "${!v}" ] || die "$name already runs with $v=$recorded, not ${!v}; run make stack-down first, or unset $v"
      done
      if answers "$name"; then
        [ "$name" != registry ] || rm -f "$DATA/registry/.initializing"
        say "$(printf '%-9s already running  pid %-7s 127.0.0.1:%s' "$name" "$pid" "$(port_of "$name")")"
        continue
      fi
      pending+=("$name"); since[$name]="$t0"  # ours but not answering yet: wait, do not start twice
      continue
    fi
    [ -z "$pid" ] || say "$name: removing stale PID file (pid $pid is gone or is not $name)"
    rm -f "$RUN/$name.pid"
    for v in $(port_vars "$name"); do check_port "${!v}" "$v" "$name"; done
    started+=("$name")
  done

  for name in "${COMPONENTS[@]}"; do
    [[ " ${started[*]} " == *" $name "* ]] || continue
    since[$name]="$(now_ms)"
    "start_$name"
    pending+=("$name")
  done

  # Wait for all at once; failures are reported after the others settled, so the error
  # is the last thing on screen.
  local deadline=$((t0 + STACK_TIMEOUT * 1000)) left errors=()
  declare -A tails=()
  while [ "${#pending[@]}" -gt 0 ]; do
    left=()
    for name in "${pending[@]}"; do
      pid="$(pid_of "$name")"
      if ! pid_alive "$pid"; then
        rm -f "$RUN/$name.pid"
        tails[$name]="$(log_tail "$(log_of "$name")" 2>&1)"
        errors+=("$name|$name exited during start-up; fix the cause shown in ${LOGS#"$ROOT"/}/$name.log and rerun make stack-up")
      elif answers "$name"; then
        [ "$name" != registry ] || rm -f "$DATA/registry/.initializing"
        say "$(printf '%-9s ready            pid %-7s 127.0.0.1:%-6s in %s' "$name" "$pid" "$(port_of "$name")" \
          "$(secs $(($(now_ms) - since[$name])))")"
      elif [ "$(now_ms)" -ge "$deadline" ]; then
        tails[$name]="$(log_tail "$(log_of "$name")" 2>&1)"  # before stopping adds shutdown noise
        if [[ " ${started[*]} " == *" $name "* ]]; then stop "$name" >/dev/null 2>&1; fi
        errors+=("$name|$name did not answer $(awaited "$name") within $STACK_TIMEOUT s; see its log below, or raise STACK_TIMEOUT on a slow machine")
      else
        left+=("$name")
      fi
    done
    pending=("${left[@]}")
    [ "${#pending[@]}" -eq 0 ] || sleep 0.5
  done
  if [ "${#errors[@]}" -gt 0 ]; then
    for e in "${errors[@]}"; do
      printf '%s: error: %s\n' "$TAG" "${e#*|}" >&2
      printf '%s\n' "${tails[${e%%|*}]}" >&2
    done
    exit 1
  fi
  # Topics, principals, passwords and ACLs as deploy/security/acls.json declares them
  # (idempotent); each principal's client properties land in .stack/security/clients/. The
  # broker keeps all of it in its metadata log, so a restarted broker has it still: applied
  # again only when what it is made from changed since the last apply on this broker's storage
  # (acl_inputs; STACK_ACL_APPLY=always applies anyway). At load the apply took 30-90 s of a
  # broker restart's 240 s recovery in make chaos (session 5).
  local stamp="$DATA/kafka/acls-applied" a0
  if [ "${STACK_ACL_APPLY:-}" != always ] && [ -s "$stamp" ] && [ "$(<"$stamp")" = "$(acl_inputs | sha256sum)" ]; then
    say "acl apply skipped: deploy/security/acls.json, the providers, the credentials and the code that applies them are as when they were last applied to this broker (STACK_ACL_APPLY=always applies anyway)"
  else
    rm -f "$stamp"
    a0="$(now_ms)"
    KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT" KAFKA_CLIENT_PROPERTIES="$ADMIN_PROPERTIES" KAFKA_MTLS_BROKERS="127.0.0.1:$KAFKA_MTLS_PORT" \
      "$NODE" --disable-warning=ExperimentalWarning "$ROOT/services/cli/main.ts" admin acl apply --file "$ROOT/deploy/security/acls.json" --credentials-dir "$SEC/clients" >&2 ||
      die "applying deploy/security/acls.json failed (message above); fix it and rerun make stack-up"
    acl_inputs | sha256sum >"$stamp"
    say "acl apply in $(secs $(($(now_ms) - a0)))"
  fi
  # The node's signing key, made here like the rest of this development stack's secrets (the
  # tracer never makes one by itself outside CROSSTRACE_DEMO); its public keys, in PEM, are in
  # .stack/keys/node-ed25519.pem.pub, the trust file partners get. Rotate: bin/crosstrace admin key rotate.
  if [ ! -f "$ROOT/.stack/keys/node-ed25519.pem" ]; then
    "$NODE" --disable-warning=ExperimentalWarning "$ROOT/services/cli/main.ts" admin key create --key-file "$ROOT/.stack/keys/node-ed25519.pem" >&2 ||
      die "making the node signing key failed (message above)"
  fi
  say "stack up in $(secs $(($(now_ms) - t0))) (logs in ${LOGS#"$ROOT"/}/; eval \"\$(make -s stack-env)\" for the addresses)"
}

# stop NAME...: TERM each of our processes, wait up to STACK_STOP_TIMEOUT, then KILL.
stop() {
  local name pid t0 deadline alive=() left
  t0="$(now_ms)"
  declare -A pids=()
  for name in "$@"; do
    pid="$(pid_of "$name")"
    if [ -z "$pid" ]; then
      say "$(printf '%-9s not running' "$name")"
    elif ours "$name" "$pid"; then
      kill -"$(stop_signal_of "$name")" "$pid" 2>/dev/null || true
      pids[$name]="$pid"; alive+=("$name")
    else
      say "$(printf '%-9s not running (stale PID file for pid %s removed, that process left alone)' "$name" "$pid")"
      rm -f "$RUN/$name.pid"
    fi
  done
  deadline=$((t0 + STACK_STOP_TIMEOUT * 1000))
  while [ "${#alive[@]}" -gt 0 ]; do
    left=()
    for name in "${alive[@]}"; do
      if pid_alive "${pids[$name]}"; then left+=("$name"); continue; fi
      rm -f "$RUN/$name.pid"
      say "$(printf '%-9s stopped          pid %-7s in %s' "$name" "${pids[$name]}" "$(secs $(($(now_ms) - t0)))")"
    done
    alive=("${left[@]}")
    [ "${#alive[@]}" -gt 0 ] || break
    if [ "$(now_ms)" -ge "$deadline" ]; then
      for name in "${alive[@]}"; do
        say "$name (pid ${pids[$name]}) ignored SIGTERM for $STACK_STOP_TIMEOUT s; sending SIGKILL"
        if ours "$name" "${pids[$name]}"; then kill -KILL "${pids[$name]}" 2>/dev/null || true; fi
      done
      deadline=$(($(now_ms) + 5000))
    fi
    sleep 0.2
  done
  for name in "$@"; do
    [ -f "$RUN/$name.pid" ] || for v in $(port_vars "$name"); do rm -f "$RUN/$v"; done
  done
}

down() {
  local t0
  t0="$(now_ms)"
  [ -d "$RUN" ] || { say "nothing to stop (no ${RUN#"$ROOT"/})"; return 0; }
  lock
  stop "${COMPONENTS[@]}"
  say "stack down in $(secs $(($(now_ms) - t0)))"
}

status() {
  local name pid state
  NODE="$("$ROOT/deploy/tools/ensure-node.sh")/node"
  for name in "${COMPONENTS[@]}"; do
    pid="$(pid_of "$name")"
    if [ -n "$pid" ] && ours "$name" "$pid"; then
      if answers "$name"; then state=running; else state="not answering"; fi
      printf '%-9s %-14s pid %-7s port %-6s version %s\n' "$name" "$state" "$pid" "$(port_of "$name")" "$(version_of "$name" "$pid")"
    else
      printf '%-9s %-14s pid %-7s port %s\n' "$name" stopped - "$(port_of "$name")"
    fi
  done
}

env_lines() {
  printf 'export KAFKA_BROKERS=127.0.0.1:%s\n' "$KAFKA_PORT"
  printf 'export KAFKA_CLIENT_PROPERTIES=%s\n' "$ADMIN_PROPERTIES"
  printf 'export KAFKA_MTLS_BROKERS=127.0.0.1:%s\n' "$KAFKA_MTLS_PORT"
  printf 'export SCHEMA_REGISTRY_URL=http://127.0.0.1:%s/apis/ccompat/v7\n' "$REGISTRY_PORT"
  if [ -s "$SEC/redis.password" ]; then printf 'export REDIS_URL=redis://:%s@127.0.0.1:%s\n' "$(redis_password)" "$REDIS_PORT"
  else printf 'export REDIS_URL=redis://127.0.0.1:%s\n' "$REDIS_PORT"; fi
  postgres_env_line
  printf 'export CROSSTRACE_API_CA=%s\n' "$SEC/ca.pem"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) env_lines ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
