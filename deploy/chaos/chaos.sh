#!/usr/bin/env bash
# make chaos: the local-process stack (started if needed, stopped at the end if this run started
# it, unless CHAOS_KEEP_STACK=1), then deploy/chaos/main.ts (the faults, the checks, the table).
# Its settings (CHAOS_RATE, CHAOS_CHAINS, ...) are described at the top of main.ts.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
PATH="$("$root/deploy/tools/ensure-node.sh"):$PATH"
export KAFKAJS_NO_PARTITIONER_WARNING=1
mkdir -p .stack/chaos
started_stack=""
deploy/local/stack.sh status 2>/dev/null | grep -q '^kafka  *running' || started_stack=1
cleanup() {
  deploy/local/services.sh down >/dev/null 2>&1 || true
  if [ -n "$started_stack" ] && [ -z "${CHAOS_KEEP_STACK:-}" ]; then deploy/local/stack.sh down >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
deploy/local/stack.sh up
deploy/local/stack.sh env >.stack/chaos/stack.env
node --disable-warning=ExperimentalWarning deploy/chaos/main.ts
