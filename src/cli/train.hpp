#pragma once
// `mailtriage train CORPUS... -o MODEL`: featurizes a labelled corpus, trains an XGBoost
// model early-stopped on a stratified validation split, chooses per-class thresholds
// for a target false-positive rate and writes a verified model bundle.
#include <string>
#include <vector>

namespace mailtriage::cli {

int train_main(const std::vector<std::string>& args);

}  // namespace mailtriage::cli
