#pragma once
// The feature extractor: one code path for training (mailtriage featurize) and serving
// (the daemon). Pure functions: no shared mutable state, thread-safe, never throw
// (std::bad_alloc aside), deterministic (the same message and facts give the same vector,
// bit for bit).
#include "mailtriage/features/envelope.hpp"
#include "mailtriage/features/feature_vector.hpp"
#include "mailtriage/mime/message.hpp"

namespace mailtriage::features {

// Most words of subject + visible text that are hashed per message.
inline constexpr std::uint32_t max_tokens_per_message = 2000;

[[nodiscard]] feature_vector extract(const mime::message& msg, const envelope_facts& env);

// As extract(), also returning the PII findings. When `names` is not null, every hashed
// column set is recorded with the token text that produced it (slower; for explain);
// `only`, when not null, narrows that to the columns whose bit is set (a model's split
// columns: the daemon names its reasons without a second pass at the cost of a bit test
// per token). Neither changes the vector.
[[nodiscard]] extraction extract_with_pii(const mime::message& msg, const envelope_facts& env,
                                          token_names* names = nullptr, const column_set* only = nullptr);

}  // namespace mailtriage::features
