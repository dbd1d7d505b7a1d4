#pragma once
// Trains a gradient-boosted tree model with XGBoost (hist trees), early-stopped on a
// validation set, with class weights against imbalance. Deterministic: the same rows,
// labels and parameters give the same model bytes.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "mailtriage/model/booster.hpp"
#include "mailtriage/model/sparse_rows.hpp"

namespace mailtriage::model {

struct train_params {
  // eta 0.05 with room for 800 rounds: in grouped five-fold cross-validation on the
  // developer corpus it beat eta 0.1 / 400 rounds with both seeds tried (docs/QUALITY.md),
  // for about twice the trees; the tree walk is a few µs of a message's verdict.
  int max_rounds = 800;
  int early_stopping_rounds = 30;  // 0: no early stopping, all max_rounds are kept
  int max_depth = 6;
  double eta = 0.05;
  double subsample = 0.8;
  double colsample_bytree = 0.5;
  double min_child_weight = 1.0;
  double lambda = 1.0;
  int max_bin = 256;
  int threads = 2;  // fixed, so training is reproducible across machines with more cores
  unsigned seed = 1;
  bool balance_classes = true;  // weight rows by n / (k * n_class)
  // Class -> reported label, for a model trained with sub-classes (bundle.hpp): early
  // stopping then watches the validation log loss of the labels (each label's classes
  // summed, rows weighted to balance the labels), not of the classes, which also counts
  // the sub-class against the rest of its own label. Empty: XGBoost's own class loss.
  std::vector<std::uint32_t> class_label;
};

struct training_data {
  sparse_rows rows;
  std::vector<int> labels;  // 0 .. classes-1
  // Per-row weights multiplied into the class weights; empty means all 1.
  std::vector<float> row_weights;
};

struct round_score {
  int round = 0;
  double train_loss = 0;
  double valid_loss = 0;
};

struct training_result {
  booster model;
  int best_round = 0;  // rounds kept (1-based count)
  double best_valid_loss = 0;
  std::vector<round_score> history;
};

// Called after every round with (round, rounds so far, validation loss).
using progress_fn = std::function<void(const round_score&)>;

// Throws model_error when XGBoost refuses the data or parameters.
[[nodiscard]] training_result train(const training_data& train_set, const training_data& valid_set,
                                    std::size_t classes, const train_params& params, const progress_fn& progress);

}  // namespace mailtriage::model
