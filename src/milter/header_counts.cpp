#include "mailtriage/milter/header_counts.hpp"

#include <algorithm>

#include "mailtriage/util/ascii.hpp"

namespace mailtriage::milter {
namespace {

constexpr std::size_t kInitialSlots = 64;

// FNV-1a 64 over the lower-case bytes.
std::uint64_t hash_lower(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(util::ascii_lower(c));
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

std::uint32_t header_counts::add(std::string_view name) {
  if ((used_ + 1) * 2 > slots_.size()) grow();
  const std::uint64_t h = hash_lower(name);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    slot& s = slots_[i];
    if (s.count == 0) {
      s.hash = h;
      s.offset = static_cast<std::uint32_t>(names_.size());
      s.length = static_cast<std::uint32_t>(name.size());
      s.count = 1;
      const std::size_t at = names_.size();
      names_.resize(at + name.size());
      std::transform(name.begin(), name.end(), names_.begin() + static_cast<std::ptrdiff_t>(at),
                     [](char c) { return util::ascii_lower(c); });
      ++used_;
      return 1;
    }
    if (s.hash == h && util::iequals(std::string_view(names_).substr(s.offset, s.length), name)) return ++s.count;
  }
}

void header_counts::clear() {
  if (used_ == 0) return;
  std::fill(slots_.begin(), slots_.end(), slot{});
  names_.clear();
  used_ = 0;
}

void header_counts::grow() {
  std::vector<slot> old = std::move(slots_);
  slots_.assign(std::max(kInitialSlots, old.size() * 2), slot{});
  // Names average under 16 bytes: room for a table's worth, so the string is not
  // regrown a few bytes at a time (each connection starts a fresh table).
  names_.reserve(slots_.size() / 2 * 16);
  const std::size_t mask = slots_.size() - 1;
  for (const slot& s : old) {
    if (s.count == 0) continue;
    std::size_t i = s.hash & mask;
    while (slots_[i].count != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

}  // namespace mailtriage::milter
