#!/usr/bin/env bash
# famfs creat, cp and mkdir killed with SIGKILL at random moments (50 runs, the three kinds in
# turn; FAMFS_CRASH_RUNS sets another count: scripts/test.sh uses 20 in the sanitizer leg). Each run is a chain of three commands of one kind, started in its own process group and
# killed as a group somewhere inside the chain's expected duration. After each kill:
#  - fsck exits 0, or 4 with nothing but a torn or uncommitted log tail, which fsck -y repairs
#    (exit 1, then 0);
#  - the run left a prefix of what it asked for: its objects in the log are exactly the first k
#    it asked for, and k ends a command (each command appends one batch, all or nothing); every
#    earlier run is as it was left and nothing else is in the log;
#  - every file the run logged holds its data (creat: the seed's pattern; cp: the source bytes).
# Every 10 runs no file's extents may overlap another's or the superblock and log, and the image
# is mounted for real (FUSE): the mounted tree must be exactly the expected prefixes, every file
# read through the mount holding its data.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"

runs=${FAMFS_CRASH_RUNS:-50}
[ "$runs" -ge 15 ] || die "FAMFS_CRASH_RUNS must be 15 or more"
dir=$T
if [ -w /dev/shm ]; then
  dir=$(mktemp -d /dev/shm/famfs-crash-kill.XXXXXX)
  at_exit "rm -rf '$dir'"
fi
img="$dir/dev.img"
mkfs_img "$img" 1G
mkdir -p "$dir/src/s" "$dir/src/t"
for k in 1 2 3; do head -c $((256 * 1024 + k * 40960)) /dev/urandom >"$dir/src/s/f$k"; done
for k in 1 2; do head -c $((300 * 1024 + k * 4099)) /dev/urandom >"$dir/src/t/h$k"; done
can_mount=0
if [ -e /dev/fuse ] && [ "$(id -u)" -eq 0 ]; then
  can_mount=1
  export FAMFS_RUNTIME_DIR="$T/run"
fi

# make_run R: writes $T/run.sh (the chain: three commands of run R's kind, each bracketed by
# "start N" / "end N" lines in $T/state) and $T/asked (what the run asks for, in order: "N PATH"
# for command N). Records the seed of each creat file in seed[PATH] and the source of each cp
# file in source[PATH].
make_run() { # RUN
  local r=$1 n=r$1 f=$FAMFS i=$img
  local -a cmds=()
  : >"$T/asked"
  case $((r % 3)) in
  0) # mkdir: a deep -p path, three siblings, and another -p branch
    cmds=("\"$f\" mkdir --device \"$i\" -p $n/a/b/c/d/e"
      "\"$f\" mkdir --device \"$i\" $n/x $n/y $n/z"
      "\"$f\" mkdir --device \"$i\" -p $n/a/b/q/w")
    printf '1 %s\n' $n $n/a $n/a/b $n/a/b/c $n/a/b/c/d $n/a/b/c/d/e >>"$T/asked"
    printf '2 %s\n' $n/x $n/y $n/z >>"$T/asked"
    printf '3 %s\n' $n/a/b/q $n/a/b/q/w >>"$T/asked"
    ;;
  1) # creat: three files in one --multi batch, one single file, two more in a batch
    local s=$((r * 10))
    cmds=("\"$f\" creat --device \"$i\" -M $n-1,900k,$((s + 1)) -M $n-2,1m,$((s + 2)) -M $n-3,700k,$((s + 3))"
      "\"$f\" creat --device \"$i\" -s 1m -r -S $((s + 4)) $n-4"
      "\"$f\" creat --device \"$i\" -M $n-5,800k,$((s + 5)) -M $n-6,600k,$((s + 6))")
    printf '1 %s\n' $n-1 $n-2 $n-3 >>"$T/asked"
    printf '2 %s\n' $n-4 >>"$T/asked"
    printf '3 %s\n' $n-5 $n-6 >>"$T/asked"
    for k in 1 2 3 4 5 6; do seed[$n-$k]=$((s + k)); done
    ;;
  2) # cp: a tree to a new name, one file into it, another tree into it
    cmds=("\"$f\" cp --device \"$i\" -r \"$dir/src/s\" $n"
      "\"$f\" cp --device \"$i\" \"$dir/src/t/h1\" $n/g1"
      "\"$f\" cp --device \"$i\" -r \"$dir/src/t\" $n/")
    printf '1 %s\n' $n $n/f1 $n/f2 $n/f3 >>"$T/asked"
    printf '2 %s\n' $n/g1 >>"$T/asked"
    printf '3 %s\n' $n/t $n/t/h1 $n/t/h2 >>"$T/asked"
    for k in 1 2 3; do source[$n/f$k]=$dir/src/s/f$k; done
    source[$n/g1]=$dir/src/t/h1
    for k in 1 2; do source[$n/t/h$k]=$dir/src/t/h$k; done
    ;;
  esac
  {
    echo "exec >/dev/null 2>&1"
    for k in 1 2 3; do
      echo "echo start $k >>\"$T/state\"; ${cmds[k - 1]} || exit 1; echo end $k >>\"$T/state\""
    done
  } >"$T/run.sh"
}

# start_run RUN: starts the chain in its own session (so one kill reaches the famfs command too).
start_run() {
  make_run "$1"
  : >"$T/state"
  setsid bash "$T/run.sh" &
  pid=$!
}
ms() { date +%s%3N; }
declare -A seed=() source=()

# check_fsck RUN: fsck clean, or only a log tail that -y repairs.
check_fsck() {
  local r=$1 rc=0
  "$FAMFS" fsck --json "$img" >"$T/fsck.json" 2>"$T/err" || rc=$?
  case $rc in
  0) ;;
  4)
    jq -e '[.problems[] | select(.kind != "log_tail")] | length == 0' "$T/fsck.json" >/dev/null ||
      die "run $r: fsck found more than a torn tail: $(cat "$T/fsck.json")"
    repaired=$((repaired + 1))
    expect_exit 1 "$FAMFS" fsck -y --no-backup "$img"
    expect_exit 0 "$FAMFS" fsck "$img"
    ;;
  *)
    cat "$T/fsck.json" "$T/err" >&2
    die "run $r: fsck exit $rc after the kill"
    ;;
  esac
}

# check_run RUN: the run's objects are a command-aligned prefix of what it asked for, the whole
# log is the earlier runs plus that prefix, and the run's files hold their data. Appends the
# run's prefix to $T/expected and sets run_k (objects logged) and run_n (objects asked).
check_run() { # RUN
  local r=$1
  check_fsck "$r"
  "$FAMFS" logplay --json -v "$img" >"$T/logplay.json" || die "run $r: logplay failed"
  jq -r 'if .errors == 0 then .created[] else error("errors") end' "$T/logplay.json" \
    >"$T/created" || die "run $r: logplay: $(cat "$T/logplay.json")"
  # In one pass over the log (in order): the run's objects (r<R>, r<R>/..., r<R>-<k>) go to
  # $T/mine and must be the first k asked, k ending a command (one batch each); every other
  # object must be one of the earlier runs' ($T/expected), all of which must be there.
  : >"$T/mine"
  awk -v re="^r$r(/|-|\$)" -v mine="$T/mine" -v kn="$T/kn" '
    FILENAME == ARGV[1] { n++; cmd[n] = $1; path[n] = $2; next }
    FILENAME == ARGV[2] { want[$0] = 1; next }
    {
      seen[$0] = 1
      if ($0 ~ re) { k++; got[$0] = 1; print > mine }
      else if (!($0 in want)) { print "not asked for by an earlier run: " $0; bad = 1 }
    }
    END {
      for (p in want) if (!(p in seen)) { print "an earlier run lost " p; bad = 1 }
      for (i = 1; i <= k; i++)
        if (!(path[i] in got)) { print k " objects logged, not the first " k " asked"; bad = 1; break }
      if (k > 0 && k < n && cmd[k] == cmd[k + 1]) { print "command " cmd[k] " logged only part of its objects"; bad = 1 }
      print k + 0, n > kn
      exit bad
    }' "$T/asked" "$T/expected" "$T/created" >"$T/why" ||
    die "run $r: $(paste -sd';' "$T/why") (log: $(paste -sd' ' "$T/created"); asked: $(paste -sd',' "$T/asked"))"
  read -r run_k run_n <"$T/kn"
  cat "$T/mine" >>"$T/expected"

  # The run's files hold their data: creat files their seed's pattern, cp files the source's
  # bytes (compared straight from the backing file at the extent's offset).
  local -a vargs=() cps=()
  local p src off size
  while read -r p; do
    if [ -n "${seed[$p]:-}" ]; then
      vargs+=(-m "$p,${seed[$p]}")
    elif [ -n "${source[$p]:-}" ]; then
      cps+=("$p")
    fi
  done <"$T/mine"
  if [ "${#vargs[@]}" -gt 0 ]; then
    expect_exit 0 "$FAMFS" verify --device "$img" -q "${vargs[@]}"
  fi
  [ "${#cps[@]}" -gt 0 ] || return 0
  "$FAMFS" getmap --json --device "$img" "${cps[@]}" |
    jq -r '.files[] | "\(.relpath) \(.extents[0].offset) \(.size)"' >"$T/cpmaps"
  while read -r p off size; do
    src=${source[$p]}
    [ "$size" = "$(stat -c %s "$src")" ] || die "run $r: $p has size $size"
    cmp -s -i "$off:0" -n "$size" "$img" "$src" || die "run $r: $p logged without its data"
  done <"$T/cpmaps"
}

# check_extents: no logged file's extents overlap another's, or the superblock and log (the
# first 10 MiB).
check_extents() {
  local -a files=()
  local p
  while read -r p; do
    [ -z "${seed[$p]:-}${source[$p]:-}" ] || files+=("$p")
  done <"$T/expected"
  [ "${#files[@]}" -gt 0 ] || return 0
  "$FAMFS" getmap --json --device "$img" "${files[@]}" >"$T/maps.json"
  jq -e '[.files[] | (.extents // .strips)[] | {o: .offset, e: (.offset + .length)}] | sort_by(.o) as $x
         | ($x | length) as $n
         | $x[0].o >= 10485760 and ([range(1; $n)] | all(. as $i | $x[$i].o >= $x[$i - 1].e))' \
    "$T/maps.json" >/dev/null || die "overlapping extents: $(cat "$T/maps.json")"
}

# check_mount: mounts the image; the mounted tree is exactly $T/expected, and every file not
# read through an earlier mount is read through this one and holds its data.
declare -A read_back=()
check_mount() {
  [ "$can_mount" = 1 ] || return 0
  local mnt="$T/mnt" p
  mkdir -p "$mnt"
  expect_exit 0 "$FAMFS" mount "$img" "$mnt"
  at_exit "\"$FAMFS\" umount \"$mnt\" 2>/dev/null"
  (cd "$mnt" && find . -mindepth 1 ! -name '.meta' ! -path './.meta/*' | sed 's|^\./||' | sort) >"$T/mounted"
  sort "$T/expected" | cmp -s "$T/mounted" - ||
    die "mounted tree differs from the expected prefixes: $(sort "$T/expected" | diff - "$T/mounted" | paste -sd' ')"
  local -a vargs=()
  mkdir -p "$T/readback"
  while read -r p; do
    [ -z "${read_back[$p]:-}" ] || continue
    if [ -n "${seed[$p]:-}" ]; then
      # verify reads a famfs file from the device: check a copy read through the mount instead.
      cat "$mnt/$p" >"$T/readback/${p//\//_}"
      vargs+=(-m "$T/readback/${p//\//_},${seed[$p]}")
    elif [ -n "${source[$p]:-}" ]; then
      cmp -s "$mnt/$p" "${source[$p]}" || die "mounted $p differs from its source"
    fi
    read_back[$p]=1
  done <"$T/expected"
  if [ "${#vargs[@]}" -gt 0 ]; then
    expect_exit 0 "$FAMFS" verify -q "${vargs[@]}"
  fi
  rm -rf "$T/readback"
  expect_exit 0 "$FAMFS" umount "$mnt"
  mounts=$((mounts + 1))
}

repaired=0
mounts=0
interrupted=0
: >"$T/expected"
declare -A killed=([mkdir]=0 [creat]=0 [cp]=0)
kinds=(mkdir creat cp)
# Runs 0 to 2 are not killed: they tell how long each kind of chain takes.
declare -a dur=()
for run in 0 1 2; do
  t0=$(ms)
  start_run "$run"
  wait "$pid" || die "run $run failed"
  dur[run]=$(($(ms) - t0 + 1))
  check_run "$run"
  [ "$run_k" = "$run_n" ] || die "run $run: $run_k of $run_n objects logged"
done
echo "chains take ~${dur[0]} ms (mkdir), ~${dur[1]} ms (creat), ~${dur[2]} ms (cp)"

for run in $(seq 3 $((runs + 2))); do
  start_run "$run"
  # The delay counts from the chain's first command (bash's own start-up is no part of it, and
  # takes long on a loaded machine).
  for _ in $(seq 500); do [ -s "$T/state" ] && break; sleep 0.01; done
  delay=$((RANDOM % dur[run % 3]))
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  kill -KILL -- "-$pid" 2>/dev/null || true
  { wait "$pid" || true; } 2>/dev/null
  # Killed inside a command when the chain's last word is "start".
  last=$(tail -n1 "$T/state")
  if [ "${last%% *}" = start ]; then
    killed[${kinds[run % 3]}]=$((killed[${kinds[run % 3]}] + 1))
  elif [ "$last" = "end 3" ]; then
    # The chain ended before the kill: chains run faster now than when they were timed.
    dur[run % 3]=$((dur[run % 3] * 3 / 4 + 1))
  fi
  check_run "$run"
  [ "$run_k" = "$run_n" ] || interrupted=$((interrupted + 1))
  if [ $(((run - 2) % 10)) = 0 ]; then
    check_extents
    check_mount
  fi
done
echo "$runs kills: inside mkdir ${killed[mkdir]}, creat ${killed[creat]}, cp ${killed[cp]};" \
  "$interrupted runs left a strict prefix; $repaired torn tails repaired; $mounts mounts checked"
# The kills must land inside the commands of each kind, and cut runs short, often enough for
# the test to mean something.
for k in mkdir creat cp; do
  [ "${killed[$k]}" -ge $((runs / 15)) ] || die "only ${killed[$k]} kills landed inside a $k command"
done
[ "$interrupted" -ge $((runs / 10)) ] || die "only $interrupted of $runs kills cut a run short"
