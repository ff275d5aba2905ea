#!/usr/bin/env bash
# Entry point for a secured single-node Kafka container (testcontainers; works in the official
# apache/kafka image and in localhost/crosstrace/kafka, which both keep the jars in
# /opt/kafka/libs and java on PATH). Everything it needs is copied into /etc/crosstrace:
#   server.properties   the broker's settings (SASL_SSL + SSL listeners, ACLs, PEM key store)
#   scram               one --add-scram argument per line (the broker's and the admin's users)
#   broker.pem, ca.pem  key + certificate chain, trusted CA
#   log4j2.properties   console logging (the "Kafka Server started" line is what callers await)
# It formats the storage (with the SCRAM users) unless already formatted, then runs the broker.
set -euo pipefail
C=/etc/crosstrace
mapfile -t users <"$C/scram"
CP="/opt/kafka/libs/*"
LOG4J="-Dlog4j2.configurationFile=$C/log4j2.properties"
# shellcheck disable=SC2086
java -Xmx256M $LOG4J -cp "$CP" kafka.tools.StorageTool format --ignore-formatted \
  --cluster-id "${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}" --config "$C/server.properties" "${users[@]/#/--add-scram=}"
# shellcheck disable=SC2086
exec java -server ${KAFKA_HEAP_OPTS:--Xmx512M -Xms256M} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
  $LOG4J -cp "$CP" kafka.Kafka "$C/server.properties"
