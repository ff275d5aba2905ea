#!/usr/bin/env bash
# Development PKI: a private CA and a broker certificate signed by it, for the local stack,
# the testcontainers broker and docker compose. Real deployments bring their own CA and
# certificates; nothing generated here is ever committed (it lands in an ignored folder).
#
#   dev-pki.sh OUTDIR [SAN...]     SAN: DNS:name or IP:address (added to the defaults)
#
# Writes, when missing (an existing CA is kept, so clients that trust it keep working):
#   OUTDIR/ca.pem          CA certificate (public: what clients put in ssl.ca.location)
#   OUTDIR/ca.key          CA private key (mode 600)
#   OUTDIR/broker.pem      broker PKCS#8 private key + certificate chain, in one PEM file, which
#                          Kafka reads as ssl.keystore.type=PEM (mode 600)
#   OUTDIR/broker-cert.pem the broker certificate alone
# The broker certificate is re-issued when the SANs asked for are not all in it.
# Defaults: DNS:localhost, DNS:kafka (compose), IP:127.0.0.1, IP:::1. Valid 825 days.
set -euo pipefail
out="${1:?usage: dev-pki.sh OUTDIR [DNS:name|IP:addr ...]}"; shift
command -v openssl >/dev/null 2>&1 || { echo "dev-pki: openssl not found; apt-get install -y openssl" >&2; exit 1; }
sans=(DNS:localhost DNS:kafka IP:127.0.0.1 IP:0:0:0:0:0:0:0:1 "$@")
san_list="$(IFS=,; echo "${sans[*]}")"
mkdir -p "$out"
chmod 700 "$out"
umask 077

if [ ! -s "$out/ca.pem" ] || [ ! -s "$out/ca.key" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/O=crosstrace development/CN=crosstrace dev CA $(date -u +%Y%m%dT%H%M%SZ)" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$out/ca.key" -out "$out/ca.pem" 2>/dev/null
  chmod 644 "$out/ca.pem"
  rm -f "$out/broker.pem" "$out/broker-cert.pem"
fi

has_all_sans() {
  local text want
  [ -s "$out/broker.pem" ] && [ -s "$out/broker-cert.pem" ] || return 1
  text="$(openssl x509 -in "$out/broker-cert.pem" -noout -ext subjectAltName 2>/dev/null | tr -d ' \n')"
  text="${text//IPAddress:/IP:}"
  for want in "${sans[@]}"; do
    case "$want" in
      IP:0:0:0:0:0:0:0:1) [[ ",$text," == *",IP:0:0:0:0:0:0:0:1,"* ]] || return 1 ;;
      *) [[ "$text" == *"$want"* ]] || return 1 ;;
    esac
  done
}

if ! has_all_sans; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/broker.key" 2>/dev/null
  openssl req -new -key "$tmp/broker.key" -subj "/O=crosstrace development/CN=kafka" -out "$tmp/broker.csr"
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' \
    "$san_list" >"$tmp/ext"
  openssl x509 -req -in "$tmp/broker.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" -CAcreateserial \
    -days 825 -extfile "$tmp/ext" -out "$tmp/broker-cert.pem" 2>/dev/null
  rm -f "$out/ca.srl"
  # Kafka's PEM keystore wants the PKCS#8 key first, then the certificate chain.
  openssl pkcs8 -topk8 -nocrypt -in "$tmp/broker.key" -out "$tmp/broker.p8"
  cat "$tmp/broker.p8" "$tmp/broker-cert.pem" "$out/ca.pem" >"$out/broker.pem"
  cp "$tmp/broker-cert.pem" "$out/broker-cert.pem"
  chmod 644 "$out/broker-cert.pem"
  echo "dev-pki: broker certificate for $san_list in $out" >&2
fi
