# Third-party dependencies: Debian packages only. A missing one fails with the package to install
# (scripts/setup.sh installs them all).
find_package(PkgConfig REQUIRED)

macro(famfs_require found package)
  if(NOT ${found})
    message(FATAL_ERROR "famfs needs the Debian package '${package}' (run scripts/setup.sh)")
  endif()
endmacro()

find_package(fmt QUIET)
famfs_require(fmt_FOUND libfmt-dev)
find_package(CLI11 QUIET)
famfs_require(CLI11_FOUND libcli11-dev)
pkg_check_modules(DEFLATE QUIET IMPORTED_TARGET libdeflate) # zlib's CRC-32, faster
famfs_require(DEFLATE_FOUND libdeflate-dev)
pkg_check_modules(XXHASH QUIET IMPORTED_TARGET libxxhash)
famfs_require(XXHASH_FOUND libxxhash-dev)
pkg_check_modules(DAXCTL QUIET IMPORTED_TARGET libdaxctl)
famfs_require(DAXCTL_FOUND libdaxctl-dev)
pkg_check_modules(BLKID QUIET IMPORTED_TARGET blkid)
famfs_require(BLKID_FOUND libblkid-dev)
find_package(Threads REQUIRED)
if(FAMFS_BUILD_TESTS)
  find_package(Catch2 2 QUIET)
  famfs_require(Catch2_FOUND catch2)
endif()
