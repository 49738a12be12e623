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
expect_exit 2 "$FAMFS" nosuch
expect_stderr_contains "famfs: error: "
expect_stderr_contains "hint: run 'famfs --help'"
expect_exit 2 "$FAMFS" mkfs --nosuch "$T/x"
expect_stderr_contains "famfs mkfs: error: "
expect_stderr_contains "hint: run 'famfs mkfs --help'"
