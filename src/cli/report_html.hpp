#pragma once
// The self-contained HTML evaluation report: inline SVG plots (ROC curves, confusion
// matrix, slice false-positive bars), no scripts, no external files.
#include <string>
#include <vector>

#include "mailtriage/model/evaluation.hpp"

namespace mailtriage::cli {

struct slice_row {
  std::string dimension;  // "script", "size", "format", "sender", "subsource", "charset"
  std::string value;
  std::size_t negatives = 0;  // negative-label messages in the slice
  std::size_t positives = 0;  // others
  double fpr = 0;             // negatives flagged by any threshold
  double recall = 0;          // positives flagged
};

[[nodiscard]] std::string render_report(const std::string& title, const model::evaluation& e,
                                        const std::vector<slice_row>& slices, double overall_fpr,
                                        double overall_recall);

}  // namespace mailtriage::cli
