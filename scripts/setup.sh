#!/usr/bin/env bash
# Install every build and test dependency of famfs from Debian packages.
# Idempotent: packages already present are left alone, and apt is only
# consulted when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libcli11-dev libfmt-dev libxxhash-dev catch2 libdaxctl-dev libblkid-dev libdeflate-dev uuid-dev
  fuse3 clang clang-format libclang-rt-14-dev
  python3 jq zstd util-linux procps man-db ccache e2fsprogs liburing-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
