#!/usr/bin/env bash
# images.sh LAYOUT: builds the test images into a new OCI layout LAYOUT (must not exist), one
# tag per image, all sharing one busybox base layer:
#   httpd   busybox httpd on $PORT (80) serving /www; index.html says "hello from $SERVICE"
#           ($SERVICE defaults to the hostname, which is the compose service name)
#   echo    TCP echo (busybox nc) and UDP echo (udp-echo) on $PORT (7)
#   exit    prints "exiting with N", sleeps $EXIT_DELAY (0) seconds, exits with $EXIT_CODE (0)
#   health  httpd whose /health page appears $HEALTH_DELAY (0) seconds after start ("never":
#           never); image HEALTHCHECK is /bin/healthcheck, every 1 s, 3 retries
#   owned   runs as USER 1000:1000 (app); its /data (0750) holds files owned by app (seed, a
#           symlink to it, sub/deep); it writes /data/by-user if it can, then serves /tmp on 8080
# lib.sh pushes them as 127.0.0.1:5000/test/NAME:1. Needs umoci, busybox-static, python3, cc.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
layout=${1:?usage: images.sh LAYOUT}
busybox=${NC_TESTBED_BUSYBOX:-/bin/busybox}
work=$(mktemp -d "${TMPDIR:-/tmp}/nc-images.XXXXXX")
trap 'rm -rf "$work"' EXIT

[ ! -e "$layout" ] || { echo "images.sh: $layout exists" >&2; exit 1; }
ldd "$busybox" >/dev/null 2>&1 && { echo "images.sh: $busybox is not static" >&2; exit 1; }

# The base: static busybox with a link per applet, the files nspawn and the applets look for.
make_base() {
        local r=$work/base/rootfs a
        umoci init --layout "$layout"
        umoci new --image "$layout:base"
        umoci unpack --image "$layout:base" "$work/base" >/dev/null
        mkdir -p "$r/bin" "$r/etc" "$r/www" "$r/usr/bin" "$r/root" "$r/tmp"
        chmod 1777 "$r/tmp"
        cp "$busybox" "$r/bin/busybox"
        for a in $("$busybox" --list); do
                [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"
        done
        printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
                >"$r/etc/passwd"
        printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
        : >"$r/etc/os-release"      # empty: nspawn only checks that /usr exists
        umoci repack --refresh-bundle --image "$layout:base" "$work/base" >/dev/null
}

# make_image NAME: unpacks the base, runs add_NAME on the rootfs, repacks as tag NAME.
make_image() {
        local name=$1
        umoci unpack --image "$layout:base" "$work/$name" >/dev/null
        "add_$name" "$work/$name/rootfs"
        umoci repack --image "$layout:$name" "$work/$name" >/dev/null
}

script() {
        install -m 0755 /dev/stdin "$1"
}

add_httpd() {
        script "$1/bin/start-httpd" <<'EOF'
#!/bin/sh
# Serves /www on ${PORT:-80}; the page names the service.
echo "hello from ${SERVICE:-$(hostname)}" >/www/index.html
exec httpd -f -p "${PORT:-80}" -h /www
EOF
}

add_echo() {
        "${CC:-cc}" -static -Os -o "$1/bin/udp-echo" "$here/udp-echo.c"
        script "$1/bin/start-echo" <<'EOF'
#!/bin/sh
# TCP echo (nc -ll: one server for many connections) and UDP echo on ${PORT:-7}.
udp-echo "${PORT:-7}" &
exec nc -ll -p "${PORT:-7}" -e cat
EOF
}

add_exit() {
        script "$1/bin/start-exit" <<'EOF'
#!/bin/sh
echo "exiting with ${EXIT_CODE:-0}"
sleep "${EXIT_DELAY:-0}"
exit "${EXIT_CODE:-0}"
EOF
}

add_health() {
        add_httpd "$1"
        script "$1/bin/start-health" <<'EOF'
#!/bin/sh
# httpd whose /health page appears HEALTH_DELAY seconds after start ("never": not at all).
# Tests make a running service unhealthy by removing /www/health.
rm -f /www/health
case "${HEALTH_DELAY:-0}" in
never) ;;
0) echo ok >/www/health ;;
*) (sleep "$HEALTH_DELAY" && echo ok >/www/health) & ;;
esac
exec start-httpd
EOF
        # busybox 1.35's wget -T crashes, so an outer timeout bounds the fetch.
        script "$1/bin/healthcheck" <<'EOF'
#!/bin/sh
exec timeout 2 wget -q -O /dev/null "http://127.0.0.1:${PORT:-80}/health"
EOF
}

add_owned() {
        mkdir -p "$1/data/sub"
        echo seeded >"$1/data/seed"
        echo deeper >"$1/data/sub/deep"
        ln -s seed "$1/data/link"
        chmod 0750 "$1/data" "$1/data/sub"
        chmod 0640 "$1/data/seed"
        chown -hR 1000:1000 "$1/data"
        echo 'app:x:1000:1000:app:/data:/bin/sh' >>"$1/etc/passwd"
        echo 'app:x:1000:' >>"$1/etc/group"
        script "$1/bin/start-owned" <<'EOF'
#!/bin/sh
# A service that needs its volume to be its own: it writes there as app, then serves /tmp.
echo "written by $(id -u)" >/data/by-user 2>/dev/null || echo "cannot write /data" >&2
echo "hello from ${SERVICE:-$(hostname)}" >/tmp/index.html
exec httpd -f -p 8080 -h /tmp
EOF
}

configure() {
        local name=$1
        shift
        umoci config --image "$layout:$name" --config.env PATH=/bin:/usr/bin \
                --config.workingdir / "$@"
}

make_base
for name in httpd echo exit health owned; do
        make_image "$name"
done
configure httpd --config.entrypoint /bin/start-httpd --config.exposedports 80/tcp
configure echo --config.entrypoint /bin/start-echo --config.exposedports 7/tcp \
        --config.exposedports 7/udp
configure exit --config.entrypoint /bin/start-exit
configure owned --config.entrypoint /bin/start-owned --config.user 1000:1000 \
        --config.exposedports 8080/tcp
configure health --config.entrypoint /bin/start-health --config.exposedports 80/tcp
# umoci cannot set a Healthcheck (a Docker field that OCI configs carry through unchanged).
python3 "$here/oci-set-config.py" "$layout" health \
        '{"Healthcheck": {"Test": ["CMD", "/bin/healthcheck"], "Interval": 1000000000,
          "Timeout": 3000000000, "StartPeriod": 0, "Retries": 3}}'
umoci gc --layout "$layout"
