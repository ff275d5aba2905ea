#!/bin/bash
# Starts one KRaft node the way the official apache/kafka image does, so the same container
# settings work with either image:
# - every KAFKA_* variable except the JVM/launcher ones becomes a server property:
#   strip KAFKA_, lower-case, then "___" -> "-", "__" -> "_", "_" -> "." (KAFKA_NODE_ID -> node.id);
# - with no such variable, a single combined broker+controller on :9092 (controller :9093);
# - CLUSTER_ID (default 5L6g3nShT-eMCtK--X86sw) formats the log dirs once, then the broker starts.
set -euo pipefail
CONF=/opt/kafka/config/server.properties
LAUNCHER_VARS=" KAFKA_HEAP_OPTS KAFKA_OPTS KAFKA_JVM_PERFORMANCE_OPTS KAFKA_GC_LOG_OPTS KAFKA_LOG4J_OPTS"
LAUNCHER_VARS+=" KAFKA_JMX_OPTS KAFKA_JMX_HOSTNAME KAFKA_LOG4J_ROOT_LOGLEVEL KAFKA_LOG4J_LOGGERS"
LAUNCHER_VARS+=" KAFKA_TOOLS_LOG4J_LOGLEVEL KAFKA_VERSION KAFKA_HOME "

props=""
while IFS='=' read -r name value; do
  case "$LAUNCHER_VARS" in *" $name "*) continue ;; esac
  key="${name#KAFKA_}"; key="${key,,}"
  key="${key//___/-}"; key="${key//__/$'\x01'}"; key="${key//_/.}"; key="${key//$'\x01'/_}"
  props+="$key=$value"$'\n'
done < <(env | grep -E '^KAFKA_[A-Z0-9_]+=' | sort)

if [ -z "$props" ]; then
  props="process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
advertised.listeners=PLAINTEXT://localhost:9092
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
controller.quorum.voters=1@localhost:9093
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
"
fi
case "$props" in *$'\n'log.dirs=*|log.dirs=*) ;; *) props+="log.dirs=/var/lib/kafka/data"$'\n' ;; esac
printf '%s' "$props" > "$CONF"
echo "kafka-entrypoint: server properties:" && sed 's/^/  /' "$CONF"

CP="/opt/kafka/libs/*"
LOG4J="-Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties"
java -Xmx256M $LOG4J -cp "$CP" kafka.tools.StorageTool format --ignore-formatted \
  --cluster-id "${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}" --config "$CONF"

# shellcheck disable=SC2086  # option strings are word lists, as in kafka-run-class.sh
exec java -server ${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G} \
  ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent} \
  -Djava.awt.headless=true ${KAFKA_LOG4J_OPTS:-$LOG4J} ${KAFKA_OPTS:-} -cp "$CP" kafka.Kafka "$CONF"
