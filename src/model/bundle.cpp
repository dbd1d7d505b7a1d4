#include "mailtriage/model/bundle.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "mailtriage/model/class_labels.hpp"
#include "mailtriage/util/json_writer.hpp"
#include "mailtriage/util/sha256.hpp"

namespace mailtriage::model {
namespace fs = std::filesystem;

namespace {

constexpr const char* kBoosterFile = "model.ubj";
constexpr const char* kManifestFile = "manifest.json";
constexpr const char* kEvidenceFile = "token_evidence.bin";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw model_error(p.string() + ": cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& bytes) {
  // Write beside, then rename: a reader never sees half a file.
  fs::path tmp = p;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw model_error(tmp.string() + ": cannot write");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw model_error(tmp.string() + ": write failed");
  }
  fs::rename(tmp, p);
}

// Re-emits a YAML node (parsed from JSON) as compact JSON, so opaque sections survive
// a load/save round trip.
void emit_json(json_writer& w, const YAML::Node& n) {
  if (n.IsMap()) {
    w.begin_object();
    for (auto it = n.begin(); it != n.end(); ++it) {
      w.key(it->first.as<std::string>());
      emit_json(w, it->second);
    }
    w.end_object();
  } else if (n.IsSequence()) {
    w.begin_array();
    for (const auto& e : n) emit_json(w, e);
    w.end_array();
  } else if (n.IsNull()) {
    w.null();
  } else {
    const std::string& s = n.Scalar();
    // Numbers and booleans were written unquoted; keep them so.
    if (n.Tag() != "!" && !s.empty() &&
        (s == "true" || s == "false" || s.find_first_not_of("0123456789+-.eE") == std::string::npos))
      w.raw(s);
    else
      w.value(s);
  }
}

std::string node_json(const YAML::Node& n) {
  if (!n) return "{}";
  json_writer w(false);
  emit_json(w, n);
  return w.str();
}

}  // namespace

int manifest::label_index(const std::string& label) const {
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] == label) return static_cast<int>(i);
  return -1;
}

std::vector<float> manifest::label_probabilities(std::span<const float> class_probs) const {
  if (classes.empty()) return {class_probs.begin(), class_probs.end()};
  std::vector<float> out;
  sum_classes_by_label(class_probs, class_label, labels.size(), out);
  return out;
}

std::string manifest::to_json() const {
  json_writer w;
  w.begin_object();
  w.field("format", format);
  w.key("labels").begin_array();
  for (const auto& l : labels) w.value(l);
  w.end_array();
  if (!classes.empty()) {  // written only when there are sub-classes: other bundles keep their bytes
    w.key("classes").begin_array();
    for (std::size_t c = 0; c < classes.size(); ++c) {
      w.begin_object().field("name", classes[c]).field("label", labels[class_label[c]]);
      w.end_object();
    }
    w.end_array();
  }
  w.field("negative_label", negative_label);
  w.key("schema").begin_object();
  w.field("version", schema_version).field("fingerprint", schema_fingerprint);
  w.field("columns", static_cast<std::uint64_t>(columns));
  w.field("evidence_base", static_cast<std::uint64_t>(evidence_base));
  w.key("dropped_groups").begin_array();
  for (const auto& g : dropped_groups) w.value(g);
  w.end_array();
  w.end_object();
  w.key("thresholds").begin_object();
  for (const auto& [label, t] : thresholds) {
    w.key(label).begin_object();
    w.field("target_fpr", t.target_fpr).field("threshold", static_cast<double>(t.threshold));
    w.end_object();
  }
  w.end_object();
  w.key("params").raw(params_json);
  w.key("training_data").raw(training_data_json);
  w.key("metrics").raw(metrics_json);
  w.field("created_by", created_by);
  w.field("description", description);
  w.key("files").begin_object();
  for (const auto& [name, hash] : files) w.field(name, hash);
  w.end_object();
  w.end_object();
  return w.str() + "\n";
}

manifest manifest::from_json(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw model_error(source + ": not valid JSON: " + e.msg);
  }
  auto need = [&](const YAML::Node& n, const char* what) {
    if (!n) throw model_error(source + ": missing '" + what + "'");
    return n;
  };
  manifest m;
  try {
    m.format = need(root["format"], "format").as<std::string>();
    if (m.format != "mailtriage-model/1")
      throw model_error(source + ": unsupported model format '" + m.format + "'");
    for (const auto& l : need(root["labels"], "labels")) m.labels.push_back(l.as<std::string>());
    if (m.labels.size() < 2) throw model_error(source + ": a model needs at least two labels");
    if (root["classes"]) {
      for (const auto& c : root["classes"]) {
        auto name = need(c["name"], "classes[].name").as<std::string>();
        auto label = need(c["label"], "classes[].label").as<std::string>();
        int id = m.label_index(label);
        if (id < 0) throw model_error(source + ": class '" + name + "' reports as '" + label + "', which is not a label");
        m.classes.push_back(name);
        m.class_label.push_back(static_cast<std::uint32_t>(id));
      }
      for (std::size_t l = 0; l < m.labels.size(); ++l)
        if (std::find(m.class_label.begin(), m.class_label.end(), l) == m.class_label.end())
          throw model_error(source + ": no class reports as label '" + m.labels[l] + "'");
    }
    m.negative_label = root["negative_label"] ? root["negative_label"].as<std::string>() : "";
    auto schema = need(root["schema"], "schema");
    m.schema_version = need(schema["version"], "schema.version").as<std::string>();
    m.schema_fingerprint = need(schema["fingerprint"], "schema.fingerprint").as<std::string>();
    m.columns = need(schema["columns"], "schema.columns").as<std::size_t>();
    m.evidence_base = schema["evidence_base"] ? schema["evidence_base"].as<std::uint32_t>() : 0;
    if (schema["dropped_groups"])
      for (const auto& g : schema["dropped_groups"]) m.dropped_groups.push_back(g.as<std::string>());
    if (root["thresholds"])
      for (auto it = root["thresholds"].begin(); it != root["thresholds"].end(); ++it)
        m.thresholds[it->first.as<std::string>()] =
            class_threshold{it->second["target_fpr"].as<double>(), it->second["threshold"].as<float>()};
    for (auto it = need(root["files"], "files").begin(); it != root["files"].end(); ++it)
      m.files[it->first.as<std::string>()] = it->second.as<std::string>();
    m.created_by = root["created_by"] ? root["created_by"].as<std::string>() : "";
    m.description = root["description"] ? root["description"].as<std::string>() : "";
    m.params_json = node_json(root["params"]);
    m.training_data_json = node_json(root["training_data"]);
    m.metrics_json = node_json(root["metrics"]);
  } catch (const YAML::Exception& e) {
    throw model_error(source + ": malformed manifest: " + e.msg);
  }
  return m;
}

void write_bundle(const fs::path& dir, const booster& b, manifest m, const token_evidence* evidence) {
  fs::create_directories(dir);
  std::string bytes = b.save();
  m.files[kBoosterFile] = sha256_hex(bytes);
  m.columns = b.columns();
  write_file(dir / kBoosterFile, bytes);
  if (evidence) {
    std::string ev = evidence->serialize();
    m.files[kEvidenceFile] = sha256_hex(ev);
    write_file(dir / kEvidenceFile, ev);
  }
  write_file(dir / kManifestFile, m.to_json());
}

loaded_model load_bundle_bytes(const std::string& manifest_json, const std::map<std::string, std::string>& files,
                               const std::string& source, const std::string& expected_fingerprint) {
  manifest m = manifest::from_json(manifest_json, source + "/" + kManifestFile);
  if (!m.files.contains(kBoosterFile)) throw model_error(source + ": the manifest lists no " + kBoosterFile);
  for (const auto& [name, hash] : m.files) {
    auto it = files.find(name);
    if (it == files.end()) throw model_error(source + "/" + name + ": missing");
    std::string actual = sha256_hex(it->second);
    if (actual != hash)
      throw model_error(source + "/" + name + ": SHA-256 " + actual + " does not match the manifest's " + hash +
                        " (corrupted or tampered)");
  }
  if (m.schema_fingerprint != expected_fingerprint)
    throw model_error(source + ": built for feature schema " + m.schema_version + " (" +
                      m.schema_fingerprint.substr(0, 12) + "), but this mailtriage extracts schema " +
                      expected_fingerprint.substr(0, 12) + "; retrain the model with this version");
  booster b = booster::from_bytes(files.at(kBoosterFile), m.columns);
  if (b.classes() != m.class_count())
    throw model_error(source + ": the booster has " + std::to_string(b.classes()) + " classes, the manifest " +
                      std::to_string(m.class_count()) + (m.classes.empty() ? " labels" : " classes"));
  std::optional<token_evidence> evidence;
  if (auto it = files.find(kEvidenceFile); it != files.end()) {
    evidence = token_evidence::deserialize(it->second);
    if (m.evidence_base == 0 || m.evidence_base + evidence->outputs() != m.columns)
      throw model_error(source + ": token evidence does not fit the booster's columns");
  }
  std::string id = m.files.at(kBoosterFile).substr(0, 12);
  return loaded_model{std::move(b), std::move(m), fs::path(source), std::move(id), std::move(evidence)};
}

loaded_model load_bundle(const fs::path& dir, const std::string& expected_fingerprint, const public_key* trusted) {
  const fs::path manifest_path = dir / kManifestFile;
  std::string manifest_text = read_file(manifest_path);
  if (trusted) {
    const fs::path sig_path = dir / kSignatureFile;
    std::error_code ec;
    if (!fs::exists(sig_path, ec))
      throw model_error(sig_path.string() + ": missing; model.public_key_file (" + trusted->source() +
                        ") requires signed models (mailtriage sign)");
    trusted->verify_manifest(manifest_text, read_file(sig_path), sig_path.string());
  }
  manifest m = manifest::from_json(manifest_text, manifest_path.string());
  std::map<std::string, std::string> files;
  for (const auto& [name, hash] : m.files) {
    if (name.find('/') != std::string::npos || name == "..")
      throw model_error(manifest_path.string() + ": file name '" + name + "' leaves the bundle");
    files[name] = read_file(dir / name);
  }
  return load_bundle_bytes(manifest_text, files, dir.string(), expected_fingerprint);
}

std::string sign_bundle(const fs::path& dir, const fs::path& private_key_file) {
  std::string manifest_text = read_file(dir / kManifestFile);
  manifest_signature sig = sign_manifest(private_key_file, manifest_text);
  write_file(dir / kSignatureFile, sig.text);
  return sig.key_fingerprint;
}

}  // namespace mailtriage::model
