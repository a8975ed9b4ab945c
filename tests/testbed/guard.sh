#!/usr/bin/env bash
# guard.sh OWNER_PID PIDFILE WORKDIR -- COMMAND...: runs COMMAND (the testbed's systemd-nspawn)
# and writes its PID to PIDFILE. The owner (the runner) normally stops COMMAND and removes
# WORKDIR itself, then tells the guard with SIGUSR1 that it is done. The guard exists for when the
# owner dies before that (meson's timeout sends SIGTERM and then SIGKILL to the owner's process
# group 0.5 s later, before a boot can be shut down or a root removed): it then stops COMMAND
# as tb_teardown does (tb_stop_nspawn) and removes WORKDIR. lib.sh starts it with setsid, so
# the signals to the owner's group do not reach it.
set -uo pipefail

owner=$1 pidfile=$2 workdir=$3
shift 4

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

"$@" </dev/null &
child=$!
echo "$child" >"$pidfile"
trap 'exit 0' USR1

while tb_alive "$owner"; do
        sleep 0.2
done
tb_stop_nspawn "$child"
wait "$child"
tb_remove_work "$workdir"
