#!/usr/bin/env bash
# Configuration for a secured single-node Kafka container, made on the host: used by the
# testcontainers setup (test/setup/kafka-security-files.ts copies the files in) and by docker
# compose (deploy/security/compose-init.sh, mounted at /etc/crosstrace). Same security as the
# local stack's deploy/local/kafka/server.properties.tmpl; only the listeners differ.
#
#   kafka-container-config.sh OUTDIR SASL_SSL_ADVERTISED SSL_ADVERTISED [SAN...]
#     e.g. OUTDIR 127.0.0.1:40253 127.0.0.1:40254 IP:127.0.0.1     (testcontainers)
#          OUTDIR kafka:9092 kafka:9095                              (compose)
# Writes OUTDIR/pki/ (the CA and its key: host only, mode 700), OUTDIR/kafka/ (what the
# container reads: server.properties, scram, broker.pem, ca.pem, log4j2.properties, start.sh;
# readable by the image's user) and OUTDIR/admin.password. Existing passwords and CA are kept.
set -euo pipefail
out="${1:?usage: kafka-container-config.sh OUTDIR SASL_SSL_ADVERTISED SSL_ADVERTISED [SAN...]}"
sasl="${2:?SASL_SSL advertised host:port}" ssl="${3:?SSL advertised host:port}"; shift 3
here="$(cd "$(dirname "$0")" && pwd)"
C=/etc/crosstrace
"$here/dev-pki.sh" "$out/pki" "$@"
mkdir -p "$out/kafka"
chmod 755 "$out/kafka"
secret() { [ -s "$out/$1.password" ] || (umask 077; head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$out/$1.password"); cat "$out/$1.password"; }
broker="$(secret broker)" admin="$(secret admin)"
jaas="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"broker\" password=\"$broker\";"
cat >"$out/kafka/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
# clients: SASL_SSL (SCRAM-SHA-512) on 9092; TLS client certificates on 9095 (CN=partner-<CC>.c<serial>,
# each certificate its own principal, or exporter-<id> only); the broker to itself on 9094; the controller on the container's loopback,
# TLS with a client certificate required: only the broker's own (CN=kafka) is User:broker there
# (Kafka 4 Admin clients reach the controller directly: it must not take anonymous requests)
listeners=SASL_SSL://0.0.0.0:9092,SSL://0.0.0.0:9095,BROKER://localhost:9094,CONTROLLER://localhost:9093
advertised.listeners=SASL_SSL://$sasl,SSL://$ssl,BROKER://localhost:9094
listener.security.protocol.map=SASL_SSL:SASL_SSL,SSL:SSL,BROKER:SASL_SSL,CONTROLLER:SSL
controller.listener.names=CONTROLLER
inter.broker.listener.name=BROKER
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$jaas
listener.name.broker.scram-sha-512.sasl.jaas.config=$jaas
listener.name.ssl.ssl.client.auth=required
listener.name.controller.ssl.client.auth=required
listener.name.controller.ssl.principal.mapping.rules=RULE:^CN=kafka(,.*)?\$/broker/,DEFAULT
ssl.principal.mapping.rules=RULE:^CN=(partner-[A-Z][A-Z][.]c[0-9a-f]+|exporter-[a-z0-9._-]+)(,.*)?\$/\$1/,DEFAULT
ssl.keystore.type=PEM
ssl.keystore.location=$C/broker.pem
ssl.truststore.type=PEM
ssl.truststore.location=$C/ca.pem
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:broker
log.dirs=/tmp/kafka-data
num.partitions=3
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
printf 'SCRAM-SHA-512=[name=broker,password=%s]\nSCRAM-SHA-512=[name=admin,password=%s]\n' "$broker" "$admin" >"$out/kafka/scram"
cp "$out/pki/broker.pem" "$out/pki/ca.pem" "$out/kafka/"
cp "$here/../podman/kafka/log4j2.properties" "$out/kafka/log4j2.properties"
cp "$here/kafka-container-start.sh" "$out/kafka/start.sh"
# the image's own user (uid 1000) reads these: a development broker's key and passwords
chmod 644 "$out/kafka/"*
chmod 755 "$out/kafka/start.sh"
