#!/usr/bin/env bash
# Installs HAProxy from Debian's packages, only when its binary is missing: the
# collector-tier tests (test/collector-tiers.test.mjs) and the bench entry
# (bench/collector-tiers.mjs) put it in front of the gateway collectors, as
# docs/collector.md describes. Nothing is left running: the package's init
# script is kept from starting the service (a policy-rc.d that refuses every
# start while apt runs), and the tests start their own HAProxy on free ports
# with a configuration in a temporary directory.
# Idempotent: with HAProxy present it only checks one path (milliseconds).
set -euo pipefail

if command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ]; then
  echo "install-haproxy: haproxy already installed" >&2
  exit 0
fi

. "$(dirname "$0")/lib/apt-install-stopped.sh"
apt_install_stopped install-haproxy haproxy haproxy
