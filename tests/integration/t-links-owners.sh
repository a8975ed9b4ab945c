# Links carry their owner's mark and are taken or removed only as that owner's: a bridge with our
# bridge's name that carries no mark (nobody's) is refused before anything is installed; a link with
# our veth's name marked as someone else's stops the service from starting and survives apply and
# down, which says it kept it; our own bridge and veth carry "nspawn-compose P/N" and "P/S/N".

p=$(basename "$TB_PROJECT")
tb_write_compose <<EOF
name: $p
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
EOF
tb_defer tb_nc down

# The name render gives the default network's bridge, taken beforehand by a bridge with no mark.
tb_nc render --output-dir "$TB_PROJECT/rendered" >/dev/null
bridge=$(tb_json "$TB_PROJECT/rendered/etc/nspawn-compose/$p/project.json" networks 0 bridge)
[ -n "$bridge" ] || tb_fail "no bridge in the rendered project.json"
tb_exec ip link add "$bridge" type bridge
tb_defer tb_sh 'ip link del "$1" 2>/dev/null || true' "$bridge"
out=$(tb_nc apply 2>&1) && tb_fail "apply took over an unmarked bridge: $out"
tb_assert_contains "$out" "carries no owner mark" "apply's refusal"
tb_exec test ! -e "/etc/systemd/system/$(tb_unit web)" || tb_fail "a unit was installed before the refusal"
tb_exec ip link del "$bridge"

# Someone else's link under our veth's name: the service does not start, the link is untouched.
veth=$(tb_json "$TB_PROJECT/rendered/etc/nspawn-compose/$p/web.json" networks 0 veth)
tb_exec ip link add "$veth" type veth peer name "x${veth#vh-}"
tb_exec ip link set dev "$veth" alias "somebody else"
tb_defer tb_sh 'ip link del "$1" 2>/dev/null || true' "$veth"
out=$(tb_nc apply 2>&1) && tb_fail "apply started a service over someone else's veth: $out"
tb_assert_contains "$(tb_exec journalctl -u "$(tb_unit web)" -o cat)" "is not ours" "the service's refusal"
tb_assert_eq "$(tb_exec cat "/sys/class/net/$veth/ifalias")" "somebody else" "the foreign veth after apply"
out=$(tb_nc down 2>&1) || tb_fail "down failed: $out"
tb_assert_contains "$out" "link $veth kept" "down's note"
tb_assert_eq "$(tb_exec cat "/sys/class/net/$veth/ifalias")" "somebody else" "the foreign veth after down"
tb_exec ip link del "$veth"

tb_nc apply
tb_assert_eq "$(tb_exec cat "/sys/class/net/$bridge/ifalias")" "nspawn-compose $p/default" "the bridge's mark"
tb_assert_eq "$(tb_exec cat "/sys/class/net/$veth/ifalias")" "nspawn-compose $p/web/default" "the veth's mark"
