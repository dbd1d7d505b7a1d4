// What a reload can and cannot change, and which files it watches.
#include "reloader.hpp"

#include "fallback.hpp"

#include <gtest/gtest.h>

namespace mailtriage::daemon {
namespace {

using namespace std::chrono_literals;

TEST(Reloader, RestartOnlySettingsAreNamedByTheirKeys) {
  config::daemon_config a;
  config::daemon_config b = a;
  EXPECT_TRUE(restart_only_changes(a, b).empty());
  b.milter.on_failure = config::failure_action::tempfail;  // swapped in with the engine
  b.logging.level = log::level::debug;                       // applied on reload
  EXPECT_TRUE(restart_only_changes(a, b).empty());
  b.milter.max_connections = 7;
  b.milter.inline_verdict_bytes = 1024;
  b.milter.skip_unscanned_body = true;
  b.milter.verdict_timeout = 1s;
  b.milter.scan_bytes = 4096;
  b.http.set_listen("127.0.0.1:0");  // the endpoint is bound once
  EXPECT_EQ(restart_only_changes(a, b),
            (std::vector<std::string>{"milter.max_connections", "milter.inline_verdict_bytes",
                                      "milter.skip_unscanned_body", "milter.timeouts.verdict",
                                      "milter.limits.scan_bytes", "http.listen"}));
  config::daemon_config c = a;
  c.milter.user = "mailtriage";  // privileges are dropped once, at start
  c.milter.socket_group = "postfix";
  EXPECT_EQ(restart_only_changes(a, c), (std::vector<std::string>{"milter.user", "milter.socket_group"}));
}

TEST(Reloader, WatchesTheConfigurationModelsAndKeys) {
  config_source source{std::string("/etc/mailtriage/mailtriage.yaml"), std::nullopt, std::nullopt, std::nullopt};
  config::daemon_config cfg;
  cfg.model.path = "/var/lib/mailtriage/model";
  cfg.model.shadow_path = "/var/lib/mailtriage/candidate";
  cfg.model.public_key_file = "/etc/mailtriage/model.pub";
  cfg.policy.hmac_key_file = "/etc/mailtriage/hmac.key";
  cfg.logging.pseudonym_key_file = "/etc/mailtriage/pseudonym.key";
  auto t = watch_targets(source, cfg);
  ASSERT_EQ(t.size(), 6u);
  EXPECT_EQ(t[0].path, "/etc/mailtriage/mailtriage.yaml");
  EXPECT_FALSE(t[0].directory);
  EXPECT_EQ(t[1].path, "/var/lib/mailtriage/model");
  EXPECT_TRUE(t[1].directory);
  EXPECT_TRUE(t[2].directory);
  EXPECT_FALSE(t[3].directory);
  EXPECT_FALSE(t[4].directory);
  EXPECT_EQ(t[5].path, "/etc/mailtriage/pseudonym.key");
  // The built-in configuration and model: nothing on disk to watch.
  EXPECT_TRUE(watch_targets(config_source{}, config::daemon_config{}).empty());
}

TEST(Reloader, ReloadSectionDefaultsAndLimits) {
  auto cfg = config::load_text("", "t.yaml");
  EXPECT_TRUE(cfg.reload.watch);
  EXPECT_EQ(cfg.reload.debounce, 500ms);
  cfg = config::load_text("reload:\n  watch: false\n  debounce: 2s\n", "t.yaml");
  EXPECT_FALSE(cfg.reload.watch);
  EXPECT_EQ(cfg.reload.debounce, 2s);
  EXPECT_THROW((void)config::load_text("reload:\n  debounce: 1ms\n", "t.yaml"), config::config_error);
  EXPECT_THROW((void)config::load_text("reload:\n  wacth: true\n", "t.yaml"), config::config_error);
}

TEST(Reloader, APublicKeyNeedsAModelPath) {
  try {
    (void)config::load_text("model:\n  public_key_file: /etc/mailtriage/model.pub\n", "t.yaml");
    FAIL() << "the unsigned built-in model was accepted with a public key";
  } catch (const config::config_error& e) {
    EXPECT_NE(std::string(e.what()).find("t.yaml:2:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("model.path is empty"), std::string::npos) << e.what();
  }
  auto cfg = config::load_text("model:\n  path: /m\n  public_key_file: /k.pub\n", "t.yaml");
  EXPECT_EQ(cfg.model.public_key_file, "/k.pub");
}

// milter.on_failure and policy.headers reach the server with each snapshot.
TEST(Reloader, TheFallbackFollowsTheConfiguration) {
  auto cfg = config::load_text("milter:\n  on_failure: accept\npolicy:\n  headers:\n    status: X-Triage-State\n",
                               "t.yaml");
  auto d = fallback_for(cfg)(milter::fallback_reason::timeout, {});
  ASSERT_EQ(d.modifications.size(), 1u);
  EXPECT_EQ(std::get<milter::add_header>(d.modifications[0]).name, "X-Triage-State");
  EXPECT_TRUE(std::holds_alternative<milter::accept>(d.final_reply));
  cfg = config::load_text("milter:\n  on_failure: tempfail\n", "t.yaml");
  d = fallback_for(cfg)(milter::fallback_reason::timeout, {});
  ASSERT_TRUE(std::holds_alternative<milter::reply_code>(d.final_reply));
  EXPECT_EQ(std::get<milter::reply_code>(d.final_reply).text.substr(0, 3), "451");
}

}  // namespace
}  // namespace mailtriage::daemon
