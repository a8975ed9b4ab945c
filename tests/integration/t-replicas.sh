# Replicas as docker compose runs them: deploy.replicas / scale / up --scale run N machines (S,
# S-2 … S-N), each with an address of its own and one host port of the published range; the
# service's name resolves to every replica; a dependent needs them all; scaling down removes the
# highest-numbered ones, --remove-orphans or not; stop SERVICE stops every replica, those up --scale
# made too.

p=$(basename "$TB_PROJECT")
write_compose() {
        tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    deploy: { replicas: $1 }
    ports: ["8110-8112:80"]
  client:
    image: $TB_REGISTRY/test/httpd:1
    depends_on: [web]
EOF
}
state() {
        tb_unit_prop "$1" ActiveState
}
links_before=$(tb_links)
tb_defer tb_nc down
write_compose 3
tb_nc up -d >/dev/null 2>&1
tb_assert_eq "$(state web) $(state web-2) $(state web-3) $(state client)" "active active active active" "three replicas"
tb_wait_http http://127.0.0.1:8110/ "hello from web"
tb_wait_http http://127.0.0.1:8111/ "hello from web-2"
tb_wait_http http://127.0.0.1:8112/ "hello from web-3"
a1=$(tb_json "/etc/nspawn-compose/$p/web.json" networks 0 address)
a3=$(tb_json "/etc/nspawn-compose/$p/web-3.json" networks 0 address)
[ "$a1" != "$a3" ] || tb_fail "replicas share the address $a1"
tb_assert_eq "$(tb_nc exec -T client sh -c 'grep -cE "[[:space:]]web$|[[:space:]]web[[:space:]]" /etc/hosts')" 3 \
        "web resolves to every replica"
tb_assert_eq "$(tb_nc exec -T client wget -qO- "http://${a3%/*}/")" "hello from web-3" "a replica by its address"
tb_assert_contains "$(tb_nc ps)" "$p.web-3" "ps lists the replicas"
rc=0
tb_nc plan >/dev/null || rc=$?
tb_assert_eq "$rc" 0 "plan after up"

# stop SERVICE stops every replica; start brings them back
tb_nc stop web >/dev/null 2>&1
tb_assert_eq "$(state web) $(state web-2) $(state web-3)" "inactive inactive inactive" "stop web"
tb_nc start web >/dev/null 2>&1
tb_assert_eq "$(state web) $(state web-2) $(state web-3)" "active active active" "start web"

# scale down: web-3 goes (unit, state, link), without --remove-orphans
inv=$(tb_unit_prop web InvocationID)
write_compose 2
tb_nc up -d >/dev/null 2>&1
tb_assert_eq "$(tb_unit_prop web-3 LoadState)" not-found "web-3 removed"
tb_assert_eq "$(tb_unit_prop web InvocationID)" "$inv" "web untouched"
tb_assert_eq "$(tb_exec sh -c "ls -d /var/lib/nspawn-compose/$p/web-3 2>/dev/null | wc -l")" 0 "web-3's state removed"

# up --scale overrides the file
tb_nc up -d --scale web=1 >/dev/null 2>&1
tb_assert_eq "$(tb_unit_prop web-2 LoadState)" not-found "--scale web=1"
tb_assert_eq "$(state web)" active "web still runs"
# the verbs that act on the machines there are count the replicas on the host, not in the file (2)
out=$(tb_nc ps -a)
[[ $out != *"$p.web-2"* ]] || tb_fail "ps lists web-2 after --scale web=1: $out"
tb_nc stop web >/dev/null || tb_fail "stop web after --scale web=1"
tb_nc start web >/dev/null || tb_fail "start web after --scale web=1"
tb_assert_eq "$(tb_unit_prop web-2 LoadState)" not-found "start web made no web-2"
tb_nc up -d --scale web=3 >/dev/null 2>&1
tb_assert_contains "$(tb_nc ps)" "$p.web-3" "ps after --scale web=3"
tb_nc stop web >/dev/null 2>&1
tb_assert_eq "$(state web) $(state web-2) $(state web-3)" "inactive inactive inactive" "stop web after --scale web=3"
tb_nc restart web >/dev/null 2>&1
tb_assert_eq "$(state web) $(state web-2) $(state web-3)" "active active active" "restart web after --scale web=3"
a3=$(tb_json "/etc/nspawn-compose/$p/web-3.json" networks 0 address)
tb_assert_contains "$(tb_nc exec -T web-3 ip -o -4 addr show eth0)" "$a3" "exec in web-3"
# up without --scale goes back to the file's count, as docker compose's up
tb_nc up -d >/dev/null 2>&1
tb_assert_eq "$(state web-2) $(tb_unit_prop web-3 LoadState)" "active not-found" "up after --scale web=3"
tb_nc up -d --scale web=1 >/dev/null 2>&1
rc=0
tb_nc up -d --scale nosuch=2 >/dev/null 2>&1 || rc=$?
tb_assert_eq "$rc" 1 "--scale of an unknown service"

# a service of its own named like a replica is an orphan when it leaves the file, not a replica
tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    scale: 2
  web-5:
    image: $TB_REGISTRY/test/httpd:1
EOF
tb_nc up -d >/dev/null 2>&1
tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    scale: 2
EOF
err=$(tb_nc up -d 2>&1 >/dev/null)
tb_assert_contains "$err" "web-5) for this project" "web-5 is an orphan (client from before too)"
tb_assert_eq "$(state web-5)" active "an orphan is kept without --remove-orphans"
# scale: 0 runs nothing: its machines go
tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    scale: 0
  web-5:
    image: $TB_REGISTRY/test/httpd:1
EOF
tb_nc up -d >/dev/null 2>&1
tb_assert_eq "$(tb_unit_prop web LoadState) $(tb_unit_prop web-2 LoadState)" "not-found not-found" "scale: 0"
tb_assert_eq "$(state web-5)" active "web-5 back in the file"

tb_nc down >/dev/null 2>&1
tb_assert_eq "$(tb_links)" "$links_before" "links after down"
