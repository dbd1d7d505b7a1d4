#include "pass_through_handler.hpp"

#include "status_header.hpp"

namespace mailtriage::daemon {

milter::decision pass_through_handler::judge(const milter::transaction& /*message*/) const {
  milter::decision d;
  d.modifications.push_back(milter::add_header{std::string(kStatusHeader), "seen"});
  d.final_reply = milter::accept{};
  return d;
}

}  // namespace mailtriage::daemon
