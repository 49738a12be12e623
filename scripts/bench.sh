#!/bin/bash
# famfs benchmark suite: side-by-side ratios against a reference measured in the same run.
# Builds Release, runs every figure, prints one table (figure, ours, reference, ratio, goal) and
# writes bench/RESULTS.md and bench/read-vs-blocksize.png (gnuplot).
#
# usage: scripts/bench.sh [--no-build] [--no-results]
#   BUILD_DIR   Release build directory (default build/release, the build demo.sh makes)
#   BENCH_DIR   scratch directory for backing files (default /dev/shm; needs ~4 GiB free, the
#               devices are sparse)
#   BENCH_RUNS  runs per figure and side (default 3); the median counts
#   BENCH_SIZE_MB  size of the big file (default 1024)
# Needs root (FUSE mount) for the mount figures. Installs fio and gnuplot-nox with apt-get when
# missing; without fio, sequential reads fall back to dd and random reads are not measured.
# Not part of the test command (scripts/test.sh): it takes a few minutes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build/release}
RUNS=${BENCH_RUNS:-3}
SIZE_MB=${BENCH_SIZE_MB:-1024}
NFILES=10000
build=1 results=1
for a in "$@"; do
  case $a in
  --no-build) build=0 ;;
  --no-results) results=0 ;;
  *) echo "usage: scripts/bench.sh [--no-build] [--no-results]" >&2 && exit 2 ;;
  esac
done

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
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
row() { printf '%s|%s|%s|%s|%s|%s\n' "$@" >>"$RES"; }

# MB/s of reading FILE: sequential (rw=read) or random (randread), block size BS, JOBS jobs,
# SIZE bytes (each job), ENGINE (psync or mmap). dd fallback for sequential psync reads.
read_rate() {
  local file=$1 rw=$2 bs=$3 jobs=$4 size=$5 engine=${6:-psync} t0 t1
  if ((HAVE_FIO)); then
    local extra=()
    [ "$rw" = randread ] && extra=(--time_based --runtime=3 --randrepeat=0)
    fio --name=r --filename="$file" --rw="$rw" --bs="$bs" --size="$size" --numjobs="$jobs" \
      --ioengine="$engine" --group_reporting --invalidate=0 --allow_file_create=0 \
      "${extra[@]}" --output-format=json 2>/dev/null | jq '.jobs[0].read.bw_bytes / 1e6 | floor'
  elif [ "$rw" = read ] && [ "$engine" = psync ] && [ "$jobs" = 1 ]; then
    local count=$((size / $(numfmt --from=iec "${bs^^}")))
    t0=$(now)
    dd if="$file" of=/dev/null bs="${bs^^}" count="$count" status=none
    t1=$(now)
    awk -v b="$size" -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f", b * 1000 / ns }'
  else
    echo 0
  fi
}
# Median over RUNS of read_rate on both sides, alternating; prints "famfs tmpfs".
side_by_side() {
  local a=$1 b=$2 fa=() fb=() i
  shift 2
  for ((i = 0; i < RUNS; i++)); do
    fa+=("$(read_rate "$a" "$@")")
    fb+=("$(read_rate "$b" "$@")")
  done
  echo "$(printf '%s\n' "${fa[@]}" | median) $(printf '%s\n' "${fb[@]}" | median)"
}

# ---------------------------------------------------------------------------------------------
log "source file: ${SIZE_MB} MiB of random bytes on tmpfs"
head -c $((SIZE_MB << 20)) /dev/urandom >"$DIR/ref"

# famfs cp of the file into a device (backing file in $BENCH_DIR) vs a memcpy of the same size.
log "famfs cp vs memcpy"
cps=() mcs=()
for ((r = 0; r < RUNS; r++)); do
  rm -f "$DIR/cp.img" "$DIR/dst"
  "$FAMFS" mkfs --size $((SIZE_MB + 64))M "$DIR/cp.img" >/dev/null
  t0=$(now)
  "$FAMFS" cp --device "$DIR/cp.img" "$DIR/ref" file
  t1=$(now)
  cps+=("$(awk -v ns=$((t1 - t0)) 'BEGIN { print ns / 1e9 }')")
  rm -f "$DIR/cp.img"
  mcs+=("$("$BUILD/bench/famfs_bench_memcpy" "$DIR/ref" "$DIR/dst")")
  rm -f "$DIR/dst"
done
cp_s=$(printf '%s\n' "${cps[@]}" | median)
mc_s=$(printf '%s\n' "${mcs[@]}" | median)
cp_rate=$(div "$SIZE_MB" "$cp_s")
mc_rate=$(div "$SIZE_MB" "$mc_s")
ratio=$(div "$cp_rate" "$mc_rate")
ge "$ratio" 0.8 && v=PASS || v=BELOW
row "famfs cp ${SIZE_MB} MiB (MiB/s)" "$cp_rate" "$mc_rate (memcpy)" "$ratio" ">= 0.8x" "$v"

# creat --multi of 10,000 files (one command) on a device built for the mount figures below.
log "creat --multi $NFILES files"
args=()
for ((i = 0; i < NFILES; i++)); do args+=(-M "d/f$i,4k"); done
devsize=$((SIZE_MB + 64 + 2 * NFILES + 64))M
cts=()
for ((r = 0; r < RUNS; r++)); do
  rm -f "$DIR/dev.img"
  "$FAMFS" mkfs --loglen 8m --size "$devsize" "$DIR/dev.img" >/dev/null
  "$FAMFS" mkdir --device "$DIR/dev.img" d
  t0=$(now)
  "$FAMFS" creat --device "$DIR/dev.img" "${args[@]}" >/dev/null
  t1=$(now)
  cts+=("$(awk -v ns=$((t1 - t0)) 'BEGIN { print ns / 1e9 }')")
done
ct_s=$(printf '%s\n' "${cts[@]}" | median)
ct_rate=$(awk -v n=$NFILES -v s="$ct_s" 'BEGIN { printf "%.0f", n / s }')
ge "$ct_rate" 5000 && v=PASS || v=BELOW
row "creat --multi $NFILES files (files/s)" "$ct_rate" "-" "-" ">= 5000/s" "$v"

# The mount: the big file (copied in with famfs cp) and the 10,000 files of d/.
"$FAMFS" cp --device "$DIR/dev.img" "$DIR/ref" big
"$FAMFS" mount "$DIR/dev.img" "$MNT" >/dev/null
cmp "$MNT/big" "$DIR/ref" # correct bytes, and warms the daemon's mapping
SZ=$((SIZE_MB << 20))

log "sequential 1 MiB reads (fio=$HAVE_FIO)"
read -r fa fb < <(side_by_side "$MNT/big" "$DIR/ref" read 1m 1 "$SZ")
ratio=$(div "$fa" "$fb")
ge "$ratio" 0.6 && v=PASS || v=BELOW
tool=$( ((HAVE_FIO)) && echo fio || echo dd)
row "seq read 1 MiB blocks, $tool (MB/s)" "$fa" "$fb (tmpfs)" "$ratio" ">= 0.6x" "$v"

log "random 4 KiB reads, 4 jobs"
if ((HAVE_FIO)); then
  read -r fa fb < <(side_by_side "$MNT/big" "$DIR/ref" randread 4k 4 "$SZ")
  row "rand read 4 KiB, 4 jobs, fio (MB/s)" "$fa" "$fb (tmpfs)" "$(div "$fa" "$fb")" "report" "-"
else
  row "rand read 4 KiB, 4 jobs (MB/s)" "n/a (no fio)" "-" "-" "report" "-"
fi

log "mmap read"
ma=() mb=()
for ((r = 0; r < RUNS; r++)); do
  ma+=("$(div "$SIZE_MB" "$("$BUILD/bench/famfs_bench_mmap" "$MNT/big" 2>/dev/null)")")
  mb+=("$(div "$SIZE_MB" "$("$BUILD/bench/famfs_bench_mmap" "$DIR/ref" 2>/dev/null)")")
done
fa=$(printf '%s\n' "${ma[@]}" | median)
fb=$(printf '%s\n' "${mb[@]}" | median)
row "mmap read ${SIZE_MB} MiB (MiB/s)" "$fa" "$fb (tmpfs)" "$(div "$fa" "$fb")" "report" "-"

# libfamfs: the big file mapped straight from the device (no FUSE) vs an mmap of the same bytes
# on tmpfs, alternating pair by pair (at least 5 pairs), the FUSE mount's mmap beside them.
log "libfamfs map read"
pairs=$((RUNS < 5 ? 5 : RUNS))
"$BUILD/bench/famfs_bench_libmap" --pairs "$pairs" "$DIR/dev.img" big "$DIR/ref" "$MNT/big" \
  | tee "$DIR/libmap.out" >&2
read -r _ lmed lmin lmax fmed fmin fmax trate < <(grep '^RESULT ' "$DIR/libmap.out")
ge "$lmed" 0.95 && v=PASS || v=BELOW
row "libfamfs map read ${SIZE_MB} MiB (x tmpfs mmap; median of $pairs pairs, min-max)" \
  "${lmed}x (${lmin}-${lmax})" "$trate MiB/s (tmpfs)" "${lmed}x" ">= 0.95x" "$v"
row "FUSE mount mmap read, same pairs (x tmpfs mmap)" "${fmed}x (${fmin}-${fmax})" \
  "$trate MiB/s (tmpfs)" "${fmed}x" "report" "-"

log "read throughput against block size"
: >"$SWEEP"
sweep_size=$((256 << 20))
for kib in 4 8 16 32 64 128 256 512 1024 2048 4096; do
  fa=$(read_rate "$MNT/big" read "${kib}k" 1 "$sweep_size")
  fb=$(read_rate "$DIR/ref" read "${kib}k" 1 "$sweep_size")
  echo "$kib $fa $fb" >>"$SWEEP"
done

log "ls -lR of $NFILES files"
mkdir -p "$DIR/tree/d"
(cd "$DIR/tree/d" && seq -f 'f%.0f' 0 $((NFILES - 1)) | xargs truncate -s 4k)
ls -lR "$MNT/d" >/dev/null # first walk: lookups and attributes into the kernel's caches
la=() lb=()
for ((r = 0; r < RUNS; r++)); do
  t0=$(now)
  ls -lR "$MNT/d" >/dev/null
  t1=$(now)
  la+=($((t1 - t0)))
  t0=$(now)
  ls -lR "$DIR/tree/d" >/dev/null
  t1=$(now)
  lb+=($((t1 - t0)))
done
n=$(ls "$MNT/d" | wc -l)
[ "$n" = "$NFILES" ] || { log "ls sees $n files in the mount, expected $NFILES" && exit 1; }
fa=$(printf '%s\n' "${la[@]}" | median | awk '{ printf "%.3f", $1 / 1e9 }')
fb=$(printf '%s\n' "${lb[@]}" | median | awk '{ printf "%.3f", $1 / 1e9 }')
ratio=$(div "$fa" "$fb")
awk -v r="$ratio" 'BEGIN { exit !(r <= 3) }' && v=PASS || v=BELOW
row "ls -lR $NFILES files (s, lower is better)" "$fa" "$fb (tmpfs)" "${ratio}x its time" "<= 3x" "$v"
"$FAMFS" umount "$MNT" >/dev/null
rm -f "$DIR/dev.img" "$DIR/ref"

# A 100,000-entry log in a 64 MiB log (1,000 directories, 99,000 files; sparse 200 GiB device).
log "100,000-entry log: mount + replay, fsck"
"$BUILD/bench/famfs_bench_fsck" --entries 100000 --runs "$RUNS" --write "$DIR/big.img" >"$DIR/fsck.out"
last=dir00999/file0098999
mts=()
for ((r = 0; r < RUNS; r++)); do
  t0=$(now)
  "$FAMFS" mount "$DIR/big.img" "$MNT2" >/dev/null
  stat "$MNT2/$last" >/dev/null
  t1=$(now)
  mts+=($((t1 - t0)))
  "$FAMFS" umount "$MNT2" >/dev/null
done
s=$(printf '%s\n' "${mts[@]}" | median | awk '{ printf "%.3f", $1 / 1e9 }')
ge 0.3 "$s" && v=PASS || v=BELOW
row "mount + replay 100k entries (s)" "$s" "-" "-" "< 0.3 s" "$v"
"$FAMFS" fsck "$DIR/big.img" >/dev/null # warm
fts=()
for ((r = 0; r < RUNS; r++)); do
  t0=$(now)
  "$FAMFS" fsck "$DIR/big.img" >"$DIR/fsck.txt"
  t1=$(now)
  fts+=($((t1 - t0)))
done
grep -qF "# of log entries in use: 100000" "$DIR/fsck.txt" || { log "fsck did not see 100000 entries" && exit 1; }
s=$(printf '%s\n' "${fts[@]}" | median | awk '{ printf "%.3f", $1 / 1e9 }')
ge 0.3 "$s" && v=PASS || v=BELOW
row "famfs fsck 100k entries (s)" "$s" "-" "-" "< 0.3 s" "$v"

# ---------------------------------------------------------------------------------------------
table() {
  echo "| figure | ours | reference | ratio | goal | verdict |"
  echo "|---|---|---|---|---|---|"
  awk -F'|' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$RES"
}
table
echo
echo "read throughput against block size (MB/s): KiB famfs tmpfs"
cat "$SWEEP"

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
  echo "- machine: $(nproc) vCPU ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ { print $2 }') GiB RAM, kernel $(uname -r); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- command: \`BENCH_RUNS=$RUNS scripts/bench.sh\` (commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo "- each figure is the median of $RUNS runs; famfs and its reference alternate within a run, so load from other processes hits both alike"
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
