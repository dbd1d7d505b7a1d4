// Fuzz target: parse + extract must not crash on any input, and must be deterministic
// with sorted, in-range columns (violations abort so the fuzzer records them).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string_view>

#include "mailtriage/features/extract.hpp"
#include "mailtriage/features/schema.hpp"
#include "mailtriage/mime/parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailtriage;
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  features::envelope_facts env;
  env.known = size % 2 == 0;  // exercise both paths
  env.client_address = "192.0.2.1";
  env.helo = raw.substr(0, 16);
  // mime::parse never throws: an exception escapes and the fuzzer reports it.
  mime::message m = mime::parse(raw);
  features::token_names names;
  features::extraction a = features::extract_with_pii(m, env, &names);
  features::feature_vector b = features::extract(m, env);
  if (!(a.vector == b)) std::abort();
  if (a.vector.indices.size() != a.vector.values.size()) std::abort();
  for (std::size_t i = 0; i < a.vector.indices.size(); ++i) {
    if (a.vector.indices[i] >= features::column_count) std::abort();
    if (i > 0 && a.vector.indices[i - 1] >= a.vector.indices[i]) std::abort();
    if (a.vector.values[i] != a.vector.values[i]) std::abort();  // NaN
  }
  return 0;
}
