// Our restated SMFIF_* / SMFIM_* values must match libmilter's own mfapi.h.
#include <libmilter/mfapi.h>

#include <gtest/gtest.h>

#include "mailtriage/milter/protocol.hpp"

namespace mailtriage::milter {
namespace {

TEST(Protocol, ActionBitsMatchMfapi) {
  EXPECT_EQ(action::add_headers, static_cast<std::uint32_t>(SMFIF_ADDHDRS));
  EXPECT_EQ(action::change_body, static_cast<std::uint32_t>(SMFIF_CHGBODY));
  EXPECT_EQ(action::add_recipient, static_cast<std::uint32_t>(SMFIF_ADDRCPT));
  EXPECT_EQ(action::delete_recipient, static_cast<std::uint32_t>(SMFIF_DELRCPT));
  EXPECT_EQ(action::change_headers, static_cast<std::uint32_t>(SMFIF_CHGHDRS));
  EXPECT_EQ(action::quarantine, static_cast<std::uint32_t>(SMFIF_QUARANTINE));
  EXPECT_EQ(action::change_from, static_cast<std::uint32_t>(SMFIF_CHGFROM));
  EXPECT_EQ(action::add_recipient_par, static_cast<std::uint32_t>(SMFIF_ADDRCPT_PAR));
  EXPECT_EQ(action::set_symbol_list, static_cast<std::uint32_t>(SMFIF_SETSYMLIST));
}

TEST(Protocol, StagesMatchMfapi) {
  EXPECT_EQ(stage::connect, static_cast<std::uint32_t>(SMFIM_CONNECT));
  EXPECT_EQ(stage::helo, static_cast<std::uint32_t>(SMFIM_HELO));
  EXPECT_EQ(stage::envfrom, static_cast<std::uint32_t>(SMFIM_ENVFROM));
  EXPECT_EQ(stage::envrcpt, static_cast<std::uint32_t>(SMFIM_ENVRCPT));
  EXPECT_EQ(stage::data, static_cast<std::uint32_t>(SMFIM_DATA));
  EXPECT_EQ(stage::eom, static_cast<std::uint32_t>(SMFIM_EOM));
  EXPECT_EQ(stage::eoh, static_cast<std::uint32_t>(SMFIM_EOH));
}

}  // namespace
}  // namespace mailtriage::milter
