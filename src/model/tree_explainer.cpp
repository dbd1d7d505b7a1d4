#include "mailtriage/model/tree_explainer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "xgb_call.hpp"

namespace mailtriage::model {
namespace {

struct raw_node {
  bool leaf = false;
  std::int32_t yes = -1, no = -1, missing = -1;
  std::uint32_t feature = 0;
  float value = 0;  // threshold, or leaf value
  float cover = 0;
};

// Value of "key=" in a dump line, or 0.
double field(std::string_view line, std::string_view key) {
  auto at = line.find(key);
  if (at == std::string_view::npos) return 0;
  return std::strtod(line.data() + at + key.size(), nullptr);
}

// One tree of XGBoost's text dump with statistics:
//   "0:[f60<1] yes=1,no=2,missing=2,gain=914.4,cover=635.7"   "3:leaf=-0.19,cover=48.0"
std::vector<raw_node> parse_tree(std::string_view text) {
  std::vector<raw_node> nodes;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    while (!line.empty() && (line.front() == '\t' || line.front() == ' ')) line.remove_prefix(1);
    if (line.empty()) continue;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) throw model_error("unexpected line in the model dump");
    auto id = static_cast<std::size_t>(std::strtoul(line.data(), nullptr, 10));
    if (id > 1'000'000) throw model_error("node id out of range in the model dump");
    if (nodes.size() <= id) nodes.resize(id + 1);
    raw_node& n = nodes[id];
    std::string_view rest = line.substr(colon + 1);
    n.cover = static_cast<float>(field(rest, "cover="));
    if (rest.starts_with("leaf=")) {
      n.leaf = true;
      n.value = static_cast<float>(std::strtod(rest.data() + 5, nullptr));
      continue;
    }
    if (!rest.starts_with("[f")) throw model_error("only numeric splits are supported in explanations");
    char* end = nullptr;
    n.feature = static_cast<std::uint32_t>(std::strtoul(rest.data() + 2, &end, 10));
    if (!end || *end != '<') throw model_error("unexpected split in the model dump");
    n.value = std::strtof(end + 1, nullptr);
    n.yes = static_cast<std::int32_t>(field(rest, "yes="));
    n.no = static_cast<std::int32_t>(field(rest, "no="));
    n.missing = static_cast<std::int32_t>(field(rest, "missing="));
  }
  return nodes;
}

// base_score from the learner's JSON configuration ("base_score":"5E-1").
float read_base_score(void* handle) {
  bst_ulong len = 0;
  const char* json = nullptr;
  detail::xgb_check(XGBoosterSaveJsonConfig(handle, &len, &json), "reading the model configuration");
  std::string_view config(json, len);
  auto at = config.find("\"base_score\":\"");
  if (at == std::string_view::npos) throw model_error("the model configuration has no base_score");
  return std::strtof(json + at + 14, nullptr);
}

}  // namespace

tree_explainer::tree_explainer(const booster& b) {
  binary_ = b.classes() == 2;
  const std::size_t outputs = binary_ ? 1 : b.classes();
  outputs_ = outputs;
  const float base_score = read_base_score(b.handle());
  // binary:logistic keeps base_score as a probability; multi:softprob as a margin.
  base_margin_ = binary_ ? -std::log(1.0f / base_score - 1.0f) : base_score;
  bst_ulong count = 0;
  const char** dump = nullptr;
  detail::xgb_check(XGBoosterDumpModelEx(b.handle(), "", 1, "text", &count, &dump), "reading the trees");
  trees_.reserve(count);
  for (bst_ulong t = 0; t < count; ++t) {
    auto raw = parse_tree(dump[t]);
    tree tr;
    tr.output = static_cast<std::size_t>(t) % outputs;  // trees are grouped round by round
    tr.nodes.resize(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      auto& n = tr.nodes[i];
      n.feature = raw[i].feature;
      n.threshold = raw[i].value;
      if (!raw[i].leaf) {
        n.left = raw[i].yes;
        n.right = raw[i].no;
        n.missing = raw[i].missing;
        auto bad = [&](std::int32_t c) { return c < 0 || static_cast<std::size_t>(c) >= raw.size(); };
        if (bad(n.left) || bad(n.right) || bad(n.missing)) throw model_error("broken tree in the model dump");
      }
    }
    // Expected values bottom-up: children always have larger ids in XGBoost's trees.
    for (std::size_t i = raw.size(); i-- > 0;) {
      auto& n = tr.nodes[i];
      if (raw[i].leaf) {
        n.mean = raw[i].value;
        continue;
      }
      auto li = static_cast<std::size_t>(n.left), ri = static_cast<std::size_t>(n.right);
      float cl = raw[li].cover, cr = raw[ri].cover;
      n.mean = cl + cr > 0 ? (tr.nodes[li].mean * cl + tr.nodes[ri].mean * cr) / (cl + cr) : 0;
    }
    trees_.push_back(std::move(tr));
  }
}

std::size_t tree_explainer::child(const node& n, std::span<const std::uint32_t> cols, std::span<const float> vals) {
  // XGBoost's rule: absent (missing) goes the default way, else value < threshold goes left.
  auto it = std::lower_bound(cols.begin(), cols.end(), n.feature);
  if (it == cols.end() || *it != n.feature) return static_cast<std::size_t>(n.missing);
  return static_cast<std::size_t>(vals[static_cast<std::size_t>(it - cols.begin())] < n.threshold ? n.left : n.right);
}

std::size_t tree_explainer::leaf_of(const tree& t, std::span<const std::uint32_t> cols,
                                    std::span<const float> vals) const {
  std::size_t i = 0;
  while (t.nodes[i].left >= 0) i = child(t.nodes[i], cols, vals);
  return i;
}

std::vector<float> tree_explainer::predict(std::span<const std::uint32_t> cols, std::span<const float> vals) const {
  std::vector<float> margin(outputs_, base_margin_);
  for (const auto& t : trees_)
    if (!t.nodes.empty()) margin[t.output] += t.nodes[leaf_of(t, cols, vals)].mean;
  if (binary_) {
    float p = 1.0f / (1.0f + std::exp(-margin[0]));
    return {1.0f - p, p};
  }
  // Softmax as XGBoost computes it: shifted by the largest margin, in float.
  float top = *std::max_element(margin.begin(), margin.end());
  float sum = 0;
  for (auto& m : margin) {
    m = std::exp(m - top);
    sum += m;
  }
  for (auto& m : margin) m /= sum;
  return margin;
}

std::vector<std::pair<std::uint32_t, float>> tree_explainer::contributions(std::span<const std::uint32_t> cols,
                                                                         std::span<const float> vals,
                                                                         std::size_t cls) const {
  std::size_t output = binary_ ? 0 : cls;
  float sign = binary_ && cls == 0 ? -1.0f : 1.0f;
  std::vector<std::pair<std::uint32_t, float>> out;
  for (const auto& t : trees_) {
    if (t.output != output || t.nodes.empty()) continue;
    std::size_t i = 0;
    while (t.nodes[i].left >= 0) {
      const node& n = t.nodes[i];
      std::size_t next = child(n, cols, vals);
      out.emplace_back(n.feature, sign * (t.nodes[next].mean - n.mean));
      i = next;
    }
  }
  // Sum per column.
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::size_t w = 0;
  for (std::size_t r = 0; r < out.size(); ++r) {
    if (w > 0 && out[w - 1].first == out[r].first)
      out[w - 1].second += out[r].second;
    else
      out[w++] = out[r];
  }
  out.resize(w);
  return out;
}

std::vector<bool> tree_explainer::split_columns() const {
  std::vector<bool> used;
  for (const auto& t : trees_)
    for (const auto& n : t.nodes) {
      if (n.left < 0) continue;  // a leaf tests nothing
      if (n.feature >= used.size()) used.resize(n.feature + 1);
      used[n.feature] = true;
    }
  return used;
}

}  // namespace mailtriage::model
