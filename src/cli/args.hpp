#pragma once
// Option parsing shared by the subcommands: `--name value`, `--name=value`, repeated
// list options, positional arguments, --help. Options are read on request; anything
// left unread is an unknown option. Throws std::invalid_argument with the option's name.
#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <vector>

namespace mailtriage::cli {

class arg_parser {
 public:
  // `flags`: this command's options that take no value; every other option takes one.
  arg_parser(const std::vector<std::string>& args, const char* usage, std::set<std::string> flags = {});

  [[nodiscard]] std::string text(std::initializer_list<const char*> names, const std::string& fallback);
  [[nodiscard]] double real(std::initializer_list<const char*> names, double fallback);
  [[nodiscard]] std::int64_t integer(std::initializer_list<const char*> names, std::int64_t fallback);
  [[nodiscard]] bool flag(std::initializer_list<const char*> names);
  // Every occurrence, each split at commas.
  [[nodiscard]] std::vector<std::string> list(std::initializer_list<const char*> names);
  // Arguments that are not options; fails on options nobody asked for.
  [[nodiscard]] std::vector<std::string> positional();
  // True (after printing the usage) when --help or -h was given.
  [[nodiscard]] bool help() const;
  // Prints the message and the usage; returns the EX_USAGE exit status.
  [[nodiscard]] int usage_error(const std::string& message) const;

 private:
  struct option {
    std::string name, value;
    bool has_value = false;
    bool used = false;
  };
  std::vector<option*> find(std::initializer_list<const char*> names);
  std::vector<option> options_;
  std::vector<std::string> positional_;
  const char* usage_;
  bool help_ = false;
};

}  // namespace mailtriage::cli
