#!/usr/bin/env bash
# The main job, end to end on one machine: build famfs, make a file system in a file under
# /dev/shm, mount it, copy data in, and show it. Leaves the file system mounted for you to explore.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target famfs
famfs="$PWD/build/release/cli/famfs"

dev=/dev/shm/famfs-demo.img
mnt=/tmp/famfs-demo
"$famfs" umount "$mnt" 2>/dev/null || true
mkdir -p "$mnt"

run() {
  echo "\$ famfs $*"
  "$famfs" "$@"
}

run mkfs --force --size 1g "$dev"
run mount "$dev" "$mnt"
run mkdir "$mnt/docs"
run cp README.md "$mnt/docs/"
run cp -r man "$mnt/docs/man"
run creat --size 64m --randomize --seed 42 "$mnt/random.bin"
run verify --seed 42 "$mnt/random.bin"
echo "\$ ls -l $mnt $mnt/docs"
ls -l "$mnt" "$mnt/docs"
echo "\$ head -3 $mnt/docs/README.md"
head -3 "$mnt/docs/README.md"
echo "\$ cmp README.md $mnt/docs/README.md && echo identical"
cmp README.md "$mnt/docs/README.md" && echo identical
run fsck "$dev"
echo
echo "famfs is mounted on $mnt (backing file $dev). Unmount with: $famfs umount $mnt"
