// Targeted assertions on named features of hand-written fixtures.
#include <gtest/gtest.h>

#include <cmath>

#include "fixture.hpp"
#include "mailtriage/features/freemail.hpp"

namespace mailtriage::features::test {
namespace {

TEST(named_features, phishing_link_text_shows_another_domain) {
  token_names names;
  auto e = extract_fixture("phishing_link.eml", {}, &names);
  const auto& v = e.vector;
  EXPECT_GE(value(v, dense::ct_link_text_mismatch), 1.0f);
  EXPECT_GE(value(v, dense::ct_url_ip_literal), 1.0f);
  EXPECT_EQ(value(v, dense::ct_url_shortener), 1.0f);
  EXPECT_EQ(value(v, dense::ct_url_punycode), 1.0f);
  EXPECT_EQ(value(v, dense::ct_password_inputs), 1.0f);
  EXPECT_EQ(value(v, dense::ct_forms), 1.0f);
  EXPECT_GE(value(v, dense::ct_hidden_elements), 1.0f);
  EXPECT_GE(value(v, dense::ct_link_click_here), 1.0f);
  EXPECT_EQ(value(v, dense::st_html_only), 1.0f);
  EXPECT_EQ(value(v, dense::hdr_reply_to_mismatch), 1.0f);
  EXPECT_EQ(value(v, dense::hdr_display_has_address), 1.0f);
  EXPECT_EQ(value(v, dense::hdr_display_addr_mismatch), 1.0f);
  EXPECT_EQ(value(v, dense::hdr_msgid_domain_mismatch), 1.0f);
  EXPECT_EQ(value(v, dense::hdr_msgid_random_local), 1.0f);
  EXPECT_EQ(value(v, dense::hdr_subject_encoded_word), 1.0f);
  EXPECT_EQ(value(v, dense::hdr_subject_exclamations), 3.0f);
  EXPECT_EQ(value(v, dense::hdr_date_after_received), 1.0f);
  EXPECT_EQ(value(v, dense::mailer_script), 1.0f);
  EXPECT_EQ(value(v, dense::mailer_none), 0.0f);
  EXPECT_TRUE(has_token(v, "link_dom", "paypal.com"));
  EXPECT_TRUE(has_token(v, "url_host", "<ip>"));
  EXPECT_TRUE(has_token(v, "subj", "verify"));
  EXPECT_TRUE(has_token(v, "subj", "verify your"));
  EXPECT_TRUE(has_token(v, "body", "<email>"));  // security@paypal.com in the text
  EXPECT_EQ(describe_column(token_column("subj", "verify your"), &names).find("subj:\"verify your\"") != std::string::npos,
            true);
}

TEST(named_features, newsletter_bulk_signals) {
  auto v = extract_fixture("newsletter.eml").vector;
  EXPECT_EQ(value(v, dense::hdr_list_unsubscribe), 1.0f);
  EXPECT_EQ(value(v, dense::hdr_list_id), 1.0f);
  EXPECT_EQ(value(v, dense::hdr_precedence_bulk), 1.0f);
  EXPECT_EQ(value(v, dense::mailer_bulk), 1.0f);
  EXPECT_EQ(value(v, dense::st_alternative), 1.0f);
  EXPECT_EQ(value(v, dense::st_html_only), 0.0f);
  EXPECT_EQ(value(v, dense::ct_link_text_mismatch), 0.0f);
  EXPECT_EQ(value(v, dense::hdr_msgid_domain_mismatch), 0.0f);  // co.uk is a public suffix
  EXPECT_TRUE(has_token(v, "url_dom", "example.co.uk"));
  EXPECT_TRUE(has_token(v, "url_host", "shop.example.co.uk"));
  EXPECT_LT(value(v, dense::hdr_date_skew_log), 0.2f);  // 5 s: log2(1 + 5/60)
}

TEST(named_features, personal_reply_is_quiet) {
  auto v = extract_fixture("personal_reply.eml").vector;
  EXPECT_EQ(value(v, dense::hdr_subject_reply), 1.0f);
  EXPECT_EQ(value(v, dense::hdr_in_reply_to), 1.0f);
  EXPECT_EQ(value(v, dense::mailer_unix), 1.0f);
  EXPECT_EQ(value(v, dense::ct_urls), 0.0f);
  EXPECT_EQ(value(v, dense::st_html_parts), 0.0f);
  EXPECT_EQ(value(v, dense::hdr_reply_to_mismatch), 0.0f);
  EXPECT_EQ(value(v, dense::hdr_msgid_random_local), 0.0f);
  EXPECT_EQ(value(v, dense::pii_payment_cards), 0.0f);
  EXPECT_EQ(value(v, dense::auth_results_present), 0.0f);
  EXPECT_EQ(value(v, dense::auth_spf_none), 1.0f);
}

TEST(named_features, envelope_missing_when_unknown) {
  auto v = extract_fixture("personal_reply.eml").vector;
  for (dense d : {dense::env_client_none, dense::env_tls, dense::env_recipient_count, dense::env_authenticated})
    EXPECT_FALSE(v.get(column(d)).has_value());
}

TEST(named_features, envelope_facts_when_known) {
  envelope_facts env;
  env.known = true;
  env.client_address = "10.1.2.3";
  env.client_name = "mail.example.org";
  env.helo = "[10.1.2.3]";
  env.tls = true;
  env.authenticated = true;
  env.sender = "bounce@other.example";
  env.recipient_count = 3;
  auto v = extract_fixture("personal_reply.eml", env).vector;
  EXPECT_EQ(value(v, dense::env_client_private), 1.0f);
  EXPECT_EQ(value(v, dense::env_client_ipv4), 0.0f);
  EXPECT_EQ(value(v, dense::env_helo_ip_literal), 1.0f);
  EXPECT_EQ(value(v, dense::env_tls), 1.0f);
  EXPECT_EQ(value(v, dense::env_authenticated), 1.0f);
  EXPECT_EQ(value(v, dense::env_recipient_count), 3.0f);
  EXPECT_EQ(value(v, dense::env_sender_from_mismatch), 1.0f);
  env.client_address = "2001:db8::25";
  env.helo = "localhost";
  v = extract_fixture("personal_reply.eml", env).vector;
  EXPECT_EQ(value(v, dense::env_client_ipv6), 1.0f);
  EXPECT_EQ(value(v, dense::env_helo_no_dot), 1.0f);
}

TEST(named_features, authentication_results_parsed) {
  auto v = extract_text(
               "From: a@b.example\nAuthentication-Results: mx.example; spf=pass smtp.mailfrom=b.example;"
               " dkim=fail header.d=b.example; dmarc=none\nSubject: x\n\nhello\n")
               .vector;
  EXPECT_EQ(value(v, dense::auth_results_present), 1.0f);
  EXPECT_EQ(value(v, dense::auth_spf_pass), 1.0f);
  EXPECT_EQ(value(v, dense::auth_dkim_fail), 1.0f);
  EXPECT_EQ(value(v, dense::auth_dmarc_none), 1.0f);
}

TEST(named_features, attachments_kinds) {
  std::string raw =
      "From: a@b.example\nSubject: invoice\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=x\n\n"
      "--x\nContent-Type: text/plain\n\nsee attached\n"
      "--x\nContent-Type: application/octet-stream; name=\"invoice.pdf.exe\"\n"
      "Content-Disposition: attachment; filename=\"invoice.pdf.exe\"\nContent-Transfer-Encoding: base64\n\n"
      "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAA==\n"
      "--x\nContent-Type: application/vnd.ms-excel.sheet.macroEnabled.12; name=\"q.xlsm\"\n"
      "Content-Disposition: attachment; filename=\"q.xlsm\"\n\nPK\n"
      "--x--\n";
  auto v = extract_text(raw).vector;
  EXPECT_EQ(value(v, dense::st_attachments), 2.0f);
  EXPECT_GE(value(v, dense::st_att_executable), 1.0f);
  EXPECT_EQ(value(v, dense::st_att_double_ext), 1.0f);
  EXPECT_EQ(value(v, dense::st_att_macro_office), 1.0f);
  EXPECT_TRUE(has_token(v, "att_ext", "exe"));
  EXPECT_TRUE(has_token(v, "att_ext", "xlsm"));
}

TEST(named_features, newsletter_points_to_and_names_its_sender) {
  auto v = extract_fixture("newsletter.eml").vector;
  EXPECT_EQ(value(v, dense::al_url_from_domain_share), 1.0f);  // every link is on example.co.uk
  EXPECT_EQ(value(v, dense::al_url_sender_domain_share), 1.0f);
  EXPECT_EQ(value(v, dense::al_from_domain_in_text), 1.0f);    // "shop.example.co.uk" in the text
  EXPECT_EQ(value(v, dense::al_recipient_in_text), 0.0f);
  EXPECT_EQ(value(v, dense::al_from_freemail), 0.0f);
  // The sender's domains are tokens (registrable part); the recipient's never are.
  EXPECT_TRUE(has_token(v, "from_dom", "example.co.uk"));
  EXPECT_TRUE(has_token(v, "msgid_dom", "example.co.uk"));
  EXPECT_FALSE(has_token(v, "from_dom", "news.shop.example.co.uk"));
  EXPECT_FALSE(has_token(v, "from_dom", "example.org"));  // To: subscriber@example.org
}

TEST(named_features, alignment_of_links_with_the_sender_domains) {
  const std::string head =
      "From: Shop <news@shop.example>\nReturn-Path: <bounce-77@esp.example>\n"
      "Message-ID: <1.2@mailer.esp.example>\nTo: Ann <ann.lee@example.org>\nSubject: x\n"
      "MIME-Version: 1.0\nContent-Type: text/html\n\n";
  auto v = extract_text(head + "<a href=\"https://click.esp.example/a\">a</a> <a href=\"https://www.shop.example/\">b</a>"
                               " <a href=\"http://elsewhere.example/\">c</a>\n")
               .vector;
  EXPECT_NEAR(value(v, dense::al_url_from_domain_share), 1.0f / 3.0f, 1e-6);
  EXPECT_NEAR(value(v, dense::al_url_sender_domain_share), 2.0f / 3.0f, 1e-6);  // esp.example via Return-Path
  EXPECT_EQ(value(v, dense::al_from_domain_in_text), 0.0f);  // hrefs are not visible text
  // Without links both shares are missing (not applicable), not zero.
  v = extract_text(head + "<p>Visit SHOP.EXAMPLE today</p>\n").vector;
  EXPECT_TRUE(std::isnan(value(v, dense::al_url_from_domain_share)));
  EXPECT_TRUE(std::isnan(value(v, dense::al_url_sender_domain_share)));
  EXPECT_EQ(value(v, dense::al_from_domain_in_text), 1.0f);  // any case, whole name
  v = extract_text(head + "<p>Visit myshop.example or shop.example-deals.test</p>\n").vector;
  EXPECT_EQ(value(v, dense::al_from_domain_in_text), 0.0f);  // only inside longer names
}

TEST(named_features, recipient_in_text_is_a_whole_address) {
  const std::string head = "From: a@b.example\nTo: Ann <Ann.Lee@Example.org>, bob@example.org\nSubject: x\n\n";
  EXPECT_EQ(value(extract_text(head + "This message was sent to ann.lee@example.org.\n").vector,
                  dense::al_recipient_in_text),
            1.0f);
  EXPECT_EQ(value(extract_text(head + "Sent to <BOB@EXAMPLE.ORG>\n").vector, dense::al_recipient_in_text), 1.0f);
  EXPECT_EQ(value(extract_text(head + "Write to joann.lee@example.org or x.bob@example.org.\n").vector,
                  dense::al_recipient_in_text),
            0.0f);
  // No recipient address: not applicable.
  EXPECT_TRUE(std::isnan(value(extract_text("From: a@b.example\nSubject: x\n\nhello\n").vector,
                               dense::al_recipient_in_text)));
}

TEST(named_features, freemail_sender) {
  EXPECT_EQ(value(extract_text("From: x@mail.yahoo.co.uk\nSubject: x\n\nhi\n").vector, dense::al_from_freemail), 1.0f);
  EXPECT_EQ(value(extract_text("From: x@GMAIL.com\nSubject: x\n\nhi\n").vector, dense::al_from_freemail), 1.0f);
  EXPECT_EQ(value(extract_text("From: x@gmail.com.evil.example\nSubject: x\n\nhi\n").vector, dense::al_from_freemail),
            0.0f);
  EXPECT_TRUE(is_freemail("outlook.com"));
  EXPECT_FALSE(is_freemail("example.com"));
}

TEST(named_features, defect_columns_follow_mime_names) {
  const auto& table = dense_features();
  for (int i = 0; i < mime::defect_count; ++i) {
    auto d = static_cast<mime::defect>(i);
    EXPECT_EQ(table[column(dense::def_missing_boundary) + static_cast<unsigned>(i)].name,
              "def_" + std::string(mime::to_string(d)));
  }
}

}  // namespace
}  // namespace mailtriage::features::test
