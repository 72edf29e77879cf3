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

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-haproxy: need root (or sudo) to install haproxy" >&2; exit 1; }
  sudo=(sudo -n)
fi

# Keep the package's maintainer scripts from starting the service (exit 101 =
# "action forbidden", see /usr/share/doc/init-system-helpers/README.policy-rc.d).
# An existing policy-rc.d (e.g. a container's) is left as it is.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# written by otel-xray-datadog scripts/install-haproxy.sh while apt runs\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  own_policy=1
fi
cleanup() { if [ "$own_policy" = 1 ]; then "${sudo[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT

echo "install-haproxy: installing haproxy" >&2
start=$(date +%s)
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold haproxy </dev/null >&2

# Belt and braces where a policy-rc.d was not ours to write: stop whatever the
# install started (a no-op when nothing runs or there is no init system).
if command -v service >/dev/null; then "${sudo[@]}" service haproxy stop </dev/null >/dev/null 2>&1 || true; fi
echo "install-haproxy: installed haproxy ($(/usr/sbin/haproxy -v 2>/dev/null | head -1)) in $(( $(date +%s) - start ))s" >&2
