# shellcheck shell=bash
# Building a Debian root from a package list, shared by rootfs.sh (the testbed's root) and
# appbase.sh (the base image of the application cases). Sourced; the caller sets `log`.
#
# A package list has "include" lines (debootstrap --include: real packages only, it does not
# resolve virtual ones) and "apt" lines (installed with apt inside the new root, which resolves
# them); "#" starts a comment.

# debian_packages FILE KIND: the packages of one kind ("include" or "apt") of FILE, space
# separated.
debian_packages() {
        sed -n "s/^$2[[:space:]]\+//p" "$1" | tr -s ' \n' '  ' | sed 's/ $//'
}

debian_codename() {
        (. /etc/os-release && echo "${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}")
}

# debian_host_mirror SUITE: the URI of the first "deb" source of the host's apt for SUITE with
# component main, from one-line (.list) and deb822 (.sources) files.
debian_host_mirror() {
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

# debian_bootstrap ROOT PACKAGE_FILE WORK [SCRIPT]: debootstraps the host's release (minbase,
# the "include" packages) into ROOT from the host apt's mirror (NC_TESTBED_MIRROR overrides it),
# then installs the "apt" packages with apt inside, with no service started, and runs SCRIPT
# there (sh -e) before apt's lists and archives are removed. Logs go to WORK; on failure their
# tail goes to stderr.
debian_bootstrap() {
        local root=$1 list=$2 work=$3 script=${4:-} suite mirror include apt_pkgs
        suite=$(debian_codename)
        mirror=${NC_TESTBED_MIRROR:-$(debian_host_mirror "$suite")} ||
                { log "no Debian mirror for $suite in /etc/apt/sources.list*"; return 1; }
        include=$(debian_packages "$list" include | tr ' ' ',')
        apt_pkgs=$(debian_packages "$list" apt)
        log "debootstrap $suite from $mirror into $root"
        debootstrap --variant=minbase ${include:+--include="$include"} "$suite" "$root" "$mirror" \
                >"$work/debootstrap.log" 2>&1 ||
                { tail -n 30 "$work/debootstrap.log" >&2; return 1; }
        # No service may start while packages are installed into the root.
        printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
        chmod 755 "$root/usr/sbin/policy-rc.d"
        log "apt-get install $apt_pkgs"
        systemd-nspawn --register=no --keep-unit -q -D "$root" \
                env DEBIAN_FRONTEND=noninteractive sh -ec "
                        apt-get update -q
                        apt-get install -y -q --no-install-recommends $apt_pkgs
                        $script
                        apt-get clean
                        rm -rf /var/lib/apt/lists/*
                        " </dev/null >"$work/apt.log" 2>&1 ||
                { tail -n 30 "$work/apt.log" >&2; return 1; }
        rm -f "$root/usr/sbin/policy-rc.d"
        # nspawn fills in the machine ID at every boot; an empty file keeps it transient.
        : >"$root/etc/machine-id"
}
