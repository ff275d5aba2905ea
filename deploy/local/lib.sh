# shellcheck shell=bash disable=SC2034  # variables here are read by the scripts that source this file
# Shared helpers for deploy/local/*.sh. Sourced, never run. Defines paths, the versions
# from deploy/maven/pom.xml (the single source of truth) and small process/port helpers.
# Contract: messages go to stderr prefixed with the calling script's tag; stdout is left
# to the caller (stack.sh env prints shell code there and nothing else).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL_DIR="$ROOT/deploy/local"
POM="$ROOT/deploy/maven/pom.xml"
CACHE_DIR="$ROOT/.cache"
STACK_DIR="${STACK_DIR:-$ROOT/.stack}"

TAG="${TAG:-stack}"
say() { printf '%s: %s\n' "$TAG" "$*" >&2; }
# die MESSAGE [LOGFILE...]: one line saying what failed and how to fix it, then the
# last lines of each given log that exists and is not empty.
die() {
  local msg="$1"; shift
  printf '%s: error: %s\n' "$TAG" "$msg" >&2
  local f
  for f in "$@"; do log_tail "$f"; done
  exit 1
}
# log_tail FILE: to stderr, the last 20 lines of FILE written since the last
# "==== ... stack.sh up" header, i.e. by the latest start only.
log_tail() {
  local from
  [ -s "$1" ] || return 0
  from="$(grep -n '^==== .* stack\.sh up' "$1" | tail -n 1 | cut -d: -f1)"
  printf -- '--- last lines of %s ---\n' "${1#"$ROOT"/}" >&2
  tail -n +"${from:-1}" "$1" | tail -n 20 >&2
  printf -- '---\n' >&2
}

# pom_prop NAME: value of <NAME>...</NAME> in the pom's <properties> (plain values only).
pom_prop() {
  local v
  v="$(sed -n "s:^[[:space:]]*<$1>\([^<]*\)</$1>.*:\1:p" "$POM" | head -n 1)"
  [ -n "$v" ] || die "no <$1> property in ${POM#"$ROOT"/}; it must name the version to fetch"
  printf '%s\n' "$v"
}
KAFKA_VERSION="$(pom_prop kafka.version)"
APICURIO_VERSION="$(pom_prop apicurio.version)"
KAFKA_LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"
KAFKA_MARKER="$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar"
APICURIO_HOME="$CACHE_DIR/apicurio-$APICURIO_VERSION"
APICURIO_JAR="$APICURIO_HOME/apicurio-registry-app-$APICURIO_VERSION-runner.jar"

# now_ms: wall clock in milliseconds (bash 5 EPOCHREALTIME, no fork).
now_ms() { local t="${EPOCHREALTIME/./}"; printf '%s\n' "${t:0:-3}"; }
# secs MS: milliseconds as seconds with one decimal.
secs() { printf '%d.%d s' "$(($1 / 1000))" "$((($1 % 1000) / 100))"; }

need() { # need COMMAND HOW-TO-FIX
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH; $2"
}

java_bin() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then printf '%s\n' "$JAVA_HOME/bin/java"
  else need java "install a JDK 17+ (apt-get install -y openjdk-17-jre-headless) or set JAVA_HOME"; command -v java
  fi
}

# pid_alive PID: the process exists and is not a zombie (an exited child that nobody has
# reaped yet still answers kill -0).
pid_alive() {
  local stat
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [ "${stat%% *}" != Z ]
}

# pid_is PID DIR PATTERN: the process runs in working directory DIR and its command line
# contains PATTERN. Every component is started with its own .stack/data/<name> as working
# directory, so a recycled PID (or the shared redis on 6379) never matches.
pid_is() {
  local pid="$1" dir="$2" pattern="$3" cwd cmd
  pid_alive "$pid" || return 1
  cwd="$(readlink "/proc/$pid/cwd" 2>/dev/null)" || return 1
  [ "$cwd" = "$dir" ] || return 1
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmd" == *"$pattern"* ]]
}

# port_holder PORT: prints who listens on PORT (any address), nothing when it is free.
port_holder() {
  local out
  if command -v ss >/dev/null 2>&1; then
    out="$(ss -ltnpH "sport = :$1" 2>/dev/null | head -n 1)"
    [ -n "$out" ] || return 0
    # users:(("redis-server",pid=2206,fd=6)) -> redis-server pid 2206
    if [[ "$out" =~ users:\(\(\"([^\"]+)\",pid=([0-9]+) ]]; then
      printf '%s (pid %s)\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    else printf 'another process\n'
    fi
  elif (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
    printf 'another process\n'
  fi
}

check_port() { # check_port PORT VARNAME WHAT
  local holder
  holder="$(port_holder "$1")"
  [ -z "$holder" ] || die "port $1 ($3) is already used by $holder; stop it or pick another port, e.g. $2=$(($1 + 100)) make stack-up"
}
