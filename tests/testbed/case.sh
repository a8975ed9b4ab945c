#!/usr/bin/env bash
# case.sh CASE_FILE: runs one integration case file in its own shell, with lib.sh loaded, errexit
# on, cwd the case's directory. Whatever the case registered with tb_defer runs at the end, pass
# or fail. The runner (tests/integration/run.sh) sets TB_PID, TB_PROJECT and TB_CASE.
set -Eeuo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# Names the failing command and where it was called from, innermost first (once: the trap
# fires again in every function the failure returns through).
tb__on_err() {
        local i
        [ -z "${tb__err_seen:-}" ] || return 0
        tb__err_seen=1
        echo "FAILED (exit $1): $2" >&2
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

trap 'tb__on_err "$?" "$BASH_COMMAND"' ERR
trap tb__case_exit EXIT
cd "$(dirname "$1")"
# shellcheck source=/dev/null
source "$1"
