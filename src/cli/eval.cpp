#include "eval.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "args.hpp"
#include "corpus.hpp"
#include "dataset.hpp"
#include "mailtriage/engine/load.hpp"
#include "mailtriage/features/freemail.hpp"
#include "mailtriage/features/schema.hpp"
#include "mailtriage/model/evaluation.hpp"
#include "mailtriage/util/json_writer.hpp"
#include "report_html.hpp"

namespace mailtriage::cli {
namespace {

constexpr const char* kUsage =
    "usage: mailtriage eval MODEL_DIR CORPUS... [--json FILE] [--html FILE] [--corpus-manifest TSV]\n"
    "Scores a labelled corpus (same layout as for train) with a model bundle and reports,\n"
    "per class, precision, recall, F1, ROC AUC and recall at 1%, 0.1% and 0.01% false-\n"
    "positive rate on the negative label; the confusion matrix; calibration; and the\n"
    "false-positive rate per slice (script, charset, size, HTML or plain, free-mail\n"
    "sender, corpus sub-source) next to the overall one. MODEL_DIR 'builtin' is the\n"
    "built-in model.\n"
    "  --json FILE   write the report as JSON (default: standard output)\n"
    "  --html FILE   write the self-contained HTML report\n";

std::string size_band(std::size_t bytes) {
  if (bytes < 5 * 1024) return "<5 KiB";
  if (bytes < 20 * 1024) return "5-20 KiB";
  if (bytes < 100 * 1024) return "20-100 KiB";
  return ">=100 KiB";
}

}  // namespace

int eval_main(const std::vector<std::string>& argv) {
  arg_parser a(argv, kUsage);
  std::string json_out = a.text({"--json"}, "");
  std::string html_out = a.text({"--html"}, "");
  std::string corpus_manifest = a.text({"--corpus-manifest"}, "");
  auto pos = a.positional();
  if (a.help()) return 0;
  if (pos.size() < 2) return a.usage_error("MODEL_DIR and at least one CORPUS are required");
  auto scorer = engine::load_scorer(pos[0] == "builtin" ? "" : pos[0], mime::limits{}, 0);
  const auto& info = scorer->model().info;
  std::vector<std::string> corpus_paths(pos.begin() + 1, pos.end());
  auto corpus = load_corpus(corpus_paths);
  dataset d = build_dataset(corpus, dropped_columns(info.dropped_groups), info.labels);
  if (d.meta.empty()) throw std::runtime_error("no message in the corpus carries one of the model's labels");
  scorer->model().prepare(d.rows);
  auto probs = info.label_probabilities(scorer->model().model.predict(d.rows));
  auto e = model::evaluate(probs, d.label_ids, info.labels, info.negative_label, info.thresholds);

  // Flagged = any label at or above its threshold (or, without thresholds, a top label
  // other than the negative one).
  const std::size_t k = info.labels.size();
  auto flagged = [&](std::size_t r) {
    bool any = false;
    std::size_t best = 0;
    for (std::size_t c = 0; c < k; ++c) {
      if (probs[r * k + c] > probs[r * k + best]) best = c;
      if (static_cast<int>(c) == e.negative) continue;
      auto t = info.thresholds.find(info.labels[c]);
      if (t != info.thresholds.end() && probs[r * k + c] >= t->second.threshold) any = true;
    }
    if (info.thresholds.empty()) any = static_cast<int>(best) != e.negative;
    return any;
  };

  const auto origins = corpus_manifest.empty() ? std::map<std::string, message_origin>{}
                                               : read_corpus_manifest(corpus_manifest);

  struct tally {
    std::size_t neg = 0, neg_flagged = 0, pos = 0, pos_flagged = 0;
  };
  std::map<std::pair<std::string, std::string>, tally> slices;
  tally overall;
  for (std::size_t r = 0; r < d.meta.size(); ++r) {
    const auto& m = d.meta[r];
    bool is_neg = d.label_ids[r] == e.negative;
    bool f = flagged(r);
    std::vector<std::pair<std::string, std::string>> keys = {
        {"script", m.script},
        {"charset", m.charset},
        {"size", size_band(m.bytes)},
        {"format", m.html && m.plain ? "html+plain" : m.html ? "html only" : m.plain ? "plain only" : "no text"},
        {"sender", m.from_domain.empty() ? "no address" : features::is_freemail(m.from_domain) ? "free-mail" : "other"}};
    if (auto it = origins.find(file_name_of(m.path)); it != origins.end())
      keys.emplace_back("subsource", it->second.subsource);
    for (auto& key : keys) {
      auto& t = slices[key];
      (is_neg ? t.neg : t.pos)++;
      if (f) (is_neg ? t.neg_flagged : t.pos_flagged)++;
    }
    (is_neg ? overall.neg : overall.pos)++;
    if (f) (is_neg ? overall.neg_flagged : overall.pos_flagged)++;
  }
  auto rate = [](std::size_t part, std::size_t whole) {
    return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
  };
  std::vector<slice_row> rows;
  for (const auto& [key, t] : slices)
    rows.push_back({key.first, key.second, t.neg, t.pos, rate(t.neg_flagged, t.neg), rate(t.pos_flagged, t.pos)});
  double overall_fpr = rate(overall.neg_flagged, overall.neg);
  double overall_recall = rate(overall.pos_flagged, overall.pos);

  json_writer w;
  w.begin_object();
  w.field("model", pos[0]).field("model_id", scorer->model().id);
  w.key("overall").begin_object();
  w.field("negatives", static_cast<std::uint64_t>(overall.neg)).field("fpr_at_thresholds", overall_fpr);
  w.field("others", static_cast<std::uint64_t>(overall.pos)).field("recall_at_thresholds", overall_recall);
  w.end_object();
  w.key("evaluation").raw(e.to_json());
  w.key("slices").begin_array();
  for (const auto& r : rows) {
    w.begin_object().field("dimension", r.dimension).field("value", r.value);
    w.field("negatives", static_cast<std::uint64_t>(r.negatives)).field("fpr", r.fpr);
    w.field("others", static_cast<std::uint64_t>(r.positives)).field("recall", r.recall).end_object();
  }
  w.end_array();
  w.end_object();
  if (json_out.empty()) {
    std::cout << w.str() << "\n";
  } else {
    std::ofstream(json_out) << w.str() << "\n";
  }
  if (!html_out.empty())
    std::ofstream(html_out) << render_report("mailtriage evaluation: " + pos[0], e, rows, overall_fpr, overall_recall);
  for (const auto& c : e.classes) {
    if (std::isnan(c.auc)) continue;
    std::fprintf(stderr, "%-12s ROC AUC %.5f  recall@1%% %.4f  @0.1%% %.4f  @0.01%% %.4f  (%zu messages)\n",
                 c.label.c_str(), c.auc, c.recall_at_1pct, c.recall_at_01pct, c.recall_at_001pct, c.support);
    if (e.classes.size() > 2)
      std::fprintf(stderr, "%-12s scored 1-P(%s): ROC AUC %.5f  recall@1%% %.4f  @0.1%% %.4f\n", "",
                   e.classes[static_cast<std::size_t>(e.negative)].label.c_str(), c.not_negative_auc,
                   c.not_negative_recall_at_1pct, c.not_negative_recall_at_01pct);
  }
  std::fprintf(stderr, "at the model's thresholds: %.3f%% of negatives flagged, %.2f%% of the rest\n",
               overall_fpr * 100, overall_recall * 100);
  return 0;
}

}  // namespace mailtriage::cli
