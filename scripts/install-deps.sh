#!/usr/bin/env bash
# Installs every build and test dependency from Debian packages. Idempotent: packages already
# present are not fetched again, and apt-get update runs only when something is missing.
set -euo pipefail

packages=(
        # build
        gcc libc6-dev meson ninja-build pkg-config
        libsystemd-dev libnftnl-dev libmnl-dev libyaml-dev libjson-c-dev nettle-dev
        libseccomp-dev  # the container's system call filter for exec and exec probes
        # tests and the testbed
        python3 python3-yaml systemd systemd-container nftables iproute2 conntrack debootstrap busybox-static
        skopeo umoci docker-registry util-linux
        libxml2-utils   # xmllint: plan --format junit against its schema
        dpkg-dev debhelper lintian      # the Debian package (debian/), which the testbed installs
)

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
        echo "install-deps: all ${#packages[@]} packages present"
        exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: missing ${missing[*]}; run as root" >&2
        exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
