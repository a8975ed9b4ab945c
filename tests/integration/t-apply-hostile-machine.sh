# Files apply writes into a running machine cannot be turned against it: with a FIFO planted at a
# running service's /etc/hosts (by root in the machine), an apply that adds a service neither blocks
# nor writes through it; the FIFO is replaced by the new hosts file. A symlink planted there pointing
# at a file of the host is replaced too, and the host file stays as it was.

p=$(basename "$TB_PROJECT")
write() {
        tb_write_compose <<EOF
name: $p
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
$1
EOF
}
leader_of() {
        tb_exec machinectl show -p Leader --value "$p.$1"
}

write ""
tb_defer tb_nc down
tb_nc apply
leader=$(leader_of web)
tb_exec nsenter -t "$leader" -m -- sh -c 'rm -f /etc/hosts && mkfifo /etc/hosts'

write "  api:
    image: $TB_REGISTRY/test/httpd:1"
tb_exec timeout 120 nspawn-compose apply || tb_fail "apply with a FIFO at /etc/hosts"
tb_exec test -f "/proc/$leader/root/etc/hosts"
tb_assert_contains "$(tb_exec cat "/proc/$leader/root/etc/hosts")" "api" "web's hosts after the apply"
tb_assert_eq "$(leader_of web)" "$leader" "web was not restarted"

# A symlink to a host file: replaced, the host file untouched.
tb_exec sh -c 'echo "host file" > /root/host-file'
tb_defer tb_exec rm -f /root/host-file
tb_exec nsenter -t "$leader" -m -- sh -c 'rm -f /etc/hosts && ln -s /proc/1/root/root/host-file /etc/hosts'
write "  api:
    image: $TB_REGISTRY/test/httpd:1
  echo:
    image: $TB_REGISTRY/test/echo:1"
tb_exec timeout 120 nspawn-compose apply || tb_fail "apply with a symlink at /etc/hosts"
tb_assert_eq "$(tb_exec cat /root/host-file)" "host file" "the host file"
tb_exec test ! -L "/proc/$leader/root/etc/hosts"
tb_assert_contains "$(tb_exec cat "/proc/$leader/root/etc/hosts")" "echo" "web's hosts after the second apply"
