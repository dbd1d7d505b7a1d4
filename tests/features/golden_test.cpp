// Golden feature vectors: each fixture's vector, written one column per line with its
// human-readable name, must match tests/fixtures/features/<fixture>.golden.
// Regenerate with MAILTRIAGE_UPDATE_GOLDEN=1 after an intended schema change.
#include <gtest/gtest.h>

#include <charconv>
#include <cstdlib>
#include <fstream>

#include "fixture.hpp"

namespace mailtriage::features::test {
namespace {

std::string render(const extraction& e, const token_names& names) {
  std::string out = "# fingerprint " + schema_fingerprint() + "\n";
  out += "# pii cards=" + std::to_string(e.pii.payment_cards) + " ibans=" + std::to_string(e.pii.ibans) +
         " ssns=" + std::to_string(e.pii.us_ssns) + " emails=" + std::to_string(e.pii.email_addresses) +
         " phones=" + std::to_string(e.pii.phone_numbers) + "\n";
  for (std::size_t i = 0; i < e.vector.indices.size(); ++i) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, e.vector.values[i]);
    out += std::to_string(e.vector.indices[i]) + " " + std::string(buf, r.ptr) + " " +
           describe_column(e.vector.indices[i], &names) + "\n";
  }
  return out;
}

class golden : public ::testing::TestWithParam<const char*> {};

TEST_P(golden, matches_committed_vector) {
  const std::string name = GetParam();
  token_names names;
  std::string got = render(extract_fixture(name + ".eml", {}, &names), names);
  const std::string path = fixture_path(name + ".golden");
  if (std::getenv("MAILTRIAGE_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << got;
    GTEST_SKIP() << "rewrote " << path;
  }
  std::string want;
  {
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << "missing " << path << " (run with MAILTRIAGE_UPDATE_GOLDEN=1)";
    want.assign(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_EQ(got, want) << "feature vector of " << name << " changed; if intended, regenerate with MAILTRIAGE_UPDATE_GOLDEN=1";
}

INSTANTIATE_TEST_SUITE_P(fixtures, golden,
                         ::testing::Values("phishing_link", "pii", "newsletter", "personal_reply"));

}  // namespace
}  // namespace mailtriage::features::test
