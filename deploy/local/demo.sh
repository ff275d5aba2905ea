#!/usr/bin/env bash
# make demo: the stack and the services as local processes, the simulator's default scenario
# (background traffic plus one attack chain GB <- FR CGN <- FR subscriber relaying <- DE VPN
# <- US subscriber), a trace opened by GB, and GB's live view of the chain growing; then GB's
# preservation order on the trace's archived records and the signed evidence export, verified.
# On a terminal it runs until Ctrl-C; with CI=true or no terminal it prints plain lines and
# exits once the chain terminates (exit 0) or after DEMO_TIMEOUT seconds (exit 2).
# Everything it started is stopped on the way out.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
PATH="$("$root/deploy/tools/ensure-node.sh"):$PATH"
export KAFKAJS_NO_PARTITIONER_WARNING=1
# a demo: what a deployment must configure (tokens, keys) may be generated here
export CROSSTRACE_DEMO=1
# the gateway's API: HTTPS with the certificate stack.sh issues from the stack's CA (services.sh: base + 343)
gateway_api="https://127.0.0.1:$((${SERVICES_PORT_BASE:-9100} + 343))"
logs="$root/.stack/logs"; mkdir -p "$logs"
timeout_s="${DEMO_TIMEOUT:-240}"
interactive=""; [ -t 1 ] && [ "${CI:-}" != "true" ] && interactive=1
sim_pid=""

cleanup() {
  trap - EXIT INT TERM
  echo; echo "demo: stopping everything it started"
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
  "$root/deploy/local/services.sh" down || true
  # DEMO_KEEP_STACK=1 leaves Kafka, the registry and Redis up to inspect the windows afterwards
  [ -n "${DEMO_KEEP_STACK:-}" ] || "$root/deploy/local/stack.sh" down || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- tracing afterwards (issue 13) --------------------------------------------------------------
# One historical trace after the live one: the providers hand over their retained logs of a
# communication 10 days ago (the access sessions behind it started three weeks ago) through the
# normal pipeline (raw topics -> ingest -> archive; the correlator keeps them out of the live
# windows, which do not reach that far back), GB opens a trace for that time through the gateway
# as a jurisdiction would, and the chain resolves from the archive: each hop says from=archive.
historical_trace() {
  local truth_h="$root/.stack/ground-truth/historical.json" token req htrace out
  echo "demo: [history] the providers hand over their logs of a communication 10 days ago (sessions from 3 weeks ago): deploy/scenarios/historical.json, CROSSTRACE_SIMULATOR_PAST_MS"
  rm -f "$truth_h"
  CROSSTRACE_SIMULATOR_SCENARIO_FILE=deploy/scenarios/historical.json CROSSTRACE_SIMULATOR_PAST_MS=$((10 * 86400000)) CROSSTRACE_SIMULATOR_GROUND_TRUTH_FILE="$truth_h" \
    CROSSTRACE_SIMULATOR_PROGRESS=off CROSSTRACE_SIMULATOR_HTTP_PORT=0 KAFKA_CLIENT_PROPERTIES="$root/.stack/security/clients/simulator.properties" \
    node services/simulator/main.ts >"$logs/simulator-historical.log" 2>&1 || { echo "demo: the handover failed; see $logs/simulator-historical.log" >&2; return 1; }
  node -e 'const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const n = Object.values(t.run.produced).reduce((a, b) => a + b, 0); console.log(`demo: [history] ${n} records handed over (${Object.entries(t.run.produced).map(([k, v]) => `${k} ${v}`).join(", ")}); the communication: ${new Date(t.traces[0].request.observedTime).toISOString()}`)' "$truth_h"
  # the handover settles: ingest and the archive have caught up (their consumer lag, as each reports it)
  local base="${SERVICES_PORT_BASE:-9100}" lag
  for _ in $(seq 1 60); do
    lag="$(for port in $((base + 1)) $((base + 6)); do curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null; done | awk '/^crosstrace_[a-z]+_consumer_lag_messages/ { s += $NF } END { print s + 0 }')"
    [ "$lag" -lt 500 ] && break
    sleep 1
  done
  echo "demo: [history] ingest and the archive have caught up (consumer lag $lag)"
  token="$(cat .stack/partners/GB.gateway-token 2>/dev/null || sed -n 's/^GB:\([^,[:space:]]*\).*/\1/p' .stack/keys/gateway-tokens | head -n 1)"
  # the victim's report, as GB's 24/7 point of contact files it: what it saw, and when
  req="$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).traces[0].request; console.log([`--src=${r.srcAddr}:${r.srcPort}`, `--dst=${r.dstAddr}:${r.dstPort}`, `--proto=${r.protocol}`, `--observed=${new Date(r.observedTime).toISOString()}`, `--tolerance-ms=${r.toleranceMs}`, `--legal-basis=${r.legalBasis}`, `--case=${r.caseReference}`].join(" "))' "$truth_h")"
  # shellcheck disable=SC2086 # $req is a list of --flag=value words without spaces
  htrace="$(bin/crosstrace trace open --gateway "$gateway_api" --gateway-ca .stack/security/ca.pem --token="$token" $req)" || { echo "demo: opening the historical trace failed" >&2; return 1; }
  echo "demo: [history] GB opened trace $htrace for that time: crosstrace trace open $req"
  # every hop of a communication 10 days ago has ended, so the chain is ENDED (which --until-terminal
  # counts as terminal) while it still grows: watch until it reaches the subscriber instead
  out="$logs/watch-historical.log"; : >"$out"
  KAFKA_CLIENT_PROPERTIES=.stack/partners/GB.properties bin/crosstrace watch --jurisdiction GB --trust .stack/keys/node-ed25519.pem.pub --trace "$htrace" --timeout 180 --plain >"$out" 2>"$logs/watch-historical.err" &
  local watch_pid=$! shown=0 total
  while :; do
    total="$(wc -l <"$out")"
    [ "$total" -gt "$shown" ] && { sed -n "$((shown + 1)),${total}p" "$out"; shown=$total; }
    grep -q 'status=TERMINATED_AT_SUBSCRIBER' "$out" && break
    kill -0 "$watch_pid" 2>/dev/null || { echo "demo: the historical chain did not reach the subscriber; see .stack/logs/" >&2; return 1; }
    sleep 1
  done
  kill "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null
  grep -q 'from=archive' "$out" || { echo "demo: no hop of the historical chain came from the archive" >&2; return 1; }
  echo "demo: [history] the chain of a communication 10 days ago resolved from the archive (hops marked from=archive)"
  # against the handover's ground truth, hop by hop, as the live chain
  CROSSTRACE_API_CA=.stack/security/ca.pem node deploy/local/chain-vs-truth.ts "$truth_h" "$gateway_api" .stack/partners "$htrace" | sed 's/^chain-vs-truth/demo: [history]/' || return 1
}
# ---- end of tracing afterwards -------------------------------------------------------------------

echo "demo: [1/4] Kafka, schema registry, Redis and PostgreSQL as local processes"
"$root/deploy/local/stack.sh" up
set -a; eval "$("$root/deploy/local/stack.sh" env)"; set +a
# Each partner gets its own credentials, fresh for this run (remove revokes the earlier ones):
# SCRAM user partner-<CC> reading trace.updates.<CC> only, and a gateway token.
partners=(GB FR DE US JP)
bin/crosstrace admin partner remove "${partners[@]}" --out .stack/partners 2>/dev/null || true
bin/crosstrace admin partner add "${partners[@]}" --out .stack/partners 2>"$logs/partners.log" ||
  { echo "demo: onboarding the partners failed:" >&2; cat "$logs/partners.log" >&2; exit 1; }
echo "demo: partners ${partners[*]} onboarded: .stack/partners/<CC>.properties (SASL_SSL, SCRAM-SHA-512, its own topic only) and <CC>.gateway-token"

# --- DEMO_WIRE=1 (issue 15): the simulator's devices send IPFIX (flows, port blocks) and RADIUS
# accounting (access sessions) over UDP to the collector instead of producing Avro; VPN
# sessions have no wire form in the collector and stay on Avro. Each device sends from its own
# loopback address, which the registry the services run with lists (.stack/wire/providers.json).
sim_wire=()
if [ "${DEMO_WIRE:-}" = 1 ]; then
  node services/simulator/wire-devices.ts deploy/providers.json "$root/.stack/wire" >/dev/null
  for svc in INGEST CORRELATOR TRACER ARCHIVE; do export "CROSSTRACE_${svc}_PROVIDERS_FILE=$root/.stack/wire/providers.json"; done
  # the collector's ports as services.sh sets them
  sim_wire=(CROSSTRACE_SIMULATOR_OUTPUT=wire "CROSSTRACE_SIMULATOR_WIRE_DEVICES_FILE=$root/.stack/wire/devices.json"
    "CROSSTRACE_SIMULATOR_IPFIX_PORT=$((${SERVICES_PORT_BASE:-9100} + 147))" "CROSSTRACE_SIMULATOR_RADIUS_PORT=$((${SERVICES_PORT_BASE:-9100} + 113))")
  echo "demo: DEMO_WIRE=1: flows and port blocks as IPFIX, access sessions as RADIUS accounting, to the collector (VPN sessions stay Avro)"
fi
# --- end DEMO_WIRE

echo "demo: [2/4] services (ingest, correlator, tracer, gateway, archive, collector)"
# fresh consumer groups positioned at the end of the topics: an earlier run's backlog is not
# replayed; services.sh waits until each has joined, so nothing the simulator sends is missed
"$root/deploy/local/services.sh" down >/dev/null 2>&1 || true
run_id="demo-$(date +%s)"
for svc in INGEST CORRELATOR TRACER; do
  export "CROSSTRACE_${svc}_GROUP_ID=crosstrace-${svc,,}-$run_id" "CROSSTRACE_${svc}_FROM_BEGINNING=false"
done
"$root/deploy/local/services.sh" up

echo "demo: [3/4] simulator: deploy/scenarios/default.json; it opens the trace as GB would (log: .stack/logs/simulator.log)"
truth="$root/.stack/ground-truth/default.json"
rm -f "$truth"
CROSSTRACE_SIMULATOR_GROUND_TRUTH_FILE="$truth" CROSSTRACE_SIMULATOR_OPEN_TRACE=true CROSSTRACE_SIMULATOR_PROGRESS=plain CROSSTRACE_SIMULATOR_HTTP_PORT=$((${SERVICES_PORT_BASE:-9100} + 5)) \
  CROSSTRACE_SIMULATOR_DURATION_MS="$(( (timeout_s + 60) * 1000 ))" \
  KAFKA_CLIENT_PROPERTIES="$root/.stack/security/clients/simulator.properties" env "${sim_wire[@]}" nohup node services/simulator/main.ts >"$logs/simulator.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 60); do [ -s "$truth" ] && break; kill -0 "$sim_pid" 2>/dev/null || break; sleep 0.5; done
[ -s "$truth" ] || { echo "demo: the simulator wrote no ground truth; last lines of its log:" >&2; tail -n 20 "$logs/simulator.log" >&2; exit 1; }
trace_id="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).traces[0].traceId)' "$truth")"
echo "demo: the attack's trace will be $trace_id; the true chain is in .stack/ground-truth/default.json"

echo "demo: [4/4] GB's view (the requesting jurisdiction) with GB's own credentials, verified: signatures and audit chain"
if [ -n "$interactive" ]; then
  echo "demo: Ctrl-C stops everything"
  sleep 1
  KAFKA_CLIENT_PROPERTIES=.stack/partners/GB.properties bin/crosstrace watch --jurisdiction GB --trust .stack/keys/node-ed25519.pem.pub --trace "$trace_id"
else
  set +e
  KAFKA_CLIENT_PROPERTIES=.stack/partners/GB.properties bin/crosstrace watch --jurisdiction GB --trust .stack/keys/node-ed25519.pem.pub --trace "$trace_id" --until-terminal --timeout "$timeout_s" --plain
  rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then
    for cc in FR DE US; do
      echo "demo: what $cc sees of the same trace (only its own part):"
      KAFKA_CLIENT_PROPERTIES=".stack/partners/$cc.properties" bin/crosstrace watch --jurisdiction "$cc" --trust .stack/keys/node-ed25519.pem.pub --trace "$trace_id" --until-terminal --timeout 20 --plain | tail -n 2 || true
    done
    echo "demo: the chain terminated at the subscriber while the communication was still going on"
    # the chain against the simulator's ground truth, hop by hop (the same check with and without DEMO_WIRE)
    CROSSTRACE_API_CA=.stack/security/ca.pem node deploy/local/chain-vs-truth.ts "$truth" "$gateway_api" .stack/partners | sed 's/^chain-vs-truth/demo/' || rc=1
    echo "demo: GB places a preservation order on the trace's records (Budapest Art. 16/29, 90 days) and exports the signed evidence"
    gb_token="$(cat .stack/partners/GB.gateway-token 2>/dev/null || sed -n 's/^GB:\([^,[:space:]]*\).*/\1/p' .stack/keys/gateway-tokens | head -n 1)"
    pinned=""
    for _ in $(seq 1 20); do # the archive writes the records within seconds; re-opening re-pins
      # over HTTPS: the gateway's certificate is checked against the stack's CA
      order="$(bin/crosstrace preserve open "$trace_id" --gateway "$gateway_api" --gateway-ca .stack/security/ca.pem --token="$gb_token")" || { rc=1; break; }
      pinned="$(node -e 'const o = JSON.parse(process.argv[1]); if (o.preserved.flows > 0 && o.preserved.sessions > 0) console.log(`${o.preserved.sessions} session and ${o.preserved.flows} flow records, until ${new Date(o.expiresAt).toISOString()}`)' "$order")"
      [ -n "$pinned" ] && break
      sleep 1
    done
    if [ -n "$pinned" ]; then
      echo "demo: preserved $pinned"
      evidence="$root/.stack/evidence/$trace_id"; rm -rf "$evidence"
      bin/crosstrace evidence export "$trace_id" --out "$evidence" && bin/crosstrace evidence verify "$evidence" || rc=1
      [ "$rc" -eq 0 ] && { historical_trace || rc=1; } # tracing afterwards (issue 13)
    else
      echo "demo: the preservation order pinned no records"; rc=1
    fi
  else
    echo "demo: the chain did not terminate within ${timeout_s}s (exit $rc); see .stack/logs/"
  fi
  exit "$rc"
fi
