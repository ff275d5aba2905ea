#!/usr/bin/env bash
# Run once before `docker compose up`: makes the development CA, the broker certificate and
# the secured broker configuration in .stack/compose/ (ignored by git), which docker-compose.yml
# mounts: kafka/ into the broker at /etc/crosstrace, and kafka/ + admin.properties into the
# one-shot `acl-init` service that applies deploy/security/acls.json and writes each service's
# client properties into the `kafka-clients` volume. Real deployments bring their own CA.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/.stack/compose}"
"$root/deploy/security/kafka-container-config.sh" "$out" kafka:9092 kafka:9095
(umask 077; printf '%s\n' bootstrap.servers=kafka:9092 security.protocol=SASL_SSL sasl.mechanisms=SCRAM-SHA-512 \
  sasl.username=admin "sasl.password=$(cat "$out/admin.password")" ssl.ca.location=/etc/crosstrace/ca.pem >"$out/admin.properties")
# the acl-init container runs as the image's user `node` (uid 1000)
chmod 644 "$out/admin.properties"
echo "compose-init: broker configuration in ${out#"$root"/}/kafka, admin client properties in ${out#"$root"/}/admin.properties; now: docker compose up -d" >&2
