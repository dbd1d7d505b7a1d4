#include "mailtriage/policy/decide.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <vector>

// Readable failure messages for the replies decide() produces (found by ADL from
// gtest's variant printer).
namespace mailtriage::milter {
inline void PrintTo(const accept&, std::ostream* os) { *os << "accept"; }
inline void PrintTo(const discard&, std::ostream* os) { *os << "discard"; }
inline void PrintTo(const reply_code& r, std::ostream* os) { *os << "reply_code{\"" << r.text << "\"}"; }
inline void PrintTo(const add_header& r, std::ostream* os) {
  *os << "add_header{\"" << r.name << "\", \"" << r.value << "\"}";
}
inline void PrintTo(const change_header& r, std::ostream* os) {
  *os << "change_header{" << r.index << ", \"" << r.name << "\", \"" << r.value << "\"}";
}
inline void PrintTo(const add_recipient& r, std::ostream* os) {
  *os << "add_recipient{\"" << r.recipient << "\"" << (r.esmtp_args ? ", \"" + *r.esmtp_args + "\"" : "") << "}";
}
inline void PrintTo(const delete_recipient& r, std::ostream* os) {
  *os << "delete_recipient{\"" << r.recipient << "\"}";
}
inline void PrintTo(const quarantine& r, std::ostream* os) { *os << "quarantine{\"" << r.reason << "\"}"; }
}  // namespace mailtriage::milter

namespace mailtriage::policy {
namespace {

using milter::reply;
using kind = action::kind;

constexpr const char* kQueue = "4BX3Qd1z";
constexpr const char* kKey = "secret-key";
// HMAC-SHA256("secret-key", "4BX3Qd1z|phishing|0.973"), computed independently with
// `printf '%s' '4BX3Qd1z|phishing|0.973' | openssl dgst -sha256 -hmac secret-key`.
constexpr const char* kSig = "e3d9f26ef3f694c86c36cebe397a7cf4b2f67978f1ed89d77099117e121bbc6e";

verdict phishing() {
  verdict v;
  v.category = "phishing";
  v.score = 0.973f;
  v.probabilities = {{"ham", 0.01f}, {"spam", 0.017f}, {"phishing", 0.973f}};
  v.flagged = {"phishing"};
  v.reasons = {{"link_text_domain_mismatch", 2.1f}, {"subject:verify account", 1.4f}, {"sender_new_domain", 0.35f}};
  v.model_id = "abc123def456";
  return v;
}

message_facts facts() {
  message_facts f;
  f.queue_id = kQueue;
  f.sender = "alice@mail.sender.example";
  f.recipients = {"bob@corp.example", "carol@other.example"};
  f.size = 2048;
  f.authenticated = false;
  return f;
}

// A policy that writes no verdict headers and deletes nothing, so the modifications
// are exactly what the rules asked for.
policy_config rules_only(std::vector<rule> rules) {
  policy_config p;
  p.headers.prefix = "";
  p.headers.category = "";
  p.headers.score = "";
  p.headers.reasons = "";
  p.headers.verdict = "";
  p.rules = std::move(rules);
  return p;
}

action act(kind k, std::string value = {}, std::string name = {}) {
  action a;
  a.type = k;
  a.value = std::move(value);
  a.name = std::move(name);
  return a;
}

rule make_rule(std::string name, match when, std::vector<action> actions) {
  rule r;
  r.name = std::move(name);
  r.when = std::move(when);
  r.actions = std::move(actions);
  return r;
}

// A rule that tags the message with a header named after the rule when `when` holds.
rule tagging(std::string name, match when) {
  std::string header = "X-Rule-" + name;
  return make_rule(std::move(name), std::move(when), {act(kind::add_header, "1", header)});
}

bool rule_matches(const match& when, const verdict& v = phishing(), const message_facts& f = facts()) {
  auto o = decide(rules_only({tagging("r", when)}), v, f, {}, "");
  return o.applied_rules == std::vector<std::string>{"r"};
}

bool has_cr_or_lf(const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; }

// Every header value decide() wrote (added or changed).
std::vector<std::string> header_values(const outcome& o) {
  std::vector<std::string> out;
  for (const auto& m : o.modifications) {
    if (const auto* a = std::get_if<milter::add_header>(&m)) out.push_back(a->value);
    if (const auto* c = std::get_if<milter::change_header>(&m)) out.push_back(c->value);
  }
  return out;
}

// ---- anti-forgery -------------------------------------------------------------------

TEST(DecideAntiForgery, PrefixedInboundHeadersAreDeletedCaseInsensitivelyHighestIndexFirst) {
  std::vector<inbound_header> inbound = {
      {"Received", 1, ""},
      {"X-Triage-Score", 1, ""},
      {"Subject", 1, "hello"},
      {"x-triage-category", 1, ""},
      {"X-Triage-Score", 2, ""},
  };
  auto o = decide(policy_config{}, phishing(), facts(), inbound, "");
  ASSERT_GE(o.modifications.size(), 4u);
  // Index 2 before index 1 of the same name: deleting 1 first would renumber 2 as 1.
  EXPECT_EQ(o.modifications[0], (reply{milter::change_header{2, "X-Triage-Score", ""}}));
  std::vector<reply> index_one = {o.modifications[1], o.modifications[2]};
  EXPECT_NE(std::find(index_one.begin(), index_one.end(), (reply{milter::change_header{1, "X-Triage-Score", ""}})),
            index_one.end());
  EXPECT_NE(std::find(index_one.begin(), index_one.end(), (reply{milter::change_header{1, "x-triage-category", ""}})),
            index_one.end());
  EXPECT_EQ(o.modifications[3], (reply{milter::add_header{"X-Triage-Category", "phishing"}}));
  // Exactly three deletions: Received and Subject are left alone.
  EXPECT_EQ(std::count_if(o.modifications.begin(), o.modifications.end(),
                          [](const reply& r) { return std::holds_alternative<milter::change_header>(r); }),
            3);
}

TEST(DecideAntiForgery, DeletionsComeBeforeEveryHeaderWeAdd) {
  auto p = policy_config{};
  p.rules = {make_rule("tag", {}, {act(kind::add_header, "{category}", "X-Triage-Extra")})};
  std::vector<inbound_header> inbound = {{"X-Triage-Extra", 1, ""}, {"X-Triage-Verdict", 3, ""}};
  auto o = decide(p, phishing(), facts(), inbound, "");
  ASSERT_EQ(o.modifications.size(), 7u);
  EXPECT_EQ(o.modifications[0], (reply{milter::change_header{3, "X-Triage-Verdict", ""}}));
  EXPECT_EQ(o.modifications[1], (reply{milter::change_header{1, "X-Triage-Extra", ""}}));
  for (std::size_t i = 2; i < o.modifications.size(); ++i)
    EXPECT_TRUE(std::holds_alternative<milter::add_header>(o.modifications[i])) << i;
  EXPECT_EQ(o.modifications.back(), (reply{milter::add_header{"X-Triage-Extra", "phishing"}}));
}

TEST(DecideAntiForgery, HeadersWithoutThePrefixAreUntouched) {
  std::vector<inbound_header> inbound = {
      {"X-Triage", 1, ""}, {"X-TriageCategory", 1, ""}, {"X-Spam-Score", 1, ""}, {"Received", 4, ""},
      {"Subject", 1, "X-Triage-Category: spam"},
  };
  auto o = decide(policy_config{}, phishing(), facts(), inbound, "");
  for (const auto& m : o.modifications) EXPECT_FALSE(std::holds_alternative<milter::change_header>(m));
  EXPECT_EQ(o.modifications.size(), 4u);  // category, score, reasons, verdict
}

TEST(DecideAntiForgery, EmptyPrefixDeletesNothing) {
  auto p = policy_config{};
  p.headers.prefix = "";
  std::vector<inbound_header> inbound = {{"X-Triage-Category", 1, ""}, {"Received", 1, ""}};
  auto o = decide(p, phishing(), facts(), inbound, "");
  for (const auto& m : o.modifications) EXPECT_FALSE(std::holds_alternative<milter::change_header>(m));
}

TEST(DecideAntiForgery, ConfiguredPrefixIsTheOneThatCounts) {
  auto p = rules_only({});
  p.headers.prefix = "X-MT-";
  std::vector<inbound_header> inbound = {{"X-MT-Verdict", 1, ""}, {"X-Triage-Category", 1, ""}, {"x-mt-", 2, ""}};
  auto o = decide(p, phishing(), facts(), inbound, "");
  EXPECT_EQ(o.modifications, (std::vector<reply>{milter::change_header{2, "x-mt-", ""},
                                                 milter::change_header{1, "X-MT-Verdict", ""}}));
}

// ---- verdict headers --------------------------------------------------------------

TEST(DecideVerdictHeaders, DefaultHeadersInOrderWithExactValues) {
  auto o = decide(policy_config{}, phishing(), facts(), {}, "");
  EXPECT_EQ(o.modifications,
            (std::vector<reply>{
                milter::add_header{"X-Triage-Category", "phishing"},
                milter::add_header{"X-Triage-Score", "0.973"},
                milter::add_header{"X-Triage-Reasons",
                                   "link_text_domain_mismatch +2.10, subject:verify account +1.40, "
                                   "sender_new_domain +0.35"},
                milter::add_header{"X-Triage-Verdict",
                                   "category=phishing; score=0.973; model=abc123def456; queue=4BX3Qd1z"},
            }));
  EXPECT_EQ(o.final_reply, (reply{milter::accept{}}));
  EXPECT_TRUE(o.applied_rules.empty());
  EXPECT_TRUE(o.shadow_rules.empty());
}

TEST(DecideVerdictHeaders, ScoreIsFormattedWithThreeDecimals) {
  auto score_header = [](float s) {
    auto v = phishing();
    v.score = s;
    auto p = rules_only({});
    p.headers.score = "X-Triage-Score";
    auto o = decide(p, v, facts(), {}, "");
    return o.modifications.at(0);
  };
  EXPECT_EQ(score_header(0.5f), (reply{milter::add_header{"X-Triage-Score", "0.500"}}));
  EXPECT_EQ(score_header(1.0f), (reply{milter::add_header{"X-Triage-Score", "1.000"}}));
  EXPECT_EQ(score_header(0.0f), (reply{milter::add_header{"X-Triage-Score", "0.000"}}));
  EXPECT_EQ(score_header(0.12345f), (reply{milter::add_header{"X-Triage-Score", "0.123"}}));
  EXPECT_EQ(score_header(0.9996f), (reply{milter::add_header{"X-Triage-Score", "1.000"}}));
}

TEST(DecideVerdictHeaders, FormatReasonsSignsTwoDecimalsAndMax) {
  std::vector<reason> r = {{"link_text_domain_mismatch", 2.1f}, {"subject:verify account", 1.4f}, {"dkim_pass", -0.5f}};
  EXPECT_EQ(format_reasons(r, 5), "link_text_domain_mismatch +2.10, subject:verify account +1.40, dkim_pass -0.50");
  EXPECT_EQ(format_reasons(r, 2), "link_text_domain_mismatch +2.10, subject:verify account +1.40");
  EXPECT_EQ(format_reasons(r, 1), "link_text_domain_mismatch +2.10");
  EXPECT_EQ(format_reasons(r, 0), "");
  EXPECT_EQ(format_reasons({}, 5), "");
  EXPECT_EQ(format_reasons({{"x", 0.0f}}, 5), "x +0.00");
}

// The weights and scores are written as printf's "%+.2f" and "%.3f" of the float widened
// to double write them: the same bytes for halfway cases (exact binary ties round to
// even), neighbours of every rounding boundary, negative zero, non-finite values and
// random floats across the ranges contributions and probabilities take.
TEST(DecideVerdictHeaders, WeightsAndScoresAreWrittenAsPrintfWritesThem) {
  auto printf_of = [](const char* format, float v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, static_cast<double>(v));
    return std::string(buf);
  };
  std::size_t checked = 0;
  auto check = [&](float w) {
    ++checked;
    ASSERT_EQ(format_reasons({{"x", w}}, 1), "x " + printf_of("%+.2f", w)) << w;
    ASSERT_EQ(format_score(w), printf_of("%.3f", w)) << w;
    verdict v;
    v.category = "c";
    v.score = w;
    v.model_id = "m";
    ASSERT_EQ(verdict_header_value(v, "q", ""), "category=c; score=" + printf_of("%.3f", w) + "; model=m; queue=q")
        << w;
  };
  for (float w : {0.0f, -0.0f, 0.125f, -0.125f, 0.375f, 0.625f, 0.0625f, 0.0005f, 0.9995f, 2.675f, 1.005f,
                  0.005f, 0.0049999f, 1e-30f, -1e-30f, 255.875f, 2147483520.0f, 2147483648.0f, -1e10f,
                  std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::infinity(),
                  -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()})
    check(w);
  // Every multiple of 1/2048 in [-40, 40]: all the two- and three-decimal ties a float
  // can hold exactly in that range lie on this grid.
  for (int i = -40 * 2048; i <= 40 * 2048; ++i) check(static_cast<float>(i) / 2048.0f);
  // Around each rounding boundary k/2000 (halfway between three-decimal outputs): the
  // nearest floats below, at and above.
  for (int k = -20000; k <= 20000; ++k) {
    const float b = static_cast<float>(k) / 2000.0f;
    check(std::nextafter(b, -100.0f));
    check(b);
    check(std::nextafter(b, 100.0f));
  }
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> weights(-50.0f, 50.0f), probs(0.0f, 1.0f);
  for (int i = 0; i < 100000; ++i) {
    check(weights(gen));
    check(probs(gen));
  }
  EXPECT_GT(checked, 400000u);
}

TEST(DecideVerdictHeaders, ReasonsHeaderRespectsMaxReasonsAndIsOmittedWithoutReasons) {
  auto p = rules_only({});
  p.headers.reasons = "X-Triage-Reasons";
  p.headers.max_reasons = 2;
  auto o = decide(p, phishing(), facts(), {}, "");
  EXPECT_EQ(o.modifications,
            (std::vector<reply>{milter::add_header{
                "X-Triage-Reasons", "link_text_domain_mismatch +2.10, subject:verify account +1.40"}}));

  auto v = phishing();
  v.reasons.clear();
  EXPECT_TRUE(decide(p, v, facts(), {}, "").modifications.empty());
}

TEST(DecideVerdictHeaders, EachEmptyHeaderNameDisablesThatHeader) {
  auto names_written = [](const policy_config& p) {
    std::vector<std::string> names;
    for (const auto& m : decide(p, phishing(), facts(), {}, kKey).modifications)
      names.push_back(std::get<milter::add_header>(m).name);
    return names;
  };
  policy_config p;
  p.headers.category = "";
  EXPECT_EQ(names_written(p), (std::vector<std::string>{"X-Triage-Score", "X-Triage-Reasons", "X-Triage-Verdict"}));
  p = {};
  p.headers.score = "";
  EXPECT_EQ(names_written(p),
            (std::vector<std::string>{"X-Triage-Category", "X-Triage-Reasons", "X-Triage-Verdict"}));
  p = {};
  p.headers.reasons = "";
  EXPECT_EQ(names_written(p), (std::vector<std::string>{"X-Triage-Category", "X-Triage-Score", "X-Triage-Verdict"}));
  p = {};
  p.headers.verdict = "";
  EXPECT_EQ(names_written(p), (std::vector<std::string>{"X-Triage-Category", "X-Triage-Score", "X-Triage-Reasons"}));
  EXPECT_TRUE(names_written(rules_only({})).empty());
}

TEST(DecideVerdictHeaders, CustomHeaderNamesAreUsed) {
  auto p = policy_config{};
  p.headers = {"X-MT-", "X-MT-Cat", "X-MT-Score", "X-MT-Why", "X-MT-Verdict", "X-MT-Status", 1};
  auto o = decide(p, phishing(), facts(), {}, "");
  EXPECT_EQ(o.modifications,
            (std::vector<reply>{
                milter::add_header{"X-MT-Cat", "phishing"},
                milter::add_header{"X-MT-Score", "0.973"},
                milter::add_header{"X-MT-Why", "link_text_domain_mismatch +2.10"},
                milter::add_header{"X-MT-Verdict", "category=phishing; score=0.973; model=abc123def456; queue=4BX3Qd1z"},
            }));
}

// ---- the verdict header and its signature ---------------------------------------

TEST(DecideVerdictSignature, UnsignedWithoutKeySignedWithKnownHmacWithKey) {
  EXPECT_EQ(verdict_header_value(phishing(), kQueue, ""),
            "category=phishing; score=0.973; model=abc123def456; queue=4BX3Qd1z");
  EXPECT_EQ(verdict_header_value(phishing(), kQueue, kKey),
            std::string("category=phishing; score=0.973; model=abc123def456; queue=4BX3Qd1z; sig=") + kSig);

  auto o = decide(policy_config{}, phishing(), facts(), {}, kKey);
  EXPECT_EQ(o.modifications.back(),
            (reply{milter::add_header{"X-Triage-Verdict",
                                     std::string("category=phishing; score=0.973; model=abc123def456; "
                                                 "queue=4BX3Qd1z; sig=") +
                                         kSig}}));
}

TEST(DecideVerdictSignature, SignatureIs64LowercaseHexAndVerifies) {
  auto o = decide(policy_config{}, phishing(), facts(), {}, kKey);
  const auto& value = std::get<milter::add_header>(o.modifications.back()).value;
  auto at = value.find("; sig=");
  ASSERT_NE(at, std::string::npos);
  std::string sig = value.substr(at + 6);
  EXPECT_EQ(sig.size(), 64u);
  EXPECT_EQ(sig.find_first_not_of("0123456789abcdef"), std::string::npos) << sig;
  EXPECT_TRUE(verify_verdict_header(value, kKey));
}

TEST(DecideVerdictSignature, VerificationFailsAfterAnyChangeOfASignedFieldOrKey) {
  const std::string good = verdict_header_value(phishing(), kQueue, kKey);
  ASSERT_TRUE(verify_verdict_header(good, kKey));
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  EXPECT_FALSE(verify_verdict_header(replaced("category=phishing", "category=ham"), kKey));
  EXPECT_FALSE(verify_verdict_header(replaced("score=0.973", "score=0.013"), kKey));
  EXPECT_FALSE(verify_verdict_header(replaced("queue=4BX3Qd1z", "queue=4BX3Qd1y"), kKey));
  EXPECT_FALSE(verify_verdict_header(good, "another-key"));
  EXPECT_FALSE(verify_verdict_header(good, ""));
  EXPECT_FALSE(verify_verdict_header(good.substr(0, good.size() - 1), kKey));  // truncated signature
  EXPECT_FALSE(verify_verdict_header(replaced(kSig, std::string(64, '0')), kKey));
  // No signature at all is never valid, whatever the key.
  EXPECT_FALSE(verify_verdict_header(verdict_header_value(phishing(), kQueue, ""), kKey));
  EXPECT_FALSE(verify_verdict_header("", kKey));
}

TEST(DecideVerdictSignature, ModelIdIsOutsideTheSignedData) {
  // Documented in decide.hpp: the signature covers "queue|category|score" only.
  const std::string good = verdict_header_value(phishing(), kQueue, kKey);
  std::string other_model = good;
  other_model.replace(other_model.find("abc123def456"), 12, "000000000000");
  EXPECT_TRUE(verify_verdict_header(other_model, kKey));
}

// ---- header injection ---------------------------------------------------------------

TEST(DecideHeaderSafe, CategoryReasonsAndModelNeverStartANewHeaderLine) {
  auto v = phishing();
  v.category = "spam\r\nBcc: victim@example.org";
  v.reasons = {{"subject:hi\r\nX-Injected: 1", 2.0f}, {"bare\nlf\rcr", 1.0f}};
  v.model_id = "m\n1";
  auto p = policy_config{};
  p.rules = {make_rule("tag", {}, {act(kind::add_header, "[{category}]", "X-Extra"),
                                   act(kind::subject_prefix, "[{category}] "),
                                   act(kind::quarantine, "held: {category}")})};
  auto o = decide(p, v, facts(), {{"Subject", 1, "hello"}}, kKey);
  auto values = header_values(o);
  ASSERT_EQ(values.size(), 6u);
  for (const auto& value : values) EXPECT_FALSE(has_cr_or_lf(value)) << value;
  EXPECT_EQ(o.modifications[0], (reply{milter::add_header{"X-Triage-Category", "spam  Bcc: victim@example.org"}}));
  EXPECT_EQ(o.modifications[2],
            (reply{milter::add_header{"X-Triage-Reasons", "subject:hi  X-Injected: 1 +2.00, bare lf cr +1.00"}}));
  EXPECT_EQ(o.modifications[4], (reply{milter::add_header{"X-Extra", "[spam  Bcc: victim@example.org]"}}));
  EXPECT_EQ(o.modifications[5], (reply{milter::quarantine{"held: spam  Bcc: victim@example.org"}}));
  // Subject prefixes from all rules are applied once, after the rules.
  EXPECT_EQ(o.modifications[6],
            (reply{milter::change_header{1, "Subject", "[spam  Bcc: victim@example.org] hello"}}));
}

// Values are checked eight bytes at a time: every control byte (0x00-0x1f, 0x7f) becomes
// a space at every offset in a word, and every other byte (0x80-0xff too) is kept.
TEST(DecideHeaderSafe, EveryControlByteIsBlankedAtEveryOffsetAndOthersKept) {
  auto category_header = [](const std::string& category) {
    auto v = phishing();
    v.category = category;
    auto p = rules_only({});
    p.headers.category = "X-Triage-Category";
    return std::get<milter::add_header>(decide(p, v, facts(), {}, "").modifications.at(0)).value;
  };
  for (int b = 0; b < 256; ++b)
    for (std::size_t at = 0; at < 19; ++at) {
      std::string in(19, 'a');
      in[10 - at % 8] = '\xe9';  // a high byte in the same word
      in[at] = static_cast<char>(b);
      std::string want = in;
      if (b < 0x20 || b == 0x7f) want[at] = ' ';
      ASSERT_EQ(category_header(in), want) << "byte " << b << " at " << at;
    }
}

TEST(DecideHeaderSafe, RejectTextWithTemplatesIsOneLine) {
  auto v = phishing();
  v.category = "x\r\n250 ok";
  auto o = decide(rules_only({make_rule("r", {}, {act(kind::reject, "550 5.7.1 refused as {category}")})}), v,
                  facts(), {}, "");
  EXPECT_EQ(o.final_reply, (reply{milter::reply_code{"550 5.7.1 refused as x  250 ok"}}));
}

// ---- rules: conditions ----------------------------------------------------------------

TEST(DecideRules, EmptyMatchMatchesEverything) {
  EXPECT_TRUE(rule_matches({}));
  EXPECT_TRUE(rule_matches({}, verdict{}, message_facts{}));
}

TEST(DecideRules, CategoryIsAnyOfTheListedTopCategories) {
  EXPECT_TRUE(rule_matches({.categories = {"phishing"}}));
  EXPECT_TRUE(rule_matches({.categories = {"spam", "phishing"}}));
  EXPECT_FALSE(rule_matches({.categories = {"spam", "ham"}}));
  EXPECT_FALSE(rule_matches({.categories = {"Phishing"}}));  // labels are exact
}

TEST(DecideRules, FlaggedIsAnyListedLabelAboveItsThreshold) {
  auto v = phishing();
  v.flagged = {"phishing", "spam"};
  EXPECT_TRUE(rule_matches({.flagged = {"spam"}}, v));
  EXPECT_TRUE(rule_matches({.flagged = {"bulk", "phishing"}}, v));
  EXPECT_FALSE(rule_matches({.flagged = {"bulk"}}, v));
  v.flagged.clear();
  EXPECT_FALSE(rule_matches({.flagged = {"phishing"}}, v));  // top category alone is not "flagged"
}

TEST(DecideRules, MinAndMaxScoreAreInclusiveBounds) {
  auto v = phishing();
  v.score = 0.9f;
  EXPECT_TRUE(rule_matches({.min_score = 0.9f}, v));
  EXPECT_FALSE(rule_matches({.min_score = 0.91f}, v));
  EXPECT_TRUE(rule_matches({.max_score = 0.9f}, v));
  EXPECT_FALSE(rule_matches({.max_score = 0.89f}, v));
  EXPECT_TRUE(rule_matches({.min_score = 0.5f, .max_score = 0.95f}, v));
  EXPECT_FALSE(rule_matches({.min_score = 0.95f, .max_score = 1.0f}, v));
}

TEST(DecideRules, PiiMatchesAnyOrASpecificKind) {
  auto v = phishing();
  EXPECT_FALSE(rule_matches({.pii = {"any"}}, v));
  v.pii.iban = true;
  EXPECT_TRUE(rule_matches({.pii = {"any"}}, v));
  EXPECT_TRUE(rule_matches({.pii = {"iban"}}, v));
  EXPECT_FALSE(rule_matches({.pii = {"payment_card"}}, v));
  EXPECT_FALSE(rule_matches({.pii = {"us_ssn"}}, v));
  EXPECT_TRUE(rule_matches({.pii = {"payment_card", "iban"}}, v));
  v.pii = {};
  v.pii.payment_card = true;
  EXPECT_TRUE(rule_matches({.pii = {"payment_card"}}, v));
  v.pii = {};
  v.pii.us_ssn = true;
  EXPECT_TRUE(rule_matches({.pii = {"us_ssn"}}, v));
  EXPECT_TRUE(rule_matches({.pii = {"any"}}, v));
}

TEST(DecideRules, SenderDomainMatchesTheDomainAndItsSubDomainsOnly) {
  auto f = facts();
  auto sender = [&](std::string s) {
    f.sender = std::move(s);
    return f;
  };
  match m{.sender_domains = {"example.org"}};
  EXPECT_TRUE(rule_matches(m, phishing(), sender("a@example.org")));
  EXPECT_TRUE(rule_matches(m, phishing(), sender("a@a.b.example.org")));
  EXPECT_TRUE(rule_matches(m, phishing(), sender("a@Mail.EXAMPLE.org")));
  EXPECT_TRUE(rule_matches(m, phishing(), sender("<a@example.org>")));
  EXPECT_FALSE(rule_matches(m, phishing(), sender("a@example.org.evil")));
  EXPECT_FALSE(rule_matches(m, phishing(), sender("a@badexample.org")));
  EXPECT_FALSE(rule_matches(m, phishing(), sender("example.org")));  // no '@': no domain
  EXPECT_FALSE(rule_matches(m, phishing(), sender("")));             // null sender <>
  EXPECT_TRUE(rule_matches({.sender_domains = {"other.net", "EXAMPLE.ORG"}}, phishing(), sender("x@example.org")));
}

TEST(DecideRules, RecipientDomainMatchesWhenAnyRecipientIsInIt) {
  auto f = facts();  // bob@corp.example, carol@other.example
  EXPECT_TRUE(rule_matches({.recipient_domains = {"corp.example"}}, phishing(), f));
  EXPECT_TRUE(rule_matches({.recipient_domains = {"other.example"}}, phishing(), f));
  EXPECT_TRUE(rule_matches({.recipient_domains = {"example"}}, phishing(), f));  // parent of both
  EXPECT_FALSE(rule_matches({.recipient_domains = {"sender.example"}}, phishing(), f));
  f.recipients = {"x@hr.corp.example"};
  EXPECT_TRUE(rule_matches({.recipient_domains = {"corp.example"}}, phishing(), f));
  f.recipients.clear();
  EXPECT_FALSE(rule_matches({.recipient_domains = {"corp.example"}}, phishing(), f));
}

TEST(DecideRules, SizeBoundsAreInclusive) {
  auto f = facts();
  f.size = 2048;
  EXPECT_TRUE(rule_matches({.min_size = 2048}, phishing(), f));
  EXPECT_FALSE(rule_matches({.min_size = 2049}, phishing(), f));
  EXPECT_TRUE(rule_matches({.max_size = 2048}, phishing(), f));
  EXPECT_FALSE(rule_matches({.max_size = 2047}, phishing(), f));
  EXPECT_TRUE(rule_matches({.min_size = 1024, .max_size = 4096}, phishing(), f));
}

TEST(DecideRules, AuthenticatedMatchesBothWaysAndUnsetIgnoresIt) {
  auto f = facts();
  f.authenticated = true;
  EXPECT_TRUE(rule_matches({.authenticated = true}, phishing(), f));
  EXPECT_FALSE(rule_matches({.authenticated = false}, phishing(), f));
  EXPECT_TRUE(rule_matches({}, phishing(), f));
  f.authenticated = false;
  EXPECT_FALSE(rule_matches({.authenticated = true}, phishing(), f));
  EXPECT_TRUE(rule_matches({.authenticated = false}, phishing(), f));
}

TEST(DecideRules, EveryConditionOfARuleMustHold) {
  match m{.categories = {"phishing"}, .min_score = 0.9f, .recipient_domains = {"corp.example"}, .authenticated = false};
  EXPECT_TRUE(rule_matches(m));
  auto v = phishing();
  v.score = 0.5f;
  EXPECT_FALSE(rule_matches(m, v));
  auto f = facts();
  f.authenticated = true;
  EXPECT_FALSE(rule_matches(m, phishing(), f));
}

// ---- rules: evaluation ------------------------------------------------------------------

TEST(DecideRules, RulesAreEvaluatedInOrderAndEveryMatchingRuleApplies) {
  auto o = decide(rules_only({tagging("first", {}), tagging("skipped", {.categories = {"ham"}}), tagging("third", {})}),
                  phishing(), facts(), {}, "");
  EXPECT_EQ(o.applied_rules, (std::vector<std::string>{"first", "third"}));
  EXPECT_EQ(o.modifications,
            (std::vector<reply>{milter::add_header{"X-Rule-first", "1"}, milter::add_header{"X-Rule-third", "1"}}));
  EXPECT_EQ(o.final_reply, (reply{milter::accept{}}));
}

TEST(DecideRules, ShadowRulesAreRecordedButNeverApplied) {
  auto shadow = make_rule("shadow-reject", {.categories = {"phishing"}},
                          {act(kind::add_header, "1", "X-Shadow"), act(kind::reject, "550 5.7.1 no")});
  shadow.shadow = true;
  shadow.stop = true;
  auto shadow_miss = tagging("shadow-miss", {.categories = {"ham"}});
  shadow_miss.shadow = true;
  auto o = decide(rules_only({shadow, shadow_miss, tagging("live", {})}), phishing(), facts(), {}, "");
  EXPECT_EQ(o.shadow_rules, (std::vector<std::string>{"shadow-reject"}));
  EXPECT_EQ(o.applied_rules, (std::vector<std::string>{"live"}));
  // Neither its header, its reject nor its stop took effect.
  EXPECT_EQ(o.modifications, (std::vector<reply>{milter::add_header{"X-Rule-live", "1"}}));
  EXPECT_EQ(o.final_reply, (reply{milter::accept{}}));
}

TEST(DecideRules, StopEndsEvaluationAfterTheRuleIsApplied) {
  auto stopping = tagging("stopping", {.categories = {"phishing"}});
  stopping.stop = true;
  auto not_matching_stop = tagging("ham-stop", {.categories = {"ham"}});
  not_matching_stop.stop = true;
  auto o = decide(rules_only({tagging("before", {}), not_matching_stop, stopping, tagging("after", {})}), phishing(),
                  facts(), {}, "");
  EXPECT_EQ(o.applied_rules, (std::vector<std::string>{"before", "stopping"}));
  EXPECT_EQ(o.modifications, (std::vector<reply>{milter::add_header{"X-Rule-before", "1"},
                                                 milter::add_header{"X-Rule-stopping", "1"}}));
}

TEST(DecideRules, FirstTerminalActionSetsTheFinalReplyAndEndsEvaluation) {
  auto o = decide(rules_only({tagging("tag", {}),
                              make_rule("refuse", {.min_score = 0.9f},
                                        {act(kind::add_header, "yes", "X-Refused"),
                                         act(kind::reject, "550 5.7.1 Phishing refused")}),
                              make_rule("later", {}, {act(kind::tempfail, "451 4.7.1 later"),
                                                      act(kind::add_header, "1", "X-Later")})}),
                  phishing(), facts(), {}, "");
  EXPECT_EQ(o.final_reply, (reply{milter::reply_code{"550 5.7.1 Phishing refused"}}));
  EXPECT_EQ(o.applied_rules, (std::vector<std::string>{"tag", "refuse"}));
  EXPECT_EQ(o.modifications,
            (std::vector<reply>{milter::add_header{"X-Rule-tag", "1"}, milter::add_header{"X-Refused", "yes"}}));
}

TEST(DecideRules, WithinARuleTheFirstTerminalActionWins) {
  auto o = decide(rules_only({make_rule("r", {}, {act(kind::reject, "550 5.7.1 first"), act(kind::tempfail, "451 4.7.1 second"),
                                                  act(kind::discard)})}),
                  phishing(), facts(), {}, "");
  EXPECT_EQ(o.final_reply, (reply{milter::reply_code{"550 5.7.1 first"}}));
}

TEST(DecideRules, EachTerminalActionGivesItsReply) {
  auto final_of = [](action a) {
    auto o = decide(rules_only({make_rule("r", {}, {a}), tagging("never", {})}), phishing(), facts(), {}, "");
    EXPECT_EQ(o.applied_rules, std::vector<std::string>{"r"});
    EXPECT_TRUE(o.modifications.empty());
    return o.final_reply;
  };
  EXPECT_EQ(final_of(act(kind::reject, "550 5.7.1 Message refused")),
            (reply{milter::reply_code{"550 5.7.1 Message refused"}}));
  EXPECT_EQ(final_of(act(kind::tempfail, "451 4.7.1 Try again later")),
            (reply{milter::reply_code{"451 4.7.1 Try again later"}}));
  EXPECT_EQ(final_of(act(kind::discard)), (reply{milter::discard{}}));
  EXPECT_EQ(final_of(act(kind::accept)), (reply{milter::accept{}}));
}

TEST(DecideRules, TemplatesAreExpandedInHeadersQuarantineAndReplies) {
  auto o = decide(rules_only({make_rule("hold-phish", {},
                                        {act(kind::add_header, "{rule} {category} {score} {queue_id} {unknown} {",
                                             "X-Why"),
                                         act(kind::quarantine, "held by {rule}: {category} {score} ({queue_id})"),
                                         act(kind::tempfail, "451 4.7.1 {queue_id} deferred ({category})")})}),
                  phishing(), facts(), {}, "");
  EXPECT_EQ(o.modifications,
            (std::vector<reply>{
                milter::add_header{"X-Why", "hold-phish phishing 0.973 4BX3Qd1z {unknown} {"},
                milter::quarantine{"held by hold-phish: phishing 0.973 (4BX3Qd1z)"},
            }));
  EXPECT_EQ(o.final_reply, (reply{milter::reply_code{"451 4.7.1 4BX3Qd1z deferred (phishing)"}}));
}

// ---- subject, recipients ------------------------------------------------------------------

TEST(DecideSubjectPrefix, ChangesTheInboundSubjectKeepingItsNameAndIndex) {
  auto p = rules_only({make_rule("tag", {}, {act(kind::subject_prefix, "[SPAM] ")})});
  auto o = decide(p, phishing(), facts(), {{"Received", 1, ""}, {"SUBJECT", 1, "Your invoice"}}, "");
  EXPECT_EQ(o.modifications, (std::vector<reply>{milter::change_header{1, "SUBJECT", "[SPAM] Your invoice"}}));

  o = decide(p, phishing(), facts(), {{"Subject", 2, "second"}}, "");
  EXPECT_EQ(o.modifications, (std::vector<reply>{milter::change_header{2, "Subject", "[SPAM] second"}}));
}

TEST(DecideSubjectPrefix, IsNotAddedTwice) {
  auto p = rules_only({make_rule("tag", {}, {act(kind::subject_prefix, "[{category}] ")})});
  auto o = decide(p, phishing(), facts(), {{"Subject", 1, "[phishing] Your invoice"}}, "");
  EXPECT_TRUE(o.modifications.empty());
  EXPECT_EQ(o.applied_rules, std::vector<std::string>{"tag"});
  // A different category is a different prefix.
  o = decide(p, phishing(), facts(), {{"Subject", 1, "[spam] Your invoice"}}, "");
  EXPECT_EQ(o.modifications, (std::vector<reply>{milter::change_header{1, "Subject", "[phishing] [spam] Your invoice"}}));
}

TEST(DecideSubjectPrefix, AddsASubjectWhenTheMessageHasNone) {
  auto p = rules_only({make_rule("tag", {}, {act(kind::subject_prefix, "[SPAM] ")})});
  auto o = decide(p, phishing(), facts(), {{"From", 1, ""}}, "");
  EXPECT_EQ(o.modifications, (std::vector<reply>{milter::add_header{"Subject", "[SPAM] "}}));
}

TEST(DecideSubjectPrefix, TwoMatchingRulesStackTheirPrefixesInRuleOrder) {
  auto p = rules_only({make_rule("pii", {}, {act(kind::subject_prefix, "[PII] ")}),
                       make_rule("spam", {}, {act(kind::subject_prefix, "[SPAM] ")})});
  auto with_subject = decide(p, phishing(), facts(), {{"Subject", 1, "hello"}}, "");
  auto without_subject = decide(p, phishing(), facts(), {}, "");
  // One edit of the Subject, carrying both prefixes in the order the rules matched.
  EXPECT_EQ(with_subject.modifications, (std::vector<reply>{milter::change_header{1, "Subject", "[PII] [SPAM] hello"}}));
  EXPECT_EQ(without_subject.modifications, (std::vector<reply>{milter::add_header{"Subject", "[PII] [SPAM] "}}));
}

TEST(DecideRecipients, AddRecipientUsesAngleBrackets) {
  auto o = decide(rules_only({make_rule("copy", {}, {act(kind::add_recipient, "review@corp.example")})}), phishing(),
                  facts(), {}, "");
  EXPECT_EQ(o.modifications, (std::vector<reply>{milter::add_recipient{"<review@corp.example>", std::nullopt}}));
}

TEST(DecideRecipients, RemoveRecipientsDeletesEveryEnvelopeRecipient) {
  auto o = decide(rules_only({make_rule("reroute", {}, {act(kind::remove_recipients),
                                                        act(kind::add_recipient, "quarantine@corp.example")})}),
                  phishing(), facts(), {}, "");
  EXPECT_EQ(o.modifications, (std::vector<reply>{milter::delete_recipient{"<bob@corp.example>"},
                                                 milter::delete_recipient{"<carol@other.example>"},
                                                 milter::add_recipient{"<quarantine@corp.example>", std::nullopt}}));
  auto f = facts();
  f.recipients.clear();
  EXPECT_TRUE(decide(rules_only({make_rule("r", {}, {act(kind::remove_recipients)})}), phishing(), f, {}, "")
                  .modifications.empty());
}

// ---- domain_matches, purity ----------------------------------------------------------------

TEST(DomainMatches, EqualOrSubDomainCaseInsensitive) {
  EXPECT_TRUE(domain_matches("example.org", "example.org"));
  EXPECT_TRUE(domain_matches("a.b.example.org", "example.org"));
  EXPECT_TRUE(domain_matches("Mail.Example.ORG", "example.org"));
  EXPECT_TRUE(domain_matches("mail.example.org", "EXAMPLE.Org"));
  EXPECT_FALSE(domain_matches("example.org.evil", "example.org"));
  EXPECT_FALSE(domain_matches("badexample.org", "example.org"));
  EXPECT_FALSE(domain_matches("example.org", "mail.example.org"));  // a parent is not a sub-domain
  EXPECT_FALSE(domain_matches("org", "example.org"));
  EXPECT_FALSE(domain_matches("", "example.org"));
  EXPECT_FALSE(domain_matches("example.org", ""));
  EXPECT_FALSE(domain_matches("", ""));
}

TEST(Decide, IsDeterministic) {
  auto p = policy_config{};
  p.rules = {make_rule("r", {}, {act(kind::subject_prefix, "[x] "), act(kind::quarantine, "q {score}")})};
  std::vector<inbound_header> inbound = {{"X-Triage-A", 1, ""}, {"X-Triage-B", 1, ""}, {"X-Triage-A", 2, ""},
                                         {"Subject", 1, "s"}};
  auto a = decide(p, phishing(), facts(), inbound, kKey);
  auto b = decide(p, phishing(), facts(), inbound, kKey);
  EXPECT_EQ(a.modifications, b.modifications);
  EXPECT_EQ(a.final_reply, b.final_reply);
  EXPECT_EQ(a.applied_rules, b.applied_rules);
}

}  // namespace
}  // namespace mailtriage::policy
