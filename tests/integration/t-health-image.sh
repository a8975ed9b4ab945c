# Where the healthcheck comes from. Without one in compose the image's HEALTHCHECK applies (as in
# docker): readiness waits for it, and so does a dependent even with condition: service_started.
# A compose healthcheck with timings but no test keeps the image's test (docker merges them).
# `disable: true` and `test: ["NONE"]` switch the image's check off: those services are ready at
# once although their /health never appears.

tb_write_compose <<EOF
services:
  fromimage:
    image: $TB_REGISTRY/test/health:1
    environment:
      HEALTH_DELAY: "2"
  after:
    image: $TB_REGISTRY/test/httpd:1
    depends_on:
      fromimage:
        condition: service_started
  timings:
    image: $TB_REGISTRY/test/health:1
    environment:
      HEALTH_DELAY: "2"
    healthcheck:
      interval: 2s
      retries: 5
  disabled:
    image: $TB_REGISTRY/test/health:1
    environment:
      HEALTH_DELAY: never
    healthcheck:
      disable: true
  none:
    image: $TB_REGISTRY/test/health:1
    environment:
      HEALTH_DELAY: never
    healthcheck:
      test: ["NONE"]
EOF
tb_down_at_end
tb_nc apply

prop() {
        tb_exec systemctl show -P "$2" "$(tb_unit "$1")"
}
# activation SERVICE: microseconds from its main process start to active
activation() {
        echo $(($(prop "$1" ActiveEnterTimestampMonotonic) - $(prop "$1" ExecMainStartTimestampMonotonic)))
}
for s in fromimage after timings disabled none; do
        tb_assert_eq "$(prop $s ActiveState)" active "$s"
done

# The image's check gated readiness: /health appears 2 s after the start.
tb_assert_eq "$(prop fromimage StatusText)" healthy "fromimage status"
[ "$(activation fromimage)" -ge 2000000 ] || tb_fail "fromimage was ready before its image healthcheck passed"
# service_started waits for readiness, which is healthy here.
[ "$(prop after ExecMainStartTimestampMonotonic)" -ge "$(prop fromimage ActiveEnterTimestampMonotonic)" ] ||
        tb_fail "after started before fromimage was healthy"
tb_assert_contains "$(tb_exec cat /etc/nspawn-compose/"$(basename "$TB_PROJECT")"/fromimage.json)" \
        '"healthcheck": null' "fromimage S.json"

# Compose timings, image test.
tb_assert_eq "$(prop timings StatusText)" healthy "timings status"
[ "$(activation timings)" -ge 2000000 ] || tb_fail "timings was ready before the image's test passed"

# Switched off: ready at once, no health in ps, although the image's check would never pass.
for s in disabled none; do
        tb_assert_eq "$(prop $s StatusText)" running "$s status"
done
ps=$(tb_nc ps --format json)
tb_assert_eq "$(python3 -c '
import json, sys
print(" ".join(s["service"] + "=" + s["health"] for s in json.loads(sys.argv[1])))' "$ps")" \
        "after= disabled= fromimage=healthy none= timings=healthy" "ps health column"
