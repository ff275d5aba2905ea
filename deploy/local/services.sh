#!/usr/bin/env bash
# crosstrace services as background processes beside the local stack.
#   services.sh up|down|status
# Each service: PID in .stack/run/svc-<name>.pid, log in .stack/logs/svc-<name>.log,
# ready when its /healthz answers 200 (timeout SERVICES_WAIT_SECONDS, default 60).
# Each runs as its own Kafka principal: KAFKA_CLIENT_PROPERTIES=.stack/security/clients/<name>.properties
# (made by `stack.sh up` from deploy/security/acls.json), unless SERVICES_KAFKA_PROPERTIES names
# one file for all.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
run="$root/.stack/run"; logs="$root/.stack/logs"
mkdir -p "$run" "$logs"
PATH="$("$root/deploy/tools/ensure-node.sh"):$PATH"
export KAFKAJS_NO_PARTITIONER_WARNING=1
# glibc malloc arenas, V8's semi-space and old-space growth, as measured (issue 14): node-memory.sh
# shellcheck source=node-memory.sh
. "$root/deploy/local/node-memory.sh"
# name:port of each service that exists: its ops port (/healthz, /metrics); SERVICES_PORT_BASE
# (default 9100) moves every port so that two stacks can run side by side. The gateway's API
# (HTTPS, the certificate stack.sh made in .stack/security/) is on base + 343 (default 9443).
base="${SERVICES_PORT_BASE:-9100}"
SERVICES=(ingest:$((base + 1)) correlator:$((base + 2)) tracer:$((base + 3)) gateway:$((base + 4)) archive:$((base + 6)) collector:$((base + 7)))

export CROSSTRACE_GATEWAY_API_PORT="${CROSSTRACE_GATEWAY_API_PORT:-$((base + 343))}"
export CROSSTRACE_GATEWAY_TLS_CERT_FILE="${CROSSTRACE_GATEWAY_TLS_CERT_FILE:-$root/.stack/security/gateway.pem}"
export CROSSTRACE_GATEWAY_TLS_KEY_FILE="${CROSSTRACE_GATEWAY_TLS_KEY_FILE:-$root/.stack/security/gateway.key}"

# --- collector (issue 15): its wire ports sit beside the HTTP ones (base + 147 IPFIX udp/tcp,
# + 155 NetFlow v9, + 113 RADIUS: 4739, 2055, 1813 in spirit). Its RADIUS file is the devices
# file services/simulator/wire-devices.ts writes under .stack/wire/ (a loopback address and a
# secret per device of the registry); it resolves devices through .stack/wire/providers.json
# (the registry plus those addresses), which DEMO_WIRE=1 gives every service.
WIRE_DIR="$root/.stack/wire"
export COLLECTOR_IPFIX_PORT=$((base + 147)) COLLECTOR_NETFLOW9_PORT=$((base + 155)) COLLECTOR_RADIUS_PORT=$((base + 113))
collector_env() {
  node services/simulator/wire-devices.ts deploy/providers.json "$WIRE_DIR" >/dev/null
  printf '%s\n' "CROSSTRACE_COLLECTOR_RADIUS_FILE=$WIRE_DIR/devices.json" "CROSSTRACE_COLLECTOR_PROVIDERS_FILE=$WIRE_DIR/providers.json" \
    "CROSSTRACE_COLLECTOR_IPFIX_PORT=$COLLECTOR_IPFIX_PORT" "CROSSTRACE_COLLECTOR_NETFLOW9_PORT=$COLLECTOR_NETFLOW9_PORT" "CROSSTRACE_COLLECTOR_RADIUS_PORT=$COLLECTOR_RADIUS_PORT"
}
# --- end collector

stack_env() {
  if [ -z "${KAFKA_BROKERS:-}" ]; then set -a; eval "$("$root/deploy/local/stack.sh" env)"; set +a; fi
}

alive() { local f="$run/svc-$1.pid"; [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }

# A start that fails stops what this run started (and leaves running what was already up), so a
# half-started set of services never lingers after `up` exited 1.
started=()
abort_up() {
  if [ "${#started[@]}" -gt 0 ]; then
    echo "services: stopping what this run started: ${started[*]}" >&2
    SERVICES_ONLY="${started[*]}" down >&2
  fi
  exit 1
}

up() {
  stack_env
  local t0=$SECONDS
  for entry in "${SERVICES[@]}"; do
    local name="${entry%%:*}"
    [ -f "services/$name/main.ts" ] || continue
    if alive "$name"; then echo "services: $name already running (pid $(cat "$run/svc-$name.pid"))"; continue; fi
    local props="${SERVICES_KAFKA_PROPERTIES:-$root/.stack/security/clients/$name.properties}"
    [ -f "$props" ] || props="${KAFKA_CLIENT_PROPERTIES:-}"
    local port_var; port_var="CROSSTRACE_$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')_HTTP_PORT"
    local extra=(); [ "$name" = collector ] && mapfile -t extra < <(collector_env)
    # its own Redis ACL user where it has one (deploy/security/redis-users.json, made by stack.sh up)
    local redis_pw="$root/.stack/security/redis-$name.password"
    [ -s "$redis_pw" ] && extra+=("REDIS_URL=redis://$name:$(cat "$redis_pw")@${REDIS_URL##*@}")
    env "$port_var=${entry##*:}" KAFKA_CLIENT_PROPERTIES="$props" "${extra[@]}" nohup node "services/$name/main.ts" >>"$logs/svc-$name.log" 2>&1 &
    echo $! >"$run/svc-$name.pid"
    started+=("$name")
  done
  for entry in "${SERVICES[@]}"; do
    local name="${entry%%:*}" port="${entry##*:}" waited=0
    [ -f "services/$name/main.ts" ] || continue
    until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
      if ! alive "$name"; then
        echo "services: $name exited during start-up; see $logs/svc-$name.log (last lines below)" >&2
        tail -n 20 "$logs/svc-$name.log" >&2; abort_up
      fi
      if [ "$waited" -ge "${SERVICES_WAIT_SECONDS:-60}" ]; then
        echo "services: $name did not answer /healthz on port $port within ${SERVICES_WAIT_SECONDS:-60}s; last log lines:" >&2
        tail -n 20 "$logs/svc-$name.log" >&2; abort_up
      fi
      sleep 1; waited=$((waited + 1))
    done
    echo "services: $name up on :$port (pid $(cat "$run/svc-$name.pid"))$([ "$name" = gateway ] && echo ", API https://127.0.0.1:$CROSSTRACE_GATEWAY_API_PORT")"
    [ "$name" = collector ] && echo "services: collector listens on 127.0.0.1: IPFIX udp+tcp :$COLLECTOR_IPFIX_PORT, NetFlow v9 :$COLLECTOR_NETFLOW9_PORT, RADIUS :$COLLECTOR_RADIUS_PORT"
  done
  echo "services: all up in $((SECONDS - t0))s"
}

down() {
  for entry in "${SERVICES[@]}"; do
    local name="${entry%%:*}" f="$run/svc-${entry%%:*}.pid"
    [ -f "$f" ] || continue
    if [ -n "${SERVICES_ONLY:-}" ] && [[ " $SERVICES_ONLY " != *" $name "* ]]; then continue; fi
    local pid; pid="$(cat "$f")"
    if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "services/$name/main.ts"; then
      kill -TERM "$pid"
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && { echo "services: $name ignored SIGTERM for 15s; killing" >&2; kill -KILL "$pid"; }
      echo "services: $name stopped"
    fi
    rm -f "$f"
  done
}

status() {
  for entry in "${SERVICES[@]}"; do
    local name="${entry%%:*}" port="${entry##*:}"
    [ -f "services/$name/main.ts" ] || continue
    if alive "$name"; then
      local h; h="$(curl -s "http://127.0.0.1:$port/healthz" || echo 'no answer')"
      echo "$name: running pid $(cat "$run/svc-$name.pid") port $port health $h"
    else echo "$name: stopped"; fi
  done
}

case "${1:-}" in
  up) up ;; down) down ;; status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
