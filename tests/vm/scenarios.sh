# The multi-host scenarios, run by `scripts/vm.sh run` (sourced; bash). Two guests, A (the
# master) and B (a client), boot at once with five nvdimms, one fresh shared memory file in
# /dev/shm for each scenario (the guests find them by physical address, in this order):
#   0 verify   A makes a file system with seeded files, directories and a copied tree; B checks
#              every byte (famfs verify, SHA-256 digests against the host's) and that a client
#              cannot change anything
#   1 follow   A creates files and directories after B mounted; B sees each within 1 s
#   2 clobber  A runs mkfs --force over the live file system; B's mount notices and serves no
#              stale data
#   3 crash    A's QEMU is killed (power loss) in the middle of a famfs cp; B keeps serving what
#              was committed; A boots again: fsck clean, nothing half-written
#   4 pmem     verify and follow again over /dev/pmemN (a raw namespace: a block device)
# 0-3 are devdax: A turns them into devdax namespaces with ndctl before B loads its nvdimm
# drivers; the info block lives in the shared memory, so B's kernel (and A's after its reboot)
# finds /dev/daxN.0 by itself. Each check is one line "SCENARIO CHECK PASS|FAIL [why]" in the
# results file; "SCENARIO END" follows when the scenario ran all its steps.

SCENARIOS=(verify follow clobber crash pmem)
MEM_MB=(128 128 128 256 128)
UUID_A=a0a0a0a0-0000-4000-8000-00000000000a
UUID_B=b0b0b0b0-0000-4000-8000-00000000000b
CMD_TIMEOUT=30
MOUNTS="/mnt/v /mnt/f /mnt/c /mnt/x /mnt/p" # one per scenario

declare -gA QPID=() TO=() FROM=() DEAD=()

# vm_boot NAME UUID: starts guest NAME (A or B) in the background; vm_ready waits for it.
vm_boot() {
  local name=$1 uuid=$2 i args=()
  for i in "${!SCENARIOS[@]}"; do
    args+=(-object "memory-backend-file,id=m$i,share=on,mem-path=$WORK/${SCENARIOS[$i]}.mem,size=${MEM_MB[$i]}M"
      -device "nvdimm,id=n$i,memdev=m$i")
  done
  rm -f "$WORK/$name.in" "$WORK/$name.out"
  mkfifo "$WORK/$name.in" "$WORK/$name.out"
  qemu-system-x86_64 -machine pc,nvdimm=on -accel tcg -smp 1 -m 256M,slots=8,maxmem=4G \
    -display none -monitor none -no-reboot -kernel "$KERNEL" -initrd "$INITRD" \
    -append "console=ttyS0 quiet panic=-1 famfs.host=$name famfs.uuid=$uuid" "${args[@]}" \
    -serial "file:$WORK/$name.console" -chardev "pipe,id=ctl,path=$WORK/$name" \
    -serial chardev:ctl >>"$WORK/$name.qemu" 2>&1 &
  QPID[$name]=$!
  local fd
  exec {fd}<>"$WORK/$name.in"
  TO[$name]=$fd
  exec {fd}<>"$WORK/$name.out"
  FROM[$name]=$fd
  DEAD[$name]=
  echo "== boot $name (pid ${QPID[$name]})" >>"$WORK/$name.transcript"
}

# vm_read NAME PATTERN: reads guest NAME's lines until one matching PATTERN ($CMD_TIMEOUT s at
# most), left in LAST. CHECK lines go to the results under the current scenario, other lines to
# stdout; all to the transcript.
vm_read() {
  local name=$1 pattern=$2 line
  [ -z "${DEAD[$name]}" ] || return 1
  while IFS= read -r -t "$CMD_TIMEOUT" line <&"${FROM[$name]}"; do
    line=${line%$'\r'}
    echo "$line" >>"$WORK/$name.transcript"
    case $line in
    $pattern)
      LAST=$line
      return 0
      ;;
    "CHECK "*) echo "$SCEN $name.${line#CHECK }" >>"$RESULTS" ;;
    *) echo "$line" ;;
    esac
  done
  DEAD[$name]=1
  echo "$SCEN $name.responds FAIL no answer within $CMD_TIMEOUT s" >>"$RESULTS"
  return 1
}

# vm_send NAME CMD: sends one command line; vm_wait NAME: waits for its end, returns its status.
vm_send() {
  local cmd=${2//$'\n'/ } # one line: the guest reads a command per line
  echo "[${EPOCHREALTIME}] \$ $cmd" >>"$WORK/$1.transcript"
  [ -n "${DEAD[$1]}" ] || printf '%s\n' "$cmd" >&"${TO[$1]}"
}
vm_wait() {
  vm_read "$1" "@@DONE *" || return 1
  return "${LAST#@@DONE }"
}
# on NAME CMD: runs CMD in guest NAME and waits for it.
on() {
  vm_send "$1" "$2"
  vm_wait "$1"
}
# both CMD_A CMD_B: runs one command in each guest at the same time.
both() {
  vm_send A "$1"
  vm_send B "$2"
  local ra=0 rb=0
  vm_wait A || ra=$?
  vm_wait B || rb=$?
  return $((ra | rb))
}

# vm_kill NAME: SIGKILL to the guest's QEMU, as a power loss.
vm_kill() {
  kill -KILL "${QPID[$1]}" 2>/dev/null || true
  wait "${QPID[$1]}" 2>/dev/null || true
  local to=${TO[$1]} from=${FROM[$1]}
  exec {to}>&- {from}<&-
  DEAD[$1]=1
}

# mid_copy STATE SIZE: STATE is "cp-stopped-after N" with 0 < N < SIZE.
mid_copy() {
  local n=${1#cp-stopped-after }
  echo "copy stopped: $1"
  [[ $n =~ ^[0-9]+$ ]] && ((n > 0 && n < $2))
}

# host_check NAME CMD...: a check made on this side, one results line like the guests'.
host_check() {
  local name=$1
  shift
  if "$@" >>"$WORK/host.transcript" 2>&1; then
    echo "$SCEN host.$name PASS" >>"$RESULTS"
  else
    echo "$SCEN host.$name FAIL" >>"$RESULTS"
  fi
}

scenario() {
  [ -z "${SCEN:-}" ] || echo "$SCEN END" >>"$RESULTS"
  SCEN=$1
  echo "== scenario $SCEN at ${SECONDS} s" | tee -a "$WORK/A.transcript" "$WORK/B.transcript"
}

# The guests' device for scenario index I is $D<I> (set by the guest's devices helper).
mnt() { echo "/mnt/$1"; }

# seeded_and_tree DEV MNT SEED: on A, a master file system with two seeded files, a directory
# tree and a copy of /data/tree.
master_fs() {
  local dev=$1 m=$2 seed=$3
  on A "check mkfs famfs mkfs $dev && check mount famfs mount $dev $m &&
    check creat-seeded famfs creat -s 1000000 -r -S $seed $m/seeded &&
    check creat-multi famfs creat -M $m/m1,4096,$((seed + 1)) -M $m/m2,100000,$((seed + 2)) &&
    check mkdir famfs mkdir -p $m/dir/sub/leaf &&
    check cp-tree famfs cp -r /data/tree $m/dir/"
}

# verify_client MNT SEED: on B, every file of master_fs byte-exact.
verify_client() {
  local m=$1 seed=$2 cmds="" path sha
  cmds="check verify-seeded famfs verify -S $seed -f $m/seeded;
    check verify-multi famfs verify -m $m/m1,$((seed + 1)) -m $m/m2,$((seed + 2));
    check dir-seen test -d $m/dir/sub/leaf"
  while read -r sha path; do
    cmds+="; check digest:${path#tree/} same_digest $m/dir/$path $sha"
  done <"$TREE_SHA"
  on B "$cmds"
}

# Scenario 0 (and 4's first half): verify across hosts, and a client's changes refused.
run_verify() {
  local dev=$1 m=$2 seed=$3 digest
  master_fs "$dev" "$m" "$seed"
  on B "check mount-client famfs mount $dev $m"
  verify_client "$m" "$seed"
  # The seeded file's digest on the master and on the client.
  digest=$(on A "sha256sum $m/seeded" | awk '{ print $1 }')
  on B "check digest-equals-master same_digest $m/seeded ${digest:-none}"
  on B "refused client-creat famfs creat -s 4096 $m/new;
    refused client-mkdir famfs mkdir $m/newdir;
    refused client-cp famfs cp /data/tree/a.bin $m/copy;
    refused client-write sh -c 'echo x | dd of=$m/seeded conv=notrunc';
    refused client-touch touch $m/touched"
  on A "check master-log-untouched sh -c '! ls $m/new $m/newdir $m/copy $m/touched'"
}

# Scenario 1 (and 4's second half): B sees each of COUNT new files and directories within 1 s.
run_follow() {
  local dev=$1 m=$2 seed=$3 count=$4 i
  if [ "$5" = fresh ]; then
    on A "check mkfs famfs mkfs $dev && check mount famfs mount $dev $m"
    on B "check mount-client famfs mount $dev $m"
  fi
  for ((i = 1; i <= count; i++)); do
    on A "famfs creat -s $((i * 5000)) -r -S $((seed + i)) $m/late$i"
    on B "check seen-file$i appears $m/late$i 1000 && check read-file$i famfs verify -S $((seed + i)) -f $m/late$i"
    on A "famfs mkdir $m/latedir$i"
    on B "check seen-dir$i appears $m/latedir$i 1000"
  done
}

# Scenario 2: A (after umount) runs mkfs --force over the live memory while B is mounted.
run_clobber() {
  local dev=$1 m=$2
  on A "check mkfs famfs mkfs $dev && check mount famfs mount $dev $m &&
    check creat famfs creat -s 100000 -r -S 21 $m/f"
  # A reader that opens the file now and reads once the clobber is seen (/tmp/clobbered).
  on B "check mount-client famfs mount $dev $m && check read-before famfs verify -S 21 -f $m/f &&
    { { while [ ! -e /tmp/clobbered ]; do usleep 20000; done;
        dd bs=4096 count=1 of=/dev/null 2>/dev/null; echo \$? >/tmp/reader.rc; } <$m/f & }"
  on A "check umount famfs umount $m && check mkfs-force famfs mkfs --force $dev"
  # Within 10 s: the guests run under TCG beside the rest of the suite, where 3 s once ran out.
  on B "i=0; while famfs status $m >/dev/null 2>&1 && [ \$i -lt 100 ]; do usleep 100000; i=\$((i + 1)); done;
    check noticed-within-10s sh -c 'famfs status $m 2>&1 | grep -q \"UUID changed\"';
    refused status-healthy famfs status $m;
    refused no-stale-open cat $m/f;
    touch /tmp/clobbered; while [ ! -e /tmp/reader.rc ]; do usleep 20000; done;
    refused no-stale-read-open-before test \$(cat /tmp/reader.rc) = 0;
    check still-answers ls $m;
    check umount famfs umount $m"
}

# Scenario 3: A killed in the middle of a famfs cp; B keeps serving; A boots again.
# The copy is of eight 4 MiB files, read one pread each, and committed in one batch at the end:
# it is frozen (SIGSTOP) once it has read two of them, then A's QEMU is killed, a power loss in
# the middle of the copy whatever the speed of this machine. No copied file may appear anywhere.
run_crash() {
  local dev=$1 m=$2 state i srcs="" copies=""
  for i in 1 2 3 4 5 6 7 8; do
    srcs+=" -M $m/src/s$i,4m,$((320 + i))"
    copies+=" $m/copy/s$i"
  done
  on A "check mkfs famfs mkfs $dev && check mount famfs mount $dev $m &&
    check committed famfs creat -s 3000000 -r -S 31 $m/committed &&
    check cp-tree famfs cp -r /data/tree $m/ &&
    check sources famfs mkdir $m/src && famfs creat $srcs"
  on B "check mount-client famfs mount $dev $m && check read-before famfs verify -S 31 -f $m/committed"
  state=$(on A "famfs cp -r $m/src $m/copy >/tmp/cp.log 2>&1 & stop_after_read \$! $((8 << 20))")
  vm_kill A
  host_check killed-mid-cp mid_copy "$state" $((32 << 20))
  on B "check committed-after-crash famfs verify -S 31 -f $m/committed;
    check tree-after-crash same_digest $m/tree/a.bin $(awk '$2 == "tree/a.bin" { print $1 }' "$TREE_SHA");
    check no-half-copy no_file $copies;
    check mount-healthy famfs status $m"
  vm_boot A "$UUID_A"
  vm_read A "@@READY*"
  on A "mkdir $MOUNTS; check reboot-devices nvdimm_up 5 && devices &&
    check fsck-clean famfs fsck \$D3 &&
    check remount famfs mount \$D3 $m &&
    check committed-after-reboot famfs verify -S 31 -f $m/committed &&
    check no-half-copy-after-reboot no_file $copies &&
    check log-replays famfs logplay $m"
  on B "check still-serving famfs verify -S 31 -f $m/committed && check still-no-half-copy no_file $copies"
}

# run_all VMDIR KERNEL INITRD
run_all() {
  local vmdir=$1 i
  KERNEL=$2 INITRD=$3
  RESULTS=$vmdir/results
  TREE_SHA=$INITRD.tree.sha256
  WORK=$(mktemp -d /dev/shm/famfs-vm.XXXXXX)
  trap 'vm_cleanup' EXIT
  : >"$RESULTS"
  for i in "${!SCENARIOS[@]}"; do
    truncate -s "${MEM_MB[$i]}M" "$WORK/${SCENARIOS[$i]}.mem"
  done
  SCEN=boot
  vm_boot A "$UUID_A"
  vm_boot B "$UUID_B"
  vm_read A "@@READY*"
  vm_read B "@@READY*"
  # Devdax for 0-3 (A converts, then B's kernel finds them); 4 stays a raw pmem namespace.
  on A "mkdir $MOUNTS; check nvdimms nvdimm_up 5 && check devdax to_devdax 0 1 2 3 && devices"
  on B "mkdir $MOUNTS; check nvdimms nvdimm_up 5 && devices && check devdax-found sh -c 'ls \$D0 \$D1 \$D2 \$D3 \$D4'"
  echo "devices (${SCENARIOS[*]}): A $(on A 'echo $D0 $D1 $D2 $D3 $D4'), B $(on B 'echo $D0 $D1 $D2 $D3 $D4')" \
    >>"$WORK/host.transcript"
  scenario verify
  run_verify '$D0' /mnt/v 11
  scenario follow
  run_follow '$D1' /mnt/f 100 3 fresh
  scenario clobber
  run_clobber '$D2' /mnt/c
  scenario pmem
  run_verify '$D4' /mnt/p 41
  run_follow '$D4' /mnt/p 400 2 mounted
  scenario crash
  run_crash '$D3' /mnt/x
  scenario done
}

vm_cleanup() {
  local name
  for name in "${!QPID[@]}"; do
    kill -KILL "${QPID[$name]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  cp "$WORK"/*.transcript "$WORK"/*.console "$(dirname "$RESULTS")/" 2>/dev/null || true
  if [ -n "${FAMFS_VM_KEEP:-}" ]; then
    echo "vm.sh: kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
