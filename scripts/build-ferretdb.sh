#!/usr/bin/env bash
# Builds FerretDB (a MongoDB wire-protocol server, Go module github.com/FerretDB/FerretDB)
# from the Go module proxy into a cache outside the repository, for the mongodb and
# mongoose instrumentation tests (harness/brokers.mjs runs it on its SQLite
# backend, in a temporary directory, on 127.0.0.1). Reused when present.
# Prints the binary's path on its last line of stdout; diagnostics go to stderr.
set -euo pipefail

version=v1.24.2
cache_root=${OTEL_XRAY_DD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/otel-xray-datadog}
key=$( (echo "$version"; go version 2>/dev/null || true) | sha256sum | cut -c1-12)
out="$cache_root/ferretdb/$version-$key"
bin="$out/ferretdb"

if [ -x "$bin" ]; then
  echo "build-ferretdb: reusing $bin" >&2
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "build-ferretdb: Go is required to build FerretDB (go not on PATH)" >&2; exit 1; }

mkdir -p "$cache_root/ferretdb"
# Serialise concurrent builds (e.g. two test files starting at once).
exec 9>"$out.lock"
flock 9
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

. "$(dirname "$0")/lib/go-module-proxy.sh"
export GOMEMLIMIT=${GOMEMLIMIT:-4GiB}
# Pure Go (modernc.org/sqlite): no C toolchain needed.
export CGO_ENABLED=0

work="$out.work"
rm -rf "$work"
mkdir -p "$work"
echo "build-ferretdb: building FerretDB $version into $out (a few minutes the first time)" >&2
start=$(date +%s)
# `go install …/cmd/ferretdb@version` builds, but the binary panics at start: FerretDB's
# main module wants build/version/version.txt, which its release process generates
# and the module zip lacks. So: the module's source from the proxy, plus that file.
src=$(cd "$work" && go mod download -json "github.com/FerretDB/FerretDB@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$src" ] || { echo "build-ferretdb: go mod download gave no source directory" >&2; exit 1; }
cp -R "$src" "$work/src"
chmod -R u+w "$work/src"
echo "$version" > "$work/src/build/version/version.txt"
(cd "$work/src" && go build -trimpath -o "$work/ferretdb" ./cmd/ferretdb) >&2
"$work/ferretdb" --version >/dev/null
rm -rf "$out"
mkdir -p "$out"
mv "$work/ferretdb" "$bin"
rm -rf "$work"
echo "build-ferretdb: built in $(( $(date +%s) - start ))s" >&2
echo "$bin"
