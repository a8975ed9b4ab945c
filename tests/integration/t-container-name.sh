# container_name names the machine (the unit keeps its name), the project's other services reach
# it by that name, exec and ps find it; a second project asking for the same name is refused by
# plan and apply, naming the service and project that have it, and starts nothing.

p=$(basename "$TB_PROJECT")
cn=cn-front-$RANDOM
tb_write_compose <<EOF
name: $p
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    container_name: $cn
  api:
    image: $TB_REGISTRY/test/httpd:1
EOF
tb_defer tb_nc down
tb_nc apply
unit=$(tb_unit web)

tb_assert_eq "$unit" "nspawn-compose-$p.web.service" "the unit's name"
tb_assert_eq "$(tb_exec machinectl show -p Unit --value "$cn")" "$unit" "the machine of the unit"
tb_assert_contains "$(tb_exec machinectl list --no-legend)" "$cn" "machinectl list"
tb_exec machinectl show "$p.web" >/dev/null 2>&1 && tb_fail "a machine '$p.web' exists too"
tb_assert_contains "$(tb_nc exec api wget -q -O- "http://$cn/")" "hello from web" "api reaches web by its container_name"
tb_assert_contains "$(tb_nc exec api wget -q -O- http://web/)" "hello from web" "api reaches web by its service name"
tb_assert_eq "$(tb_nc exec web hostname)" "web" "exec finds the machine"
tb_assert_contains "$(tb_nc ps --format json)" "\"machine\": \"$cn\"" "ps"
tb_nc plan >/dev/null || tb_fail "plan shows drift right after apply"

# another project wanting the name
links=$(tb_links)
tb_exec mkdir -p other
tb_write_file other/compose.yml <<EOF
name: ${p}b
services:
  web2:
    image: $TB_REGISTRY/test/httpd:1
    container_name: $cn
EOF
for verb in plan apply; do
        rc=0
        out=$(tb_exec sh -c 'cd other && exec nspawn-compose "$1"' sh "$verb" 2>&1) || rc=$?
        tb_note "$verb exited $rc:" "$out"
        tb_assert_eq "$rc" 1 "$verb of the second project"
        tb_assert_contains "$out" "service 'web2': container_name '$cn' is taken: machine '$cn' belongs to service 'web' of project '$p'" "$verb"
done
tb_assert_eq "$(tb_exec systemctl list-units --all --no-legend "nspawn-compose-${p}b*")" "" "units of the second project"
tb_exec test ! -e "/etc/nspawn-compose/${p}b"
tb_assert_eq "$(tb_links)" "$links" "links"
tb_assert_eq "$(tb_exec systemctl is-active "$unit")" active "the first project's service"
