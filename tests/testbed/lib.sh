# shellcheck shell=bash
# The testbed: a Debian root with systemd as PID 1, booted with systemd-nspawn in its own network
# namespace, with a loopback registry serving the test images. Sourced by the integration runner
# (tests/integration/run.sh), by every case file and by scripts/demo.sh.
#
# Lifecycle (runner):  tb_check_host, tb_rootfs, tb_prepare_copy, tb_images_build,
#                      [tb_appbase_build,] tb_boot, tb_install_package, tb_registry_start,
#                      tb_images_push, [tb_appbase_push] ... tb_teardown
# Case API:            tb_exec, tb_sh, tb_copy_in, tb_write_file, tb_write_compose, tb_nc,
#                      tb_down_at_end, tb_unit, tb_unit_prop, tb_wait_for, tb_wait_unit, tb_http,
#                      tb_wait_http, tb_tcp_echo, tb_udp_echo,
#                      tb_busybox_rootfs, tb_machine_start, tb_links, tb_refused, tb_defer,
#                      tb_assert_eq, tb_assert_contains, tb_assert_absent,
#                      tb_assert_hidden, tb_fail
#
# State shared with cases through the environment: TB_PID (the testbed's PID 1 as seen from the
# outer host), TB_NAME (its machine name), TB_REGISTRY (127.0.0.1:5000), TB_PROJECT (the case's
# own project directory inside the testbed), TB_CASE (the case name). Only the runner knows
# TB_WORK (scratch directory on the outer host, holding TB_ROOT, the testbed's root directory)
# and TB_NSPAWN_PID, so only it can tear the testbed down.

TB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TB_REGISTRY=127.0.0.1:5000
TB_IMAGES="httpd echo exit health owned"
TB_IMAGE_DIR=/opt/nspawn-compose-testbed/images
TB_APPBASE_DIR=/opt/nspawn-compose-testbed/appbase
TB_CONF_DIR=/etc/nspawn-compose-testbed
: "${TB_BOOT_TIMEOUT:=120}" "${TB_STOP_GRACE:=30}"
export TB_DIR TB_REGISTRY TB_STOP_GRACE

# --- output ---------------------------------------------------------------------------------

# Diagnostics go to stdout as TAP comments, so they never break the TAP stream.
# Each argument becomes one or more "# " lines.
tb_note() {
        printf '%s\n' "$@" | sed 's/^/# /'
}

tb_now() {
        date +%s%N
}

# tb_phase NAME START: prints "# phase NAME 1.23s", the time since START (from tb_now).
tb_phase() {
        local ns=$(($(tb_now) - $2))
        printf '# phase %s %d.%02ds\n' "$1" $((ns / 1000000000)) $((ns % 1000000000 / 10000000))
}

# --- outer host -----------------------------------------------------------------------------

# Prints why the testbed cannot run here and fails, or succeeds silently.
tb_check_host() {
        local t
        if [ "$(id -u)" -ne 0 ]; then
                echo "needs root"
                return 1
        fi
        for t in systemd-nspawn debootstrap nsenter setsid mountpoint umoci python3 cc flock dpkg-buildpackage; do
                command -v "$t" >/dev/null || { echo "$t not found"; return 1; }
        done
        [ -x /bin/busybox ] || { echo "/bin/busybox (busybox-static) not found"; return 1; }
}

# Alive and not a zombie (a child of ours that exited but was not reaped yet).
tb_alive() {
        local stat
        stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
        stat=${stat##*) }
        [ "${stat%% *}" != Z ]
}

# Sets TB_CACHE_ROOT and TB_ROOTFS_STATE (cold: just built; warm: from the cache).
tb_rootfs() {
        local out
        out=$("$TB_DIR/rootfs.sh") || return 1
        read -r TB_CACHE_ROOT TB_ROOTFS_STATE <<<"$out"
}

# Copies the cached root into a fresh scratch directory: TB_WORK, TB_ROOT, TB_NAME. TB_WORK is a
# tmpfs of its own unless NC_TESTBED_TMPFS=0: copying the root onto this VM's ext4 costs ~7 s of
# system time, onto tmpfs ~0.6 s, and removing it is one unmount.
tb_prepare_copy() {
        TB_WORK=$(mktemp -d /var/tmp/nspawn-compose-testbed.XXXXXX)
        if [ "${NC_TESTBED_TMPFS:-1}" != 0 ]; then
                mount -t tmpfs -o mode=0700 nspawn-compose-testbed "$TB_WORK" || return 1
        fi
        TB_ROOT=$TB_WORK/root
        TB_NAME=testbed-$$
        export TB_NAME
        # shared lock: rootfs.sh removes outdated roots under the exclusive one
        flock -s "$(dirname "$TB_CACHE_ROOT")/lock" \
                cp --reflink=auto -a "$TB_CACHE_ROOT" "$TB_ROOT" || return 1
        tb__write_config
}

# tb_remove_work DIR: removes a scratch directory made by tb_prepare_copy. Lazy unmount: the
# guard still holds the nspawn log open.
tb_remove_work() {
        if mountpoint -q "$1"; then
                umount -l "$1" && rmdir "$1"
        else
                rm -rf --one-file-system "$1"
        fi
}

# Files the testbed needs before it boots: the registry's own config (loopback only, storage
# in the testbed) and the drop-in that lets skopeo talk plain HTTP to it.
tb__write_config() {
        mkdir -p "$TB_ROOT$TB_CONF_DIR" "$TB_ROOT/etc/containers/registries.conf.d"
        cat >"$TB_ROOT$TB_CONF_DIR/registry.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: /var/lib/nspawn-compose-testbed/registry
  delete:
    enabled: true
http:
  addr: $TB_REGISTRY
  secret: testbed-only
EOF
        cat >"$TB_ROOT/etc/containers/registries.conf.d/90-nspawn-compose-testbed.conf" <<EOF
# testbed: plain-HTTP registry on loopback
[[registry]]
location = "$TB_REGISTRY"
insecure = true

[[registry]]
location = "localhost:${TB_REGISTRY##*:}"
insecure = true
EOF
}

# tb_build_options BUILD: the meson options the Debian package of a testbed is built with to match
# the build directory BUILD (its sanitizers; optimization is dpkg's own), one per line.
tb_build_options() {
        meson introspect "$1" --buildoptions |
                python3 -c 'import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print("-Db_sanitize=" + str(o.get("b_sanitize", "none")))'
}

# tb_package_of BINARY: the path of the Debian package of this tree built to match the build
# directory of BINARY (BUILD/cmd/nspawn-compose), in BUILD/tests/testbed-package (cached), as the
# benches and shell.sh boot the testbed with it.
tb_package_of() {
        local build options
        build=$(cd "$(dirname "$1")/.." && pwd) || return 1
        mapfile -t options < <(tb_build_options "$build") || return 1
        DEB_BUILD_OPTIONS="nocheck nostrip" "$TB_DIR/../package/build-deb.sh" "$TB_DIR/../.." \
                "$build/tests/testbed-package" "${options[@]}"
}

# tb_install_package DEB: installs the Debian package DEB (tests/package/build-deb.sh) in the booted
# testbed with apt, as a user installs it (`apt-get install ./nspawn-compose_*.deb`): the binary,
# the shipped units, the man page and completions. The testbed has no network: its dependencies
# must already be there.
tb_install_package() {
        local name
        name=$(basename "$1")
        install -m 0644 "$1" "$TB_ROOT/var/tmp/$name" || return 1
        tb_exec env DEBIAN_FRONTEND=noninteractive \
                apt-get install -y -q --no-install-recommends "/var/tmp/$name" \
                >"$TB_WORK/apt-install.log" 2>&1 ||
                { tail -n 20 "$TB_WORK/apt-install.log" >&2; return 1; }
        rm -f "$TB_ROOT/var/tmp/$name"
}

# tb__cached NAME KEY BUILDER...: TB_CACHED, the directory NAME-KEY of the cache (beside the
# root), made once by `BUILDER... DIR` (DIR must not exist); the other NAME-* go when it is new.
# TB_CACHE_STATE says cold (just built) or warm. A failed build shows its output.
tb__cached() {
        local name=$1 key=$2 cache=${NC_TESTBED_CACHE:-/var/cache/nspawn-compose-testbed} tmp
        shift 2
        TB_CACHED=$cache/$name-$key
        TB_CACHE_STATE=warm
        [ ! -d "$TB_CACHED" ] || return 0
        TB_CACHE_STATE=cold
        mkdir -p "$cache"
        # a dot name: never one of the NAME-* the cleanup below removes
        tmp=$(mktemp -d "$cache/.$name-build.XXXXXX")
        if ! "$@" "$tmp/out" >"$tmp/log" 2>&1; then
                tb_note "$(cat "$tmp/log")"
                rm -rf --one-file-system "$tmp"
                return 1
        fi
        # another run may have won the race: then ours is dropped
        mv -T "$tmp/out" "$TB_CACHED" 2>/dev/null || true
        rm -rf --one-file-system "$tmp"
        # older keys, and builds of runs killed more than a day ago
        flock "$cache/lock" find "$cache" -maxdepth 1 \( \( -name "$name-*" ! -name "$name-$key" \) \
                -o \( -name ".$name-build.*" -mmin +1440 \) \) -exec rm -rf --one-file-system {} +
}

# tb__cached_copy DEST: copies TB_CACHED to DEST inside the testbed's root, under the cache's
# shared lock (a finishing build removes outdated entries under the exclusive one).
tb__cached_copy() {
        mkdir -p "$(dirname "$TB_ROOT$1")"
        flock -s "$(dirname "$TB_CACHED")/lock" cp -a "$TB_CACHED" "$TB_ROOT$1"
}

# Builds the test images on the outer host (images.sh) and puts the OCI layout into the
# testbed's root; tb_images_push pushes them once the registry runs. The layout is cached beside
# the root, keyed by the sha256 of everything it is made of; TB_IMAGES_STATE says cold or warm.
tb_images_build() {
        local key
        key=$(cat "$TB_DIR/images.sh" "$TB_DIR/udp-echo.c" "$TB_DIR/oci-set-config.py" \
                /bin/busybox | sha256sum | cut -c1-16)
        tb__cached images "$key" "$TB_DIR/images.sh" || return 1
        TB_IMAGES_STATE=$TB_CACHE_STATE
        tb__cached_copy "$TB_IMAGE_DIR"
}

# The base image of the application cases (appbase.sh: Debian with MariaDB, Python, nginx), built
# on the outer host and cached like the test images, keyed by its script and package list;
# tb_appbase_push pushes it as $TB_REGISTRY/test/appbase:1. Only for runs whose cases need it
# (run.sh: a case file's "# needs: appbase" line; shell.sh: NC_TESTBED_APPBASE=1), since its
# first build takes a minute and Debian's mirror. TB_APPBASE_STATE says cold or warm.
tb_appbase_build() {
        local key
        key=$(cat "$TB_DIR/appbase.sh" "$TB_DIR/appbase-packages" "$TB_DIR/debian.sh" |
                sha256sum | cut -c1-16)
        tb__cached appbase "$key" "$TB_DIR/appbase.sh" || return 1
        TB_APPBASE_STATE=$TB_CACHE_STATE
        tb__cached_copy "$TB_APPBASE_DIR"
}

# Boots the copy: TB_NSPAWN_PID, TB_GUARD_PID, TB_PID. Waits until systemd says running or
# degraded, and reports which (with the failed units).
# NC_TESTBED_CGROUP=unified boots it with cgroup v2 as the only hierarchy (nspawn mounts its part
# of the host's v2 tree; on a hybrid host no controller comes with it), as systemd's freezer needs.
# The keyring calls are let through as a host has them: nspawn's filter refuses them to containers,
# and crun makes a session keyring for every RUN step of a build (from a service: from the shell,
# nsenter leaves nspawn's filter behind, so only the supervisor's and the timer's builds failed).
tb_boot() {
        local cgroup=(-u SYSTEMD_NSPAWN_UNIFIED_HIERARCHY)
        [ "${NC_TESTBED_CGROUP:-}" != unified ] || cgroup=(SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1)
        setsid "$TB_DIR/guard.sh" $$ "$TB_WORK/nspawn.pid" "$TB_WORK" -- \
                env "${cgroup[@]}" systemd-nspawn --register=no --keep-unit -D "$TB_ROOT" -M "$TB_NAME" -b \
                --private-network --capability=all --system-call-filter=@keyring --console=pipe \
                >"$TB_WORK/nspawn.log" 2>&1 &
        TB_GUARD_PID=$!
        tb__wait_pid1 || { tb__boot_failed "no systemd started"; return 1; }
        export TB_PID
        tb__wait_running || { tb__boot_failed "systemd did not finish booting"; return 1; }
}

tb__boot_failed() {
        tb_note "testbed boot failed: $1" "$(tail -n 40 "$TB_WORK/nspawn.log" 2>/dev/null)"
}

# PID 1 of the testbed: the child of our nspawn that runs systemd.
tb__wait_pid1() {
        local i c
        for ((i = 0; i < TB_BOOT_TIMEOUT * 10; i++)); do
                [ -n "${TB_NSPAWN_PID:-}" ] || TB_NSPAWN_PID=$(cat "$TB_WORK/nspawn.pid" 2>/dev/null)
                if [ -n "$TB_NSPAWN_PID" ]; then
                        tb_alive "$TB_NSPAWN_PID" || return 1
                        for c in $(cat /proc/"$TB_NSPAWN_PID"/task/*/children 2>/dev/null); do
                                if [ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ]; then
                                        TB_PID=$c
                                        return 0
                                fi
                        done
                fi
                sleep 0.1
        done
        return 1
}

tb__wait_running() {
        local i state
        for ((i = 0; i < TB_BOOT_TIMEOUT * 10; i++)); do
                tb_alive "$TB_NSPAWN_PID" || return 1
                state=$(tb_exec systemctl is-system-running 2>/dev/null)
                case $state in
                running)
                        tb_note "testbed $TB_NAME: running"
                        return 0 ;;
                degraded)
                        tb_note "testbed $TB_NAME: degraded; failed units:" \
                                "$(tb_exec systemctl --failed --no-legend --plain)"
                        return 0 ;;
                maintenance | stopping)
                        tb_note "testbed $TB_NAME: $state"
                        return 1 ;;
                esac
                sleep 0.1
        done
        return 1
}

# tb_stop_nspawn PID: stops the booted nspawn PID: SIGTERM (nspawn asks the testbed's systemd to
# power off), and after TB_STOP_GRACE seconds SIGKILL, first to the testbed's PID 1 (a killed
# nspawn leaves its container running; the death of PID 1 ends the whole PID namespace), then
# to nspawn itself. Returns when nspawn has exited (or is a zombie of its parent).
tb_stop_nspawn() {
        local pid=$1 i c
        tb_alive "$pid" || return 0
        kill -TERM "$pid" 2>/dev/null
        for ((i = 0; i < TB_STOP_GRACE * 10; i++)); do
                tb_alive "$pid" || return 0
                sleep 0.1
        done
        tb_note "testbed did not stop within ${TB_STOP_GRACE}s; killing it"
        for c in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
                kill -KILL "$c" 2>/dev/null
        done
        for ((i = 0; i < 50; i++)); do
                tb_alive "$pid" || return 0
                sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
}

# Stops the testbed and removes its copy, then releases the guard (guard.sh), which would have
# done both had we died first. Safe to call more than once and before the boot.
tb_teardown() {
        trap '' INT TERM
        [ -z "${TB_NSPAWN_PID:-}" ] || tb_stop_nspawn "$TB_NSPAWN_PID"
        if [ -n "${TB_WORK:-}" ] && [ -d "$TB_WORK" ]; then
                tb_remove_work "$TB_WORK"
        fi
        if [ -n "${TB_GUARD_PID:-}" ]; then
                kill -USR1 "$TB_GUARD_PID" 2>/dev/null
                wait "$TB_GUARD_PID" 2>/dev/null
        fi
        TB_NSPAWN_PID='' TB_GUARD_PID='' TB_WORK=''
        trap - INT TERM
}

# --- registry and images (inside the testbed) -----------------------------------------------

tb_registry_start() {
        tb_exec systemd-run --quiet --unit=testbed-registry \
                docker-registry serve "$TB_CONF_DIR/registry.yml" || return 1
        tb_wait_for "registry on $TB_REGISTRY" 60 \
                timeout 5 busybox wget -q -O /dev/null "http://$TB_REGISTRY/v2/"
}

# tb__push LAYOUT NAME: the image NAME of the OCI layout LAYOUT (inside) to the registry as
# $TB_REGISTRY/test/NAME:1.
tb__push() {
        tb_exec skopeo copy --quiet "oci:$1:$2" "docker://$TB_REGISTRY/test/$2:1"
}

tb_images_push() {
        local name
        for name in $TB_IMAGES; do
                tb__push "$TB_IMAGE_DIR" "$name" || return 1
        done
}

# Pushes the application base image, then drops its layout: the registry holds it now, and the
# testbed's root is memory.
tb_appbase_push() {
        tb__push "$TB_APPBASE_DIR" appbase && tb_exec rm -rf "$TB_APPBASE_DIR"
}

# --- running things inside ------------------------------------------------------------------

# tb_exec CMD...: runs CMD inside the testbed (all its namespaces), in $TB_PROJECT when set,
# with a clean environment; stdin, stdout, stderr and the exit status pass through.
tb_exec() {
        nsenter -t "$TB_PID" -a env -i -C "${TB_PROJECT:-/}" \
                PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
                HOME=/root LANG=C.UTF-8 TERM=dumb SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

# tb_sh SCRIPT [ARGS...]: runs a shell script inside (sh -ec), $1... being ARGS.
tb_sh() {
        local script=$1
        shift
        tb_exec sh -ec "$script" sh "$@"
}

# tb_copy_in SRC DEST: copies a file or directory from the outer host to DEST inside (DEST is
# created as a directory and SRC lands inside it, like cp -a SRC DEST/).
tb_copy_in() {
        local src=$1 dest=$2
        tb_exec mkdir -p "$dest"
        tar -C "$(dirname "$src")" -cf - "$(basename "$src")" |
                tb_exec tar -C "$dest" --no-same-owner -xf -
}

# tb_write_file PATH [MODE] <CONTENT: writes stdin to PATH inside (relative to the project).
tb_write_file() {
        tb_sh 'mkdir -p "$(dirname "$1")"; cat >"$1"; chmod "$2" "$1"' "$1" "${2:-0644}"
}

# tb_write_compose [FILE] <YAML: writes the case's compose file (default compose.yml).
tb_write_compose() {
        tb_write_file "${1:-compose.yml}"
}

# tb_nc ARGS...: runs nspawn-compose in the case's project directory.
tb_nc() {
        tb_exec nspawn-compose "$@"
}

# tb_down_at_end [ARGS...]: runs `nspawn-compose [ARGS...] down` in the project directory when
# the case ends, pass or fail (register it right before the first apply).
tb_down_at_end() {
        tb_defer nspawn-compose "$@" down
}

# tb_json FILE KEY...: a value of a JSON file inside the testbed, KEYs walking into it (a number
# indexes a list), read on the outer host.
tb_json() {
        tb_exec cat "$1" | python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1:]:
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "${@:2}"
}

# tb_unit SERVICE [PROJECT]: the unit of a service. PROJECT defaults to the name compose derives
# from the project directory (the case name, which is already a valid project name).
tb_unit() {
        echo "nspawn-compose-${2:-$(basename "$TB_PROJECT")}.$1.service"
}

# tb_unit_prop SERVICE PROPERTY: a property of the service's unit (ActiveState, InvocationID, …).
tb_unit_prop() {
        tb_exec systemctl show -P "$2" "$(tb_unit "$1")"
}

# tb_wait_for WHAT SECONDS CMD...: retries CMD (inside the testbed) every 0.1 s until it
# succeeds; fails with a message after SECONDS. The deadline only bounds a hang: tests never
# judge speed by it.
tb_wait_for() {
        local what=$1 secs=$2 i
        shift 2
        for ((i = 0; i < secs * 10; i++)); do
                tb_exec "$@" >/dev/null 2>&1 && return 0
                sleep 0.1
        done
        echo "timed out after ${secs}s waiting for $what ($*)" >&2
        return 1
}

# tb_wait_unit UNIT STATE [SECONDS]: waits until the unit's ActiveState is STATE (active,
# inactive, failed, activating...). Prints the unit's status on timeout.
tb_wait_unit() {
        local unit=$1 want=$2 secs=${3:-60} i state
        for ((i = 0; i < secs * 10; i++)); do
                state=$(tb_exec systemctl show -P ActiveState "$unit" 2>/dev/null)
                [ "$state" = "$want" ] && return 0
                sleep 0.1
        done
        echo "timed out after ${secs}s: $unit is '$state', expected '$want'" >&2
        tb_exec systemctl status --no-pager -n 20 "$unit" >&2
        return 1
}

# tb_http URL: prints the body of URL fetched from inside the testbed (bounded to 10 s;
# busybox wget -T is broken, hence the outer timeout).
tb_http() {
        tb_exec timeout 10 busybox wget -q -O- "$1"
}

# tb_wait_http URL TEXT [SECONDS]: waits until URL (fetched inside) answers with a body that
# contains TEXT; prints the last answer on timeout.
tb_wait_http() {
        local url=$1 text=$2 secs=${3:-60} i body=
        for ((i = 0; i < secs * 10; i++)); do
                body=$(tb_http "$url" 2>&1) && [[ $body == *"$text"* ]] && return 0
                sleep 0.1
        done
        echo "timed out after ${secs}s waiting for '$text' from $url; last answer: $body" >&2
        return 1
}

# tb_tcp_echo HOST PORT MSG / tb_udp_echo HOST PORT MSG: sends MSG from inside the testbed and
# prints the first line that comes back (bounded to 5 s).
tb_tcp_echo() {
        tb_exec timeout 5 bash -c 'exec 3<>"/dev/tcp/$1/$2" && echo "$3" >&3 && head -n 1 <&3' \
                sh "$@"
}

tb_udp_echo() {
        tb_exec timeout 5 bash -c 'exec 3<>"/dev/udp/$1/$2" && echo "$3" >&3 && head -n 1 <&3' \
                sh "$@"
}

# tb_busybox_rootfs DIR: makes DIR (inside) a minimal machine root: static busybox with the
# usual applets, /usr (nspawn refuses a tree without it), an empty os-release and /www.
tb_busybox_rootfs() {
        tb_sh '
                mkdir -p "$1/bin" "$1/usr" "$1/etc" "$1/www" "$1/tmp"
                cp /bin/busybox "$1/bin/busybox"
                for a in sh ip httpd sleep cat echo wget nc hostname ls mkdir; do
                        ln -sf busybox "$1/bin/$a"
                done
                : >"$1/etc/os-release"' "$1"
}

# tb_machine_start NAME [NSPAWN_OPTIONS...] -- COMMAND...: starts the root
# /var/lib/machines/NAME (inside) as machine NAME from the transient unit NAME.service, the way a
# machine unit runs it (Type=notify, Delegate=yes, machine.slice, registered with machined), with
# COMMAND as PID 2 under nspawn's stub init. The stub init ignores SIGTERM; SIGRTMIN+3 as the
# kill signal makes it send SIGTERM and SIGHUP to the payload, so stopping the unit is clean.
tb_machine_start() {
        local name=$1
        shift
        tb_exec systemd-run --quiet --unit="$name.service" -p Type=notify -p KillMode=mixed \
                -p Delegate=yes -p Slice=machine.slice \
                systemd-nspawn --quiet --keep-unit --register=yes -M "$name" \
                -D "/var/lib/machines/$name" --as-pid2 --kill-signal=SIGRTMIN+3 "$@"
}

# tb_links: the names of the testbed's links, sorted (to compare before and after).
tb_links() {
        tb_exec ip -br link | awk '{print $1}' | sort
}

# tb_refused PROJECT LINKS EXPECTED...: `plan` and `apply` both exit 1 and print every EXPECTED,
# and nothing of PROJECT is on the system: no settings or state directory, unit file, unit, link
# beyond LINKS (tb_links from before) or nftables table.
tb_refused() {
        local p=$1 links=$2 verb rc out what
        shift 2
        for verb in plan apply; do
                rc=0
                out=$(tb_nc $verb 2>&1) || rc=$?
                tb_note "$verb exited $rc:" "$out"
                tb_assert_eq "$rc" 1 "$verb exit status"
                for what in "$@"; do
                        tb_assert_contains "$out" "$what" "$verb output"
                done
        done
        tb_exec test ! -e "/etc/nspawn-compose/$p"
        tb_exec test ! -e "/var/lib/nspawn-compose/$p"
        tb_assert_eq "$(tb_exec sh -c "ls /etc/systemd/system | grep -c nspawn-compose-$p || true")" 0 "unit files"
        tb_assert_eq "$(tb_exec systemctl list-units --all --no-legend "nspawn-compose-$p*")" "" "units"
        tb_assert_eq "$(tb_links)" "$links" "links"
        if tb_exec nft list table inet nspawn_compose >/dev/null 2>&1; then
                tb_fail "table inet nspawn_compose exists"
        fi
}

# --- case bookkeeping -----------------------------------------------------------------------

TB_DEFERRED=()

# tb_defer CMD...: runs CMD when the case ends, pass or fail, in reverse order of registration:
# inside the testbed, or on the outer host when CMD is a shell function (tb_nc, tb_sh...).
tb_defer() {
        local q
        printf -v q '%q ' "$@"
        TB_DEFERRED+=("$q")
}

tb_run_deferred() {
        local i
        for ((i = ${#TB_DEFERRED[@]} - 1; i >= 0; i--)); do
                eval "set -- ${TB_DEFERRED[i]}"
                if declare -F "$1" >/dev/null; then
                        "$@"
                else
                        tb_exec "$@"
                fi || echo "cleanup failed: ${TB_DEFERRED[i]}" >&2
        done
        TB_DEFERRED=()
}

tb_fail() {
        echo "FAIL: $*" >&2
        return 1
}

tb_assert_eq() {
        [ "$1" = "$2" ] || tb_fail "${3:-value}: expected '$2', got '$1'"
}

tb_assert_contains() {
        [[ $1 == *"$2"* ]] || tb_fail "${3:-output}: '$1' does not contain '$2'"
}

# tb_assert_absent VALUE WHAT CMD...: what CMD prints (stdout) does not contain VALUE, a secret.
tb_assert_absent() {
        local value=$1 what=$2
        shift 2
        if "$@" 2>/dev/null | grep -qF -- "$value"; then
                tb_fail "the secret value is in $what"
        fi
}

# tb_assert_hidden VALUE UNIT: a secret VALUE of the case's project, which runs UNIT, is in no
# process's command line, `systemctl show`/`status` of UNIT, unit file, the journal, `plan`, or
# world-readable file of ours (settings holding it are 0600, the environment file too).
tb_assert_hidden() {
        local v=$1 unit=$2
        tb_assert_absent "$v" "a command line" \
                tb_sh 'for f in /proc/[0-9]*/cmdline; do tr "\0" " " < "$f" 2>/dev/null; echo; done'
        tb_assert_absent "$v" "systemctl show" tb_exec systemctl show "$unit"
        tb_assert_absent "$v" "systemctl status" tb_exec systemctl status --no-pager -l "$unit"
        tb_assert_absent "$v" "a unit file" tb_sh 'cat /etc/systemd/system/nspawn-compose-*'
        tb_assert_absent "$v" "the journal" tb_exec journalctl --no-pager -o verbose
        tb_assert_absent "$v" "plan" tb_nc plan --format json
        tb_assert_absent "$v" "a world-readable file" tb_sh 'find /etc/nspawn-compose /run/nspawn-compose \
                /var/lib/nspawn-compose -xdev -type f -perm -004 -not -path "*/root/*" -exec cat {} + 2>/dev/null'
}

# Machines, units, rules and links of the testbed, for a failed case.
tb_diagnostics() {
        local units
        units=$(tb_exec systemctl list-units --all --no-legend --plain 'nspawn-compose-*' \
                2>/dev/null | awk '{print $1}')
        tb_note "--- failed units" "$(tb_exec systemctl --failed --no-legend --plain 2>&1)"
        tb_note "--- our units" "$(tb_exec systemctl list-units --all --no-legend --plain \
                'nspawn-compose-*' 2>&1)"
        if [ -n "$units" ]; then
                # shellcheck disable=SC2046
                tb_note "--- journal of our units" "$(tb_exec journalctl --no-pager -n 150 \
                        -o short-monotonic $(printf -- '-u %s ' $units) 2>&1)"
        fi
        tb_note "--- journal of failed units" "$(tb_exec sh -c '
                for u in $(systemctl --failed --no-legend --plain | cut -d" " -f1); do
                        journalctl --no-pager -n 30 -o short-monotonic -u "$u"
                done' 2>&1)"
        tb_note "--- machinectl list" "$(tb_exec machinectl list --no-legend 2>&1)"
        tb_note "--- nft list ruleset" "$(tb_exec nft list ruleset 2>&1)"
        tb_note "--- ip -br link" "$(tb_exec ip -br link 2>&1)"
        tb_note "--- ip -br addr" "$(tb_exec ip -br addr 2>&1)"
}
