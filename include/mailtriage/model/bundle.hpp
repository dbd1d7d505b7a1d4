#pragma once
// A model bundle: a directory holding the booster (model.ubj) and manifest.json, which
// names the labels, the feature schema fingerprint, the thresholds chosen on
// validation data, what the model was trained on and how it scored, and the SHA-256
// of every file. Loading verifies every hash and refuses a model built for another
// feature schema, with a message that says which check failed.
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mailtriage/model/booster.hpp"
#include "mailtriage/model/signature.hpp"
#include "mailtriage/model/token_evidence.hpp"

namespace mailtriage::model {

struct class_threshold {
  double target_fpr = 0.001;  // on the negative label, measured on validation data
  float threshold = 0.5f;     // probability at or above which the class is flagged
};

struct manifest {
  std::string format = "mailtriage-model/1";
  std::vector<std::string> labels;       // what the model reports; index = label id
  // The booster's classes when some labels were trained as several (`train --sub-class`:
  // a label's sub-source, e.g. newsletters inside ham, learnt as a class of its own):
  // class names ("ham/hard_ham") and the label id each reports as. Empty: one class per
  // label, in label order, as every model without sub-classes has.
  std::vector<std::string> classes;
  std::vector<std::uint32_t> class_label;
  std::string negative_label;            // the legitimate class ("ham"); empty if none
  std::string schema_fingerprint;        // of the feature extractor it was trained with
  std::string schema_version;
  std::vector<std::string> dropped_groups;  // feature groups withheld from training
  std::size_t columns = 0;                  // booster input width (evidence columns included)
  std::uint32_t evidence_base = 0;          // first token-evidence column; 0 = no evidence layer
  std::map<std::string, class_threshold> thresholds;  // per non-negative label
  std::map<std::string, std::string> files;           // file name -> sha256
  std::string created_by;
  std::string description;  // what it was trained on, what it is not good for
  // Pre-encoded JSON objects kept verbatim: hyper-parameters, training-data summary,
  // validation metrics.
  std::string params_json = "{}";
  std::string training_data_json = "{}";
  std::string metrics_json = "{}";

  [[nodiscard]] std::string to_json() const;
  // Throws model_error naming what is missing or malformed.
  [[nodiscard]] static manifest from_json(const std::string& text, const std::string& source);
  [[nodiscard]] int label_index(const std::string& label) const;  // -1 if absent

  [[nodiscard]] std::size_t class_count() const { return classes.empty() ? labels.size() : classes.size(); }
  [[nodiscard]] const std::string& class_name(std::size_t cls) const {
    return classes.empty() ? labels[cls] : classes[cls];
  }
  // Per-label probabilities from the booster's per-class ones: a label's classes summed.
  // `class_probs` is one row (class_count() values) or row-major rows of them.
  [[nodiscard]] std::vector<float> label_probabilities(std::span<const float> class_probs) const;
};

struct loaded_model {
  booster model;
  manifest info;
  std::filesystem::path directory;
  std::string id;  // short identity for logs and metrics: first 12 hex of the booster hash
  std::optional<token_evidence> evidence;

  // The evidence columns' values for an extractor row, one per label from column
  // info.evidence_base on; empty without an evidence layer.
  [[nodiscard]] std::vector<float> evidence_values(std::span<const std::uint32_t> cols) const {
    return evidence ? evidence->evaluate(cols) : std::vector<float>{};
  }
  // The booster's input for an extractor row: the row plus the evidence columns.
  void prepare(std::vector<std::uint32_t>& cols, std::vector<float>& vals) const {
    if (evidence) evidence->append(cols, vals, info.evidence_base);
  }
  void prepare(sparse_rows& rows) const {
    if (evidence) stack(rows, *evidence, info.evidence_base);
  }
};

// Writes model.ubj (and token_evidence.bin) and manifest.json into `dir` (created if
// needed), filling files{}.
void write_bundle(const std::filesystem::path& dir, const booster& b, manifest m,
                  const token_evidence* evidence = nullptr);

// Loads and verifies a bundle. `expected_fingerprint` is the running extractor's.
// With `trusted`, manifest.sig must verify over manifest.json's exact bytes before
// anything in the manifest is believed (signature.hpp); an unsigned bundle is refused.
[[nodiscard]] loaded_model load_bundle(const std::filesystem::path& dir, const std::string& expected_fingerprint,
                                       const public_key* trusted = nullptr);

// Writes `dir`/manifest.sig: the manifest's signature with the PEM private key in
// `private_key_file` (written beside, then renamed); returns the key's fingerprint.
// Checks nothing else: sign what load_bundle accepted.
[[nodiscard]] std::string sign_bundle(const std::filesystem::path& dir, const std::filesystem::path& private_key_file);

// The same checks on a bundle held in memory (the built-in model): `files` maps each
// file name to its bytes; `source` names the bundle in errors.
[[nodiscard]] loaded_model load_bundle_bytes(const std::string& manifest_json,
                                             const std::map<std::string, std::string>& files,
                                             const std::string& source, const std::string& expected_fingerprint);

}  // namespace mailtriage::model
