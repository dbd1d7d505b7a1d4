#include "mailtriage/features/extract.hpp"

#include "groups.hpp"
#include "vector_builder.hpp"

namespace mailtriage::features {

extraction extract_with_pii(const mime::message& msg, const envelope_facts& env, token_names* names,
                            const column_set* only) {
  extraction out;
  detail::vector_builder b(names, only);
  const detail::header_index headers(msg.headers);
  detail::sender_context sc = detail::analyse_sender(headers);
  detail::add_envelope_features(env, sc, b);
  detail::add_header_features(msg, headers, sc, b);
  detail::add_auth_features(headers, b);
  detail::add_mailer_features(headers, b);
  detail::add_structure_features(msg, b);
  const std::vector<std::string> url_domains = detail::add_url_features(msg, b);
  detail::add_alignment_features(msg, sc, url_domains, b);
  detail::add_text_features(msg, b, out.pii);
  out.vector = b.finish();
  return out;
}

feature_vector extract(const mime::message& msg, const envelope_facts& env) {
  return extract_with_pii(msg, env, nullptr).vector;
}

}  // namespace mailtriage::features
