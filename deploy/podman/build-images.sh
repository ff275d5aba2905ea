#!/usr/bin/env bash
# Builds the local stand-ins for the official stack images, for testcontainers on Podman where
# no image registry is reachable:
#   localhost/crosstrace/debian-base:bookworm      debootstrap --variant=minbase, podman import
#   localhost/crosstrace/jre:17                    + openjdk-17-jre-headless
#   localhost/crosstrace/kafka:<kafka.version>     Maven Central jars, official-image env contract
#   localhost/crosstrace/apicurio-registry:<ver>   in-memory registry on 8080
#   localhost/crosstrace/redis:7                   Debian redis-server on 6379
#   localhost/crosstrace/postgres:15               Debian postgresql-15 on 5432 (official-image env contract)
# An image is rebuilt only when its inputs change: the sha256 of its recipe, build context and
# parent image id is stored as the label org.crosstrace.inputs and compared before building.
# Progress goes to stderr; stdout gets the CROSSTRACE_*_IMAGE=... lines the tests read.
# The Debian mirror comes from this machine's apt sources, so no mirror is named in the repo.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/deploy/podman"
LABEL=org.crosstrace.inputs
SUITE=bookworm
STAGE="$ROOT/.cache/podman-build"
pom_prop() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$ROOT/deploy/maven/pom.xml" | head -n1; }
KAFKA_VERSION="$(pom_prop kafka.version)"
APICURIO_VERSION="$(pom_prop apicurio.version)"
KAFKA_LIBS="$ROOT/.cache/kafka-$KAFKA_VERSION/libs"
APICURIO_DIR="$ROOT/.cache/apicurio-$APICURIO_VERSION"

BASE_IMAGE=localhost/crosstrace/debian-base:$SUITE
JRE_IMAGE=localhost/crosstrace/jre:17
KAFKA_IMAGE=localhost/crosstrace/kafka:$KAFKA_VERSION
REGISTRY_IMAGE=localhost/crosstrace/apicurio-registry:$APICURIO_VERSION
REDIS_IMAGE=localhost/crosstrace/redis:7
POSTGRES_IMAGE=localhost/crosstrace/postgres:15

die() { echo "build-images: $*" >&2; exit 1; }
say() { echo "build-images: $*" >&2; }
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

[ "$(id -u)" -eq 0 ] || die "run as root (rootful Podman and debootstrap); try: sudo $0"
command -v podman >/dev/null 2>&1 || die "podman is not installed; run deploy/podman/setup.sh first"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed; run deploy/podman/setup.sh first"

# --- the jars -------------------------------------------------------------------------------
jars_present() { [ -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" ] && [ -f "$APICURIO_DIR/apicurio-registry-app-$APICURIO_VERSION-runner.jar" ]; }
if ! jars_present; then
  if [ -x "$ROOT/deploy/local/fetch-jars.sh" ]; then
    say "jars missing: running deploy/local/fetch-jars.sh"
    "$ROOT/deploy/local/fetch-jars.sh" >&2
  else
    say "jars missing: fetching them with Maven"
    rm -rf "$ROOT/deploy/maven/target"
    mvn -q -B -f "$ROOT/deploy/maven/pom.xml" -Pkafka package >&2
    mvn -q -B -f "$ROOT/deploy/maven/pom.xml" -Papicurio package >&2
    rm -rf "$ROOT/deploy/maven/target"
  fi
  jars_present || die "jars still missing under .cache/ after fetching (Kafka $KAFKA_VERSION, Apicurio $APICURIO_VERSION)"
fi

# --- helpers --------------------------------------------------------------------------------
image_label() { podman image inspect --format "{{index .Labels \"$LABEL\"}}" "$1" 2>/dev/null || true; }
image_id() { podman image inspect --format '{{.Id}}' "$1"; }
# Content hash of a directory tree (names + bytes), stable across copies and mtimes.
tree_hash() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64); }

# Prints the Debian mirror and the apt source lines for $SUITE, $SUITE-updates, $SUITE-security
# found in this machine's apt configuration (deb822 .sources first, then sources.list).
apt_sources() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$SUITE" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && uris != "") {
          n = split(suites, s, " ")
          for (i = 1; i <= n; i++) if (s[i] ~ "^" suite "(-updates|-security)?$")
            print "deb " uris " " s[i] " " comps
        }
        types = uris = suites = comps = ""
      }
      /^[[:space:]]*$/ { flush(); next }
      /^#/ { next }
      /^Types:/ { sub(/^Types:[[:space:]]*/, ""); types = $0 }
      /^URIs:/ { sub(/^URIs:[[:space:]]*/, ""); uris = $1 }
      /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
      /^Components:/ { sub(/^Components:[[:space:]]*/, ""); comps = $0 }
      END { flush() }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v suite="$SUITE" '$1 == "deb" {
        sub(/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?/, "")
        if ($2 ~ "^" suite "(-updates|-security)?$") print "deb " $0
      }' "$f"
  done
}

# --- debian-base ----------------------------------------------------------------------------
build_base() {
  local sources mirror hash tmp="$WORK"
  sources="$(apt_sources | awk '!seen[$0]++')"
  mirror="$(echo "$sources" | awk -v suite="$SUITE" '$3 == suite { print $2; exit }')"
  [ -n "$mirror" ] || die "no '$SUITE' Debian source in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list: cannot pick a mirror for debootstrap"
  hash="$(printf '%s\n' "recipe 1 minbase $SUITE" "$sources" | cat - "$HERE"/debian-base/* | sha256sum | cut -c1-64)"
  if [ "$(image_label "$BASE_IMAGE")" = "$hash" ]; then RESULT="up to date"; return; fi
  say "debootstrap $SUITE from the machine's mirror"
  debootstrap --variant=minbase "$SUITE" "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1 \
    || { tail -n 20 "$tmp/debootstrap.log" >&2; die "debootstrap failed (mirror $mirror)"; }
  printf '%s\n' "$sources" > "$tmp/root/etc/apt/sources.list"
  cp "$HERE/debian-base/dpkg-nodoc.cfg" "$tmp/root/etc/dpkg/dpkg.cfg.d/90-crosstrace-nodoc"
  cp "$HERE/debian-base/apt-minimal.conf" "$tmp/root/etc/apt/apt.conf.d/90-crosstrace-minimal"
  rm -rf "$tmp/root"/var/cache/apt/archives/*.deb "$tmp/root"/var/lib/apt/lists/* \
         "$tmp/root"/usr/share/doc/*/changelog* "$tmp/root"/usr/share/man/* "$tmp/root"/var/log/*.log
  tar --numeric-owner -C "$tmp/root" -c . \
    | podman import --quiet --change 'CMD ["/bin/bash"]' --change "ENV LANG=C.UTF-8" \
        --change "LABEL $LABEL=$hash" - "$BASE_IMAGE" >/dev/null \
    || die "podman import of the debootstrap rootfs failed"
}

# build NAME IMAGE PARENT CONTEXT_DIR: podman build of deploy/podman/NAME/Containerfile with
# CONTEXT_DIR as the context, when the inputs hash differs from the image's label.
build() {
  local name="$1" image="$2" parent="$3" ctx="$4" hash
  hash="$( { image_id "$parent"; tree_hash "$ctx"; } | sha256sum | cut -c1-64)"
  if [ "$(image_label "$image")" = "$hash" ]; then RESULT="up to date"; return; fi
  podman build --quiet --layers=false --build-arg "BASE=$parent" --label "$LABEL=$hash" \
    -f "$ctx/Containerfile" -t "$image" "$ctx" >/dev/null \
    || die "podman build of $image failed (recipe deploy/podman/$name/Containerfile)"
}

# Build contexts are staged under .cache/podman-build with hard links (no copy of the jars).
stage() {
  local name="$1"; shift
  local dir="$STAGE/$name"
  rm -rf "$dir"; mkdir -p "$dir"
  cp -a "$HERE/$name/." "$dir/"
  while [ "$#" -gt 0 ]; do
    mkdir -p "$(dirname "$dir/$2")"
    cp -al "$1" "$dir/$2" 2>/dev/null || cp -a "$1" "$dir/$2"
    shift 2
  done
  echo "$dir"
}

timed() {
  local what="$1" t0; shift
  t0="$(now)"; RESULT=built
  "$@"
  say "$what: $RESULT ($(took "$t0"))"
}

WORK="$(mktemp -d /var/tmp/crosstrace-images.XXXXXX)"
trap 'rm -rf "$WORK" "$STAGE"' EXIT
t_all="$(now)"
timed "$BASE_IMAGE" build_base
timed "$JRE_IMAGE" build jre "$JRE_IMAGE" "$BASE_IMAGE" "$(stage jre)"
timed "$KAFKA_IMAGE" build kafka "$KAFKA_IMAGE" "$JRE_IMAGE" "$(stage kafka "$KAFKA_LIBS" libs)"
timed "$REGISTRY_IMAGE" build apicurio-registry "$REGISTRY_IMAGE" "$JRE_IMAGE" \
  "$(stage apicurio-registry "$APICURIO_DIR/apicurio-registry-app-$APICURIO_VERSION-runner.jar" app/apicurio-registry-app-runner.jar "$APICURIO_DIR/lib" app/lib)"
timed "$REDIS_IMAGE" build redis "$REDIS_IMAGE" "$BASE_IMAGE" "$(stage redis)"
timed "$POSTGRES_IMAGE" build postgres "$POSTGRES_IMAGE" "$BASE_IMAGE" "$(stage postgres)"
# Superseded builds of these images are left untagged; drop them (ours carry the label).
podman image prune -f --filter "label=$LABEL" >/dev/null 2>&1 || true
say "all images: $(took "$t_all")"

echo "CROSSTRACE_KAFKA_IMAGE=$KAFKA_IMAGE"
echo "CROSSTRACE_REGISTRY_IMAGE=$REGISTRY_IMAGE"
echo "CROSSTRACE_REDIS_IMAGE=$REDIS_IMAGE"
echo "CROSSTRACE_POSTGRES_IMAGE=$POSTGRES_IMAGE"
