#!/bin/bash
# A path that leads outside the famfs is one mistake with one exit code (2, a usage error),
# whether it gets there with "..", through a symlink, or plainly; nothing is created.
source "$(dirname "$0")/common.sh"

fuse_mkfs "$T/dev.img" 64M
mkdir "$T/mnt" "$T/elsewhere"
famfs_mount "$T/dev.img" "$T/mnt"
expect_exit 0 "$FAMFS" mkdir "$T/mnt/dir"
ln -s "$T/elsewhere" "$T/out-link"
ln -s "$T/mnt/dir" "$T/in-link"

for p in "$T/mnt/../x" "$T/mnt/dir/../../x" "$T/out-link/x" "$T/in-link/../../x" "$T/elsewhere/x"; do
  expect_exit 2 "$FAMFS" creat -s 4k "$p"
  expect_stderr_contains "not in a famfs file system"
  expect_exit 2 "$FAMFS" mkdir "$p"
  expect_exit 2 "$FAMFS" cp "$FAMFS" "$p"
done
expect_exit 2 "$FAMFS" creat --device "$T/dev.img" -s 4k ../x
expect_stderr_contains "../x: path escapes the file system root"
expect_exit 2 "$FAMFS" creat --device "$T/dev.img" -s 4k dir/../../x
# Through a symlink that leads inside, the path is fine.
expect_exit 0 "$FAMFS" creat -s 4k "$T/in-link/y"
[ -f "$T/mnt/dir/y" ] || die "creat through a symlink into the mount"
[ -z "$(ls -A "$T/elsewhere")" ] || die "something was created outside: $(ls -A "$T/elsewhere")"
