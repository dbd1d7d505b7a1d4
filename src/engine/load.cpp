#include "mailtriage/engine/load.hpp"

#include <fstream>
#include <sstream>

#include "mailtriage/features/schema.hpp"

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
                                          std::size_t reasons) {
  model::loaded_model m =
      model_dir.empty() ? builtin_model() : model::load_bundle(model_dir, features::schema_fingerprint());
  return std::make_shared<const scorer>(std::move(m), limits, reasons);
}

std::shared_ptr<const engine> build_engine(const config::daemon_config& cfg,
                                           std::shared_ptr<const engine_metrics> metrics) {
  mime::limits limits;  // the parser's documented defaults
  auto active = load_scorer(cfg.model.path, limits, cfg.model.reasons);
  std::shared_ptr<const scorer> shadow;
  if (!cfg.model.shadow_path.empty()) shadow = load_scorer(cfg.model.shadow_path, limits, 0);
  std::string key;
  if (!cfg.policy.hmac_key_file.empty()) {
    std::ifstream in(cfg.policy.hmac_key_file, std::ios::binary);
    if (!in) throw std::runtime_error(cfg.policy.hmac_key_file + ": cannot read the HMAC key file");
    std::ostringstream s;
    s << in.rdbuf();
    key = s.str();
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    if (key.size() < 16) throw std::runtime_error(cfg.policy.hmac_key_file + ": HMAC key shorter than 16 bytes");
  }
  return std::make_shared<const engine>(std::move(active), std::move(shadow), cfg.policy, std::move(key),
                                        std::move(metrics));
}

}  // namespace mailtriage::engine
