#!/usr/bin/env bash
# build-deb.sh SOURCE OUT [MESON_OPTION...]: builds the Debian package of the tree SOURCE with
# dpkg-buildpackage (debian/), in a copy of the tree under OUT, and prints the path of the .deb.
# MESON_OPTIONS go to meson setup (debian/rules: NC_MESON_OPTIONS); DEB_BUILD_OPTIONS is passed on.
# The copy holds the files git knows of (tracked, and untracked but not ignored), or every file but
# the build directories outside a git checkout. A package built from the same files with the same
# options is not built again: OUT/key records what the last one was built from (without its tests,
# but for their meson.build files, when DEB_BUILD_OPTIONS has nocheck: then they do not run).
set -euo pipefail

src=$(cd "${1:?usage: build-deb.sh SOURCE OUT [MESON_OPTION...]}" && pwd)
out=${2:?usage: build-deb.sh SOURCE OUT [MESON_OPTION...]}
mkdir -p "$out"
out=$(cd "$out" && pwd)
shift 2
options="$*"

version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
arch=$(dpkg-architecture -q DEB_HOST_ARCH)
deb=$out/nspawn-compose_${version}_${arch}.deb

# files: the files of the tree, NUL-terminated, relative to it.
files() {
        local f
        if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
                # a tracked file deleted but not staged is not part of the tree
                git -C "$src" ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
                        if [ -e "$src/$f" ] || [ -L "$src/$f" ]; then
                                printf '%s\0' "$f"
                        fi
                done
        else
                (cd "$src" && find . \( -path './build*' -o -path ./.testbed -o -path ./.git \) -prune -o \
                        ! -type d -printf '%P\0')
        fi
}

# keyed FILE...: the files the package's key covers.
keyed() {
        case " ${DEB_BUILD_OPTIONS:-} " in
        *" nocheck "*)
                local f
                while IFS= read -r -d '' f; do
                        [[ $f == tests/* && $f != */meson.build ]] || printf '%s\0' "$f"
                done ;;
        *) cat ;;
        esac
}

exec 9>"$out/lock"
flock 9
work=$(mktemp -d "$out/work.XXXXXX")
trap 'rm -rf --one-file-system "$work"' EXIT
files >"$work/files"
(cd "$src" && tar --null -T "$work/files" -cf "$work/tree.tar")
keyed <"$work/files" | sort -z >"$work/keyed"
# every file's mode and type (a symlink with its target), and the content of the regular ones
(cd "$src" && while IFS= read -r -d '' f; do
        [ -L "$f" ] || printf '%s\0' "$f"
done <"$work/keyed" >"$work/regular")
(cd "$src" && xargs -0 -r stat -c '%a %F %N' -- <"$work/keyed" && xargs -0 -r sha256sum -- <"$work/regular") \
        >"$work/sums"
key=$( { cat "$work/sums"; echo "$options ${DEB_BUILD_OPTIONS:-}"; } | sha256sum | cut -c1-16)
if [ -f "$deb" ] && [ "$(cat "$out/key" 2>/dev/null)" = "$key" ]; then
        echo "$deb"
        exit 0
fi
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo "$out/key"
mkdir "$work/nspawn-compose-$version"
tar -C "$work/nspawn-compose-$version" -xf "$work/tree.tar"
if ! (cd "$work/nspawn-compose-$version" &&
      NC_MESON_OPTIONS="$options" dpkg-buildpackage -b -us -uc -j"$(nproc)") >"$out/build.log" 2>&1; then
        tail -n 40 "$out/build.log" >&2
        echo "build-deb.sh: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
        exit 1
fi
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out/"
echo "$key" >"$out/key"
echo "$deb"
