# ipc as far as nspawn allows: every machine keeps an IPC namespace of its own (nspawn makes one
# and cannot join another's), so what ipc: service:X / container:NAME / shareable share is
# /dev/shm, POSIX shared memory: the owner's /dev/shm is one directory that the joiners mount too;
# ipc: host mounts the host's /dev/shm. shm_size sizes a /dev/shm of a service's own. A shared
# /dev/shm is a tmpfs of its own (the owner's shm_size, else docker's 64 MiB), so the machines
# cannot fill the host's /run; it is unmounted with the owner's state.

p=$(basename "$TB_PROJECT")
tb_write_compose <<EOF
services:
  owner:
    image: $TB_REGISTRY/test/httpd:1
    ipc: shareable
  joiner:
    image: $TB_REGISTRY/test/httpd:1
    ipc: service:owner
  by_name:
    image: $TB_REGISTRY/test/httpd:1
    ipc: container:$p-owner-1
  sized:
    image: $TB_REGISTRY/test/httpd:1
    shm_size: 2m
  hostipc:
    image: $TB_REGISTRY/test/httpd:1
    ipc: host
  plain:
    image: $TB_REGISTRY/test/httpd:1
EOF
tb_down_at_end
tb_nc up -d >/dev/null 2>&1
tb_nc exec -T owner sh -c 'echo segment >/dev/shm/seg'
tb_assert_eq "$(tb_nc exec -T joiner cat /dev/shm/seg)" segment "service:owner shares owner's /dev/shm"
tb_assert_eq "$(tb_nc exec -T by_name cat /dev/shm/seg)" segment "container:NAME shares it too"
tb_nc exec -T by_name sh -c 'echo back >/dev/shm/back'
tb_assert_eq "$(tb_nc exec -T owner cat /dev/shm/back)" back "both ways"
tb_assert_eq "$(tb_nc exec -T plain sh -c 'ls /dev/shm | wc -l')" 0 "a private /dev/shm"
tb_assert_eq "$(tb_nc exec -T sized df -k /dev/shm | awk 'NR == 2 {print $2}')" 2048 "shm_size: 2m"
# a non-root user can use the shared one, as /dev/shm (sticky, world-writable)
tb_assert_eq "$(tb_nc exec -T -u 65534 joiner sh -c 'echo n >/dev/shm/nobody && cat /dev/shm/nobody')" n \
        "a user other than root writes the shared /dev/shm"
tb_exec sh -c 'echo from-host >/dev/shm/nc-test-host'
tb_defer tb_exec rm -f /dev/shm/nc-test-host
tb_assert_eq "$(tb_nc exec -T hostipc cat /dev/shm/nc-test-host)" from-host "ipc: host"

# the owner recreated: the joiners are recreated with it and share its new /dev/shm
inv=$(tb_unit_prop joiner InvocationID)
tb_write_compose <<EOF
services:
  owner:
    image: $TB_REGISTRY/test/httpd:1
    ipc: shareable
    environment: { GENERATION: "2" }
  joiner:
    image: $TB_REGISTRY/test/httpd:1
    ipc: service:owner
EOF
tb_nc up -d --remove-orphans >/dev/null 2>&1
[ "$(tb_unit_prop joiner InvocationID)" != "$inv" ] || tb_fail "joiner kept running"
tb_nc exec -T owner sh -c 'echo again >/dev/shm/seg2'
tb_assert_eq "$(tb_nc exec -T joiner cat /dev/shm/seg2)" again "shared after the recreate"
rc=0
tb_nc plan >/dev/null || rc=$?
tb_assert_eq "$rc" 0 "plan after up"
shm=/run/nspawn-compose/$p/owner/ipc/shm
tb_assert_eq "$(tb_exec findmnt -n -o FSTYPE "$shm")" tmpfs "the shared /dev/shm is a tmpfs of its own"
tb_assert_contains "$(tb_exec findmnt -n -o OPTIONS "$shm")" "size=65536k" "of docker's default size"
tb_assert_eq "$(tb_nc exec -T joiner df -k /dev/shm | awk 'NR == 2 {print $2}')" 65536 "the joiner sees its size"
rc=0
tb_nc exec -T joiner dd if=/dev/zero of=/dev/shm/fill bs=1M count=80 2>/dev/null || rc=$?
[ "$rc" != 0 ] || tb_fail "80 MiB fit into a 64 MiB /dev/shm"
tb_nc exec -T joiner rm -f /dev/shm/fill
tb_nc down >/dev/null 2>&1
tb_assert_eq "$(tb_exec sh -c "findmnt -n -o FSTYPE $shm; ls -d /run/nspawn-compose/$p 2>/dev/null" | wc -l)" 0 \
        "down unmounts and removes it"
