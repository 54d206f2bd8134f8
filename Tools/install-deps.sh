#!/usr/bin/env bash
# Installs the system packages Strata builds against, only when missing (Debian/Ubuntu).
# Used by Tools/serve.sh and Tools/test.sh, so a fresh machine needs nothing else.
set -euo pipefail
need=()
pkg-config --exists liblz4 2>/dev/null || need+=(liblz4-dev pkg-config)
[ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)   # gzip request bodies (Sources/CZlib)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "swift not found on PATH (Swift 6.1+ needed)" >&2; exit 1; }
