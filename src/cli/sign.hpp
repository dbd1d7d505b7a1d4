#pragma once
// Model integrity for operators: `mailtriage keygen` (an Ed25519 key pair),
// `mailtriage sign` (manifest.sig for a bundle) and `mailtriage verify-model` (the check
// mailtriaged makes when model.public_key_file is set).
#include <string>
#include <vector>

namespace mailtriage::cli {

int keygen_main(const std::vector<std::string>& args);
int sign_main(const std::vector<std::string>& args);
int verify_model_main(const std::vector<std::string>& args);

}  // namespace mailtriage::cli
