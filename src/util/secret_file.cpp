#include "mailtriage/util/secret_file.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mailtriage {

std::string read_secret_file(const std::string& path, std::string_view what, std::size_t minimum_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read the " + std::string(what) + " file");
  std::ostringstream s;
  s << in.rdbuf();
  std::string key = s.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  if (key.size() < minimum_bytes)
    throw std::runtime_error(path + ": " + std::string(what) + " shorter than " + std::to_string(minimum_bytes) +
                             " bytes");
  return key;
}

}  // namespace mailtriage
