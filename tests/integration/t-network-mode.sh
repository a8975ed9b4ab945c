# network_mode as docker's: service:X and container:NAME join X's network namespace (its address,
# its loopback, its hostname; no link of their own), ordered after X and recreated with it; none
# has loopback alone; host shares the host's network, its ports: discarded with docker's warning.
# Converged, plan is in sync; down leaves no link and no namespace.

p=$(basename "$TB_PROJECT")
write_compose() {
        tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    hostname: front
    ports: ["8097:80"]
    environment: { GENERATION: "$1" }
  side:
    image: $TB_REGISTRY/test/httpd:1
    network_mode: service:web
    environment: { PORT: "8081", SERVICE: side }
  side2:
    image: $TB_REGISTRY/test/httpd:1
    network_mode: container:$p-side-1
    environment: { PORT: "8082", SERVICE: side2 }
  iso:
    image: $TB_REGISTRY/test/httpd:1
    network_mode: none
  hostnet:
    image: $TB_REGISTRY/test/httpd:1
    network_mode: host
    ports: ["18099:18098"]
    environment: { PORT: "18098", SERVICE: hostnet }
${2:-}
EOF
}
invocation() {
        tb_unit_prop "$1" InvocationID
}
links_before=$(tb_links)
tb_defer tb_nc down
write_compose 1
err=$(tb_nc up -d 2>&1 >/dev/null)
tb_note "$err"
tb_assert_contains "$err" "services.hostnet.ports: published ports are discarded when using host network mode" \
        "host mode's ports warning"
tb_wait_http http://127.0.0.1:8097/ "hello from front"

# side and side2 serve on web's address and loopback; web reaches them on 127.0.0.1
addr=$(tb_json "/etc/nspawn-compose/$p/web.json" networks 0 address)
addr=${addr%/*}
tb_wait_http "http://$addr:8081/" "hello from side"
tb_wait_http "http://$addr:8082/" "hello from side2"
tb_assert_eq "$(tb_nc exec -T web wget -qO- http://127.0.0.1:8081/)" "hello from side" "web to side over loopback"
tb_assert_eq "$(tb_nc exec -T side wget -qO- http://127.0.0.1:80/)" "hello from front" "side to web over loopback"
tb_assert_eq "$(tb_nc exec -T side hostname)" front "side has web's hostname"
tb_assert_eq "$(tb_nc exec -T side2 cat /proc/net/dev | grep -c ':')" \
        "$(tb_nc exec -T web cat /proc/net/dev | grep -c ':')" "side2 sees web's interfaces"
# none: loopback only
tb_assert_eq "$(tb_nc exec -T iso cat /proc/net/dev | awk -F: 'NR > 2 {gsub(/ /, "", $1); print $1}')" lo \
        "network_mode: none"
# host: the testbed's own network, no DNAT for its ports
tb_wait_http http://127.0.0.1:18098/ "hello from hostnet"
case $(tb_exec nft list ruleset) in *18099*) tb_fail "a DNAT rule for a host-mode service's port" ;; esac
# one link per networked service: web alone has a veth
new=$(comm -13 <(echo "$links_before") <(tb_links) | grep -c '^vh-' || true)
tb_assert_eq "$new" 1 "veths: web's only"

rc=0
tb_nc plan >/dev/null || rc=$?
tb_assert_eq "$rc" 0 "plan after up"

# a service more: web's hosts file changes, and side, in web's namespace, sees it without a restart
s1=$(invocation side)
write_compose 1 "  extra:
    image: $TB_REGISTRY/test/httpd:1"
tb_nc up -d >/dev/null 2>&1
tb_assert_eq "$(invocation side)" "$s1" "side not restarted for a hosts change"
tb_assert_eq "$(tb_nc exec -T side sh -c 'grep -c "[[:space:]]extra$" /etc/hosts')" 1 "side's /etc/hosts is web's, refreshed"
write_compose 1
tb_nc up -d --remove-orphans >/dev/null 2>&1

# web recreated: side and side2 are recreated with it (web's namespace is a new one)
s1=$(invocation side) s2=$(invocation side2) i1=$(invocation iso)
write_compose 2
tb_nc up -d >/dev/null 2>&1
[ "$(invocation side)" != "$s1" ] || tb_fail "side was not recreated with web"
[ "$(invocation side2)" != "$s2" ] || tb_fail "side2 was not recreated with web"
tb_assert_eq "$(invocation iso)" "$i1" "iso untouched"
addr=$(tb_json "/etc/nspawn-compose/$p/web.json" networks 0 address)
tb_wait_http "http://${addr%/*}:8081/" "hello from side"
tb_wait_http "http://${addr%/*}:8082/" "hello from side2"

# a port on a joined service is refused as docker refuses it, and nothing changes
tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
  side:
    image: $TB_REGISTRY/test/httpd:1
    network_mode: service:web
    ports: ["8098:80"]
EOF
rc=0
out=$(tb_nc plan 2>&1) || rc=$?
tb_assert_eq "$rc" 1 "plan with a port on a joined service"
tb_assert_contains "$out" "services.side.ports[0]: conflicting options: port publishing and network_mode 'service:web'" \
        "the refusal"

write_compose 2
tb_nc down >/dev/null 2>&1
tb_assert_eq "$(tb_links)" "$links_before" "links after down"
tb_assert_eq "$(tb_exec sh -c 'ls /run/netns | grep -c "^nc-"' || true)" 0 "namespaces after down"
