# An image pushed to the testbed's registry is pulled with skopeo (plain HTTP through the
# registries.conf.d drop-in, no TLS flag), unpacked with umoci, and runs under nspawn.

image=$TB_REGISTRY/test/exit:1
tb_exec skopeo copy --quiet docker://$image oci:oci:1
tb_exec umoci unpack --image oci:1 bundle >/dev/null
tb_exec test -d bundle/rootfs/usr
tb_exec test -x bundle/rootfs/bin/start-exit

# The image config came through the registry.
config=$(tb_exec skopeo inspect --config --raw docker://$image)
tb_assert_contains "$config" '"Entrypoint":["/bin/start-exit"]' "image config"
health=$(tb_exec skopeo inspect --config --raw docker://$TB_REGISTRY/test/health:1)
tb_assert_contains "$health" '"Healthcheck":{"Test":["CMD","/bin/healthcheck"]' "health image config"

# Runs it (in a transient unit, so that nspawn has a proper cgroup) and gets its exit status.
rc=0
out=$(tb_exec systemd-run --quiet --pipe --wait --collect -p Delegate=yes \
        systemd-nspawn --quiet --register=no --keep-unit -D "$TB_PROJECT/bundle/rootfs" \
        --private-network --console=pipe --as-pid2 -E EXIT_CODE=3 /bin/start-exit) || rc=$?
tb_assert_eq "$out" "exiting with 3" "output of the image's entrypoint"
tb_assert_eq "$rc" 3 "exit status through nspawn and systemd-run"

# The same root as the lower layer of an overlay (upper and work dirs on the testbed's own
# filesystem, as the service wrapper mounts them) runs too, and writes land in the upper layer.
tb_exec mkdir -p upper work merged
tb_exec mount -t overlay overlay \
        -o "lowerdir=$TB_PROJECT/bundle/rootfs,upperdir=$TB_PROJECT/upper,workdir=$TB_PROJECT/work" \
        "$TB_PROJECT/merged"
tb_defer umount "$TB_PROJECT/merged"
out=$(tb_exec systemd-run --quiet --pipe --wait --collect -p Delegate=yes \
        systemd-nspawn --quiet --register=no --keep-unit -D "$TB_PROJECT/merged" \
        --private-network --console=pipe --as-pid2 /bin/sh -c 'echo written >/marker; cat /marker')
tb_assert_eq "$out" written "output in the overlay"
tb_assert_eq "$(tb_exec cat upper/marker)" written "upper layer"
tb_exec test ! -e bundle/rootfs/marker
