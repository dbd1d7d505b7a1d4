#pragma once
// The daemon's verdict source: an immutable snapshot of configuration, model(s) and
// policy. judge() runs the whole pipeline for one message (MIME → features → model →
// policy) and returns the milter decision. A reload builds a new engine and swaps the
// shared_ptr; messages in flight finish on the engine they started with.
//
// Thread-safe: judge() only reads the snapshot; the shadow-disagreement counters are
// atomics.
#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "mailtriage/engine/scorer.hpp"
#include "mailtriage/milter/server.hpp"
#include "mailtriage/policy/rules.hpp"

namespace mailtriage::engine {

struct shadow_stats {
  std::atomic<std::uint64_t> scored{0};
  std::atomic<std::uint64_t> disagreements{0};  // top category differs from the active model
};

class engine final : public milter::message_handler {
 public:
  engine(std::shared_ptr<const scorer> active, std::shared_ptr<const scorer> shadow, policy::policy_config policy,
         std::string hmac_key);

  [[nodiscard]] milter::decision judge(const milter::transaction& message) const override;

  [[nodiscard]] const scorer& active() const { return *active_; }
  [[nodiscard]] const shadow_stats& shadow() const { return shadow_stats_; }
  [[nodiscard]] const policy::policy_config& policy() const { return policy_; }

 private:
  std::shared_ptr<const scorer> active_;
  std::shared_ptr<const scorer> shadow_;
  policy::policy_config policy_;
  std::string hmac_key_;
  mutable shadow_stats shadow_stats_;
};

}  // namespace mailtriage::engine
