// mailtriage: the command-line front end (mailtriage(1)). Each subcommand is a thin
// layer over the library.
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "check.hpp"
#include "eval.hpp"
#include "featurize.hpp"
#include "bench.hpp"
#include "score.hpp"
#include "sign.hpp"
#include "train.hpp"

namespace {

constexpr const char* kUsage =
    "usage: mailtriage COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  score          print the verdict (category, probabilities, reasons) for message files\n"
    "  explain        explain one message's verdict feature by feature\n"
    "  train          train a model bundle from a labelled corpus\n"
    "  eval           evaluate a model bundle on a labelled corpus (JSON and HTML report)\n"
    "  featurize      write LIBSVM feature vectors of message files (--schema: the schema)\n"
    "  check-config   validate a configuration file, its model and policy\n"
    "  verify-header  check an X-Triage-Verdict header's HMAC signature\n"
    "  bench          replay message files through a milter socket: throughput, latency, CPU\n"
    "  keygen         create an Ed25519 key pair for signing model bundles\n"
    "  sign           sign a model bundle (writes manifest.sig)\n"
    "  verify-model   check a model bundle's signature, hashes and schema\n"
    "  version        print the version\n"
    "\n"
    "Run 'mailtriage COMMAND --help' for a command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    std::cerr << kUsage;
    return 64;
  }
  std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  namespace cli = mailtriage::cli;
  try {
    if (command == "score") return cli::score_main(args);
    if (command == "explain") return cli::explain_main(args);
    if (command == "train") return cli::train_main(args);
    if (command == "eval") return cli::eval_main(args);
    if (command == "featurize") return cli::featurize_main(args);
    if (command == "check-config") return cli::check_config_main(args);
    if (command == "verify-header") return cli::verify_header_main(args);
    if (command == "bench") return cli::bench_main(args);
    if (command == "keygen") return cli::keygen_main(args);
    if (command == "sign") return cli::sign_main(args);
    if (command == "verify-model") return cli::verify_model_main(args);
    if (command == "version" || command == "--version") {
      std::cout << "mailtriage " MAILTRIAGE_VERSION "\n";
      return 0;
    }
    if (command == "help" || command == "--help" || command == "-h") {
      std::cout << kUsage;
      return 0;
    }
  } catch (const std::invalid_argument& e) {
    std::cerr << "mailtriage " << command << ": " << e.what() << "\n";
    return 64;
  } catch (const std::exception& e) {
    std::cerr << "mailtriage " << command << ": " << e.what() << "\n";
    return 1;
  }
  std::cerr << "mailtriage: unknown command '" << command << "'\n" << kUsage;
  return 64;
}
