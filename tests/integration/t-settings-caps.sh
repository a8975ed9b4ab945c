# Capabilities of the payload: docker's default set, cap_add/cap_drop on top of it (ALL included),
# privileged gets every capability. Read from the payload's /proc/2/status.

p=scaps
tb_defer tb_nc down
tb_write_compose <<EOF
name: $p
services:
  default:
    image: $TB_REGISTRY/test/httpd:1
  adddrop:
    image: $TB_REGISTRY/test/httpd:1
    cap_add: [NET_ADMIN, CAP_SYS_TIME]
    cap_drop: [CHOWN, net_raw]
  onlyone:
    image: $TB_REGISTRY/test/httpd:1
    cap_drop: [ALL]
    cap_add: [NET_BIND_SERVICE]
  priv:
    image: $TB_REGISTRY/test/httpd:1
    privileged: true
EOF
tb_nc apply

# caps SERVICE FIELD: the hex mask
caps() {
        tb_nc exec "$1" sh -c "grep '^$2:' /proc/2/status" | awk '{print $2}'
}
# bit N set in hex mask M
has() {
        [ $(( (0x$1 >> $2) & 1 )) -eq 1 ]
}

# docker's default: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE
# NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP = 0x a80425fb
tb_assert_eq "$(caps default CapBnd)" 00000000a80425fb "default bounding set"
tb_assert_eq "$(caps default CapEff)" 00000000a80425fb "default effective set"
m=$(caps adddrop CapEff)
has "$m" 12 || tb_fail "cap_add NET_ADMIN missing: $m"
has "$m" 25 || tb_fail "cap_add SYS_TIME missing: $m"
! has "$m" 0 || tb_fail "cap_drop CHOWN still there: $m"
! has "$m" 13 || tb_fail "cap_drop NET_RAW still there: $m"
has "$m" 1 || tb_fail "DAC_OVERRIDE lost: $m"
tb_assert_eq "$(caps adddrop CapBnd)" "$m" "bounding set equals effective set"
tb_assert_eq "$(caps onlyone CapEff)" 0000000000000400 "cap_drop ALL + NET_BIND_SERVICE"
# privileged: every capability the testbed itself has (its bounding set may lack some)
tb_assert_eq "$(caps priv CapEff)" "$(tb_exec grep '^CapBnd:' /proc/1/status | awk '{print $2}')" "privileged has every capability"
tb_assert_eq "$(caps priv CapBnd)" "$(tb_exec grep '^CapBnd:' /proc/1/status | awk '{print $2}')" "privileged bounding set"
