#!/usr/bin/env bash
# Installs a build tree into a temporary prefix, as `cmake --install` would for a user, and uses
# what it installed: the famfs binary, a man page through man(1), and the bash completion.
# Usage: scripts/check-install.sh BUILD_DIR   (scripts/test.sh runs it on what demo.sh built)
set -euo pipefail
build=${1:?usage: scripts/check-install.sh BUILD_DIR}
prefix=$(mktemp -d /tmp/famfs-install.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
fail() {
  echo "check-install: $*" >&2
  exit 1
}

cmake --install "$build" --prefix "$prefix" >"$prefix.log" 2>&1 ||
  fail "cmake --install $build failed: $(tail -3 "$prefix.log")"
rm -f "$prefix.log"

famfs="$prefix/bin/famfs"
[ -x "$famfs" ] || fail "no bin/famfs under the prefix"
version=$("$famfs" --version) || fail "the installed famfs --version failed"
echo "installed: $version"

page=$(find "$prefix" -path '*/man1/famfs-mount.1' -type f)
[ -n "$page" ] || fail "famfs-mount.1 is not installed"
MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q "famfs mount" ||
  fail "man -l $page does not show the famfs mount page"
echo "installed: man -l $(basename "$page") renders"

comp=$(find "$prefix" -path '*/bash-completion/completions/famfs' -type f)
[ -n "$comp" ] || fail "no bash completion installed"
# A fresh bash sources the installed script and completes "famfs mk" and "famfs mount --fo".
words=$(PATH="$prefix/bin:$PATH" bash -c '
  source "$1"
  complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
    _famfs; printf "%s " "${COMPREPLY[@]}"; }
  complete_words famfs mk; echo "|"; complete_words famfs fsck --js' _ "$comp")
[[ $words == *mkdir*"|"* && $words == *mkfs*"|"* && $words == *"|"*--json* ]] || fail "the installed completion offers '$words'"
echo "installed: bash completion completes commands and options"
