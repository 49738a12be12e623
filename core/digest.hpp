// Data digests for verify, cp --verify and check --data: XXH3 (64-bit) through one helper.
// Not the on-media checksums (those are zlib CRC32, log/format.hpp).
#pragma once

#include "log/le.hpp"

#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace famfs::core {

// XXH3-64 of `data` (seed 0).
log::u64 digest(std::span<const std::byte> data);

// The same digest over data that arrives in pieces: update() in order, then value().
class Digest {
public:
  Digest();
  Digest(Digest&&) noexcept;
  Digest& operator=(Digest&&) noexcept;
  ~Digest();
  void update(std::span<const std::byte> data);
  log::u64 value() const;

private:
  struct State;
  std::unique_ptr<State> m_state;
};

// 16 lower-case hex digits.
std::string digest_text(log::u64 d);

} // namespace famfs::core
