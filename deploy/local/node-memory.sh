# shellcheck shell=bash
# Memory settings of every crosstrace service on this machine: sourced by services.sh (the
# services) and bench.sh (the stages bench/profile starts), so benches measure what runs. The
# Dockerfile sets the same ENV (deploy/compose.test.ts checks they agree). Measured in issue 14
# (bench/drain-memory.ts, bench/ROUNDS.md round 4): draining a 200k-event backlog,
#  - glibc malloc with two arenas and a fixed mmap threshold: the large Buffers kafkajs and TLS
#    allocate and free go back to the OS instead of fragmenting arenas (malloc 55-105 -> 37-59 MiB);
#  - V8's semi-space capped at 16 MiB: Node 24 let the young generation grow to 128 MiB on this
#    machine (the heap limit scales with RAM), most of it empty after each scavenge; capped,
#    ingest's peak RSS 530 -> 390 MiB, CPU per record the same within the noise.
#  - V8's old space grows to twice what its last full GC kept (CROSSTRACE_HEAP_GROWING_PERCENT,
#    applied by each service at start, services/common/heap-growth.ts; V8's own choice on this
#    24 GiB machine lets it reach ~4x): draining 200k events, peak RSS ingest 318-359 -> 232-259,
#    archive 299-365 -> 247-251, correlator 367-403 -> 252-258 MiB, at +17-30 % CPU per record
#    (medians; bench/ROUNDS.md round 10). Empty or 0 gives V8 its own choice back.
# A value already in the environment wins (NODE_OPTIONS: ours first, the caller's flags after).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}"
export CROSSTRACE_HEAP_GROWING_PERCENT="${CROSSTRACE_HEAP_GROWING_PERCENT-100}"
case " ${NODE_OPTIONS:-} " in *" --max-semi-space-size"*) ;; *) export NODE_OPTIONS="--max-semi-space-size=16${NODE_OPTIONS:+ $NODE_OPTIONS}" ;; esac
