#!/usr/bin/env bash
# The servers test/instrumentation-servers.test.mjs runs besides the databases of
# install-test-services.sh, installed when missing and reused otherwise:
#   - RabbitMQ (Debian's rabbitmq-server) for amqplib;
#   - Apache Kafka in KRaft mode (Maven Central, scripts/install-kafka.sh) for kafkajs;
#   - FerretDB on SQLite (Go module proxy, scripts/build-ferretdb.sh) for mongodb and mongoose.
# Nothing is left running: the package's init script is kept from starting the
# service (a policy-rc.d that refuses every start while apt runs), and the tests
# start their own servers on free ports with temporary directories
# (test/support/brokers.mjs). Idempotent: with everything present it only checks
# a few paths.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || command -v rabbitmq-server >/dev/null; then
  echo "install-brokers: rabbitmq-server already installed" >&2
else
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-brokers: need root (or sudo) to install rabbitmq-server" >&2; exit 1; }
    sudo=(sudo -n)
  fi
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# written by otel-xray-datadog scripts/install-brokers.sh while apt runs\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    own_policy=1
  fi
  cleanup() { if [ "$own_policy" = 1 ]; then "${sudo[@]}" rm -f "$policy"; fi; }
  trap cleanup EXIT
  echo "install-brokers: installing rabbitmq-server" >&2
  start=$(date +%s)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold rabbitmq-server </dev/null >&2
  # Where a policy-rc.d was not ours to write: stop what the install may have started.
  if command -v service >/dev/null; then "${sudo[@]}" service rabbitmq-server stop </dev/null >/dev/null 2>&1 || true; fi
  # The package's epmd (Erlang's port mapper) may have been started by the install;
  # the tests run their own on a free port.
  echo "install-brokers: installed rabbitmq-server in $(( $(date +%s) - start ))s" >&2
fi

bash scripts/install-kafka.sh >/dev/null
bash scripts/build-ferretdb.sh >/dev/null
