#include "core/id_index.hpp"

#include <xxhash.h>

#include <algorithm>
#include <bit>

namespace famfs::core {

void IdIndex::insert(log::u64 hash, Id id) {
  FAMFS_ASSERT(id != 0);
  if (2 * (m_size + 1) > m_slots.size()) {
    rehash(std::max<std::size_t>(16, 2 * m_slots.size()));
  }
  const auto tag = static_cast<log::u32>(hash);
  std::size_t i = tag & m_mask;
  while (m_slots[i].id != 0) {
    i = (i + 1) & m_mask;
  }
  m_slots[i] = Slot{id, tag};
  m_size++;
}

void IdIndex::reserve(std::size_t n) {
  const std::size_t want = std::bit_ceil(std::max<std::size_t>(16, 2 * n));
  if (want > m_slots.size()) {
    rehash(want);
  }
}

void IdIndex::rehash(std::size_t slots) {
  // The home slot is tag & mask, so a table of up to 2^32 slots re-homes ids from the tags alone.
  FAMFS_ASSERT(slots <= (std::size_t{1} << 32));
  std::vector<Slot> old = std::move(m_slots);
  m_slots.assign(slots, Slot{});
  m_mask = slots - 1;
  for (const Slot& s : old) {
    if (s.id != 0) {
      std::size_t i = s.tag & m_mask;
      while (m_slots[i].id != 0) {
        i = (i + 1) & m_mask;
      }
      m_slots[i] = s;
    }
  }
}

log::u64 name_hash(std::string_view name, log::u64 parent) {
  return XXH3_64bits_withSeed(name.data(), name.size(), parent);
}

} // namespace famfs::core
