#include "score.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "args.hpp"
#include "mailtriage/engine/load.hpp"
#include "mailtriage/features/schema.hpp"
#include "mailtriage/util/json_writer.hpp"

namespace mailtriage::cli {
namespace {

constexpr const char* kScoreUsage =
    "usage: mailtriage score [--model DIR] [--json] FILE...\n"
    "Prints each message's category, the probability of every label, the labels at or\n"
    "above their threshold and the strongest reasons, exactly as mailtriaged decides.\n"
    "  --model DIR   a model bundle (default: the built-in model)\n"
    "  --json        one JSON object per line\n"
    "  --reasons N   reasons per message (5)\n";

constexpr const char* kExplainUsage =
    "usage: mailtriage explain [--model DIR] [--json] [--reasons N] FILE\n"
    "Explains one message: exact per-feature contributions (TreeSHAP) to its category,\n"
    "the PII found, and every named feature that is set.\n";

std::string read_file(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error(p + ": cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_verdict_json(json_writer& w, const policy::verdict& v) {
  w.field("category", v.category).field("score", static_cast<double>(v.score)).field("model", v.model_id);
  w.key("probabilities").begin_object();
  for (const auto& [l, p] : v.probabilities) w.field(l, static_cast<double>(p));
  w.end_object();
  w.key("flagged").begin_array();
  for (const auto& f : v.flagged) w.value(f);
  w.end_array();
  w.key("reasons").begin_array();
  for (const auto& r : v.reasons) {
    w.begin_object().field("feature", r.feature).field("weight", static_cast<double>(r.weight)).end_object();
  }
  w.end_array();
  w.key("pii").begin_object();
  w.field("payment_card", v.pii.payment_card).field("iban", v.pii.iban).field("us_ssn", v.pii.us_ssn);
  w.end_object();
}

void print_verdict_text(const std::string& file, const policy::verdict& v) {
  std::printf("%s: %s %.3f", file.c_str(), v.category.c_str(), static_cast<double>(v.score));
  std::printf("  (");
  for (std::size_t i = 0; i < v.probabilities.size(); ++i)
    std::printf("%s%s %.3f", i ? ", " : "", v.probabilities[i].first.c_str(),
                static_cast<double>(v.probabilities[i].second));
  std::printf(")");
  if (!v.flagged.empty()) {
    std::printf("  flagged:");
    for (const auto& f : v.flagged) std::printf(" %s", f.c_str());
  }
  if (v.pii.any()) std::printf("  pii:%s%s%s", v.pii.payment_card ? " card" : "", v.pii.iban ? " iban" : "",
                               v.pii.us_ssn ? " ssn" : "");
  std::printf("\n");
  for (const auto& r : v.reasons) std::printf("    %+7.3f  %s\n", static_cast<double>(r.weight), r.feature.c_str());
}

}  // namespace

int score_main(const std::vector<std::string>& argv) {
  arg_parser a(argv, kScoreUsage, {"--json"});
  std::string model_dir = a.text({"--model"}, "");
  bool json = a.flag({"--json"});
  auto reasons = static_cast<std::size_t>(a.integer({"--reasons"}, 5));
  auto files = a.positional();
  if (a.help()) return 0;
  if (files.empty()) return a.usage_error("at least one FILE is required");
  auto s = engine::load_scorer(model_dir, mime::limits{}, reasons);
  int status = 0;
  for (const auto& f : files) {
    try {
      auto result = s->score(read_file(f), features::envelope_facts{}, false);
      if (json) {
        json_writer w(false);
        w.begin_object().field("file", f);
        write_verdict_json(w, result.verdict);
        w.end_object();
        std::cout << w.str() << "\n";
      } else {
        print_verdict_text(f, result.verdict);
      }
    } catch (const std::runtime_error& e) {
      std::cerr << "mailtriage score: " << e.what() << "\n";
      status = 1;
    }
  }
  return status;
}

int explain_main(const std::vector<std::string>& argv) {
  arg_parser a(argv, kExplainUsage, {"--json"});
  std::string model_dir = a.text({"--model"}, "");
  bool json = a.flag({"--json"});
  auto reasons = static_cast<std::size_t>(a.integer({"--reasons"}, 15));
  auto files = a.positional();
  if (a.help()) return 0;
  if (files.size() != 1) return a.usage_error("exactly one FILE is required");
  auto s = engine::load_scorer(model_dir, mime::limits{}, reasons);
  auto result = s->score(read_file(files[0]), features::envelope_facts{}, true);
  const auto& vec = result.features.vector;
  const auto& dense = features::dense_features();
  if (json) {
    json_writer w;
    w.begin_object().field("file", files[0]);
    write_verdict_json(w, result.verdict);
    w.key("features").begin_object();
    for (std::size_t i = 0; i < vec.indices.size() && vec.indices[i] < features::dense_count; ++i)
      w.field(dense[vec.indices[i]].name, static_cast<double>(vec.values[i]));
    w.end_object();
    w.field("hashed_tokens", static_cast<std::uint64_t>(std::count_if(
                                 vec.indices.begin(), vec.indices.end(),
                                 [](std::uint32_t c) { return c >= features::dense_count; })));
    w.end_object();
    std::cout << w.str() << "\n";
    return 0;
  }
  print_verdict_text(files[0], result.verdict);
  std::printf("\nnamed features set:\n");
  for (std::size_t i = 0; i < vec.indices.size() && vec.indices[i] < features::dense_count; ++i)
    std::printf("    %-32s %g\n", std::string(dense[vec.indices[i]].name).c_str(), static_cast<double>(vec.values[i]));
  return 0;
}

}  // namespace mailtriage::cli
