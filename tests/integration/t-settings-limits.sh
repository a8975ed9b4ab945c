# Resource limits become unit settings systemd applies to the whole unit (MemoryMax=,
# MemorySwapMax=, CPUQuota=, TasksMax=), from the service keys or deploy.resources.limits;
# ulimits reach the payload; net.* sysctls are set in the service's netns only.

p=slim
tb_defer tb_nc down
tb_write_compose <<EOF
name: $p
services:
  keys:
    image: $TB_REGISTRY/test/httpd:1
    mem_limit: 256m
    memswap_limit: 384m
    cpus: 1.5
    pids_limit: 200
    ulimits:
      nofile: { soft: 1024, hard: 2048 }
      nproc: 500
    sysctls:
      net.ipv4.ip_forward: "1"
      net.core.somaxconn: "1000"
  deploy:
    image: $TB_REGISTRY/test/httpd:1
    deploy:
      resources:
        limits: { cpus: "0.25", memory: 64M, pids: 50 }
  nolimit:
    image: $TB_REGISTRY/test/httpd:1
EOF
tb_nc apply

show() {
        tb_exec systemctl show -P "$2" "$(tb_unit "$1" $p)"
}
tb_assert_eq "$(show keys MemoryMax)" $((256 * 1024 * 1024)) "mem_limit"
tb_assert_eq "$(show keys MemorySwapMax)" $((128 * 1024 * 1024)) "memswap_limit (swap = memswap - mem)"
tb_assert_eq "$(show keys CPUQuotaPerSecUSec)" 1.500000s "cpus"
tb_assert_eq "$(show keys TasksMax)" 200 "pids_limit"
tb_assert_eq "$(show deploy MemoryMax)" $((64 * 1024 * 1024)) "deploy memory"
tb_assert_eq "$(show deploy MemorySwapMax)" $((64 * 1024 * 1024)) "no memswap_limit: as much swap as memory"
tb_assert_eq "$(show deploy CPUQuotaPerSecUSec)" 250ms "deploy cpus"
tb_assert_eq "$(show deploy TasksMax)" 50 "deploy pids"
tb_assert_eq "$(show nolimit MemoryMax)" infinity "no limit"
tb_assert_eq "$(show nolimit CPUQuotaPerSecUSec)" infinity "no cpu limit"
# the kernel enforces them on the unit's cgroup, where the payload lives (unified or legacy)
cg=$(show keys ControlGroup)
# cgval FILE WANT WHAT: FILE under the unit's cgroup in the unified hierarchy, else in the legacy
# controller's; a testbed on a legacy host cannot delegate memory, cpu or pids to its own systemd.
cgval() {
        local f
        if tb_exec test -e /sys/fs/cgroup/cgroup.controllers; then
                f=/sys/fs/cgroup$cg/$1
        else
                f=/sys/fs/cgroup/$4$cg/$5
        fi
        if tb_exec test -e "$f"; then
                tb_assert_eq "$(tb_exec cat "$f")" "$2" "$3"
        else
                tb_note "$3: $f does not exist here (controller not delegated); systemctl show checked it"
        fi
}
cgval memory.max $((256 * 1024 * 1024)) "kernel memory limit" memory memory.limit_in_bytes
cgval pids.max 200 "kernel pids limit" pids pids.max
if tb_exec test -e /sys/fs/cgroup/cgroup.controllers; then
        cgval cpu.max "150000 100000" "kernel cpu quota"
else
        cgval - 150000 "kernel cpu quota" cpu cpu.cfs_quota_us
fi
leader=$(tb_exec machinectl show --property=Leader --value $p.keys)
tb_assert_contains "$(tb_exec cat /proc/$leader/cgroup)" "$cg" "the machine is in the unit's cgroup"

tb_assert_eq "$(tb_nc exec keys sh -c 'grep "open files" /proc/2/limits' | awk '{print $4, $5}')" "1024 2048" "ulimit nofile"
tb_assert_eq "$(tb_nc exec keys sh -c 'grep "processes" /proc/2/limits' | awk '{print $3, $4}')" "500 500" "ulimit nproc"
tb_assert_eq "$(tb_nc exec keys cat /proc/sys/net/ipv4/ip_forward)" 1 "sysctl in the netns"
tb_assert_eq "$(tb_nc exec keys cat /proc/sys/net/core/somaxconn)" 1000 "sysctl somaxconn"
tb_assert_eq "$(tb_nc exec nolimit cat /proc/sys/net/core/somaxconn)" "$(tb_exec cat /proc/sys/net/core/somaxconn)" "other services keep the default"
