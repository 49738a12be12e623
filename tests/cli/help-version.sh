#!/usr/bin/env bash
# famfs --version; famfs help and famfs help COMMAND (the same text as COMMAND --help) for every
# command; an unknown topic or command is a usage error in the message style, with a hint.
source "$(dirname "$0")/common.sh"

expect_exit 0 "$FAMFS" --version
grep -qE '^famfs [0-9]+\.[0-9]+\.[0-9]+' "$T/out" || die "--version: $(cat "$T/out")"

expect_exit 0 "$FAMFS" help
expect_stdout_contains "Subcommands:"
cmds=$(sed -n '/^Subcommands:/,$p' "$T/out" | awk 'NR > 1 && NF { print $1 }')
n=0
for c in $cmds; do
  [ "$c" = help ] || [ "$c" = completion ] && continue
  expect_exit 0 "$FAMFS" help "$c"
  mv "$T/out" "$T/help.txt"
  expect_exit 0 "$FAMFS" "$c" --help
  cmp -s "$T/help.txt" "$T/out" || die "famfs help $c differs from famfs $c --help"
  grep -q "^Usage: famfs $c" "$T/help.txt" || die "famfs help $c: $(head -1 "$T/help.txt")"
  n=$((n + 1))
done
[ "$n" -ge 13 ] || die "only $n commands"

expect_exit 2 "$FAMFS" help nosuch
[ "$(cat "$T/err")" = "famfs help: error: nosuch: no such command
hint: run 'famfs help' for the list of commands" ] || die "help nosuch: $(cat "$T/err")"
expect_exit 0 "$FAMFS" help help
expect_stdout_contains "Usage: famfs help"

# An unknown command is named, with the nearest known one when there is one.
expect_exit 2 "$FAMFS" create "$T/x"
[ "$(cat "$T/err")" = "famfs: error: unknown command 'create'; did you mean 'creat'?
hint: run 'famfs help' for the list of commands" ] || die "create: $(cat "$T/err")"
expect_exit 2 "$FAMFS" -v moutn "$T/x"
expect_stderr_contains "unknown command 'moutn'; did you mean 'mount'?"
expect_exit 2 "$FAMFS" xyzzyplugh
[ "$(head -1 "$T/err")" = "famfs: error: unknown command 'xyzzyplugh'" ] || die "$(cat "$T/err")"
expect_exit 2 "$FAMFS"
expect_stderr_contains "famfs: error: no command given"

# Parser errors in the house style, not CLI11's wording.
expect_exit 2 "$FAMFS" mkfs --nosuch "$T/x"
[ "$(cat "$T/err")" = "famfs mkfs: error: unknown option --nosuch
hint: run 'famfs mkfs --help'" ] || die "mkfs --nosuch: $(cat "$T/err")"
expect_exit 2 "$FAMFS" creat -r -S abc -s 4k "$T/x"
expect_stderr_contains "famfs creat: error: --seed: abc: not a valid value"
expect_exit 2 "$FAMFS" mount --threads 99 "$T/x" "$T/y"
expect_stderr_contains "famfs mount: error: --threads: 99: not in range 1 to 64"
expect_exit 2 "$FAMFS" mount --writable --read-only "$T/x" "$T/y"
expect_stderr_contains "famfs mount: error: --writable and --read-only cannot be used together"
expect_exit 2 "$FAMFS" mount "$T/x"
expect_stderr_contains "famfs mount: error: missing MOUNTPOINT"
if grep -rqE "Could not convert|is required|not expected|Value " "$T/err"; then
  die "CLI11 wording: $(cat "$T/err")"
fi
# --help shows no parser notes (validator ranges, Excludes:, Needs:).
for c in $cmds; do
  "$FAMFS" "$c" --help >"$T/h" || die "$c --help"
  if grep -qE "Excludes:|Needs:|Requires:| in \[|:UINT|:TEXT|:SIZE" "$T/h"; then
    die "famfs $c --help shows parser notes: $(grep -E 'Excludes:|Needs:| in \[|:UINT' "$T/h")"
  fi
done
