#!/usr/bin/env bash
# Multi-host famfs in virtual machines: two QEMU guests (TCG, no KVM needed), each with its own
# kernel, share memory files in /dev/shm as ACPI NFIT nvdimms, and run famfs on them as two
# hosts (tests/vm/scenarios.sh). ctest label vm (tests/CMakeLists.txt, -DFAMFS_VM_TESTS=ON).
#
# usage: scripts/vm.sh setup BUILD_DIR     packages, kernel and initramfs (idempotent)
#        scripts/vm.sh run BUILD_DIR       setup, then boot the guests and run every scenario;
#                                          writes BUILD_DIR/vm/results (one line per check)
#        scripts/vm.sh result BUILD_DIR SCENARIO
#                                          exit 0 when SCENARIO ran to its end with no failed
#                                          check (prints its lines)
#        scripts/vm.sh fsdev BUILD_DIR     boot one guest on Debian sid's 7.2 kernel (its
#                                          fsdev_dax driver: famfs mode) and run
#                                          tests/vm/fsdev-guest.sh; writes BUILD_DIR/vm/fsdev.results
#                                          and exits 0 when every check passed. The kernel
#                                          packages come from a private apt configuration
#                                          under BUILD_DIR/vm/sid (the machine's apt sources are
#                                          never touched), verified with its Debian keyring.
# Environment:
#   FAMFS_VM_KERNEL  the Debian kernel package to boot: a package name (default: the one that
#                    linux-image-amd64 depends on, e.g. linux-image-6.1.0-57-amd64) or the path of
#                    a downloaded .deb. It is fetched with `apt-get download` and unpacked with
#                    `dpkg -x` into BUILD_DIR/vm/kernel/PACKAGE, never installed on this machine.
#                    Compressed modules (.ko.xz, .ko.zst) and a built-in FUSE are handled.
#   FAMFS            the famfs binary to pack (default BUILD_DIR/cli/famfs)
#   FAMFS_VM_KEEP=1  keep the shared memory files and the guests' transcripts after the run.
# Needs root (apt-get) only for the packages: qemu-system-x86 busybox-static cpio ndctl daxctl.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VM_PACKAGES=(qemu-system-x86 busybox-static cpio ndctl daxctl)
# Modules each guest needs, in the order they are loaded (their dependencies come first).
NVDIMM_MODULES=(libnvdimm nd_btt nd_pmem device_dax dax_pmem nfit)
FUSE_MODULES=(fuse)

log() { echo "vm.sh: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

install_packages() {
  local p missing=()
  for p in "${VM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } ||
    die "could not install ${missing[*]} (apt-get install)"
}

# The package linux-image-amd64 depends on (the current stable kernel).
default_kernel_package() {
  local p
  p=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')
  if [ -z "$p" ]; then
    apt-get update -qq >/dev/null 2>&1 || true
    p=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')
  fi
  [ -n "$p" ] || die "apt-cache knows no linux-image-amd64 (set FAMFS_VM_KERNEL to a package or .deb)"
  echo "$p"
}

# fetch_kernel DIR: unpacks the kernel package into DIR/root (once) with decompressed modules and
# a modules.dep; prints DIR/root.
fetch_kernel() {
  local dir=$1 want=${FAMFS_VM_KERNEL:-} name deb
  if [ -z "$want" ]; then # resolved once per build tree (apt-cache takes seconds)
    [ -s "$dir/default" ] || { mkdir -p "$dir" && default_kernel_package >"$dir/default"; }
    want=$(cat "$dir/default")
  fi
  name=$(basename "$want" .deb)
  dir=$dir/$name
  if [ ! -e "$dir/.done" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ -f "$want" ]; then
      deb=$want
    else
      log "downloading $want (apt-get download; not installed)"
      (cd "$dir" && apt-get download "$want" >/dev/null 2>&1) ||
        { apt-get update -qq >/dev/null 2>&1 && (cd "$dir" && apt-get download "$want" >/dev/null); } ||
        die "apt-get download $want failed"
      deb=$(ls "$dir"/*.deb)
    fi
    dpkg -x "$deb" "$dir/root"
    [ -f "$want" ] || rm -f "$deb"
    prepare_modules "$dir/root"
    extract_vmlinux "$(ls "$dir"/root/boot/vmlinuz-* | head -n 1)" "$dir/vmlinux"
    touch "$dir/.done"
  fi
  echo "$dir/root"
}

# extract_vmlinux BZIMAGE OUT: the uncompressed kernel (an ELF image that QEMU boots through its
# PVH entry point): under TCG a kernel spends ~15 s decompressing itself. Falls back to a copy of
# BZIMAGE when no compressed payload is found.
extract_vmlinux() {
  local magic off tool
  for magic in '\xfd7zXZ\x00:xz' '\x28\xb5\x2f\xfd:zstd' '\x1f\x8b\x08\x00:gzip'; do
    tool=${magic##*:}
    off=$(LC_ALL=C grep -obUaP "${magic%:*}" "$1" | head -n 1 | cut -d: -f1)
    [ -n "$off" ] || continue
    tail -c +$((off + 1)) "$1" | $tool -dc 2>/dev/null >"$2" || true
    [ "$(head -c 4 "$2" | od -An -c | tr -d ' ')" = '177ELF' ] && return 0
  done
  cp "$1" "$2"
}

# prepare_modules ROOT: decompresses .ko.xz/.ko.zst modules (busybox insmod takes plain .ko) and
# writes modules.dep with busybox depmod (the package leaves that to its postinst).
prepare_modules() {
  local kdir
  kdir=$(ls -d "$1"/lib/modules/*/ 2>/dev/null | head -n 1)
  [ -n "$kdir" ] || die "the kernel package has no lib/modules"
  find "$kdir" -name '*.ko.xz' -print0 | xargs -0 -r xz -d
  find "$kdir" -name '*.ko.zst' -print0 | xargs -0 -r zstd -q -d --rm
  find "$kdir" -name '*.ko.gz' -print0 | xargs -0 -r gzip -d
  busybox depmod -b "$1" "$(basename "$kdir")"
}

# module_order KDIR NAME...: the module files to insmod for NAME... (dependencies first, each
# once), as paths relative to KDIR; built-in modules give nothing.
module_order() {
  local kdir=$1 name
  shift
  declare -A seen=()
  visit() {
    local path=$1 dep
    [ -z "${seen[$path]:-}" ] || return 0
    seen[$path]=1
    for dep in $(awk -v p="$path:" '$1 == p { $1 = ""; print }' "$kdir/modules.dep"); do
      visit "$dep"
    done
    echo "$path"
  }
  for name in "$@"; do
    local path
    path=$(awk -F: -v n="/$name.ko" 'substr($1, length($1) - length(n) + 1) == n { print $1; exit }' \
      "$kdir/modules.dep")
    if [ -z "$path" ]; then
      grep -q "/$name.ko\$" "$kdir/modules.builtin" || die "kernel has no module $name"
      continue
    fi
    visit "$path"
  done
}

# copy_with_libs STAGE FILE...: FILE (stripped) into STAGE/bin, and the shared libraries it needs
# (ldd) at their own paths.
copy_with_libs() {
  local stage=$1 f lib
  shift
  for f in "$@"; do
    strip -o "$stage/bin/$(basename "$f")" "$f"
    for lib in $(ldd "$f" | awk '/=> \// { print $3 } /^\t\/[^ ]* \(/ { print $1 }'); do
      mkdir -p "$stage/$(dirname "$lib")"
      cp -L "$lib" "$stage/$lib"
    done
  done
}

# build_initramfs KROOT FAMFS OUT: busybox, famfs, ndctl, the modules and /init, as a newc cpio
# (uncompressed: unpacking is faster than decompressing under TCG). Also writes OUT.tree.sha256,
# the digests of the test tree it packs at /data/tree.
build_initramfs() {
  local kroot=$1 famfs=$2 out=$3 stage kdir m list
  stage=$(mktemp -d)
  kdir=$(ls -d "$kroot"/lib/modules/*/ | head -n 1)
  mkdir -p "$stage"/{bin,sbin,proc,sys,dev,tmp,run,mnt,lib/modules,data/tree/sub/deeper,etc}
  cp /bin/busybox "$stage/bin/busybox"
  for m in $(busybox --list); do
    [ "$m" = busybox ] || ln -s busybox "$stage/bin/$m"
  done
  copy_with_libs "$stage" "$famfs" "$(command -v ndctl)"
  cp "$ROOT/tests/vm/guest-init.sh" "$stage/init"
  chmod 755 "$stage/init"
  for list in nvdimm fuse; do
    local -n names=${list^^}_MODULES
    : >"$stage/lib/modules/$list.list"
    for m in $(module_order "$kdir" "${names[@]}"); do
      cp "$kdir/$m" "$stage/lib/modules/"
      basename "$m" >>"$stage/lib/modules/$list.list"
    done
  done
  # The tree that scenario verify copies in: odd sizes, a nested directory, an empty file.
  head -c 1234567 /dev/urandom >"$stage/data/tree/a.bin"
  head -c 4096 /dev/urandom >"$stage/data/tree/sub/page"
  head -c 1000001 /dev/urandom >"$stage/data/tree/sub/deeper/big"
  echo "famfs across two kernels" >"$stage/data/tree/sub/note.txt"
  (cd "$stage/data" && find tree -type f | sort | xargs sha256sum) >"$out.tree.sha256"
  (cd "$stage" && find . | cpio -o -H newc --quiet) >"$out.tmp"
  mv "$out.tmp" "$out"
  rm -rf "$stage"
}

# setup BUILD: prints the paths of the kernel image and the initramfs.
setup() {
  local build=$1 vmdir kroot kernel
  vmdir=$build/vm
  local famfs=${FAMFS:-$build/cli/famfs}
  [ -x "$famfs" ] || die "$famfs is missing (build the famfs target first)"
  install_packages
  mkdir -p "$vmdir"
  kroot=$(fetch_kernel "$vmdir/kernel")
  kernel=$(dirname "$kroot")/vmlinux
  [ -s "$kernel" ] || die "no kernel image in the kernel package"
  build_initramfs "$kroot" "$famfs" "$vmdir/initrd.cpio"
  echo "$kernel $vmdir/initrd.cpio"
}

# result BUILD SCENARIO: the scenario's lines; fails unless it ended and no check failed.
result() {
  local file=$1/vm/results scen=$2
  [ -f "$file" ] || die "no results in $file (the fixture vm.boot did not run)"
  grep "^$scen " "$file" || true
  grep -q "^$scen .* FAIL" "$file" && return 1
  grep -q "^$scen .* PASS" "$file" || die "$scen: no check passed"
  grep -q "^$scen END\$" "$file" || die "$scen: did not run to its end"
}

# The famfs-mode guest: Debian sid's 7.2 kernel has CONFIG_DEV_DAX_FSDEV=m (the fsdev_dax driver)
# and no FUSE famfs; its files are split over three packages, with the merged-/usr layout.
SID_KERNEL=7.2.13+deb14-amd64
SID_PACKAGES=(linux-binary-$SID_KERNEL linux-base-$SID_KERNEL linux-modules-$SID_KERNEL)
FSDEV_MODULES=(libnvdimm nd_btt nd_pmem device_dax dax_pmem nfit fsdev_dax) # dependencies first

# fetch_sid_kernel DIR: the sid kernel packages fetched with a private apt configuration and
# unpacked into DIR/root (once); the modules FSDEV_MODULES decompressed into DIR/mods and the
# uncompressed kernel in DIR/vmlinux.
fetch_sid_kernel() {
  local dir=$1 apt m f
  [ -e "$dir/.done" ] && return 0
  rm -rf "$dir"
  mkdir -p "$dir"/{lists/partial,archives/partial,debs,root,mods}
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main" \
    >"$dir/sources.list"
  : >"$dir/status"
  apt=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=/nonexistent
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir" -o "Dir::Cache::archives=$dir/archives"
    -o "Dir::State::status=$dir/status" -o APT::Architecture=amd64 -o Acquire::Languages=none)
  log "fetching ${SID_PACKAGES[*]} (private apt configuration in $dir)"
  apt-get "${apt[@]}" update >"$dir/apt.log" 2>&1 || die "apt-get update (sid) failed: $(tail -n 3 "$dir/apt.log")"
  (cd "$dir/debs" && apt-get "${apt[@]}" download "${SID_PACKAGES[@]}") >>"$dir/apt.log" 2>&1 ||
    die "apt-get download failed: $(tail -n 3 "$dir/apt.log")"
  for f in "$dir"/debs/*.deb; do dpkg -x "$f" "$dir/root"; done
  rm -f "$dir"/debs/*.deb
  for m in "${FSDEV_MODULES[@]}"; do
    f=$(find "$dir/root" -name "$m.ko*" -print -quit)
    [ -n "$f" ] || die "the $SID_KERNEL packages have no module $m"
    case $f in
    *.xz) xz -dc "$f" ;;
    *.zst) zstd -qdc "$f" ;;
    *) cat "$f" ;;
    esac >"$dir/mods/$m.ko"
  done
  f=$(find "$dir/root/usr/lib/modules" "$dir/root/boot" -name 'vmlinuz*' -print -quit 2>/dev/null || true)
  [ -n "$f" ] || die "no vmlinuz in the $SID_KERNEL packages"
  extract_vmlinux "$f" "$dir/vmlinux" || true # its probes fail on purpose (no errexit there)
  [ -s "$dir/vmlinux" ] || die "could not unpack $f"
  touch "$dir/.done"
}

# fsdev BUILD: boots the famfs-mode guest once and checks its results.
fsdev() {
  local build=$1 dir=$1/vm/sid stage mem out famfs=${FAMFS:-$1/cli/famfs} m
  [ -x "$famfs" ] || die "$famfs is missing (build the famfs target first)"
  install_packages
  fetch_sid_kernel "$dir"
  stage=$(mktemp -d)
  mkdir -p "$stage"/{bin,sbin,proc,sys,dev,tmp,run,mnt,lib/modules,etc}
  cp /bin/busybox "$stage/bin/busybox"
  for m in $(busybox --list); do
    [ "$m" = busybox ] || ln -s busybox "$stage/bin/$m"
  done
  copy_with_libs "$stage" "$famfs" "$(command -v ndctl)"
  for m in "${FSDEV_MODULES[@]}"; do
    cp "$dir/mods/$m.ko" "$stage/lib/modules/"
    echo "$m.ko" >>"$stage/lib/modules/list"
  done
  install -m 755 "$ROOT/tests/vm/fsdev-guest.sh" "$stage/init"
  (cd "$stage" && find . | cpio -o -H newc --quiet) >"$dir/initrd.cpio"
  rm -rf "$stage"
  mem=$(mktemp /dev/shm/famfs-fsdev.XXXXXX)
  truncate -s 256M "$mem"
  out=$build/vm/fsdev.console
  log "booting $SID_KERNEL (TCG)"
  timeout 300 qemu-system-x86_64 -machine pc,nvdimm=on -accel tcg -smp 1 -m 512M,slots=4,maxmem=4G \
    -display none -monitor none -no-reboot -kernel "$dir/vmlinux" -initrd "$dir/initrd.cpio" \
    -append "console=ttyS0 quiet panic=-1" \
    -object "memory-backend-file,id=m0,share=on,mem-path=$mem,size=256M" -device nvdimm,id=n0,memdev=m0 \
    -serial "file:$out" >"$build/vm/fsdev.qemu" 2>&1 || true
  rm -f "$mem"
  grep -a '^CHECK' "$out" | tr -d '\r' >"$build/vm/fsdev.results" || true
  cat "$build/vm/fsdev.results"
  grep -q '^CHECK-END' "$build/vm/fsdev.results" || die "the guest did not run to its end (see $out)"
  ! grep -q '^CHECK .* FAIL' "$build/vm/fsdev.results" || die "checks failed"
}

main() {
  local cmd=${1:-} build=${2:-}
  [ -n "$build" ] || die "usage: scripts/vm.sh setup|run|result|fsdev BUILD_DIR [SCENARIO]"
  build=$(cd "$build" && pwd)
  case $cmd in
  setup) setup "$build" ;;
  run)
    local boot
    boot=$(setup "$build")
    # shellcheck source=tests/vm/scenarios.sh
    source "$ROOT/tests/vm/scenarios.sh"
    set +e # a failed check is a results line, not the end of the run
    run_all "$build/vm" $boot
    set -e
    result "$build" boot # the guests came up and found their devices
    ;;
  result) result "$build" "${3:?scenario}" ;;
  fsdev) fsdev "$build" ;;
  *) die "usage: scripts/vm.sh setup|run|result|fsdev BUILD_DIR [SCENARIO]" ;;
  esac
}

main "$@"
