#pragma once
// `mailtriage check-config [FILE]` and `mailtriage verify-header`.
#include <string>
#include <vector>

namespace mailtriage::cli {

int check_config_main(const std::vector<std::string>& args);
int verify_header_main(const std::vector<std::string>& args);

}  // namespace mailtriage::cli
