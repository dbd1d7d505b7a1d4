// Word tokenizer edge cases (the eight-byte letter runs, the fast path's one trailing
// punctuation byte, long chunks scanned whole), token_names and column_set.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mailtriage/features/feature_vector.hpp"
#include "tokenizer.hpp"

namespace mailtriage::features::test {
namespace {

struct tokenized {
  std::vector<std::string> tokens;
  std::vector<std::string> pairs;  // "prev|token": the previous view must still be valid
  detail::text_stats stats;
};

tokenized run(std::string_view text, std::uint32_t budget = 2000) {
  tokenized out;
  std::string_view prev;
  detail::tokenize(text, budget, out.stats, [&](std::string_view t) {
    out.tokens.emplace_back(t);
    if (!prev.empty()) out.pairs.push_back(std::string(prev) + "|" + std::string(t));
    prev = t;
  });
  return out;
}

using strings = std::vector<std::string>;

TEST(tokenizer, letter_runs_of_every_length_and_case) {
  auto r = run("a Internationalization ABCDEFGHIJ abcdefgh ABCDEFGHIJKLMNOPQRSTUVWXYZ Mixed");
  EXPECT_EQ(r.tokens, (strings{"a", "internationalization", "abcdefghij", "abcdefgh", "<id>", "mixed"}));
  EXPECT_EQ(r.stats.caps_words, 1u);  // ABCDEFGHIJ; the 26-letter run is an id
  EXPECT_EQ(r.stats.words, 6u);
  EXPECT_EQ(r.pairs.front(), "a|internationalization");
  EXPECT_EQ(r.pairs.back(), "<id>|mixed");
}

TEST(tokenizer, one_trailing_punctuation_byte_keeps_the_word) {
  auto r = run("The END. to: www. Hello- e-mail www.example.com x@y.org 3.50 don't");
  EXPECT_EQ(r.tokens, (strings{"the", "end", "to", "www", "hello", "e-mail", "<url>", "<email>", "<num2>", "don't"}));
  EXPECT_EQ(r.stats.caps_words, 1u);
  EXPECT_EQ(r.stats.urls, 1u);
  EXPECT_EQ(r.stats.emails, 1u);
  EXPECT_EQ(r.pairs[0], "the|end");  // the lower-cased "end" outlives the next token
}

TEST(tokenizer, separators_and_currency) {
  auto r = run("Win!!! $100 \xE2\x82\xAC" "5 now\xE2\x80\x94today \xC2\xA0 ok");
  EXPECT_EQ(r.tokens, (strings{"win", "<num3>", "\xE2\x82\xAC" "5", "now", "today", "ok"}));
  EXPECT_EQ(r.stats.exclamations, 3u);
  EXPECT_EQ(r.stats.currency, 2u);  // '$' and the euro sign
}

TEST(tokenizer, budget_stops_early) {
  std::uint32_t budget = 2;
  detail::text_stats st;
  std::vector<std::string> got;
  detail::tokenize("one two three", budget, st, [&](std::string_view t) { got.emplace_back(t); });
  EXPECT_EQ(got, (strings{"one", "two"}));
  EXPECT_EQ(budget, 0u);
}

TEST(token_names, keeps_distinct_texts_in_first_seen_order_up_to_the_cap) {
  token_names names;
  EXPECT_TRUE(names.empty());
  names.add(500, "subj", "verify");
  names.add(500, "subj", "verify");  // again: kept once
  names.add(500, "bi", "verify", "your");
  names.add(500, "subj", "verify your");  // another text of the same size class
  std::vector<std::string> got;
  EXPECT_EQ(names.for_each(500, [&](std::string_view t) { got.emplace_back(t); }), 3u);
  EXPECT_EQ(got, (strings{"subj:\"verify\"", "bi:\"verify your\"", "subj:\"verify your\""}));
  for (int i = 0; i < 20; ++i) names.add(600, "body", "w" + std::to_string(i));
  got.clear();
  EXPECT_EQ(names.for_each(600, [&](std::string_view t) { got.emplace_back(t); }), token_names::max_per_column);
  EXPECT_EQ(got.front(), "body:\"w0\"");
  EXPECT_EQ(got.back(), "body:\"w7\"");
  EXPECT_EQ(names.for_each(700, [](std::string_view) {}), 0u);
}

TEST(token_names, many_columns_stay_reachable) {
  token_names names;
  for (std::uint32_t c = 0; c < 5000; ++c) names.add(1000 + c * 37, "body", std::to_string(c));
  for (std::uint32_t c = 0; c < 5000; c += 97) {
    std::string got;
    names.for_each(1000 + c * 37, [&](std::string_view t) { got = t; });
    EXPECT_EQ(got, "body:\"" + std::to_string(c) + "\"");
  }
}

TEST(column_set, members_and_bounds) {
  std::vector<bool> bits(200);
  bits[3] = bits[64] = bits[199] = true;
  column_set s(bits);
  EXPECT_EQ(s.size(), 200u);
  EXPECT_TRUE(s.contains(3));
  EXPECT_TRUE(s.contains(64));
  EXPECT_TRUE(s.contains(199));
  EXPECT_FALSE(s.contains(4));
  EXPECT_FALSE(s.contains(200));
  EXPECT_FALSE(s.contains(100000));
  EXPECT_FALSE(column_set{}.contains(0));
}

}  // namespace
}  // namespace mailtriage::features::test
