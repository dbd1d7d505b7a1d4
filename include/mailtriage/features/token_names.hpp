#pragma once
// Column index -> token texts (`subj:"verify account"`), filled by the extractor only when
// asked (explain, the daemon's reasons). Several tokens can share a hashed column: up to
// max_per_column of them are kept, in first-seen order. All texts share one buffer and the
// column index is one flat table, so that naming a message's tokens costs a few
// allocations, not several per token. Plain value type owned by the caller; not
// synchronised.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mailtriage::features {

class token_names {
 public:
  static constexpr std::size_t max_per_column = 8;

  // Records `ns:"a"` (or `ns:"a b"` when `b` is not empty) for `column`, unless the
  // column has that text already or holds max_per_column texts.
  void add(std::uint32_t column, std::string_view ns, std::string_view a, std::string_view b = {});

  // Calls f(std::string_view text) for each text of `column`, first seen first; returns
  // how many there were (0 for a column never recorded).
  template <typename F>
  std::size_t for_each(std::uint32_t column, F&& f) const {
    std::size_t n = 0;
    for (std::uint32_t e = head(column); e != kNone; e = entries_[e].next, ++n)
      f(std::string_view(text_).substr(entries_[e].offset, entries_[e].size));
    return n;
  }

  [[nodiscard]] bool empty() const { return entries_.empty(); }

 private:
  static constexpr std::uint32_t kNone = UINT32_MAX;
  struct entry {
    std::uint32_t column;
    std::uint32_t offset;  // into text_
    std::uint32_t size;
    std::uint32_t next;  // the column's next text, or kNone
  };

  // Index into entries_ of the first text of `column`, or kNone.
  [[nodiscard]] std::uint32_t head(std::uint32_t column) const;
  // Slot of `column` in slots_: its own, or the empty one where it would go.
  [[nodiscard]] std::size_t slot_of(std::uint32_t column) const;
  void grow();

  std::string text_;             // every recorded text, back to back
  std::vector<entry> entries_;   // in recording order
  std::vector<std::uint32_t> slots_;  // open addressing, column -> first entry (kNone: free)
};

}  // namespace mailtriage::features
