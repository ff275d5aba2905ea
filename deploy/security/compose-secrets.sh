#!/usr/bin/env bash
# The passwords docker-compose.yml must not hold, made once (kept on later runs) under
# OUT (default .stack/compose, ignored by git) by compose-init.sh, each in an env file that
# compose reads on the host (`env_file:`), mode 0600:
#   postgres/postgres.env  POSTGRES_PASSWORD            (the postgres service; first start of its volume)
#   postgres/registry.env  REGISTRY_DATASOURCE_PASSWORD (Apicurio's SQL storage)
#   postgres/database.env  DATABASE_URL                 (tracer, archive, gateway: the history store)
#   grafana/grafana.env    GF_SECURITY_ADMIN_PASSWORD   (Grafana's `admin`; the password is also in grafana/admin.password)
# A postgres volume made before keeps the password it was made with: remove the volume (or
# ALTER USER) when moving an old stack to these files.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/.stack/compose}"
umask 077
secret() { [ -s "$1" ] || head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$1"; cat "$1"; }
mkdir -p "$out/postgres" "$out/grafana"
pg="$(secret "$out/postgres/password")"
printf 'POSTGRES_PASSWORD=%s\n' "$pg" >"$out/postgres/postgres.env"
printf 'REGISTRY_DATASOURCE_PASSWORD=%s\n' "$pg" >"$out/postgres/registry.env"
printf 'DATABASE_URL=postgres://crosstrace:%s@postgres:5432/crosstrace\n' "$pg" >"$out/postgres/database.env"
printf 'GF_SECURITY_ADMIN_PASSWORD=%s\n' "$(secret "$out/grafana/admin.password")" >"$out/grafana/grafana.env"
chmod 600 "$out/postgres/"* "$out/grafana/"*
echo "compose-secrets: PostgreSQL and Grafana passwords in ${out#"$root"/}/postgres and ${out#"$root"/}/grafana (Grafana login: admin / grafana/admin.password)" >&2
