// Groups "content" and "pii": URLs and links, HTML statistics, subject/body tokens,
// text statistics, validated PII.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "domains.hpp"
#include "mailtriage/features/extract.hpp"
#include "groups.hpp"
#include "pii.hpp"
#include "tokenizer.hpp"

namespace mailtriage::features::detail {
namespace {

float log2p1(double v) { return static_cast<float>(std::log2(1.0 + v)); }

// Most visible-text bytes scanned for PII per message.
constexpr std::size_t kPiiScanBytes = std::size_t{512} << 10;

// The host named by a link's visible text: an URL, or a domain-looking word.
std::string text_host(std::string_view text) {
  text = trim(text);
  if (text.empty() || text.size() > 512) return {};
  url_parts u;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '(' || text[i] == '<' || text[i] == '"' || text[i] == '[')) ++i;
    std::size_t s = i;
    while (i < text.size() && !(text[i] == ' ' || text[i] == ')' || text[i] == '>' || text[i] == '"' || text[i] == ']')) ++i;
    std::string_view w = text.substr(s, i - s);
    if (w.empty()) {
      ++i;  // a lone ')' '>' '"' or ']'
      continue;
    }
    if (parse_url(w, u) && (!u.scheme.empty() || istarts_with(w, "www."))) return u.host;
    std::size_t slash = w.find('/');
    if (slash != std::string_view::npos) w = w.substr(0, slash);
    while (!w.empty() && (w.back() == '.' || w.back() == ',' || w.back() == ':' || w.back() == ';')) w.remove_suffix(1);
    if (w.find('@') == std::string_view::npos && looks_like_domain(w)) return to_lower(w);
  }
  return {};
}

bool call_to_action(std::string_view text) {
  if (text.size() > 80) return false;
  for (std::string_view k : {"click", "here", "verify", "login", "log in", "sign in", "signin", "update", "confirm",
                             "unlock", "restore", "validate", "view document", "review", "claim", "download"})
    if (icontains(text, k)) return true;
  return false;
}

}  // namespace

std::vector<std::string> add_url_features(const mime::message& msg, vector_builder& b) {
  std::vector<std::string_view> urls;
  urls.reserve(msg.links.size() + msg.urls.size());
  for (const auto& l : msg.links) urls.push_back(l.href);
  for (const auto& u : msg.urls) urls.push_back(u);
  std::sort(urls.begin(), urls.end());
  urls.erase(std::unique(urls.begin(), urls.end()), urls.end());
  std::vector<std::string> domains;
  std::size_t ip = 0, shortener = 0, puny = 0, mixed = 0, userinfo = 0, port = 0, http = 0, web = 0, js = 0, mailto = 0;
  url_parts u;
  for (std::string_view raw : urls) {
    std::string_view t = trim(raw);
    if (istarts_with(t, "mailto:")) { ++mailto; continue; }
    if (istarts_with(t, "javascript:") || istarts_with(t, "data:") || istarts_with(t, "vbscript:")) { ++js; continue; }
    if (!parse_url(t, u)) continue;
    if (!u.scheme.empty() && u.scheme != "http" && u.scheme != "https") continue;
    ++web;
    if (u.scheme == "http") ++http;
    bool is_ip = is_ip_literal(u.host);
    ip += is_ip;
    shortener += is_shortener(u.host);
    puny += u.host.rfind("xn--", 0) == 0 || u.host.find(".xn--") != std::string::npos;
    mixed += is_mixed_script(u.host);
    userinfo += u.userinfo;
    port += u.port;
    std::string reg = registrable_domain(u.host);
    b.token("url_host", is_ip ? std::string_view("<ip>") : std::string_view(u.host));
    b.token("url_dom", is_ip ? std::string_view("<ip>") : std::string_view(reg));
    domains.push_back(std::move(reg));
  }
  std::sort(domains.begin(), domains.end());
  domains.erase(std::unique(domains.begin(), domains.end()), domains.end());
  b.set_count(dense::ct_urls, std::min<std::size_t>(urls.size(), 10000));
  b.set_count(dense::ct_links, msg.html.links);
  b.set_count(dense::ct_url_domains, domains.size());
  b.set_count(dense::ct_url_ip_literal, ip);
  b.set_count(dense::ct_url_shortener, shortener);
  b.set_count(dense::ct_url_punycode, puny);
  b.set_count(dense::ct_url_mixed_script, mixed);
  b.set_count(dense::ct_url_userinfo, userinfo);
  b.set_count(dense::ct_url_port, port);
  if (web > 0) b.set(dense::ct_url_http_share, static_cast<float>(http) / static_cast<float>(web));
  else b.set(dense::ct_url_http_share, 0.0f);
  b.set_count(dense::ct_link_javascript, js);
  b.set_count(dense::ct_link_mailto, mailto);
  // Link text naming another domain than the href.
  std::size_t mismatch = 0, cta = 0;
  for (const auto& l : msg.links) {
    cta += call_to_action(l.text);
    std::string shown = text_host(l.text);
    if (shown.empty()) continue;
    std::string shown_reg = registrable_domain(shown);
    b.token("link_dom", shown_reg);
    if (!parse_url(l.href, u)) {
      if (!istarts_with(trim(l.href), "mailto:")) ++mismatch;  // shows a site, goes nowhere web-like
      continue;
    }
    if (registrable_domain(u.host) != shown_reg) ++mismatch;
  }
  b.set_count(dense::ct_link_text_mismatch, mismatch);
  b.set_count(dense::ct_link_click_here, cta);
  const auto& h = msg.html;
  b.set_count(dense::ct_forms, h.forms);
  b.set_count(dense::ct_inputs, h.inputs);
  b.set_count(dense::ct_password_inputs, h.password_inputs);
  b.set_count(dense::ct_hidden_elements, h.hidden_elements);
  b.set_count(dense::ct_tiny_text, h.tiny_text_elements);
  b.set_count(dense::ct_scripts, h.scripts);
  b.set_count(dense::ct_images, h.images);
  b.set_count(dense::ct_iframes, h.iframes);
  return domains;
}

void add_text_features(const mime::message& msg, vector_builder& b, pii_flags& pii) {
  std::uint32_t budget = max_tokens_per_message;
  pii_counts pc;
  std::size_t pii_room = kPiiScanBytes;
  auto scan = [&](std::string_view t) {
    std::string_view part = t.substr(0, std::min(t.size(), pii_room));
    pii_room -= part.size();
    scan_pii(part, pc);
  };
  // Words and adjacent pairs. Three FNV-1a chains run side by side over each token's bytes
  // (unigram "ns:t", pair "pair_ns:prev t", next pair prefix "pair_ns:t "), which is the
  // same hash as vector_builder::token() but hides the multiply latency.
  constexpr std::uint64_t P = fnv1a64::prime;
  std::string_view prev;  // tokenize keeps it valid while the next token is handled
  auto words_and_pairs = [&](std::string_view text, std::string_view uni_ns, std::uint64_t uni_prefix,
                             std::string_view pair_ns, std::uint64_t pair_prefix, text_stats& stats) {
    std::uint64_t pair_state = 0;
    bool have_prev = false;
    prev = {};
    tokenize(text, budget, stats, [&](std::string_view t) {
      std::uint64_t h1 = uni_prefix, h2 = pair_state, h3 = pair_prefix;
      for (char ch : t) {
        const auto c = static_cast<unsigned char>(ch);
        h1 = (h1 ^ c) * P;
        h2 = (h2 ^ c) * P;
        h3 = (h3 ^ c) * P;
      }
      b.add_hash(h1, uni_ns, t);
      if (have_prev) b.add_hash(h2, pair_ns, prev, t);
      pair_state = (h3 ^ static_cast<unsigned char>(' ')) * P;
      have_prev = true;
      prev = t;
    });
  };
  text_stats subj_stats;
  std::string_view subject = msg.header_value("Subject");
  words_and_pairs(subject, "subj", fnv_prefix("subj"), "subj", fnv_prefix("subj"), subj_stats);
  scan(subject);
  // Visible text; pairs do not cross text blocks.
  text_stats st;
  std::size_t chars = 0;
  for (const auto& block : msg.texts) {
    chars += block.text.size();
    if (budget > 0) words_and_pairs(block.text, "body", fnv_prefix("body"), "bi", fnv_prefix("bi"), st);
    if (pii_room > 0) scan(block.text);
  }
  b.set(dense::ct_text_chars_log, log2p1(static_cast<double>(chars)));
  b.set(dense::ct_words_log, log2p1(static_cast<double>(st.words)));
  b.set(dense::ct_caps_word_ratio, st.words == 0 ? 0.0f : static_cast<float>(st.caps_words) / static_cast<float>(st.words));
  b.set_count(dense::ct_exclamations, std::min<std::uint32_t>(st.exclamations, 100));
  b.set_count(dense::ct_currency, std::min<std::uint32_t>(st.currency, 100));
  pii.payment_cards = pc.cards;
  pii.ibans = pc.ibans;
  pii.us_ssns = pc.ssns;
  pii.phone_numbers = pc.phones;
  pii.email_addresses = st.emails + subj_stats.emails;
  b.set_count(dense::pii_payment_cards, pii.payment_cards);
  b.set_count(dense::pii_card_candidates_invalid, pc.card_candidates_invalid);
  b.set_count(dense::pii_ibans, pii.ibans);
  b.set_count(dense::pii_us_ssns, pii.us_ssns);
  b.set_count(dense::pii_email_addresses, pii.email_addresses);
  b.set_count(dense::pii_phone_numbers, pii.phone_numbers);
}

}  // namespace mailtriage::features::detail
