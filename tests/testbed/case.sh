#!/usr/bin/env bash
# case.sh CASE_FILE: runs one integration case file in its own shell, with lib.sh loaded, errexit
# on, cwd the case's directory. Whatever the case registered with tb_defer runs at the end, pass
# or fail. The runner (tests/integration/run.sh) sets TB_PID, TB_PROJECT and TB_CASE.
set -Eeuo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# Names the failing line of the case file (the innermost frame outside lib.sh) with its text,
# then the call stack. Once: the trap fires again in every function the failure returns through.
tb__on_err() {
        local rc=$1 i src line
        [ -z "${tb__err_seen:-}" ] || return 0
        tb__err_seen=1
        for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
                src=${BASH_SOURCE[i]}
                line=${BASH_LINENO[i - 1]}
                if [ "$src" = "$tb__case_file" ]; then
                        echo "FAILED at ${src##*/}:$line (exit $rc):" \
                                "$(sed -n "${line}{s/^[[:space:]]*//;p}" "$src")" >&2
                        break
                fi
        done
        for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
                echo "  at ${BASH_SOURCE[i]##*/}:${BASH_LINENO[i - 1]} ${FUNCNAME[i]:-}" >&2
        done
}

tb__case_exit() {
        local rc=$?
        set +eE
        trap - ERR
        tb_run_deferred
        exit "$rc"
}

trap 'tb__on_err "$?"' ERR
trap tb__case_exit EXIT
tb__case_file=$(realpath "$1")
cd "$(dirname "$tb__case_file")"
# shellcheck source=/dev/null
source "$tb__case_file"
