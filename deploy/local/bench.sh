#!/usr/bin/env bash
# make bench: every benchmark under bench/ against the local stack, a table of the figures,
# and the same in bench/results/latest.json. Progress is printed as each step starts.
#   BENCH_QUICK=1  smaller runs (for a smoke check of the bench itself)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
PATH="$("$root/deploy/tools/ensure-node.sh"):$PATH"
export KAFKAJS_NO_PARTITIONER_WARNING=1 NODE_NO_WARNINGS=1
# the services' memory settings, for the stages the benches start too (bench/profile, drain-memory)
# shellcheck source=node-memory.sh
. "$root/deploy/local/node-memory.sh"
out="$root/.stack/bench"; mkdir -p "$out" "$root/bench/results"
quick="${BENCH_QUICK:-}"
n() { if [ -n "$quick" ]; then echo "$2"; else echo "$1"; fi; }

"$root/deploy/local/stack.sh" up
set -a; eval "$("$root/deploy/local/stack.sh" env)"; set +a
# what earlier runs left in Redis slows every step (windows are kept for a day); say so
# (redis-cli -u with the stack's URL, redis://:password@host:port, sends AUTH "" password and is
# refused: the password goes in REDISCLI_AUTH, off the command line, host and port as options)
redis_hostport="${REDIS_URL#*://}"; redis_hostport="${redis_hostport##*@}"; redis_hostport="${redis_hostport%%/*}"
redis_user=(); redis_pw=""
case "$REDIS_URL" in *@*) redis_pw="${REDIS_URL#*://}"; redis_pw="${redis_pw%@*}"; [ -n "${redis_pw%%:*}" ] && redis_user=(--user "${redis_pw%%:*}"); redis_pw="${redis_pw#*:}" ;; esac
redis_mb="$(REDISCLI_AUTH="$redis_pw" redis-cli "${redis_user[@]}" -h "${redis_hostport%:*}" -p "${redis_hostport##*:}" info memory 2>/dev/null | sed -n 's/^used_memory:\([0-9]*\).*/\1/p' | awk '{ printf "%d", $1 / 1048576 }' || true)"
if [ "${redis_mb:-0}" -gt 512 ]; then
  echo "bench: note: Redis already holds ${redis_mb} MiB from earlier runs; the figures below assume a fresh stack (make stack-down; make bench)"
fi
# the throughput steps run alone; the services (separate processes) start for the latency steps
"$root/deploy/local/services.sh" down >/dev/null 2>&1 || true

steps=(
  "kafkajs over SASL_SSL: connect, produce, consume (BENCH_PLAINTEXT_BROKERS adds a PLAINTEXT broker to compare)|node bench/kafka-security.bench.ts $(n 100000 20000) 500"
  "ingest decode+validate, 1 core|node bench/ingest-decode.bench.ts $(n 300000 50000)"
  "ingest through the running service|node bench/ingest-pipeline.bench.ts $(n 200000 30000)"
  "ingest and the correlator profiled next to their ceilings (bare kafkajs passthrough, bare Redis), same backlog, and 2 instances of each in one group|env PROFILE_SCALE=2 node bench/profile.ts $(n 200000 30000)"
  "correlator window indexing, index-many|node bench/correlate-index.bench.ts $(n 300000 50000) 1000 500 2 0"
  "correlator window indexing, one script per event (Redis Cluster)|node bench/correlate-index.bench.ts $(n 300000 50000) 1000 500 2 1"
  "ingest's dedupe memory: Redis bytes and CPU per remembered id, next to a bucketed layout at several fills (measured, not adopted)|node bench/dedupe.bench.ts $(n 300000 50000)"
  "the correlator's wake path: windows holding 0 (the ceiling), 10 and 100 open waiters each|node bench/correlate-wakes.bench.ts $(n 10000 2000) 0,10,100"
  "the archive and PostgreSQL, CPU per archived record at a live 5k events/s, next to a bare pg client writing the same rows|node bench/archive-service.bench.ts $(n 100000 20000) 5000"
  "window rebuild from Kafka (Redis lost)|node bench/rebuild.bench.ts $(n 300000 50000) 5000"
  "collector decode IPFIX / NetFlow v9 / RADIUS, 1 core|node bench/collector-decode.bench.ts $(n 1000000 100000)"
  "collector through the service to Kafka, next to a bare-kafkajs ceiling|node bench/collector-pipeline.bench.ts $(n 300000 60000) 30000"
  "the services' consumer groups start at the end of their topics (the steps above left their own backlogs there)|node bench/services-at-end.ts"
  "start the services|env CROSSTRACE_GATEWAY_TOKENS=${CROSSTRACE_GATEWAY_TOKENS:-GB:bench-token-$RANDOM$RANDOM$RANDOM} deploy/local/services.sh up"
  "end-to-end latency swept over 1k, 2k, 5k, 10k events/s background, per stage, next to the decisive path's floor (bare kafkajs through the same hops and transaction, same run), and the highest rate with p99 <= 100 ms|env CROSSTRACE_BENCH_SERVICES=running node bench/correlate-latency.bench.ts 1000,2000,5000,10000 $(n 40 10)"
  "RSS of every service after the 10k events/s run (heap, external, the rest)|node bench/service-memory.ts"
  "the broker's CPU and requests by API, Redis' CPU by command and the window parts' sizes, at 5k raw events/s through the running pipeline (after the sweep; its backlog printed)|env BROKER_LOAD_RATE=5000 node bench/broker-cpu.ts $(n 30 10) pipeline-5k"
  "history store (PostgreSQL) load and lookups|node bench/archive.bench.ts $(n 2000000 100000) $(n 500000 20000) $(n 2000 200)"
  "relay timing accuracy and speed|node --expose-gc bench/relay-timing.bench.ts $(n 1000 100)"
  "stop the services|deploy/local/services.sh down"
  "hop precision/recall against the simulator's ground truth|node bench/accuracy.bench.ts $(n 300,3000 300) $(n default,jp-detnat,late-evidence default)"
  "accuracy per failure class, record scenarios (deploy/scenarios/records)|node bench/record-accuracy.bench.ts"
)
: >"$out/results.jsonl"
# what the stack holds after each step (Redis, PostgreSQL, the broker's logs): the later steps
# run on what the earlier ones left (bench/stack-state.ts); one JSON line per step
: >"$out/stack-state.jsonl"
node bench/stack-state.ts 0 2>/dev/null | sed 's/^/    /' || true
i=0
for step in "${steps[@]}"; do
  i=$((i + 1)); name="${step%%|*}"; cmd="${step#*|}"
  echo "bench: [$i/$((${#steps[@]} + 1))] $name ..."
  t0=$SECONDS
  # shellcheck disable=SC2086
  $cmd 2>"$out/step-$i.err" | tee "$out/step-$i.log" | grep -v '^RESULT ' | sed 's/^/    /'
  grep '^RESULT ' "$out/step-$i.log" | sed 's/^RESULT //' >>"$out/results.jsonl" || true
  echo "bench:     done in $((SECONDS - t0)) s"
  node bench/stack-state.ts "$i" 2>/dev/null | sed 's/^/    /' || true
done

i=$((i + 1))
echo "bench: [$i/$i] raw Kafka consume rate (Java ConsumerPerformance from the same Kafka jars) ..."
libs="$(ls -d "$root"/.cache/kafka-*/libs | head -1)"
# the same credentials as the rest of the bench (SASL_SSL as the admin), in Java's own terms
java_conf="$out/java-client.properties"
if [ -n "${KAFKA_CLIENT_PROPERTIES:-}" ]; then (umask 077; "$root/deploy/security/java-client-properties.sh" "$KAFKA_CLIENT_PROPERTIES" >"$java_conf"); else : >"$java_conf"; fi
perf="$(java -Xmx512m -cp "$libs/*" org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$KAFKA_BROKERS" --command-config "$java_conf" \
  --topic flows.raw --num-records "$(n 500000 100000)" --group "bench-perf-$RANDOM" --timeout 30000 2>/dev/null | tail -n 1)"
echo "    $perf"
echo "$perf" | awk -F', ' '{ printf "{\"name\":\"kafka-java-consume\",\"messages\":%d,\"messagesPerSec\":%d,\"MBPerSec\":%.1f}\n", $5, $6, $4 }' >>"$out/results.jsonl"

node -e '
const fs = require("fs");
const rows = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
const kafka = rows.find((r) => r.name === "kafka-java-consume");
const ingest = rows.find((r) => r.name === "ingest-pipeline");
if (kafka && ingest) rows.push({ name: "pipeline-vs-kafka", ingestEventsPerSec: ingest.eventsPerSec, kafkaMessagesPerSec: kafka.messagesPerSec, ratio: +(ingest.eventsPerSec / kafka.messagesPerSec).toFixed(3) });
const doc = { date: new Date().toISOString(), cores: require("os").cpus().length, node: process.version, results: rows };
fs.writeFileSync(process.argv[2], JSON.stringify(doc, null, 1) + "\n");
console.log("\nbench results (" + doc.cores + " cores; broker, registry, Redis and services on this machine)");
for (const r of rows) { const { name, ...f } = r; console.log("  " + name.padEnd(24) + Object.entries(f).map(([k, v]) => k + "=" + v).join("  ")); }
console.log("written to bench/results/latest.json");
' "$out/results.jsonl" "$root/bench/results/latest.json"
node deploy/local/bench-aims.ts "$root/bench/results/latest.json"
