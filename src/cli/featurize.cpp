#include "featurize.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "mailtriage/features/extract.hpp"
#include "mailtriage/features/schema.hpp"
#include "mailtriage/mime/parse.hpp"

namespace mailtriage::cli {
namespace {
namespace fs = std::filesystem;

constexpr const char* kHelp =
    "usage: mailtriage featurize [--out FILE] [--names FILE] PATH...\n"
    "       mailtriage featurize --schema\n"
    "\n"
    "Writes one LIBSVM line per message: 'label_index column:value ...' (columns of the\n"
    "feature schema, see docs/FEATURES.md). PATH is a directory tree whose first-level\n"
    "sub-directories name the labels (corpus/train/{ham,spam,phishing}), a maildir\n"
    "(cur/ new/; label = its directory name) or an mbox file (label = file name stem).\n"
    "Labels are numbered in sorted order; --names writes the label map, the dense feature\n"
    "names and the schema fingerprint. Files are read in sorted order: the same input\n"
    "gives the same bytes out.\n"
    "\n"
    "  --out FILE     write the LIBSVM lines to FILE (default: standard output)\n"
    "  --names FILE   write the names file\n"
    "  --schema       print the schema as Markdown and exit\n";

struct source {
  std::string label;
  fs::path path;
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
    fs::path rel = fs::relative(it->path(), root, ec);
    auto first = rel.begin();
    std::string label = std::next(first) == rel.end() ? root_label : first->string();
    out.push_back({label, it->path()});
  }
}

// Splits an mbox (From_ lines at the start of a line after a blank line or at offset 0);
// ">From " quoting is undone one level. A file not starting with "From " is one message.
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
    std::string msg = data.substr(body, end - body);
    std::string unq;
    unq.reserve(msg.size());
    std::size_t i = 0;
    while (i < msg.size()) {
      std::size_t eol = msg.find('\n', i);
      std::size_t len = (eol == std::string::npos ? msg.size() : eol + 1) - i;
      std::string_view line(msg.data() + i, len);
      if (line.rfind(">From ", 0) == 0) line.remove_prefix(1);
      unq.append(line);
      i += len;
    }
    out.push_back(std::move(unq));
    pos = next == std::string::npos ? data.size() : next + 2;
  }
  return out;
}

void append_float(std::string& out, float v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace

int featurize_main(const std::vector<std::string>& args) {
  std::string out_path, names_path;
  std::vector<std::string> inputs;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::cout << kHelp;
      return 0;
    }
    if (a == "--schema") {
      std::cout << features::schema_markdown();
      return 0;
    }
    if ((a == "--out" || a == "--names") && i + 1 < args.size()) {
      (a == "--out" ? out_path : names_path) = args[++i];
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "mailtriage featurize: unknown option '" << a << "'\n" << kHelp;
      return 64;
    } else {
      inputs.push_back(a);
    }
  }
  if (inputs.empty()) {
    std::cerr << kHelp;
    return 64;
  }
  std::vector<source> sources;
  for (const auto& in : inputs) collect(in, sources);
  std::sort(sources.begin(), sources.end(),
            [](const source& a, const source& b) { return std::tie(a.label, a.path) < std::tie(b.label, b.path); });
  std::map<std::string, int> labels;
  for (const auto& s : sources) labels.emplace(s.label, 0);
  int next = 0;
  for (auto& [name, idx] : labels) idx = next++;

  std::ofstream file_out;
  std::ostream* out = &std::cout;
  if (!out_path.empty()) {
    file_out.open(out_path, std::ios::binary | std::ios::trunc);
    if (!file_out) throw std::runtime_error(out_path + ": cannot write");
    out = &file_out;
  }
  const features::envelope_facts no_envelope{};
  std::string line;
  std::size_t count = 0;
  for (const auto& s : sources) {
    std::string data = read_file(s.path);
    for (const auto& raw : split_mbox(data)) {
      mime::message msg;
      try {
        msg = mime::parse(raw);
      } catch (const std::exception& e) {
        // mime::parse promises not to throw; if it does, keep the line (labels stay aligned)
        // with the features of an empty message, and say which file it was.
        std::cerr << "mailtriage featurize: " << s.path.string() << ": MIME parser failed (" << e.what()
                  << "); featurized as an empty message\n";
        msg = mime::message{};
        msg.raw_size = raw.size();
      }
      features::feature_vector v = features::extract(msg, no_envelope);
      line.clear();
      line += std::to_string(labels[s.label]);
      for (std::size_t k = 0; k < v.indices.size(); ++k) {
        line += ' ';
        line += std::to_string(v.indices[k]);
        line += ':';
        append_float(line, v.values[k]);
      }
      line += '\n';
      out->write(line.data(), static_cast<std::streamsize>(line.size()));
      ++count;
    }
  }
  out->flush();
  if (!*out) throw std::runtime_error("write error on " + (out_path.empty() ? std::string("standard output") : out_path));
  if (!names_path.empty()) {
    std::ofstream n(names_path, std::ios::binary | std::ios::trunc);
    if (!n) throw std::runtime_error(names_path + ": cannot write");
    n << "# mailtriage featurize names file\n";
    n << "schema_version " << features::schema_version << "\n";
    n << "fingerprint " << features::schema_fingerprint() << "\n";
    n << "columns " << features::column_count << "\n";
    n << "hash " << features::hash_function_id << " " << features::dense_count << " " << features::hash_buckets << "\n";
    for (const auto& [name, idx] : labels) n << "label " << idx << " " << name << "\n";
    const auto& table = features::dense_features();
    for (std::size_t i = 0; i < table.size(); ++i) n << "feature " << i << " " << table[i].name << " " << table[i].group << "\n";
    if (!n) throw std::runtime_error(names_path + ": write error");
  }
  std::cerr << "mailtriage featurize: " << count << " messages, " << labels.size() << " labels\n";
  return 0;
}

}  // namespace mailtriage::cli
