#!/usr/bin/env bash
# Names with control characters are never echoed raw: output quotes them as GNU ls and cp do
# ('a'$'\n''b'), and error messages escape them (a\nb).
source "$(dirname "$0")/common.sh"

img="$T/dev.img"
mkimg "$img" 64M
expect_exit 0 "$FAMFS" mkfs "$img"
nl=$'a\nb'
esc=$'red\e[31m'

expect_exit 0 "$FAMFS" creat -v --device "$img" -s 4k "$nl"
expect_stdout_contains "created 'a'\$'\\n''b': 4096 bytes"
expect_exit 0 "$FAMFS" mkdir -v --device "$img" "$esc"
expect_stdout_contains "created directory 'red'\$'\\033''[31m'"
expect_exit 0 "$FAMFS" getmap --device "$img" "$nl"
expect_stdout_contains "File:     'a'\$'\\n''b'"
expect_exit 1 "$FAMFS" creat --device "$img" -s 8k "$nl"
expect_stderr_contains "famfs creat: error: a\\nb: exists with size 4096, not 8192"
expect_exit 1 "$FAMFS" mkdir --device "$img" "$esc"
expect_stderr_contains "red\\033[31m: directory exists"
for f in "$T/out" "$T/err"; do
  not grep -q $'\e' "$f"
done
# Nothing raw anywhere: no ESC byte, and no line that is just "b..." from a split name.
expect_exit 0 "$FAMFS" creat -v --device "$img" -s 4k "$nl"
not grep -q $'\e' "$T/out" "$T/err"
[ "$(wc -l <"$T/out")" = 1 ] || die "a name split the output: $(cat "$T/out")"
