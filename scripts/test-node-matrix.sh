#!/usr/bin/env bash
# The tests whose behaviour depends on the Node line (preload, ES module hook,
# Lambda wrapper, layer, setup module, on-demand instrumentation) again on Node 22 and 24: `npm test` runs
# everything on the machine's Node first. Node binaries come from
# scripts/install-node.sh (cached outside the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
files=(test/preload.test.mjs test/lambda.test.mjs test/unit/lambda-wrapper.test.mjs test/layer.test.mjs test/setup-module.test.mjs test/instrumentation-coverage.test.mjs)
for major in ${OTEL_XRAY_DD_NODE_MATRIX:-22 24}; do
  node_bin=$(bash scripts/install-node.sh "$major" | tail -n 1)
  echo "== Node $("$node_bin" --version): ${files[*]}"
  "$node_bin" --test --test-concurrency=1 --test-reporter=tap "${files[@]}"
done
