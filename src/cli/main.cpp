// mailtriage: the command-line front end (mailtriage(1)). Each subcommand is a thin
// layer over the library.
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "featurize.hpp"
#include "replay.hpp"

namespace {

constexpr const char* kUsage =
    "usage: mailtriage COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  featurize write LIBSVM feature vectors of message files (or --schema: the schema)\n"
    "  replay    send message files through a milter socket and report throughput and latency\n"
    "  version   print the version\n"
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
  try {
    if (command == "featurize") return mailtriage::cli::featurize_main(args);
    if (command == "replay") return mailtriage::cli::replay_main(args);
    if (command == "version" || command == "--version") {
      std::cout << "mailtriage " MAILTRIAGE_VERSION "\n";
      return 0;
    }
    if (command == "help" || command == "--help" || command == "-h") {
      std::cout << kUsage;
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "mailtriage " << command << ": " << e.what() << "\n";
    return 1;
  }
  std::cerr << "mailtriage: unknown command '" << command << "'\n" << kUsage;
  return 64;
}
