# The testbed can do what published ports need: a machine on a bridge serves HTTP, and the
# testbed reaches it on 127.0.0.1:8080 through an nft DNAT rule (route_localnet, masquerade).
# This uses the nft CLI: it proves the host, not our netfilter module.

m=tb-smoke-dnat
br=tbsmoke0
tb_busybox_rootfs /var/lib/machines/$m
tb_defer rm -rf /var/lib/machines/$m
tb_sh '
        echo "hello from $1" >"/var/lib/machines/$1/www/index.html"
        cat >"/var/lib/machines/$1/bin/start" <<EOS
#!/bin/sh
ip link set lo up
ip addr add 10.231.0.2/24 dev host0
ip link set host0 up
ip route add default via 10.231.0.1
exec httpd -f -p 80 -h /www
EOS
        chmod 755 "/var/lib/machines/$1/bin/start"' $m

tb_exec ip link add $br type bridge
tb_defer ip link del $br
tb_exec ip addr add 10.231.0.1/24 dev $br
tb_exec ip link set $br up

tb_exec nft -f - <<'EOF2'
table ip tb_smoke_dnat {
        chain prerouting {
                type nat hook prerouting priority dstnat;
                ip daddr 127.0.0.1 tcp dport 8080 dnat to 10.231.0.2:80
        }
        chain output {
                type nat hook output priority -100;
                ip daddr 127.0.0.1 tcp dport 8080 dnat to 10.231.0.2:80
        }
        chain postrouting {
                type nat hook postrouting priority srcnat;
                ip saddr 127.0.0.0/8 ip daddr 10.231.0.0/24 masquerade
        }
}
EOF2
tb_defer nft delete table ip tb_smoke_dnat
tb_exec sysctl -q -w net.ipv4.ip_forward=1 net.ipv4.conf.all.route_localnet=1 \
        net.ipv4.conf.$br.route_localnet=1

tb_defer systemctl stop $m.service
tb_machine_start $m --network-bridge=$br -- /bin/start
tb_wait_unit $m.service active

# The machine answers on its own address first (its httpd may need a moment to listen).
tb_wait_for "httpd of $m" 30 timeout 5 busybox wget -q -O /dev/null http://10.231.0.2/
tb_assert_eq "$(tb_http http://10.231.0.2/)" "hello from $m" "page on the bridge address"
tb_assert_eq "$(tb_http http://127.0.0.1:8080/)" "hello from $m" "page through DNAT on 127.0.0.1"

tb_exec systemctl stop $m.service
tb_wait_unit $m.service inactive
