# A new, empty volume gets the image's content at its mount point, as docker's: test/owned runs as
# USER 1000 and needs its /data to be its own. The named volume and an anonymous one get the
# image's files with their owners and modes (a symlink stays a symlink) and the volume's directory
# takes the owner and mode of the image's /data, so the service can write there. nocopy: true
# turns it off, a bind mount never gets it, and a volume that is no longer empty is never copied
# into again (not on a recreate either).

p=$(basename "$TB_PROJECT")
vol=/var/lib/nspawn-compose/volumes/${p}_data
nocopy=/var/lib/nspawn-compose/volumes/${p}_bare
tb_defer tb_nc down --volumes

# write_compose GENERATION
write_compose() {
        tb_write_compose <<EOF
services:
  app:
    image: $TB_REGISTRY/test/owned:1
    environment:
      GENERATION: "$1"
    volumes:
      - data:/data
  anon:
    image: $TB_REGISTRY/test/owned:1
    volumes:
      - /data
  bare:
    image: $TB_REGISTRY/test/owned:1
    volumes:
      - type: volume
        source: bare
        target: /data
        volume:
          nocopy: true
  bound:
    image: $TB_REGISTRY/test/owned:1
    volumes:
      - ./bindsrc:/data
volumes:
  data: {}
  bare: {}
EOF
}
# ls_host PATH: "uid:gid mode type" of PATH in the testbed (the host of the machines)
ls_host() {
        tb_exec stat -c '%u:%g %a %F' "$1"
}

write_compose 1
tb_nc apply

# the named volume: the image's tree, its owners and modes
tb_assert_eq "$(ls_host "$vol")" "1000:1000 750 directory" "the volume's directory"
tb_assert_eq "$(ls_host "$vol/seed")" "1000:1000 640 regular file" "seed"
tb_assert_eq "$(ls_host "$vol/link")" "1000:1000 777 symbolic link" "link"
tb_assert_eq "$(tb_exec readlink "$vol/link")" seed "link's target"
tb_assert_eq "$(ls_host "$vol/sub")" "1000:1000 750 directory" "sub"
tb_assert_eq "$(tb_exec cat "$vol/sub/deep")" deeper "sub/deep"
# ... which the service, running as 1000, could write to
tb_assert_eq "$(tb_exec cat "$vol/by-user")" "written by 1000" "the service's own write"
tb_assert_eq "$(tb_exec stat -c %u:%g "$vol/by-user")" 1000:1000 "by-user's owner"

# the anonymous volume, as the machine sees it
tb_assert_contains "$(tb_nc exec anon cat /data/by-user)" "written by 1000" "anonymous volume written by the service"
tb_assert_eq "$(tb_nc exec anon cat /data/seed)" seeded "anonymous volume populated"

# nocopy: empty, root's, and the service could not write
tb_assert_eq "$(ls_host "$nocopy")" "0:0 755 directory" "the nocopy volume's directory"
tb_assert_eq "$(tb_exec ls -A "$nocopy")" "" "the nocopy volume is empty"
tb_assert_contains "$(tb_exec journalctl --no-pager -o cat -u "$(tb_unit bare)")" "cannot write /data" \
        "bare's service could not write"
# a bind mount: never populated
tb_assert_eq "$(tb_exec ls -A "$TB_PROJECT/bindsrc")" "" "the bind source stays empty"

# Not empty any more: never copied again, not on a recreate (its environment changed) either.
tb_exec rm "$vol/seed"
tb_exec sh -c "echo mine >'$vol/mine'"
write_compose 2
tb_nc apply
tb_exec test ! -e "$vol/seed" || tb_fail "seed was copied again into a volume that was not empty"
tb_assert_eq "$(tb_exec cat "$vol/mine")" mine "the volume's own file"
tb_assert_eq "$(tb_exec systemctl show -P ActiveState "$(tb_unit app)")" active "app after the recreate"
