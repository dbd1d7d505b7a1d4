#pragma once
// The trees walked directly, for the class probabilities and fast per-feature
// contributions (Saabas' method, what XGBoost calls approximate contributions): for each
// tree, walk the row's path and credit each split's feature with the change in the
// node's expected value. Costs O(trees x depth) per row and returns only the features on
// the paths, where XGBoost's own call fills (columns + 1) x classes floats — a million
// for our hashed schema.
//
// One call serves both: walk() adds every tree's leaf to its class's margin, picks the
// top class, and credits the splits of that class's trees alone to a per-column
// accumulator (for a binary model, whose trees all belong to its one output, in the
// same pass as the margin). The trees only test a few thousand of the
// schema's 262,303 columns: those are renumbered 0..n at construction (a bit set with a
// rank per word maps a schema column to its number), and a call scatters the sparse row
// into a dense array of n values in thread-local scratch, so every split reads its
// value with one load instead of a binary search of the row.
//
// Immutable after construction; every call is safe from many threads (the scratch is
// per thread, shared by every explainer on it, grown to the largest and never shrunk).
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "mailtriage/model/booster.hpp"

namespace mailtriage::model {

class tree_explainer {
 public:
  // Reads the trees from the booster's text dump (with statistics). Throws model_error.
  explicit tree_explainer(const booster& b);

  struct result {
    std::vector<float> probabilities;  // one per class
    std::size_t top = 0;               // the first class with the largest probability (see walk)
    // With walk's `class_label`: one per label, its classes summed; and the label whose
    // sum is highest. Without: empty, and top_label == top.
    std::vector<float> label_probabilities;
    std::size_t top_label = 0;
    // (column, contribution to top's margin), unordered; empty unless asked for. Each
    // column's credits are summed in float in tree order (XGBoost sums its approximate
    // contributions in that order too).
    std::vector<std::pair<std::uint32_t, float>> contributions;
  };
  // A booster row without copying it together: the extractor's sparse columns and, after
  // them, the values of the consecutive columns tail_base, tail_base + 1... (the model's
  // token evidence).
  struct row {
    std::span<const std::uint32_t> cols;
    std::span<const float> vals;
    std::uint32_t tail_base = 0;
    std::span<const float> tail = {};
  };
  // Probabilities and, with `contributions`, the top class's contributions, in one walk.
  // With `class_label` (class -> label id, a model trained with sub-classes), the top
  // class is the most probable class of the label whose classes sum highest, so the
  // contributions explain the label the verdict reports.
  [[nodiscard]] result walk(const row& r, bool contributions, std::span<const std::uint32_t> class_label = {}) const;
  [[nodiscard]] result walk(std::span<const std::uint32_t> cols, std::span<const float> vals,
                            bool contributions) const {
    return walk(row{cols, vals}, contributions);
  }

  // (column, contribution to class `cls`'s margin), summed per column, unordered.
  // Binary models have one output: class 1 is it, class 0 its negation.
  [[nodiscard]] std::vector<std::pair<std::uint32_t, float>> contributions(std::span<const std::uint32_t> cols,
                                                                          std::span<const float> vals,
                                                                          std::size_t cls) const;

  // Class probabilities for one row by walking the trees: the booster's prediction
  // without XGBoost's per-call cost, which grows with the schema's width (it fills a
  // dense vector of every column for each row: ~0.6 ms for our 262,303 columns, where
  // the walk takes a few us). Same splits, same leaf values, same float arithmetic and
  // link function; tests check it against XGBoost's in-place prediction.
  [[nodiscard]] std::vector<float> predict(std::span<const std::uint32_t> cols, std::span<const float> vals) const;

  [[nodiscard]] std::size_t trees() const { return roots_.size(); }  // trees with nodes
  // One bit per column, set for the columns some split tests (the only ones that can
  // contribute to a prediction or appear among reasons); sized to the largest + 1.
  [[nodiscard]] std::vector<bool> split_columns() const;

 private:
  struct node {
    std::uint32_t slot = 0;  // the split column's compact number
    float threshold = 0;     // go left when value < threshold
    std::int32_t left = -1, right = -1, missing = -1;  // absolute node indices; left -1: leaf
    float mean = 0;          // expected value of the subtree (cover-weighted leaf mean)
  };
  struct tree_root {
    std::uint32_t first = 0;   // index of the root in nodes_
    std::uint32_t output = 0;  // which class margin this tree adds to
  };
  class scratch;
  static scratch& thread_scratch();
  // Starts a call on `s` with the row's values (with `accumulate`, room for credits).
  void scatter(scratch& s, const row& r, bool accumulate) const;
  // Every output's margin: base + leaves, tree by tree; with `record`, each tree's path
  // is left in `s` for replay().
  [[nodiscard]] std::vector<float> margins(scratch& s, bool record) const;
  // Walks the trees of one output, leaving each split's credit per slot in `s` (in tree
  // order); with `margin`, also adds their leaves to it.
  void credit(scratch& s, std::size_t output, std::vector<float>* margin) const;
  // credit() for one output from the paths margins() recorded, without walking again.
  void replay(scratch& s, std::size_t output) const;
  [[nodiscard]] std::vector<float> link(std::vector<float> margin) const;
  // Appends the credits left by credit() for class `cls`'s output as (column, contribution).
  void collect(const scratch& s, std::size_t cls, std::vector<std::pair<std::uint32_t, float>>& out) const;

  std::vector<node> nodes_;          // every tree's nodes, tree after tree
  std::vector<tree_root> roots_;     // in the booster's order (round by round)
  std::vector<std::uint32_t> columns_;  // slot -> schema column, ascending
  // Schema column -> slot: bit per column and the number of set bits before each word.
  std::vector<std::uint64_t> split_bits_;
  std::vector<std::uint32_t> rank_;
  bool binary_ = true;
  std::size_t outputs_ = 1;
  float base_margin_ = 0;  // added to every output's margin before the link function
  std::size_t path_stride_ = 1;  // nodes on the longest root-to-leaf path of any tree
};

}  // namespace mailtriage::model
