#include "core/file_data.hpp"

#include "core/digest.hpp"
#include "core/random_pattern.hpp"
#include "log/fmap.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace famfs::core {

namespace {

constexpr u64 k_copy_item = 64ULL << 20;

// Calls fn(piece) for the file's first `size` bytes in pieces of at most k_copy_item, until it
// returns false; `done` hears of each piece that fn accepted.
template <class Fn>
void for_each_step(const log::Fmap& map, u64 size, const BytesDone& done, Fn fn) {
  log::for_each_piece(map, 0, size, [&](u64, log::Piece p) {
    for (u64 at = 0; at < p.len; at += k_copy_item) {
      const log::Piece step{p.dev_off + at, std::min(k_copy_item, p.len - at)};
      if (!fn(step)) {
        return false;
      }
      if (done) {
        done(step.len);
      }
    }
    return true;
  });
}

} // namespace

Result<void> check_map_bounds(const Device& dev, const log::Fmap& map, u64 size) {
  if (!dev.data_mapped()) {
    return fail(Errc::unsupported,
                "{}: the device is in famfs mode; its file data is reached through the files of "
                "its famfs mount, not through the device",
                dev.path());
  }
  if (log::addressable(map) < size) {
    return fail(Errc::corrupt, "map ({}) holds {} bytes, fewer than the file's {}",
                log::fmap_text(map), log::addressable(map), size);
  }
  for (const auto& e : map.extents) {
    if (e.offset > dev.size() || e.len > dev.size() - e.offset) {
      return fail(Errc::corrupt, "extent {:#x}+{:#x} runs past the end of the {}-byte device",
                  e.offset, e.len, dev.size());
    }
  }
  return {};
}

Result<void>
write_pattern(const Device& dev, const log::Fmap& map, u64 size, u64 seed, const BytesDone& done) {
  FAMFS_TRY(check_map_bounds(dev, map, size));
  PatternStream ps(seed);
  Result<void> r;
  for_each_step(map, size, done, [&](log::Piece p) {
    r = dev.reserve(p.dev_off, p.len);
    if (!r) {
      return false;
    }
    ps.fill(std::span<std::byte>(dev.at(p.dev_off), p.len));
    r = dev.persist(p.dev_off, p.len);
    return bool(r);
  });
  return r;
}

Result<std::optional<u64>>
check_pattern(const Device& dev, const log::Fmap& map, u64 size, u64 seed, const BytesDone& done) {
  FAMFS_TRY(check_map_bounds(dev, map, size));
  PatternStream ps(seed);
  std::optional<u64> bad;
  for_each_step(map, size, done, [&](log::Piece p) {
    dev.invalidate(p.dev_off, p.len);
    bad = ps.mismatch(std::span<const std::byte>(dev.at(p.dev_off), p.len));
    return !bad;
  });
  return bad;
}

Result<u64> digest_file(const Device& dev, const log::Fmap& map, u64 size) {
  FAMFS_TRY(check_map_bounds(dev, map, size));
  Digest d;
  log::for_each_piece(map, 0, size, [&](u64, log::Piece p) {
    dev.invalidate(p.dev_off, p.len);
    d.update(std::span<const std::byte>(dev.at(p.dev_off), p.len));
    return true;
  });
  return d.value();
}

namespace {

Result<void> copy_item(const Device& dev, const log::Fmap& map, u64 off, u64 len, int fd) {
  Result<void> r;
  log::for_each_piece(map, off, len, [&](u64 file_off, log::Piece p) {
    r = dev.write_from(p.dev_off, p.len, fd, file_off);
    if (r) {
      r = dev.persist(p.dev_off, p.len);
    }
    return bool(r);
  });
  return r;
}

} // namespace

Result<void>
copy_into(const Device& dev, const log::Fmap& map, u64 size, int src_fd, const CopyOptions& opts) {
  FAMFS_TRY(check_map_bounds(dev, map, size));
  const u64 items = (size + k_copy_item - 1) / k_copy_item;
  const unsigned threads =
      static_cast<unsigned>(std::clamp<u64>(opts.threads == 0 ? 1 : opts.threads, 1, items));
  if (threads <= 1) {
    for (u64 i = 0; i < items; ++i) {
      const u64 off = i * k_copy_item;
      FAMFS_TRY(copy_item(dev, map, off, std::min(k_copy_item, size - off), src_fd));
      if (opts.progress) {
        opts.progress(std::min(size, off + k_copy_item));
      }
    }
    return {};
  }
  std::atomic<u64> next{0};
  std::atomic<u64> done{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::condition_variable cv;
  unsigned running = threads;
  Error first_error;
  auto worker = [&] {
    for (;;) {
      const u64 i = next.fetch_add(1);
      if (i >= items || failed.load()) {
        break;
      }
      const u64 off = i * k_copy_item;
      const u64 len = std::min(k_copy_item, size - off);
      auto r = copy_item(dev, map, off, len, src_fd);
      if (!r) {
        std::lock_guard lock(mu);
        if (!failed.exchange(true)) {
          first_error = std::move(r).error();
        }
        break;
      }
      done.fetch_add(len);
    }
    std::lock_guard lock(mu);
    running--;
    cv.notify_all();
  };
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back(worker);
  }
  {
    std::unique_lock lock(mu);
    while (running > 0) {
      cv.wait_for(lock, std::chrono::milliseconds(100));
      if (opts.progress) {
        lock.unlock();
        opts.progress(done.load());
        lock.lock();
      }
    }
  }
  for (auto& t : pool) {
    t.join();
  }
  if (failed.load()) {
    return Unexpected{std::move(first_error)};
  }
  return {};
}

} // namespace famfs::core
