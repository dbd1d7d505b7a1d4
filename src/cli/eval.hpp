#pragma once
// `mailtriage eval MODEL CORPUS...`: per-class quality, confusion matrix, calibration
// and bias slices, as JSON and as a self-contained HTML report.
#include <string>
#include <vector>

namespace mailtriage::cli {

int eval_main(const std::vector<std::string>& args);

}  // namespace mailtriage::cli
