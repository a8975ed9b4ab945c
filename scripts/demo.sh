#!/usr/bin/env bash
# The demo: installs the dependencies, builds nspawn-compose (build-demo/), boots the testbed (a
# systemd host in its own network namespace, tests/testbed/) with the test images in its
# loopback registry, then applies examples/web in it, shows `nspawn-compose ps` and fetches the
# published port from the testbed's 127.0.0.1. Until the binary has an `apply` verb it stops
# after the boot and says so. The testbed is always torn down at the end. Run as root.
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

step "building nspawn-compose in ${build#"$top"/}/"
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
ninja -C "$build"
binary=$build/cmd/nspawn-compose

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
tb_install_binary "$binary"
tb_images_build
tb_boot
tb_phase "testbed up" "$t"

step "building and pushing the example images to $TB_REGISTRY inside the testbed"
tb_registry_start
tb_images_push
tb_exec skopeo list-tags "docker://$TB_REGISTRY/test/httpd"

if ! "$binary" --help 2>/dev/null | grep -q '^ *apply '; then
        step "stopping here"
        echo "This nspawn-compose has no 'apply' verb yet (its --help lists none), so there is"
        echo "nothing to deploy. The testbed booted (systemd $(tb_exec systemctl is-system-running))"
        echo "and its registry serves the example images. Run the demo again once apply exists."
        exit 0
fi

step "applying examples/web"
tb_copy_in "$top/examples/web" /srv
TB_PROJECT=/srv/web
tb_nc apply

step "nspawn-compose ps"
tb_nc ps

step "GET http://127.0.0.1:$port/ inside the testbed"
tb_wait_for "port $port" 60 timeout 5 busybox wget -q -O /dev/null "http://127.0.0.1:$port/"
tb_http "http://127.0.0.1:$port/"

if "$binary" --help 2>/dev/null | grep -q '^ *down '; then
        step "nspawn-compose down"
        tb_nc down
fi
step "done; tearing down the testbed"
