# run: docker compose run, a one-off machine of a service: its output, exit status, -e -w -u
# --entrypoint, stdin, an address of its own, dependencies started (not with --no-deps), -d printing its
# name, nothing of it left after an attached run, and the service's limits, devices and credentials.

p=$(basename "$TB_PROJECT")
tb_defer tb_exec nspawn-compose secret rm "$p-tok"
tb_exec nspawn-compose secret create "$p-tok" - <<<"tok-$RANDOM" >/dev/null
tok=$(tb_exec cat "/etc/credstore/$p-tok")
tb_write_compose <<EOF2
services:
  db:
    image: $TB_REGISTRY/test/httpd:1
  web:
    image: $TB_REGISTRY/test/httpd:1
    depends_on: [db]
    environment: { GREETING: compose }
    # the image's entrypoint starts httpd whatever its arguments: env runs them instead
    entrypoint: ["env"]
  lim:
    image: $TB_REGISTRY/test/httpd:1
    entrypoint: ["env"]
    mem_limit: 64m
    cpus: 0.5
    pids_limit: 50
    devices: ["/dev/net/tun:/dev/xtun:rw"]
    secrets: [tok]
secrets:
  tok:
    external: true
    name: $p-tok
EOF2
tb_defer tb_nc down
tb_nc create 2>/dev/null

out=$(tb_nc run --rm -T -e EXTRA=x -w /tmp -u 65534 web sh -c 'echo "hello $GREETING $EXTRA $(pwd) $(id -u)"')
tb_assert_eq "$out" "hello compose x /tmp 65534" "run's output, -e, -w, -u"
tb_assert_eq "$(tb_exec systemctl is-active "$(tb_unit db)")" active "run started the dependency"

# the command's exit status and our stdin, a few times over: a start job that ended between two
# reads of the unit's state was once taken for a command that had already run
for i in 1 2 3 4 5; do
        rc=0
        tb_nc run --rm web sh -c 'exit 7' 2>/dev/null || rc=$?
        tb_assert_eq "$rc" 7 "run exits with the command's status ($i)"
        tb_assert_eq "$(echo "piped-$i" | tb_nc run --rm -T web cat 2>/dev/null)" "piped-$i" "run reads our stdin ($i)"
done
rc=0
tb_nc run --rm web sh -c 'kill -TERM $$' 2>/dev/null || rc=$?
# docker says 143; nspawn's stub init reports any death by a signal as 255 (docs/cli.md)
tb_assert_eq "$rc" 255 "a command killed by a signal"
tb_assert_eq "$(tb_nc run --rm --entrypoint echo web one two 2>/dev/null)" "one two" "--entrypoint"

# an address of its own on the service's network, not the service's
mine=$(tb_nc run --rm web sh -c "ip -o -4 addr show eth0 | awk '{print \$4}'" 2>/dev/null)
theirs=$(tb_json "/etc/nspawn-compose/$p/web.json" networks 0 address)
tb_note "run: $mine, web: $theirs"
[ -n "$mine" ] || tb_fail "the one-off machine has no address"
[ "$mine" != "$theirs" ] || tb_fail "the one-off machine has the service's address $theirs"

# --no-deps: a stopped dependency stays stopped
tb_nc stop db 2>/dev/null
tb_nc run --rm --no-deps web true 2>/dev/null
tb_assert_eq "$(tb_exec systemctl is-active "$(tb_unit db)" || true)" inactive "--no-deps leaves db stopped"

# nothing of the attached runs is left
tb_assert_eq "$(tb_exec systemctl list-units --all --no-legend 'nspawn-compose-run-*' | wc -l)" 0 "no run unit left"
tb_assert_eq "$(tb_exec sh -c "ls -d /var/lib/nspawn-compose/$p/web-run-* 2>/dev/null | wc -l")" 0 "no run state left"

# -d: the machine's name, docker's P-S-run-HEX
links=$(tb_exec sh -c "ip -br link | grep -c '^vh-'" || true)
name=$(tb_nc run -d --no-deps web sleep 300 2>/dev/null)
[[ $name =~ ^$p-web-run-[0-9a-f]{12}$ ]] || tb_fail "run -d printed '$name'"
tb_wait_for "the detached machine" 60 sh -c "machinectl show '$name' >/dev/null"
tb_exec systemctl stop "nspawn-compose-run-$name.service"
tb_assert_eq "$(tb_exec sh -c "ls -d /var/lib/nspawn-compose/$p/web-run-* /run/nspawn-compose/$p/runs/*.json 2>/dev/null | wc -l")" 0 \
        "a detached run's state goes when its unit stops"
tb_assert_eq "$(tb_exec sh -c "ip -br link | grep -c '^vh-'" || true)" "$links" "a detached run's veth goes too"

rc=0
tb_nc run --rm nosuch true 2>/dev/null || rc=$?
tb_assert_eq "$rc" 1 "run of an unknown service"
rc=0
err=$(tb_nc run --rm --name ../x web true 2>&1) || rc=$?
tb_assert_eq "$rc" 1 "run --name that is no machine name"
tb_assert_contains "$err" "invalid --name '../x'" "its error"

# The one-off has what the service's unit gives the service: its limits, its devices and its
# credentials from the host's store (docker compose run creates the container from the service's
# whole configuration).
out=$(tb_nc run --rm -T lim sh -c 'cat /run/secrets/tok; stat -c "%F %t:%T" /dev/xtun; cat /dev/xtun 2>&1' \
        2>/dev/null || true)
tb_note "run of lim: $out"
tb_assert_eq "$(head -n 1 <<<"$out")" "$tok" "the credential in the one-off"
tb_assert_eq "$(sed -n 2p <<<"$out")" "character special file a:c8" "the device node in the one-off"
# the device cgroup allows it: the tun driver answers (no interface attached yet)
case $out in *"not permitted"*) tb_fail "the device is not allowed in the one-off: $out" ;; esac
name=$(tb_nc run -d --no-deps lim sleep 300 2>/dev/null)
tb_wait_for "the detached machine" 60 sh -c "machinectl show '$name' >/dev/null"
run_unit=nspawn-compose-run-$name.service
for prop in MemoryMax CPUQuotaPerSecUSec TasksMax; do
        tb_assert_eq "$(tb_exec systemctl show -P "$prop" "$run_unit")" "$(tb_unit_prop lim "$prop")" \
                "$prop of the one-off as of the service"
done
tb_assert_eq "$(tb_exec systemctl show -P MemoryMax "$run_unit")" 67108864 "MemoryMax of the one-off"
tb_assert_contains "$(tb_exec systemctl show -P DeviceAllow "$run_unit")" "/dev/net/tun rw" "DeviceAllow of the one-off"
tb_exec systemctl stop "$run_unit"
