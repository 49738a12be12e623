# Helpers for the creat/mkdir/cp/verify/logplay/getmap tests, sourced after common.sh.
command -v jq >/dev/null || skip "jq not installed"

# mkfs_img IMG SIZE [mkfs options...]: a fresh famfs on a sparse backing file.
mkfs_img() {
  local img=$1 size=$2
  shift 2
  rm -f "$img"
  "$FAMFS" mkfs --size "$size" "$@" "$img" >/dev/null
}

# nentries IMG: entries in the log (from logplay --json).
nentries() {
  "$FAMFS" logplay --json "$1" | jq -r .entries_used
}

# extract IMG RELPATH OUT: rebuilds a file's bytes straight from the backing file, following its
# map as getmap --json reports it and the kernel's interleave rule (spec §1.4): chunk c lives in
# strip c mod nstrips at offset (c div nstrips) * chunk. Independent of famfs's own readers.
extract() {
  local img=$1 rel=$2 out=$3 size type chunk line
  local -a ext=()
  {
    read -r size type chunk
    while read -r line; do ext+=("$line"); done
  } < <("$FAMFS" getmap --json --device "$img" "$rel" |
    jq -r '.files[0] | "\(.size) \(.type) \(.chunk_size // 0)", ((.extents // .strips)[] | "\(.offset) \(.length)")')
  : >"$out"
  if [ "$type" = simple ]; then
    local left=$size off len n
    for line in "${ext[@]}"; do
      read -r off len <<<"$line"
      [ "$left" -gt 0 ] || break
      n=$((len < left ? len : left))
      dd if="$img" iflag=skip_bytes,count_bytes skip="$off" count="$n" bs=1M status=none >>"$out"
      left=$((left - n))
    done
  else
    local nstrips=${#ext[@]} c=0 done_bytes=0 strip within n
    local -a offs=()
    for line in "${ext[@]}"; do offs+=("${line%% *}"); done
    while [ "$done_bytes" -lt "$size" ]; do
      strip=$((c % nstrips))
      within=$(((c / nstrips) * chunk))
      n=$((size - done_bytes < chunk ? size - done_bytes : chunk))
      dd if="$img" iflag=skip_bytes,count_bytes skip=$((offs[strip] + within)) count="$n" \
        bs=1M status=none >>"$out"
      done_bytes=$((done_bytes + n))
      c=$((c + 1))
    done
  fi
}

# fsck_clean IMG: famfs fsck exits 0.
fsck_clean() {
  expect_exit 0 "$FAMFS" fsck "$1"
}

# check RELPATH HOSTFILE: the famfs file RELPATH on $img holds exactly HOSTFILE's bytes.
check() { # famfs-relpath host-file
  extract "$img" "$1" "$T/got"
  cmp -s "$T/got" "$2" || die "$1 differs from $2"
}
