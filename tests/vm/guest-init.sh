#!/bin/sh
# /init of the VM test guests (scripts/vm.sh packs it into the initramfs with busybox, famfs and
# its libraries, ndctl and the kernel modules). Each guest is one "host" of a multi-host famfs.
#
# Kernel command line: famfs.host=NAME (A, B...) and famfs.uuid=UUID (the system UUID, the same
# on every boot of one host so that a rebooted master is master again).
#
# The host drives the guest over the second serial port (/dev/ttyS1): each line it sends is one
# shell command, run in this shell (the helpers below are defined), with its output on ttyS1,
# followed by "@@DONE <exit status>". Checks print one line each:
#   CHECK <name> PASS
#   CHECK <name> FAIL <why>
# which the host collects into its results file. The kernel console is /dev/ttyS0.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp /run /mnt
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run

arg() { sed -n "s/.*famfs\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
HOST=$(arg host)
printf '%s\n' "$(arg uuid)" >/run/system_uuid
export FAMFS_SYSTEM_UUID_FILE=/run/system_uuid
export FAMFS_RUNTIME_DIR=/run/famfs

# load LIST: insmod the modules named in /lib/modules/LIST (already in dependency order).
load() {
  local m
  for m in $(cat "/lib/modules/$1"); do
    grep -q "^${m%.ko} " /proc/modules || insmod "/lib/modules/$m" || return 1
  done
}

# nvdimm_up COUNT: loads the nvdimm modules and waits (10 s at most) until COUNT namespaces
# have a device node (/dev/pmemN or /dev/daxN.0).
nvdimm_up() {
  local i=0
  load nvdimm.list || return 1
  while [ "$(ls /dev | grep -c -e '^pmem[0-9]*$' -e '^dax[0-9]*\.0$')" -lt "$1" ]; do
    i=$((i + 1))
    [ $i -le 200 ] || { echo "nvdimm_up: only $(ls /dev | grep -e pmem -e dax)"; return 1; }
    usleep 50000
  done
}

# region K: the number of the nd region of QEMU's K-th nvdimm (from 0; QEMU places them in
# order of physical address, the kernel numbers them in its own order).
region() {
  local r
  for r in /sys/bus/nd/devices/region*; do
    echo "$(($(cat "$r/resource"))) ${r##*region}"
  done | sort -n | sed -n "$(($1 + 1))p" | cut -d' ' -f2
}

# to_devdax K...: turns the raw namespaces of nvdimms K... into devdax (2 MiB aligned).
to_devdax() {
  local k
  for k in "$@"; do
    ndctl create-namespace -f -e "namespace$(region "$k").0" -m devdax --map=mem -a 2M \
      >/dev/null || return 1
  done
}

# devices: sets D0, D1... to the device node of each nvdimm (/dev/daxN.0 or /dev/pmemN).
devices() {
  local k=0 r
  for r in /sys/bus/nd/devices/region*; do
    r=$(region $k)
    if [ -e "/dev/dax$r.0" ]; then
      eval "D$k=/dev/dax$r.0"
    else
      eval "D$k=/dev/pmem$r"
    fi
    k=$((k + 1))
  done
}

# verdict NAME ok|fails CMD...: one CHECK line for NAME: PASS when CMD exits 0 (ok) or not
# (fails), else FAIL with its exit status and the end of its output.
verdict() {
  local name=$1 want=$2 rc=0
  shift 2
  "$@" >/tmp/check.out 2>&1 || rc=$?
  if { [ "$want" = ok ] && [ $rc -eq 0 ]; } || { [ "$want" = fails ] && [ $rc -ne 0 ]; }; then
    echo "CHECK $name PASS"
  else
    echo "CHECK $name FAIL exit $rc: $(tail -n 3 /tmp/check.out | tr '\n' ' ')"
  fi
}
# check NAME CMD...: CMD succeeds. refused NAME CMD...: CMD fails.
check() {
  local name=$1
  shift
  verdict "$name" ok "$@"
}
refused() {
  local name=$1
  shift
  verdict "$name" fails "$@"
}

# Milliseconds since boot (10 ms steps).
ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# appears PATH MS: waits until PATH exists, MS milliseconds at most; prints how long it took.
appears() {
  local t0 t
  t0=$(ms)
  while :; do
    t=$(($(ms) - t0))
    [ -e "$1" ] && { echo "$1 seen after $t ms"; return 0; }
    [ "$t" -le "$2" ] || { echo "$1 not seen after $t ms"; return 1; }
    usleep 10000
  done
}

# stop_after_read PID BYTES: stops (SIGSTOP) process PID as soon as it has read BYTES, and
# prints "cp-stopped-after N" (N: the bytes it had read). Shell builtins only, so that it polls
# far faster than a copy under TCG moves 1 MiB.
stop_after_read() {
  local k v=0
  while [ "$v" -lt "$2" ]; do
    [ -e "/proc/$1/io" ] || return 1
    while read -r k v; do [ "$k" = rchar: ] && break; done <"/proc/$1/io"
  done
  kill -STOP "$1" || return 1
  while read -r k v; do [ "$k" = rchar: ] && break; done <"/proc/$1/io"
  echo "cp-stopped-after $v"
}

# no_file PATH...: none of PATH exists.
no_file() {
  local p
  for p in "$@"; do
    [ ! -e "$p" ] || { echo "$p exists"; return 1; }
  done
}

# same_digest PATH SHA256: the file's digest is SHA256.
same_digest() {
  local d
  d=$(sha256sum "$1" | cut -d' ' -f1) || return 1
  [ "$d" = "$2" ] || { echo "$1: sha256 $d, expected $2"; return 1; }
}

load fuse.list || echo "init: loading fuse failed" >/dev/ttyS0
stty -F /dev/ttyS1 raw -echo
exec 3<>/dev/ttyS1
echo "@@READY $HOST" >&3
while IFS= read -r line <&3; do
  eval "$line" >&3 2>&3 </dev/null
  echo "@@DONE $?" >&3
done
poweroff -f
