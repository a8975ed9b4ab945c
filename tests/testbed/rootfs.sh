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

log() {
        echo "rootfs: $*" >&2
}

# Packages of one kind ("include" or "apt") from the package file, space separated.
packages_of() {
        sed -n "s/^$1[[:space:]]\+//p" "$packages_file" | tr -s ' \n' '  ' | sed 's/ $//'
}

host_codename() {
        (. /etc/os-release && echo "${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}")
}

# The URI of the first "deb" source of the host's apt for suite $1 with component main, from
# one-line (.list) and deb822 (.sources) files.
host_mirror() {
        local suite=$1 f type uri dist comps
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
                [ -r "$f" ] || continue
                while read -r type uri dist comps; do
                        [ "$type" = deb ] || continue
                        if [[ $uri == \[* ]]; then
                                # options in brackets: "[a=b c=d] URI SUITE COMPONENTS"
                                read -r uri dist comps <<<"$(sed 's/^[^]]*\][[:space:]]*//' \
                                        <<<"$uri $dist $comps")"
                        fi
                        if [ "$dist" = "$suite" ] && [[ " $comps " == *" main "* ]]; then
                                echo "$uri"
                                return 0
                        fi
                done <"$f"
        done
        for f in /etc/apt/sources.list.d/*.sources; do
                [ -r "$f" ] || continue
                awk -v suite="$suite" '
                        BEGIN { RS = ""; FS = "\n" }
                        {
                                types = uris = suites = comps = ""
                                for (i = 1; i <= NF; i++) {
                                        if ($i ~ /^#/) continue
                                        split($i, kv, ":")
                                        v = substr($i, length(kv[1]) + 2)
                                        if (kv[1] == "Types") types = " " v " "
                                        if (kv[1] == "URIs") uris = v
                                        if (kv[1] == "Suites") suites = " " v " "
                                        if (kv[1] == "Components") comps = " " v " "
                                }
                                gsub(/[ \t]+/, " ", types); gsub(/[ \t]+/, " ", suites)
                                gsub(/[ \t]+/, " ", comps)
                                if (index(types, " deb ") && index(suites, " " suite " ") &&
                                    index(comps, " main ")) {
                                        split(uris, u, " ")
                                        print u[1] == "" ? u[2] : u[1]
                                        exit 0
                                }
                        }' "$f" | grep -m1 . && return 0
        done
        return 1
}

key() {
        sha256sum "$packages_file" | cut -c1-16
}

# Debootstraps, then installs the "apt" packages inside with apt (they need virtual packages
# resolved), then trims the root. Runs in a temporary directory renamed into place at the end,
# so an interrupted build never leaves a half-built root behind under the key.
build() {
        local dest=$1 tmp suite mirror include apt_pkgs
        suite=$(host_codename)
        mirror=${NC_TESTBED_MIRROR:-$(host_mirror "$suite")} ||
                { log "no Debian mirror for $suite in /etc/apt/sources.list*"; return 1; }
        include=$(packages_of include | tr ' ' ',')
        apt_pkgs=$(packages_of apt)
        tmp=$(mktemp -d "$cache/build.XXXXXX")
        trap 'rm -rf --one-file-system "$tmp"' EXIT
        log "debootstrap $suite from $mirror into $tmp"
        debootstrap --variant=minbase --include="$include" "$suite" "$tmp/root" "$mirror" \
                >"$tmp/debootstrap.log" 2>&1 ||
                { tail -n 30 "$tmp/debootstrap.log" >&2; return 1; }
        # No service may start while packages are installed into the root.
        printf '#!/bin/sh\nexit 101\n' >"$tmp/root/usr/sbin/policy-rc.d"
        chmod 755 "$tmp/root/usr/sbin/policy-rc.d"
        log "apt-get install $apt_pkgs"
        systemd-nspawn --register=no --keep-unit -q -D "$tmp/root" \
                env DEBIAN_FRONTEND=noninteractive sh -ec "
                        apt-get update -q
                        apt-get install -y -q --no-install-recommends $apt_pkgs
                        apt-get clean
                        rm -rf /var/lib/apt/lists/*
                        systemctl disable docker-registry.service
                        " </dev/null >"$tmp/apt.log" 2>&1 ||
                { tail -n 30 "$tmp/apt.log" >&2; return 1; }
        rm -f "$tmp/root/usr/sbin/policy-rc.d"
        # nspawn fills in the machine ID at every boot; an empty file keeps it transient.
        : >"$tmp/root/etc/machine-id"
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
