#include "core/digest.hpp"

#include "log/result.hpp"

#include <fmt/format.h>
#include <xxhash.h>

namespace famfs::core {

log::u64 digest(std::span<const std::byte> data) {
  return XXH3_64bits(data.data(), data.size());
}

struct Digest::State {
  XXH3_state_t* st = nullptr;
};

Digest::Digest() : m_state(std::make_unique<State>()) {
  m_state->st = XXH3_createState();
  FAMFS_ASSERT(m_state->st != nullptr);
  XXH3_64bits_reset(m_state->st);
}

Digest::Digest(Digest&&) noexcept = default;
Digest& Digest::operator=(Digest&&) noexcept = default;

Digest::~Digest() {
  if (m_state && m_state->st != nullptr) {
    XXH3_freeState(m_state->st);
  }
}

void Digest::update(std::span<const std::byte> data) {
  XXH3_64bits_update(m_state->st, data.data(), data.size());
}

log::u64 Digest::value() const {
  return XXH3_64bits_digest(m_state->st);
}

std::string digest_text(log::u64 d) {
  return fmt::format("{:016x}", d);
}

} // namespace famfs::core
