#!/usr/bin/env bash
# Installs the database servers the instrumentation tests run privately
# (test/support/databases.mjs): PostgreSQL, MariaDB and Redis, from Debian's
# packages, only when their server binaries are missing. Nothing is left
# running: the packages' init scripts are kept from starting the services
# (a policy-rc.d that refuses every start while apt runs), and the tests start
# their own servers on free ports with temporary data directories.
# Idempotent: with everything present it only checks a few paths (milliseconds).
set -euo pipefail

missing=()
# Checked: what test/support/databases.mjs runs (server, data-directory initialiser, client).
pg_bin() { compgen -G "/usr/lib/postgresql/*/bin/$1" >/dev/null; }
pg_bin postgres && pg_bin initdb && pg_bin psql || missing+=(postgresql)
{ [ -x /usr/sbin/mariadbd ] || command -v mariadbd >/dev/null; } && command -v mariadb-install-db >/dev/null && command -v mariadb >/dev/null || missing+=(mariadb-server)
command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] || missing+=(redis-server)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-services: postgresql, mariadb-server and redis-server already installed" >&2
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-test-services: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
  sudo=(sudo -n)
fi

# Keep the packages' maintainer scripts from starting the services (exit 101 =
# "action forbidden", see /usr/share/doc/init-system-helpers/README.policy-rc.d).
# An existing policy-rc.d (e.g. a container's) is left as it is.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# written by otel-xray-datadog scripts/install-test-services.sh while apt runs\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  own_policy=1
fi
cleanup() { if [ "$own_policy" = 1 ]; then "${sudo[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT

echo "install-test-services: installing ${missing[*]}" >&2
start=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" </dev/null >&2

# Belt and braces where a policy-rc.d was not ours to write: stop whatever the
# install started (no-ops when nothing runs or there is no init system).
for svc in postgresql mariadb redis-server; do
  if command -v service >/dev/null; then "${sudo[@]}" service "$svc" stop </dev/null >/dev/null 2>&1 || true; fi
done
echo "install-test-services: installed ${missing[*]} in $(( $(date +%s) - start ))s" >&2
