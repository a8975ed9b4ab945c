# The knobs systemd or nspawn answers directly: cpu_shares (CPUWeight=), cpuset (AllowedCPUs=),
# mem_reservation (MemoryLow=), blkio_config (IOWeight=, IO*Max=) on the unit; oom_score_adj and
# security_opt no-new-privileges on the machine's processes; devices bound into the machine and
# allowed by the unit; seccomp=/label= warned about.

tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    cpu_shares: 512
    cpuset: "0"
    mem_reservation: 64m
    oom_score_adj: 500
    security_opt: ["no-new-privileges:true", "seccomp=unconfined"]
    devices: ["/dev/net/tun:/dev/xtun:rw"]
    blkio_config:
      weight: 300
      device_read_bps: [{path: /dev/null, rate: 1mb}]
  plain:
    image: $TB_REGISTRY/test/httpd:1
EOF
tb_down_at_end
err=$(tb_nc up -d 2>&1 >/dev/null)
tb_note "$err"
tb_assert_contains "$err" "services.web.security_opt[1]: 'seccomp=unconfined' ignored" "seccomp= warned about"
unit=$(tb_unit web)
prop() {
        tb_exec systemctl show -P "$1" "$unit"
}
tb_assert_eq "$(prop CPUWeight)" 20 "CPUWeight from cpu_shares 512"
tb_assert_eq "$(prop AllowedCPUs)" 0 "AllowedCPUs from cpuset"
tb_assert_eq "$(prop MemoryLow)" 67108864 "MemoryLow from mem_reservation"
tb_assert_eq "$(prop IOWeight)" 2930 "IOWeight from blkio_config.weight"
tb_assert_contains "$(prop IOReadBandwidthMax)" "/dev/null 1048576" "IOReadBandwidthMax"
tb_assert_contains "$(prop DeviceAllow)" "/dev/net/tun rw" "DeviceAllow of the device"

tb_assert_eq "$(tb_nc exec -T web cat /proc/1/oom_score_adj)" 500 "oom_score_adj in the machine"
tb_assert_eq "$(tb_nc exec -T plain cat /proc/1/oom_score_adj)" 0 "no oom_score_adj"
tb_assert_eq "$(tb_nc exec -T web sh -c 'grep ^NoNewPrivs: /proc/1/status | tr -d " \t"')" NoNewPrivs:1 \
        "no-new-privileges"
tb_assert_eq "$(tb_nc exec -T plain sh -c 'grep ^NoNewPrivs: /proc/1/status | tr -d " \t"')" NoNewPrivs:0 \
        "privileges as usual without it"
tb_assert_eq "$(tb_nc exec -T web stat -c '%F %t:%T' /dev/xtun)" "character special file a:c8" "the device node"
# usable: the tun driver answers (no interface attached yet), the device cgroup does not refuse
out=$(tb_nc exec -T web sh -c 'cat /dev/xtun 2>&1' || true)
tb_note "read of /dev/xtun: $out"
case $out in *"not permitted"*) tb_fail "the device is not allowed: $out" ;; esac
rc=0
tb_nc plan >/dev/null || rc=$?
tb_assert_eq "$rc" 0 "plan after up"
