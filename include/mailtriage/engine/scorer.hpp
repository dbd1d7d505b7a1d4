#pragma once
// Raw message bytes → verdict, the one path shared by the daemon, `mailtriage score`
// and `explain`: mime::parse, features::extract, the model's probabilities, the
// manifest's thresholds and the strongest feature contributions as reasons.
//
// Immutable after construction; score() is safe from many threads at once.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "mailtriage/features/envelope.hpp"
#include "mailtriage/features/feature_vector.hpp"
#include "mailtriage/mime/limits.hpp"
#include "mailtriage/mime/message.hpp"
#include "mailtriage/model/bundle.hpp"
#include "mailtriage/model/tree_explainer.hpp"
#include "mailtriage/policy/verdict.hpp"

namespace mailtriage::engine {

struct scoring {
  policy::verdict verdict;
  features::extraction features;
  mime::message message;
};

class scorer {
 public:
  scorer(model::loaded_model model, mime::limits limits, std::size_t reasons);

  // `exact` uses TreeSHAP contributions (slower, for `explain`); the daemon uses the
  // fast approximation.
  [[nodiscard]] scoring score(std::string_view raw, const features::envelope_facts& env, bool exact = false) const;
  // The features of a parsed message for judge(), with `names` filled for the hashed
  // columns this model splits on, so that judge() can name its reasons without
  // extracting twice.
  [[nodiscard]] features::extraction extract(const mime::message& msg, const features::envelope_facts& env,
                                             features::token_names& names) const;
  // Probabilities and verdict for an already parsed message. `names` from extract()
  // (null: hashed reasons are named by a second extraction pass, e.g. for a shadow
  // model judging another model's extraction).
  [[nodiscard]] policy::verdict judge(const mime::message& msg, const features::extraction& ex, bool exact,
                                      const features::token_names* names = nullptr) const;

  [[nodiscard]] const model::loaded_model& model() const { return model_; }
  [[nodiscard]] const mime::limits& limits() const { return limits_; }

 private:
  model::loaded_model model_;
  model::tree_explainer explainer_;
  features::column_set named_columns_;  // hashed columns the trees split on
  mime::limits limits_;
  std::size_t reasons_;
};

}  // namespace mailtriage::engine
