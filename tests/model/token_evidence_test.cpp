// The naive-Bayes layer under the trees: log-odds sums and the length-robust
// chi-square combined score, and its file format (current and the previous one).
#include "mailtriage/model/token_evidence.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

#include "mailtriage/model/booster.hpp"

namespace mailtriage::model {
namespace {

// Token columns 10..409. Columns 10-19 appear only in label 1 ("spam"), 20-29 only in
// label 0 ("ham"), 100-409 are common words in both, slightly more often in ham.
constexpr std::uint32_t first = 10, count = 400;

sparse_rows corpus(std::vector<int>& labels) {
  sparse_rows rows;
  rows.columns = first + count;
  for (int r = 0; r < 200; ++r) {
    const int label = r % 2;
    std::vector<std::uint32_t> cols;
    for (std::uint32_t t = 0; t < 10; ++t)
      if ((r / 2 + t) % 3 == 0) cols.push_back((label == 1 ? 10u : 20u) + t);
    // Common words: every row has most of them, ham rows all of them.
    for (std::uint32_t t = 100; t < 410; ++t)
      if (label == 0 || (r / 2 + t) % 5 != 0) cols.push_back(t);
    std::sort(cols.begin(), cols.end());
    std::vector<float> vals(cols.size(), 1.0f);
    rows.add_row(cols, vals);
    labels.push_back(label);
  }
  return rows;
}

TEST(TokenEvidence, OutputsAreSumsThenCombinedScoresPerLabel) {
  std::vector<int> labels;
  auto rows = corpus(labels);
  auto e = token_evidence::fit(rows, labels, 2, first, count);
  EXPECT_EQ(e.outputs(), 4u);
  std::vector<std::uint32_t> spammy = {10, 13, 16};
  auto v = e.evaluate(spammy);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_GT(v[1], 0.0f);  // log-odds for spam
  EXPECT_LT(v[0], 0.0f);
  EXPECT_GT(v[3], 0.9f);  // combined score for spam
  EXPECT_LT(v[2], 0.1f);
  auto none = e.evaluate(std::vector<std::uint32_t>{});
  EXPECT_EQ(none[0], 0.0f);
  EXPECT_FLOAT_EQ(none[2], 0.5f);  // no clues: undecided
  EXPECT_FLOAT_EQ(none[3], 0.5f);
}

TEST(TokenEvidence, CombinedScoreIsNotDrownedByManyWeakWords) {
  // A long message of common words with three telling spam words: the log-odds sum is
  // dragged towards ham by the many weak words, the combined score is not, because
  // weak clues (within 0.1 of 0.5) are left out.
  std::vector<int> labels;
  auto rows = corpus(labels);
  auto e = token_evidence::fit(rows, labels, 2, first, count);
  std::vector<std::uint32_t> msg = {10, 13, 16};
  for (std::uint32_t t = 100; t < 410; ++t) msg.push_back(t);
  auto v = e.evaluate(msg);
  EXPECT_LT(v[1], 0.0f) << "the sum calls the long message ham";
  EXPECT_GT(v[3], 0.9f) << "the combined score still sees the spam words";
}

TEST(TokenEvidence, SerializeRoundTripKeepsEveryOutput) {
  std::vector<int> labels;
  auto rows = corpus(labels);
  auto e = token_evidence::fit(rows, labels, 2, first, count);
  auto back = token_evidence::deserialize(e.serialize());
  ASSERT_EQ(back.outputs(), e.outputs());
  for (std::uint32_t r = 0; r < rows.rows(); r += 17) {
    std::span<const std::uint32_t> cols(rows.indices.data() + rows.indptr[r], rows.indptr[r + 1] - rows.indptr[r]);
    EXPECT_EQ(back.evaluate(cols), e.evaluate(cols));
  }
}

TEST(TokenEvidence, FormatTwoFilesLoadWithSumsOnly) {
  // A format-2 file as models before the combined score wrote it: magic, classes,
  // first, count, used, then (bucket, log-odds per class).
  std::string bytes = "MTTEV002";
  auto put_u32 = [&](std::uint32_t v) { bytes.append(reinterpret_cast<const char*>(&v), 4); };
  auto put_f = [&](float v) { bytes.append(reinterpret_cast<const char*>(&v), 4); };
  put_u32(2);
  put_u32(first);
  put_u32(count);
  put_u32(1);
  put_u32(3);  // column first + 3
  put_f(-0.5f);
  put_f(0.5f);
  auto e = token_evidence::deserialize(bytes);
  EXPECT_EQ(e.outputs(), 2u);
  auto v = e.evaluate(std::vector<std::uint32_t>{first + 3});
  ASSERT_EQ(v.size(), 2u);
  EXPECT_FLOAT_EQ(v[1], 0.5f);
  bytes.pop_back();
  EXPECT_THROW((void)token_evidence::deserialize(bytes), model_error);
}

TEST(TokenEvidence, StackingAppendsEveryOutputColumn) {
  std::vector<int> labels;
  auto rows = corpus(labels);
  const std::uint32_t base = first + count;
  auto full = stack_out_of_fold(rows, labels, 2, first, count, base);
  EXPECT_EQ(rows.columns, base + full.outputs());
  for (std::size_t r = 0; r < rows.rows(); ++r) {
    ASSERT_GE(rows.indptr[r + 1] - rows.indptr[r], 4u);
    EXPECT_EQ(rows.indices[rows.indptr[r + 1] - 1], base + 3);
  }
}

}  // namespace
}  // namespace mailtriage::model
