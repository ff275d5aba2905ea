#!/usr/bin/env bash
# Runs the `integration` vitest project against a real Kafka, schema registry and Redis, preparing
# what this machine needs first:
#   - KAFKA_BROKERS, SCHEMA_REGISTRY_URL and REDIS_URL all set: tests use them, nothing prepared;
#   - a Docker engine answers (DOCKER_HOST or /var/run/docker.sock): testcontainers with the
#     official images (or CROSSTRACE_*_IMAGE);
#   - otherwise, on Linux: rootful Podman (deploy/podman/setup.sh) and locally built images
#     (deploy/podman/build-images.sh), exported as CROSSTRACE_{KAFKA,REGISTRY,REDIS}_IMAGE;
#     when that fails, the local-process stack (deploy/local/stack.sh), said in one line.
# CROSSTRACE_STACK=external|testcontainers|local skips the choice. Arguments go to vitest.
# Redis and redis-cli are installed when missing (root + apt): the local stack and its smoke
# test run in every mode but external; so are softflowd and radclient (freeradius-utils), the
# real exporters the collector is tested against, openssl (the development CA and
# certificates), kcat (test/security.test.ts checks the ACLs with Debian's librdkafka too) and
# python3-confluent-kafka + python3-avro + python3-cryptography (test/python-partner.test.ts: a
# partner in Python, no project code, verifies what we publish).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
PATH="$("$ROOT/deploy/tools/ensure-node.sh"):$ROOT/node_modules/.bin:$PATH"
export PATH KAFKAJS_NO_PARTITIONER_WARNING=1
say() { echo "integration: $*" >&2; }

ping_api() { # ping_api DOCKER_HOST: a Docker-compatible API answers /_ping
  case "$1" in
    unix://*) [ -S "${1#unix://}" ] && curl -fsS --max-time 3 --unix-socket "${1#unix://}" http://d/_ping >/dev/null 2>&1 ;;
    tcp://*) [ -n "${DOCKER_TLS_VERIFY:-}" ] || curl -fsS --max-time 3 "http://${1#tcp://}/_ping" >/dev/null 2>&1 ;;
    *) return 1 ;;
  esac
}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi; }

ensure_local_stack_packages() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  # real exporters the collector's tests run against
  command -v softflowd >/dev/null 2>&1 || [ -x /usr/sbin/softflowd ] || missing+=(softflowd)
  command -v radclient >/dev/null 2>&1 || missing+=(freeradius-utils)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v kcat >/dev/null 2>&1 || missing+=(kcat)
  # Debian's Python packages, for Debian's python3 (not whatever python3 is first on PATH)
  local pkg
  for pkg in confluent_kafka:python3-confluent-kafka avro:python3-avro cryptography:python3-cryptography; do
    [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import ${pkg%%:*}" 2>/dev/null || missing+=("${pkg#*:}")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  if command -v apt-get >/dev/null 2>&1 && as_root true; then
    say "installing ${missing[*]} (the local-process stack and the security test need them)"
    as_root apt-get update -qq >&2 && as_root env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 && return 0
  fi
  say "missing ${missing[*]}: the local-process stack and its smoke test will fail; install them"
}

external=0
if [ -n "${KAFKA_BROKERS:-}" ] && [ -n "${SCHEMA_REGISTRY_URL:-}" ] && [ -n "${REDIS_URL:-}" ]; then external=1; fi

if [ "${CROSSTRACE_STACK:-}" = external ] || { [ -z "${CROSSTRACE_STACK:-}" ] && [ "$external" = 1 ]; }; then
  say "using the external stack from KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL"
else
  ensure_local_stack_packages
  docker_engine=""
  for h in ${DOCKER_HOST:-} unix:///var/run/docker.sock; do
    if ping_api "$h" && ! [[ "$h" == *podman* ]]; then docker_engine="$h"; break; fi
  done
  if [ -n "${CROSSTRACE_STACK:-}" ]; then
    say "CROSSTRACE_STACK=$CROSSTRACE_STACK"
  elif [ -n "$docker_engine" ]; then
    say "a Docker engine answers at $docker_engine: testcontainers with ${CROSSTRACE_KAFKA_IMAGE:-official images}"
  elif [ "$(uname -s)" != Linux ]; then
    say "no Docker engine answers and Podman setup is Linux-only: falling back to the local-process stack"
    export CROSSTRACE_STACK=local
  elif ! podman_out="$(as_root "$ROOT/deploy/podman/setup.sh")"; then
    say "Podman setup failed (the line above says why): falling back to the local-process stack"
    export CROSSTRACE_STACK=local
  else
    export DOCKER_HOST="${podman_out##*DOCKER_HOST=}"
    if images="$(as_root "$ROOT/deploy/podman/build-images.sh")"; then
      while IFS='=' read -r k v; do
        case "$k" in CROSSTRACE_KAFKA_IMAGE | CROSSTRACE_REGISTRY_IMAGE | CROSSTRACE_REDIS_IMAGE | CROSSTRACE_POSTGRES_IMAGE) export "$k=${!k:-$v}" ;; esac
      done <<<"$images"
      say "Podman at $DOCKER_HOST with $CROSSTRACE_KAFKA_IMAGE, $CROSSTRACE_REGISTRY_IMAGE, $CROSSTRACE_REDIS_IMAGE, ${CROSSTRACE_POSTGRES_IMAGE:-postgres:15}"
    else
      say "building the local images failed (see above): falling back to the local-process stack"
      unset DOCKER_HOST
      export CROSSTRACE_STACK=local
    fi
  fi
fi

exec vitest run --project integration "$@"
