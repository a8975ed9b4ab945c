#!/usr/bin/env bash
# The demo: installs the dependencies, builds the Debian package of nspawn-compose (build-demo/),
# boots the testbed (a systemd host in its own network namespace, tests/testbed/) with the test
# images in its loopback registry, installs the package there with apt, then applies examples/web
# in it, shows `nspawn-compose ps`, fetches the published port from the testbed's 127.0.0.1 and
# takes the project down. The testbed is always torn down at the end. Run as root.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${NC_DEMO_BUILD_DIR:-build-demo}
[[ $build == /* ]] || build=$top/$build
port=8080

current=

step() {
        current=$*
        printf '\n==> %s\n' "$*"
}

# On failure: what failed and, once the testbed runs, its state; then the teardown.
finish() {
        local rc=$?
        if [ $rc -ne 0 ]; then
                echo "demo: step '$current' failed (exit $rc)" >&2
                [ -z "${TB_PID:-}" ] || tb_diagnostics
        fi
        tb_teardown
        exit $rc
}

step "installing dependencies"
scripts/install-deps.sh

step "building the Debian package in ${build#"$top"/}/ (dpkg-buildpackage)"
deb=$(DEB_BUILD_OPTIONS=nocheck tests/package/build-deb.sh "$top" "$build")
echo "$deb"

# shellcheck source=../tests/testbed/lib.sh
source "$top/tests/testbed/lib.sh"
why=$(tb_check_host) || { echo "demo: cannot boot the testbed: $why" >&2; exit 1; }
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "booting the testbed"
t=$(tb_now)
tb_rootfs
[ "$TB_ROOTFS_STATE" = warm ] || echo "(built the testbed root filesystem; later runs reuse it)"
tb_prepare_copy
tb_images_build
tb_boot
tb_phase "testbed up" "$t"

step "apt-get install ./$(basename "$deb") inside the testbed"
tb_install_package "$deb"
tb_exec nspawn-compose --version

step "building and pushing the example images to $TB_REGISTRY inside the testbed"
tb_registry_start
tb_images_push
tb_exec skopeo list-tags "docker://$TB_REGISTRY/test/httpd"

step "applying examples/web"
tb_copy_in "$top/examples/web" /srv
TB_PROJECT=/srv/web
tb_nc apply

step "nspawn-compose ps"
tb_nc ps

step "GET http://127.0.0.1:$port/ inside the testbed"
tb_wait_for "port $port" 60 timeout 5 busybox wget -q -O /dev/null "http://127.0.0.1:$port/"
tb_http "http://127.0.0.1:$port/"

step "nspawn-compose down"
tb_nc down
step "done; tearing down the testbed"
