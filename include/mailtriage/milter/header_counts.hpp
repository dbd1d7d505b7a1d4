#pragma once
// How many header fields of each name (ASCII case-insensitive) a message has had so far:
// the per-name index that header edits address. An open-addressing table over one string
// of lower-case names, both reused from message to message, so that counting a field
// allocates nothing once the table has grown to the message's number of distinct names
// (a std::unordered_map allocated a node per name, ~28 per message of the corpus).
// A lookup is one hash and, on average, about one comparison: a header bomb of
// max_headers fields stays linear on the I/O thread.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mailtriage::milter {

class header_counts {
 public:
  // Counts one more field called `name`; returns its 1-based index among those fields.
  std::uint32_t add(std::string_view name);
  // Forgets every name; keeps the memory for the next message.
  void clear();
  [[nodiscard]] std::size_t distinct_names() const { return used_; }

 private:
  struct slot {
    std::uint64_t hash = 0;
    std::uint32_t offset = 0;  // of the lower-case name in names_
    std::uint32_t length = 0;
    std::uint32_t count = 0;   // 0: empty slot
  };
  void grow();

  std::vector<slot> slots_;  // size a power of two, at most half used
  std::string names_;        // the lower-case names, back to back
  std::size_t used_ = 0;
};

}  // namespace mailtriage::milter
