#!/usr/bin/env bash
# appbase.sh LAYOUT: builds the base image of the application cases into a new OCI layout LAYOUT
# (must not exist), tag "appbase": a Debian minbase of the host's release with the packages of
# appbase-packages (MariaDB's server and clients, Python with PyMySQL, nginx, curl), without
# documentation or apt lists. No user or database of MariaDB's: that is the db image's part. Its Dockerfiles (FROM 127.0.0.1:5000/test/appbase:1; lib.sh pushes it there)
# add code, a user, a healthcheck and a command. Needs root, debootstrap, systemd-nspawn, umoci
# and Debian's package mirror (the host apt's; NC_TESTBED_MIRROR overrides it).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
layout=${1:?usage: appbase.sh LAYOUT}
# shellcheck source=debian.sh
source "$here/debian.sh"

log() {
        echo "appbase: $*" >&2
}

[ ! -e "$layout" ] || { log "$layout exists"; exit 1; }
work=$(mktemp -d "$(dirname "$layout")/appbase-work.XXXXXX")
trap 'rm -rf --one-file-system "$work"' EXIT

umoci init --layout "$layout"
umoci new --image "$layout:appbase"
umoci unpack --image "$layout:appbase" "$work/bundle" >/dev/null
root=$work/bundle/rootfs
debian_bootstrap "$root" "$here/appbase-packages" "$work"

# What an image does not need: documentation, translations, caches, logs, the build host's names.
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
        "$root"/usr/share/locale/* "$root"/usr/share/lintian "$root"/var/cache/apt/* \
        "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old
find "$root/var/log" -type f -delete
: >"$root/etc/resolv.conf"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
rm -f "$root/etc/hostname"

umoci repack --image "$layout:appbase" "$work/bundle" >/dev/null
umoci config --image "$layout:appbase" \
        --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --config.env LANG=C.UTF-8 --config.workingdir / --config.cmd /bin/bash
umoci gc --layout "$layout"
