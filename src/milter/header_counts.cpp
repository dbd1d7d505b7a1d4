#include "mailtriage/milter/header_counts.hpp"

#include <algorithm>

namespace mailtriage::milter {
namespace {

constexpr std::size_t kInitialSlots = 64;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// FNV-1a 64 over the lower-case bytes.
std::uint64_t hash_lower(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(lower(c));
    h *= 0x100000001b3ULL;
  }
  return h;
}

bool equal_lower(std::string_view lowered, std::string_view name) {
  if (lowered.size() != name.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (lowered[i] != lower(name[i])) return false;
  return true;
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
      for (char c : name) names_ += lower(c);
      ++used_;
      return 1;
    }
    if (s.hash == h && equal_lower(std::string_view(names_).substr(s.offset, s.length), name)) return ++s.count;
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
  const std::size_t mask = slots_.size() - 1;
  for (const slot& s : old) {
    if (s.count == 0) continue;
    std::size_t i = s.hash & mask;
    while (slots_[i].count != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

}  // namespace mailtriage::milter
