#!/usr/bin/env bash
# check-package.sh OUT: the Debian package of this tree, as TAP. Builds it as Debian builds it
# (dpkg-buildpackage with its unit suite, release flags, stripped) into OUT, checks it with lintian
# (no error or warning), checks what it installs, then installs it with
# `apt-get install ./nspawn-compose_*.deb` on a fresh Debian minbase of this host's release (cached,
# from the host apt's mirror), where apt must bring every dependency; runs it there and purges it,
# which must leave none of its files behind. Needs root, debootstrap, systemd-nspawn, lintian.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:?usage: check-package.sh OUT}
# shellcheck source=../testbed/lib.sh
source "$top/tests/testbed/lib.sh"
# shellcheck source=../testbed/debian.sh
source "$top/tests/testbed/debian.sh"

n=0
failed=0
ok() {
        n=$((n + 1))
        echo "ok $n - $1"
}
not_ok() {
        n=$((n + 1))
        failed=$((failed + 1))
        echo "not ok $n - $1"
        shift
        [ $# -eq 0 ] || tb_note "$@"
}

log() {
        echo "fresh-root: $*" >&2
}

# The fresh root, cached by its package list and the builder.
fresh_root_build() {
        mkdir -p "$1"
        debian_bootstrap "$1" "$here/fresh-packages" "$(dirname "$1")"
}

# What the package must install, relative to its root.
expected_files() {
        local unitdir
        unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /usr/lib/systemd/system)
        echo usr/bin/nspawn-compose
        for u in nspawn-compose-supervise@.service nspawn-compose-apply@.service nspawn-compose-apply@.timer \
                 nspawn-compose-auto-update@.service nspawn-compose-auto-update@.timer; do
                echo "${unitdir#/}/$u"
        done
        echo usr/share/man/man1/nspawn-compose.1.gz
        echo usr/share/bash-completion/completions/nspawn-compose
        echo usr/share/zsh/site-functions/_nspawn-compose
        echo usr/share/fish/vendor_completions.d/nspawn-compose.fish
        echo usr/share/doc/nspawn-compose/copyright
        echo usr/share/doc/nspawn-compose/README.md.gz
        echo usr/share/doc/nspawn-compose/compose-differences.md.gz
}

main() {
        local why deb t lint contents missing f root work rc
        why=$(tb_check_host) || { echo "1..0 # SKIP $why"; exit 0; }
        command -v lintian >/dev/null || { echo "1..0 # SKIP lintian not installed"; exit 0; }
        echo "1..6"

        t=$(tb_now)
        if deb=$(env -u DEB_BUILD_OPTIONS "$here/build-deb.sh" "$top" "$out"); then
                ok "dpkg-buildpackage builds the package (its unit suite passing)"
        else
                not_ok "dpkg-buildpackage builds the package"
                echo "Bail out! no package"
                exit 0
        fi
        tb_phase build "$t"

        t=$(tb_now)
        if lint=$(lintian --fail-on error,warning --display-info "${deb%.deb}.changes" 2>&1); then
                ok "lintian: no error or warning"
        else
                not_ok "lintian: no error or warning" "$lint"
        fi
        [ -z "$lint" ] || tb_note "lintian says:" "$lint"
        tb_phase lintian "$t"

        contents=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./||')
        missing=
        while read -r f; do
                grep -qxF "$f" <<<"$contents" || missing+=" $f"
        done < <(expected_files)
        if [ -z "$missing" ]; then
                ok "the package holds the binary, the units, the man page, completions and docs"
        else
                not_ok "the package holds the binary, the units, the man page, completions and docs" \
                        "missing:$missing" "it holds:" "$contents"
        fi

        t=$(tb_now)
        key=$(cat "$here/fresh-packages" "$top/tests/testbed/debian.sh" | sha256sum | cut -c1-16)
        if ! tb__cached fresh-root "$key" fresh_root_build; then
                not_ok "a fresh Debian root to install on"
                echo "Bail out! no fresh root"
                exit 0
        fi
        tb_phase "fresh-root-$TB_CACHE_STATE" "$t"
        work=$(mktemp -d /var/tmp/nspawn-compose-package.XXXXXX)
        # shellcheck disable=SC2064
        trap "rm -rf --one-file-system '$work'" EXIT
        root=$work/root
        cp -a "$TB_CACHED" "$root"
        install -m 0644 "$deb" "$root/var/tmp/"
        mkdir -p "$(dirname "$TB_CACHED")/fresh-archives/partial"

        t=$(tb_now)
        # the host's apt sources, so that apt reaches the same mirror debootstrap used
        rc=0
        systemd-nspawn --register=no --keep-unit -q --pipe -D "$root" \
                --bind="$(dirname "$TB_CACHED")/fresh-archives:/var/cache/apt/archives" \
                env DEBIAN_FRONTEND=noninteractive sh -ec '
                        printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d
                        chmod 755 /usr/sbin/policy-rc.d
                        apt-get update -q
                        apt-get install -y -q --no-install-recommends "/var/tmp/$1"
                        ' sh "$(basename "$deb")" </dev/null >"$work/apt.log" 2>&1 || rc=$?
        if [ $rc -eq 0 ]; then
                ok "apt-get install ./$(basename "$deb") on a fresh $(debian_codename) minbase"
        else
                not_ok "apt-get install ./$(basename "$deb") on a fresh $(debian_codename) minbase" \
                        "$(tail -n 30 "$work/apt.log")"
        fi
        tb_phase apt-install "$t"

        # it runs there (every library it links came with it) and its runtime tools came along
        rc=0
        systemd-nspawn --register=no --keep-unit -q --pipe -D "$root" sh -ec '
                nspawn-compose --version
                for t in systemd-nspawn skopeo umoci systemctl; do command -v "$t" >/dev/null ||
                        { echo "$t did not come with the package"; exit 1; }; done
                mkdir -p /srv/demo && cd /srv/demo
                printf "services:\n  web:\n    image: example.org/web:1\n    ports: [\"8080:80\"]\n" >compose.yml
                nspawn-compose config --services
                ' </dev/null >"$work/run.log" 2>&1 || rc=$?
        if [ $rc -eq 0 ] && grep -qx web "$work/run.log"; then
                ok "the installed nspawn-compose runs, with skopeo, umoci and systemd-nspawn beside it"
        else
                not_ok "the installed nspawn-compose runs, with skopeo, umoci and systemd-nspawn beside it" \
                        "exit $rc" "$(cat "$work/run.log")"
        fi

        rc=0
        systemd-nspawn --register=no --keep-unit -q --pipe -D "$root" sh -ec '
                dpkg -L nspawn-compose >/var/tmp/files
                DEBIAN_FRONTEND=noninteractive apt-get purge -y -q nspawn-compose >/dev/null
                while read -r f; do [ -d "$f" ] || [ ! -e "$f" ] || echo "left behind: $f"; done </var/tmp/files
                ' </dev/null >"$work/purge.log" 2>&1 || rc=$?
        if [ $rc -eq 0 ] && ! grep -q "^left behind" "$work/purge.log"; then
                ok "apt-get purge leaves none of its files"
        else
                not_ok "apt-get purge leaves none of its files" "exit $rc" "$(cat "$work/purge.log")"
        fi
        [ $failed -eq 0 ]
}

main
exit 0
