#!/usr/bin/env bash
# Run once before `docker compose up`: makes the development CA, the broker certificate and
# the secured broker configuration in .stack/compose/ (ignored by git), which docker-compose.yml
# mounts: kafka/ into the broker at /etc/crosstrace, and kafka/ + admin.properties into the
# one-shot `acl-init` service that applies deploy/security/acls.json and writes each principal's
# client properties into the `kafka-clients` volume (<name>/client.properties: each service mounts
# its own folder only); Redis's ACL users (redis/); gateway/ holds
# the gateway's API certificate (signed by the same CA: clients trust kafka/ca.pem) and its tokens
# file, one token per jurisdiction, made once (hand each partner its line); the PostgreSQL and
# Grafana passwords (compose-secrets.sh). Real deployments bring their own CA.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/.stack/compose}"
"$root/deploy/security/kafka-container-config.sh" "$out" kafka:9092 kafka:9095
(umask 077; printf '%s\n' bootstrap.servers=kafka:9092 security.protocol=SASL_SSL sasl.mechanisms=SCRAM-SHA-512 \
  sasl.username=admin "sasl.password=$(cat "$out/admin.password")" ssl.ca.location=/etc/crosstrace/ca.pem >"$out/admin.properties")
# the acl-init container runs as the image's user `node` (uid 1000)
chmod 644 "$out/admin.properties"
# Redis: the admin (default user) and each service's ACL user from deploy/security/redis-users.json,
# by password hash in redis/users.conf (mounted into Redis), each service's REDIS_URL in
# redis/<service>.env (its env_file)
mkdir -p "$out/redis"
[ -s "$out/redis/admin.password" ] || (umask 077; head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$out/redis/admin.password")
"$("$root/deploy/tools/ensure-node.sh")/node" "$root/services/common/redis-acl.ts" "$root/deploy/security/redis-users.json" "$out/redis" "$out/redis/admin.password" >"$out/redis/users.conf"
chmod 644 "$out/redis/users.conf"
for f in "$out"/redis/redis-*.password; do
  name="$(basename "$f" .password)"; name="${name#redis-}"
  (umask 077; printf 'REDIS_URL=redis://%s:%s@redis:6379\n' "$name" "$(cat "$f")" >"$out/redis/$name.env")
done
"$root/deploy/security/compose-secrets.sh" "$out"
gw="$out/gateway"
mkdir -p "$gw"
cp "$out/kafka/ca.pem" "$gw/ca.pem" 2>/dev/null || cp "$out/pki/ca.pem" "$gw/ca.pem"
"$root/deploy/security/server-cert.sh" "$out/pki" gateway
cp "$out/pki/gateway.pem" "$out/pki/gateway.key" "$gw/"
# a partner's token, URL-safe base64 of 32 random bytes, never starting with '-' (a command line
# takes `--token -abc` for an option: services/common/secret-text.ts draws the same way)
token() { local t=-; while [[ "$t" == -* ]]; do t="$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"; done; printf '%s' "$t"; }
if [ ! -s "$gw/gateway-tokens" ]; then
  (umask 077; for cc in GB FR DE US JP; do printf '%s:%s\n' "$cc" "$(token)"; done | paste -sd, - >"$gw/gateway-tokens")
fi
# the gateway runs as `node` (uid 1000) too: its key and tokens are that user's only
if [ "$(id -u)" = 0 ]; then chown -R 1000:1000 "$gw"; chmod 600 "$gw/gateway.key" "$gw/gateway-tokens"; else chmod 644 "$gw/gateway.key" "$gw/gateway-tokens"; fi
echo "compose-init: broker configuration in ${out#"$root"/}/kafka, admin client properties in ${out#"$root"/}/admin.properties; now: docker compose up -d" >&2
