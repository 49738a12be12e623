// core::IdIndex, the flat hash index under the replayed tree and fsck's path table: ids are
// found by hash and predicate, colliding hashes stay apart, growth keeps every id findable.
#include "core/id_index.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <string>
#include <vector>

using namespace famfs;
using famfs::core::IdIndex;
using famfs::core::name_hash;

namespace {

// Names with ids 1..n, indexed by name_hash.
struct Names {
  std::vector<std::string> names{""}; // id 0 is no id
  IdIndex index;

  IdIndex::Id add(std::string name, log::u64 hash) {
    names.push_back(std::move(name));
    const auto id = static_cast<IdIndex::Id>(names.size() - 1);
    index.insert(hash, id);
    return id;
  }
  IdIndex::Id find(const std::string& name, log::u64 hash) const {
    return index.find(hash, [&](IdIndex::Id id) { return names.at(id) == name; });
  }
};

} // namespace

TEST_CASE("core::IdIndex: an empty index finds nothing", "[core]") {
  IdIndex ix;
  CHECK(ix.size() == 0);
  CHECK(ix.find(42, [](IdIndex::Id) { return true; }) == 0);
}

TEST_CASE("core::IdIndex: many ids, growth from empty, every one found, absent ones not",
          "[core]") {
  Names n;
  const int count = 100000; // many rehashes on the way
  for (int i = 0; i < count; ++i) {
    std::string s = fmt::format("file{:07}", i);
    const log::u64 h = name_hash(s);
    CHECK(n.add(std::move(s), h) == static_cast<IdIndex::Id>(i + 1));
  }
  CHECK(n.index.size() == static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    const std::string s = fmt::format("file{:07}", i);
    if (n.find(s, name_hash(s)) != static_cast<IdIndex::Id>(i + 1)) {
      FAIL("file " << i << " not found under its id");
    }
  }
  for (const char* absent : {"file", "file0100000", "", "file000000"}) {
    CHECK(n.find(absent, name_hash(absent)) == 0);
  }
  // At most half full, 8 bytes a slot: under 32 bytes per id after growing by doubling.
  CHECK(n.index.memory() <= 32 * static_cast<std::size_t>(count));
}

TEST_CASE("core::IdIndex: equal hashes (whole or tag) are told apart by the predicate", "[core]") {
  Names n;
  const log::u64 same = 0x1234'5678'9abc'def0ULL;
  const auto a = n.add("a", same);
  const auto b = n.add("b", same);
  const auto c = n.add("c", same ^ (1ULL << 40)); // same low 32 bits (tag and home slot)
  CHECK(n.find("a", same) == a);
  CHECK(n.find("b", same) == b);
  CHECK(n.find("c", same ^ (1ULL << 40)) == c);
  CHECK(n.find("d", same) == 0);
  // Slots that wrap around the end of the table are found too.
  Names w;
  std::vector<IdIndex::Id> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(w.add(fmt::format("w{}", i), 15)); // home slot 15 of 16: wraps to 0, 1, ...
  }
  for (int i = 0; i < 6; ++i) {
    CHECK(w.find(fmt::format("w{}", i), 15) == ids[static_cast<std::size_t>(i)]);
  }
}

TEST_CASE("core::IdIndex: reserve keeps what is there and room for more", "[core]") {
  Names n;
  const auto x = n.add("x", name_hash("x"));
  n.index.reserve(1000);
  const std::size_t mem = n.index.memory();
  CHECK(mem >= 2000 * sizeof(log::u64));
  CHECK(n.find("x", name_hash("x")) == x);
  for (int i = 0; i < 999; ++i) {
    const std::string s = fmt::format("y{}", i);
    n.add(s, name_hash(s));
  }
  CHECK(n.index.memory() == mem); // no growth within the reservation
}

TEST_CASE("core::name_hash: the parent is part of the hash", "[core]") {
  CHECK(name_hash("f", 1) != name_hash("f", 2));
  CHECK(name_hash("f", 7) == name_hash("f", 7));
  CHECK(name_hash("f") == name_hash("f", 0));
}
