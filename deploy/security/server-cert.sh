#!/usr/bin/env bash
# A TLS server certificate for the gateway's API, signed by the development CA in CA_DIR
# (ca.pem + ca.key, as deploy/security/dev-pki.sh makes them), so a client that trusts the
# CA (`crosstrace ... --gateway-ca CA_DIR/ca.pem`, CROSSTRACE_API_CA) verifies it. Real
# deployments bring their own certificate (CROSSTRACE_GATEWAY_TLS_CERT_FILE / _KEY_FILE).
#
#   server-cert.sh CA_DIR NAME [SAN...]   writes CA_DIR/NAME.pem (certificate + CA chain) and
#                                         CA_DIR/NAME.key (PKCS#8, mode 600), when missing, when
#                                         the CA changed, or when a SAN asked for is not in it.
# SAN: DNS:name or IP:address, added to DNS:localhost, DNS:NAME, IP:127.0.0.1, IP:::1. 825 days.
set -euo pipefail
ca="${1:?usage: server-cert.sh CA_DIR NAME [DNS:name|IP:addr ...]}" name="${2:?NAME}"; shift 2
[[ "$name" =~ ^[a-z0-9-]+$ ]] || { echo "server-cert: NAME must be [a-z0-9-]+, got: $name" >&2; exit 1; }
[ -s "$ca/ca.pem" ] && [ -s "$ca/ca.key" ] || { echo "server-cert: no ca.pem + ca.key in $ca (deploy/security/dev-pki.sh makes them)" >&2; exit 1; }
sans=(DNS:localhost "DNS:$name" IP:127.0.0.1 IP:0:0:0:0:0:0:0:1 "$@")
crt="$ca/$name.pem" key="$ca/$name.key"

current() { # the certificate exists, is signed by this CA and names every SAN asked for
  [ -s "$crt" ] && [ -s "$key" ] || return 1
  openssl verify -CAfile "$ca/ca.pem" "$crt" >/dev/null 2>&1 || return 1
  local text want
  text="$(openssl x509 -in "$crt" -noout -ext subjectAltName 2>/dev/null | tr -d ' \n')"
  text="${text#*AlternativeName:}"; text="${text//IPAddress:/IP:}"
  for want in "${sans[@]}"; do [[ ",$text," == *",$want,"* ]] || return 1; done
}
current && exit 0

umask 077
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/key.pem" 2>/dev/null
openssl req -new -key "$tmp/key.pem" -subj "/O=crosstrace development/CN=$name" -out "$tmp/csr.pem"
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=critical,CA:FALSE\n' \
  "$(IFS=,; echo "${sans[*]}")" >"$tmp/ext"
openssl x509 -req -in "$tmp/csr.pem" -CA "$ca/ca.pem" -CAkey "$ca/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
  -days 825 -extfile "$tmp/ext" -out "$tmp/crt.pem" 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in "$tmp/key.pem" -out "$key"
cat "$tmp/crt.pem" "$ca/ca.pem" >"$crt"
chmod 600 "$key"; chmod 644 "$crt"
echo "server-cert: $name certificate for ${sans[*]} in $crt" >&2
