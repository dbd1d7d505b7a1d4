#include "args.hpp"

#include <iostream>
#include <stdexcept>

namespace mailtriage::cli {

arg_parser::arg_parser(const std::vector<std::string>& args, const char* usage, std::set<std::string> flags)
    : usage_(usage) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      help_ = true;
      continue;
    }
    if (a.size() > 1 && a[0] == '-' && a != "-") {
      option o;
      auto eq = a.find('=');
      if (eq != std::string::npos) {
        o.name = a.substr(0, eq);
        o.value = a.substr(eq + 1);
        o.has_value = true;
      } else {
        o.name = a;
        if (!flags.contains(a)) {
          if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
          o.value = args[++i];
          o.has_value = true;
        }
      }
      options_.push_back(std::move(o));
    } else {
      positional_.push_back(a);
    }
  }
  if (help_) std::cout << usage_;
}

std::vector<arg_parser::option*> arg_parser::find(std::initializer_list<const char*> names) {
  std::vector<option*> out;
  for (auto& o : options_)
    for (const char* n : names)
      if (o.name == n) {
        o.used = true;
        out.push_back(&o);
      }
  return out;
}

std::string arg_parser::text(std::initializer_list<const char*> names, const std::string& fallback) {
  auto found = find(names);
  return found.empty() ? fallback : found.back()->value;
}

double arg_parser::real(std::initializer_list<const char*> names, double fallback) {
  auto found = find(names);
  if (found.empty()) return fallback;
  try {
    std::size_t used = 0;
    double v = std::stod(found.back()->value, &used);
    if (used == found.back()->value.size()) return v;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument(found.back()->name + " needs a number");
}

std::int64_t arg_parser::integer(std::initializer_list<const char*> names, std::int64_t fallback) {
  auto found = find(names);
  if (found.empty()) return fallback;
  try {
    std::size_t used = 0;
    long long v = std::stoll(found.back()->value, &used);
    if (used == found.back()->value.size()) return v;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument(found.back()->name + " needs a whole number");
}

bool arg_parser::flag(std::initializer_list<const char*> names) { return !find(names).empty(); }

std::vector<std::string> arg_parser::list(std::initializer_list<const char*> names) {
  std::vector<std::string> out;
  for (auto* o : find(names)) {
    std::size_t pos = 0;
    while (pos <= o->value.size()) {
      auto comma = o->value.find(',', pos);
      if (comma == std::string::npos) comma = o->value.size();
      if (comma > pos) out.push_back(o->value.substr(pos, comma - pos));
      pos = comma + 1;
    }
  }
  return out;
}

std::vector<std::string> arg_parser::positional() {
  for (const auto& o : options_)
    if (!o.used) throw std::invalid_argument("unknown option " + o.name);
  return positional_;
}

bool arg_parser::help() const { return help_; }

int arg_parser::usage_error(const std::string& message) const {
  std::cerr << message << "\n" << usage_;
  return 64;
}

}  // namespace mailtriage::cli
