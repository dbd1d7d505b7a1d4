// Schema: fingerprint, column naming, determinism, normalisation rules.
#include <gtest/gtest.h>

#include <set>

#include "date_parse.hpp"
#include "domains.hpp"
#include "fixture.hpp"
#include "vector_builder.hpp"

namespace mailtriage::features::test {
namespace {

std::vector<std::string_view> names() {
  std::vector<std::string_view> out;
  for (const auto& d : dense_features()) out.push_back(d.name);
  return out;
}

TEST(schema, fingerprint_is_stable_and_sensitive) {
  const std::string fp = schema_fingerprint();
  EXPECT_EQ(fp.size(), 64u);
  EXPECT_EQ(fp, schema_fingerprint_of(schema_version, names(), hash_function_id, hash_buckets));
  auto renamed = names();
  renamed[3] = "env_client_loopback_renamed";
  EXPECT_NE(fp, schema_fingerprint_of(schema_version, renamed, hash_function_id, hash_buckets));
  auto reordered = names();
  std::swap(reordered[0], reordered[1]);
  EXPECT_NE(fp, schema_fingerprint_of(schema_version, reordered, hash_function_id, hash_buckets));
  EXPECT_NE(fp, schema_fingerprint_of(schema_version + 1, names(), hash_function_id, hash_buckets));
  EXPECT_NE(fp, schema_fingerprint_of(schema_version, names(), hash_function_id, hash_buckets / 2));
}

TEST(schema, dense_table_is_consistent) {
  const auto& t = dense_features();
  ASSERT_EQ(t.size(), dense_count);
  std::set<std::string_view> seen;
  for (const auto& d : t) {
    EXPECT_TRUE(seen.insert(d.name).second) << d.name;
    EXPECT_FALSE(d.description.empty());
    EXPECT_FALSE(d.group.empty());
  }
  EXPECT_EQ(describe_column(column(dense::ct_urls)), "ct_urls");
  EXPECT_EQ(describe_column(dense_count + 5), "hash[5]");
  EXPECT_TRUE(schema_markdown().find("| 0 | `env_client_none` | envelope |") != std::string::npos);
}

TEST(schema, fnv1a64_reference_values) {
  // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c; our key is "ns:token".
  detail::fnv1a64 f;
  f.update("a");
  EXPECT_EQ(f.h, 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(token_hash("subj", "x"), [] {
    detail::fnv1a64 g;
    g.update("subj:x");
    return g.h;
  }());
  EXPECT_GE(token_column("body", "hello"), dense_count);
  EXPECT_LT(token_column("body", "hello"), column_count);
}

TEST(extract, deterministic_and_sorted) {
  for (const char* f : {"phishing_link.eml", "pii.eml", "newsletter.eml", "personal_reply.eml"}) {
    const std::string raw = load_fixture(f);
    auto a = extract(mime::parse(raw), {});
    auto b = extract(mime::parse(raw), {});
    token_names names;
    auto c = extract_with_pii(mime::parse(raw), {}, &names).vector;
    EXPECT_EQ(a, b) << f;
    EXPECT_EQ(a, c) << f << ": asking for names must not change the vector";
    ASSERT_EQ(a.indices.size(), a.values.size());
    for (std::size_t i = 1; i < a.indices.size(); ++i) EXPECT_LT(a.indices[i - 1], a.indices[i]);
    EXPECT_LT(a.indices.back(), column_count);
  }
}

TEST(extract, tokens_are_normalised) {
  auto v = extract_text(
               "From: x@y.example\nTo: zzzz@spamassassin.taint.org\nSubject: Meeting 2002-10-01 at 10:30\n\n"
               "Mail phishing@pot or jm@netnoteinc.com, see http://www.taint.org/x and taint.org.\n"
               "Order 123456 id 9f86d081884c7d659a2feaa0c55ad015 code A1B2 in 2002.\n")
               .vector;
  EXPECT_TRUE(has_token(v, "body", "<email>"));
  EXPECT_TRUE(has_token(v, "body", "<url>"));
  EXPECT_TRUE(has_token(v, "body", "<host>"));
  EXPECT_TRUE(has_token(v, "body", "<num5+>"));
  EXPECT_TRUE(has_token(v, "body", "<num4>"));
  EXPECT_TRUE(has_token(v, "body", "<id>"));
  EXPECT_TRUE(has_token(v, "subj", "<num4>"));
  for (std::string_view bad : {"2002", "phishing", "pot", "phishing@pot", "taint.org", "taint", "netnoteinc", "zzzz",
                               "netnoteinc.com", "9f86d081884c7d659a2feaa0c55ad015"}) {
    EXPECT_FALSE(has_token(v, "body", bad)) << bad;
    EXPECT_FALSE(has_token(v, "subj", bad)) << bad;
  }
  EXPECT_TRUE(has_token(v, "url_host", "www.taint.org"));  // real link hosts go to their own namespace
}

TEST(extract, filter_and_trace_headers_are_ignored) {
  const std::string base = "From: a@b.example\nSubject: hello there\nDate: Mon, 3 Mar 2025 10:00:00 +0000\n";
  const std::string body = "\nhello world\n";
  auto plain = extract_text(base + body).vector;
  auto noisy = extract_text(base +
                            "X-MS-Exchange-Organization-SCL: 9\nX-Forefront-Antispam-Report: SFV:SPM\n"
                            "ARC-Seal: i=1; a=rsa-sha256\nX-Spam-Status: Yes, score=20\nX-Virus-Scanned: clamav\n"
                            "X-Microsoft-Antispam: BCL:0\n" +
                            body)
                   .vector;
  // Nothing may differ: the header count and body size ignore those fields.
  EXPECT_EQ(plain, noisy);
}

TEST(extract, date_year_does_not_change_features) {
  auto a = extract_text("From: a@b.example\nReceived: from x by y; Mon, 3 Mar 2025 10:00:00 +0000\n"
                        "Date: Mon, 3 Mar 2025 09:59:00 +0000\n\nhi\n").vector;
  auto b = extract_text("From: a@b.example\nReceived: from x by y; Sun, 3 Mar 2002 10:00:00 +0000\n"
                        "Date: Sun, 3 Mar 2002 09:59:00 +0000\n\nhi\n").vector;
  EXPECT_EQ(a, b);
}

TEST(helpers, registrable_domain) {
  EXPECT_EQ(detail::registrable_domain("a.b.example.com"), "example.com");
  EXPECT_EQ(detail::registrable_domain("shop.example.co.uk"), "example.co.uk");
  EXPECT_EQ(detail::registrable_domain("Example.COM."), "example.com");
  EXPECT_EQ(detail::registrable_domain("www.bank.com.au"), "bank.com.au");
  EXPECT_EQ(detail::registrable_domain("198.51.100.7"), "198.51.100.7");
  EXPECT_EQ(detail::registrable_domain(""), "");
}

TEST(helpers, dates) {
  auto a = detail::parse_rfc5322_date("Tue, 1 Oct 2002 10:00:00 +0100");
  auto b = detail::parse_rfc5322_date("1 Oct 2002 09:00:00 GMT");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*detail::parse_rfc5322_date("Thu, 1 Jan 1970 00:00:00 +0000"), 0);
  EXPECT_TRUE(detail::parse_rfc5322_date("Wed, 02 Oct 02 08:00:00 EST").has_value());
  EXPECT_FALSE(detail::parse_rfc5322_date("yesterday").has_value());
  EXPECT_FALSE(detail::parse_rfc5322_date("").has_value());
}

TEST(helpers, mailboxes) {
  auto m = detail::parse_mailboxes("\"Doe, John\" <john@example.com>, jane@example.org (Jane), undisclosed-recipients:;");
  ASSERT_GE(m.size(), 2u);
  EXPECT_EQ(m[0].display, "Doe, John");
  EXPECT_EQ(m[0].address, "john@example.com");
  EXPECT_EQ(m[1].address, "jane@example.org");
}

}  // namespace
}  // namespace mailtriage::features::test
