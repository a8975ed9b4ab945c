# volumes_from as docker's: the volumes and bind mounts of the service named (X, service:X or
# container:NAME), at the same paths, read-only with :ro; a chain passes them on with the mode of
# the entry that reached them; the service's own mount wins a path; tmpfs is not passed on.

p=$(basename "$TB_PROJECT")
tb_write_compose <<EOF
services:
  data:
    image: $TB_REGISTRY/test/httpd:1
    volumes: ["shared:/shared", "/anon", {type: tmpfs, target: /scratch}]
  app:
    image: $TB_REGISTRY/test/httpd:1
    volumes_from: ["data:ro"]
  tool:
    image: $TB_REGISTRY/test/httpd:1
    volumes_from: ["container:$p-app-1:rw"]
    volumes: ["own:/anon"]
volumes:
  shared:
  own:
EOF
tb_down_at_end -v
tb_nc up -d >/dev/null 2>&1
tb_nc exec -T data sh -c 'echo shared-data >/shared/f && echo anon-data >/anon/g && echo tmp >/scratch/t'

tb_assert_eq "$(tb_nc exec -T app cat /shared/f /anon/g)" "shared-data
anon-data" "app sees data's named and anonymous volumes"
rc=0
tb_nc exec -T app sh -c 'echo x >/shared/h' 2>/dev/null || rc=$?
[ "$rc" -ne 0 ] || tb_fail "app wrote to a volume it took with :ro"
tb_assert_eq "$(tb_nc exec -T app sh -c 'ls /scratch 2>/dev/null | wc -l')" 0 "a tmpfs is not passed on"

# tool: app's mounts (data's) with :rw; its own /anon wins over data's
tb_assert_eq "$(tb_nc exec -T tool sh -c 'echo from-tool >/shared/t && cat /shared/t')" from-tool "tool writes with :rw"
tb_assert_eq "$(tb_nc exec -T data cat /shared/t)" from-tool "data sees tool's write"
tb_assert_eq "$(tb_nc exec -T tool sh -c 'ls /anon | wc -l')" 0 "tool's own volume at /anon"

rc=0
tb_nc plan >/dev/null || rc=$?
tb_assert_eq "$rc" 0 "plan after up"
