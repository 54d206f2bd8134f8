#!/usr/bin/env bash
# Sustained live TCP ingest of `strata serve`: `strata-loadgen --live` sends the realistic workload at a
# fixed rate for a fixed time, each buffer stamped with the wall clock, over C connections, so minutes
# close and the server flushes them while ingest goes on. The sender generates lines as it sends, on
# the same 2-core machine. Prints what was sent, how far behind the server was when the sender stopped
# and when it had stored everything, server CPU, peak RSS and the 1m segments written.
#
# With POOL > 0 the sender generates POOL lines before the clock starts and sends them in a loop,
# restamped with the wall clock (`strata-loadgen --pool`): the sender then costs little more than its
# socket writes, so rates beyond what it could generate beside the server can be offered.
#
# Usage: Benchmarks/tcp-ingest-live.sh [RATE lines/s (600000)] [SECONDS (150)] [CONNECTIONS (4)] [POOL lines (0)]
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-600000}
seconds=${2:-150}
connections=${3:-4}
pool=${4:-0}

source Benchmarks/bench-server.sh --wal-sync every-write
cpu_before=$(cpu)
report=$("$bin/strata-loadgen" --tcp "$ingest" --live --rate "$rate" --duration "$seconds" --connections "$connections" --pool "$pool" 2>&1 | tail -1)
sender_done=$(date +%s.%N)
echo "$report"
# The clock starts when the sender starts sending (after it generated its pool, if any).
start=$(echo "$report" | grep -o "started=[0-9.]*" | cut -d= -f2)
sent=$(echo "$report" | grep -o "lines=[0-9]*" | cut -d= -f2)
behind=$(( sent - $(stored) ))
wait_until_stored "$sent"
end=$(date +%s.%N)
cpu_after=$(cpu)
peak=$(peak_rss)
segments=$(metric 'strata_segments{granularity="1m"}')
awk -v n="$sent" -v s="$start" -v d="$sender_done" -v e="$end" -v b="$behind" -v c0="$cpu_before" -v c1="$cpu_after" -v p="$peak" -v g="$segments" -v r="$rate" 'BEGIN {
    printf "live tcp ingest at %d lines/s: %d lines in %.1f s; %d lines (%.2f s of sending) not yet stored when the sender stopped, all stored %.2f s later; %d lines/s until stored; server CPU %.1f s (%.2f cores, %.2f us/line); peak RSS %d MiB; 1m segments flushed during the run: %s\n", r, n, d - s, b, b / r, e - d, n / (e - s), c1 - c0, (c1 - c0) / (e - s), (c1 - c0) / n * 1e6, p, g
}'
