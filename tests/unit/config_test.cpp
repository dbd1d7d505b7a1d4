#include "mailtriage/config/config.hpp"

#include <gtest/gtest.h>

namespace mailtriage::config {
namespace {

std::string error_of(const std::string& yaml) {
  try {
    (void)load_text(yaml, "test.yaml");
  } catch (const config_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Config, BuiltInConfigurationLoadsWithItsDocumentedDefaults) {
  auto cfg = load_text(builtin_yaml(), "<built-in>");
  EXPECT_EQ(cfg.milter.listen.to_string(), "inet:8895@127.0.0.1");
  EXPECT_EQ(cfg.milter.socket_mode, 0660u);
  EXPECT_EQ(cfg.milter.scan_bytes, 1u << 20);
  EXPECT_EQ(cfg.milter.max_macro_bytes, 64u << 10);
  EXPECT_EQ(cfg.milter.max_envelope_bytes, 1u << 20);
  EXPECT_EQ(cfg.milter.inline_verdict_bytes, 0u);
  EXPECT_FALSE(cfg.milter.skip_unscanned_body);
  EXPECT_EQ(cfg.milter.verdict_timeout, std::chrono::seconds(5));
  EXPECT_EQ(cfg.milter.on_failure, failure_action::accept);
  EXPECT_EQ(cfg.logging.level, log::level::info);
  EXPECT_EQ(cfg.logging.format, log::format::text);
  EXPECT_FALSE(cfg.logging.log_subjects);
  EXPECT_FALSE(cfg.logging.log_domains);
  EXPECT_TRUE(cfg.http.enabled);
  EXPECT_EQ(cfg.http.listen(), "127.0.0.1:9895");
}

TEST(Config, HttpAndLoggingSections) {
  auto cfg = load_text("http:\n  listen: \"[::1]:9100\"\n  max_connections: 4\n  request_timeout: 2s\n"
                       "logging:\n  format: json\n  pseudonym_key_file: /etc/k\n  log_domains: true\n"
                       "  log_subjects: true\n",
                       "t.yaml");
  EXPECT_TRUE(cfg.http.enabled);
  EXPECT_EQ(cfg.http.address, "::1");
  EXPECT_EQ(cfg.http.port, 9100);
  EXPECT_EQ(cfg.http.listen(), "[::1]:9100");
  EXPECT_EQ(cfg.http.max_connections, 4u);
  EXPECT_EQ(cfg.http.request_timeout, std::chrono::seconds(2));
  EXPECT_EQ(cfg.logging.format, log::format::json);
  EXPECT_EQ(cfg.logging.pseudonym_key_file, "/etc/k");
  EXPECT_TRUE(cfg.logging.log_domains);
  EXPECT_TRUE(cfg.logging.log_subjects);
  EXPECT_FALSE(load_text("http:\n  enabled: false\n", "t.yaml").http.enabled);
  EXPECT_FALSE(load_text("http:\n  listen: none\n", "t.yaml").http.enabled);
}

TEST(Config, SkipUnscannedBodyIsTrueOrFalse) {
  EXPECT_TRUE(load_text("milter:\n  skip_unscanned_body: true\n", "t.yaml").milter.skip_unscanned_body);
  EXPECT_NE(error_of("milter:\n  skip_unscanned_body: sometimes\n")
                .find("'milter.skip_unscanned_body': expected true or false"),
            std::string::npos);
}

TEST(Config, HttpAndLoggingErrorsNameFileLineAndKey) {
  EXPECT_EQ(error_of("http:\n  listen: localhost:9895\n"),
            "test.yaml:2:11: 'http.listen': expected ADDRESS:PORT such as 127.0.0.1:9895 or [::1]:9895, or none "
            "(the address must be an IP literal)");
  EXPECT_NE(error_of("http:\n  listen: 127.0.0.1:70000\n").find("test.yaml:2:11: 'http.listen'"), std::string::npos);
  EXPECT_NE(error_of("logging:\n  format: xml\n").find("test.yaml:2:11: 'logging.format': unknown log format"),
            std::string::npos);
  EXPECT_NE(error_of("logging:\n  log_subjects: maybe\n").find("test.yaml:2:17: 'logging.log_subjects'"),
            std::string::npos);
  EXPECT_EQ(error_of("http:\n  port: 80\n"), "test.yaml:2:3: unknown key 'http.port'");
}

TEST(Config, EmptyFileMeansDefaults) {
  auto cfg = load_text("", "empty.yaml");
  EXPECT_EQ(cfg.milter.max_connections, 1000u);
}

TEST(Config, UnitsAreParsed) {
  auto cfg = load_text("milter:\n  timeouts:\n    verdict: 250ms\n    idle: 10m\n  limits:\n    scan_bytes: 2MiB\n",
                       "t.yaml");
  EXPECT_EQ(cfg.milter.verdict_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(cfg.milter.idle_timeout, std::chrono::minutes(10));
  EXPECT_EQ(cfg.milter.scan_bytes, 2u << 20);
}

TEST(Config, UnknownKeyNamesFileLineAndKey) {
  EXPECT_EQ(error_of("milter:\n  listen: inet:25@127.0.0.1\n  max_conections: 5\n"),
            "test.yaml:3:3: unknown key 'milter.max_conections'");
  EXPECT_EQ(error_of("loging:\n  level: info\n"), "test.yaml:1:1: unknown key 'loging'");
}

// Found by tests/fuzz/config_fuzz (seeds/config/regress-nonscalar-key.yaml): a list used
// as a key escaped as YAML::TypedBadConversion instead of a configuration error.
TEST(Config, ListOrMappingAsKeyIsAConfigurationError) {
  EXPECT_EQ(error_of("? [a, b]\n: c\n"), "test.yaml:1:3: expected a plain key name, not a list or mapping");
  EXPECT_EQ(error_of("milter:\n  ? {a: 1}\n  : 2\n"),
            "test.yaml:2:5: 'milter': expected a plain key name, not a list or mapping");
  EXPECT_NE(error_of("policy:\n  rules:\n    - name: x\n      actions:\n        - ? [reject]\n          : y\n")
                .find("expected a plain key name"),
            std::string::npos);
}

TEST(Config, UserAndSocketGroupAreNames) {
  auto cfg = load_text("milter:\n  user: mailtriage\n  socket_group: postfix\n", "test.yaml");
  EXPECT_EQ(cfg.milter.user, "mailtriage");
  EXPECT_EQ(cfg.milter.socket_group, "postfix");
  EXPECT_EQ(load_text("", "empty.yaml").milter.user, "");
  EXPECT_NE(error_of("milter:\n  user: [a]\n").find("'milter.user': expected a single value"), std::string::npos);
}

TEST(Config, BadValuesSayWhatIsWrong) {
  EXPECT_NE(error_of("milter:\n  timeouts:\n    idle: 30\n").find("test.yaml:3:11: 'milter.timeouts.idle'"),
            std::string::npos);
  EXPECT_NE(error_of("milter:\n  listen: tcp:25\n").find("'milter.listen': invalid socket"), std::string::npos);
  EXPECT_NE(error_of("milter:\n  on_failure: maybe\n").find("expected accept, tempfail or reject"),
            std::string::npos);
  EXPECT_NE(error_of("milter:\n  max_connections: 0\n").find("between 1 and"), std::string::npos);
  EXPECT_NE(error_of("milter:\n  socket_mode: \"0999\"\n").find("octal"), std::string::npos);
  EXPECT_NE(error_of("milter:\n  limits:\n    scan_bytes: 1TB\n").find("size unit"), std::string::npos);
  EXPECT_NE(error_of("logging:\n  level: loud\n").find("unknown log level"), std::string::npos);
  EXPECT_NE(error_of("milter: [1, 2]\n").find("expected a mapping"), std::string::npos);
  EXPECT_NE(error_of("milter:\n  listen: [a]\n").find("expected a single value"), std::string::npos);
}

TEST(Config, SyntaxErrorsCarryAPosition) {
  EXPECT_EQ(error_of("milter:\n  listen: \"unterminated\n").substr(0, 10), "test.yaml:");
}

TEST(Config, MissingFileIsAClearError) {
  EXPECT_THROW((void)load_file("/nonexistent/mailtriage.yaml"), config_error);
}

}  // namespace
}  // namespace mailtriage::config
