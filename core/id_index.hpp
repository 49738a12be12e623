// IdIndex: a flat, open-addressing hash index of ids whose keys live elsewhere (the replayed
// tree's nodes, fsck's path table). It stores 8 bytes per slot, an id and 32 bits of its key's
// hash, and no key: a lookup gives the hash and a predicate that tells whether an id's key is the
// one sought. No allocation per id, so indexing a million names costs one array, not a million
// nodes. Ids are 1 .. 2^32 - 1 (0 marks an empty slot); there is no erase (replay only adds).
#pragma once

#include "log/format.hpp"
#include "log/result.hpp"

#include <cstddef>
#include <string_view>
#include <vector>

namespace famfs::core {

class IdIndex {
public:
  using Id = log::u32;

  // The id stored under `hash` for which `match(id)` is true; 0 when there is none.
  template <class Match> Id find(log::u64 hash, Match&& match) const {
    if (m_size == 0) {
      return 0;
    }
    const auto tag = static_cast<log::u32>(hash);
    for (std::size_t i = tag & m_mask;; i = (i + 1) & m_mask) {
      const Slot s = m_slots[i];
      if (s.id == 0) {
        return 0;
      }
      if (s.tag == tag && match(s.id)) {
        return s.id;
      }
    }
  }
  // Adds `id` (not 0) under `hash`. The caller has checked with find() that its key is new.
  void insert(log::u64 hash, Id id);
  // Room for `n` ids without growing.
  void reserve(std::size_t n);
  std::size_t size() const { return m_size; }
  // The bytes it holds (for memory figures).
  std::size_t memory() const { return m_slots.capacity() * sizeof(Slot); }

private:
  struct Slot {
    Id id = 0;
    log::u32 tag = 0; // the low 32 bits of the hash; its low bits are the home slot
  };
  void rehash(std::size_t slots);

  std::vector<Slot> m_slots; // a power of two in size, at most half full
  std::size_t m_mask = 0;
  std::size_t m_size = 0;
};

// The hash of a name (XXH3), and of a name inside a parent (the parent is the seed).
log::u64 name_hash(std::string_view name, log::u64 parent = 0);

} // namespace famfs::core
