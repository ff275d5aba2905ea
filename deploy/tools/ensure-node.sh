#!/usr/bin/env bash
# Makes sure a Node.js >= 22.18 is available and prints the folder holding its `node` binary.
# The system Node is used when new enough; otherwise Node $NODE_VERSION comes from the npm
# registry (the `node` package ships the binary) into .tools/node, which is git-ignored.
set -euo pipefail
NODE_VERSION="${NODE_VERSION:-24.21.0}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
dest="$root/.tools/node"
bin="$dest/node_modules/node/bin"

if [ -x "$bin/node" ] && [ "$("$bin/node" --version)" = "v$NODE_VERSION" ]; then
  echo "$bin"; exit 0
fi
if command -v node >/dev/null 2>&1; then
  v="$(node --version | sed 's/^v//')"; major="${v%%.*}"; rest="${v#*.}"; minor="${rest%%.*}"
  if [ "$major" -gt 22 ] || { [ "$major" -eq 22 ] && [ "$minor" -ge 18 ]; }; then
    dirname "$(command -v node)"; exit 0
  fi
fi
command -v npm >/dev/null 2>&1 || { echo "ensure-node: no npm on PATH; install Debian's npm (apt-get install npm) so Node $NODE_VERSION can be fetched" >&2; exit 1; }
echo "ensure-node: system node is $(node --version 2>/dev/null || echo absent); fetching Node $NODE_VERSION from the npm registry into .tools/node" >&2
rm -rf "$dest"; mkdir -p "$dest"
(cd "$dest" && npm install --no-save --no-audit --no-fund --prefix . "node@$NODE_VERSION" >&2)
[ -x "$bin/node" ] || { echo "ensure-node: node@$NODE_VERSION installed but $bin/node is missing" >&2; exit 1; }
echo "$bin"
