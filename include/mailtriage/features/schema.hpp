#pragma once
// The versioned feature schema: dense named columns [0, dense_count) followed by a hashed
// token space [dense_count, dense_count + hash_buckets). Everything here is constant data
// and pure functions: thread-safe.
//
// Hashed tokens: column = dense_count + (FNV-1a-64("namespace:token") & (hash_buckets - 1)),
// FNV offset basis 0xcbf29ce484222325, prime 0x100000001b3, over the UTF-8 bytes.
// Value 1 when the token occurs (presence, not counts).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mailtriage/features/dense_features.hpp"
#include "mailtriage/features/feature_vector.hpp"

namespace mailtriage::features {

inline constexpr std::uint32_t schema_version = 2;
inline constexpr std::uint32_t hash_bits = 18;
inline constexpr std::uint32_t hash_buckets = std::uint32_t{1} << hash_bits;
inline constexpr std::string_view hash_function_id = "fnv1a64-mask";
inline constexpr std::uint32_t column_count = dense_count + hash_buckets;

struct dense_info {
  std::string_view group;
  std::string_view name;
  std::string_view description;
};

// Dense feature metadata, in column order (size dense_count).
[[nodiscard]] const std::vector<dense_info>& dense_features();

// Token namespaces of the hashed space, with their meaning (for documentation).
[[nodiscard]] const std::vector<std::pair<std::string_view, std::string_view>>& token_namespaces();

// FNV-1a 64 of `ns` + ':' + `token`, and the column it lands in.
[[nodiscard]] std::uint64_t token_hash(std::string_view ns, std::string_view token);
[[nodiscard]] std::uint32_t token_column(std::string_view ns, std::string_view token);

// Lower-case hex SHA-256 over: "mailtriage-features\n", schema_version, every dense name in
// order, hash_function_id and hash_buckets, each followed by '\n'.
[[nodiscard]] std::string schema_fingerprint();
// The same digest over an explicit name list (exposed so tests can show it changes).
[[nodiscard]] std::string schema_fingerprint_of(std::uint32_t version, const std::vector<std::string_view>& dense_names,
                                                std::string_view hash_id, std::uint32_t buckets);

// Human-readable name of a column: the dense name, the token text(s) recorded in `names`
// (e.g. subj:"verify account"), or "hash[12345]".
[[nodiscard]] std::string describe_column(std::uint32_t column, const token_names* names = nullptr);

// The Markdown schema document (docs/FEATURES.md).
[[nodiscard]] std::string schema_markdown();

}  // namespace mailtriage::features
