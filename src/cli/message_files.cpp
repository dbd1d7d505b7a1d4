#include "message_files.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mailtriage::cli {
namespace fs = std::filesystem;

std::vector<message_file> load_messages(const std::vector<std::string>& paths, std::size_t limit) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (auto it = fs::recursive_directory_iterator(p, ec); it != fs::recursive_directory_iterator(); ++it)
        if (it->is_regular_file()) files.push_back(it->path().string());
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      throw std::runtime_error(p + ": no such file or directory");
    }
  }
  std::sort(files.begin(), files.end());
  if (files.size() > limit) files.resize(limit);
  std::vector<message_file> out;
  out.reserve(files.size());
  for (auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) throw std::runtime_error(f + ": cannot read");
    std::ostringstream s;
    s << in.rdbuf();
    out.push_back(message_file{std::move(f), s.str()});
  }
  return out;
}

}  // namespace mailtriage::cli
