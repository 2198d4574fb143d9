#!/usr/bin/env bash
# What confirming each reservation on a replica (WAIT 1, as under Sentinel) adds to the budget
# path: BudgetBench's reserve + settle pairs against a master with one replica, once without
# and once with REPLICA_ACKS=1, at 1 caller (latency) and at 16 (throughput), same servers,
# same run. Appends the figures to bench/RESULTS.md. Not a test: run it on a quiet box.
#   bench/budget-wait.sh [measureSeconds]
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=node/target/tiermesh.jar
[ -f "$JAR" ] || mvn -B -q -o -DskipTests package -pl node -am
OUT=bench/target
mkdir -p "$OUT/classes"
javac -cp "$JAR" -d "$OUT/classes" bench/src/BudgetBench.java

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
MASTER=$(free_port); REPLICA=$(free_port)
DIR=$(mktemp -d)
redis-server --port "$MASTER" --bind 127.0.0.1 --dir "$DIR" --save '' --appendonly yes \
  --appenddirname master-aof --maxmemory-policy noeviction --daemonize no >"$DIR/master.log" 2>&1 &
M_PID=$!
redis-server --port "$REPLICA" --bind 127.0.0.1 --dir "$DIR" --save '' --appendonly yes \
  --appenddirname replica-aof --replicaof 127.0.0.1 "$MASTER" --daemonize no >"$DIR/replica.log" 2>&1 &
R_PID=$!
trap 'kill $M_PID $R_PID 2>/dev/null; wait $M_PID $R_PID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 200); do
  redis-cli -p "$MASTER" info replication 2>/dev/null | grep -q 'state=online' && break
  sleep 0.1
done

SECONDS_=${1:-10}
LOAD=$(cut -d" " -f1-3 /proc/loadavg)
LINES=""
for callers in 1 16; do
  for acks in 0 1; do
    # A store that could not start in time on a loaded machine is tried again, twice.
    R=""
    for _ in 1 2 3; do
      R=$(REDIS_URL="redis://127.0.0.1:$MASTER" REPLICA_ACKS=$acks java -cp "$JAR:$OUT/classes" \
        BudgetBench "$callers" 3 "$SECONDS_" 2>/dev/null | grep '^RESULT' || true)
      [ -n "$R" ] && break
    done
    LINES="$LINES"$'\n'"replicaAcks=$acks $R"
    echo "replicaAcks=$acks $R"
  done
done

RESULTS=bench/RESULTS.md
grep -q '^## Reservation confirmed by a replica' "$RESULTS" || printf '\n## Reservation confirmed by a replica\n\n`bench/budget-wait.sh`: BudgetStore reserve + settle pairs (five scopes) against a master with one replica on the same machine, without (`replicaAcks=0`) and with (`replicaAcks=1`: `WAIT 1 100` on the connection after each reserve and settle script), same servers, same run.\n' >>"$RESULTS"
{
  printf '\n### %s, %s cores, %s, load average before the run: %s\n\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$(redis-server --version | awk '{print $3}')" "$LOAD"
  printf '```%s\n```\n' "$LINES"
} >>"$RESULTS"
echo "appended to $RESULTS"
