#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Fetches the JVM parts of the local stack from Maven (deploy/maven/pom.xml) into .cache/:
#   .cache/kafka-<kafka.version>/libs/            broker, tools and log4j2 runtime jars
#   .cache/apicurio-<apicurio.version>/           unpacked registry (runner jar + lib/)
# Idempotent: a component whose marker jar exists is not fetched again (no JVM, no Maven).
# Each component is fetched into a scratch folder and renamed into place only when Maven
# succeeded, so the marker jar never stands for a half-copied folder.
set -euo pipefail
TAG=fetch-jars
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

missing() { profiles=(); [ -f "$KAFKA_MARKER" ] || profiles+=(kafka); [ -f "$APICURIO_JAR" ] || profiles+=(apicurio); }
missing
if [ "${#profiles[@]}" -eq 0 ]; then
  say "Kafka $KAFKA_VERSION and Apicurio Registry $APICURIO_VERSION already in .cache/"
  exit 0
fi

need mvn "install Maven (apt-get install -y maven); it fetches the Kafka and Apicurio jars"
java_bin >/dev/null
mkdir -p "$CACHE_DIR" "$STACK_DIR/logs"
log="$STACK_DIR/logs/fetch-jars.log"
target="$ROOT/deploy/maven/target"
scratch="$CACHE_DIR/.fetch-$$"

# One fetch at a time per checkout: the dependency plugin keeps "already unpacked" markers
# in deploy/maven/target, which must be cleared before and after, and two runs would race.
exec 9>"$CACHE_DIR/.fetch.lock"
flock 9
missing  # again: a concurrent run may have fetched while this one waited for the lock
[ "${#profiles[@]}" -gt 0 ] || exit 0
cleanup() { rm -rf "$scratch" "$target"; }
trap cleanup EXIT
cleanup

started="$(now_ms)"
say "fetching ${profiles[*]} (Kafka $KAFKA_VERSION, Apicurio Registry $APICURIO_VERSION) with Maven; log in ${log#"$ROOT"/}"
profile_list="$(IFS=,; printf '%s' "${profiles[*]}")"
if ! mvn -q -B -f "$POM" -P"$profile_list" -Dcache.dir="$scratch" package >"$log" 2>&1; then
  die "Maven could not fetch ${profiles[*]}; check that Maven reaches its repository (~/.m2/settings.xml), then rerun make jars" "$log"
fi

for p in "${profiles[@]}"; do
  case "$p" in
    kafka) name="kafka-$KAFKA_VERSION"; marker="$scratch/$name/libs/kafka_2.13-$KAFKA_VERSION.jar" ;;
    apicurio) name="apicurio-$APICURIO_VERSION"; marker="$scratch/$name/${APICURIO_JAR##*/}" ;;
  esac
  [ -f "$marker" ] || die "Maven finished but ${marker#"$scratch"/} is missing; check the $p profile in deploy/maven/pom.xml" "$log"
  rm -rf "${CACHE_DIR:?}/$name"
  mv "$scratch/$name" "$CACHE_DIR/$name"
done
say "fetched ${profiles[*]} in $(secs $(($(now_ms) - started)))"
