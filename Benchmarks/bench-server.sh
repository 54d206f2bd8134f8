# Sourced by the TCP ingest benchmarks: builds the release `strata` and `strata-loadgen`, starts
# `strata serve` on loopback ports with a temporary data directory (serve flags: the arguments of
# `source`; give at least one, or the sourcing script's own arguments are taken), stops and
# removes it on exit, and defines helpers. Sets: bin, data, log, server (pid), ingest and http
# (HOST:PORT). Helpers: cpu (server CPU seconds), metric NAME (a /metrics sample), stored (lines stored
# from TCP), peak_rss (MiB), wait_until_stored N (waits at most 600 s for N stored lines; fails otherwise).
Tools/install-deps.sh
swift build -c release --product strata >/dev/null 2>&1 || swift build -c release --product strata
swift build -c release --product strata-loadgen >/dev/null 2>&1 || swift build -c release --product strata-loadgen
bin=.build/release
data=$(mktemp -d /tmp/strata-bench.XXXXXX)
log="$data.log"
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data" "$log"' EXIT

"$bin/strata" serve --data-dir "$data" --ingest-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 "$@" >"$log" 2>&1 &
server=$!
for _ in $(seq 1 100); do grep -q "listening" "$log" && break; sleep 0.1; done
ingest=$(grep -o 'ingest=[0-9.:]*' "$log" | head -1 | cut -d= -f2 || true)
http=$(grep -o 'http=[0-9.:]*' "$log" | head -1 | cut -d= -f2 || true)
[ -n "$ingest" ] && [ -n "$http" ] || { echo "server did not start:"; cat "$log"; exit 1; }

cpu() { awk '{print ($14 + $15) / 100}' "/proc/$server/stat"; }
metric() { curl -s "http://$http/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
stored() { metric 'strata_ingest_lines_total{transport="tcp"}'; }
peak_rss() { awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$server/status"; }
wait_until_stored() {
    for _ in $(seq 1 3000); do
        [ "$(stored)" = "$1" ] && return 0
        sleep 0.2
    done
    echo "only $(stored) of $1 lines stored"
    exit 1
}
