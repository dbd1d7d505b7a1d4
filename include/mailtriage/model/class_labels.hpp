#pragma once
// A model trained with sub-classes (`train --sub-class`) has more booster classes than
// labels: each class reports as one label. This is the one place where a label's
// probabilities are made from its classes', for the daemon's tree walk and for batch
// predictions alike. (The trainer's early-stopping loss needs only each row's own label
// and sums it in double, from XGBoost's buffer: model/trainer.cpp, label_log_loss.)
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace mailtriage::model {

// `class_probs`: row-major rows of class_label.size() values. `out` is resized to
// rows x `labels` values: each label's classes summed.
inline void sum_classes_by_label(std::span<const float> class_probs, std::span<const std::uint32_t> class_label,
                                 std::size_t labels, std::vector<float>& out) {
  const std::size_t k = class_label.size(), rows = k == 0 ? 0 : class_probs.size() / k;
  out.assign(rows * labels, 0.0f);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < k; ++c) out[r * labels + class_label[c]] += class_probs[r * k + c];
}

}  // namespace mailtriage::model
