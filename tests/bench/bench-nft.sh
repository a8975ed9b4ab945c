#!/bin/sh
# Publishing ports: our one-batch netlink path vs `nft -f` vs one `nft add rule` per port.
# Usage: tests/bench/bench-nft.sh [BUILD_DIR]   (needs nft; runs in throwaway namespaces)
set -e
build=${1:-build}
ninja -C "$build" tests/bench/bench-nft >/dev/null
exec "$build/tests/bench/bench-nft"
