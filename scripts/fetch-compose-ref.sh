#!/usr/bin/env bash
# Fetches the reference compose loader, Debian trixie's docker-compose package (the Go loader docker
# compose itself uses; its `config` verb needs no daemon), into CACHE_DIR and prints the path of its
# binary. The host's apt configuration is not touched: a private one whose only source is trixie
# main of the mirror the host already uses for Debian. Idempotent: a cache that holds the binary is
# reused without any download.
#
#   scripts/fetch-compose-ref.sh [CACHE_DIR]
#
# The reference test (tests/reference/) reads the printed path from NC_COMPOSE_REF.
set -euo pipefail

version=2.26.1-4
cache=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/nspawn-compose/compose-ref}
root=$cache/root
bin=$root/usr/libexec/docker/cli-plugins/docker-compose
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

if [ -x "$bin" ]; then
        echo "$bin"
        exit 0
fi

# The Debian mirror of the host: the first URI ending in /debian of a deb822 .sources stanza or a
# one-line sources.list entry. deb.debian.org only when the host names none.
mirror_of_host() {
        local f line
        for f in /etc/apt/sources.list.d/*.sources; do
                [ -r "$f" ] || continue
                awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' "$f"
        done
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
                [ -r "$f" ] || continue
                # deb [opt=val ...] URI suite component...
                sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" { print $2 }'
        done
}
mirror=$(mirror_of_host | grep -E '/debian/?$' | head -n 1 || true)
mirror=${mirror%/}
mirror=${mirror:-http://deb.debian.org/debian}

apt_dir=$cache/apt
mkdir -p "$apt_dir/sources" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" \
         "$apt_dir/prefs" "$cache/deb"
cat >"$apt_dir/sources/trixie.sources" <<EOF
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: $keyring
EOF

apt_opts=(-q
          -o Dir::Etc::SourceList=/dev/null
          -o Dir::Etc::SourceParts="$apt_dir/sources"
          -o Dir::State::Lists="$apt_dir/lists"
          -o Dir::Cache="$apt_dir/cache"
          -o Dir::Etc::Preferences=/dev/null
          -o Dir::Etc::PreferencesParts="$apt_dir/prefs"
          -o Debug::NoLocking=1
          -o APT::Sandbox::User=root)

echo "fetch-compose-ref: docker-compose $version from trixie main of $mirror" >&2
apt-get "${apt_opts[@]}" update >&2
(
        cd "$cache/deb"
        if ! apt-get "${apt_opts[@]}" download "docker-compose=$version" >&2; then
                echo "fetch-compose-ref: $version is gone from trixie, taking its current version" >&2
                apt-get "${apt_opts[@]}" download docker-compose >&2
        fi
)
deb=$(ls -t "$cache"/deb/docker-compose_*.deb | head -n 1)
rm -rf "$root.tmp"
dpkg-deb -x "$deb" "$root.tmp"
rm -rf "$root"
mv "$root.tmp" "$root"
[ -x "$bin" ] || { echo "fetch-compose-ref: $deb has no $bin" >&2; exit 1; }
rm -rf "$apt_dir"       # the package lists are not needed again: the binary is the cache
echo "$bin"
