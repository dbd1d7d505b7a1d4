#include "sign.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "args.hpp"
#include "mailtriage/features/schema.hpp"
#include "mailtriage/model/bundle.hpp"
#include "mailtriage/model/signature.hpp"

namespace mailtriage::cli {
namespace {

constexpr const char* kKeygenUsage =
    "usage: mailtriage keygen --out PREFIX\n"
    "Creates an Ed25519 key pair for signing model bundles: PREFIX.key (private, PEM\n"
    "PKCS#8, mode 0600; keep it off the mail servers) and PREFIX.pub (public, PEM; the\n"
    "file model.public_key_file names). Existing files are never overwritten.\n";

constexpr const char* kSignUsage =
    "usage: mailtriage sign --key KEY MODEL_DIR\n"
    "Checks the bundle the way mailtriaged loads it (every file's SHA-256, the feature\n"
    "schema), then writes MODEL_DIR/manifest.sig: the Ed25519 signature of manifest.json's\n"
    "exact bytes, base64 on one line. The manifest lists every file's SHA-256, so the\n"
    "signature covers the whole bundle.\n";

constexpr const char* kVerifyUsage =
    "usage: mailtriage verify-model --pub PUB MODEL_DIR\n"
    "Makes mailtriaged's check for model.public_key_file: manifest.sig must verify with\n"
    "PUB, then every file's SHA-256 and the feature schema. Exits 0 when the model would\n"
    "be accepted, 1 (with the reason) when it would be refused.\n";

// Creates `path` with `mode`, refusing to replace an existing file.
void write_new_file(const std::string& path, const std::string& bytes, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error(path + ": cannot create: " + std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      throw std::runtime_error(path + ": write failed: " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) throw std::runtime_error(path + ": write failed: " + std::strerror(errno));
}

}  // namespace

int keygen_main(const std::vector<std::string>& argv) {
  arg_parser a(argv, kKeygenUsage);
  std::string prefix = a.text({"--out", "-o"}, "");
  auto rest = a.positional();
  if (a.help()) return 0;
  if (prefix.empty() || !rest.empty()) return a.usage_error("--out PREFIX is required, and nothing else");
  auto pair = model::generate_signing_key();
  const std::string key_file = prefix + ".key", pub_file = prefix + ".pub";
  write_new_file(key_file, pair.private_pem, 0600);
  write_new_file(pub_file, pair.public_pem, 0644);
  std::cout << "wrote " << key_file << " (private) and " << pub_file << " (public), key "
            << model::public_key_fingerprint(pair.public_pem) << "\n";
  return 0;
}

int sign_main(const std::vector<std::string>& argv) {
  arg_parser a(argv, kSignUsage);
  std::string key = a.text({"--key"}, "");
  auto dirs = a.positional();
  if (a.help()) return 0;
  if (key.empty() || dirs.size() != 1) return a.usage_error("--key KEY and one MODEL_DIR are required");
  // Never sign a bundle that would not load: the signature vouches for it.
  auto m = model::load_bundle(dirs[0], features::schema_fingerprint());
  std::string fingerprint = model::sign_bundle(dirs[0], key);
  std::cout << dirs[0] << "/" << model::kSignatureFile << ": signed model " << m.id << " with key " << fingerprint
            << "\n";
  return 0;
}

int verify_model_main(const std::vector<std::string>& argv) {
  arg_parser a(argv, kVerifyUsage);
  std::string pub_file = a.text({"--pub"}, "");
  auto dirs = a.positional();
  if (a.help()) return 0;
  if (pub_file.empty() || dirs.size() != 1) return a.usage_error("--pub PUB and one MODEL_DIR are required");
  auto pub = model::public_key::load(pub_file);
  try {
    auto m = model::load_bundle(dirs[0], features::schema_fingerprint(), &pub);
    std::cout << dirs[0] << ": OK (model " << m.id << ", signed with key " << pub.fingerprint() << ")\n";
    return 0;
  } catch (const model::model_error& e) {
    std::cout << dirs[0] << ": REFUSED: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace mailtriage::cli
