#!/usr/bin/env bash
# Budget store benchmark: reserve + settle with 64 concurrent callers (BudgetBench), next to
# redis-benchmark against the same redis-server in the same run. Appends the figures to
# bench/RESULTS.md. Not a test: numbers depend on the machine; run it on a quiet box.
#   bench/budget.sh [callers] [warmupSeconds] [measureSeconds]
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=node/target/tiermesh.jar
[ -f "$JAR" ] || mvn -B -q -o -DskipTests package -pl node -am
OUT=bench/target
mkdir -p "$OUT/classes"
javac -cp "$JAR" -d "$OUT/classes" bench/src/BudgetBench.java

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DIR=$(mktemp -d)
redis-server --port "$PORT" --bind 127.0.0.1 --dir "$DIR" --save '' --appendonly yes \
  --maxmemory-policy noeviction --daemonize no >"$DIR/redis.log" 2>&1 &
REDIS_PID=$!
trap 'kill $REDIS_PID 2>/dev/null; wait $REDIS_PID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done

CALLERS=${1:-64}
LOAD=$(cut -d" " -f1-3 /proc/loadavg)
BENCH=$(REDIS_URL="redis://127.0.0.1:$PORT" java -cp "$JAR:$OUT/classes" BudgetBench "$CALLERS" "${2:-3}" "${3:-10}" | grep '^RESULT')
echo "$BENCH"
# Redis's own CPU time per budget script, to tell server cost from client cost.
SCRIPTS=$(redis-cli -p "$PORT" info commandstats | tr -d '\r' | grep -E '^cmdstat_(evalsha|eval):' || true)
echo "$SCRIPTS"
RB=$(redis-benchmark -p "$PORT" -c "$CALLERS" -n 200000 -q -t ping,set,incr 2>/dev/null | tr '\r' '\n' | grep 'requests per second' || true)
LUA=$(redis-benchmark -p "$PORT" -c "$CALLERS" -n 200000 -q EVAL "return redis.call('INCR', KEYS[1])" 1 '{tm}:bench' 2>/dev/null | tr '\r' '\n' | grep 'requests per second' || true)
echo "$RB"; echo "$LUA"

RESULTS=bench/RESULTS.md
[ -f "$RESULTS" ] || printf '# Benchmarks\n\nFigures from the scripts in bench/, newest first within each section.\n' >"$RESULTS"
grep -q '^## Budgets' "$RESULTS" || printf '\n## Budgets\n\n`bench/budget.sh`: BudgetStore reserve + settle (two Lua scripts, five scopes each) with %s concurrent callers on one Vert.x event loop, next to `redis-benchmark` with the same number of clients on the same redis-server (appendonly yes).\n' "$CALLERS" >>"$RESULTS"
{
  printf '\n### %s, %s cores, %s, load average before the run: %s\n\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$(redis-server --version | awk '{print $3}')" "$LOAD"
  printf '```\n%s\n%s\n%s\n%s\n```\n' "$BENCH" "$SCRIPTS" "$RB" "$LUA"
} >>"$RESULTS"
echo "appended to $RESULTS"
