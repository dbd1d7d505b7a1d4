// Group "envelope": facts from the milter connection and SMTP envelope.
#include <algorithm>

#include "domains.hpp"
#include "groups.hpp"

namespace mailtriage::features::detail {
namespace {

enum class addr_class { none, ipv4, ipv6, loopback, priv };

addr_class classify_ipv4(std::string_view a) {
  unsigned o[4] = {0, 0, 0, 0};
  std::size_t k = 0;
  for (char c : a) {
    if (c == '.') ++k;
    else if (k < 4) o[k] = o[k] * 10 + static_cast<unsigned>(c - '0');
  }
  if (o[0] == 127) return addr_class::loopback;
  if (o[0] == 10 || (o[0] == 172 && o[1] >= 16 && o[1] <= 31) || (o[0] == 192 && o[1] == 168) ||
      (o[0] == 169 && o[1] == 254) || (o[0] == 100 && o[1] >= 64 && o[1] <= 127) || o[0] == 0)
    return addr_class::priv;
  return addr_class::ipv4;
}

addr_class classify(std::string_view a) {
  a = trim(a);
  if (a.size() >= 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
  if (istarts_with(a, "ipv6:")) a.remove_prefix(5);
  if (a.empty()) return addr_class::none;
  if (is_ipv4(a)) return classify_ipv4(a);
  if (!is_ip_literal(a)) return addr_class::none;
  std::string l = to_lower(a);
  if (l == "::1") return addr_class::loopback;
  if (l.rfind("::ffff:", 0) == 0 && is_ipv4(std::string_view(l).substr(7))) return classify_ipv4(std::string_view(l).substr(7));
  if (l.rfind("fc", 0) == 0 || l.rfind("fd", 0) == 0 || l.rfind("fe8", 0) == 0 || l.rfind("fe9", 0) == 0 ||
      l.rfind("fea", 0) == 0 || l.rfind("feb", 0) == 0)
    return addr_class::priv;
  return addr_class::ipv6;
}

}  // namespace

void add_envelope_features(const envelope_facts& env, const sender_context& sc, vector_builder& b) {
  if (!env.known) return;  // featurizing files: the whole group stays missing
  addr_class c = classify(env.client_address);
  b.set(dense::env_client_none, c == addr_class::none);
  b.set(dense::env_client_ipv4, c == addr_class::ipv4);
  b.set(dense::env_client_ipv6, c == addr_class::ipv6);
  b.set(dense::env_client_loopback, c == addr_class::loopback);
  b.set(dense::env_client_private, c == addr_class::priv);
  bool name_known = !env.client_name.empty() && env.ptr != ptr_status::fail && env.ptr != ptr_status::forged;
  b.set(dense::env_client_name_known, name_known);
  b.set(dense::env_ptr_fail, env.ptr == ptr_status::fail || env.ptr == ptr_status::temp);
  b.set(dense::env_ptr_forged, env.ptr == ptr_status::forged);
  std::string_view helo = trim(env.helo);
  b.set(dense::env_helo_missing, helo.empty());
  bool helo_ip = !helo.empty() && is_ip_literal(helo);
  b.set(dense::env_helo_ip_literal, helo_ip);
  b.set(dense::env_helo_no_dot, !helo.empty() && !helo_ip && helo.find('.') == std::string_view::npos);
  b.set(dense::env_helo_matches_client, name_known && iequals(helo, env.client_name));
  b.set(dense::env_helo_domain_mismatch, name_known && !helo.empty() && !helo_ip &&
                                             registrable_domain(helo) != registrable_domain(env.client_name));
  b.set_count(dense::env_recipient_count, std::min<std::uint32_t>(env.recipient_count, 1000));
  b.set(dense::env_authenticated, env.authenticated);
  b.set(dense::env_tls, env.tls);
  std::string_view sender = trim(env.sender);
  bool null_sender = sender.empty() || sender == "<>";
  b.set(dense::env_null_sender, null_sender);
  b.set(dense::env_sender_from_mismatch, !null_sender && !sc.from_registrable.empty() &&
                                             registrable_domain(address_domain(sender)) != sc.from_registrable);
}

}  // namespace mailtriage::features::detail
