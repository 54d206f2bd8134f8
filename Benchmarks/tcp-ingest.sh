#!/usr/bin/env bash
# Sustained TCP ingest of `strata serve`, end to end: a release server on loopback with a temporary
# data directory, `strata-loadgen` (release, every line generated before the clock starts) sending the
# realistic API workload over C connections as fast as the server takes it, then polling /metrics until every line is stored. Prints lines/s until
# stored, server CPU seconds and peak RSS (from /proc); then stops the server and reports the CPU its
# final flush took and the totals for the whole run.
#
# Timestamps: by default a live stream, spread over the time the lines take to send at the 1.5M lines/s
# target and ending now (as a gateway stamping requests live would); BACKFILL_DAYS spreads them over
# that many days instead (0.02: the last 29 minutes, a backfill whose minutes close and are flushed).
#
# Usage: Benchmarks/tcp-ingest.sh [LINES (10000000)] [CONNECTIONS (4)] [WAL_SYNC (every-write)] [BACKFILL_DAYS (live)]
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-10000000}
connections=${2:-4}
wal_sync=${3:-every-write}
backfill_days=${4:-live}
if [ "$backfill_days" = live ]; then backfill_days=$(awk -v n="$lines" 'BEGIN { printf "%.7f", n / 1500000 / 86400 }'); fi

source Benchmarks/bench-server.sh --wal-sync "$wal_sync"
cpu_before=$(cpu)
report=$("$bin/strata-loadgen" --tcp "$ingest" --lines "$lines" --connections "$connections" --backfill-days "$backfill_days" --pregenerate 2>&1 | tail -1)
echo "$report"
# The clock starts when the sender starts sending (after it generated every line).
start=$(echo "$report" | grep -o "started=[0-9.]*" | cut -d= -f2)
wait_until_stored "$lines"
end=$(date +%s.%N)
cpu_after=$(cpu)
peak=$(peak_rss)
awk -v n="$lines" -v s="$start" -v e="$end" -v c0="$cpu_before" -v c1="$cpu_after" -v p="$peak" -v w="$wal_sync" -v k="$connections" 'BEGIN {
    t = e - s
    printf "tcp ingest: %d lines over %d connections, wal-sync %s: %.2f s = %d lines/s until stored; server CPU %.2f s (%.2f cores); peak RSS %d MiB\n", n, k, w, t, n / t, c1 - c0, (c1 - c0) / t, p
}'
# Then stop the server, which flushes the whole head (the segment writes ingest left behind), and
# report the CPU that took and the peak RSS over the whole run.
kill "$server"
cpu_last=$cpu_after
peak_all=$peak
while kill -0 "$server" 2>/dev/null; do
    c=$(cpu 2>/dev/null || true); [ -n "$c" ] && cpu_last=$c
    p=$(peak_rss 2>/dev/null || true); [ -n "$p" ] && peak_all=$p
    sleep 0.1
done
stop=$(date +%s.%N)
awk -v e="$end" -v f="$stop" -v c0="$cpu_before" -v c1="$cpu_after" -v c2="$cpu_last" -v p="$peak_all" 'BEGIN {
    printf "then shutdown (final flush): %.2f s, %.2f CPU s; server CPU for the whole run %.2f s; peak RSS %d MiB\n", f - e, c2 - c1, c2 - c0, p
}'
