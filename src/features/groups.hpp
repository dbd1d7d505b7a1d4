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

// A Message-ID's parts: <local@right>; ok is false when it is not of that form.
struct message_id_parts {
  bool ok = false;
  std::string_view local, right;
};
[[nodiscard]] message_id_parts split_message_id(std::string_view value);

// The address fields several groups read, parsed once per message. Views point into the
// message's header fields.
struct sender_context {
  std::string from_domain;       // domain of the first From address, lower-case
  std::string from_registrable;  // its registrable domain
  std::vector<mailbox> from;     // the mailboxes of the first From field, parsed once
  std::vector<mailbox> return_path;     // the mailboxes of the first Return-Path field
  std::string return_path_registrable;  // registrable domain of its first address with one, or ""
  message_id_parts msgid;               // the first Message-ID field's parts
  std::string msgid_registrable;        // registrable domain of a well-formed Message-ID, or ""
  std::size_t recipient_count = 0;      // addresses in To and Cc
  std::vector<std::string> recipients;  // the first kMaxRecipients of them, lower-case
  static constexpr std::size_t kMaxRecipients = 8;  // looked for in the text; more say nothing more
};

[[nodiscard]] sender_context analyse_sender(const header_index& headers);
void add_envelope_features(const envelope_facts& env, const sender_context& sc, vector_builder& b);
void add_header_features(const mime::message& msg, const header_index& headers, const sender_context& sc,
                         vector_builder& b);
void add_auth_features(const header_index& headers, vector_builder& b);
void add_mailer_features(const header_index& headers, vector_builder& b);
void add_structure_features(const mime::message& msg, vector_builder& b);
// Returns the distinct registrable domains of the message's web URLs, sorted.
[[nodiscard]] std::vector<std::string> add_url_features(const mime::message& msg, vector_builder& b);
// Whether the sender's own domains are the ones the content points to and names, and
// whether the text addresses its recipient: the marks of mail a sender stands behind.
void add_alignment_features(const mime::message& msg, const sender_context& sc, const std::vector<std::string>& url_domains,
                            vector_builder& b);
// Subject and visible-text tokens, text statistics and PII.
void add_text_features(const mime::message& msg, vector_builder& b, pii_flags& pii);

}  // namespace mailtriage::features::detail
