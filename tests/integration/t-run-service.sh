# run-service as the ExecStart of hand-written units (no render, no apply): the wrapper makes the
# netns, veth and address, mounts the image overlay, starts nspawn and reports READY (at once, or
# on the first healthy probe); the machine is registered, serves HTTP at its address, and
# `systemctl stop` ends it cleanly.

p=rtsvc
s=web
unit=nspawn-compose-$p-$s.service
image=$TB_REGISTRY/test/httpd:1

tb_defer rm -rf /etc/nspawn-compose/$p /var/lib/nspawn-compose/$p /run/nspawn-compose/$p
tb_defer ip link del nc-rtsvc-br
tb_defer systemctl daemon-reload

# pull: the image lands in the store under its config digest and refs.json maps it. --quiet says
# nothing on stderr; without it, off a tty, skopeo's plain line per blob and our summary with
# layers, bytes and rate.
out=$(tb_nc pull --quiet $image)
tb_assert_eq "$(tb_nc pull --quiet $image 2>&1 >/dev/null)" "" "stderr of pull --quiet"
progress=$(tb_nc pull $image 2>&1 >/dev/null)
tb_assert_contains "$progress" "Copying blob" "pull's progress off a tty"
echo "$progress" | grep -qE "^Image $image  Pulled \([0-9]+ layers?, [0-9.]+[KMG]?i?B in [0-9.]+s, [0-9.]+[KMG]?i?B/s\)$" ||
        tb_fail "no summary line in pull's progress: $progress"
digest=$(echo "$out" | cut -f2)
tb_assert_contains "$digest" "sha256:" "pull output ($out)"
tb_exec test -d /var/lib/nspawn-compose/images/${digest#sha256:}/rootfs/usr
tb_assert_contains "$(tb_exec cat /var/lib/nspawn-compose/images/refs.json)" "\"$image\"" "refs.json"
# A second pull with policy missing finds it without the registry.
tb_assert_contains "$(tb_nc pull --quiet --policy missing $image)" "present" "second pull"

# write_service NAME IMAGE ADDRESS ENVIRONMENT-JSON X-JSON: S.json and a unit, as render would.
write_service() {
        local n=$1 img=$2 addr=$3 env=$4 x=$5 d
        d=$(tb_nc pull --quiet --policy missing "$img" | cut -f2)
        tb_exec mkdir -p /etc/nspawn-compose/$p
        tb_write_file /etc/nspawn-compose/$p/$n.json 0600 <<EOF
{
  "managed-by": "nspawn-compose",
  "project": "$p", "service": "$n", "machine": "$p-$n", "hash": "hash-1",
  "image": "$img", "image_digest": "$d",
  "entrypoint": null, "command": null, "environment": $env,
  "working_dir": null, "user": null, "hostname": "$n",
  "init": false, "privileged": false, "read_only": false, "cap_add": [], "cap_drop": [],
  "sysctls": {"net.ipv4.ip_unprivileged_port_start": "1024"},
  "ulimits": {"nofile": {"soft": 4096, "hard": 8192}},
  "stop_signal": "SIGTERM", "stop_grace_period_usec": 5000000,
  "mounts": [{"type": "volume", "source": "/var/lib/nspawn-compose/$p/vol-$n", "target": "/data",
              "read_only": false}],
  "networks": [{"name": "default", "bridge": "nc-rtsvc-br", "veth": "vh-rtsvc-$n",
                "address": "$addr/24", "gateway": "10.89.250.1", "ipv6_address": null,
                "aliases": ["$n"]}],
  "netns": "nc-rtsvc-$n", "hosts_file": null, "dns": [], "extra_hosts": ["db:10.89.250.9"],
  "healthcheck": null, "x-nspawn-compose": $x
}
EOF
        tb_write_file /run/systemd/system/nspawn-compose-$p-$n.service <<EOF
[Unit]
Description=nspawn-compose $p/$n (hand-written)

[Service]
Type=notify
NotifyAccess=main
ExecStart=/usr/bin/nspawn-compose run-service /etc/nspawn-compose/$p/$n.json
KillMode=mixed
Delegate=yes
Slice=machine.slice
TimeoutStartSec=60
TimeoutStopSec=15
Restart=on-failure
RestartSec=1
EOF
        tb_defer ip netns del nc-rtsvc-$n
        tb_defer rm -f /run/systemd/system/nspawn-compose-$p-$n.service
        tb_defer systemctl stop nspawn-compose-$p-$n.service
}

write_service $s $image 10.89.250.2 '["SERVICE=web $x %s '"'q'"' \"dq\" é", "PORT=8080"]' null
tb_exec systemctl daemon-reload
# Type=notify: start returns once the wrapper said READY=1.
tb_exec systemctl start $unit
tb_assert_eq "$(tb_exec systemctl show -P ActiveState $unit)" active "unit state"
tb_assert_eq "$(tb_exec systemctl show -P StatusText $unit)" running "status text"
tb_assert_eq "$(tb_exec machinectl show -p State --value $p-$s)" running "machine state"
tb_assert_eq "$(tb_exec machinectl show -p Unit --value $p-$s)" $unit "unit of the machine"
tb_assert_eq "$(tb_exec cat /run/nspawn-compose/$p/$s/started-hash)" hash-1 "started-hash"

# On the unified cgroup hierarchy the wrapper sits in <unit>/supervisor, the payload in
# <unit>/payload (on a hybrid host both stay in the unit's cgroup).
main=$(tb_exec systemctl show -P MainPID $unit)
if [ "$(tb_exec stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
        tb_assert_contains "$(tb_exec cat /proc/$main/cgroup)" "0::/machine.slice/$unit/supervisor" \
                "wrapper cgroup"
fi

# Served at the service address from the testbed (through the bridge the wrapper ensured).
tb_assert_eq "$(tb_http http://10.89.250.2:8080/)" "hello from web \$x %s 'q' \"dq\" é" "HTTP body"

# Inside: hosts, resolv.conf, environment, ulimit, sysctl in the netns, the volume.
leader=$(tb_exec machinectl show -p Leader --value $p-$s)
tb_assert_contains "$(tb_exec cat /proc/$leader/root/etc/hosts)" "10.89.250.9	db" "/etc/hosts"
tb_exec test -f /proc/$leader/root/etc/resolv.conf
tb_exec test -d /var/lib/nspawn-compose/$p/vol-$s
payload=$(tb_exec cat /proc/$leader/task/$leader/children)
payload=${payload%% *}
tb_assert_contains "$(tb_exec cat /proc/$payload/limits)" \
        "Max open files            4096                 8192" "nofile"
tb_assert_eq "$(tb_exec ip netns exec nc-rtsvc-$s cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" \
        1024 "sysctl in the netns"
tb_assert_contains "$(tb_sh 'tr "\0" "\n" <"/proc/$1/environ"' "$payload")" "HOSTNAME=web" "environment"

# Stop: the payload gets SIGTERM, the wrapper exits 0, the unit is inactive (not failed).
tb_exec systemctl stop $unit
tb_assert_eq "$(tb_exec systemctl show -P ActiveState $unit)" inactive "unit state after stop"
tb_assert_eq "$(tb_exec systemctl show -P Result $unit)" success "unit result after stop"
if tb_exec machinectl status $p-$s >/dev/null 2>&1; then
        tb_fail "machine $p-$s still listed after its unit stopped"
fi
# Nothing stays mounted on the host: the overlay lived in the wrapper's mount namespace.
if tb_exec grep -q " /run/nspawn-compose/$p/$s/root " /proc/self/mountinfo; then
        tb_fail "overlay still mounted on the host"
fi

# With a healthcheck (the image's: /bin/healthcheck every second, 3 retries) READY=1 waits for
# the first healthy probe, so `systemctl start` returns only then; a check that starts failing
# makes the service unhealthy, and on_unhealthy=restart has systemd restart the unit.
h=hc
write_service $h $TB_REGISTRY/test/health:1 10.89.250.3 '["HEALTH_DELAY=2"]' '{"on_unhealthy": "restart"}'
tb_exec systemctl daemon-reload
tb_exec systemctl start nspawn-compose-$p-$h.service
tb_assert_eq "$(tb_exec systemctl show -P StatusText nspawn-compose-$p-$h.service)" healthy \
        "status once started"
tb_assert_eq "$(tb_http http://10.89.250.3/health)" ok "health page"
leader=$(tb_exec machinectl show -p Leader --value $p-$h)
tb_exec rm /proc/$leader/root/www/health
tb_wait_for "a restart after unhealthy" 60 \
        sh -c "[ \$(systemctl show -P NRestarts nspawn-compose-$p-$h.service) -ge 1 ]"
tb_wait_unit nspawn-compose-$p-$h.service active
tb_exec systemctl stop nspawn-compose-$p-$h.service
tb_assert_eq "$(tb_exec systemctl show -P Result nspawn-compose-$p-$h.service)" success \
        "result after stop"
