// Log entries for the small file systems the FUSE tests serve (unit tests and the fuzz target):
// a directory, a file over a simple or an interleaved map. No test framework, so the libFuzzer
// target can use it too.
#pragma once

#include "log/records.hpp"

#include <string>
#include <utility>
#include <vector>

namespace famfs::test {

inline log::LogEntry file_entry(std::string path,
                                log::u64 size,
                                log::Fmap map,
                                log::u32 mode = 0644,
                                log::u32 uid = 0,
                                log::u32 gid = 0) {
  log::FileEntry f;
  f.relpath = std::move(path);
  f.size = size;
  f.mode = mode;
  f.uid = uid;
  f.gid = gid;
  f.fmap = std::move(map);
  log::LogEntry e;
  e.type = log::EntryType::file;
  e.body = std::move(f);
  return e;
}

inline log::LogEntry dir_entry(std::string path) {
  log::LogEntry e;
  e.type = log::EntryType::mkdir;
  e.body = log::MkdirEntry{0, 0, 0755, std::move(path)};
  return e;
}

inline log::Fmap simple(std::vector<log::Extent> extents) {
  log::Fmap m;
  m.type = log::ExtType::simple;
  m.extents = std::move(extents);
  return m;
}

inline log::Fmap interleaved(log::u64 chunk, std::vector<log::Extent> strips) {
  log::Fmap m;
  m.type = log::ExtType::interleaved;
  m.chunk_size = chunk;
  m.extents = std::move(strips);
  return m;
}

} // namespace famfs::test
