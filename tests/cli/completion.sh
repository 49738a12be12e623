#!/usr/bin/env bash
# famfs completion prints a bash completion script built from the command definitions: it
# completes commands, each command's own options, and help topics.
source "$(dirname "$0")/common.sh"

"$FAMFS" completion >"$T/famfs.bash"
bash -n "$T/famfs.bash"
# shellcheck disable=SC1091
source "$T/famfs.bash"

complete_words() { # the words typed so far; the last one is being completed
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _famfs
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}

[ "$(complete_words famfs mk)" = "mkdir mkfs " ] || die "commands: $(complete_words famfs mk)"
[ "$(complete_words famfs mkfs --lo)" = "--loglen " ] || die "mkfs options"
[[ "$(complete_words famfs fsck --)" == *"--json"* ]] || die "fsck options"
[[ "$(complete_words famfs -v --system-uuid-file x mount --for)" == "--foreground " ]] || die "after globals"
[ "$(complete_words famfs help um)" = "umount " ] || die "help topics"
# Every command in --help is offered.
for c in $("$FAMFS" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF { print $1 }'); do
  [[ " $(complete_words famfs '') " == *" $c "* ]] || die "command $c not completed"
done
# Nothing more than --help shows: hidden options (mount --follow-batch) are not offered, and
# every option offered for a command appears in that command's --help.
[[ "$(complete_words famfs mount --follow-)" != *--follow-batch* ]] || die "hidden --follow-batch offered"
for c in $("$FAMFS" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF { print $1 }'); do
  help=$("$FAMFS" "$c" --help)
  for w in $(complete_words famfs "$c" -); do
    # Whole words of the option column (-h,-?,--help): "?" is no word character for \b.
    grep -qE -- "(^|[ ,])${w//\?/\\?}([ ,]|\$)" <<<"$help" || die "$c: completion offers $w, which $c --help does not show"
  done
done
