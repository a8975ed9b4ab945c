# Upgrading from the unit names of earlier releases (nspawn-compose-P-S.service, machine P-S): the
# old unit is stopped and its file removed, the service starts as nspawn-compose-P.S.service with
# machine P.S, its anonymous volume keeps its data, and the next apply changes nothing.

p=upg
tb_write_compose <<EOF
name: $p
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    volumes: ["/data"]
EOF
tb_defer tb_nc down
tb_nc apply
new=$(tb_unit web $p)
old=nspawn-compose-$p-web.service
tb_nc exec web sh -c 'echo survived > /data/file'

# What an earlier release left: the same service under the old unit and machine names.
tb_exec systemctl stop "$new"
tb_exec sh -c "sed 's/\"machine\": \"$p.web\"/\"machine\": \"$p-web\"/' /etc/nspawn-compose/$p/web.json > /tmp/web.json &&
        cat /tmp/web.json > /etc/nspawn-compose/$p/web.json && rm /tmp/web.json"
tb_exec mv "/etc/systemd/system/$new" "/etc/systemd/system/$old"
tb_exec sed -i "s/^Wants=$new\$/Wants=$old/" /etc/systemd/system/nspawn-compose-$p.target
tb_exec systemctl daemon-reload
tb_exec systemctl start "$old"
tb_wait_unit "$old" active
tb_exec machinectl status "$p-web" >/dev/null

out=$(tb_nc plan 2>&1) || true
tb_assert_contains "$out" "$old" "plan names the old unit"
tb_assert_contains "$out" "renamed" "plan says why"
tb_nc apply
tb_assert_eq "$(tb_exec systemctl show -P ActiveState "$new")" active "the new unit"
tb_assert_eq "$(tb_exec systemctl show -P LoadState "$old")" not-found "the old unit"
tb_exec test ! -e "/etc/systemd/system/$old"
if tb_exec machinectl status "$p-web" >/dev/null 2>&1; then
        tb_fail "machine $p-web still registered"
fi
tb_exec machinectl status "$p.web" >/dev/null
tb_assert_eq "$(tb_nc exec web cat /data/file)" survived "the anonymous volume"
tb_assert_contains "$(tb_nc apply)" "in sync" "the apply after the upgrade"
