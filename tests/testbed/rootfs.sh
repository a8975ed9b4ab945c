#!/usr/bin/env bash
# Builds (once) and caches the root filesystem of the testbed: a Debian minbase with systemd,
# machined, nftables and the tools the integration tests use. Prints "PATH cold" when it had to
# build the root and "PATH warm" when the cache was current. PATH must never be booted or
# modified: callers boot a copy of it (lib.sh: tb_prepare_copy).
#
# The cache lives in $NC_TESTBED_CACHE (default /var/cache/nspawn-compose-testbed/), one
# directory per sha256 of tests/testbed/packages; a change of the list builds a new root and
# removes the old ones. The Debian mirror is the one the host's apt uses for its own release
# ($NC_TESTBED_MIRROR overrides it).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${NC_TESTBED_CACHE:-/var/cache/nspawn-compose-testbed}
packages_file=$here/packages
# shellcheck source=debian.sh
source "$here/debian.sh"

log() {
        echo "rootfs: $*" >&2
}

key() {
        sha256sum "$packages_file" | cut -c1-16
}

# Builds the root in a temporary directory renamed into place at the end, so an interrupted build
# never leaves a half-built root behind under the key.
build() {
        local dest=$1 tmp
        tmp=$(mktemp -d "$cache/build.XXXXXX")
        trap 'rm -rf --one-file-system "$tmp"' EXIT
        debian_bootstrap "$tmp/root" "$packages_file" "$tmp" \
                "systemctl disable docker-registry.service"
        mv "$tmp/root" "$dest"
        rm -rf --one-file-system "$tmp"
        trap - EXIT
}

main() {
        local k dest state=warm old
        [ -r "$packages_file" ] || { log "missing $packages_file"; exit 1; }
        mkdir -p "$cache"
        k=$(key)
        dest=$cache/root-$k
        exec 9>"$cache/lock"
        flock 9
        if [ ! -d "$dest" ]; then
                state=cold
                build "$dest"
                for old in "$cache"/root-*; do
                        [ "$old" = "$dest" ] || rm -rf --one-file-system "$old"
                done
        fi
        echo "$dest $state"
}

main "$@"
