#pragma once
// Helpers for the features tests: load a hand-written fixture and run parse + extract.
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "mailtriage/features/extract.hpp"
#include "mailtriage/features/schema.hpp"
#include "mailtriage/mime/parse.hpp"

namespace mailtriage::features::test {

inline std::string fixture_path(const std::string& name) { return std::string(MAILTRIAGE_FEATURES_FIXTURES) + "/" + name; }

inline std::string load_fixture(const std::string& name) {
  std::ifstream in(fixture_path(name), std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline extraction extract_fixture(const std::string& name, const envelope_facts& env = {}, token_names* names = nullptr) {
  return extract_with_pii(mime::parse(load_fixture(name)), env, names);
}

inline extraction extract_text(const std::string& raw, const envelope_facts& env = {}, token_names* names = nullptr) {
  return extract_with_pii(mime::parse(raw), env, names);
}

// Value of a dense feature; NaN when missing.
inline float value(const feature_vector& v, dense d) {
  auto x = v.get(column(d));
  return x ? *x : std::numeric_limits<float>::quiet_NaN();
}

inline bool has_token(const feature_vector& v, std::string_view ns, std::string_view token) {
  return v.get(token_column(ns, token)).has_value();
}

}  // namespace mailtriage::features::test
