# Names never collide across projects: project "na" with services "b-c" and "b-network" and project
# "na-b" with service "c" were one unit and one machine in earlier releases ("nspawn-compose-na-b-c",
# machine "na-b-c"; "b-network" was na-b's network unit). Both run side by side; applying and taking
# down one leaves the other running, with the same InvocationID. A unit file at one of our paths that
# is not ours is never overwritten.

tb_write_compose a/compose.yml <<EOF
name: na
services:
  b-c:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["8091:80"]
  b-network:
    image: $TB_REGISTRY/test/echo:1
EOF
tb_write_compose b/compose.yml <<EOF
name: na-b
services:
  c:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["8092:80"]
EOF
tb_defer tb_nc -f a/compose.yml down
tb_defer tb_nc -f b/compose.yml down

invocation() {
        tb_exec systemctl show -P InvocationID "$1"
}

tb_nc -f a/compose.yml apply
a_bc=$(invocation "$(tb_unit b-c na)")
a_bn=$(invocation "$(tb_unit b-network na)")
[ -n "$a_bc" ] && [ -n "$a_bn" ] || tb_fail "na's units did not start"
tb_nc -f b/compose.yml apply
tb_wait_http http://127.0.0.1:8091/ "hello from b-c"
tb_wait_http http://127.0.0.1:8092/ "hello from c"
tb_assert_eq "$(invocation "$(tb_unit b-c na)")" "$a_bc" "na's b-c after na-b's apply"
tb_assert_eq "$(invocation "$(tb_unit b-network na)")" "$a_bn" "na's b-network after na-b's apply"
tb_assert_contains "$(tb_exec machinectl list --no-legend)" "na.b-c" "machine of na/b-c"
tb_assert_contains "$(tb_exec machinectl list --no-legend)" "na-b.c" "machine of na-b/c"
tb_nc -f a/compose.yml plan
tb_nc -f b/compose.yml plan

tb_nc -f b/compose.yml down
tb_assert_eq "$(invocation "$(tb_unit b-c na)")" "$a_bc" "na's b-c after na-b's down"
tb_assert_eq "$(invocation "$(tb_unit b-network na)")" "$a_bn" "na's b-network after na-b's down"
tb_exec test -e "/etc/systemd/system/$(tb_unit b-c na)"
tb_exec test ! -e "/etc/systemd/system/$(tb_unit c na-b)"
tb_assert_contains "$(tb_http http://127.0.0.1:8091/)" "hello from b-c" "na's port after na-b's down"
tb_nc -f a/compose.yml plan

foreign=/etc/systemd/system/$(tb_unit c na-b)
printf '[Service]\nExecStart=/bin/true\n' | tb_write_file "$foreign"
tb_defer tb_exec rm -f "$foreign"
rc=0
out=$(tb_nc -f b/compose.yml apply 2>&1) || rc=$?
tb_assert_eq "$rc" 1 "apply over a foreign unit file"
tb_assert_contains "$out" "$foreign" "apply over a foreign unit file"
tb_assert_contains "$out" "not ours" "apply over a foreign unit file"
tb_assert_contains "$(tb_exec cat "$foreign")" "ExecStart=/bin/true" "the foreign file is untouched"
tb_exec rm -f "$foreign"
