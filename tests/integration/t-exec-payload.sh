# exec runs the command as the payload runs: its capabilities, no_new_privs and seccomp filter, in
# the unit's cgroup, with the environment of S.json and the image (never the payload's
# /proc/PID/environ, which the machine can rewrite), with docker compose exec's -u -w -e -T -d, a
# tty when stdin is one, and the command's exit status.

p=execp
tb_defer tb_nc down
tb_write_compose <<EOF2
name: $p
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    environment:
      GREETING: compose
    # the payload plants variables in its own environment: exec must not pick them up
    entrypoint: ["sh", "-c", "export LD_PRELOAD=/nonexistent-planted.so PLANTED=1; exec /bin/start-httpd"]
EOF2
tb_nc apply

status() {      # status FIELD [EXEC-ARGS...]: FIELD of /proc/self/status of an exec'd cat
        local f=$1
        shift
        tb_nc exec -T "$@" web cat /proc/self/status | awk -v f="$f:" '$1 == f {print $2}'
}
payload() {     # payload FIELD: the payload's (PID 2 in the machine)
        tb_nc exec -T web cat /proc/2/status | awk -v f="$1:" '$1 == f {print $2}'
}

tb_assert_eq "$(status CapEff)" "$(payload CapEff)" "effective set is the payload's"
tb_assert_eq "$(status CapPrm)" "$(payload CapPrm)" "permitted set is the payload's"
tb_assert_eq "$(status CapBnd)" "$(payload CapBnd)" "bounding set is the payload's"
tb_assert_eq "$(status CapInh)" 0000000000000000 "no inheritable capabilities"
tb_assert_eq "$(status CapAmb)" 0000000000000000 "no ambient capabilities"
tb_assert_eq "$(status NoNewPrivs)" "$(payload NoNewPrivs)" "no_new_privs as the payload"
tb_assert_eq "$(status Seccomp)" 2 "under a seccomp filter"
tb_assert_eq "$(payload Seccomp)" 2 "the payload too"
tb_assert_eq "$(status CapEff -u nobody)" 0000000000000000 "another user has no capabilities"

# the unit's cgroup: <unit>/exec on the unified hierarchy, else the payload's in every hierarchy
unit=$(tb_unit web $p)
if tb_exec test -e /sys/fs/cgroup/cgroup.controllers; then
        tb_assert_contains "$(tb_nc exec -T web cat /proc/self/cgroup)" "/exec" "inside the unit's exec cgroup"
        want="$unit/exec"
else
        tb_assert_eq "$(tb_nc exec -T web cat /proc/self/cgroup)" "$(tb_nc exec -T web cat /proc/2/cgroup)" \
                "in the payload's cgroups"
        want="name=systemd:/machine.slice/$unit/"
fi
tb_nc exec -d web sleep 31
tb_wait_for "the detached command in the unit's cgroup" 10 \
        sh -c "grep -q '$want' /proc/\$(pgrep -xf 'sleep 31' | head -1)/cgroup"

# environment: compose's and the image's, -e on top; nothing the payload planted
env=$(tb_nc exec -T web env 2>&1)
tb_assert_contains "$env" "GREETING=compose" "compose environment"
case "$env" in
*PLANTED*|*LD_PRELOAD*) tb_fail "exec took the payload's environment: $env" ;;
esac
tb_assert_eq "$(tb_nc exec -T -e GREETING=cli -e X=1 web sh -c 'echo $GREETING $X')" "cli 1" "-e replaces and adds"

# -u, -w, -T and exit codes
tb_assert_eq "$(tb_nc exec -T -u nobody web id -u)" 65534 "-u NAME"
tb_assert_eq "$(tb_nc exec -T -u 1234:99 web sh -c 'echo $(id -u):$(id -g)')" 1234:99 "-u UID:GID"
tb_assert_eq "$(tb_nc exec -T -w /www web pwd)" /www "-w"
tb_assert_eq "$(tb_nc exec -T web tty || true)" "not a tty" "-T: no terminal"
rc=0
tb_nc exec -T web sh -c 'exit 7' || rc=$?
tb_assert_eq "$rc" 7 "exit code of the command"
rc=0
tb_nc exec -T web no-such-command 2>/dev/null || rc=$?
tb_assert_eq "$rc" 127 "command not found"
rc=0
tb_nc exec -T -u no-such-user web true 2>/dev/null || rc=$?
tb_assert_eq "$rc" 126 "unknown user"

# a tty when stdin is one: the machine's own pty
out=$(tb_exec script -qec "nspawn-compose exec web tty" /dev/null | tr -d '\r')
tb_assert_contains "$out" "/dev/pts/" "a terminal of the machine"
out=$(tb_exec script -qec "nspawn-compose exec web sh -c 'exit 3'; echo rc=\$?" /dev/null | tr -d '\r')
tb_assert_contains "$out" "rc=3" "exit code with a tty"
