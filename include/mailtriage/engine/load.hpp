#pragma once
// Builds the pieces of an engine snapshot from configuration: the model (a bundle
// directory, or the default model compiled into the binary), the optional shadow
// model, the HMAC key and the policy. Every failure throws std::runtime_error with one
// line that says what is wrong, so a bad reload is refused and the old engine kept.
#include <memory>
#include <string>

#include "mailtriage/config/config.hpp"
#include "mailtriage/engine/engine.hpp"
#include "mailtriage/engine/scorer.hpp"

namespace mailtriage::engine {

// `model_dir` empty: the built-in default model. With `trusted`, the bundle must carry a
// manifest.sig that verifies with it; the built-in model (unsigned) is then refused.
[[nodiscard]] std::shared_ptr<const scorer> load_scorer(const std::string& model_dir, const mime::limits& limits,
                                                        std::size_t reasons,
                                                        const model::public_key* trusted = nullptr);

// Reads model.public_key_file (when set) and every model with it, the HMAC key and the
// policy: a new, complete snapshot or an exception. `metrics`: where the engine counts
// (the daemon passes the same object to every engine it builds, so counters survive
// reloads); nullptr counts nothing.
[[nodiscard]] std::shared_ptr<const engine> build_engine(const config::daemon_config& cfg,
                                                         std::shared_ptr<const engine_metrics> metrics = nullptr);

// The built-in model's bundle, verified like one on disk.
[[nodiscard]] model::loaded_model builtin_model();

}  // namespace mailtriage::engine
