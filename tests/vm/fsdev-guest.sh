#!/bin/sh
# /init of the famfs-mode guest (`scripts/vm.sh fsdev`): one nvdimm as a devdax device on a
# kernel with the fsdev_dax driver (Debian's 7.2), checked as the kernel defines famfs mode.
# Prints one line per check on the console ("CHECK <name> PASS" or "CHECK <name> FAIL <why>"),
# then "CHECK-END", then powers off. This kernel has no FUSE famfs, so a famfs-mode mount can only
# be checked up to its refusal at INIT; the success path is tested against the fake kernel.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp /run /mnt/f
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
echo 00000000-0000-4000-8000-0000000000aa >/run/system_uuid
export FAMFS_SYSTEM_UUID_FILE=/run/system_uuid FAMFS_RUNTIME_DIR=/run/famfs
DRV=/sys/bus/dax/drivers

# result NAME STATUS: one CHECK line (STATUS 0: PASS) with the end of /tmp/out.
result() {
  if [ "$2" -eq 0 ]; then echo "CHECK $1 PASS"; else echo "CHECK $1 FAIL $(tail -n 2 /tmp/out | tr '\n' ' ')"; fi
}
# refused NAME TEXT CMD...: CMD fails and its output contains TEXT.
refused() {
  local name=$1 text=$2 rc=0
  shift 2
  "$@" >/tmp/out 2>&1 && rc=1
  grep -q -e "$text" /tmp/out || rc=1
  result "$name" $rc
}
# works NAME CMD...: CMD succeeds.
works() {
  local name=$1 rc=0
  shift
  "$@" >/tmp/out 2>&1 || rc=1
  result "$name" $rc
}
# famfs_mode_refused NAME plain|traced|foreground: `famfs mount /dev/dax0.0 /mnt/f` of the
# famfs-mode device (traced: `famfs -v mount`; foreground: `famfs mount --foreground`) runs the
# famfs-mode sequence (superblock and log read in devdax mode, mounted in famfs mode) and, this
# kernel having no FUSE famfs, is refused at INIT: exit 1 and exactly the one line (traced and
# foreground: that line among the trace; traced: the trace shows the switch to devdax mode and
# back), nothing left mounted, no famfs process left.
famfs_mode_refused() {
  local name=$1 rc=0 code=0 line
  line="famfs mount: error: /dev/dax0.0: this kernel has no FUSE famfs support (a famfs-mode device needs it); to mount it in devdax mode instead (the daemon then serves file data): famfs mount --set-daxmode /dev/dax0.0 /mnt/f"
  case $2 in
  plain) famfs mount /dev/dax0.0 /mnt/f >/tmp/got 2>&1 || code=$? ;;
  traced) famfs -v mount /dev/dax0.0 /mnt/f >/tmp/got 2>&1 || code=$? ;;
  foreground) timeout 60 famfs mount --foreground /dev/dax0.0 /mnt/f >/tmp/got 2>&1 || code=$? ;;
  esac
  cp /tmp/got /tmp/out
  [ "$code" -eq 1 ] || { echo "exit $code, expected 1" >>/tmp/out; rc=1; }
  if [ "$2" = plain ]; then
    [ "$(cat /tmp/got)" = "$line" ] || { echo "not exactly the one line" >>/tmp/out; rc=1; }
  else
    grep -qxF "$line" /tmp/got || { echo "the line is missing" >>/tmp/out; rc=1; }
  fi
  if [ "$2" = traced ]; then
    sed 's/^/  | /' /tmp/got # into the console log (BUILD/vm/fsdev.console), for the record
    grep -q "switched from famfs to devdax mode" /tmp/got || { echo "no switch to devdax" >>/tmp/out; rc=1; }
    grep -q "switched from devdax to famfs mode" /tmp/got || { echo "no switch back" >>/tmp/out; rc=1; }
  fi
  ! grep -q " /mnt/f " /proc/mounts || { echo "/mnt/f is still mounted" >>/tmp/out; rc=1; }
  ! pidof famfs >/dev/null || { echo "famfs processes left: $(pidof famfs)" >>/tmp/out; rc=1; }
  result "$name" $rc
}
# driver_is NAME DRIVER: dax0.0 is bound to DRIVER ("" for none).
driver_is() {
  local d
  d=$(basename "$(readlink /sys/bus/dax/devices/dax0.0/driver 2>/dev/null)" 2>/dev/null)
  echo "dax0.0 is bound to '${d}', expected '$2'" >/tmp/out
  [ "$d" = "$2" ]
  result "$1" $?
}

for m in $(cat /lib/modules/list); do insmod "/lib/modules/$m" || echo "insmod $m failed"; done
i=0
while [ ! -e /dev/dax0.0 ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
ndctl create-namespace -f -e namespace0.0 -m devdax --map=mem -a 2M >/dev/null 2>&1
i=0
while [ ! -e /dev/dax0.0 ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
driver_is devdax-at-start device_dax
works mkfs-devdax famfs mkfs --force /dev/dax0.0
# famfs mode: bound to fsdev_dax (the dax bus takes the device's name through new_id).
echo dax0.0 >$DRV/device_dax/unbind
echo dax0.0 >$DRV/fsdev_dax/new_id
driver_is famfs-mode-bound fsdev_dax
# The binding stays; without the id a plain bind to fsdev_dax is ENODEV, so the restores below
# prove that famfs binds through new_id.
echo dax0.0 >$DRV/fsdev_dax/remove_id
refused famfs-fsck-refused "famfs mode (fsdev_dax driver)" famfs fsck /dev/dax0.0
refused famfs-mkfs-refused "famfs mode (fsdev_dax driver)" famfs mkfs /dev/dax0.0
refused famfs-logplay-refused "famfs mode (fsdev_dax driver)" famfs logplay /dev/dax0.0
driver_is famfs-mode-unchanged fsdev_dax
# famfs mount of the famfs-mode device: the famfs-mode sequence, refused at INIT on this kernel.
famfs_mode_refused famfs-mode-mount-refused plain
driver_is famfs-mode-mount-refused-keeps-famfs fsdev_dax
famfs_mode_refused famfs-mode-mount-refused-traced traced
driver_is famfs-mode-mount-refused-traced-keeps-famfs fsdev_dax
famfs_mode_refused famfs-mode-mount-refused-foreground foreground
driver_is famfs-mode-mount-refused-foreground-keeps-famfs fsdev_dax
# A failure before the sequence (no mount point) switches nothing.
refused famfs-mode-mount-no-mountpoint "mount point does not exist" famfs mount /dev/dax0.0 /mnt/missing
driver_is famfs-mode-mount-no-mountpoint-keeps-famfs fsdev_dax
refused mount-M-fails "mount point does not exist" famfs mount -M /dev/dax0.0 /mnt/missing
driver_is mount-M-failure-restores-famfs fsdev_dax
refused mkfs-M-fails "already holds a famfs" famfs mkfs -M /dev/dax0.0
driver_is mkfs-M-failure-restores-famfs fsdev_dax
works mount-M famfs mount -M /dev/dax0.0 /mnt/f
driver_is mount-M-keeps-devdax device_dax
works umount famfs umount /mnt/f
# A devdax-mode device mounts as it always did: the daemon maps it and serves the file data.
works mount-devdax famfs mount /dev/dax0.0 /mnt/f
works mount-devdax-userspace-data sh -c 'famfs status /mnt/f | grep -q userspace'
works umount-devdax famfs umount /mnt/f
driver_is mount-devdax-keeps-devdax device_dax
# Unbound: refused by name too.
echo dax0.0 >$DRV/device_dax/unbind
refused unbound-mkfs-refused "not bound to a driver" famfs mkfs /dev/dax0.0
echo CHECK-END
poweroff -f
