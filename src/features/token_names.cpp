#include "mailtriage/features/token_names.hpp"

#include <cstring>

namespace mailtriage::features {
namespace {

// True when `text` is ns:"a" (or ns:"a b"), compared in place so that a token seen again
// costs no string building. Sizes first: most texts sharing a column differ in length.
bool same_name(std::string_view text, std::string_view ns, std::string_view a, std::string_view b) {
  const std::size_t size = ns.size() + 3 + a.size() + (b.empty() ? 0 : 1 + b.size());
  if (text.size() != size) return false;
  const char* p = text.data();
  if (std::memcmp(p, ns.data(), ns.size()) != 0) return false;
  p += ns.size();
  if (p[0] != ':' || p[1] != '"') return false;
  p += 2;
  if (std::memcmp(p, a.data(), a.size()) != 0) return false;
  p += a.size();
  return b.empty() || (*p == ' ' && std::memcmp(p + 1, b.data(), b.size()) == 0);
}

// Fibonacci hashing: columns of one message are scattered over the 2^18 hashed range.
std::size_t spread(std::uint32_t column, std::size_t mask) {
  return static_cast<std::size_t>((column * 0x9E3779B1u) >> 8) & mask;
}

}  // namespace

inline std::size_t token_names::slot_of(std::uint32_t column) const {
  const std::size_t mask = slots_.size() - 1;
  std::size_t s = spread(column, mask);
  while (slots_[s] != kNone && entries_[slots_[s]].column != column) s = (s + 1) & mask;
  return s;
}

std::uint32_t token_names::head(std::uint32_t column) const {
  if (slots_.empty()) return kNone;
  return slots_[slot_of(column)];
}

void token_names::grow() {
  std::vector<std::uint32_t> old = std::move(slots_);
  slots_.assign(old.empty() ? 64 : old.size() * 2, kNone);
  for (std::uint32_t first : old)
    if (first != kNone) slots_[slot_of(entries_[first].column)] = first;
}

void token_names::add(std::uint32_t column, std::string_view ns, std::string_view a, std::string_view b) {
  // At most half full, so that probes stay short.
  if ((entries_.size() + 1) * 2 > slots_.size()) grow();
  const std::size_t s = slot_of(column);
  std::uint32_t* link = &slots_[s];
  std::size_t held = 0;
  for (std::uint32_t e = *link; e != kNone; e = entries_[e].next, ++held) {
    if (same_name(std::string_view(text_.data() + entries_[e].offset, entries_[e].size), ns, a, b)) return;
    link = &entries_[e].next;
  }
  if (held >= max_per_column) return;
  const auto offset = static_cast<std::uint32_t>(text_.size());
  if (text_.empty()) text_.reserve(1024);
  text_ += ns;
  text_ += ":\"";
  text_ += a;
  if (!b.empty()) {
    text_ += ' ';
    text_ += b;
  }
  text_ += '"';
  *link = static_cast<std::uint32_t>(entries_.size());  // before push_back moves entries_
  entries_.push_back({column, offset, static_cast<std::uint32_t>(text_.size()) - offset, kNone});
}

}  // namespace mailtriage::features
