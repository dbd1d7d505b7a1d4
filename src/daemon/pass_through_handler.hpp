#pragma once
// The verdict source until the triage pipeline is wired in: marks every message as
// seen and accepts it. Stateless, so safe from any number of worker threads.
#include "mailtriage/milter/server.hpp"

namespace mailtriage::daemon {

class pass_through_handler final : public milter::message_handler {
 public:
  [[nodiscard]] milter::decision judge(const milter::transaction& message) const override;
};

}  // namespace mailtriage::daemon
