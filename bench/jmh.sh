#!/usr/bin/env bash
# JMH micro-benchmarks of the hot pure functions: the router's rule decision, the bus record
# codec, the provider translators and the gateway's OpenAI request parse (bench/src/main/java/
# io/tiermesh/bench/jmh). Writes bench/jmh-results.json and the JMH section of bench/RESULTS.md.
# Short settings (1 fork, 3 × 1 s warm-up, 5 × 1 s measurement, -prof gc): about 7 minutes.
#   bench/jmh.sh                  # everything
#   bench/jmh.sh RuleDecision     # a subset: any JMH arguments (regexps, -p, -prof ...) pass on
# TIERMESH_JMH_NOTE="..." adds a line about the machine to the report (e.g. other load).
set -euo pipefail
cd "$(dirname "$0")/.."
# Build without installing anything: the reactor packages the node jar and the bench jar.
mvn -B -q ${TIERMESH_MVN_FLAGS:-} -DskipTests package -pl bench -am
CP=bench/target/tiermesh-bench.jar:node/target/tiermesh.jar
OUT=bench/jmh-results.json
LOAD_BEFORE=$(cut -d" " -f1-3 /proc/loadavg)
# Forks run with the node's own heap and collector (bin/tiermesh), so allocation costs alike.
java -cp "$CP" org.openjdk.jmh.Main -f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc \
  -jvmArgs "-Xms256m -Xmx256m -XX:+UseSerialGC" -rf json -rff "$OUT" "$@"
LOAD_AFTER=$(cut -d" " -f1-3 /proc/loadavg)
NOTE="Run of $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average before / after: $LOAD_BEFORE / $LOAD_AFTER. ${TIERMESH_JMH_NOTE:-}"
java -cp "$CP" io.tiermesh.bench.jmh.JmhReport "$OUT" bench/RESULTS.md "$NOTE"
