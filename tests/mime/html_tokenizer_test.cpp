// The HTML tokenizer and the tree builder behind extract_html (private headers): what a
// reader would see, which links and counts come out, and hostile input staying bounded.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "html.hpp"
#include "html_tokenizer.hpp"

namespace mailtriage::mime::detail {
namespace {

std::string text_of(std::string_view html) { return extract_html(html, 100).text; }

std::string decoded(std::string_view s, bool in_attribute = false) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] == '&') {
      i = decode_character_reference(s, i, in_attribute, out);
    } else {
      out.push_back(s[i++]);
    }
  }
  return out;
}

// "<a>", "</a>", "text" ... for compact comparisons.
std::vector<std::string> tokens(std::string_view html) {
  std::vector<std::string> out;
  html_tokenizer t(html);
  for (;;) {
    const html_token& tok = t.next();
    switch (tok.kind) {
      case html_token_kind::end_of_input: return out;
      case html_token_kind::text: out.emplace_back(tok.text); break;
      case html_token_kind::end_tag: out.push_back("</" + std::string(tok.name) + ">"); break;
      case html_token_kind::start_tag: {
        std::string s = "<" + std::string(tok.name);
        for (const auto& a : tok.attributes) s += " " + std::string(a.name) + "=" + std::string(a.value);
        out.push_back(s + (tok.self_closing ? "/>" : ">"));
        break;
      }
    }
  }
}

using list = std::vector<std::string>;

TEST(HtmlTokenizer, TagsAndAttributes) {
  EXPECT_EQ(tokens("<A HREF='x' Checked data-x=\"a b\" u=v/w>t</A >"),
            (list{"<a href=x checked= data-x=a b u=v/w>", "t", "</a>"}));
  EXPECT_EQ(tokens("<br/><img src=x />"), (list{"<br/>", "<img src=x/>"}));
  EXPECT_EQ(tokens("<p\n\tclass = \"c\"\n>"), (list{"<p class=c>"}));
  // A '<' that starts no tag is text; "</>" and "</ junk>" are dropped.
  EXPECT_EQ(tokens("a < b <> c</>d</ 3>e"), (list{"a < b <> c", "d", "e"}));
  // A tag the input ends inside is dropped, like a browser does.
  EXPECT_EQ(tokens("x<a href=\"unterminated"), (list{"x"}));
  EXPECT_EQ(tokens("x<div"), (list{"x"}));
}

TEST(HtmlTokenizer, AttributeFilterKeepsOnlyWantedAttributes) {
  auto wanted = [](std::string_view name) { return name == "href"; };
  html_tokenizer t("<A Class='c' HREF='u&amp;v' title=t>", wanted);
  const html_token& tok = t.next();
  ASSERT_EQ(tok.kind, html_token_kind::start_tag);
  ASSERT_EQ(tok.attributes.size(), 1u);
  EXPECT_EQ(tok.attributes[0].name, "href");
  EXPECT_EQ(tok.attributes[0].value, "u&v");
  // Filtered attributes still count towards max_attributes: the filter changes nothing
  // about which attributes are kept.
  std::string many = "<a";
  for (std::size_t i = 0; i < html_tokenizer::max_attributes; ++i) many += " x";
  many += " href=late>";
  html_tokenizer capped(many, wanted);
  EXPECT_TRUE(capped.next().attributes.empty());
}

TEST(HtmlTokenizer, CommentsAndBogusMarkup) {
  EXPECT_EQ(tokens("a<!-- <b>not a tag</b> -->b"), (list{"a", "b"}));
  EXPECT_EQ(tokens("a<!-->b<!--->c<!-- x --!>d"), (list{"a", "b", "c", "d"}));
  EXPECT_EQ(tokens("a<!-- never closed <p>text"), (list{"a"}));
  EXPECT_EQ(tokens("<!DOCTYPE html><?xml version=\"1.0\"?>a<![CDATA[x]]>b<![if !mso]>c</!--x-->d"),
            (list{"a", "b", "c", "d"}));
}

TEST(HtmlTokenizer, RawTextEndsOnlyAtItsOwnEndTag) {
  EXPECT_EQ(tokens("<script>if (a<b) w(\"</div><p>\")</script>x"),
            (list{"<script>", "if (a<b) w(\"</div><p>\")", "</script>", "x"}));
  EXPECT_EQ(tokens("<STYLE>p{}</styles></StYlE >x"), (list{"<style>", "p{}</styles>", "</style>", "x"}));
  // Escapable raw text decodes references; plain raw text does not.
  EXPECT_EQ(tokens("<title>a &amp; <b></title><xmp>&amp;</xmp>"),
            (list{"<title>", "a & <b>", "</title>", "<xmp>", "&amp;", "</xmp>"}));
  EXPECT_EQ(tokens("<script>never closed <p>x"), (list{"<script>", "never closed <p>x"}));
  EXPECT_EQ(tokens("<plaintext>a</plaintext><b>"), (list{"<plaintext>", "a</plaintext><b>"}));
}

TEST(HtmlTokenizer, CharacterReferences) {
  EXPECT_EQ(decoded("&amp;&lt;&gt;&quot;&apos;&nbsp;"), "&<>\"'\xC2\xA0");
  EXPECT_EQ(decoded("&#65;&#x42;&#X43;&#68"), "ABCD");
  // The spec's replacements: NUL, surrogates, past U+10FFFF; C1 values as windows-1252.
  EXPECT_EQ(decoded("&#0;&#xD800;&#x110000;&#99999999999999;"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(decoded("&#150;&#x99;&#128;"), "\xE2\x80\x93\xE2\x84\xA2\xE2\x82\xAC");
  EXPECT_EQ(decoded("&eacute;&hellip;&rsquo;&euro;&ZeroWidthSpace;"),
            "\xC3\xA9\xE2\x80\xA6\xE2\x80\x99\xE2\x82\xAC\xE2\x80\x8B");
  // Not references: kept as written.
  EXPECT_EQ(decoded("&; &# &#x; &nosuch; AT&T & x"), "&; &# &#x; &nosuch; AT&T & x");
  // Legacy names also without ';', the longest that matches.
  EXPECT_EQ(decoded("&copy2024 &amp &nbspx &notit;"), "\xC2\xA9" "2024 & \xC2\xA0x \xC2\xACit;");
  // ...except in attribute values when followed by '=' or an alphanumeric (query strings).
  EXPECT_EQ(decoded("?a=1&copy=2&ampx&amp;b=3&lt", true), "?a=1&copy=2&ampx&b=3<");
}

TEST(HtmlExtract, EntitiesInTextAndAttributes) {
  html_extract e = extract_html("<p>Caf&eacute; &amp; more&#33;</p><div><a href=\" http://x.example/?a=1&amp;b=2&copy=3 \">go</a>", 10);
  EXPECT_EQ(e.text, "Caf\xC3\xA9 & more!\ngo");
  ASSERT_EQ(e.links.size(), 1u);
  EXPECT_EQ(e.links[0].href, "http://x.example/?a=1&b=2&copy=3");
  EXPECT_EQ(e.links[0].text, "go");
}

TEST(HtmlExtract, InvisibleContents) {
  EXPECT_EQ(text_of("<html><head><title>T</title><style>p{color:red}</style></head><body>shown</body></html>"), "shown");
  EXPECT_EQ(text_of("a<script>document.write('</div>x')</script>b"), "ab");
  EXPECT_EQ(text_of("<body><title>not shown</title>text"), "text");
  EXPECT_EQ(text_of("a<iframe src=x>fallback</iframe><noframes>no</noframes>b"), "ab");
  EXPECT_EQ(text_of("a<textarea>typed <b>in</b></textarea>"), "atyped <b>in</b>");
  EXPECT_EQ(text_of("<!-- a -->b<!-- c"), "b");
}

TEST(HtmlExtract, HiddenAndTinyStyles) {
  html_extract e = extract_html(
      "<div hidden>h1</div><span style=\"DISPLAY : none\">h2</span><p style='visibility:hidden'>h3"
      "<p>v1<font style=\"font-size:0px\">tiny</font><b style=\"color:#FFFFFF\">white</b>", 10);
  EXPECT_EQ(e.text, "v1tinywhite");
  EXPECT_EQ(e.stats.hidden_elements, 3u);
  EXPECT_EQ(e.stats.tiny_text_elements, 2u);
  // Unclosed hidden element: everything after it is hidden, as in a browser.
  EXPECT_EQ(text_of("a<div style=\"display:none\">b<p>c"), "a");
  // Self-closing syntax on a non-void element does not close it (browsers ignore it).
  EXPECT_EQ(text_of("a<div style=\"display:none\"/>b"), "a");
}

TEST(HtmlExtract, LinksWithImageAltText) {
  html_extract e = extract_html(
      "<a href=\"https://a.example/\"><img src=x alt=\"Sign in\"/> now</a>"
      "<A HREF=https://b.example/>b</A><a name=anchor>no href</a>", 10);
  ASSERT_EQ(e.links.size(), 2u);
  EXPECT_EQ(e.links[0].href, "https://a.example/");
  EXPECT_EQ(e.links[0].text, "Sign in now");
  EXPECT_EQ(e.links[1].text, "b");
  EXPECT_EQ(e.stats.links, 2u);
  EXPECT_EQ(e.stats.images, 1u);
}

TEST(HtmlExtract, ImpliedEnds) {
  // A new <p> closes an open hidden <p>.
  EXPECT_EQ(text_of("<p style=\"display:none\">a<p>b"), "b");
  // An <a> closes an open <a> (also across inline elements), so text after the second
  // link's end belongs to no link.
  html_extract e = extract_html("<a href=1><b>x<a href=2>y</a>z", 10);
  ASSERT_EQ(e.links.size(), 2u);
  EXPECT_EQ(e.links[0].text, "x");
  EXPECT_EQ(e.links[1].text, "y");
  // <li> closes <li>; <td> closes the open inline element and the cell.
  EXPECT_EQ(text_of("<ul><li style=\"display:none\">one<li>two</ul>"), "two");
  EXPECT_EQ(text_of("<table><tr><td><b style=\"display:none\">x<td>y</table>"), "y");
  // Content in <head> that cannot be there opens the body (libxml2 kept it hidden).
  EXPECT_EQ(text_of("<html><head><meta charset=utf-8><thead>visible"), "visible");
  EXPECT_EQ(text_of("<style>p{}</style>body text"), "body text");
}

TEST(HtmlExtract, MisnestedAndStrayEndTags) {
  // An end tag closes back to its element, and the elements opened inside it.
  EXPECT_EQ(text_of("<div><span style=\"display:none\">x</div>y"), "y");
  // A stray end tag is ignored; one that would cross a block is too.
  EXPECT_EQ(text_of("<div style=\"display:none\">a</b></span>b</div>c"), "c");
  EXPECT_EQ(text_of("<span style=\"display:none\"><div>a</span>b</div>c"), "");
  // </br> and a stray </p> break the line, as in browsers.
  EXPECT_EQ(text_of("a</br>b</p>c"), "a\nb\nc");
  // Text after </html> is shown (libxml2 dropped it).
  EXPECT_EQ(text_of("<html><body>a</body></html>footer"), "a\nfooter");
}

TEST(HtmlExtract, DeepNestingIsBounded) {
  std::string html;
  for (int i = 0; i < 100000; ++i) html += "<div>";
  html += "deep";
  for (int i = 0; i < 100000; ++i) html += "</div>";
  html += "after";
  EXPECT_EQ(text_of(html), "deepafter");
  html.clear();
  for (int i = 0; i < 100000; ++i) html += "<a href=x><span>";
  html_extract e = extract_html(html, 50);
  EXPECT_EQ(e.stats.links, 100000u);
  EXPECT_EQ(e.links.size(), 50u);
  EXPECT_TRUE(e.links_capped);
}

TEST(HtmlExtract, HostileInputStaysBounded) {
  // Megabytes of '<', of unterminated constructs and of attributes: one pass each.
  EXPECT_EQ(text_of(std::string(2 << 20, '<')).size(), std::size_t{2} << 20);
  EXPECT_EQ(text_of("a<a href=\"" + std::string(1 << 20, 'x')), "a");
  EXPECT_EQ(text_of("a<!--" + std::string(1 << 20, '-')), "a");
  EXPECT_EQ(text_of("a<script>" + std::string(1 << 20, '<') + "</scrip"), "a");
  std::string attrs = "<a";
  for (int i = 0; i < 200000; ++i) attrs += " x";
  attrs += " href=late>t</a>";
  EXPECT_EQ(extract_html(attrs, 10).links.size(), 0u);  // past max_attributes
  std::string refs;
  for (int i = 0; i < 100000; ++i) refs += "&#x" + std::string(20, 'f') + ";&nosuchname";
  EXPECT_FALSE(text_of(refs).empty());
  // End tags that search the tracked stack and fail at a block: bounded by its depth.
  std::string stray = "<b><div>";
  for (int i = 0; i < 250; ++i) stray += "<span>";
  for (int i = 0; i < 200000; ++i) stray += "</b>";
  EXPECT_EQ(text_of(stray + "end"), "end");
}

}  // namespace
}  // namespace mailtriage::mime::detail
