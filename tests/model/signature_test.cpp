// Ed25519 manifest signatures: a signed bundle loads with its public key; an unsigned,
// tampered or foreign-key bundle is refused with a message naming the file.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "mailtriage/model/bundle.hpp"
#include "mailtriage/model/signature.hpp"
#include "mailtriage/model/trainer.hpp"

namespace mailtriage::model {
namespace {

namespace fs = std::filesystem;
const std::string kFingerprint(64, 'a');

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A small trained bundle and two key pairs in a fresh directory.
class Signature : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("mt-signature-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    training_data d;
    d.rows.columns = 20;
    std::mt19937 rng(7);
    std::normal_distribution<float> noise(0.0f, 0.5f);
    for (int i = 0; i < 200; ++i) {
      int label = i % 2;
      d.rows.add_row(std::vector<std::uint32_t>{0, 1},
                     std::vector<float>{(label ? 1.5f : 0.0f) + noise(rng), noise(rng)});
      d.labels.push_back(label);
    }
    train_params p;
    p.max_rounds = 10;
    auto r = train(d, d, 2, p, nullptr);
    manifest m;
    m.labels = {"ham", "spam"};
    m.negative_label = "ham";
    m.schema_fingerprint = kFingerprint;
    m.schema_version = "test";
    bundle_ = root_ / "model";
    write_bundle(bundle_, r.model, m);
    for (const char* name : {"good", "other"}) {
      auto pair = generate_signing_key();
      write_text(root_ / (std::string(name) + ".key"), pair.private_pem);
      write_text(root_ / (std::string(name) + ".pub"), pair.public_pem);
    }
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string refusal(const fs::path& pub) {
    auto key = public_key::load(pub);
    try {
      (void)load_bundle(bundle_, kFingerprint, &key);
    } catch (const model_error& e) {
      return e.what();
    }
    return "accepted";
  }

  fs::path root_, bundle_;
};

TEST_F(Signature, KeysArePemEd25519) {
  EXPECT_NE(read_text(root_ / "good.key").find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  EXPECT_NE(read_text(root_ / "good.pub").find("-----BEGIN PUBLIC KEY-----"), std::string::npos);
  auto a = public_key::load(root_ / "good.pub");
  auto b = public_key::load(root_ / "other.pub");
  EXPECT_EQ(a.fingerprint().size(), 16u);
  EXPECT_NE(a.fingerprint(), b.fingerprint());
  // Signing reports the same fingerprint; a private key is no public key.
  EXPECT_EQ(sign_bundle(bundle_, root_ / "good.key"), a.fingerprint());
  try {
    (void)public_key::load(root_ / "good.key");
    FAIL() << "a private key was taken as the public key";
  } catch (const model_error& e) {
    EXPECT_NE(std::string(e.what()).find("holds a private key"), std::string::npos) << e.what();
  }
}

TEST_F(Signature, SignedBundleLoadsAndSignatureIsOneLineOfBase64) {
  (void)sign_bundle(bundle_, root_ / "good.key");
  std::string sig = read_text(bundle_ / kSignatureFile);
  EXPECT_EQ(sig.size(), 89u) << "64 bytes in base64 and a newline";
  EXPECT_EQ(sig.back(), '\n');
  EXPECT_EQ(refusal(root_ / "good.pub"), "accepted");
}

TEST_F(Signature, UnsignedBundleIsRefusedWithAKeyAndAcceptedWithout) {
  EXPECT_NE(refusal(root_ / "good.pub").find("manifest.sig: missing"), std::string::npos);
  EXPECT_NO_THROW((void)load_bundle(bundle_, kFingerprint));
}

TEST_F(Signature, ATamperedManifestByteIsRefused) {
  (void)sign_bundle(bundle_, root_ / "good.key");
  std::string m = read_text(bundle_ / "manifest.json");
  auto pos = m.find("\"ham\"");
  ASSERT_NE(pos, std::string::npos);
  m[pos + 1] = 'j';  // "jam": still a valid manifest, no longer the signed one
  write_text(bundle_ / "manifest.json", m);
  std::string why = refusal(root_ / "good.pub");
  EXPECT_NE(why.find("manifest.sig: signature does not verify"), std::string::npos) << why;
  EXPECT_NO_THROW((void)load_bundle(bundle_, kFingerprint)) << "without a key only the hashes are checked";
}

TEST_F(Signature, ATamperedBoosterIsRefusedByItsHash) {
  (void)sign_bundle(bundle_, root_ / "good.key");
  {
    std::fstream f(bundle_ / "model.ubj", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x7f');
  }
  std::string why = refusal(root_ / "good.pub");
  EXPECT_NE(why.find("model.ubj: SHA-256"), std::string::npos) << why;
}

TEST_F(Signature, AnotherKeysSignatureIsRefused) {
  (void)sign_bundle(bundle_, root_ / "other.key");
  std::string why = refusal(root_ / "good.pub");
  EXPECT_NE(why.find("signature does not verify with"), std::string::npos) << why;
  EXPECT_NE(why.find("good.pub"), std::string::npos) << why;
}

TEST_F(Signature, GarbageSignatureIsRefused) {
  write_text(bundle_ / kSignatureFile, "not base64 at all!\n");
  EXPECT_NE(refusal(root_ / "good.pub").find("not a signature"), std::string::npos);
  write_text(bundle_ / kSignatureFile, "AAAA\n");  // base64, but 3 bytes
  EXPECT_NE(refusal(root_ / "good.pub").find("not a signature"), std::string::npos);
}

TEST_F(Signature, KeysOfOtherTypesAndBrokenFilesAreRefused) {
  EVP_PKEY* rsa = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  ASSERT_NE(rsa, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio, rsa), 1);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  write_text(root_ / "rsa.pub", std::string(data, static_cast<std::size_t>(n)));
  BIO_free(bio);
  EVP_PKEY_free(rsa);
  try {
    (void)public_key::load(root_ / "rsa.pub");
    FAIL() << "an RSA key was accepted";
  } catch (const model_error& e) {
    EXPECT_NE(std::string(e.what()).find("not an Ed25519 key"), std::string::npos) << e.what();
  }
  write_text(root_ / "junk.pub", "hello\n");
  EXPECT_THROW((void)public_key::load(root_ / "junk.pub"), model_error);
  EXPECT_THROW((void)public_key::load(root_ / "absent.pub"), model_error);
  EXPECT_THROW((void)sign_bundle(bundle_, root_ / "good.pub"), model_error) << "signing needs the private key";
}

}  // namespace
}  // namespace mailtriage::model
