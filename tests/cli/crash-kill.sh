#!/usr/bin/env bash
# famfs creat and famfs cp killed with SIGKILL at random moments (20 runs, alternating): after
# each kill fsck finds either nothing (0) or only damage that fsck -y repairs (4, then -y 1, then
# 0); no file's extents overlap another's or the superblock and log; every file that made it into
# the log holds its data (creat: the seed's pattern; cp: the source bytes).
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"

dir=$T
if [ -w /dev/shm ]; then
  dir=$(mktemp -d /dev/shm/famfs-crash-kill.XXXXXX)
  at_exit "rm -rf '$dir'"
fi
img="$dir/dev.img"
mkfs_img "$img" 256M
mkdir -p "$dir/src/s"
for k in 1 2 3; do head -c $((1536 * 1024 + k * 4096)) /dev/urandom >"$dir/src/s/f$k"; done

# Run R: creat (R even) of c<R>_1..3 with seeds 10R+k, or cp (R odd) of src/s into p<R>/ (the
# directory made first, not killed). Both append their files as one batch after the data.
start_run() { # RUN
  local r=$1
  if [ $((r % 2)) = 0 ]; then
    "$FAMFS" creat --device "$img" -M "c${r}_1,2m,$((r * 10 + 1))" -M "c${r}_2,2m,$((r * 10 + 2))" \
      -M "c${r}_3,2m,$((r * 10 + 3))" >/dev/null 2>&1 &
  else
    "$FAMFS" mkdir --device "$img" "p$r"
    "$FAMFS" cp --device "$img" -r "$dir/src/s" "p$r/" >/dev/null 2>&1 &
  fi
  pid=$!
}
ms() { date +%s%3N; }

# After run $1: fsck clean, or repaired by -y; extents disjoint; the run's files hold their data.
# Sets run_files to the number of files the run left in the log.
check_run() { # RUN
  local r=$1 rc=0
  "$FAMFS" fsck "$img" >"$T/out" 2>"$T/err" || rc=$?
  case $rc in
  0) ;;
  4)
    repaired=$((repaired + 1))
    cat "$T/out" >&2
    expect_exit 1 "$FAMFS" fsck -y --backup "$T/backup.$r.img" "$img"
    expect_exit 0 "$FAMFS" fsck "$img"
    ;;
  *)
    cat "$T/out" "$T/err" >&2
    die "run $r: fsck exit $rc after the kill"
    ;;
  esac
  if grep -q "past the end of the log" "$T/out"; then
    uncommitted=$((uncommitted + 1))
  fi
  mapfile -t files < <("$FAMFS" logplay --json -v "$img" | jq -r '.created[] | select(test("^c|/f"))')
  "$FAMFS" getmap --json --device "$img" "${files[@]}" >"$T/maps.json"
  # No extent overlaps another, or the superblock and log (the first 10 MiB).
  jq -e '[.[] | (.extents // .strips)[] | {o: .offset, e: (.offset + .length)}] | sort_by(.o) as $x
         | ($x | length) as $n
         | $x[0].o >= 10485760 and ([range(1; $n)] | all(. as $i | $x[$i].o >= $x[$i - 1].e))' \
    "$T/maps.json" >/dev/null || die "run $r: overlapping extents: $(cat "$T/maps.json")"
  # The run's files: all three or none (one batch), each with its data.
  local mine
  mine=$(jq -r --arg c "c${r}_" --arg p "p$r/" \
    '[.[] | select((.relpath | startswith($c)) or (.relpath | startswith($p)))] | length' "$T/maps.json")
  [ "$mine" = 0 ] || [ "$mine" = 3 ] || die "run $r: $mine of its 3 files logged"
  run_files=$mine
  [ "$mine" = 3 ] || return 0
  if [ $((r % 2)) = 0 ]; then
    expect_exit 0 "$FAMFS" verify --device "$img" -q \
      -m "c${r}_1,$((r * 10 + 1))" -m "c${r}_2,$((r * 10 + 2))" -m "c${r}_3,$((r * 10 + 3))"
  else
    local k off size
    for k in 1 2 3; do
      read -r off size < <(jq -r --arg f "p$r/s/f$k" \
        '.[] | select(.relpath == $f) | "\(.extents[0].offset) \(.size)"' "$T/maps.json")
      dd if="$img" iflag=skip_bytes,count_bytes skip="$off" count="$size" bs=1M status=none |
        cmp -s - "$dir/src/s/f$k" || die "run $r: p$r/s/f$k logged without its data"
    done
  fi
}

repaired=0
uncommitted=0
interrupted=0
# Runs 0 and 1 are not killed: they tell how long each command takes.
t0=$(ms)
start_run 0
wait "$pid"
t1=$(ms)
start_run 1
wait "$pid"
t2=$(ms)
check_run 0
check_run 1
dur=($((t1 - t0 + 1)) $((t2 - t1 + 1)))
echo "creat takes ~${dur[0]} ms, cp ~${dur[1]} ms"

for run in $(seq 2 21); do
  start_run "$run"
  delay=$((RANDOM % dur[run % 2]))
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  kill -KILL "$pid" 2>/dev/null || true
  { wait "$pid" || true; } 2>/dev/null
  check_run "$run"
  [ "$run_files" = 3 ] || interrupted=$((interrupted + 1))
done
echo "20 kills: $interrupted runs interrupted before their files were logged; $repaired repairs;" \
  "$uncommitted left uncommitted entries"
# The kills must land inside the commands often enough for the test to mean something.
[ "$interrupted" -ge 2 ] || die "only $interrupted of 20 kills interrupted a command"
