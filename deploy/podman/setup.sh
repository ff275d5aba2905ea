#!/usr/bin/env bash
# Makes rootful Podman answer the Docker API at /run/podman/podman.sock, for testcontainers on
# machines with no Docker engine. Idempotent: installs only missing Debian packages, rewrites the
# config only when it differs, starts the API service only when the socket does not answer.
#   deploy/podman/setup.sh         install + configure + start (prints the DOCKER_HOST to use)
#   deploy/podman/setup.sh stop    stop the API service this script started (by recorded PID)
# Why these settings: crun fails on hybrid cgroup v1/v2 hosts (runc works), there is no systemd
# to manage cgroups or journald events, netavark needs iptables, and JVMs need nofile/nproc.
set -euo pipefail

SOCK=/run/podman/podman.sock
PIDFILE=/run/podman/crosstrace-service.pid
LOG=/var/log/crosstrace-podman-service.log
CONF=/etc/containers/containers.conf.d/50-crosstrace.conf
PACKAGES=(podman runc iptables netavark aardvark-dns conmon catatonit uidmap slirp4netns
          fuse-overlayfs debootstrap curl ca-certificates)

die() { echo "podman-setup: $*" >&2; exit 1; }
say() { echo "podman-setup: $*" >&2; }
ping_ok() { curl -fsS --max-time 3 --unix-socket "$SOCK" http://d/_ping 2>/dev/null | grep -qx OK; }

[ "$(uname -s)" = Linux ] || die "Podman setup is for Linux hosts; on $(uname -s) use Docker Desktop or set KAFKA_BROKERS/SCHEMA_REGISTRY_URL/REDIS_URL"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "needs root (rootful Podman): run as root or install sudo"
  SUDO=sudo
fi

if [ "${1:-}" = stop ]; then
  if [ -f "$PIDFILE" ] && pid="$(cat "$PIDFILE")" && kill -0 "$pid" 2>/dev/null; then
    $SUDO kill "$pid"; $SUDO rm -f "$PIDFILE"; say "stopped API service (pid $pid)"
  else
    say "no API service started by this script is running"
  fi
  exit 0
fi

# 1. packages (apt-get only when something is missing)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "missing packages (${missing[*]}) and no apt-get: install them with your package manager"
  say "installing ${missing[*]}"
  $SUDO apt-get update -qq >&2 || die "apt-get update failed (is a Debian mirror reachable?)"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
    || die "apt-get install ${missing[*]} failed"
fi

# 2. engine config (a drop-in, so a machine's own containers.conf keeps its other settings)
want='# written by crosstrace deploy/podman/setup.sh
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[containers]
default_ulimits = ["nofile=16384:16384", "nproc=16384:16384"]

[network]
network_backend = "netavark"'
if [ "$(cat "$CONF" 2>/dev/null)" != "$want" ]; then
  $SUDO mkdir -p "$(dirname "$CONF")"
  printf '%s\n' "$want" | $SUDO tee "$CONF" >/dev/null
  say "wrote $CONF"
  if ping_ok && [ -f "$PIDFILE" ]; then  # a running service keeps the old config: restart ours
    $SUDO kill "$(cat "$PIDFILE")" 2>/dev/null || true
    for _ in $(seq 1 25); do ping_ok || break; sleep 0.2; done
  fi
fi

info="$($SUDO podman info --format '{{.Host.OCIRuntime.Name}} {{.Host.NetworkBackend}}' 2>&1)" \
  || die "podman info failed: $(echo "$info" | tail -n1)"
[ "$info" = "runc netavark" ] || die "podman reports runtime/network '$info', expected 'runc netavark' (check /etc/containers/containers.conf)"

# 3. Docker-compatible API service. conmon inherits the service's working directory and
# fails ("Failed to get working directory") once that folder is deleted (a CI clone in
# /tmp, say), so the service runs from / and a service whose cwd is gone is restarted.
svc_pid="$(cat "$PIDFILE" 2>/dev/null || true)"
if ping_ok && [ -n "$svc_pid" ] && $SUDO readlink "/proc/$svc_pid/cwd" 2>/dev/null | grep -q " (deleted)$"; then
  say "API service (pid $svc_pid) lost its working directory; restarting it"
  $SUDO kill "$svc_pid" 2>/dev/null || true
  for _ in $(seq 1 25); do ping_ok || break; sleep 0.2; done
fi
if ping_ok; then
  say "API already answers at $SOCK"
else
  $SUDO mkdir -p "$(dirname "$SOCK")"
  $SUDO rm -f "$SOCK"
  # setsid + nohup: the service must outlive this script and the make/CI step that ran it.
  (cd / && exec $SUDO setsid nohup podman system service --time=0 "unix://$SOCK" >>"$LOG" 2>&1 </dev/null) &
  echo $! | $SUDO tee "$PIDFILE" >/dev/null
  for _ in $(seq 1 50); do ping_ok && break; sleep 0.2; done
  ping_ok || die "API service did not answer on $SOCK within 10 s; see $LOG"
  say "API service started (pid $(cat "$PIDFILE")), log $LOG"
fi
echo "DOCKER_HOST=unix://$SOCK"
