// Fuzz target: mime::parse must not crash, hang or leak on any input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mailtriage/mime/parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  mailtriage::mime::message m = mailtriage::mime::parse(raw);
  (void)m;
  return 0;
}
