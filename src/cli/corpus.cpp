#include "corpus.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mailtriage::cli {
namespace {
namespace fs = std::filesystem;

struct source {
  std::string label;
  fs::path path;
  bool operator<(const source& o) const { return path < o.path; }
};

bool is_maildir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p / "cur", ec) || fs::is_directory(p / "new", ec);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error(p.string() + ": cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void collect(const std::string& arg, std::vector<source>& out) {
  fs::path root(arg);
  std::error_code ec;
  if (fs::is_regular_file(root, ec)) {
    out.push_back({root.stem().string(), root});
    return;
  }
  if (!fs::is_directory(root, ec)) throw std::runtime_error(arg + ": no such file or directory");
  std::string root_label = root.filename().empty() ? root.parent_path().filename().string() : root.filename().string();
  if (is_maildir(root)) {
    for (const char* sub : {"cur", "new"}) {
      if (!fs::is_directory(root / sub, ec)) continue;
      for (const auto& e : fs::directory_iterator(root / sub, ec))
        if (e.is_regular_file()) out.push_back({root_label, e.path()});
    }
    return;
  }
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_regular_file()) continue;
    // Lexical, not fs::relative: a corpus of symlinks keeps its own directory labels.
    fs::path rel = it->path().lexically_relative(root);
    auto first = rel.begin();
    std::string label = std::next(first) == rel.end() ? root_label : first->string();
    out.push_back({label, it->path()});
  }
}

}  // namespace

std::string file_name_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::map<std::string, message_origin> read_corpus_manifest(const std::string& path) {
  std::map<std::string, message_origin> out;
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream s(line);
    std::string col;
    while (std::getline(s, col, '\t')) cols.push_back(col);
    if (cols.size() >= 4) out[file_name_of(cols[0])] = {cols[2], cols[3]};
  }
  return out;
}

std::vector<std::string> split_mbox(const std::string& data) {
  if (data.rfind("From ", 0) != 0) return {data};
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t body = data.find('\n', pos);
    if (body == std::string::npos) break;
    ++body;
    std::size_t next = data.find("\n\nFrom ", body);
    std::size_t end = next == std::string::npos ? data.size() : next + 1;
    std::string_view msg(data.data() + body, end - body);
    std::string unquoted;
    unquoted.reserve(msg.size());
    std::size_t i = 0;
    while (i < msg.size()) {
      std::size_t eol = msg.find('\n', i);
      std::size_t len = (eol == std::string_view::npos ? msg.size() : eol + 1) - i;
      std::string_view line = msg.substr(i, len);
      if (line.rfind(">From ", 0) == 0) line.remove_prefix(1);
      unquoted.append(line);
      i += len;
    }
    out.push_back(std::move(unquoted));
    pos = next == std::string::npos ? data.size() : next + 2;
  }
  return out;
}

std::vector<labelled_message> load_corpus(const std::vector<std::string>& paths) {
  std::vector<source> sources;
  for (const auto& p : paths) collect(p, sources);
  std::sort(sources.begin(), sources.end());
  std::vector<labelled_message> out;
  out.reserve(sources.size());
  for (const auto& s : sources) {
    std::string data = read_file(s.path);
    // A single file starting with "From " and holding several messages is an mbox.
    bool mbox = data.rfind("From ", 0) == 0 && data.find("\n\nFrom ") != std::string::npos;
    if (!mbox) {
      out.push_back({s.label, s.path.string(), std::move(data)});
      continue;
    }
    auto messages = split_mbox(data);
    for (std::size_t i = 0; i < messages.size(); ++i)
      out.push_back({s.label, s.path.string() + "#" + std::to_string(i + 1), std::move(messages[i])});
  }
  return out;
}

}  // namespace mailtriage::cli
