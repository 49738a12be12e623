// Writes the seed corpus for fuzz_log: small valid images and a few damaged ones.
// Run once (build target famfs_fuzz_seeds) when the format changes; the output is committed.
#include "log/records.hpp"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

using namespace famfs::log;

namespace {

std::vector<std::byte> image(u64 slots, const std::vector<LogEntry>& entries) {
  const u64 log_len = k_log_header_size + slots * k_log_entry_size;
  std::vector<std::byte> img(k_superblock_size + log_len);
  Superblock sb;
  sb.log_len = log_len;
  sb.dev_size = 64 << 20;
  sb.dev_name = "/dev/shm/seed.img";
  encode_superblock(sb, img);
  std::span<std::byte> log(img.data() + k_superblock_size, log_len);
  LogHeader h = make_log_header(log_len);
  h.next_index = entries.size();
  h.next_seqnum = entries.size();
  encode_log_header(h, log);
  for (u64 i = 0; i < entries.size(); ++i) {
    LogEntry e = entries[i];
    e.seqnum = i;
    encode_entry(e, log.subspan(entry_offset(i), k_log_entry_size));
  }
  return img;
}

LogEntry dir(std::string p) {
  LogEntry e;
  e.type = EntryType::mkdir;
  e.body = MkdirEntry{0, 0, 0755, std::move(p)};
  return e;
}

LogEntry file(std::string p, u64 size, Fmap m) {
  LogEntry e;
  e.type = EntryType::file;
  FileEntry f;
  f.size = size;
  f.relpath = std::move(p);
  f.fmap = std::move(m);
  e.body = std::move(f);
  return e;
}

void write(const std::string& dir_path, const std::string& name, const std::vector<std::byte>& b) {
  std::ofstream out(dir_path + "/" + name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: famfs_fuzz_seeds DIR\n");
    return 2;
  }
  std::string d = argv[1];
  Fmap simple;
  simple.extents = {{0, 0xa00000, 0x200000}, {0, 0xe00000, 0x400000}};
  Fmap il;
  il.type = ExtType::interleaved;
  il.chunk_size = 0x200000;
  il.extents = {{0, 0x1000000, 0x400000}, {0, 0x1400000, 0x400000}};
  write(d, "empty", image(4, {}));
  write(d, "tree", image(6, {dir("a"), dir("a/b"), file("a/b/f", 4096, simple),
                             file("a/il", 0x500000, il), dir("a/../c")}));
  write(d, "dup-and-bad", image(5, {dir("x"), file("x", 1, simple), file("/abs", 1, simple),
                                    file("y", 1, simple), file("y", 2, simple)}));
  auto torn = image(3, {dir("a"), dir("b"), dir("c")});
  torn[k_superblock_size + entry_offset(1) + 20] ^= std::byte{0x40};
  write(d, "torn", torn);
  auto sb_only = image(2, {});
  sb_only.resize(k_superblock_size);
  write(d, "superblock-only", sb_only);
  return 0;
}
