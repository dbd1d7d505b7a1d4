#include "dataset.hpp"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "mailtriage/features/date.hpp"
#include "mailtriage/features/extract.hpp"
#include "mailtriage/features/schema.hpp"
#include "mailtriage/mime/parse.hpp"

namespace mailtriage::cli {
namespace {

// Decodes one UTF-8 code point at s[i], advancing i; invalid bytes give U+FFFD.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  auto u = static_cast<unsigned char>(s[i]);
  int extra = u < 0x80 ? 0 : (u >> 5) == 6 ? 1 : (u >> 4) == 14 ? 2 : (u >> 3) == 30 ? 3 : -1;
  if (extra < 0 || i + static_cast<std::size_t>(extra) >= s.size() + (extra == 0 ? 1 : 0)) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = extra == 0 ? u : (u & (0x3F >> extra));
  for (int k = 1; k <= extra; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3F);
  i += static_cast<std::size_t>(extra) + 1;
  return cp;
}

std::string dominant_script(std::string_view text) {
  std::map<std::string, std::size_t> counts;
  std::size_t seen = 0;
  for (std::size_t i = 0; i < text.size() && seen < 20000;) {
    char32_t c = next_code_point(text, i);
    const char* script = nullptr;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= 0xC0 && c <= 0x24F)) script = "latin";
    else if (c >= 0x370 && c <= 0x3FF) script = "greek";
    else if (c >= 0x400 && c <= 0x52F) script = "cyrillic";
    else if (c >= 0x590 && c <= 0x5FF) script = "hebrew";
    else if ((c >= 0x600 && c <= 0x6FF) || (c >= 0x750 && c <= 0x77F)) script = "arabic";
    else if (c >= 0x900 && c <= 0x97F) script = "devanagari";
    else if (c >= 0xE00 && c <= 0xE7F) script = "thai";
    else if ((c >= 0x3040 && c <= 0x30FF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7AF) ||
             (c >= 0xFF00 && c <= 0xFFEF))
      script = "cjk";
    if (script) {
      ++counts[script];
      ++seen;
    }
  }
  if (counts.empty()) return "none";
  return std::max_element(counts.begin(), counts.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
}

std::string from_domain(const mime::message& m) {
  std::string_view from = m.header_value("From");
  auto at = from.rfind('@');
  if (at == std::string_view::npos) return "";
  std::size_t end = at + 1;
  while (end < from.size() && from[end] != '>' && from[end] != ' ' && from[end] != ')') ++end;
  std::string d(from.substr(at + 1, end - at - 1));
  for (auto& c : d) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return d;
}

}  // namespace

std::set<std::uint32_t> dropped_columns(const std::vector<std::string>& drop) {
  std::set<std::uint32_t> out;
  const auto& dense = features::dense_features();
  for (const auto& name : drop) {
    bool found = false;
    for (std::uint32_t c = 0; c < dense.size(); ++c) {
      if (dense[c].group == name || dense[c].name == name) {
        out.insert(c);
        found = true;
      }
    }
    if (!found) throw std::invalid_argument("--drop: '" + name + "' is neither a feature group nor a feature name");
  }
  return out;
}

dataset build_dataset(const std::vector<labelled_message>& corpus, const std::set<std::uint32_t>& drop,
                      std::vector<std::string> labels) {
  dataset d;
  if (labels.empty()) {
    std::set<std::string> seen;
    for (const auto& m : corpus) seen.insert(m.label);
    labels.assign(seen.begin(), seen.end());
  }
  d.labels = labels;
  std::vector<const labelled_message*> todo;
  for (const auto& m : corpus)
    if (std::find(labels.begin(), labels.end(), m.label) != labels.end()) todo.push_back(&m);

  // Extraction in parallel; results land in their slot, so the order never depends on
  // scheduling.
  std::vector<features::feature_vector> vectors(todo.size());
  std::vector<message_meta> meta(todo.size());
  unsigned threads = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (std::size_t i = t; i < todo.size(); i += threads) {
        const auto& m = *todo[i];
        mime::message msg = mime::parse(m.bytes);
        vectors[i] = features::extract(msg, features::envelope_facts{});
        auto& mm = meta[i];
        mm.path = m.path;
        mm.label = m.label;
        mm.bytes = m.bytes.size();
        for (const auto& tb : msg.texts) (tb.from_html ? mm.html : mm.plain) = true;
        mm.script = dominant_script(msg.plain_text() + "\n" + msg.html_text());
        mm.charset = "none";
        for (const auto& p : msg.parts)
          if (p.text_index >= 0) {
            mm.charset = p.charset.empty() ? "none" : p.charset;
            break;
          }
        mm.from_domain = from_domain(msg);
        if (auto when = features::parse_date(msg.header_value("Date"))) mm.date = *when;
      }
    });
  }
  for (auto& th : pool) th.join();

  d.rows.columns = features::column_count;
  std::vector<std::uint32_t> cols;
  std::vector<float> vals;
  for (std::size_t i = 0; i < todo.size(); ++i) {
    cols.clear();
    vals.clear();
    for (std::size_t k = 0; k < vectors[i].indices.size(); ++k) {
      if (drop.contains(vectors[i].indices[k])) continue;
      cols.push_back(vectors[i].indices[k]);
      vals.push_back(vectors[i].values[k]);
    }
    d.rows.add_row(cols, vals);
    d.label_ids.push_back(static_cast<int>(std::find(labels.begin(), labels.end(), todo[i]->label) - labels.begin()));
  }
  d.meta = std::move(meta);
  return d;
}

}  // namespace mailtriage::cli
