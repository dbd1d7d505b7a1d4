#include "mailtriage/model/tree_explainer.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "mailtriage/model/class_labels.hpp"
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

namespace {

// Set bits of x. std::popcount compiles to a libgcc call on the x86-64 baseline (no
// POPCNT instruction), which cost a tenth of the walk.
inline std::uint32_t popcount64(std::uint64_t x) {
#if defined(__POPCNT__)
  return static_cast<std::uint32_t>(std::popcount(x));
#else
  x -= (x >> 1) & 0x5555555555555555ull;
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return static_cast<std::uint32_t>((x * 0x0101010101010101ull) >> 56);
#endif
}

}  // namespace

// Per-thread working memory of a walk, stamped instead of cleared: a cell belongs to the
// current call only when its stamp equals the call's generation, so a call costs nothing
// for the columns it does not touch, whatever model ran on this thread before.
class tree_explainer::scratch {
 public:
  struct cell {
    float value = 0;
    std::uint32_t stamp = 0;
  };
  std::vector<cell> values;  // slot -> the row's value
  std::vector<cell> sums;    // slot -> contribution (a call credits one output)
  // Slots credited, first touch order: the first `touched_count` of `touched`, which has
  // room for every slot, so the walk appends without a capacity check.
  std::vector<std::uint32_t> touched;
  std::size_t touched_count = 0;
  // Node indices of each tree's root-to-leaf path, recorded by a margins pass for the
  // credit pass that follows: `path_stride` cells per tree (see tree_explainer::path_stride_).
  std::vector<std::int32_t> path;
  std::uint32_t generation = 0;

  // Starts a call for a model with `slot_count` columns and `path_cells` cells of paths.
  void begin(std::size_t slot_count, std::size_t path_cells, bool accumulate) {
    if (values.size() < slot_count) values.resize(slot_count);
    if (accumulate && sums.size() < slot_count) sums.resize(slot_count);
    if (accumulate && touched.size() < slot_count) touched.resize(slot_count);
    if (accumulate && path.size() < path_cells) path.resize(path_cells);
    touched_count = 0;
    if (++generation == 0) {  // wrapped: forget every old stamp once
      for (auto& c : values) c.stamp = 0;
      for (auto& c : sums) c.stamp = 0;
      generation = 1;
    }
  }
};

tree_explainer::scratch& tree_explainer::thread_scratch() {
  thread_local scratch s;
  return s;
}

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
  std::vector<std::vector<raw_node>> raws;
  raws.reserve(count);
  for (bst_ulong t = 0; t < count; ++t) raws.push_back(parse_tree(dump[t]));

  // The columns some split tests, numbered in ascending order.
  for (const auto& raw : raws)
    for (const auto& n : raw)
      if (!n.leaf) columns_.push_back(n.feature);
  std::sort(columns_.begin(), columns_.end());
  columns_.erase(std::unique(columns_.begin(), columns_.end()), columns_.end());
  if (!columns_.empty()) {
    split_bits_.assign(columns_.back() / 64 + 1, 0);
    for (std::uint32_t c : columns_) split_bits_[c / 64] |= std::uint64_t{1} << (c % 64);
    rank_.resize(split_bits_.size());
    std::uint32_t before = 0;
    for (std::size_t w = 0; w < split_bits_.size(); ++w) {
      rank_[w] = before;
      before += popcount64(split_bits_[w]);
    }
  }

  roots_.reserve(count);
  for (std::size_t t = 0; t < raws.size(); ++t) {
    const auto& raw = raws[t];
    if (raw.empty()) continue;  // nothing to add
    if (nodes_.size() + raw.size() > 0x7fffffffu) throw model_error("too many tree nodes in the model");
    const auto first = static_cast<std::int32_t>(nodes_.size());
    roots_.push_back(tree_root{static_cast<std::uint32_t>(first),
                               static_cast<std::uint32_t>(t % outputs)});  // trees are grouped round by round
    nodes_.resize(nodes_.size() + raw.size());
    node* tr = nodes_.data() + first;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      auto& n = tr[i];
      n.threshold = raw[i].value;
      if (!raw[i].leaf) {
        const std::uint32_t f = raw[i].feature;  // in columns_: its rank is its slot
        n.slot = static_cast<std::uint32_t>(std::lower_bound(columns_.begin(), columns_.end(), f) - columns_.begin());
        // XGBoost numbers a node's children after it. Relied on below (expected values
        // bottom-up, path lengths top-down) and by every walk, which a child numbered
        // before its parent could send round in a loop.
        auto bad = [&](std::int32_t c) {
          return c <= static_cast<std::int32_t>(i) || static_cast<std::size_t>(c) >= raw.size();
        };
        if (bad(raw[i].yes) || bad(raw[i].no) || bad(raw[i].missing))
          throw model_error("broken tree in the model dump");
        n.left = first + raw[i].yes;
        n.right = first + raw[i].no;
        n.missing = first + raw[i].missing;
      }
    }
    // Expected values bottom-up: children always have larger ids in XGBoost's trees.
    for (std::size_t i = raw.size(); i-- > 0;) {
      auto& n = tr[i];
      if (raw[i].leaf) {
        n.mean = raw[i].value;
        continue;
      }
      auto li = static_cast<std::size_t>(raw[i].yes), ri = static_cast<std::size_t>(raw[i].no);
      float cl = raw[li].cover, cr = raw[ri].cover;
      n.mean = cl + cr > 0 ? (tr[li].mean * cl + tr[ri].mean * cr) / (cl + cr) : 0;
    }
    // Nodes on the longest path a walk can take (margins() records paths in cells of
    // that many), top-down for the same reason.
    std::vector<std::uint32_t> depth(raw.size(), 1);
    for (std::size_t i = 0; i < raw.size(); ++i) {
      path_stride_ = std::max<std::size_t>(path_stride_, depth[i]);
      if (raw[i].leaf) continue;
      for (std::int32_t c : {raw[i].yes, raw[i].no, raw[i].missing})
        depth[static_cast<std::size_t>(c)] = std::max(depth[static_cast<std::size_t>(c)], depth[i] + 1);
    }
  }
}

void tree_explainer::scatter(scratch& s, const row& r, bool accumulate) const {
  s.begin(columns_.size(), roots_.size() * path_stride_, accumulate);
  const std::uint32_t gen = s.generation;
  scratch::cell* value = s.values.data();
  // With duplicate columns the first counts (as a search would find).
  auto put = [&, words = split_bits_.size()](std::uint32_t column, float v) {
    const std::size_t w = column / 64;
    if (w >= words) return;
    const std::uint64_t bits = split_bits_[w], bit = std::uint64_t{1} << (column % 64);
    if (!(bits & bit)) return;
    scratch::cell& c = value[rank_[w] + popcount64(bits & (bit - 1))];
    if (c.stamp != gen) c = {v, gen};
  };
  for (std::size_t k = 0; k < r.cols.size(); ++k) put(r.cols[k], r.vals[k]);
  for (std::size_t k = 0; k < r.tail.size(); ++k) put(r.tail_base + static_cast<std::uint32_t>(k), r.tail[k]);
}

namespace {
// XGBoost's rule: absent (missing) goes the default way, else value < threshold goes left.
template <class Node, class Cell>
inline std::int32_t next_node(const Node& n, const Cell* value, std::uint32_t gen) {
  const Cell& c = value[n.slot];
  return c.stamp != gen ? n.missing : c.value < n.threshold ? n.left : n.right;
}

// Saabas' credit for one split on a row's path: the child's expected value less the
// node's, added to the node's slot; a slot's first credit of the call is listed in
// `touched`, so that collect() visits only those.
template <class Node, class Cell>
inline void credit_split(const Node& n, const Node& child, Cell* sums, std::uint32_t* touched,
                         std::size_t& touched_count, std::uint32_t gen) {
  const float delta = child.mean - n.mean;
  Cell& sum = sums[n.slot];
  if (sum.stamp != gen) {
    sum = {delta, gen};
    touched[touched_count++] = n.slot;
  } else {
    sum.value += delta;
  }
}
}  // namespace

std::vector<float> tree_explainer::margins(scratch& s, bool record) const {
  const std::uint32_t gen = s.generation;
  const scratch::cell* value = s.values.data();
  const node* nodes = nodes_.data();
  std::vector<float> margin(outputs_, base_margin_);
  if (!record) {
    for (const auto& t : roots_) {
      const node* n = nodes + t.first;
      while (n->left >= 0) n = nodes + next_node(*n, value, gen);
      margin[t.output] += n->mean;
    }
    return margin;
  }
  // The same walk, writing down each node it passes: the stores are off the walk's
  // chain of dependent loads, so they cost little here and spare replay() the
  // comparisons (and their mispredicted branches) a second walk would make.
  std::int32_t* path = s.path.data();
  for (const auto& t : roots_) {
    std::int32_t* p = path;
    std::int32_t i = static_cast<std::int32_t>(t.first);
    const node* n = nodes + i;
    while (n->left >= 0) {
      *p++ = i;
      i = next_node(*n, value, gen);
      n = nodes + i;
    }
    *p = i;
    margin[t.output] += n->mean;
    path += path_stride_;
  }
  return margin;
}

void tree_explainer::credit(scratch& s, std::size_t output, std::vector<float>* margin) const {
  const std::uint32_t gen = s.generation;
  const scratch::cell* value = s.values.data();
  const node* nodes = nodes_.data();
  scratch::cell* sums = s.sums.data();
  std::uint32_t* touched = s.touched.data();
  std::size_t touched_count = 0;
  for (const auto& t : roots_) {
    if (t.output != output) continue;
    const node* n = nodes + t.first;
    while (n->left >= 0) {
      const node* c = nodes + next_node(*n, value, gen);
      credit_split(*n, *c, sums, touched, touched_count, gen);
      n = c;
    }
    if (margin) (*margin)[t.output] += n->mean;
  }
  s.touched_count = touched_count;
}

void tree_explainer::replay(scratch& s, std::size_t output) const {
  const std::uint32_t gen = s.generation;
  const node* nodes = nodes_.data();
  scratch::cell* sums = s.sums.data();
  std::uint32_t* touched = s.touched.data();
  std::size_t touched_count = 0;
  const std::int32_t* path = s.path.data();
  for (const auto& t : roots_) {
    if (t.output == output) {
      // Credits in the order credit() makes them: tree by tree, root to leaf.
      const std::int32_t* p = path;
      const node* n = nodes + *p;
      while (n->left >= 0) {
        const node* c = nodes + *++p;
        credit_split(*n, *c, sums, touched, touched_count, gen);
        n = c;
      }
    }
    path += path_stride_;
  }
  s.touched_count = touched_count;
}

std::vector<float> tree_explainer::link(std::vector<float> margin) const {
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

void tree_explainer::collect(const scratch& s, std::size_t cls,
                             std::vector<std::pair<std::uint32_t, float>>& out) const {
  const bool negate = binary_ && cls == 0;  // class 0's margin is the negation of the output
  // Written through a pointer into room for every credited slot.
  const std::size_t had = out.size();
  out.resize(had + s.touched_count);
  auto* to = out.data() + had;
  for (std::size_t i = 0; i < s.touched_count; ++i) {
    const std::uint32_t slot = s.touched[i];
    const float v = s.sums[slot].value;
    to[i] = {columns_[slot], negate ? -v : v};
  }
}

tree_explainer::result tree_explainer::walk(const row& input, bool contributions,
                                            std::span<const std::uint32_t> class_label) const {
  scratch& s = thread_scratch();
  scatter(s, input, contributions);
  // A binary model has one output: its credits and its margin come from one pass. A
  // multi-class model's contributions are those of the top class, known only once every
  // margin is: a pass for the margins that records every tree's path, then the credits
  // of that class's trees alone, read from the recorded paths.
  std::vector<float> margin;
  const bool fused = contributions && outputs_ == 1;
  if (fused) {
    margin.assign(1, base_margin_);
    credit(s, 0, &margin);
  } else {
    margin = margins(s, contributions);
  }
  result r;
  r.probabilities = link(std::move(margin));
  const auto& p = r.probabilities;
  if (class_label.size() == p.size()) {
    const auto& sums = r.label_probabilities;
    sum_classes_by_label(p, class_label, *std::max_element(class_label.begin(), class_label.end()) + 1,
                         r.label_probabilities);
    r.top_label = static_cast<std::size_t>(std::max_element(sums.begin(), sums.end()) - sums.begin());
    bool found = false;
    for (std::size_t c = 0; c < p.size(); ++c)
      if (class_label[c] == r.top_label && (!found || p[c] > p[r.top])) r.top = c, found = true;
  } else {
    for (std::size_t c = 0; c < p.size(); ++c)
      if (p[c] > p[r.top]) r.top = c;
    r.top_label = r.top;
  }
  if (contributions) {
    if (!fused) replay(s, r.top);
    collect(s, r.top, r.contributions);
  }
  return r;
}

std::vector<float> tree_explainer::predict(std::span<const std::uint32_t> cols, std::span<const float> vals) const {
  return walk(row{cols, vals}, false).probabilities;
}

std::vector<std::pair<std::uint32_t, float>> tree_explainer::contributions(std::span<const std::uint32_t> cols,
                                                                         std::span<const float> vals,
                                                                         std::size_t cls) const {
  scratch& s = thread_scratch();
  scatter(s, row{cols, vals}, true);
  credit(s, binary_ ? 0 : cls, nullptr);
  std::vector<std::pair<std::uint32_t, float>> out;
  collect(s, cls, out);
  return out;
}

std::vector<bool> tree_explainer::split_columns() const {
  std::vector<bool> used;
  if (columns_.empty()) return used;
  used.resize(columns_.back() + 1);
  for (std::uint32_t c : columns_) used[c] = true;
  return used;
}

}  // namespace mailtriage::model
