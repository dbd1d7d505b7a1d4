// Per-message cost of the model stage: in-place prediction, the fast (tree walk)
// reasons and the exact (TreeSHAP) ones, over a corpus, with the built-in model or a
// bundle. Prints mean and p99 microseconds per message. Not a ctest test.
//   mailtriage_predict_bench [CORPUS_DIR] [MODEL_DIR]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mailtriage/engine/load.hpp"
#include "mailtriage/features/extract.hpp"
#include "mailtriage/mime/parse.hpp"

namespace fs = std::filesystem;
using namespace mailtriage;

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "../shared/corpus/train";
  std::string model_dir = argc > 2 ? argv[2] : "";
  if (!fs::is_directory(dir)) {
    std::printf("skipped: no corpus at %s\n", dir.c_str());
    return 0;
  }
  auto scorer = engine::load_scorer(model_dir, mime::limits{}, 5);
  const auto& m = scorer->model();
  std::vector<std::pair<std::vector<std::uint32_t>, std::vector<float>>> rows;
  std::vector<features::extraction> extractions;
  std::vector<mime::message> messages;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    messages.push_back(mime::parse(s.str()));
    extractions.push_back(features::extract_with_pii(messages.back(), features::envelope_facts{}));
    auto cols = extractions.back().vector.indices;
    auto vals = extractions.back().vector.values;
    m.prepare(cols, vals);
    rows.emplace_back(std::move(cols), std::move(vals));
  }
  auto time_each = [&](const char* what, auto&& fn) {
    std::vector<double> us;
    us.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      auto t0 = std::chrono::steady_clock::now();
      fn(i);
      us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
    double mean = 0;
    for (double u : us) mean += u;
    mean /= static_cast<double>(us.size());
    std::sort(us.begin(), us.end());
    std::printf("%-34s mean %8.1f us   p50 %8.1f us   p99 %8.1f us\n", what, mean, us[us.size() / 2],
                us[us.size() * 99 / 100]);
  };
  std::printf("%zu messages, model %s (%d rounds, %zu labels, %zu columns)\n", rows.size(), m.id.c_str(),
              m.model.rounds(), m.info.labels.size(), m.model.columns());
  volatile float sink = 0;
  time_each("predict (in-place, one row)", [&](std::size_t i) { sink = sink + m.model.predict(rows[i].first, rows[i].second)[0]; });
  model::tree_explainer ex(m.model);
  time_each("predict (tree walk, daemon)", [&](std::size_t i) { sink = sink + ex.predict(rows[i].first, rows[i].second)[0]; });
  double worst = 0;
  for (const auto& [cols, vals] : rows) {
    auto a = m.model.predict(cols, vals);
    auto b = ex.predict(cols, vals);
    for (std::size_t c = 0; c < a.size(); ++c) worst = std::max(worst, static_cast<double>(std::fabs(a[c] - b[c])));
  }
  std::printf("largest |tree walk - XGBoost| probability difference over the corpus: %.3g\n", worst);
  time_each("reasons, tree walk (daemon)", [&](std::size_t i) {
    sink = sink + static_cast<float>(ex.contributions(rows[i].first, rows[i].second, 1).size());
  });
  time_each("verdict: predict + reasons + names", [&](std::size_t i) {
    sink = sink + scorer->judge(messages[i], extractions[i], false).score;
  });
  std::size_t exact_n = std::min<std::size_t>(rows.size(), 200);
  rows.resize(exact_n);
  time_each("reasons, TreeSHAP (explain), 200", [&](std::size_t i) {
    sink = sink + m.model.contributions(rows[i].first, rows[i].second, false)[0];
  });
  return 0;
}
