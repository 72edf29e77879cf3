#!/usr/bin/env bash
# Installs an Apache Kafka broker (KRaft mode, no ZooKeeper) from Maven Central's
# org.apache.kafka artifacts into a cache outside the repository, to run on the
# machine's JVM (Java 17+) for the kafkajs instrumentation tests
# (harness/brokers.mjs starts it on 127.0.0.1 with a temporary directory).
# Maven resolves kafka_2.13 (the broker and its StorageTool) with its runtime
# dependencies and copies every jar into one directory: the classpath.
# Reused when present. Prints the directory of jars on its last line of stdout.
set -euo pipefail

version=4.1.1
cache_root=${OTEL_XRAY_DD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/otel-xray-datadog}
out="$cache_root/kafka/$version"
libs="$out/libs"

if [ -f "$out/complete" ]; then
  echo "install-kafka: reusing $libs" >&2
  echo "$libs"
  exit 0
fi

command -v java >/dev/null || { echo "install-kafka: java (17 or newer) is required (not on PATH)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "install-kafka: mvn is required to fetch Kafka from Maven Central (apt-get install maven)" >&2; exit 1; }

mkdir -p "$cache_root/kafka"
exec 9>"$out.lock"
flock 9
if [ -f "$out/complete" ]; then
  echo "$libs"
  exit 0
fi

work="$out.work"
rm -rf "$work"
mkdir -p "$work"
echo "install-kafka: fetching org.apache.kafka:kafka_2.13:$version and its runtime dependencies into $out" >&2
start=$(date +%s)
# log4j-core / log4j-slf4j-impl: the broker logs through SLF4J 1.7; without a binding
# it prints nothing, and the tests wait for its "started" line.
cat > "$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>otel-xray-datadog.test</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.24.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>
EOF
mvn -B -q -f "$work/pom.xml" -Dmaven.repo.local="$cache_root/kafka/m2" \
  dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$work/libs" >&2
ls "$work/libs"/kafka_2.13-"$version".jar >/dev/null
rm -rf "$out"
mkdir -p "$out"
mv "$work/libs" "$libs"
rm -rf "$work" "$cache_root/kafka/m2"
touch "$out/complete"
echo "install-kafka: installed Kafka $version ($(ls "$libs" | wc -l) jars) in $(( $(date +%s) - start ))s" >&2
echo "$libs"
