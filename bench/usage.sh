#!/usr/bin/env bash
# Usage report benchmark (UsageBench): the rollups of 30 days × 300,000 requests a day in a
# fresh redis-server, report latency per grouping, and the paid path's reserve + settle latency
# with and without reports running. Saves the raw output to bench/usage-results.txt, or to the
# file USAGE_RESULTS names (the figures in bench/RESULTS.md's usage section are copied from
# them). Not a test: run it on a quiet box.
#   bench/usage.sh [days] [requestsPerDay] [iterations]
#   USAGE_RESULTS=bench/usage-results-1m.txt bench/usage.sh 30 33334   # 1 million requests
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=node/target/tiermesh.jar
[ -f "$JAR" ] || mvn -B -q -o -DskipTests package -pl node -am
OUT=bench/target
mkdir -p "$OUT/classes"
javac -cp "$JAR" -d "$OUT/classes" bench/src/UsageBench.java

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DIR=$(mktemp -d)
redis-server --port "$PORT" --bind 127.0.0.1 --dir "$DIR" --save '' --appendonly yes \
  --maxmemory-policy noeviction --daemonize no >"$DIR/redis.log" 2>&1 &
REDIS_PID=$!
trap 'kill $REDIS_PID 2>/dev/null; wait $REDIS_PID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done

LOAD=$(cut -d" " -f1-3 /proc/loadavg)
{
  printf '# %s, %s cores, redis %s, load average before the run: %s\n' \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$(redis-server --version | awk '{print $3}')" "$LOAD"
  REDIS_URL="redis://127.0.0.1:$PORT" java -Xmx512m -cp "$JAR:$OUT/classes" UsageBench \
    "${1:-30}" "${2:-300000}" "${3:-200}" | grep '^RESULT'
  printf '# load average after the run: %s\n' "$(cut -d" " -f1-3 /proc/loadavg)"
} | tee "${USAGE_RESULTS:-bench/usage-results.txt}"
