// PII detectors: validated payment cards, IBANs, US SSNs, addresses and phone numbers.
#include <gtest/gtest.h>

#include "fixture.hpp"
#include "pii.hpp"

namespace mailtriage::features::test {
namespace {

using detail::pii_counts;
using detail::scan_pii;

pii_counts scan(std::string_view t) {
  pii_counts c;
  scan_pii(t, c);
  return c;
}

TEST(pii, fixture_counts_only_valid_numbers) {
  auto e = extract_fixture("pii.eml");
  EXPECT_EQ(e.pii.ibans, 2u);
  EXPECT_EQ(e.pii.payment_cards, 2u);
  EXPECT_EQ(e.pii.us_ssns, 1u);
  EXPECT_EQ(e.pii.phone_numbers, 2u);
  EXPECT_EQ(e.pii.email_addresses, 1u);
  EXPECT_TRUE(e.pii.any_sensitive());
  EXPECT_EQ(value(e.vector, dense::pii_ibans), 2.0f);
  EXPECT_EQ(value(e.vector, dense::pii_payment_cards), 2.0f);
  EXPECT_EQ(value(e.vector, dense::pii_card_candidates_invalid), 1.0f);
  EXPECT_EQ(value(e.vector, dense::pii_us_ssns), 1.0f);
}

TEST(pii, luhn) {
  EXPECT_TRUE(detail::luhn_valid("4111111111111111"));
  EXPECT_TRUE(detail::luhn_valid("378282246310005"));
  EXPECT_FALSE(detail::luhn_valid("4111111111111112"));
  EXPECT_FALSE(detail::luhn_valid(""));
}

TEST(pii, cards_need_13_to_19_digits_and_issuer_prefix) {
  EXPECT_EQ(scan("amex 3782 822463 10005 ok").cards, 1u);
  EXPECT_EQ(scan("4111111111111111").cards, 1u);
  EXPECT_EQ(scan("order 0000000000000000").cards, 0u);  // prefix 0
  EXPECT_EQ(scan("411111111111").cards, 0u);             // 12 digits
  EXPECT_EQ(scan("x4111111111111111").cards, 0u);        // glued to a word
}

TEST(pii, iban_mod97_and_length_table) {
  EXPECT_TRUE(detail::iban_valid("DE89370400440532013000"));
  EXPECT_TRUE(detail::iban_valid("GB82WEST12345698765432"));
  EXPECT_TRUE(detail::iban_valid("FR1420041010050500013M02606"));
  EXPECT_FALSE(detail::iban_valid("DE89370400440532013001"));   // check digits
  EXPECT_FALSE(detail::iban_valid("DE8937040044053201300"));    // length
  EXPECT_FALSE(detail::iban_valid("ZZ89370400440532013000"));   // country
  EXPECT_EQ(scan("IBAN: FR14 2004 1010 0505 0001 3M02 606.").ibans, 1u);
}

TEST(pii, ssn_rules) {
  EXPECT_EQ(scan("ssn 123-45-6789").ssns, 1u);
  EXPECT_EQ(scan("ssn 000-45-6789").ssns, 0u);
  EXPECT_EQ(scan("ssn 666-45-6789").ssns, 0u);
  EXPECT_EQ(scan("ssn 912-45-6789").ssns, 0u);
  EXPECT_EQ(scan("ssn 123-00-6789").ssns, 0u);
  EXPECT_EQ(scan("ssn 123-45-0000").ssns, 0u);
  EXPECT_EQ(scan("ssn 123456789").ssns, 0u);  // needs the dashes
}

TEST(pii, phones) {
  EXPECT_EQ(scan("+44 20 7946 0958").phones, 1u);
  EXPECT_EQ(scan("(202) 555-0143").phones, 1u);
  EXPECT_EQ(scan("555-0143").phones, 1u);
  EXPECT_EQ(scan("12.05.2023").phones, 0u);
  EXPECT_EQ(scan("in 2002 and 2003").phones, 0u);
}

// The scan skips sixteen bytes at a time to the next possible start: every start must be
// found wherever it falls in those blocks, including at a block's last byte and in the
// tail shorter than a block.
TEST(pii, every_start_is_found_at_every_offset) {
  const std::string items[] = {"GB82WEST12345698765432", "+44 20 7946 0958", "(202) 555-0143",
                               "4111 1111 1111 1111", "123-45-6789"};
  for (std::size_t pad = 0; pad < 40; ++pad) {
    std::string text = "Dear Customer Mr Smith. " + std::string(pad, 'x') + " ";
    for (const auto& item : items) text += item + " Then More Text ";
    auto c = scan(text);
    EXPECT_EQ(c.ibans, 1u) << pad;
    EXPECT_EQ(c.phones, 2u) << pad;
    EXPECT_EQ(c.cards, 1u) << pad;
    EXPECT_EQ(c.ssns, 1u) << pad;
    for (const auto& item : items) {  // each alone at the end of a text, after the padding
      std::string tail = std::string(pad, 'y') + " " + item;
      auto one = scan(tail);
      EXPECT_EQ(one.ibans + one.phones + one.cards + one.ssns, 1u) << pad << " " << item;
    }
  }
}

}  // namespace
}  // namespace mailtriage::features::test
