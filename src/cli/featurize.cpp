#include "featurize.hpp"

#include "corpus.hpp"

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
  const auto corpus = load_corpus(inputs);
  std::map<std::string, int> labels;
  for (const auto& m : corpus) labels.emplace(m.label, 0);
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
  for (const auto& m : corpus) {
    mime::message msg = mime::parse(m.bytes);
    features::feature_vector v = features::extract(msg, no_envelope);
    line.clear();
    line += std::to_string(labels[m.label]);
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
