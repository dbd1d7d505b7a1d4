// Group "headers": sender consistency, Message-ID, Date skew, hops, bulk signals, subject
// shape. Only From/Reply-To/Return-Path/To/Cc/Message-ID/Date/Received (count and last
// timestamp only)/List-*/Precedence/Auto-Submitted/Subject/MIME-Version/In-Reply-To are read;
// headers written by other filters are never looked at.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "date_parse.hpp"
#include "domains.hpp"
#include "groups.hpp"
#include "tokenizer.hpp"

namespace mailtriage::features::detail {
namespace {

float log2p1(double v) { return static_cast<float>(std::log2(1.0 + v)); }

bool random_looking(std::string_view local) {
  if (local.size() < 16) return false;
  std::size_t letters = 0, digits = 0, upper = 0, lowerc = 0, transitions = 0;
  int prev = -1;
  for (char c : local) {
    int cls;
    if (c >= '0' && c <= '9') { ++digits; cls = 0; }
    else if (c >= 'a' && c <= 'z') { ++letters; ++lowerc; cls = 1; }
    else if (c >= 'A' && c <= 'Z') { ++letters; ++upper; cls = 2; }
    else return false;  // separators: a structured id
    if (prev >= 0 && cls != prev) ++transitions;
    prev = cls;
  }
  if (letters == 0 || digits == 0) return upper > 0 && lowerc > 0 && transitions * 3 >= local.size();
  return transitions * 4 >= local.size();
}

// Strips "[tag] " list prefixes, then reports reply / forward prefixes.
void subject_prefixes(std::string_view s, bool& reply, bool& forward) {
  reply = forward = false;
  for (int guard = 0; guard < 8; ++guard) {
    s = trim(s);
    if (!s.empty() && s.front() == '[') {
      std::size_t close = s.find(']');
      if (close == std::string_view::npos || close > 64) return;
      s.remove_prefix(close + 1);
      continue;
    }
    std::size_t colon = s.find(':');
    if (colon == std::string_view::npos || colon > 8) return;
    std::string_view p = s.substr(0, colon);
    std::size_t br = p.find_first_of("[(");
    if (br != std::string_view::npos) p = p.substr(0, br);
    p = trim(p);
    if (iequals(p, "re") || iequals(p, "aw") || iequals(p, "sv") || iequals(p, "antw")) reply = true;
    else if (iequals(p, "fw") || iequals(p, "fwd") || iequals(p, "wg") || iequals(p, "tr") || iequals(p, "rv")) forward = true;
    else return;
    s.remove_prefix(colon + 1);
  }
}

bool domains_differ(std::string_view addr, const sender_context& sc) {
  std::string d = address_domain(addr);
  return !d.empty() && !sc.from_registrable.empty() && registrable_domain(d) != sc.from_registrable;
}

std::optional<std::int64_t> received_time(std::string_view value) {
  std::size_t semi = value.rfind(';');
  if (semi == std::string_view::npos) return std::nullopt;
  return parse_rfc5322_date(value.substr(semi + 1));
}

}  // namespace

message_id_parts split_message_id(std::string_view value) {
  std::string_view v = trim(value);
  std::size_t lt = v.find('<'), gt = v.find('>', lt == std::string_view::npos ? 0 : lt);
  std::size_t at = v.rfind('@', gt);
  message_id_parts p;
  p.ok = lt != std::string_view::npos && gt != std::string_view::npos && at != std::string_view::npos && at > lt + 1 &&
         at + 1 < gt;
  if (p.ok) {
    p.local = v.substr(lt + 1, at - lt - 1);
    p.right = v.substr(at + 1, gt - at - 1);
  }
  return p;
}

sender_context analyse_sender(const header_index& headers) {
  sender_context sc;
  sc.from = parse_mailboxes(headers.value(known_header::from));
  for (const auto& m : sc.from) {
    if (m.address.find('@') == std::string::npos) continue;
    sc.from_domain = address_domain(m.address);
    sc.from_registrable = registrable_domain(sc.from_domain);
    break;
  }
  sc.return_path = parse_mailboxes(headers.value(known_header::return_path));
  for (const auto& m : sc.return_path) {
    std::string d = address_domain(m.address);
    if (d.empty()) continue;
    sc.return_path_registrable = registrable_domain(d);
    break;
  }
  for (known_header h : {known_header::to, known_header::cc})
    headers.every(h, [&](const mime::header_field& f) {
      for (auto& m : parse_mailboxes(f.value())) {
        if (m.address.find('@') == std::string::npos) continue;
        ++sc.recipient_count;
        if (sc.recipients.size() < sender_context::kMaxRecipients && m.address.size() <= 254)
          sc.recipients.push_back(to_lower(m.address));
      }
    });
  if (const auto* mid = headers.first(known_header::message_id)) {
    sc.msgid = split_message_id(mid->value());
    if (sc.msgid.ok) sc.msgid_registrable = registrable_domain(sc.msgid.right);
  }
  return sc;
}

void add_header_features(const mime::message& msg, const header_index& headers, const sender_context& sc,
                         vector_builder& b) {
  // Header count without the fields relays and filters add (X-*, ARC-*, trace, auth):
  // those reflect the delivery path and era, not the sender.
  std::size_t own_headers = 0;
  for (std::size_t i = 0; i < msg.headers.size(); ++i) {
    std::string_view n = msg.headers[i].name();
    const known_header k = headers.kind(i);
    if (istarts_with(n, "x-") || istarts_with(n, "arc-") || k == known_header::received ||
        k == known_header::return_path || k == known_header::delivered_to ||
        k == known_header::authentication_results || k == known_header::received_spf ||
        k == known_header::dkim_signature)
      continue;
    ++own_headers;
  }
  b.set(dense::hdr_count_log, log2p1(static_cast<double>(own_headers)));
  // From and its display name.
  const std::vector<mailbox>& from = sc.from;
  std::size_t from_addrs = static_cast<std::size_t>(
      std::count_if(from.begin(), from.end(), [](const mailbox& m) { return m.address.find('@') != std::string::npos; }));
  b.set(dense::hdr_from_missing, from_addrs == 0);
  b.set(dense::hdr_from_multiple, from_addrs > 1);
  b.set(dense::hdr_from_ip_literal, !sc.from_domain.empty() && is_ip_literal(sc.from_domain));
  std::string_view display = from.empty() ? std::string_view{} : trim(from.front().display);
  b.set(dense::hdr_display_name_present, !display.empty());
  bool disp_addr = false, disp_addr_mismatch = false, disp_brand_mismatch = false;
  {
    std::size_t i = 0;
    while (i < display.size()) {
      while (i < display.size() && (display[i] == ' ' || display[i] == '\t' || display[i] == ',' || display[i] == '(' ||
                                    display[i] == ')' || display[i] == '"' || display[i] == '\'' || display[i] == '<' ||
                                    display[i] == '>' || display[i] == '[' || display[i] == ']' || display[i] == '|'))
        ++i;
      std::size_t s = i;
      while (i < display.size() && !(display[i] == ' ' || display[i] == '\t' || display[i] == ',' || display[i] == '(' ||
                                     display[i] == ')' || display[i] == '"' || display[i] == '\'' || display[i] == '<' ||
                                     display[i] == '>' || display[i] == '[' || display[i] == ']' || display[i] == '|'))
        ++i;
      std::string_view w = display.substr(s, i - s);
      while (!w.empty() && (w.back() == '.' || w.back() == ':' || w.back() == ';')) w.remove_suffix(1);
      if (w.empty()) continue;
      if (w.find('@') != std::string_view::npos) {
        disp_addr = true;
        if (domains_differ(w, sc)) disp_addr_mismatch = true;
      } else if (looks_like_domain(w) && !sc.from_registrable.empty() && registrable_domain(w) != sc.from_registrable) {
        disp_brand_mismatch = true;
      }
    }
  }
  b.set(dense::hdr_display_has_address, disp_addr);
  b.set(dense::hdr_display_addr_mismatch, disp_addr_mismatch);
  b.set(dense::hdr_display_brand_mismatch, disp_brand_mismatch);
  {
    std::uint32_t budget = 20;
    text_stats ignored;
    tokenize(display, budget, ignored, [&](std::string_view t) { b.token("from_name", t); });
  }
  // The sender's domains as tokens: what a Bayes filter's header tokens give it, the
  // reputation of senders the training mail has seen (a newsletter's domain, a mailing
  // provider's Message-ID domain), which word evidence cannot tell from spam.
  auto domain_token = [&](std::string_view ns, const std::string& registrable) {
    if (!registrable.empty()) b.token(ns, is_ip_literal(registrable) ? std::string_view("<ip>") : std::string_view(registrable));
  };
  domain_token("from_dom", sc.from_registrable);
  domain_token("msgid_dom", sc.msgid_registrable);
  // Reply-To, Return-Path.
  const auto* reply_to = headers.first(known_header::reply_to);
  b.set(dense::hdr_reply_to_present, reply_to != nullptr);
  bool rt_mismatch = false;
  if (reply_to != nullptr)
    for (const auto& m : parse_mailboxes(reply_to->value())) rt_mismatch = rt_mismatch || domains_differ(m.address, sc);
  b.set(dense::hdr_reply_to_mismatch, rt_mismatch);
  const auto* return_path = headers.first(known_header::return_path);
  b.set(dense::hdr_return_path_present, return_path != nullptr);
  bool rp_mismatch = false;
  for (const auto& m : sc.return_path) rp_mismatch = rp_mismatch || domains_differ(m.address, sc);
  b.set(dense::hdr_return_path_mismatch, rp_mismatch);
  // Recipients: counted, never tokenised.
  const auto* to = headers.first(known_header::to);
  b.set(dense::hdr_to_missing, to == nullptr);
  b.set_count(dense::hdr_recipient_addrs, std::min<std::size_t>(sc.recipient_count, 1000));
  bool undisclosed = to != nullptr && (trim(to->value()).empty() || icontains(to->value(), "undisclosed") ||
                                       (to->value().find(":;") != std::string_view::npos));
  b.set(dense::hdr_undisclosed, undisclosed);
  // Message-ID.
  const auto* mid = headers.first(known_header::message_id);
  b.set(dense::hdr_msgid_missing, mid == nullptr);
  if (mid != nullptr) {
    b.set(dense::hdr_msgid_malformed, !sc.msgid.ok);
    b.set(dense::hdr_msgid_domain_mismatch, sc.msgid.ok && !sc.from_registrable.empty() &&
                                                sc.msgid_registrable != sc.from_registrable);
    b.set(dense::hdr_msgid_random_local, sc.msgid.ok && random_looking(sc.msgid.local));
  }
  // Date and the skew against the oldest Received hop (never the date itself).
  const auto* date = headers.first(known_header::date);
  b.set(dense::hdr_date_missing, date == nullptr);
  std::optional<std::int64_t> dt;
  if (date != nullptr) {
    dt = parse_rfc5322_date(date->value());
    b.set(dense::hdr_date_unparseable, !dt.has_value());
  }
  const std::size_t received = headers.count(known_header::received);
  b.set_count(dense::hdr_received_count, std::min<std::size_t>(received, 100));
  if (dt && received != 0) {
    if (auto rt = received_time(headers.last(known_header::received)->value())) {
      double diff = static_cast<double>(*dt - *rt);
      b.set(dense::hdr_date_skew_log, log2p1(std::fabs(diff) / 60.0));
      b.set(dense::hdr_date_after_received, diff > 3600.0);
    }
  }
  bool structured = msg.parts.size() > 1 || (!msg.parts.empty() && msg.parts[0].content_type != "text/plain");
  b.set(dense::hdr_mime_version_missing, structured && headers.first(known_header::mime_version) == nullptr);
  // Bulk signals.
  b.set(dense::hdr_list_id, headers.first(known_header::list_id) != nullptr);
  b.set(dense::hdr_list_unsubscribe, headers.first(known_header::list_unsubscribe) != nullptr);
  std::string_view prec = trim(headers.value(known_header::precedence));
  b.set(dense::hdr_precedence_bulk, iequals(prec, "bulk") || iequals(prec, "junk"));
  b.set(dense::hdr_precedence_list, iequals(prec, "list"));
  const auto* auto_sub = headers.first(known_header::auto_submitted);
  b.set(dense::hdr_auto_submitted, auto_sub != nullptr && !istarts_with(trim(auto_sub->value()), "no"));
  b.set(dense::hdr_in_reply_to, headers.first(known_header::in_reply_to) != nullptr || headers.first(known_header::references) != nullptr);
  // Subject shape (tokens are added with the body, they share the token budget).
  const auto* subj = headers.first(known_header::subject);
  std::string_view s = subj != nullptr ? trim(subj->value()) : std::string_view{};
  b.set(dense::hdr_subject_missing, s.empty());
  std::size_t cps = 0, non_ascii = 0, upper = 0, letters = 0, excl = 0, quest = 0, cur = 0, words = 0;
  bool in_word = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80) ++cps;
    if (c >= 0xC0) ++non_ascii;
    if (c >= 'A' && c <= 'Z') { ++upper; ++letters; }
    else if (c >= 'a' && c <= 'z') ++letters;
    if (c == '!') ++excl;
    if (c == '?') ++quest;
    if (c == '$' || c == '%' || (c == 0xE2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x82) ||
        (c == 0xC2 && i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) == 0xA3)))
      ++cur;
    bool space = c == ' ' || c == '\t';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  b.set_count(dense::hdr_subject_length, std::min<std::size_t>(cps, 300));
  b.set_count(dense::hdr_subject_words, std::min<std::size_t>(words, 100));
  b.set(dense::hdr_subject_caps_ratio, letters == 0 ? 0.0f : static_cast<float>(upper) / static_cast<float>(letters));
  b.set_count(dense::hdr_subject_exclamations, std::min<std::size_t>(excl, 20));
  b.set_count(dense::hdr_subject_questions, std::min<std::size_t>(quest, 20));
  b.set_count(dense::hdr_subject_currency, std::min<std::size_t>(cur, 20));
  b.set(dense::hdr_subject_non_ascii, cps == 0 ? 0.0f : static_cast<float>(non_ascii) / static_cast<float>(cps));
  bool reply = false, forward = false;
  subject_prefixes(s, reply, forward);
  b.set(dense::hdr_subject_reply, reply);
  b.set(dense::hdr_subject_forward, forward);
  b.set(dense::hdr_subject_encoded_word, subj != nullptr && subj->raw_value().find("=?") != std::string_view::npos);
  const auto* from_h = headers.first(known_header::from);
  b.set(dense::hdr_from_encoded_word, from_h != nullptr && from_h->raw_value().find("=?") != std::string_view::npos);
}

void add_auth_features(const header_index& headers, vector_builder& b) {
  enum result { none = 0, fail = 1, pass = 2 };
  result spf = none, dkim = none, dmarc = none;
  auto fold = [](result& r, std::string_view v) {
    if (istarts_with(v, "pass")) r = pass;
    else if ((istarts_with(v, "fail") || istarts_with(v, "softfail") || istarts_with(v, "permerror")) && r != pass) r = fail;
  };
  headers.every(known_header::authentication_results, [&](const mime::header_field& h) {
    std::string_view v = h.value();
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i > 0 && v[i - 1] != ' ' && v[i - 1] != ';' && v[i - 1] != '\t' && v[i - 1] != '\n') continue;
      std::string_view rest = v.substr(i);
      if (istarts_with(rest, "spf=")) fold(spf, rest.substr(4));
      else if (istarts_with(rest, "dkim=")) fold(dkim, rest.substr(5));
      else if (istarts_with(rest, "dmarc=")) fold(dmarc, rest.substr(6));
    }
  });
  b.set(dense::auth_spf_pass, spf == pass);
  b.set(dense::auth_spf_fail, spf == fail);
  b.set(dense::auth_spf_none, spf == none);
  b.set(dense::auth_dkim_pass, dkim == pass);
  b.set(dense::auth_dkim_fail, dkim == fail);
  b.set(dense::auth_dkim_none, dkim == none);
  b.set(dense::auth_dmarc_pass, dmarc == pass);
  b.set(dense::auth_dmarc_fail, dmarc == fail);
  b.set(dense::auth_dmarc_none, dmarc == none);
  b.set(dense::auth_results_present, headers.count(known_header::authentication_results) != 0);
  b.set(dense::auth_dkim_signature, headers.first(known_header::dkim_signature) != nullptr);
}

void add_mailer_features(const header_index& headers, vector_builder& b) {
  std::string_view m = headers.value(known_header::x_mailer);
  if (m.empty()) m = headers.value(known_header::user_agent);
  if (m.empty()) m = headers.value(known_header::x_newsreader);
  m = trim(m);
  // The needles are lower-case ASCII, so matching them in the lower-cased value once is
  // the same as a case-insensitive search per needle, and lets find() use memchr.
  const std::string lower = to_lower(m);
  auto any = [&](std::initializer_list<std::string_view> needles) {
    return std::any_of(needles.begin(), needles.end(),
                       [&](std::string_view n) { return lower.find(n) != std::string::npos; });
  };
  dense family = dense::mailer_other;
  if (m.empty()) family = dense::mailer_none;
  else if (any({"outlook", "microsoft", "exchange", "mimeole", "windows live mail", "windows mail"})) family = dense::mailer_outlook;
  else if (any({"thunderbird", "mozilla", "netscape", "seamonkey", "postbox"})) family = dense::mailer_mozilla;
  else if (any({"apple mail", "iphone", "ipad", "mac os x mail", "apple"})) family = dense::mailer_apple;
  else if (any({"mutt", "pine", "elm", "gnus", "evolution", "kmail", "sylpheed", "claws", "git-send-email", "emacs",
                "exmh", "mh-e", "vm ", "balsa", "mew", "wanderlust", "neomutt", "aerc", "git "}))
    family = dense::mailer_unix;
  else if (any({"roundcube", "squirrelmail", "horde", "imp/", "internet messaging program", "gmail", "yahoo", "zimbra",
                "webmail", "rainloop", "sogo", "open-xchange"}))
    family = dense::mailer_webmail;
  else if (any({"mailchimp", "sendgrid", "constant contact", "mailgun", "sendinblue", "brevo", "emarsys", "exacttarget",
                "mass", "bulk", "group mail", "lyris", "listserv", "phplist", "acymailing", "campaign", "newsletter",
                "mailjet", "sendy", "interspire", "mailwizz", "e-mail marketing", "email marketing", "blaster"}))
    family = dense::mailer_bulk;
  else if (any({"php", "python", "perl", "java", ".net", "nodemailer", "swiftmailer", "cdo", "aspmail", "ruby", "smtp",
                "mime::lite", "jakarta", "libcurl"}))
    family = dense::mailer_script;
  for (dense d : {dense::mailer_none, dense::mailer_outlook, dense::mailer_mozilla, dense::mailer_apple, dense::mailer_unix,
                  dense::mailer_webmail, dense::mailer_bulk, dense::mailer_script, dense::mailer_other})
    b.set(d, d == family);
}

}  // namespace mailtriage::features::detail
