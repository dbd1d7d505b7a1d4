#include "mailtriage/model/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "xgb_call.hpp"

namespace mailtriage::model {

using detail::xgb_check;

namespace {

class owned_booster {
 public:
  owned_booster(DMatrixHandle* cache, bst_ulong n) { xgb_check(XGBoosterCreate(cache, n, &h_), "creating a booster"); }
  ~owned_booster() {
    if (h_) XGBoosterFree(h_);
  }
  owned_booster(const owned_booster&) = delete;
  owned_booster& operator=(const owned_booster&) = delete;
  BoosterHandle get() const { return h_; }
  BoosterHandle release() { return std::exchange(h_, nullptr); }

 private:
  BoosterHandle h_ = nullptr;
};

std::vector<float> class_weights(const std::vector<int>& labels, std::size_t classes, bool balance) {
  std::vector<float> w(labels.size(), 1.0f);
  if (!balance || labels.empty()) return w;
  std::vector<std::size_t> count(classes, 0);
  for (int l : labels) ++count[static_cast<std::size_t>(l)];
  for (std::size_t i = 0; i < labels.size(); ++i) {
    auto c = count[static_cast<std::size_t>(labels[i])];
    w[i] = static_cast<float>(static_cast<double>(labels.size()) / (static_cast<double>(classes) * static_cast<double>(c)));
  }
  return w;
}

detail::dmatrix make_matrix(const training_data& d, std::size_t classes, bool balance) {
  detail::dmatrix m(d.rows.indptr.data(), d.rows.rows(), d.rows.indices.data(), d.rows.values.data(),
                    d.rows.indices.size(), d.rows.columns);
  std::vector<float> labels(d.labels.begin(), d.labels.end());
  xgb_check(XGDMatrixSetFloatInfo(m.get(), "label", labels.data(), labels.size()), "setting labels");
  auto w = class_weights(d.labels, classes, balance);
  if (!d.row_weights.empty()) {
    if (d.row_weights.size() != w.size()) throw model_error("row weights do not match the rows");
    for (std::size_t i = 0; i < w.size(); ++i) w[i] *= d.row_weights[i];
  }
  xgb_check(XGDMatrixSetFloatInfo(m.get(), "weight", w.data(), w.size()), "setting weights");
  return m;
}

// "[12]\ttrain-mlogloss:0.1234\tvalid-mlogloss:0.2345" -> the value after `name-`.
double metric_value(const std::string& line, const std::string& name) {
  auto at = line.find(name + "-");
  if (at == std::string::npos) return 0;
  auto colon = line.find(':', at);
  if (colon == std::string::npos) return 0;
  return std::strtod(line.c_str() + colon + 1, nullptr);
}

void set(BoosterHandle h, const char* name, const std::string& value) {
  xgb_check(XGBoosterSetParam(h, name, value.c_str()), name);
}

// The validation rows as the labels' log loss sees them: each row's label (its class's)
// and weight (labels balanced, times the row's own weight). Fixed for the whole run.
struct label_rows {
  std::vector<std::uint32_t> label;
  std::vector<double> weight;
};

label_rows label_rows_of(const training_data& valid, const std::vector<std::uint32_t>& class_label) {
  label_rows out;
  std::vector<int> ids;
  for (int c : valid.labels) ids.push_back(static_cast<int>(class_label[static_cast<std::size_t>(c)]));
  const std::size_t labels = *std::max_element(class_label.begin(), class_label.end()) + 1;
  auto w = class_weights(ids, labels, true);
  for (std::size_t r = 0; r < ids.size(); ++r) {
    out.label.push_back(static_cast<std::uint32_t>(ids[r]));
    out.weight.push_back(w[r] * (valid.row_weights.empty() ? 1.0f : valid.row_weights[r]));
  }
  return out;
}

// The validation log loss of the labels: each row's probability of its label (the sum
// of the label's classes), weighted as label_rows_of says. The booster was created with
// `dvalid` in its cache, so XGBoost adds only the newest trees to the predictions it
// keeps for it.
double label_log_loss(BoosterHandle b, DMatrixHandle dvalid, const label_rows& rows,
                      const std::vector<std::uint32_t>& class_label) {
  const char* config = R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":true})";
  bst_ulong const* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  xgb_check(XGBoosterPredictFromDMatrix(b, dvalid, config, &shape, &dim, &result), "predicting validation rows");
  const std::size_t classes = class_label.size();
  double loss = 0, total = 0;
  for (std::size_t r = 0; r < rows.label.size(); ++r) {
    double p = 0;
    for (std::size_t c = 0; c < classes; ++c)
      if (class_label[c] == rows.label[r]) p += result[r * classes + c];
    loss -= rows.weight[r] * std::log(std::clamp(p, 1e-15, 1.0));
    total += rows.weight[r];
  }
  return total > 0 ? loss / total : 0;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

training_result train(const training_data& train_set, const training_data& valid_set, std::size_t classes,
                      const train_params& p, const progress_fn& progress) {
  if (classes < 2) throw model_error("training needs at least two labels");
  if (!p.class_label.empty() && (p.class_label.size() != classes || classes == 2))
    throw model_error("class_label needs one label per class of a multi-class model");
  if (train_set.rows.rows() == 0 || valid_set.rows.rows() == 0)
    throw model_error("training needs rows in both the training and the validation set");
  // Validation rows are weighted too, so early stopping optimises the balanced loss.
  auto dtrain = make_matrix(train_set, classes, p.balance_classes);
  auto dvalid = make_matrix(valid_set, classes, p.balance_classes);
  DMatrixHandle cache[2] = {dtrain.get(), dvalid.get()};
  owned_booster b(cache, 2);
  const bool binary = classes == 2;
  const std::string loss = binary ? "logloss" : "mlogloss";
  set(b.get(), "objective", binary ? "binary:logistic" : "multi:softprob");
  if (!binary) set(b.get(), "num_class", std::to_string(classes));
  set(b.get(), "eval_metric", loss);
  set(b.get(), "tree_method", "hist");
  set(b.get(), "max_depth", std::to_string(p.max_depth));
  set(b.get(), "eta", num(p.eta));
  set(b.get(), "subsample", num(p.subsample));
  set(b.get(), "colsample_bytree", num(p.colsample_bytree));
  set(b.get(), "min_child_weight", num(p.min_child_weight));
  set(b.get(), "lambda", num(p.lambda));
  set(b.get(), "max_bin", std::to_string(p.max_bin));
  set(b.get(), "nthread", std::to_string(p.threads));
  set(b.get(), "seed", std::to_string(p.seed));
  set(b.get(), "verbosity", "0");

  const label_rows valid_label_rows = p.class_label.empty() ? label_rows{} : label_rows_of(valid_set, p.class_label);
  std::vector<round_score> history;
  double best = 1e300;
  int best_round = 0;
  const char* names[2] = {"train", "valid"};
  for (int round = 0; round < p.max_rounds; ++round) {
    xgb_check(XGBoosterUpdateOneIter(b.get(), round, dtrain.get()), "training a round");
    const char* line = nullptr;
    xgb_check(XGBoosterEvalOneIter(b.get(), round, cache, names, 2, &line), "evaluating a round");
    round_score s{round + 1, metric_value(line, "train"), metric_value(line, "valid")};
    if (!p.class_label.empty()) s.valid_loss = label_log_loss(b.get(), dvalid.get(), valid_label_rows, p.class_label);
    history.push_back(s);
    if (progress) progress(s);
    if (p.early_stopping_rounds <= 0 || s.valid_loss < best - 1e-7) {
      best = s.valid_loss;
      best_round = round + 1;
    } else if (round + 1 - best_round >= p.early_stopping_rounds) {
      break;
    }
  }
  // Keep the rounds up to the best validation loss.
  BoosterHandle sliced = nullptr;
  xgb_check(XGBoosterSlice(b.get(), 0, best_round, 1, &sliced), "keeping the best rounds");
  // A slice shares configuration; round-trip through bytes so the result is a plain,
  // independent model exactly as it will be loaded from disk.
  booster tmp(sliced, train_set.rows.columns);
  std::string bytes = tmp.save();
  return training_result{booster::from_bytes(bytes, train_set.rows.columns), best_round, best, std::move(history)};
}

}  // namespace mailtriage::model
