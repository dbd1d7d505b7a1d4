#pragma once
// `mailtriage score FILE...` and `mailtriage explain FILE`: the daemon's verdict for
// message files, as text or --json, with the strongest reasons.
#include <string>
#include <vector>

namespace mailtriage::cli {

int score_main(const std::vector<std::string>& args);
int explain_main(const std::vector<std::string>& args);

}  // namespace mailtriage::cli
