#!/usr/bin/env bash
# The tests whose behaviour depends on the Node line again on Node 22 and 24 (`npm test` runs
# everything on the machine's Node first). A test file opts in with a line
#   // node-matrix: 22 24
# near its top; the Node binaries come from scripts/install-node.sh (cached outside the repository).
# OTEL_XRAY_DD_NODE_MATRIX="24" restricts the lines run.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t marked < <(grep -rlE '^// node-matrix:' test --include='*.test.mjs' | sort)
[ ${#marked[@]} -gt 0 ] || { echo "test-node-matrix: no test file carries a '// node-matrix:' line" >&2; exit 1; }
for major in ${OTEL_XRAY_DD_NODE_MATRIX:-22 24}; do
  files=()
  for file in "${marked[@]}"; do
    grep -qE "^// node-matrix:.*\b${major}\b" "$file" && files+=("$file")
  done
  [ ${#files[@]} -gt 0 ] || continue
  node_bin=$(bash scripts/install-node.sh "$major" | tail -n 1)
  echo "== Node $("$node_bin" --version): ${files[*]}"
  "$node_bin" --test --test-concurrency=1 --test-reporter=tap "${files[@]}"
done
