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
# (harness/brokers.mjs). Idempotent: with everything present it only checks
# a few paths.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/apt-install-stopped.sh

missing=()
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
# Kafka runs on the machine's JVM (17+) and is fetched with Maven (scripts/install-kafka.sh).
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-brokers: rabbitmq-server, java and mvn already installed" >&2
else
  # (The package may also leave Erlang's port mapper, epmd, on 4369; the tests run their own.)
  apt_install_stopped install-brokers rabbitmq-server "${missing[@]}"
fi

bash scripts/install-kafka.sh >/dev/null
bash scripts/build-ferretdb.sh >/dev/null
