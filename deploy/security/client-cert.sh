#!/usr/bin/env bash
# A TLS client certificate for the broker's SSL (mutual TLS) listener, signed by the CA in
# CA_DIR (ca.pem + ca.key, as deploy/security/dev-pki.sh makes them). The broker maps only
# CN=partner-<CC>.c<serial> and CN=exporter-<id> to a principal (ssl.principal.mapping.rules),
# so this is for partners whose librdkafka cannot do SCRAM with Kafka 4 (older than 2.6.1, e.g.
# Debian 12's kcat). `admin partner add` names each certificate after its serial: every
# certificate is a principal of its own, whose bindings revoke it.
#
#   client-cert.sh CA_DIR CN OUT_PREFIX [DAYS] [SERIAL_HEX]
#     writes OUT_PREFIX.crt.pem, OUT_PREFIX.key.pem (600); SERIAL_HEX defaults to 128 random bits
# DAYS defaults to 90: Kafka checks no revocation list, so a certificate stays valid until it
# expires — its principal's ACLs are what `admin partner add|remove` take away at once.
set -euo pipefail
ca="${1:?usage: client-cert.sh CA_DIR CN OUT_PREFIX [DAYS] [SERIAL_HEX]}" cn="${2:?CN}" out="${3:?OUT_PREFIX}" days="${4:-90}" serial="${5:-}"
[[ "$cn" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "client-cert: CN must be [A-Za-z0-9._-]+, got: $cn" >&2; exit 1; }
[ -z "$serial" ] || [[ "$serial" =~ ^[0-9a-f]{1,40}$ ]] || { echo "client-cert: SERIAL_HEX must be lower-case hex, got: $serial" >&2; exit 1; }
[ -s "$ca/ca.pem" ] && [ -s "$ca/ca.key" ] || { echo "client-cert: no ca.pem + ca.key in $ca" >&2; exit 1; }
umask 077
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/key.pem" 2>/dev/null
openssl req -new -key "$tmp/key.pem" -subj "/O=crosstrace/CN=$cn" -out "$tmp/csr.pem"
printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n' >"$tmp/ext"
openssl x509 -req -in "$tmp/csr.pem" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" -set_serial "0x${serial:-$(openssl rand -hex 16)}" \
  -days "$days" -extfile "$tmp/ext" -out "$tmp/crt.pem" 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in "$tmp/key.pem" -out "$out.key.pem"
cp "$tmp/crt.pem" "$out.crt.pem"
chmod 600 "$out.key.pem"
