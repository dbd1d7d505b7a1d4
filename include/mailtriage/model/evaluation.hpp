#pragma once
// Quality of a model on labelled rows: per class precision/recall/F1 at the top
// class, ROC AUC and recall at fixed false-positive rates against the negative
// (legitimate) label, the confusion matrix and calibration. Pure.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "mailtriage/model/bundle.hpp"
#include "mailtriage/model/metrics.hpp"

namespace mailtriage::model {

struct class_metrics {
  std::string label;
  std::size_t support = 0;  // rows with this label
  double precision = 0, recall = 0, f1 = 0;  // top-class decisions
  // Against the negative label only (NaN for the negative label itself).
  double auc = 0;
  double recall_at_1pct = 0, recall_at_01pct = 0, recall_at_001pct = 0;
  // At the manifest threshold, when there is one.
  bool has_threshold = false;
  float threshold = 0;
  double fpr_at_threshold = 0, recall_at_threshold = 0;
  std::vector<roc_point> roc;
  // The same rows scored by 1 - P(negative): how well the filter tells this class from
  // legitimate mail whatever other non-negative class it names (a spam message scored as
  // phishing is still kept out of the inbox). NaN for the negative label itself.
  double not_negative_auc = 0, not_negative_recall_at_1pct = 0, not_negative_recall_at_01pct = 0;
};

struct evaluation {
  std::vector<class_metrics> classes;
  std::vector<std::vector<std::size_t>> confusion;  // [true][predicted]
  std::size_t rows = 0;
  double accuracy = 0;
  double ece = 0;
  int negative = -1;  // index of the negative label, -1 if none

  [[nodiscard]] std::string to_json() const;
};

// `probabilities` is row-major rows x labels.size().
[[nodiscard]] evaluation evaluate(const std::vector<float>& probabilities, const std::vector<int>& truth,
                                  const std::vector<std::string>& labels, const std::string& negative_label,
                                  const std::map<std::string, class_threshold>& thresholds);

// Threshold per non-negative label for `target_fpr` on the negative label's rows.
[[nodiscard]] std::map<std::string, class_threshold> choose_thresholds(const std::vector<float>& probabilities,
                                                                        const std::vector<int>& truth,
                                                                        const std::vector<std::string>& labels,
                                                                        const std::string& negative_label,
                                                                        double target_fpr);

}  // namespace mailtriage::model
