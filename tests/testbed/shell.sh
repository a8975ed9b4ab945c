#!/usr/bin/env bash
# shell.sh [PACKAGE.deb | BUILD/cmd/nspawn-compose] [-- COMMAND...]: boots a testbed the way the
# integration suite does (registry running, test images pushed, the Debian package installed with
# apt when given, or built from this tree to match BUILD: lib.sh tb_package_of) and runs COMMAND
# inside it, or an interactive shell; tears it down afterwards.
# NC_TESTBED_APPBASE=1 also pushes the application base image (127.0.0.1:5000/test/appbase:1).
set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

deb=
if [ $# -gt 0 ] && [ "$1" != -- ]; then
        case $1 in
        *.deb) deb=$(realpath "$1") ;;
        *) deb=$(tb_package_of "$1") || { echo "shell.sh: cannot build the package for $1" >&2; exit 1; } ;;
        esac
        shift
fi
[ "${1:-}" != -- ] || shift
[ $# -gt 0 ] || set -- bash -i

why=$(tb_check_host) || { echo "shell.sh: $why" >&2; exit 1; }
trap tb_teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
tb_rootfs && tb_prepare_copy || exit 1
tb_images_build || exit 1
[ "${NC_TESTBED_APPBASE:-}" != 1 ] || tb_appbase_build || exit 1
tb_boot || exit 1
[ -z "$deb" ] || tb_install_package "$deb" || exit 1
tb_registry_start && tb_images_push || exit 1
[ "${NC_TESTBED_APPBASE:-}" != 1 ] || tb_appbase_push || exit 1
TB_PROJECT=/root
tb_note "testbed $TB_NAME ready (PID 1 is $TB_PID on this host)"
tb_exec "$@"
