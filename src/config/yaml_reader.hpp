#pragma once
// Private: typed, validated access to one YAML mapping. Every key read is marked
// used; finish() turns any key left over into an error, so typos are caught. Errors
// carry "file:line:column: key: what is wrong".
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <vector>
#include <string>

#include <yaml-cpp/yaml.h>

namespace mailtriage::config {

class yaml_section {
 public:
  yaml_section(YAML::Node node, std::string path, const std::string& source);

  [[nodiscard]] bool has(const std::string& key) const;
  [[nodiscard]] std::string text(const std::string& key, const std::string& fallback);
  [[nodiscard]] std::uint64_t integer(const std::string& key, std::uint64_t fallback, std::uint64_t min,
                                      std::uint64_t max);
  [[nodiscard]] std::chrono::milliseconds duration(const std::string& key, std::chrono::milliseconds fallback,
                                                   std::chrono::milliseconds min, std::chrono::milliseconds max);
  [[nodiscard]] std::uint64_t bytes(const std::string& key, std::uint64_t fallback, std::uint64_t min,
                                    std::uint64_t max);
  // A list of strings; a single scalar counts as a one-element list.
  [[nodiscard]] std::vector<std::string> strings(const std::string& key);
  [[nodiscard]] std::optional<double> real(const std::string& key, double min, double max);
  [[nodiscard]] std::optional<bool> boolean(const std::string& key);
  // A nested mapping (empty when absent).
  [[nodiscard]] yaml_section section(const std::string& key);
  // A sequence of mappings (empty when absent).
  [[nodiscard]] std::vector<yaml_section> items(const std::string& key);
  // The keys present, in file order (for one-key "action" mappings).
  [[nodiscard]] std::vector<std::string> keys() const;
  // "file:line" of this mapping.
  [[nodiscard]] std::string location() const { return where(node_); }
  // Fails on keys nobody read.
  void finish() const;

  [[noreturn]] void fail(const std::string& key, const std::string& what) const;

 private:
  std::optional<YAML::Node> value_of(const std::string& key);
  std::string where(const YAML::Node& n) const;
  // A mapping key as text; config_error for a list or mapping used as a key.
  std::string key_name(const YAML::Node& key) const;

  YAML::Node node_;
  std::string path_;
  const std::string& source_;
  std::set<std::string> used_;
};

}  // namespace mailtriage::config
