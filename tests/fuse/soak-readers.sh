#!/usr/bin/env bash
# Soak: 16 reader processes read files through a mount in a loop, comparing every byte, for 60 s
# (FAMFS_SOAK_SECONDS) while a writer adds files on the master (famfs cp and famfs creat into
# the mount). Every new file must show up in the mount and be read too; no read may fail or
# return wrong bytes; and the daemon's memory stays flat: its anonymous resident memory
# (RssAnon: heap and stacks, not the device mapping's shared pages) may grow, between the end of
# a 10 s warm-up and the end of the soak, by at most 1 MiB plus 16 KiB per file added meanwhile.
#
# Why: with readers only, RssAnon does not move by a single page. Each added file legitimately
# costs memory for good (its tree node and map, its inode, and a longer listing in the directory
# snapshots the worker threads build in their own heaps): measured at about 7 KiB per file, so
# 16 KiB leaves room. A leak per request is caught: the readers make over a thousand requests a
# second (100 preads a round each, and the whole files), so 128 bytes lost per request is over
# 6 MiB after 50 s, above the bound (about 3.5 MiB with a file every 0.3 s). LeakSanitizer (the
# test command's ASan leg) catches what is lost outright.
source "$(dirname "$0")/common.sh"
command -v jq >/dev/null || skip "jq not installed"

secs=${FAMFS_SOAK_SECONDS:-60}
warmup=10
[ "$secs" -gt $((warmup + 5)) ] || die "FAMFS_SOAK_SECONDS must be above $((warmup + 5))"
readers=16

dir=$T
if [ -w /dev/shm ]; then
  dir=$(mktemp -d /dev/shm/famfs-soak.XXXXXX)
  at_exit "rm -rf '$dir'"
fi
img="$dir/dev.img"
fuse_mkfs "$img" 512M
mkdir -p "$T/src" "$T/ref"
for k in 0 1 2 3; do head -c $((300 * 1024 + k * 123457)) /dev/urandom >"$T/src/k$k"; done
# A file present from the start: every reader reads it in every round.
head -c $((4 * 1024 * 1024 + 5)) /dev/urandom >"$T/ref/base"
"$FAMFS" cp --device "$img" "$T/ref/base" base
"$FAMFS" mkdir --device "$img" new
# ASan: no quarantine (freed memory held back for use-after-free checks would keep growing through
# the soak and look like a leak); the other tests keep it.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
famfs_mount "$img" "$T/mnt"
daemon=$FAMFS_MOUNT_PID
mnt=$T/mnt
rss_anon() { awk '/^RssAnon:/ {print $2}' "/proc/$daemon/status"; }

# The list of files a reader checks: "NAME REF", appended by the writer once NAME is made.
echo "base $T/ref/base" >"$T/published"

# writer: every 0.3 s a new file in new/, alternately copied (cp) and made with a random
# pattern (creat -r; its reference is read from the device, bypassing the mount).
writer() {
  local i=0 name
  while [ ! -e "$T/stop" ]; do
    name=n$i
    if ((i % 2 == 0)); then
      "$FAMFS" cp "$T/src/k$((i / 2 % 4))" "$mnt/new/$name" || die "writer: cp $name"
      echo "new/$name $T/src/k$((i / 2 % 4))" >>"$T/published"
    else
      "$FAMFS" creat -s $((256 * 1024 + i * 1000)) -r -S $((i + 1)) "$mnt/new/$name" ||
        die "writer: creat $name"
      "$FAMFS" getmap --json --device "$img" "new/$name" >"$T/w.json" || die "writer: getmap"
      read -r off size < <(jq -r '.files[0] | "\(.extents[0].offset) \(.size)"' "$T/w.json")
      dd if="$img" iflag=skip_bytes,count_bytes skip="$off" count="$size" bs=1M status=none \
        >"$T/ref/$name"
      echo "new/$name $T/ref/$name" >>"$T/published"
    fi
    i=$((i + 1))
    sleep 0.3
  done
  echo "$i" >"$T/written"
}

# reader ID: rounds of: 100 random preads of the base file (mostly short: many requests), then
# the base file, the newest published file (which must be listed in new/), a random earlier one,
# and every file published since this reader's last round that no reader has claimed yet (a
# claim is a mkdir, so each file is read by one reader however slow the rounds get under load),
# each compared whole. Failures go to $T/errors.
# A round starts at most every $pace_us microseconds (a round that took longer starts the next
# at once): a soak, not a stress test, so the 16 readers leave about half of 2 CPUs to the tests
# and builds that run beside them (scripts/test.sh), and still make over a thousand requests a
# second. Flat out they took both CPUs for the whole minute.
pace_us=1500000
reader() {
  local id=$1 rounds=0 reads=0 n name ref seen=0 k next=${EPOCHREALTIME/./} now
  local -a list claimed
  while [ ! -e "$T/stop" ]; do
    now=${EPOCHREALTIME/./}
    if ((next > now)); then
      sleep "$(((next - now) / 1000000)).$(printf '%06d' $(((next - now) % 1000000)))"
    else
      next=$now
    fi
    next=$((next + pace_us))
    "$TT" pread-check "$mnt/base" "$T/ref/base" 100 $((id * 100000 + rounds)) 2>>"$T/errors" ||
      echo "reader $id: random preads of base failed" >>"$T/errors"
    mapfile -t list <"$T/published"
    n=${#list[@]}
    claimed=()
    for ((k = seen; k < n; k++)); do
      mkdir "$T/claim/$k" 2>/dev/null && claimed+=("${list[k]}")
    done
    seen=$n
    for entry in "${list[0]}" "${list[n - 1]}" "${list[RANDOM % n]}" "${claimed[@]}"; do
      name=${entry%% *}
      ref=${entry#* }
      if [ "$name" != base ]; then
        ls "$mnt/new" >"$T/ls.$id" || echo "reader $id: ls new/ failed" >>"$T/errors"
        grep -qx "${name#new/}" "$T/ls.$id" || echo "reader $id: $name not listed in new/" >>"$T/errors"
      fi
      if ! cmp -s "$mnt/$name" "$ref"; then
        echo "reader $id: $name: wrong data or read error" >>"$T/errors"
      fi
      reads=$((reads + 1))
      echo "$name" >>"$T/read.$id"
    done
    rounds=$((rounds + 1))
  done
  echo "$rounds $reads" >"$T/rounds.$id"
}

rm -f "$T/stop"
mkdir -p "$T/claim"
: >"$T/errors"
writer &
wpid=$!
at_exit "touch '$T/stop'; wait $wpid 2>/dev/null"
rpids=()
for ((r = 0; r < readers; r++)); do
  reader "$r" &
  rpids+=($!)
done

# Samples RssAnon every 2 s; the baseline is the sample at the end of the warm-up.
t0=$(date +%s)
base_rss=
max_rss=0
samples=()
while [ $(($(date +%s) - t0)) -lt "$secs" ]; do
  sleep 2
  kill -0 "$daemon" 2>/dev/null || die "the daemon died: $(tail -n 20 "$T/fuse.log")"
  rss=$(rss_anon)
  samples+=("$rss")
  if [ -z "$base_rss" ] && [ $(($(date +%s) - t0)) -ge "$warmup" ]; then
    base_rss=$rss
    base_files=$(wc -l <"$T/published")
  elif [ -n "$base_rss" ] && [ "$rss" -gt "$max_rss" ]; then
    max_rss=$rss
  fi
done
touch "$T/stop"
wait "$wpid" || die "the writer failed"
for p in "${rpids[@]}"; do wait "$p" || die "a reader failed"; done
rss=$(rss_anon)
[ "$rss" -gt "$max_rss" ] && max_rss=$rss

written=$(cat "$T/written")
bound_kib=$((1024 + 16 * ($(wc -l <"$T/published") - base_files)))
total_rounds=0
total_reads=0
for ((r = 0; r < readers; r++)); do
  read -r rounds reads <"$T/rounds.$r"
  total_rounds=$((total_rounds + rounds))
  total_reads=$((total_reads + reads))
  [ "$rounds" -ge 5 ] || die "reader $r made only $rounds rounds"
done
echo "$secs s: $written files added; $readers readers, $total_reads whole-file reads;" \
  "RssAnon (KiB) every 2 s: ${samples[*]}; growth after warm-up $((max_rss - base_rss)) KiB" \
  "(bound $bound_kib)"
if [ -s "$T/errors" ]; then
  sort "$T/errors" | uniq -c | head -n 20 >&2
  die "read errors"
fi
[ "$written" -ge 10 ] || die "the writer added only $written files"
# Every file the writer added was listed and read during the soak (but the last two, which may
# have come after the readers' last round).
sort -u "$T"/read.* >"$T/read.all"
head -n -2 "$T/published" | cut -d' ' -f1 | sort | comm -23 - "$T/read.all" >"$T/unread"
[ ! -s "$T/unread" ] || die "files added but never read: $(paste -sd' ' "$T/unread")"
# And all of them still read back right.
while read -r name ref; do
  cmp -s "$mnt/$name" "$ref" || die "$name: wrong data after the soak"
done <"$T/published"
[ $((max_rss - base_rss)) -le "$bound_kib" ] ||
  die "the daemon's RssAnon grew by $((max_rss - base_rss)) KiB after warm-up (bound $bound_kib)"
# The log is sound after the soak.
expect_exit 0 "$FAMFS" fsck "$img"
