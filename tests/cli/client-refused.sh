#!/usr/bin/env bash
# Only the master appends: on another host (another system UUID file) creat, mkdir and cp fail
# with an error naming both UUIDs, and nothing changes; reading commands still work there.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/tools_lib.sh"

img="$T/dev.img"
mkfs_img "$img" 64M
"$FAMFS" creat --device "$img" -s 1m -r -S 3 f
master=$(tr -d '\0' <"$FAMFS_SYSTEM_UUID_FILE")
printf '79c07b3f-5155-4b09-9ffa-ccb9ff775c82\0' >"$T/client_uuid"
export FAMFS_SYSTEM_UUID_FILE="$T/client_uuid"
cp "$img" "$T/before.img"

expect_exit 1 "$FAMFS" creat --device "$img" -s 1m g
expect_stderr_contains "famfs creat: error: $img: this host is a client of the file system (host 79c07b3f-5155-4b09-9ffa-ccb9ff775c82, master $master); only the master can change it"
expect_stderr_contains "hint: run the command on the master host"
expect_exit 1 "$FAMFS" mkdir --device "$img" d
expect_stderr_contains "master $master"
expect_exit 1 "$FAMFS" cp --device "$img" "$T/client_uuid" c
expect_stderr_contains "master $master"
# Re-creating or overwriting existing files needs the lock too.
expect_exit 1 "$FAMFS" creat --device "$img" -r -S 4 f
expect_file_eq "$T/before.img" "$img"

expect_exit 0 "$FAMFS" verify --device "$img" -S 3 f
expect_exit 0 "$FAMFS" getmap --device "$img" f
expect_exit 0 "$FAMFS" logplay "$img"
expect_stdout_contains "1 log entries; 1 files"
