#!/bin/bash
# famfs benchmark suite: side-by-side ratios against a reference measured in the same run.
# Builds Release, runs every figure, prints one table (figure, ours, reference, ratio, goal) and
# writes bench/RESULTS.md and bench/read-vs-blocksize.png (gnuplot).
#
# usage: scripts/bench.sh [--no-build] [--no-results] [--only SECTION,...]
#   --only      runs only these sections (and what they need), prints their table and writes no
#               bench/RESULTS.md: cp (famfs cp), tree (cp -r), creat (creat --multi 10k), reads
#               (the default mount's four read figures), libmap, sweep (read vs block size), ls
#               (ls -lR 10k), cache (page-cache mode), uring (FUSE over io_uring vs /dev/fuse),
#               scale (1M entries: mount, memory, ls -lR, fsck; creat --multi 100k)
#   BUILD_DIR   Release build directory (default build/release, the build demo.sh makes)
#   BENCH_DIR   scratch directory for backing files (default /dev/shm; needs ~6 GiB free, the
#               devices are sparse; the 1M-entry image writes a 544 MiB log)
#   BENCH_PAIRS pairs per figure (default 5, at least 5 for bench/RESULTS.md): famfs and its
#               reference alternate; the median of the per-pair ratios counts, min and max shown
#   BENCH_SIZE_MB  size of the big file (default 1024)
# The io_uring figures switch the kernel's FUSE enable_uring parameter on for their two mounts and
# put its old value back.
# Needs root (FUSE mount) for the mount figures. Installs fio and gnuplot-nox with apt-get when
# missing; without fio, sequential reads fall back to dd and random reads are not measured.
# Not part of the test command (scripts/test.sh): it takes a few minutes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build/release}
PAIRS=${BENCH_PAIRS:-5}
SIZE_MB=${BENCH_SIZE_MB:-1024}
NFILES=10000
SECTIONS="cp tree creat reads libmap sweep ls cache uring scale"
USAGE="usage: scripts/bench.sh [--no-build] [--no-results] [--only SECTION,...]"
build=1 results=1 ONLY=""
while (($#)); do
  case $1 in
  --no-build) build=0 ;;
  --no-results) results=0 ;;
  --only)
    ONLY=${2:-} results=0
    shift
    for s in ${ONLY//,/ }; do
      [[ " $SECTIONS " == *" $s "* ]] ||
        { echo "bench.sh: error: --only $s: sections are: $SECTIONS" >&2 && exit 2; }
    done
    [ -n "$ONLY" ] || { echo "$USAGE" >&2 && exit 2; }
    ;;
  *) echo "$USAGE" >&2 && exit 2 ;;
  esac
  shift
done
# want SECTION...: whether any of these sections runs (all do without --only).
want() {
  [ -z "$ONLY" ] && return 0
  local s
  for s; do [[ ",$ONLY," == *",$s,"* ]] && return 0; done
  return 1
}
if ((results && PAIRS < 5)); then
  echo "bench.sh: error: BENCH_PAIRS=$PAIRS: bench/RESULTS.md needs at least 5 pairs (or --no-results)" >&2
  exit 2
fi
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

if ((build)); then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target famfs famfs_bench_fsck famfs_bench_memcpy \
    famfs_bench_mmap famfs_bench_libmap >/dev/null
fi
FAMFS=$BUILD/cli/famfs
for b in "$FAMFS" "$BUILD/bench/famfs_bench_fsck" "$BUILD/bench/famfs_bench_memcpy" \
  "$BUILD/bench/famfs_bench_mmap" "$BUILD/bench/famfs_bench_libmap"; do
  [ -x "$b" ] || { echo "bench.sh: $b is missing (build first)" >&2 && exit 2; }
done

# Tools: fio and gnuplot from Debian when missing (best effort).
want=()
command -v fio >/dev/null || want+=(fio)
command -v gnuplot >/dev/null || want+=(gnuplot-nox)
if ((${#want[@]})) && command -v apt-get >/dev/null; then
  echo "bench.sh: installing ${want[*]}" >&2
  apt-get install -y "${want[@]}" >/dev/null 2>&1 ||
    { apt-get update >/dev/null 2>&1 && apt-get install -y "${want[@]}" >/dev/null 2>&1; } ||
    echo "bench.sh: could not install ${want[*]}" >&2
fi
HAVE_FIO=0
command -v fio >/dev/null && HAVE_FIO=1

DIR=$(mktemp -d "${BENCH_DIR:-/dev/shm}/famfs-bench.XXXXXX")
export FAMFS_SYSTEM_UUID_FILE="$DIR/system_uuid"
export FAMFS_RUNTIME_DIR="$DIR/run"
MNT=$DIR/mnt
MNT2=$DIR/mnt2
mkdir -p "$MNT" "$MNT2"
cleanup() {
  for m in "$MNT" "$MNT2"; do
    if grep -qF " $m " /proc/self/mountinfo; then
      "$FAMFS" umount "$m" >/dev/null 2>&1 || umount -l "$m" || true
    fi
  done
  rm -rf "$DIR"
}
trap cleanup EXIT

RES=$DIR/results.tsv   # figure | ours | reference | ratio | goal | verdict
SWEEP=$DIR/sweep.dat   # block size KiB, famfs MB/s, tmpfs MB/s
: >"$RES"
log() { echo "bench.sh: $*" >&2; }
now() { date +%s%N; }
div4() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", (b > 0) ? a / b : 0 }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
row() { printf '%s|%s|%s|%s|%s|%s|%s|%s\n' "$@" >>"$RES"; }

# ---------------------------------------------------------------------------------------------
# The measuring framework. Every figure is one of:
#   pair   famfs and a reference, run alternately (famfs, reference, famfs, ...) PAIRS times; the
#          ratio of each pair is computed and the median counts, min and max shown. Load from
#          other processes hits both sides alike.
#   single famfs alone (no reference a user would pick), PAIRS runs, median with min and max.
# Each side is a command string run by bash under GNU time: wall time (ns), CPU seconds
# (user + system, plus the famfs daemon's when --daemon PID is given) and peak RSS are taken
# from every run. Commands see the exported variables below (FAMFS, BUILD, DIR, MNT, ...).
# A row of $RES: figure|famfs|reference|ratio|goal|verdict|famfs cpu/rss|reference cpu/rss

CLK_TCK=$(getconf CLK_TCK)
# CPU ticks (user + system) of process PID so far; 0 when there is none.
proc_ticks() { [ -n "$1" ] && awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# Peak RSS (KiB) of process PID; 0 when there is none.
proc_hwm() { [ -n "$1" ] && awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# measure CMD [DAEMON_PID]: runs CMD once; sets M_WALL (s), M_CPU (s), M_RSS (KiB) and M_OUT
# (the last line CMD printed). Fails the script when CMD fails.
measure() {
  local cmd=$1 pid=${2:-} t0 t1 d0 d1 u s rss dh
  d0=$(proc_ticks "$pid")
  t0=$(now)
  if ! /usr/bin/time -f '%U %S %M' -o "$DIR/time.out" bash -c "$cmd" >"$DIR/out.txt"; then
    log "failed: $cmd" && exit 1
  fi
  t1=$(now)
  d1=$(proc_ticks "$pid")
  read -r u s rss <"$DIR/time.out"
  dh=$(proc_hwm "$pid")
  M_WALL=$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.6f", ns / 1e9 }')
  M_CPU=$(awk -v u="$u" -v s="$s" -v d=$((d1 - d0)) -v hz="$CLK_TCK" \
    'BEGIN { printf "%.2f", u + s + d / hz }')
  M_RSS=$((rss > dh ? rss : dh))
  M_OUT=$(tail -n 1 "$DIR/out.txt")
}

# value KIND: the figure of the last measure: KIND "time" = seconds (lower is better), "out" =
# what the command printed, a number N = N / seconds (a rate, e.g. MiB or files per second).
value() {
  case $1 in
  time) echo "$M_WALL" ;;
  out) echo "$M_OUT" ;;
  *) awk -v w="$1" -v t="$M_WALL" 'BEGIN { printf "%.2f", w / t }' ;;
  esac
}

# stats: "median min max" of the numbers on stdin.
stats() {
  sort -g | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%s %s %s\n", m, v[1], v[NR] }'
}
fmt3() { awk -v a="$1" -v b="$2" -v c="$3" 'BEGIN { printf "%.4g (%.4g-%.4g)", a, b, c }'; }
# verdict GOAL VALUE: PASS or BELOW for a goal like ">= 0.8x", "<= 1.5x", "< 1 s", ">= 5000/s";
# "-" for "report".
verdict() {
  local goal=$1 v=$2 op num
  [ "$goal" = report ] && echo - && return
  op=${goal%% *}
  num=$(echo "${goal#* }" | tr -dc '0-9.')
  awk -v v="$v" -v n="$num" -v op="$op" 'BEGIN {
    ok = (op == ">=") ? v >= n : (op == ">") ? v > n : (op == "<=") ? v <= n : v < n
    print ok ? "PASS" : "BELOW" }'
}

# pair --figure TEXT --goal GOAL --famfs CMD --ref CMD [--ref-name NAME] [--value KIND]
#      [--setup CMD] [--daemon PID]
# Runs PAIRS pairs; KIND as for value (default time, where the ratio is famfs time / reference
# time, lower is better; otherwise famfs / reference, higher is better). SETUP runs, untimed,
# before every run of either side.
pair() {
  local figure="" goal=report fcmd="" rcmd="" rname=reference kind=time setup=: pid="" i
  while (($#)); do
    case $1 in
    --figure) figure=$2 ;; --goal) goal=$2 ;; --famfs) fcmd=$2 ;; --ref) rcmd=$2 ;;
    --ref-name) rname=$2 ;; --value) kind=$2 ;; --setup) setup=$2 ;; --daemon) pid=$2 ;;
    *) log "pair: unknown option $1" && exit 2 ;;
    esac
    shift 2
  done
  local fv=() rv=() ratios=() fc=() rc=() frss=0 rrss=0 a b
  log "$figure: $PAIRS pairs"
  for ((i = 0; i < PAIRS; i++)); do
    bash -c "$setup"
    measure "$fcmd" "$pid"
    a=$(value "$kind") && fv+=("$a") && fc+=("$M_CPU")
    ((M_RSS > frss)) && frss=$M_RSS
    bash -c "$setup"
    measure "$rcmd"
    b=$(value "$kind") && rv+=("$b") && rc+=("$M_CPU")
    ((M_RSS > rrss)) && rrss=$M_RSS
    ratios+=("$(div4 "$a" "$b")")
  done
  local f r q fcpu rcpu
  f=$(printf '%s\n' "${fv[@]}" | stats)
  r=$(printf '%s\n' "${rv[@]}" | stats)
  q=$(printf '%s\n' "${ratios[@]}" | stats)
  fcpu=$(printf '%s\n' "${fc[@]}" | stats | cut -d' ' -f1)
  rcpu=$(printf '%s\n' "${rc[@]}" | stats | cut -d' ' -f1)
  # shellcheck disable=SC2086
  row "$figure" "$(fmt3 $f)" "$(fmt3 $r) ($rname)" "$(fmt3 $q)x" "$goal" \
    "$(verdict "$goal" "${q%% *}")" "${fcpu} s, $((frss / 1024)) MiB" "${rcpu} s, $((rrss / 1024)) MiB"
}

# single --figure TEXT --goal GOAL --cmd CMD [--value KIND] [--setup CMD] [--daemon PID]
# Runs CMD PAIRS times; the goal applies to the median.
single() {
  local figure="" goal=report cmd="" kind=time setup=: pid="" i
  while (($#)); do
    case $1 in
    --figure) figure=$2 ;; --goal) goal=$2 ;; --cmd) cmd=$2 ;; --value) kind=$2 ;;
    --setup) setup=$2 ;; --daemon) pid=$2 ;;
    *) log "single: unknown option $1" && exit 2 ;;
    esac
    shift 2
  done
  local vs=() cs=() rss=0 v cpu
  log "$figure: $PAIRS runs"
  for ((i = 0; i < PAIRS; i++)); do
    bash -c "$setup"
    measure "$cmd" "$pid"
    vs+=("$(value "$kind")") && cs+=("$M_CPU")
    ((M_RSS > rss)) && rss=$M_RSS
  done
  v=$(printf '%s\n' "${vs[@]}" | stats)
  cpu=$(printf '%s\n' "${cs[@]}" | stats | cut -d' ' -f1)
  # shellcheck disable=SC2086
  row "$figure" "$(fmt3 $v)" "-" "-" "$goal" "$(verdict "$goal" "${v%% *}")" \
    "${cpu} s, $((rss / 1024)) MiB" "-"
}

# The daemon of the mount on MNT (its CPU and peak RSS count on the famfs side).
daemon_pid() { "$FAMFS" status --json "$1" | jq -r .daemon_pid; }

# ---------------------------------------------------------------------------------------------
export FAMFS BUILD DIR MNT MNT2 SIZE_MB NFILES
log "source file: ${SIZE_MB} MiB of random bytes on tmpfs"
head -c $((SIZE_MB << 20)) /dev/urandom >"$DIR/ref"
mkdir -p "$DIR/tmpfs"

# famfs cp of a page-cached file into a device (a backing file in $BENCH_DIR) against coreutils
# cp of the same file into tmpfs (what a user would use instead), then against a memcpy into
# fresh memory (the physical limit). The famfs side is the whole command: lock, log replay,
# allocation, the copy, persist, the log append.
if want cp; then
  cp_setup='rm -f "$DIR/cp.img" "$DIR/tmpfs/copy" "$DIR/dst"
    "$FAMFS" mkfs --size $((SIZE_MB + 64))M "$DIR/cp.img" >/dev/null'
  cp_famfs='"$FAMFS" cp --device "$DIR/cp.img" "$DIR/ref" file'
  pair --figure "famfs cp ${SIZE_MB} MiB (MiB/s)" --goal ">= 1.0x" --value "$SIZE_MB" \
    --setup "$cp_setup" --famfs "$cp_famfs" --ref 'cp "$DIR/ref" "$DIR/tmpfs/copy"' \
    --ref-name "coreutils cp into tmpfs"
  pair --figure "famfs cp ${SIZE_MB} MiB against memcpy (MiB/s)" --goal ">= 0.8x" \
    --value "$SIZE_MB" --setup "$cp_setup" --famfs "$cp_famfs" \
    --ref '"$BUILD/bench/famfs_bench_memcpy" "$DIR/ref" "$DIR/dst" >/dev/null' --ref-name memcpy
  rm -f "$DIR/cp.img" "$DIR/tmpfs/copy" "$DIR/dst"
fi

# famfs cp -r of 10,000 files of mixed sizes (4 KiB << (i % 9): 4 KiB to 1 MiB, 2.2 GiB in all,
# 100 directories of 100, cut from the big file) against coreutils cp -r of the same tree into
# tmpfs, in files per second. famfs allocates at least 2 MiB per file, so the device is a sparse
# backing file of 2 MiB per file plus 1 GiB, made with truncate (mkfs --size refuses a size
# larger than the free space, though only the 2.2 GiB written is ever allocated).
if want tree; then
  log "tree of $NFILES files, 4 KiB to 1 MiB"
  perl -e 'my ($src, $dst, $n) = @ARGV; open(my $in, "<:raw", $src) or die; read($in, my $buf, 2 << 20);
    for my $i (0 .. $n - 1) {
      my $d = sprintf("%s/d%02d", $dst, int($i / 100)); mkdir $dst; mkdir $d;
      open(my $out, ">:raw", sprintf("%s/f%03d", $d, $i % 100)) or die;
      print $out substr($buf, ($i * 4096) % (1 << 20), 4096 << ($i % 9)); close($out) or die }' \
    "$DIR/ref" "$DIR/mixed" "$NFILES"
  export TREE_DEV=$((2 * NFILES + 1024))M
  pair --figure "famfs cp -r $NFILES files, 4 KiB to 1 MiB (files/s)" --goal ">= 1.0x" \
    --value "$NFILES" --ref-name "coreutils cp -r into tmpfs" \
    --setup 'rm -rf "$DIR/tree.img" "$DIR/tmpfs/mixed"; truncate -s "$TREE_DEV" "$DIR/tree.img"
      "$FAMFS" mkfs --loglen 16m "$DIR/tree.img" >/dev/null' \
    --famfs '"$FAMFS" cp -r --device "$DIR/tree.img" "$DIR/mixed" mixed' \
    --ref 'cp -r "$DIR/mixed" "$DIR/tmpfs/mixed"'
  rm -rf "$DIR/tree.img" "$DIR/tmpfs/mixed" "$DIR/mixed"
fi

# creat --multi of 10,000 files (one command) on a device built for the mount figures below
# (made once, untimed, when only those are asked for).
for ((i = 0; i < NFILES; i++)); do echo "-M d/f$i,4k"; done >"$DIR/multi.args"
export DEVSIZE=$((SIZE_MB + 64 + 2 * NFILES + 64))M
dev_setup='rm -f "$DIR/dev.img"; truncate -s "$DEVSIZE" "$DIR/dev.img"
    "$FAMFS" mkfs --loglen 8m "$DIR/dev.img" >/dev/null
    "$FAMFS" mkdir --device "$DIR/dev.img" d'
dev_creat='"$FAMFS" creat --device "$DIR/dev.img" $(cat "$DIR/multi.args") >/dev/null'
if want creat; then
  single --figure "creat --multi $NFILES files (files/s)" --goal report --value "$NFILES" \
    --setup "$dev_setup" --cmd "$dev_creat"
elif want reads libmap sweep ls cache uring; then
  bash -c "$dev_setup" && bash -c "$dev_creat"
fi

# The mount: the big file (copied in with famfs cp) and the 10,000 files of d/.
if want reads libmap sweep ls cache uring; then
  "$FAMFS" cp --device "$DIR/dev.img" "$DIR/ref" big
fi
if want reads libmap sweep ls; then
  "$FAMFS" mount "$DIR/dev.img" "$MNT" >/dev/null
  cmp "$MNT/big" "$DIR/ref" # correct bytes, and warms the daemon's mapping
  DPID=$(daemon_pid "$MNT")
fi
export SZ=$((SIZE_MB << 20))

# Reads through the mount against the same bytes on tmpfs; the daemon's CPU counts on the famfs
# side.
fio_rand='fio --name=r --filename="$F" --rw=randread --bs=4k --size="$SZ" --numjobs=4 \
  --ioengine=psync --group_reporting --invalidate=0 --allow_file_create=0 --time_based \
  --runtime=3 --randrepeat=0 --output-format=json 2>/dev/null | jq ".jobs[0].read.bw_bytes / 1e6 | floor"'
mmap_rate='"$BUILD/bench/famfs_bench_mmap" "$F" 2>/dev/null | awk -v mb="$SIZE_MB" "{ print mb / \$1 }"'
# read_figures LABEL SETUP GOAL...: the four read figures (dd bs=1M, dd bs=4k, fio random 4 KiB
# with 4 jobs, mmap) of $MNT/big (daemon $DPID) against $DIR/ref, with their four goals; LABEL
# tags the rows (the mount's mode), SETUP runs untimed before every run of either side.
read_figures() {
  local label=$1 setup=$2
  pair --figure "seq read, dd bs=1M, ${SIZE_MB} MiB${label} (MiB/s)" --goal "$3" \
    --value "$SIZE_MB" --daemon "$DPID" --ref-name tmpfs --setup "$setup" \
    --famfs 'dd if="$MNT/big" of=/dev/null bs=1M status=none' \
    --ref 'dd if="$DIR/ref" of=/dev/null bs=1M status=none'
  pair --figure "seq read, dd bs=4k, 256 MiB${label} (MiB/s)" --goal "$4" --value 256 \
    --daemon "$DPID" --ref-name tmpfs --setup "$setup" \
    --famfs 'dd if="$MNT/big" of=/dev/null bs=4k count=65536 status=none' \
    --ref 'dd if="$DIR/ref" of=/dev/null bs=4k count=65536 status=none'
  if ((HAVE_FIO)); then
    pair --figure "random read 4 KiB, fio, 4 jobs${label} (MB/s)" --goal "$5" --value out \
      --daemon "$DPID" --ref-name tmpfs --setup "$setup" --famfs "F=\"\$MNT/big\"; $fio_rand" \
      --ref "F=\"\$DIR/ref\"; $fio_rand"
  else
    row "random read 4 KiB, fio, 4 jobs${label} (MB/s)" "n/a (no fio)" "-" "-" "$5" "-" "-" "-"
  fi
  pair --figure "mmap read ${SIZE_MB} MiB${label} (MiB/s)" --goal "$6" --value out \
    --daemon "$DPID" --ref-name tmpfs --setup "$setup" --famfs "F=\"\$MNT/big\"; $mmap_rate" \
    --ref "F=\"\$DIR/ref\"; $mmap_rate"
}
if want reads; then
  read_figures "" : ">= 0.8x" ">= 0.25x" ">= 0.3x" ">= 0.5x"
fi

# libfamfs: the big file mapped straight from the device (no FUSE) vs an mmap of the same bytes
# on tmpfs, alternating pair by pair, the FUSE mount's mmap beside them (its own pairs loop:
# the three sides share one process so the mappings are timed alike).
if want libmap; then
  log "libfamfs map read: $PAIRS pairs"
  "$BUILD/bench/famfs_bench_libmap" --pairs "$PAIRS" "$DIR/dev.img" big "$DIR/ref" "$MNT/big" \
    | tee "$DIR/libmap.out" >&2
  read -r _ lmed lmin lmax fmed fmin fmax trate < <(grep '^RESULT ' "$DIR/libmap.out")
  row "libfamfs map read ${SIZE_MB} MiB (x tmpfs mmap)" "$(fmt3 "$lmed" "$lmin" "$lmax")x" \
    "$trate MiB/s (tmpfs mmap)" "$(fmt3 "$lmed" "$lmin" "$lmax")x" ">= 0.95x" \
    "$(verdict ">= 0.95x" "$lmed")" "-" "-"
  row "FUSE mount mmap read, same pairs (x tmpfs mmap)" "$(fmt3 "$fmed" "$fmin" "$fmax")x" \
    "$trate MiB/s (tmpfs mmap)" "$(fmt3 "$fmed" "$fmin" "$fmax")x" report - "-" "-"
fi

if want sweep; then
  log "read throughput against block size (one run per point: a chart, not a verdict)"
  : >"$SWEEP"
  sweep_mb=256
  for kib in 4 8 16 32 64 128 256 512 1024 2048 4096; do
    n=$((sweep_mb * 1024 / kib))
    measure "dd if=\"\$MNT/big\" of=/dev/null bs=${kib}k count=$n status=none"
    fa=$(value "$sweep_mb")
    measure "dd if=\"\$DIR/ref\" of=/dev/null bs=${kib}k count=$n status=none"
    fb=$(value "$sweep_mb")
    echo "$kib $fa $fb" >>"$SWEEP"
  done
fi

if want ls; then
  mkdir -p "$DIR/tree/d"
  (cd "$DIR/tree/d" && seq -f 'f%.0f' 0 $((NFILES - 1)) | xargs truncate -s 4k)
  ls -lR "$MNT/d" >/dev/null # first walk: lookups and attributes into the kernel's caches
  n=$(ls "$MNT/d" | wc -l)
  [ "$n" = "$NFILES" ] || { log "ls sees $n files in the mount, expected $NFILES" && exit 1; }
  pair --figure "ls -lR $NFILES files (s, famfs time / tmpfs time)" --goal "<= 3x" --value time \
    --daemon "$DPID" --ref-name tmpfs --famfs 'ls -lR "$MNT/d" >/dev/null' \
    --ref 'ls -lR "$DIR/tree/d" >/dev/null'
fi
if want reads libmap sweep ls; then
  "$FAMFS" umount "$MNT" >/dev/null
fi

# Page-cache mode (famfs mount --cache): the same read figures, warm (the file's pages cached by
# a first read, as for read-mostly data), then cold (famfs flush drops them before every run).
if want cache; then
  "$FAMFS" mount --cache "$DIR/dev.img" "$MNT" >/dev/null
  cmp "$MNT/big" "$DIR/ref" # correct bytes through the page cache, and warms it
  DPID=$(daemon_pid "$MNT")
  read_figures ", -o cache, warm" : ">= 0.8x" ">= 0.25x" ">= 0.3x" ">= 0.5x"
  read_figures ", -o cache, cold" '"$FAMFS" flush "$MNT/big"' report report report report
  "$FAMFS" umount "$MNT" >/dev/null
fi

# FUSE over io_uring against /dev/fuse: the read round trip. Two mounts at once with the kernel's
# enable_uring switched on (its old value is put back at exit): the device above through
# io_uring, a copy of it through /dev/fuse (--transport dev-fuse); same file, same daemon code.
if want uring; then
  URING_PARAM=/sys/module/fuse/parameters/enable_uring
  if [ -w "$URING_PARAM" ]; then
    URING_OLD=$(cat "$URING_PARAM")
    trap 'echo "$URING_OLD" >"$URING_PARAM"; cleanup' EXIT
    echo Y >"$URING_PARAM"
    "$FAMFS" mkfs --size $((SIZE_MB + 64))M "$DIR/devfuse.img" >/dev/null
    "$FAMFS" cp --device "$DIR/devfuse.img" "$DIR/ref" big
    "$FAMFS" mount "$DIR/dev.img" "$MNT" >/dev/null
    "$FAMFS" mount --transport dev-fuse "$DIR/devfuse.img" "$MNT2" >/dev/null
    for m in "$MNT:io_uring" "$MNT2:/dev/fuse"; do
      t=$("$FAMFS" status --json "${m%%:*}" | jq -r .transport)
      [ "$t" = "${m#*:}" ] || { log "${m%%:*} serves through '$t', expected ${m#*:}" && exit 1; }
    done
    cmp "$MNT/big" "$MNT2/big"
    UPID=$(daemon_pid "$MNT")
    for bs in 4k 1M; do
      pair --figure "FUSE over io_uring: dd bs=$bs, ${SIZE_MB} MiB (MiB/s, x /dev/fuse)" \
        --goal report --value "$SIZE_MB" --daemon "$UPID" --ref-name "/dev/fuse" \
        --famfs "dd if=\"\$MNT/big\" of=/dev/null bs=$bs status=none" \
        --ref "dd if=\"\$MNT2/big\" of=/dev/null bs=$bs status=none"
    done
    "$FAMFS" umount "$MNT" >/dev/null
    "$FAMFS" umount "$MNT2" >/dev/null
    rm -f "$DIR/devfuse.img"
    echo "$URING_OLD" >"$URING_PARAM"
  else
    row "FUSE over io_uring: dd bs=4k and 1M (x /dev/fuse)" "n/a (no $URING_PARAM, or not root)" \
      "-" "-" report "-" "-" "-"
  fi
fi
rm -f "$DIR/dev.img" "$DIR/ref"

# Scale: a 1,000,000-entry log (1 GiB log; 10,000 directories, 990,000 one-AU files on a
# sparse 2 TiB device, written by famfs_bench_fsck: test::BigImage). Mount + replay is timed to
# the first stat of the last file; the daemon's memory per file is its RSS over the files it
# serves. ls -lR walks the 99,990 files of dir00000..dir01009 against the same names on tmpfs:
# "cold" remounts before each famfs run (the first walk: every LOOKUP and READDIRPLUS reaches
# the daemon), "warm" walks again with the kernel's caches filled (the attribute and entry
# timeouts are long). creat --multi makes 100,000 files in one command (one batch append).
if want scale; then
  log "1,000,000-entry log: build the image"
  "$BUILD/bench/famfs_bench_fsck" --entries 1000000 --runs 1 --write "$DIR/big.img" >"$DIR/fsck.out"
  export LAST=dir09999/file0989999
  umount_mnt2='! grep -qF " $MNT2 " /proc/self/mountinfo || "$FAMFS" umount "$MNT2" >/dev/null'
  single --figure "mount + replay 1M entries (s)" --goal "< 1 s" --value time \
    --setup "$umount_mnt2" \
    --cmd '"$FAMFS" mount "$DIR/big.img" "$MNT2" >/dev/null && stat "$MNT2/$LAST" >/dev/null'
  DPID2=$(daemon_pid "$MNT2")
  rss_kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$DPID2/status")
  files=$("$FAMFS" status --json "$MNT2" | jq -r .entries_applied)
  row "daemon memory per file, 1M entries (bytes: RSS / entries)" \
    "$((rss_kib * 1024 / files)) ($((rss_kib / 1024)) MiB / $files)" "-" "-" report - "-" "-"

  mkdir -p "$DIR/scale"
  for ((d = 0; d < 1010; d++)); do printf 'dir%05d\n' $d; done >"$DIR/scale.dirs"
  (cd "$DIR/scale" && xargs mkdir <"$DIR/scale.dirs" &&
    awk 'BEGIN { for (d = 0; d < 1010; d++) for (k = 0; k < 99; k++)
      printf "dir%05d/file%07d\n", d, d + 10000 * k }' | xargs truncate -s 4k)
  n=$(cd "$MNT2" && xargs ls -f <"$DIR/scale.dirs" | grep -c '^file')
  [ "$n" = 99990 ] || { log "ls sees $n files of dir00000..dir01009 in the mount, expected 99990" && exit 1; }
  remount2="$umount_mnt2"'; "$FAMFS" mount "$DIR/big.img" "$MNT2" >/dev/null'
  pair --figure "ls -lR 100k files of a 1M-entry mount, cold (s, famfs time / tmpfs time)" \
    --goal "<= 1.5x" --value time --ref-name tmpfs --setup "$remount2" \
    --famfs 'cd "$MNT2" && xargs ls -lR <"$DIR/scale.dirs" >/dev/null' \
    --ref 'cd "$DIR/scale" && xargs ls -lR <"$DIR/scale.dirs" >/dev/null'
  DPID2=$(daemon_pid "$MNT2")
  pair --figure "ls -lR 100k files of a 1M-entry mount, warm (s, famfs time / tmpfs time)" \
    --goal "<= 1.5x" --value time --ref-name tmpfs --daemon "$DPID2" \
    --famfs 'cd "$MNT2" && xargs ls -lR <"$DIR/scale.dirs" >/dev/null' \
    --ref 'cd "$DIR/scale" && xargs ls -lR <"$DIR/scale.dirs" >/dev/null'
  "$FAMFS" umount "$MNT2" >/dev/null
  rm -rf "$DIR/scale"

  "$FAMFS" fsck "$DIR/big.img" >"$DIR/fsck.txt" # warm, and the check that it sees every entry
  grep -qF "# of log entries in use: 1000000" "$DIR/fsck.txt" || { log "fsck did not see 1000000 entries" && exit 1; }
  single --figure "famfs fsck 1M entries (s)" --goal "< 1 s" --value time \
    --cmd '"$FAMFS" fsck "$DIR/big.img" >/dev/null'
  rm -f "$DIR/big.img"

  # 100,000 files on one command line: 2.3 MB of arguments, over the default ARG_MAX (a quarter
  # of the 8 MiB stack limit), so the command runs with a 64 MiB stack limit. The device (200 GiB,
  # sparse) is made by truncate: mkfs --size refuses a size beyond the free space.
  for ((i = 0; i < 100000; i++)); do echo "-M d/f$i,4k"; done >"$DIR/multi100k.args"
  single --figure "creat --multi 100k files (files/s)" --goal ">= 100000/s" --value 100000 \
    --setup 'rm -f "$DIR/c.img"; truncate -s 200G "$DIR/c.img"
      "$FAMFS" mkfs --loglen 64m "$DIR/c.img" >/dev/null && "$FAMFS" mkdir --device "$DIR/c.img" d' \
    --cmd 'ulimit -s 65536 && "$FAMFS" creat --device "$DIR/c.img" $(cat "$DIR/multi100k.args") >/dev/null'
  rm -f "$DIR/c.img" "$DIR/multi100k.args"
fi

# ---------------------------------------------------------------------------------------------
table() {
  echo "| figure | famfs: median (min-max) | reference: median (min-max) | ratio: median (min-max) | goal | verdict | famfs CPU, peak RSS | reference CPU, peak RSS |"
  echo "|---|---|---|---|---|---|---|---|"
  awk -F'|' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8 }' "$RES"
}
table
if want sweep; then
  echo
  echo "read throughput against block size (MB/s): KiB famfs tmpfs"
  cat "$SWEEP"
fi

((results)) || exit 0
OUTMD=$ROOT/bench/RESULTS.md
PNG=$ROOT/bench/read-vs-blocksize.png
if command -v gnuplot >/dev/null; then
  gnuplot <<EOF || log "gnuplot failed"
set terminal png size 900,560
set output '$PNG'
set title 'Sequential read throughput against block size (${SIZE_MB} MiB file, 256 MiB read per point)'
set xlabel 'block size (KiB)'
set ylabel 'MB/s'
set logscale x 2
set key top left
set grid
plot '$SWEEP' using 1:2 with linespoints title 'famfs (FUSE mount)', \
     '$SWEEP' using 1:3 with linespoints title 'tmpfs'
EOF
fi
{
  echo "# famfs benchmark results"
  echo
  echo "Produced by \`scripts/bench.sh\` (see README.md, \"Benchmarks\")."
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) vCPU ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ { print $2 }') GiB RAM, kernel $(uname -r)"
  echo "- command: \`BENCH_PAIRS=$PAIRS scripts/bench.sh\` (commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- . ':!bench/RESULTS.md' ':!bench/read-vs-blocksize.png' 2>/dev/null || echo ', with uncommitted changes'))"
  echo "- load average (1, 5, 15 min) before the run: $LOAD_BEFORE; after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- each figure: $PAIRS pairs, famfs and its reference alternating (famfs, reference, famfs, ...), so load from other processes hits both alike; the ratio is computed per pair and its median counts, min and max shown; figures without a reference: $PAIRS runs, median"
  echo "- CPU: user + system seconds of the command (median), plus the famfs daemon's for reads through a mount; peak RSS: the largest of the command's and the daemon's"
  echo "- reads: $( ((HAVE_FIO)) && fio --version || echo 'dd (fio not installed)'), psync engine, 1 job unless stated"
  echo
  table
  echo
  echo "## Read throughput against block size"
  echo
  echo "![read vs block size](read-vs-blocksize.png)"
  echo
  echo "| block KiB | famfs MB/s | tmpfs MB/s |"
  echo "|---|---|---|"
  awk '{ printf "| %s | %s | %s |\n", $1, $2, $3 }' "$SWEEP"
} >"$OUTMD"
log "wrote $OUTMD and $PNG"
