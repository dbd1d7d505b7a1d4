#pragma once
// One function per feature group (private); each writes its dense columns and tokens into
// the builder. Pure apart from the builder; thread-safe; never throw (bad_alloc aside).
#include <string>
#include <vector>

#include "domains.hpp"
#include "header_index.hpp"
#include "mailtriage/features/envelope.hpp"
#include "mailtriage/features/feature_vector.hpp"
#include "mailtriage/mime/message.hpp"
#include "vector_builder.hpp"

namespace mailtriage::features::detail {

struct sender_context {
  std::string from_domain;       // domain of the first From address, lower-case
  std::string from_registrable;  // its registrable domain
  std::vector<mailbox> from;     // the mailboxes of the first From field, parsed once
};

[[nodiscard]] sender_context analyse_sender(const header_index& headers);
void add_envelope_features(const envelope_facts& env, const sender_context& sc, vector_builder& b);
void add_header_features(const mime::message& msg, const header_index& headers, const sender_context& sc,
                         vector_builder& b);
void add_auth_features(const header_index& headers, vector_builder& b);
void add_mailer_features(const header_index& headers, vector_builder& b);
void add_structure_features(const mime::message& msg, vector_builder& b);
void add_url_features(const mime::message& msg, vector_builder& b);
// Subject and visible-text tokens, text statistics and PII.
void add_text_features(const mime::message& msg, vector_builder& b, pii_flags& pii);

}  // namespace mailtriage::features::detail
