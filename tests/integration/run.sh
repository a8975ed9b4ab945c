#!/usr/bin/env bash
# run.sh PACKAGE_DIR [MESON_OPTION...]: the integration suite, as TAP. Builds the Debian package of
# this tree into PACKAGE_DIR (tests/package/build-deb.sh; MESON_OPTIONS as the build under test has
# them, e.g. its sanitizers), boots one testbed (tests/testbed/), installs the package in it with
# apt, starts its registry, pushes the test images, then runs every case file t-*.sh beside this script, each in a fresh project directory inside
# the testbed: "ok N - t-name" or "not ok N - t-name" followed by the case's output and the
# testbed's diagnostics. "# phase NAME 1.23s" lines time the harness.
#
# NC_TESTBED_CASES="t-smoke-* t-apply" limits the run to the cases matching those patterns.
# Exits 0 when every case passed, 1 otherwise. When the suite cannot run here (not root, tools
# missing) it prints "1..0 # SKIP why" and exits 77. Under meson (NC_UNDER_MESON=1) both exit 0:
# meson's TAP protocol reads SKIP from the plan and failures from "not ok" lines, and turns any
# non-zero exit into ERROR.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../testbed/lib.sh
source "$here/../testbed/lib.sh"

package_dir=${1:?usage: run.sh PACKAGE_DIR [MESON_OPTION...]}
shift
meson_options=("$@")
: "${NC_TESTBED_CASE_TIMEOUT:=600}"
cases_root=/srv/nspawn-compose-tests

skip() {
        echo "1..0 # SKIP $*"
        [ "${NC_UNDER_MESON:-}" = 1 ] && exit 0
        exit 77
}

bail() {
        echo "Bail out! $*"
        exit 1
}

# The case files, filtered by NC_TESTBED_CASES.
select_cases() {
        local f name pat
        for f in "$here"/t-*.sh; do
                [ -e "$f" ] || continue
                name=$(basename "$f" .sh)
                if [ -z "${NC_TESTBED_CASES:-}" ]; then
                        echo "$f"
                        continue
                fi
                for pat in $NC_TESTBED_CASES; do
                        # shellcheck disable=SC2053
                        [[ $name == $pat ]] && { echo "$f"; break; }
                done
        done
}

setup() {
        local t
        t=$(tb_now)
        tb_rootfs || bail "could not build the testbed root filesystem"
        tb_phase "rootfs-$TB_ROOTFS_STATE" "$t"
        t=$(tb_now)
        tb_prepare_copy || bail "could not copy the testbed root"
        tb_phase copy "$t"
        t=$(tb_now)
        tb_images_build || bail "could not build the test images"
        tb_phase "image-build-$TB_IMAGES_STATE" "$t"
        if [ -n "$appbase" ]; then
                t=$(tb_now)
                tb_appbase_build || bail "could not build the application base image"
                tb_phase "appbase-build-$TB_APPBASE_STATE" "$t"
        fi
        t=$(tb_now)
        tb_boot || bail "the testbed did not boot"
        tb_phase boot "$t"
        t=$(tb_now)
        tb_install_package "$deb" || bail "could not install $deb"
        tb_phase install-package "$t"
        check_binary
        t=$(tb_now)
        tb_registry_start || bail "the registry did not start"
        tb_phase registry "$t"
        t=$(tb_now)
        tb_images_push || bail "could not push the test images"
        tb_phase image-push "$t"
        if [ -n "$appbase" ]; then
                t=$(tb_now)
                tb_appbase_push || bail "could not push the application base image"
                tb_phase appbase-push "$t"
        fi
}

# The binary is dynamically linked: every library it needs must be in the testbed.
check_binary() {
        local missing
        missing=$(tb_exec ldd /usr/bin/nspawn-compose | grep 'not found')
        [ -z "$missing" ] || bail "libraries missing in the testbed (add them to" \
                "tests/testbed/packages): $missing"
}

# Machines and nspawn-compose units a case left running fail it; stop_leftovers stops them so
# that the next case starts clean (after the diagnostics have shown them).
leftovers() {
        tb_exec machinectl list --no-legend 2>/dev/null | awk '{print "machine", $1}'
        tb_exec systemctl list-units --state=active,activating,reloading --no-legend --plain \
                'nspawn-compose-*' 2>/dev/null | awk '{print "unit", $1}'
}

# journal_cursor: where the testbed's journal is now. sanitizer_reports CURSOR LOG: what the
# sanitizers (the build under test has ASan/UBSan) reported since then, in our units' journal or in
# the case's own output: a report is a failure even when the program went on.
journal_cursor() {
        tb_exec journalctl -q -n 0 --show-cursor 2>/dev/null | sed -n 's/^-- cursor: //p'
}

sanitizer_reports() {
        local pattern='runtime error:|ERROR: AddressSanitizer|ERROR: LeakSanitizer'
        {
                [ -z "$1" ] || tb_exec journalctl -q -o cat --after-cursor="$1" 2>/dev/null
                cat "$2"
        } | grep -E "$pattern" | head -n 5
}

stop_leftovers() {
        local kind name
        while read -r kind name; do
                case $kind in
                machine) tb_exec machinectl terminate "$name" ;;
                unit) tb_exec systemctl stop "$name" ;;
                esac
        done <<<"$1" >/dev/null 2>&1
}

run_case() {
        local file=$1 n=$2 name log t rc left cursor san
        name=$(basename "$file" .sh)
        log=$TB_WORK/cases/$name.log
        mkdir -p "$TB_WORK/cases"
        tb_exec sh -c 'rm -rf "$1" && mkdir -p "$1"' sh "$cases_root/$name"
        t=$(tb_now)
        cursor=$(journal_cursor)
        TB_CASE=$name TB_PROJECT=$cases_root/$name \
                timeout -k 10 "$NC_TESTBED_CASE_TIMEOUT" bash "$TB_DIR/case.sh" "$file" \
                </dev/null >"$log" 2>&1
        rc=$?
        left=$(leftovers)
        san=$(sanitizer_reports "$cursor" "$log")
        [ -z "$san" ] || { [ $rc -ne 0 ] && [ $rc -ne 77 ]; } || rc=1
        if [ $rc -eq 0 ] && [ -z "$left" ]; then
                echo "ok $n - $name"
                # what the case measured (tb_phase), also when it passed
                grep '^# phase ' "$log" | sed 's/^# phase /# phase '"$name"': /' || true
        elif [ $rc -eq 77 ] && [ -z "$left" ]; then
                # the case cannot run here: its last line says why
                echo "ok $n - $name # SKIP $(tail -n 1 "$log")"
        else
                echo "not ok $n - $name"
                [ $rc -ne 124 ] || tb_note "timed out after ${NC_TESTBED_CASE_TIMEOUT}s"
                [ -z "$left" ] || tb_note "left running:" "$left"
                [ -z "$san" ] || tb_note "sanitizer reports:" "$san"
                tb_note "--- output of $name (exit $rc)" "$(tail -n 150 "$log")"
                tb_diagnostics
                [ -z "$left" ] || stop_leftovers "$left"
                failed=$((failed + 1))
        fi
        tb_phase "case-$name" "$t"
        tb_exec rm -rf --one-file-system "$cases_root/$name"
}

main() {
        local why cases n=0 t
        why=$(tb_check_host) || skip "$why"
        t=$(tb_now)
        # nostrip: the sanitizers' reports name functions and lines; the unit suite ran already
        deb=$(DEB_BUILD_OPTIONS="nocheck nostrip" "$here/../package/build-deb.sh" "$here/../.." \
                "$package_dir" "${meson_options[@]}") || bail "could not build the Debian package"
        tb_phase build-package "$t"
        mapfile -t cases < <(select_cases)
        [ ${#cases[@]} -gt 0 ] || skip "no case matches NC_TESTBED_CASES='${NC_TESTBED_CASES:-}'"
        # the application base image (lib.sh: tb_appbase_build) only for cases that say they need it
        appbase=
        ! grep -qx '# needs: appbase' "${cases[@]}" || appbase=1

        trap tb_teardown EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        echo "1..${#cases[@]}"
        setup
        failed=0
        for f in "${cases[@]}"; do
                n=$((n + 1))
                run_case "$f" "$n"
        done
        t=$(tb_now)
        tb_teardown
        tb_phase teardown "$t"
        [ $failed -eq 0 ] || [ "${NC_UNDER_MESON:-}" = 1 ]
}

main
