#!/usr/bin/env bash
# Java client settings from a librdkafka-style properties file (what `admin partner add` and
# `make stack-up` write): Java clients name the same things differently (sasl.mechanism,
# sasl.jaas.config, a PEM trust store). Prints the Java form on stdout, for --command-config /
# --consumer.config of Kafka's tools or a Java partner's consumer.
#   java-client-properties.sh FILE
set -euo pipefail
f="${1:?usage: java-client-properties.sh LIBRDKAFKA_PROPERTIES_FILE}"
get() { sed -n "s/^$1=//p" "$f" | tail -n 1; }
proto="$(get security.protocol)"
echo "security.protocol=${proto:-PLAINTEXT}"
if [[ "$proto" == SASL_* ]]; then
  echo "sasl.mechanism=$(get sasl.mechanisms)"
  echo "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$(get sasl.username)\" password=\"$(get sasl.password)\";"
fi
ca="$(get ssl.ca.location)"
[ -z "$ca" ] || printf 'ssl.truststore.type=PEM\nssl.truststore.location=%s\n' "$ca"
