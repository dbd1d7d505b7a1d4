#pragma once
// The daemon's verdict source: an immutable snapshot of configuration, model(s) and
// policy. judge() runs the whole pipeline for one message (MIME → features → model →
// policy) and returns the milter decision. A reload builds a new engine and swaps the
// shared_ptr; messages in flight finish on the engine they started with.
//
// Thread-safe: judge() only reads the snapshot; metrics are atomics in an
// engine_metrics shared by every snapshot (so counts survive reloads).
#include <memory>
#include <optional>
#include <string>

#include "mailtriage/engine/engine_metrics.hpp"
#include "mailtriage/engine/scorer.hpp"
#include "mailtriage/milter/server.hpp"
#include "mailtriage/policy/rules.hpp"

namespace mailtriage::engine {

class engine final : public milter::message_handler {
 public:
  engine(std::shared_ptr<const scorer> active, std::shared_ptr<const scorer> shadow, policy::policy_config policy,
         std::string hmac_key, std::shared_ptr<const engine_metrics> metrics = nullptr);

  [[nodiscard]] milter::decision judge(const milter::transaction& message) const override;

  [[nodiscard]] const scorer& active() const { return *active_; }
  // The shadow model, or nullptr.
  [[nodiscard]] const scorer* shadow_model() const { return shadow_.get(); }
  [[nodiscard]] const policy::policy_config& policy() const { return policy_; }

 private:
  std::shared_ptr<const scorer> active_;
  std::shared_ptr<const scorer> shadow_;
  policy::policy_config policy_;
  std::string hmac_key_;
  std::shared_ptr<const engine_metrics> metrics_;  // nullptr: nothing counted (CLI, tests)
};

}  // namespace mailtriage::engine
