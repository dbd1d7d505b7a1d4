#include "mailtriage/model/signature.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <sstream>

#include "mailtriage/model/booster.hpp"  // model_error
#include "mailtriage/util/sha256.hpp"

namespace mailtriage::model {
namespace {

constexpr std::size_t kSignatureBytes = 64;  // Ed25519

using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using bio_ptr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

// OpenSSL's reason for the last failure, and an empty error queue afterwards.
std::string openssl_reason() {
  unsigned long code = ERR_peek_last_error();
  std::string reason = "unknown OpenSSL error";
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    reason = buf;
  }
  ERR_clear_error();
  return reason;
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw model_error(file.string() + ": cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Never prompts for a passphrase (a daemon has no terminal): encrypted keys fail.
int no_passphrase(char*, int, int, void*) { return -1; }

pkey_ptr parse_pem(const std::string& pem, bool want_private, const std::string& source) {
  bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) throw model_error(source + ": out of memory");
  EVP_PKEY* raw = want_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, &no_passphrase, nullptr)
                               : PEM_read_bio_PUBKEY(bio.get(), nullptr, &no_passphrase, nullptr);
  if (!raw)
    throw model_error(source + ": not a PEM " + (want_private ? "private" : "public") +
                      " key (unencrypted PKCS#8 / SubjectPublicKeyInfo expected): " + openssl_reason());
  pkey_ptr key(raw, &EVP_PKEY_free);
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519)
    throw model_error(source + ": not an Ed25519 key (create one with mailtriage keygen)");
  return key;
}

std::string der_fingerprint(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  if (len <= 0) throw model_error("cannot encode a public key: " + openssl_reason());
  std::string fp = sha256_hex(std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len)));
  OPENSSL_free(der);
  return fp.substr(0, 16);
}

std::string pem_of(EVP_PKEY* key, bool private_part) {
  bio_ptr bio(BIO_new(BIO_s_mem()), &BIO_free);
  int ok = private_part ? PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
                        : PEM_write_bio_PUBKEY(bio.get(), key);
  if (!bio || ok != 1) throw model_error("cannot encode a key as PEM: " + openssl_reason());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string base64(const unsigned char* bytes, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

// The signature bytes from manifest.sig's text; empty when it is not base64 of 64 bytes.
std::string decode_signature(std::string_view text) {
  std::string b64;
  for (char c : text)
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') b64 += c;
  if (b64.empty() || b64.size() % 4 != 0) return {};
  std::string out(b64.size() / 4 * 3, '\0');
  int len = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  if (len < 0) return {};
  // EVP_DecodeBlock counts the bytes that '=' padding stands for.
  std::size_t padding = b64.ends_with("==") ? 2 : b64.ends_with("=") ? 1 : 0;
  out.resize(static_cast<std::size_t>(len) - padding);
  return out.size() == kSignatureBytes ? out : std::string{};
}

}  // namespace

signing_key_pair generate_signing_key() {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (!raw) throw model_error("cannot generate an Ed25519 key: " + openssl_reason());
  pkey_ptr key(raw, &EVP_PKEY_free);
  return signing_key_pair{pem_of(key.get(), true), pem_of(key.get(), false)};
}

manifest_signature sign_manifest(const std::filesystem::path& private_key_file, std::string_view manifest_json) {
  pkey_ptr key = parse_pem(read_text(private_key_file), true, private_key_file.string());
  md_ctx_ptr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char sig[kSignatureBytes];
  std::size_t sig_len = sizeof sig;
  // Ed25519 hashes internally: no digest (NULL md) and one-shot EVP_DigestSign.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &sig_len, reinterpret_cast<const unsigned char*>(manifest_json.data()),
                     manifest_json.size()) != 1)
    throw model_error(private_key_file.string() + ": signing failed: " + openssl_reason());
  return manifest_signature{base64(sig, sig_len) + "\n", der_fingerprint(key.get())};
}

public_key public_key::load(const std::filesystem::path& file) {
  const std::string pem = read_text(file);
  if (pem.find("PRIVATE KEY-----") != std::string::npos)
    throw model_error(file.string() + ": holds a private key; give the public key (the .pub file of mailtriage "
                                      "keygen) and keep the private key where models are signed");
  pkey_ptr key = parse_pem(pem, false, file.string());
  public_key k;
  k.fingerprint_ = der_fingerprint(key.get());
  k.key_ = std::shared_ptr<evp_pkey_st>(key.release(), &EVP_PKEY_free);
  k.source_ = file.string();
  return k;
}

void public_key::verify_manifest(std::string_view manifest_json, std::string_view signature_text,
                                 const std::string& sig_source) const {
  std::string sig = decode_signature(signature_text);
  if (sig.empty())
    throw model_error(sig_source + ": not a signature (expected one line of base64 holding 64 bytes)");
  md_ctx_ptr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1)
    throw model_error(sig_source + ": cannot verify: " + openssl_reason());
  int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                            reinterpret_cast<const unsigned char*>(manifest_json.data()), manifest_json.size());
  ERR_clear_error();
  if (ok != 1)
    throw model_error(sig_source + ": signature does not verify with " + source_ + " (key " + fingerprint_ +
                      "): the manifest was changed after signing, or signed with another key");
}

std::string public_key_fingerprint(const std::string& public_pem) {
  return der_fingerprint(parse_pem(public_pem, false, "<public key>").get());
}

}  // namespace mailtriage::model
