#pragma once
// Ed25519 signatures over a model bundle's manifest (OpenSSL 3 EVP). The manifest lists
// the SHA-256 of every other file of the bundle, so one signature over the exact bytes
// of manifest.json covers the booster and the token evidence too.
//
// manifest.sig holds the 64-byte signature as base64 on one line (text, so a bundle
// fits a Kubernetes ConfigMap's `data`). Keys are PEM: the private key PKCS#8
// ("BEGIN PRIVATE KEY", unencrypted, kept 0600), the public key SubjectPublicKeyInfo
// ("BEGIN PUBLIC KEY").
//
// Every failure throws model_error naming the file and what is wrong. public_key is
// immutable and safe to share between threads.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

namespace mailtriage::model {

inline constexpr const char* kSignatureFile = "manifest.sig";

struct signing_key_pair {
  std::string private_pem;  // PKCS#8
  std::string public_pem;   // SubjectPublicKeyInfo
};

// A fresh Ed25519 key pair.
[[nodiscard]] signing_key_pair generate_signing_key();

struct manifest_signature {
  std::string text;             // manifest.sig's content: base64 and a newline
  std::string key_fingerprint;  // of the signing key's public half (public_key::fingerprint)
};

// Signs `manifest_json` with the PEM private key held in `private_key_file`.
[[nodiscard]] manifest_signature sign_manifest(const std::filesystem::path& private_key_file,
                                               std::string_view manifest_json);

class public_key {
 public:
  // Reads a PEM Ed25519 public key. A private key is refused: it has no business on
  // the machines that only verify.
  [[nodiscard]] static public_key load(const std::filesystem::path& file);

  // Throws model_error unless `signature_text` (manifest.sig's content, from `sig_source`)
  // is a valid signature of `manifest_json` under this key.
  void verify_manifest(std::string_view manifest_json, std::string_view signature_text,
                       const std::string& sig_source) const;

  // The key file's name, for error messages.
  [[nodiscard]] const std::string& source() const { return source_; }
  // First 16 hex digits of the SHA-256 of the key's DER encoding: tells keys apart in
  // logs and `mailtriage keygen`/`verify-model` output.
  [[nodiscard]] const std::string& fingerprint() const { return fingerprint_; }

 private:
  std::shared_ptr<evp_pkey_st> key_;
  std::string source_;
  std::string fingerprint_;
};

// The fingerprint (as public_key::fingerprint) of a PEM public key.
[[nodiscard]] std::string public_key_fingerprint(const std::string& public_pem);

}  // namespace mailtriage::model
