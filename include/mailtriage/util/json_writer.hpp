#pragma once
// A small streaming JSON writer for reports and manifests (reading is done with
// yaml-cpp, which parses JSON). Keys are written in the order given, so output is
// byte-for-byte reproducible. Not thread-safe; one writer per document.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mailtriage {

class json_writer {
 public:
  explicit json_writer(bool pretty = true) : pretty_(pretty) {}

  json_writer& begin_object();
  json_writer& end_object();
  json_writer& begin_array();
  json_writer& end_array();
  json_writer& key(std::string_view k);
  json_writer& value(std::string_view s);
  json_writer& value(const char* s) { return value(std::string_view(s)); }
  json_writer& value(double d);
  json_writer& value(std::int64_t n);
  json_writer& value(std::uint64_t n);
  json_writer& value(int n) { return value(static_cast<std::int64_t>(n)); }
  json_writer& value(bool b);
  json_writer& null();
  // Inserts an already-encoded JSON value (from another json_writer).
  json_writer& raw(std::string_view json);

  // Shorthand for key(k).value(v).
  template <class T>
  json_writer& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

  [[nodiscard]] const std::string& str() const { return out_; }

  // A JSON string literal: quotes, backslashes and control characters escaped, and
  // bytes that are not valid UTF-8 replaced by U+FFFD so the output is always valid.
  static std::string escape(std::string_view s);
  static void append_escaped(std::string& out, std::string_view s);

 private:
  void before_value();
  void newline();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool pretty_;
  bool after_key_ = false;
};

}  // namespace mailtriage
