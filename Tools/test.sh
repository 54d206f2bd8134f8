#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test, and ends with one
# "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/install-deps.sh
# Third-party clients the server's end-to-end tests drive (ThirdPartyClientTests runs Tools/client_check.py).
if ! python3 -c "import influxdb, questdb, prometheus_client" >/dev/null 2>&1; then
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore influxdb questdb prometheus_client
fi
swift build --build-tests
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
swift test --skip-build "$@" 2>&1 | tee "$log" || status=$?
# Swift Testing's summary: "Test run with N tests in M suites passed|failed … [with K issues]".
summary=$(grep -E "Test run with [0-9]+ tests" "$log" | tail -1 || true)
total=$(sed -E 's/.*Test run with ([0-9]+) tests.*/\1/' <<<"$summary")
issues=$(grep -oE "with [0-9]+ issues?" <<<"$summary" | grep -oE "[0-9]+" || echo 0)
if [ -z "$summary" ]; then
    echo "tests: no test run summary found (status $status)"
    exit $(( status == 0 ? 1 : status ))
fi
failed=$(grep -cE "^✘ Test .*failed" "$log" || true)
skipped=$(grep -cE "^➜ Test .*skipped" "$log" || true)
# The third-party client checks (influxdb, questdb, prometheus_client) run inside swift test
# (StrataServerTests' ThirdPartyClientTests), so they are counted here.
echo "tests: $(( total - failed - skipped )) passed, $failed failed, $skipped skipped"
exit $status
