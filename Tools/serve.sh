#!/usr/bin/env bash
# Builds Strata in release mode and runs `strata serve` with its embedded defaults
# (data in ./strata-data, ingest on 127.0.0.1:8089, HTTP on 127.0.0.1:8086). Extra arguments go to `serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/install-deps.sh
swift build -c release
exec .build/release/strata serve "$@"
