#pragma once
// A labelled corpus turned into model input: every message parsed and featurized by
// the same extractor the daemon runs, on all cores, in a deterministic order. Shared by
// `train` and `eval`.
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "corpus.hpp"
#include "mailtriage/features/feature_vector.hpp"
#include "mailtriage/model/sparse_rows.hpp"

namespace mailtriage::cli {

// Per-message facts kept beside the features, for slices and summaries.
struct message_meta {
  std::string path;
  std::string label;
  std::size_t bytes = 0;
  bool html = false;
  bool plain = false;
  std::string script;       // dominant script of the visible text: latin, cyrillic, cjk, arabic, ...
  std::string charset;      // declared charset of the first text part ("none" when absent)
  std::string from_domain;  // registrable-ish domain of the From address, lower-case
  std::int64_t date = 0;    // Date header, seconds since the epoch (0 when absent)
};

struct dataset {
  model::sparse_rows rows;
  std::vector<std::string> labels;  // sorted; index = class id
  std::vector<int> label_ids;       // per row
  std::vector<message_meta> meta;   // per row
};

// Columns whose group or name is listed in `drop` are left out of every row, so a
// model trained on them never splits on them (e.g. era artefacts such as "auth").
// Throws std::invalid_argument for a name that is neither a group nor a feature.
[[nodiscard]] std::set<std::uint32_t> dropped_columns(const std::vector<std::string>& drop);

// `labels` empty: the corpus's own labels (sorted). Otherwise messages whose label is
// not listed are skipped and ids follow that order (eval uses the model's labels).
[[nodiscard]] dataset build_dataset(const std::vector<labelled_message>& corpus,
                                    const std::set<std::uint32_t>& drop, std::vector<std::string> labels = {});

}  // namespace mailtriage::cli
