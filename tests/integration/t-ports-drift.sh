# Drift of the nftables state: `nft flush table`, a flushed map, one deleted element and one
# re-pointed element each stop traffic, make `plan` exit 2 naming what is missing or altered, and `apply` restores
# them so traffic flows again. Elements of another project and ones nobody owns are left alone.

p=driftp
q=driftq
tb_write_compose <<EOF
name: $p
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["8080:80"]
  echo:
    image: $TB_REGISTRY/test/echo:1
    ports: ["7007:7/udp"]
EOF
tb_write_compose other/compose.yml <<EOF
name: $q
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["8086:80"]
EOF
tb_defer tb_nc down
tb_defer tb_nc -f other/compose.yml down
tb_nc apply
tb_nc -f other/compose.yml apply
tb_wait_http http://127.0.0.1:8080/ "hello from web"
tb_wait_http http://127.0.0.1:8086/ "hello from web"
tb_assert_eq "$(tb_udp_echo 127.0.0.1 7007 ping)" ping "UDP before drift"

# plan_drift WHAT...: plan exits 2 and its output holds every WHAT.
plan_drift() {
        local rc=0 out what
        out=$(tb_nc plan) || rc=$?
        tb_assert_eq "$rc" 2 "plan exit status"
        for what in "$@"; do
                tb_assert_contains "$out" "$what" "plan"
        done
}

unreachable() {
        if tb_http "$1" >/dev/null 2>&1; then
                tb_fail "$1 still answers"
        fi
}

foreign() {
        tb_exec nft list map inet nspawn_compose pub4 | grep -c 'comment "manual/x"' || true
}

# 1. The table flushed: nft empties every chain (the sets keep their elements). Both projects see
# it; either one's apply restores the shared rules.
tb_exec nft flush table inet nspawn_compose
unreachable http://127.0.0.1:8080/
plan_drift "chain prerouting rules flushed or edited" "chain output rules flushed or edited" \
        "chain published rules flushed or edited" "chain postrouting rules flushed or edited" \
        "chain raw_prerouting rules flushed or edited"
rc=0
out=$(tb_nc -f other/compose.yml plan) || rc=$?
tb_assert_eq "$rc" 2 "plan of $q after the flush"
tb_assert_contains "$out" "chain published rules flushed or edited" "plan of $q"
tb_nc apply
tb_nc plan
tb_nc -f other/compose.yml plan
tb_assert_contains "$(tb_http http://127.0.0.1:8080/)" "hello from web" "TCP after apply"
tb_assert_eq "$(tb_udp_echo 127.0.0.1 7007 again)" again "UDP after apply"
tb_assert_contains "$(tb_http http://127.0.0.1:8086/)" "hello from web" "$q after $p's apply"

# 2. The map flushed: the elements of both projects go. apply repairs its own project only; the
# other one repairs with its own apply.
tb_exec nft flush map inet nspawn_compose pub4
unreachable http://127.0.0.1:8080/
plan_drift "missing: pub4 tcp/8080 -> " "($p/web)" "missing: pub4 udp/7007 -> " "($p/echo)"
tb_nc apply
tb_nc plan
tb_assert_contains "$(tb_http http://127.0.0.1:8080/)" "hello from web" "TCP after apply"
tb_assert_eq "$(tb_udp_echo 127.0.0.1 7007 again)" again "UDP after apply"
tb_assert_eq "$(tb_exec nft list table inet nspawn_compose | grep -c "comment \"$q/web\"" || true)" 0 \
        "elements of $q after $p's apply"
unreachable http://127.0.0.1:8086/
rc=0
out=$(tb_nc -f other/compose.yml plan) || rc=$?
tb_assert_eq "$rc" 2 "plan of $q after the map flush"
tb_assert_contains "$out" "missing: pub4 tcp/8086 -> " "plan of $q"
tb_nc -f other/compose.yml apply
tb_assert_contains "$(tb_http http://127.0.0.1:8086/)" "hello from web" "$q after its apply"

# An element nobody of ours owns, beside ours.
tb_exec nft add element inet nspawn_compose pub4 '{ tcp . 9999 comment "manual/x" : 10.255.0.1 . 80 }'
tb_defer sh -c 'nft delete element inet nspawn_compose pub4 "{ tcp . 9999 }" 2>/dev/null || true'

# 3. One element deleted.
tb_exec nft delete element inet nspawn_compose pub4 '{ tcp . 8080 }'
unreachable http://127.0.0.1:8080/
plan_drift "missing: pub4 tcp/8080 -> " "($p/web)"
tb_assert_eq "$(tb_nc plan | grep -c 'missing:' || true)" 1 "missing elements after one deletion"
tb_nc apply
tb_nc plan
tb_assert_contains "$(tb_http http://127.0.0.1:8080/)" "hello from web" "TCP after apply"

# 4. One element re-pointed at another address.
tb_exec nft delete element inet nspawn_compose pub4 '{ tcp . 8080 }'
tb_exec nft add element inet nspawn_compose pub4 "{ tcp . 8080 comment \"$p/web\" : 10.255.0.1 . 80 }"
unreachable http://127.0.0.1:8080/
plan_drift "altered: pub4 tcp/8080 -> " "was pub4 tcp/8080 -> 10.255.0.1:80 ($p/web)"
tb_nc apply
tb_nc plan
tb_assert_contains "$(tb_http http://127.0.0.1:8080/)" "hello from web" "TCP after apply"

# Every apply left the other project's element and the foreign one alone.
tb_assert_contains "$(tb_http http://127.0.0.1:8086/)" "hello from web" "$q throughout"
tb_nc -f other/compose.yml plan
tb_assert_eq "$(foreign)" 1 "the element nobody owns"

# down removes only the project's elements; the last one's down removes the table.
tb_nc -f other/compose.yml down
tb_assert_eq "$(foreign)" 1 "the element nobody owns after $q's down"
tb_assert_contains "$(tb_http http://127.0.0.1:8080/)" "hello from web" "$p after $q's down"
tb_exec nft delete element inet nspawn_compose pub4 '{ tcp . 9999 }'
tb_nc down
if tb_exec nft list table inet nspawn_compose >/dev/null 2>&1; then
        tb_fail "the table is left after the last project's down"
fi
