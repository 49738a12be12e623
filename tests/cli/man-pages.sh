#!/usr/bin/env bash
# Drift test: every command in `famfs --help` has a man page with the required sections, every
# long and short option that a command's --help shows appears in that page (and the global
# options in famfs.1), and every page is listed in famfs.1.
source "$(dirname "$0")/common.sh"
man_dir="$(dirname "$0")/../../man"

page_text() { sed 's/\\-/-/g; s/\\f[BIRP]//g' "$1"; }

check_options() { # HELP_TEXT PAGE
  local opts
  opts=$(grep -oE -- '--[a-z][a-z0-9-]+' <<<"$1" | sort -u)
  local text
  text=$(page_text "$2")
  for o in $opts; do
    [ "$o" = "--help" ] && continue
    grep -qF -- "$o" <<<"$text" || die "$(basename "$2") does not document $o"
  done
  # Short options: the first column of CLI11's option lines ("  -s,--size SIZE  ...").
  local shorts
  shorts=$(grep -E '^ +-' <<<"$1" | awk '{ print $1 }' | tr ',' '\n' | grep -E '^-[A-Za-z]$' | sort -u)
  [ -n "$shorts" ] || die "no short options found in the --help of $(basename "$2")"
  for o in $shorts; do
    [ "$o" = "-h" ] && continue
    grep -qE -- "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|\$)" <<<"$text" ||
      die "$(basename "$2") does not document $o"
  done
}

top=$("$FAMFS" --help)
check_options "$(sed -n '1,/^Subcommands:/p' <<<"$top")" "$man_dir/famfs.1"
cmds=$(sed -n '/^Subcommands:/,$p' <<<"$top" | awk 'NR > 1 && NF { print $1 }')
[ -n "$cmds" ] || die "no commands found in famfs --help"
# Read once: `page_text | grep -q` fails under pipefail once the page outgrows a pipe write
# (grep exits at the first match and sed gets SIGPIPE).
top_page=$(page_text "$man_dir/famfs.1")
n=0
for c in $cmds; do
  if [ "$c" = "help" ] || [ "$c" = "completion" ]; then
    grep -q "^\.B $c" <<<"$top_page" || die "famfs.1 does not describe $c"
    continue
  fi
  page="$man_dir/famfs-$c.1"
  [ -f "$page" ] || die "no man page for famfs $c ($page)"
  grep -qF "famfs-$c" <<<"$top_page" || die "famfs.1 does not list famfs-$c"
  for section in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES "SEE ALSO"; do
    grep -q "^\.SH \"\?$section" "$page" || die "famfs-$c.1 lacks the $section section"
  done
  check_options "$("$FAMFS" "$c" --help)" "$page"
  n=$((n + 1))
done
# No page without a command (a removed command's page would be installed forever); a hidden
# command (clone) has a page too, and its options are in it.
for page in "$man_dir"/famfs-*.1; do
  c=$(basename "$page" .1)
  c=${c#famfs-}
  grep -qx "$c" <<<"$cmds" && continue
  help=$("$FAMFS" help "$c" 2>/dev/null) || die "$(basename "$page") documents no famfs command"
  grep -qE -- "--[a-z]" <<<"$help" && check_options "$help" "$page"
done
echo "man pages: $n commands checked"
