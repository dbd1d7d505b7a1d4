#include "check.hpp"

#include <iostream>

#include "args.hpp"
#include "mailtriage/config/config.hpp"
#include "mailtriage/engine/load.hpp"
#include "mailtriage/model/signature.hpp"
#include "mailtriage/policy/decide.hpp"
#include "mailtriage/util/secret_file.hpp"

namespace mailtriage::cli {
namespace {

constexpr const char* kCheckUsage =
    "usage: mailtriage check-config [FILE]\n"
    "Validates a configuration (default: the built-in one) the way mailtriaged loads it:\n"
    "every key, the model bundle (hashes, feature schema) and the policy rules. Prints\n"
    "FILE:LINE:COLUMN and what is wrong, and exits 78, on the first error. With\n"
    "model.public_key_file, every model's manifest.sig is verified too.\n";

constexpr const char* kVerifyUsage =
    "usage: mailtriage verify-header --key-file FILE 'VALUE'\n"
    "Checks the sig= of an X-Triage-Verdict header value against the HMAC key; exits 0\n"
    "when it is genuine, 1 otherwise.\n";

}  // namespace

int check_config_main(const std::vector<std::string>& argv) {
  arg_parser a(argv, kCheckUsage);
  auto files = a.positional();
  if (a.help()) return 0;
  if (files.size() > 1) return a.usage_error("at most one FILE");
  try {
    auto cfg = files.empty() ? config::load_text(config::builtin_yaml(), "<built-in>") : config::load_file(files[0]);
    auto e = engine::build_engine(cfg);
    std::string trust;
    if (!cfg.model.public_key_file.empty())
      trust = ", signature verified with key " + model::public_key::load(cfg.model.public_key_file).fingerprint();
    std::cout << cfg.source << ": OK (listen " << cfg.milter.listen.to_string() << ", model "
              << e->active().model().id << trust << ", " << cfg.policy.rules.size() << " rules)\n";
    return 0;
  } catch (const config::config_error& e) {
    std::cerr << e.what() << "\n";
    return 78;
  } catch (const std::runtime_error& e) {
    std::cerr << e.what() << "\n";
    return 78;
  }
}

int verify_header_main(const std::vector<std::string>& argv) {
  arg_parser a(argv, kVerifyUsage);
  std::string key_file = a.text({"--key-file"}, "");
  auto values = a.positional();
  if (a.help()) return 0;
  if (key_file.empty() || values.size() != 1) return a.usage_error("--key-file and one header VALUE are required");
  // No minimum here: the daemon enforced it when it signed; verify with the key as given.
  std::string key = read_secret_file(key_file, "HMAC key", 0);
  std::string value = values[0];
  // Accept "X-Triage-Verdict: ..." as well as the bare value.
  if (auto colon = value.find(':'); colon != std::string::npos && value.find('=') > colon) value = value.substr(colon + 1);
  bool ok = policy::verify_verdict_header(value, key);
  std::cout << (ok ? "genuine" : "NOT genuine") << "\n";
  return ok ? 0 : 1;
}

}  // namespace mailtriage::cli
