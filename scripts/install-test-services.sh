#!/usr/bin/env bash
# Installs the database servers the instrumentation tests run privately
# (harness/databases.mjs): PostgreSQL, MariaDB and Redis, from Debian's
# packages, only when their server binaries are missing. Nothing is left
# running: the packages' init scripts are kept from starting the services
# (a policy-rc.d that refuses every start while apt runs), and the tests start
# their own servers on free ports with temporary data directories.
# Idempotent: with everything present it only checks a few paths (milliseconds).
set -euo pipefail

missing=()
# Checked: what harness/databases.mjs runs (server, data-directory initialiser, client).
pg_bin() { compgen -G "/usr/lib/postgresql/*/bin/$1" >/dev/null; }
pg_bin postgres && pg_bin initdb && pg_bin psql || missing+=(postgresql)
{ [ -x /usr/sbin/mariadbd ] || command -v mariadbd >/dev/null; } && command -v mariadb-install-db >/dev/null && command -v mariadb >/dev/null || missing+=(mariadb-server)
command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] || missing+=(redis-server)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-services: postgresql, mariadb-server and redis-server already installed" >&2
  exit 0
fi

. "$(dirname "$0")/lib/apt-install-stopped.sh"
apt_install_stopped install-test-services "postgresql mariadb redis-server" "${missing[@]}"
