#!/usr/bin/env bash
# Formats every tracked C++ file with clang-format 14; --check only reports.
set -euo pipefail
cd "$(dirname "$0")/.."
cf=$(command -v clang-format-14 || command -v clang-format)
mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
if [ "${1:-}" = "--check" ]; then
  "$cf" --dry-run --Werror "${files[@]}"
else
  "$cf" -i "${files[@]}"
fi
