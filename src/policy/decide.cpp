#include "mailtriage/policy/decide.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "mailtriage/util/ascii.hpp"

namespace mailtriage::policy {
namespace {

using util::istarts_with;
using util::to_lower;

// Header values we write come partly from the message (reason tokens) and the
// configuration: no control bytes, so nothing can start a new header line. Takes the
// value by copy and mends it in place: most values are already clean and built for
// the header, so they are moved in rather than rebuilt, and scanned eight bytes at a
// time, a word with no byte below 0x20 or equal to 0x7f left as it is.
std::string header_safe(std::string v, std::size_t max = 900) {
  if (v.size() > max) v.resize(max);
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  auto mend = [](char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      auto u = static_cast<unsigned char>(p[i]);
      if (u < 0x20 || u == 0x7f) p[i] = ' ';
    }
  };
  char* p = v.data();
  const std::size_t n = v.size();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x;
    std::memcpy(&x, p + i, 8);
    // Some byte below 0x20, or some byte equal to 0x7f (zero after the xor): exact as
    // a yes/no for the word, which is all that is asked of it.
    const std::uint64_t del = x ^ (0x7f * ones);
    if (((x - 0x20 * ones) & ~x & highs) | ((del - ones) & ~del & highs)) mend(p + i, 8);
  }
  mend(p + i, n - i);
  return v;
}

std::string domain_of(std::string_view address) {
  if (!address.empty() && address.front() == '<') address.remove_prefix(1);
  if (!address.empty() && address.back() == '>') address.remove_suffix(1);
  auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : to_lower(address.substr(at + 1));
}

// What printf's "%.<decimals>f" (with `plus`, "%+.<decimals>f") writes for the float
// widened to double, for decimals <= 3: the float's exact value m x 2^e times 10^decimals,
// rounded to the nearest integer with ties to even as glibc's printf rounds it, in
// integer arithmetic (a test checks the bytes against snprintf over ties, rounding
// boundaries and random values). Magnitudes of 2^31 and more and non-finite values go
// to std::to_chars and snprintf, which round the same way.
void append_fixed(std::string& out, float v, int decimals, bool plus) {
  char buf[64];
  const auto bits = std::bit_cast<std::uint32_t>(v);
  const bool negative = bits >> 31;
  const std::uint32_t exponent = (bits >> 23) & 0xff, fraction = bits & 0x7fffff;
  if (exponent == 0xff) {  // nan and inf in printf's spellings
    const int n = std::snprintf(buf, sizeof buf, plus ? "%+.*f" : "%.*f", decimals, static_cast<double>(v));
    out.append(buf, static_cast<std::size_t>(std::max(n, 0)));
    return;
  }
  char* first = buf;
  if (negative) *first++ = '-';
  else if (plus) *first++ = '+';
  // |v| = m x 2^e exactly.
  const std::uint64_t m = exponent ? (fraction | 0x800000u) : fraction;
  const int e = exponent ? static_cast<int>(exponent) - 150 : -149;
  if (e > 7 || decimals > 3) {  // |v| >= 2^31: rare enough for the general conversion
    const auto r = std::to_chars(first, buf + sizeof buf, std::fabs(static_cast<double>(v)), std::chars_format::fixed,
                                 decimals);
    out.append(buf, r.ptr);
    return;
  }
  std::uint64_t scale = 1;
  for (int d = 0; d < decimals; ++d) scale *= 10;
  const std::uint64_t scaled = m * scale;  // < 2^34
  std::uint64_t units;  // round(|v| x 10^decimals)
  if (e >= 0) {
    units = scaled << e;  // < 2^41
  } else if (-e >= 40) {
    units = 0;  // scaled < 2^34 is below half a unit of 2^-e
  } else {
    const int k = -e;
    units = scaled >> k;
    const std::uint64_t rest = scaled & ((std::uint64_t{1} << k) - 1), half = std::uint64_t{1} << (k - 1);
    if (rest > half || (rest == half && (units & 1))) ++units;
  }
  char digits[24];
  char* d = digits + sizeof digits;
  for (int i = 0; i < decimals; ++i, units /= 10) *--d = static_cast<char>('0' + units % 10);
  if (decimals > 0) *--d = '.';
  do {
    *--d = static_cast<char>('0' + units % 10);
    units /= 10;
  } while (units);
  const auto len = static_cast<std::size_t>(digits + sizeof digits - d);
  std::memcpy(first, d, len);
  out.append(buf, static_cast<std::size_t>(first - buf) + len);
}

bool contains(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

bool pii_matches(const std::vector<std::string>& wanted, const pii_summary& p) {
  for (const auto& w : wanted) {
    if (w == "any" && p.any()) return true;
    if (w == "payment_card" && p.payment_card) return true;
    if (w == "iban" && p.iban) return true;
    if (w == "us_ssn" && p.us_ssn) return true;
  }
  return false;
}

bool any_domain(const std::vector<std::string>& patterns, const std::string& domain) {
  for (const auto& p : patterns)
    if (domain_matches(domain, p)) return true;
  return false;
}

bool matches(const match& m, const verdict& v, const message_facts& f) {
  if (!m.categories.empty() && !contains(m.categories, v.category)) return false;
  if (!m.flagged.empty()) {
    bool hit = false;
    for (const auto& l : m.flagged) hit = hit || contains(v.flagged, l);
    if (!hit) return false;
  }
  if (m.min_score && v.score < *m.min_score) return false;
  if (m.max_score && v.score > *m.max_score) return false;
  if (!m.pii.empty() && !pii_matches(m.pii, v.pii)) return false;
  if (!m.sender_domains.empty() && !any_domain(m.sender_domains, domain_of(f.sender))) return false;
  if (!m.recipient_domains.empty()) {
    bool hit = false;
    for (const auto& r : f.recipients) hit = hit || any_domain(m.recipient_domains, domain_of(r));
    if (!hit) return false;
  }
  if (m.min_size && f.size < *m.min_size) return false;
  if (m.max_size && f.size > *m.max_size) return false;
  if (m.authenticated && f.authenticated != *m.authenticated) return false;
  return true;
}

// `score` is format_score(v.score), formatted once per decision.
std::string expand(std::string_view templ, const verdict& v, const std::string& score, const message_facts& f,
                   const std::string& rule) {
  std::string out;
  out.reserve(templ.size() + 16);
  for (std::size_t i = 0; i < templ.size(); ++i) {
    if (templ[i] == '{') {
      auto close = templ.find('}', i);
      if (close != std::string_view::npos) {
        std::string_view key = templ.substr(i + 1, close - i - 1);
        bool known = true;
        if (key == "category") out += v.category;
        else if (key == "score") out += score;
        else if (key == "rule") out += rule;
        else if (key == "queue_id") out += f.queue_id;
        else known = false;
        if (known) {
          i = close;
          continue;
        }
      }
    }
    out += templ[i];
  }
  return out;
}

std::string hmac_hex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
            data.size(), mac, &len))
    return {};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(2 * std::size_t{len}, '\0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = hex[mac[i] >> 4];
    out[2 * i + 1] = hex[mac[i] & 15];
  }
  return out;
}

// Value of `key=` in "a=1; b=2".
std::string field_of(const std::string& value, const std::string& key) {
  std::size_t pos = 0;
  while (pos < value.size()) {
    while (pos < value.size() && (value[pos] == ' ' || value[pos] == ';')) ++pos;
    auto end = value.find(';', pos);
    if (end == std::string::npos) end = value.size();
    std::string item = value.substr(pos, end - pos);
    auto eq = item.find('=');
    if (eq != std::string::npos && item.substr(0, eq) == key) {
      std::string v = item.substr(eq + 1);
      while (!v.empty() && v.back() == ' ') v.pop_back();
      return v;
    }
    pos = end + 1;
  }
  return {};
}

}  // namespace

bool domain_matches(std::string_view domain, std::string_view pattern) {
  std::string d = to_lower(domain), p = to_lower(pattern);
  if (p.empty() || d.empty()) return false;
  if (d == p) return true;
  return d.size() > p.size() && d.ends_with(p) && d[d.size() - p.size() - 1] == '.';
}

std::string format_score(float score) {
  std::string out;
  append_fixed(out, score, 3, false);
  return out;
}

std::string format_reasons(const std::vector<reason>& reasons, std::size_t max) {
  const std::size_t n = std::min(reasons.size(), max);
  std::size_t size = 0;
  for (std::size_t i = 0; i < n; ++i) size += reasons[i].feature.size() + 10;  // ", " " +d.dd"
  std::string out;
  out.reserve(size);
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += ", ";
    out += reasons[i].feature;
    out += ' ';
    append_fixed(out, reasons[i].weight, 2, true);
  }
  return out;
}

namespace {

// verdict_header_value() with the score already formatted (format_score).
std::string verdict_value(const verdict& v, const std::string& score, const std::string& queue_id,
                          const std::string& hmac_key) {
  std::string out;
  out.reserve(40 + v.category.size() + score.size() + v.model_id.size() + queue_id.size() +
              (hmac_key.empty() ? 0 : 70));
  out += "category=";
  out += v.category;
  out += "; score=";
  out += score;
  out += "; model=";
  out += v.model_id;
  out += "; queue=";
  out += queue_id;
  if (!hmac_key.empty()) {
    std::string signed_data;
    signed_data.reserve(queue_id.size() + v.category.size() + score.size() + 2);
    signed_data += queue_id;
    signed_data += '|';
    signed_data += v.category;
    signed_data += '|';
    signed_data += score;
    out += "; sig=";
    out += hmac_hex(hmac_key, signed_data);
  }
  return out;
}

}  // namespace

std::string verdict_header_value(const verdict& v, const std::string& queue_id, const std::string& hmac_key) {
  return verdict_value(v, format_score(v.score), queue_id, hmac_key);
}

bool verify_verdict_header(const std::string& value, const std::string& hmac_key) {
  std::string sig = field_of(value, "sig");
  if (sig.empty() || hmac_key.empty()) return false;
  std::string expected =
      hmac_hex(hmac_key, field_of(value, "queue") + "|" + field_of(value, "category") + "|" + field_of(value, "score"));
  return expected.size() == sig.size() && CRYPTO_memcmp(expected.data(), sig.data(), sig.size()) == 0;
}

std::vector<milter::reply> remove_forged(const std::string& prefix_text, const std::vector<inbound_header>& inbound) {
  std::vector<const inbound_header*> forged;
  if (!prefix_text.empty())
    for (const auto& ih : inbound)
      if (istarts_with(ih.name, prefix_text)) forged.push_back(&ih);
  std::stable_sort(forged.begin(), forged.end(), [](const inbound_header* a, const inbound_header* b) {
    return a->index > b->index;  // highest first: earlier indexes stay valid
  });
  std::vector<milter::reply> out;
  for (const auto* f : forged) out.push_back(milter::change_header{f->index, std::string(f->name), ""});
  return out;
}

outcome decide(const policy_config& policy, const verdict& v, const message_facts& facts,
               const std::vector<inbound_header>& inbound, const std::string& hmac_key) {
  outcome out;
  const header_names& h = policy.headers;
  const std::string score = format_score(v.score);

  // 1. Anti-forgery: delete every inbound header carrying our prefix.
  out.modifications = remove_forged(h.prefix, inbound);
  out.modifications.reserve(out.modifications.size() + 4);

  // 2. Our verdict headers.
  if (!h.category.empty()) out.modifications.push_back(milter::add_header{h.category, header_safe(v.category)});
  if (!h.score.empty()) out.modifications.push_back(milter::add_header{h.score, score});
  if (!h.reasons.empty() && !v.reasons.empty() && h.max_reasons > 0)
    out.modifications.push_back(milter::add_header{h.reasons, header_safe(format_reasons(v.reasons, h.max_reasons))});
  if (!h.verdict.empty())
    out.modifications.push_back(
        milter::add_header{h.verdict, header_safe(verdict_value(v, score, facts.queue_id, hmac_key))});

  // 3. Rules, in order. Subject prefixes from several rules stack, in rule order, into
  // one edit of the Subject.
  bool final_set = false;
  std::string subject_prefixes;
  for (const auto& r : policy.rules) {
    if (!matches(r.when, v, facts)) continue;
    if (r.shadow) {
      out.shadow_rules.push_back(r.name);
      continue;
    }
    out.applied_rules.push_back(r.name);
    for (const auto& a : r.actions) {
      switch (a.type) {
        case action::kind::add_header:
          out.modifications.push_back(milter::add_header{a.name, header_safe(expand(a.value, v, score, facts, r.name))});
          break;
        case action::kind::subject_prefix: {
          std::string p = expand(a.value, v, score, facts, r.name);
          if (subject_prefixes.find(p) == std::string::npos) subject_prefixes += p;
          break;
        }
        case action::kind::add_recipient:
          out.modifications.push_back(milter::add_recipient{"<" + a.value + ">", std::nullopt});
          break;
        case action::kind::remove_recipients:
          for (const auto& rcpt : facts.recipients)
            out.modifications.push_back(milter::delete_recipient{"<" + rcpt + ">"});
          break;
        case action::kind::quarantine:
          out.modifications.push_back(milter::quarantine{header_safe(expand(a.value, v, score, facts, r.name), 200)});
          break;
        case action::kind::reject:
        case action::kind::tempfail:
        case action::kind::discard:
        case action::kind::accept:
          if (!final_set) {
            final_set = true;
            if (a.type == action::kind::reject || a.type == action::kind::tempfail)
              out.final_reply = milter::reply_code{header_safe(expand(a.value, v, score, facts, r.name), 400)};
            else if (a.type == action::kind::discard)
              out.final_reply = milter::discard{};
            else
              out.final_reply = milter::accept{};
          }
          break;
      }
    }
    if (r.stop || final_set) break;
  }
  if (!subject_prefixes.empty()) {
    const inbound_header* subject = nullptr;
    for (const auto& ih : inbound)
      if (util::iequals(ih.name, "subject")) {
        subject = &ih;
        break;
      }
    if (!subject) {
      out.modifications.push_back(milter::add_header{"Subject", header_safe(subject_prefixes)});
    } else if (!subject->value.starts_with(subject_prefixes)) {
      out.modifications.push_back(
          milter::change_header{subject->index, std::string(subject->name), header_safe(subject_prefixes + subject->value, 4000)});
    }
  }
  return out;
}

}  // namespace mailtriage::policy
