# machined lists a machine started from a (transient) unit running systemd-nspawn on a busybox
# root, and forgets it when the unit stops.

m=tb-smoke-machine
tb_busybox_rootfs /var/lib/machines/$m
tb_defer rm -rf /var/lib/machines/$m
tb_defer systemctl stop $m.service

tb_machine_start $m --private-network -- /bin/sleep 1000000
tb_wait_unit $m.service active
tb_wait_for "machine $m" 30 machinectl status $m

tb_assert_eq "$(tb_exec machinectl show -p State --value $m)" running "machine state"
tb_assert_eq "$(tb_exec machinectl show -p Unit --value $m)" $m.service "unit of the machine"
leader=$(tb_exec machinectl show -p Leader --value $m)
tb_assert_eq "$(tb_exec cat /proc/"$leader"/comm)" "(sd-stubinit)" "leader (nspawn's stub init)"

tb_exec systemctl stop $m.service
tb_wait_unit $m.service inactive
if tb_exec machinectl status $m >/dev/null 2>&1; then
        tb_fail "machine $m still listed after its unit stopped"
fi
