#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "mailtriage/config/config.hpp"

namespace mailtriage::config {
namespace {

using kind = policy::action::kind;

std::string error_of(const std::string& yaml) {
  try {
    (void)load_text(yaml, "test.yaml");
  } catch (const config_error& e) {
    return e.what();
  }
  return "no error";
}

// `rules` is the text of the list under policy.rules, indented by four spaces, so
// its first line is line 3 of test.yaml.
std::string rules_error(const std::string& rules) { return error_of("policy:\n  rules:\n" + rules); }

policy::policy_config policy_of(const std::string& yaml) { return load_text(yaml, "test.yaml").policy; }

const char* const kFullPolicy = R"yaml(policy:
  headers:
    prefix: X-MT-
    category: X-MT-Category
    score: X-MT-Score
    reasons: X-MT-Reasons
    verdict: X-MT-Verdict
    status: X-MT-Status
    max_reasons: 3
  hmac_key_file: /etc/mailtriage/hmac.key
  rules:
    - name: reject-phishing
      match:
        category: phishing
        min_score: 0.95
        sender_domain: [bank.example, pay.example]
        authenticated: false
      actions:
        - reject: "550 5.7.1 Phishing refused ({queue_id})"
      stop: true
    - name: hold-pii
      match:
        pii: [payment_card, iban]
        recipient_domain: corp.example
        min_size: 1KiB
        max_size: 10MiB
        flagged: [spam, phishing]
        max_score: 0.5
      actions:
        - add_header: {name: X-MT-Rule, value: "{rule} {score}"}
        - subject_prefix: "[PII] "
        - add_recipient: dlp@corp.example
        - remove_recipients: true
        - quarantine: "pii {category}"
        - tempfail: "451 4.7.1 Held for review"
      shadow: true
    - name: defaults
      actions:
        - quarantine:
        - reject:
)yaml";

TEST(PolicyConfig, FullPolicySectionParses) {
  auto p = policy_of(kFullPolicy);
  EXPECT_EQ(p.headers.prefix, "X-MT-");
  EXPECT_EQ(p.headers.category, "X-MT-Category");
  EXPECT_EQ(p.headers.score, "X-MT-Score");
  EXPECT_EQ(p.headers.reasons, "X-MT-Reasons");
  EXPECT_EQ(p.headers.verdict, "X-MT-Verdict");
  EXPECT_EQ(p.headers.status, "X-MT-Status");
  EXPECT_EQ(p.headers.max_reasons, 3u);
  EXPECT_EQ(p.hmac_key_file, "/etc/mailtriage/hmac.key");
  ASSERT_EQ(p.rules.size(), 3u);

  const auto& r0 = p.rules[0];
  EXPECT_EQ(r0.name, "reject-phishing");
  EXPECT_EQ(r0.source, "test.yaml:12:7");
  EXPECT_EQ(r0.when.categories, std::vector<std::string>{"phishing"});
  ASSERT_TRUE(r0.when.min_score.has_value());
  EXPECT_FLOAT_EQ(*r0.when.min_score, 0.95f);
  EXPECT_FALSE(r0.when.max_score.has_value());
  EXPECT_EQ(r0.when.sender_domains, (std::vector<std::string>{"bank.example", "pay.example"}));
  EXPECT_EQ(r0.when.authenticated, std::optional<bool>(false));
  EXPECT_TRUE(r0.when.pii.empty());
  EXPECT_FALSE(r0.when.min_size.has_value());
  ASSERT_EQ(r0.actions.size(), 1u);
  EXPECT_EQ(r0.actions[0].type, kind::reject);
  EXPECT_EQ(r0.actions[0].value, "550 5.7.1 Phishing refused ({queue_id})");
  EXPECT_TRUE(r0.stop);
  EXPECT_FALSE(r0.shadow);

  const auto& r1 = p.rules[1];
  EXPECT_EQ(r1.name, "hold-pii");
  EXPECT_EQ(r1.source, "test.yaml:21:7");
  EXPECT_EQ(r1.when.pii, (std::vector<std::string>{"payment_card", "iban"}));
  EXPECT_EQ(r1.when.recipient_domains, std::vector<std::string>{"corp.example"});
  EXPECT_EQ(r1.when.min_size, std::optional<std::size_t>(1024));
  EXPECT_EQ(r1.when.max_size, std::optional<std::size_t>(10u << 20));
  EXPECT_EQ(r1.when.flagged, (std::vector<std::string>{"spam", "phishing"}));
  ASSERT_TRUE(r1.when.max_score.has_value());
  EXPECT_FLOAT_EQ(*r1.when.max_score, 0.5f);
  EXPECT_FALSE(r1.when.authenticated.has_value());
  EXPECT_TRUE(r1.when.categories.empty());
  EXPECT_TRUE(r1.shadow);
  EXPECT_FALSE(r1.stop);
  ASSERT_EQ(r1.actions.size(), 6u);
  EXPECT_EQ(r1.actions[0].type, kind::add_header);
  EXPECT_EQ(r1.actions[0].name, "X-MT-Rule");
  EXPECT_EQ(r1.actions[0].value, "{rule} {score}");
  EXPECT_EQ(r1.actions[1].type, kind::subject_prefix);
  EXPECT_EQ(r1.actions[1].value, "[PII] ");
  EXPECT_EQ(r1.actions[2].type, kind::add_recipient);
  EXPECT_EQ(r1.actions[2].value, "dlp@corp.example");
  EXPECT_EQ(r1.actions[3].type, kind::remove_recipients);
  EXPECT_EQ(r1.actions[4].type, kind::quarantine);
  EXPECT_EQ(r1.actions[4].value, "pii {category}");
  EXPECT_EQ(r1.actions[5].type, kind::tempfail);
  EXPECT_EQ(r1.actions[5].value, "451 4.7.1 Held for review");
  EXPECT_TRUE(r1.actions[5].terminal());
  EXPECT_FALSE(r1.actions[4].terminal());

  // Actions without a value take their documented defaults.
  const auto& r2 = p.rules[2];
  EXPECT_EQ(r2.source, "test.yaml:37:7");
  ASSERT_EQ(r2.actions.size(), 2u);
  EXPECT_EQ(r2.actions[0].value, "held by mailtriage: {category} {score}");
  EXPECT_EQ(r2.actions[1].value, "550 5.7.1 Message refused");
  auto t = policy_of("policy:\n  rules:\n    - name: t\n      actions:\n        - tempfail:\n");
  EXPECT_EQ(t.rules.at(0).actions.at(0).value, "451 4.7.1 Try again later");
}

TEST(PolicyConfig, NoPolicySectionMeansDefaultHeadersAndNoRules) {
  auto p = policy_of("");
  EXPECT_EQ(p.headers.prefix, "X-Triage-");
  EXPECT_EQ(p.headers.category, "X-Triage-Category");
  EXPECT_EQ(p.headers.score, "X-Triage-Score");
  EXPECT_EQ(p.headers.reasons, "X-Triage-Reasons");
  EXPECT_EQ(p.headers.verdict, "X-Triage-Verdict");
  EXPECT_EQ(p.headers.max_reasons, 5u);
  EXPECT_TRUE(p.hmac_key_file.empty());
  EXPECT_TRUE(p.rules.empty());
}

TEST(PolicyConfig, EmptyHeaderNamesAndPrefixAreAllowed) {
  auto p = policy_of("policy:\n  headers:\n    prefix: \"\"\n    reasons: \"\"\n");
  EXPECT_EQ(p.headers.prefix, "");
  EXPECT_EQ(p.headers.reasons, "");
  EXPECT_EQ(p.headers.category, "X-Triage-Category");
}

TEST(PolicyConfig, CategoryMayBeAScalarOrAList) {
  auto one = policy_of("policy:\n  rules:\n    - name: r\n      match:\n        category: spam\n"
                       "      actions:\n        - discard: true\n");
  EXPECT_EQ(one.rules.at(0).when.categories, std::vector<std::string>{"spam"});
  auto many = policy_of("policy:\n  rules:\n    - name: r\n      match:\n        category: [spam, phishing]\n"
                        "      actions:\n        - discard: true\n");
  EXPECT_EQ(many.rules.at(0).when.categories, (std::vector<std::string>{"spam", "phishing"}));
  auto block = policy_of("policy:\n  rules:\n    - name: r\n      match:\n        category:\n          - spam\n"
                         "          - bulk\n      actions:\n        - discard: true\n");
  EXPECT_EQ(block.rules.at(0).when.categories, (std::vector<std::string>{"spam", "bulk"}));
}

TEST(PolicyConfig, ShadowAndStopDefaultToFalse) {
  auto p = policy_of("policy:\n  rules:\n    - name: r\n      actions:\n        - accept: true\n");
  ASSERT_EQ(p.rules.size(), 1u);
  EXPECT_FALSE(p.rules[0].shadow);
  EXPECT_FALSE(p.rules[0].stop);
  EXPECT_EQ(p.rules[0].source, "test.yaml:3:7");
}

// ---- errors: file:line:column and the key -----------------------------------------

TEST(PolicyConfigErrors, UnknownAction) {
  EXPECT_EQ(rules_error("    - name: r\n      actions:\n        - frobnicate: true\n"),
            "test.yaml:5:23: 'policy.rules[0].actions[0].frobnicate': unknown action");
}

TEST(PolicyConfigErrors, ActionMapWithTwoKeys) {
  auto e = rules_error("    - name: r\n      actions:\n        - reject: \"550 5.7.1 no\"\n          discard: true\n");
  EXPECT_EQ(e.rfind("test.yaml:5:11: 'policy.rules[0].actions[0]': an action is one key", 0), 0u) << e;
  e = rules_error("    - name: r\n      actions:\n        - {reject: \"550 5.7.1 no\", discard: true}\n");
  EXPECT_EQ(e.rfind("test.yaml:5:11: 'policy.rules[0].actions[0]': an action is one key", 0), 0u) << e;
  e = rules_error("    - name: r\n      actions:\n        - {}\n");
  EXPECT_EQ(e.rfind("test.yaml:5:11: 'policy.rules[0].actions[0]': an action is one key", 0), 0u) << e;
}

TEST(PolicyConfigErrors, RuleWithoutName) {
  auto e = rules_error("    - match: {category: spam}\n      actions:\n        - discard: true\n");
  EXPECT_EQ(e.rfind("test.yaml:3:7: 'policy.rules[0].name': every rule needs a name", 0), 0u) << e;
  // The second rule: the index in the key says which one.
  e = rules_error("    - name: ok\n      actions: [accept: true]\n    - name: \"\"\n      actions: [accept: true]\n");
  EXPECT_EQ(e.rfind("test.yaml:5:13: 'policy.rules[1].name': every rule needs a name", 0), 0u) << e;
}

TEST(PolicyConfigErrors, RuleWithoutActions) {
  EXPECT_EQ(rules_error("    - name: r\n      match: {category: spam}\n"),
            "test.yaml:3:7: 'policy.rules[0].actions': a rule needs at least one action");
  EXPECT_EQ(rules_error("    - name: r\n      actions: []\n"),
            "test.yaml:4:16: 'policy.rules[0].actions': a rule needs at least one action");
}

TEST(PolicyConfigErrors, RejectAndTempfailTextsMustHaveTheRightClass) {
  const std::string reject_hint = "expected a reply such as \"550 5.7.1 Message refused\"";
  const std::string tempfail_hint = "expected a reply such as \"451 4.7.1 Message refused\"";
  EXPECT_EQ(rules_error("    - name: r\n      actions:\n        - reject: \"450 4.7.1 Try later\"\n"),
            "test.yaml:5:19: 'policy.rules[0].actions[0].reject': " + reject_hint);
  EXPECT_EQ(rules_error("    - name: r\n      actions:\n        - tempfail: \"550\"\n"),
            "test.yaml:5:21: 'policy.rules[0].actions[0].tempfail': " + tempfail_hint);
  // The enhanced status code must agree with the reply code, and be there.
  EXPECT_NE(rules_error("    - name: r\n      actions:\n        - reject: \"550 4.7.1 mixed\"\n").find(reject_hint),
            std::string::npos);
  EXPECT_NE(rules_error("    - name: r\n      actions:\n        - reject: \"550 refused, go away\"\n").find(reject_hint),
            std::string::npos);
  EXPECT_NE(rules_error("    - name: r\n      actions:\n        - tempfail: \"451 5.7.1 mixed\"\n").find(tempfail_hint),
            std::string::npos);
}

TEST(PolicyConfigErrors, UnknownPiiKind) {
  EXPECT_EQ(rules_error("    - name: r\n      match:\n        pii: [iban, passport]\n      actions: [discard: true]\n"),
            "test.yaml:5:14: 'policy.rules[0].match.pii': expected any, payment_card, iban or us_ssn, got 'passport'");
}

TEST(PolicyConfigErrors, ScoresMustBeNumbersWithinZeroAndOne) {
  auto e = rules_error("    - name: r\n      match:\n        min_score: 1.5\n      actions: [discard: true]\n");
  EXPECT_EQ(e.rfind("test.yaml:5:20: 'policy.rules[0].match.min_score': must be between 0", 0), 0u) << e;
  e = rules_error("    - name: r\n      match:\n        min_score: -0.1\n      actions: [discard: true]\n");
  EXPECT_EQ(e.rfind("test.yaml:5:20: 'policy.rules[0].match.min_score': must be between 0", 0), 0u) << e;
  e = rules_error("    - name: r\n      match:\n        max_score: 2\n      actions: [discard: true]\n");
  EXPECT_EQ(e.rfind("test.yaml:5:20: 'policy.rules[0].match.max_score': must be between 0", 0), 0u) << e;
  e = rules_error("    - name: r\n      match:\n        min_score: high\n      actions: [discard: true]\n");
  EXPECT_EQ(e, "test.yaml:5:20: 'policy.rules[0].match.min_score': expected a number");
  // The bounds themselves are allowed.
  auto p = policy_of("policy:\n  rules:\n    - name: r\n      match: {min_score: 0, max_score: 1}\n"
                     "      actions: [accept: true]\n");
  EXPECT_EQ(p.rules.at(0).when.min_score, std::optional<float>(0.0f));
  EXPECT_EQ(p.rules.at(0).when.max_score, std::optional<float>(1.0f));
}

TEST(PolicyConfigErrors, NotANumberScoreIsRejected) {
  auto min_nan = rules_error("    - name: r\n      match:\n        min_score: nan\n      actions: [discard: true]\n");
  auto max_nan = rules_error("    - name: r\n      match:\n        max_score: NaN\n      actions: [discard: true]\n");
  EXPECT_EQ(min_nan.rfind("test.yaml:5:20: 'policy.rules[0].match.min_score': ", 0), 0u) << min_nan;
  EXPECT_EQ(max_nan.rfind("test.yaml:5:20: 'policy.rules[0].match.max_score': ", 0), 0u) << max_nan;
}

TEST(PolicyConfigErrors, AddHeaderNameWithoutColonsOrSpaces) {
  const std::string hint = "expected a header name without spaces or colons";
  EXPECT_EQ(rules_error("    - name: r\n      actions:\n        - add_header: {name: \"X-A: b\", value: v}\n"),
            "test.yaml:5:30: 'policy.rules[0].actions[0].add_header.name': " + hint);
  EXPECT_EQ(rules_error("    - name: r\n      actions:\n        - add_header: {name: X A, value: v}\n"),
            "test.yaml:5:30: 'policy.rules[0].actions[0].add_header.name': " + hint);
  EXPECT_NE(rules_error("    - name: r\n      actions:\n        - add_header: {value: v}\n").find(hint),
            std::string::npos);
  EXPECT_EQ(rules_error("    - name: r\n      actions:\n        - add_header: {name: X-A, valu: v}\n"),
            "test.yaml:5:35: unknown key 'policy.rules[0].actions[0].add_header.valu'");
}

TEST(PolicyConfigErrors, AddRecipientNeedsAnAddress) {
  EXPECT_EQ(rules_error("    - name: r\n      actions:\n        - add_recipient: review\n"),
            "test.yaml:5:26: 'policy.rules[0].actions[0].add_recipient': expected an address such as "
            "review@example.org");
}

TEST(PolicyConfigErrors, UnknownKeysInMatchRuleAndHeaders) {
  EXPECT_EQ(rules_error("    - name: r\n      match:\n        category: spam\n        sender: x.example\n"
                        "      actions: [discard: true]\n"),
            "test.yaml:6:9: unknown key 'policy.rules[0].match.sender'");
  EXPECT_EQ(rules_error("    - name: r\n      actions: [discard: true]\n      stopp: true\n"),
            "test.yaml:5:7: unknown key 'policy.rules[0].stopp'");
  EXPECT_EQ(error_of("policy:\n  headers:\n    categroy: X-C\n"), "test.yaml:3:5: unknown key 'policy.headers.categroy'");
  EXPECT_EQ(error_of("policy:\n  rule: []\n"), "test.yaml:2:3: unknown key 'policy.rule'");
}

TEST(PolicyConfigErrors, WrongShapesAndValues) {
  EXPECT_EQ(error_of("policy:\n  rules:\n    name: r\n"), "test.yaml:3:5: 'policy.rules': expected a list");
  EXPECT_EQ(rules_error("    - just-a-string\n"), "test.yaml:3:7: 'policy.rules[0]': expected a mapping");
  EXPECT_NE(rules_error("    - name: r\n      shadow: maybe\n      actions: [discard: true]\n")
                .find("'policy.rules[0].shadow': expected true or false"),
            std::string::npos);
  EXPECT_NE(rules_error("    - name: r\n      match: {min_size: 1TB}\n      actions: [discard: true]\n")
                .find("'policy.rules[0].match.min_size': expected a size unit"),
            std::string::npos);
  EXPECT_NE(error_of("policy:\n  headers:\n    max_reasons: 21\n").find("'policy.headers.max_reasons': must be between 0 and 20"),
            std::string::npos);
}

TEST(PolicyConfigErrors, NothingFollowsATerminalAction) {
  EXPECT_EQ(rules_error("    - name: r\n      actions:\n        - accept: true\n        - add_header: {name: X-A, value: v}\n"),
            "test.yaml:6:11: 'policy.rules[0].actions[1]': nothing can follow reject, tempfail, discard or accept in "
            "a rule's actions");
}

TEST(PolicyConfigErrors, VerdictHeadersMustCarryThePrefix) {
  EXPECT_NE(error_of("policy:\n  headers:\n    category: X-Other-Category\n").find("must start with the prefix"),
            std::string::npos);
}

TEST(PolicyConfigErrors, DisabledYesNoActionsAreNotSilentlyApplied) {
  // `discard: false` reads as "do not discard"; loading it as a discard action would
  // silently drop mail. Either refuse it or leave the action out.
  std::string applied;
  for (const char* name : {"discard", "accept", "remove_recipients"}) {
    std::string yaml = std::string("policy:\n  rules:\n    - name: r\n      actions:\n        - add_header: {name: X-A, "
                                   "value: v}\n        - ") +
                       name + ": false\n";
    try {
      auto p = load_text(yaml, "test.yaml").policy;
      if (p.rules.at(0).actions.size() != 1) applied += std::string(applied.empty() ? "" : ", ") + name;
    } catch (const config_error&) {
      // refused: fine
    }
  }
  EXPECT_TRUE(applied.empty()) << applied;
}

TEST(PolicyConfigErrors, VerdictHeaderNamesAreValidatedLikeAddHeaderNames) {
  const std::string e = error_of("policy:\n  headers:\n    category: \"X-Triage Category: x\"\n");
  EXPECT_EQ(e.rfind("test.yaml:3:15: 'policy.headers.category': ", 0), 0u) << e;
}

}  // namespace
}  // namespace mailtriage::config
