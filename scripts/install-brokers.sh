#!/usr/bin/env bash
# The servers test/instrumentation-brokers.test.mjs and test/instrumentation-servers.test.mjs
# run besides the databases of install-test-services.sh, installed when missing and reused
# otherwise:
#   - RabbitMQ (Debian's rabbitmq-server) for amqplib;
#   - Apache Kafka in KRaft mode (Maven Central, scripts/install-kafka.sh) for kafkajs, with
#     Debian's JRE and Maven when the machine has none;
#   - FerretDB on SQLite (Go module proxy, scripts/build-ferretdb.sh) for mongodb and mongoose.
# Nothing is left running: the package's init script is kept from starting the
# service (a policy-rc.d that refuses every start while apt runs), and the tests
# start their own servers on free ports with temporary directories
# (test/support/brokers.mjs). Idempotent: with everything present it only checks
# a few paths.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
# Kafka runs on the machine's JVM (17+) and is fetched with Maven (scripts/install-kafka.sh).
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-brokers: rabbitmq-server, java and mvn already installed" >&2
else
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-brokers: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
    sudo=(sudo -n)
  fi
  # Keep the packages' maintainer scripts from starting services (exit 101 = "action
  # forbidden"); an existing policy-rc.d (e.g. a container's) is left as it is.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# written by otel-xray-datadog scripts/install-brokers.sh while apt runs\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    own_policy=1
  fi
  cleanup() { if [ "$own_policy" = 1 ]; then "${sudo[@]}" rm -f "$policy"; fi; }
  trap cleanup EXIT
  echo "install-brokers: installing ${missing[*]}" >&2
  start=$(date +%s)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" </dev/null >&2
  # Where a policy-rc.d was not ours to write: stop what the install may have started. (The
  # package may also leave Erlang's port mapper, epmd, on 4369; the tests run their own.)
  if command -v service >/dev/null; then "${sudo[@]}" service rabbitmq-server stop </dev/null >/dev/null 2>&1 || true; fi
  echo "install-brokers: installed ${missing[*]} in $(( $(date +%s) - start ))s" >&2
fi

bash scripts/install-kafka.sh >/dev/null
bash scripts/build-ferretdb.sh >/dev/null
