#pragma once
// `mailtriage featurize`: message files, maildirs and mbox files -> LIBSVM lines plus a
// names file (labels, dense feature names, schema fingerprint); `--schema` prints the
// Markdown schema document.
#include <string>
#include <vector>

namespace mailtriage::cli {

// Returns the process exit status; throws std::runtime_error for unreadable inputs.
int featurize_main(const std::vector<std::string>& args);

}  // namespace mailtriage::cli
