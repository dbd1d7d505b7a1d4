#pragma once
// Collects message files from paths (files, or directory trees walked in sorted order
// so every run sees the same sequence).
#include <cstddef>
#include <string>
#include <vector>

namespace mailtriage::cli {

struct message_file {
  std::string path;
  std::string bytes;
};

// Throws std::runtime_error naming a path that cannot be read.
[[nodiscard]] std::vector<message_file> load_messages(const std::vector<std::string>& paths, std::size_t limit);

}  // namespace mailtriage::cli
