#include "mailtriage/engine/load.hpp"

#include <optional>

#include "mailtriage/features/schema.hpp"
#include "mailtriage/util/secret_file.hpp"

#ifdef MAILTRIAGE_HAVE_BUILTIN_MODEL
// The default model bundle, linked in by src/engine/builtin_model.S.
extern "C" {
extern const char mailtriage_builtin_manifest[];
extern const char mailtriage_builtin_manifest_end[];
extern const char mailtriage_builtin_booster[];
extern const char mailtriage_builtin_booster_end[];
extern const char mailtriage_builtin_evidence[];
extern const char mailtriage_builtin_evidence_end[];
}
#endif

namespace mailtriage::engine {

model::loaded_model builtin_model() {
#ifndef MAILTRIAGE_HAVE_BUILTIN_MODEL
  throw model::model_error("this build has no built-in model: set model.path to a model bundle");
#else
  std::string_view manifest(mailtriage_builtin_manifest,
                            static_cast<std::size_t>(mailtriage_builtin_manifest_end - mailtriage_builtin_manifest));
  std::string_view booster(mailtriage_builtin_booster,
                           static_cast<std::size_t>(mailtriage_builtin_booster_end - mailtriage_builtin_booster));
  std::string_view evidence(mailtriage_builtin_evidence,
                            static_cast<std::size_t>(mailtriage_builtin_evidence_end - mailtriage_builtin_evidence));
  return model::load_bundle_bytes(std::string(manifest),
                                  {{"model.ubj", std::string(booster)}, {"token_evidence.bin", std::string(evidence)}},
                                  "<built-in model>", features::schema_fingerprint());
#endif
}

std::shared_ptr<const scorer> load_scorer(const std::string& model_dir, const mime::limits& limits,
                                          std::size_t reasons, const model::public_key* trusted) {
  if (model_dir.empty() && trusted)
    throw model::model_error("the built-in model is not signed, but " + trusted->source() +
                             " requires signed models: set model.path to a signed bundle");
  model::loaded_model m = model_dir.empty()
                              ? builtin_model()
                              : model::load_bundle(model_dir, features::schema_fingerprint(), trusted);
  return std::make_shared<const scorer>(std::move(m), limits, reasons);
}

std::shared_ptr<const engine> build_engine(const config::daemon_config& cfg,
                                           std::shared_ptr<const engine_metrics> metrics) {
  mime::limits limits;  // the parser's documented defaults
  std::optional<model::public_key> trusted;
  if (!cfg.model.public_key_file.empty()) trusted = model::public_key::load(cfg.model.public_key_file);
  const model::public_key* trust = trusted ? &*trusted : nullptr;
  auto active = load_scorer(cfg.model.path, limits, cfg.model.reasons, trust);
  std::shared_ptr<const scorer> shadow;
  if (!cfg.model.shadow_path.empty()) shadow = load_scorer(cfg.model.shadow_path, limits, 0, trust);
  std::string key;
  if (!cfg.policy.hmac_key_file.empty()) {
    key = read_secret_file(cfg.policy.hmac_key_file, "HMAC key");
  }
  return std::make_shared<const engine>(std::move(active), std::move(shadow), cfg.policy, std::move(key),
                                        std::move(metrics));
}

}  // namespace mailtriage::engine
