# Two projects applied for the first time at the same moment never get the same pool subnet: an
# apply that rendered while another project had not yet recorded its subnets reads them again under
# the host's allocation lock and renders again. Made deterministic here: the lock is held, the apply
# renders (taking the first free subnet), a second project then records that very subnet, and the
# lock is released.

p=$(basename "$TB_PROJECT")
tb_write_compose <<EOF
name: $p
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
EOF
tb_defer tb_nc down

tb_nc render --output-dir "$TB_PROJECT/rendered" >/dev/null
first=$(tb_json "$TB_PROJECT/rendered/etc/nspawn-compose/$p/project.json" networks 0 subnet)
tb_note "the first free pool subnet: $first"

# Hold the allocation lock until the release FIFO is written.
tb_exec mkdir -p /run/nspawn-compose
tb_exec mkfifo "$TB_PROJECT/release"
tb_exec sh -c "flock /run/nspawn-compose/.allocation.lock sh -c 'echo held > \"$TB_PROJECT/held\"; cat \"$TB_PROJECT/release\" >/dev/null'" &
holder=$!
tb_defer tb_sh 'echo > "$1/release" &' "$TB_PROJECT"
tb_wait_for "the lock holder" 30 test -s "$TB_PROJECT/held"

tb_exec sh -c "nspawn-compose -v apply >\"$TB_PROJECT/apply.out\" 2>\"$TB_PROJECT/apply.err\"; echo \$? >\"$TB_PROJECT/apply.rc\"" &
applier=$!
tb_wait_for "the apply's plan" 60 grep -q "planning took" "$TB_PROJECT/apply.err"
# The apply has rendered with $first; now another project records it, then the lock goes.
tb_exec mkdir -p /var/lib/nspawn-compose/other-alloc
tb_defer tb_exec rm -rf /var/lib/nspawn-compose/other-alloc
tb_sh 'printf "{\"managed-by\": \"nspawn-compose\", \"project\": \"other-alloc\", \"subnets\": {\"default\": \"%s\"}}\n" "$1" \
        >/var/lib/nspawn-compose/other-alloc/ipam.json' "$first"
tb_exec sh -c "echo > \"$TB_PROJECT/release\""
wait "$holder"
wait "$applier"
tb_assert_eq "$(tb_exec cat "$TB_PROJECT/apply.rc")" 0 "apply's exit status"
tb_assert_contains "$(tb_exec cat "$TB_PROJECT/apply.err")" "rendering again" "apply's log"
now=$(tb_json "/etc/nspawn-compose/$p/project.json" networks 0 subnet)
tb_note "applied with $now"
[ "$now" != "$first" ] || tb_fail "apply took $first, which another project recorded while it waited"
tb_assert_eq "$(tb_json "/var/lib/nspawn-compose/$p/ipam.json" subnets default)" "$now" "ipam.json"
tb_wait_http "http://$(echo "$now" | sed 's|0/24$|2|'):80/" "hello from web"
