#include <gtest/gtest.h>

#include <string>

#include "fixture.hpp"

namespace mailtriage::mime::test {
namespace {

TEST(MimeHtml, PhishingMessage) {
  message m = parse_fixture("phishing_html.eml");
  ASSERT_EQ(m.parts.size(), 1u);
  EXPECT_EQ(m.parts[0].kind, part_kind::html);
  ASSERT_EQ(m.links.size(), 2u);
  EXPECT_EQ(m.links[0].href, "http://login.evil.example.net/paypal/");
  EXPECT_EQ(m.links[0].text, "https://www.paypal.com/signin");
  EXPECT_EQ(m.links[1].href, "https://example.com/help");
  EXPECT_EQ(m.links[1].text, "Help Centre");  // from the image's alt text
  EXPECT_EQ(m.html.forms, 1u);
  EXPECT_EQ(m.html.inputs, 3u);
  EXPECT_EQ(m.html.password_inputs, 1u);
  EXPECT_EQ(m.html.scripts, 1u);
  EXPECT_EQ(m.html.images, 1u);
  EXPECT_EQ(m.html.iframes, 1u);
  EXPECT_EQ(m.html.hidden_elements, 2u);
  EXPECT_EQ(m.html.tiny_text_elements, 1u);
  EXPECT_EQ(m.html.links, 2u);
  EXPECT_EQ(m.html.html_parts, 1u);
  const std::string text = m.html_text();
  EXPECT_TRUE(contains(text, "Dear customer, your account is suspended."));
  EXPECT_TRUE(contains(text, "Caf\xC3\xA9 & more"));  // entities decoded
  EXPECT_FALSE(contains(text, "hidden secret words"));
  EXPECT_FALSE(contains(text, "invisible"));
  EXPECT_FALSE(contains(text, "not text"));  // script
  EXPECT_TRUE(m.urls.empty());               // HTML links are kept apart from text URLs
}

TEST(MimeHtml, DeepNestingDoesNotExhaustTheStack) {
  std::string html = "Content-Type: text/html\n\n";
  for (int i = 0; i < 100000; ++i) html += "<div>";
  html += "deep";
  message m = parse(html);
  EXPECT_TRUE(contains(m.html_text(), "deep"));
}

TEST(MimeHtml, HtmlLimitTruncatesInput) {
  limits lim;
  lim.max_html_bytes = 64;
  std::string raw = "Content-Type: text/html\n\n<p>start</p>" + std::string(1000, 'x') + "<p>end</p>\n";
  message m = parse(raw, lim);
  EXPECT_TRUE(m.defects.has(defect::html_limit));
  EXPECT_TRUE(contains(m.html_text(), "start"));
  EXPECT_FALSE(contains(m.html_text(), "end"));
}

TEST(MimeHtml, LinkLimit) {
  limits lim;
  lim.max_links = 3;
  std::string raw = "Content-Type: text/html\n\n";
  for (int i = 0; i < 10; ++i) raw += "<a href=\"http://x" + std::to_string(i) + ".example/\">l</a>";
  message m = parse(raw, lim);
  EXPECT_EQ(m.links.size(), 3u);
  EXPECT_EQ(m.html.links, 10u);
  EXPECT_TRUE(m.defects.has(defect::url_limit));
}

}  // namespace
}  // namespace mailtriage::mime::test
