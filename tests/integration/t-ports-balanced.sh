# A published host port shared by replicas (what docker compose refuses at start, as "port is
# already allocated", and swarm's ingress does): new connections go to the replicas in turn, on
# every address and on one; from the host and from a machine through its gateway. Scaling down
# re-spreads over those left, one replica is a plain published port, and plan stays in sync.

p=$(basename "$TB_PROJECT")
write_compose() {
        tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    scale: $1
    ports: ["8120:80", "127.0.0.1:8121:80"]
  client:
    image: $TB_REGISTRY/test/httpd:1
EOF
}

# tally URL N: fetches URL N times inside the testbed, prints "count name" lines sorted by name.
# (busybox 1.35's wget -T crashes: timeout(1) bounds each fetch instead.)
tally() {
        tb_sh 'for i in $(seq "$2"); do timeout 5 busybox wget -q -O- "$1" || echo failed; done | sort | uniq -c |
               awk "{print \$1, \$NF}"' "$1" "$2"
}

# until_all URL NAMES...: waits until every replica has answered on URL once.
until_all() {
        local url=$1 seen= i n
        shift
        for ((i = 0; i < 300; i++)); do
                seen="$seen $(tb_http "$url" 2>/dev/null | awk '{print $NF}')"
                for n in "$@"; do
                        [[ " $seen " == *" $n "* ]] || continue 2
                done
                return 0
        done
        tb_fail "not every replica of $* answered on $url: $seen"
}

tb_defer tb_nc down
write_compose 3
tb_nc up -d >/dev/null 2>&1
until_all http://127.0.0.1:8120/ web web-2 web-3
tb_assert_eq "$(tally http://127.0.0.1:8120/ 30)" $'10 web\n10 web-2\n10 web-3' "30 connections, 10 to each replica"
until_all http://127.0.0.1:8121/ web web-2 web-3
tb_assert_eq "$(tally http://127.0.0.1:8121/ 6)" $'2 web\n2 web-2\n2 web-3' "on 127.0.0.1 only: in turn"
lb=$(tb_exec nft list map inet nspawn_compose lb4)
tb_assert_contains "$lb" "comment \"$p/web-3\"" "one lb4 element per replica"
gw=$(tb_nc exec -T client sh -c "ip route | awk '/^default/ {print \$3}'")
[ -n "$gw" ] || tb_fail "no default route in client"
tb_assert_eq "$(tb_nc exec -T client sh -c "for i in 1 2 3 4 5 6; do timeout 5 wget -q -O- http://$gw:8120/; done | sort -u | wc -l")" \
        3 "from a machine through its gateway: every replica"
rc=0
tb_nc plan >/dev/null || rc=$?
tb_assert_eq "$rc" 0 "plan after up"

# scale down: two replicas share it
tb_nc up -d --scale web=2 >/dev/null 2>&1
tb_assert_eq "$(tally http://127.0.0.1:8120/ 10)" $'5 web\n5 web-2' "two replicas left, 5 each"

# one replica: a plain published port, in pub4
tb_nc up -d --scale web=1 >/dev/null 2>&1
tb_assert_eq "$(tally http://127.0.0.1:8120/ 3)" "3 web" "one replica"
tb_assert_contains "$(tb_exec nft list map inet nspawn_compose pub4)" "8120" "one replica: pub4"
[[ $(tb_exec nft list map inet nspawn_compose lb4) != *"$p/"* ]] || tb_fail "an lb4 element left with one replica"

tb_nc down >/dev/null 2>&1
[[ $(tb_exec nft list ruleset) != *"\"$p/"* ]] || tb_fail "an element of $p left after down"
