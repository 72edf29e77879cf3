#!/usr/bin/env bash
# Builds the collector described by collector-config/builder-config.yaml with the
# collector builder (ocb), into a cache outside the repository, keyed by the
# manifest's hash, so repeated runs reuse the binary.
# Prints the binary's path on its last line of stdout.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
manifest="$repo/collector-config/builder-config.yaml"
builder_version=v0.155.0

cache_root=${OTEL_XRAY_DD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/otel-xray-datadog}
key=$( (cat "$manifest" "$repo/scripts/go-tolerant-tidy.sh"; echo "$builder_version"; go version) | sha256sum | cut -c1-16)
out="$cache_root/collector/$key"
bin="$out/otelcol-xray-datadog"

if [ -x "$bin" ]; then
  echo "collector: reusing $bin" >&2
  echo "$bin"
  exit 0
fi

. "$(dirname "$0")/lib/go-module-proxy.sh"
export GOMEMLIMIT=${GOMEMLIMIT:-6GiB}

command -v go >/dev/null || { echo "collector: Go is required to build the collector (go not on PATH)" >&2; exit 1; }

tools="$cache_root/tools"
ocb="$tools/builder-$builder_version"
if [ ! -x "$ocb" ]; then
  echo "collector: installing the collector builder $builder_version" >&2
  mkdir -p "$tools"
  GOBIN="$tools/tmp" go install "go.opentelemetry.io/collector/cmd/builder@$builder_version" >&2
  mv "$tools/tmp/builder" "$ocb"
  rmdir "$tools/tmp" 2>/dev/null || true
fi

work="$out.work"
rm -rf "$work"
mkdir -p "$work"
echo "collector: building into $out (first build takes several minutes)" >&2
start=$(date +%s)
# Output path and go executable live in the manifest's dist block, so build from
# a copy that adds them (see go-tolerant-tidy.sh for why the go wrapper).
sed "s|^dist:|dist:\n  output_path: $work\n  go: $repo/scripts/go-tolerant-tidy.sh|" "$manifest" > "$work/builder-config.yaml"
"$ocb" --config="$work/builder-config.yaml" >&2
mkdir -p "$out"
mv "$work/otelcol-xray-datadog" "$bin"
rm -rf "$work"
echo "collector: built in $(( $(date +%s) - start ))s" >&2
echo "$bin"
