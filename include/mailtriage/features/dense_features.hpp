#pragma once
// The named dense features, in column order: X(group, name, description).
// Appending, removing, renaming or reordering an entry changes schema_fingerprint();
// bump schema_version too. Groups: envelope, headers, auth, mailer, structure, defects,
// content, alignment, pii. "auth" and "mailer" are kept apart so training can drop them (in the
// developer corpus they are era artefacts).
// clang-format off
#define MAILTRIAGE_DENSE_FEATURES(X) \
  X(envelope, env_client_none,          "no client address (unix socket or not given)") \
  X(envelope, env_client_ipv4,          "client is a public IPv4 address") \
  X(envelope, env_client_ipv6,          "client is a public IPv6 address") \
  X(envelope, env_client_loopback,      "client is a loopback address") \
  X(envelope, env_client_private,       "client is a private / link-local / CGNAT address") \
  X(envelope, env_client_name_known,    "client host name verified by the MTA") \
  X(envelope, env_ptr_fail,             "no PTR record, or PTR lookup failed (temp)") \
  X(envelope, env_ptr_forged,           "PTR name does not resolve back to the client address") \
  X(envelope, env_helo_missing,         "no HELO/EHLO argument") \
  X(envelope, env_helo_ip_literal,      "HELO is an address literal ([1.2.3.4]) or bare IP") \
  X(envelope, env_helo_no_dot,          "HELO name has no dot") \
  X(envelope, env_helo_matches_client,  "HELO equals the verified client name") \
  X(envelope, env_helo_domain_mismatch, "HELO registrable domain differs from the client name's") \
  X(envelope, env_recipient_count,      "number of RCPT TO recipients") \
  X(envelope, env_authenticated,        "authenticated submission (SMTP AUTH)") \
  X(envelope, env_tls,                  "TLS in use on the SMTP connection") \
  X(envelope, env_null_sender,          "MAIL FROM is the null sender <>") \
  X(envelope, env_sender_from_mismatch, "MAIL FROM registrable domain differs from the From domain") \
  X(headers, hdr_count_log,             "log2(1 + top-level header fields that are neither X-*/ARC-* nor trace/auth fields)") \
  X(headers, hdr_from_missing,          "no From address") \
  X(headers, hdr_from_multiple,         "From holds more than one address") \
  X(headers, hdr_from_ip_literal,       "From domain is an IP literal") \
  X(headers, hdr_reply_to_present,      "Reply-To present") \
  X(headers, hdr_reply_to_mismatch,     "Reply-To registrable domain differs from From's") \
  X(headers, hdr_return_path_present,   "Return-Path present") \
  X(headers, hdr_return_path_mismatch,  "Return-Path registrable domain differs from From's") \
  X(headers, hdr_display_name_present,  "From has a display name") \
  X(headers, hdr_display_has_address,   "From display name contains an e-mail address") \
  X(headers, hdr_display_addr_mismatch, "address inside the display name has another domain than From") \
  X(headers, hdr_display_brand_mismatch,"display name holds a domain-like word not matching the From domain") \
  X(headers, hdr_to_missing,            "no To header") \
  X(headers, hdr_recipient_addrs,       "number of addresses in To + Cc") \
  X(headers, hdr_undisclosed,           "To is empty group / undisclosed recipients") \
  X(headers, hdr_msgid_missing,         "no Message-ID") \
  X(headers, hdr_msgid_malformed,       "Message-ID not of the form <left@right>") \
  X(headers, hdr_msgid_domain_mismatch, "Message-ID registrable domain differs from From's") \
  X(headers, hdr_msgid_random_local,    "Message-ID local part looks random (long, mixed, no separators)") \
  X(headers, hdr_date_missing,          "no Date header") \
  X(headers, hdr_date_unparseable,      "Date present but not RFC 5322 parse-able") \
  X(headers, hdr_date_skew_log,         "log2(1 + |Date - last Received timestamp| in minutes); missing when either is absent") \
  X(headers, hdr_date_after_received,   "Date more than 1 hour after the last Received timestamp") \
  X(headers, hdr_received_count,        "number of Received headers (hops)") \
  X(headers, hdr_mime_version_missing,  "no MIME-Version although the message is MIME structured") \
  X(headers, hdr_list_id,               "List-Id present") \
  X(headers, hdr_list_unsubscribe,      "List-Unsubscribe present") \
  X(headers, hdr_precedence_bulk,       "Precedence: bulk or junk") \
  X(headers, hdr_precedence_list,       "Precedence: list") \
  X(headers, hdr_auto_submitted,        "Auto-Submitted other than no") \
  X(headers, hdr_subject_missing,       "no or empty Subject") \
  X(headers, hdr_subject_length,        "Subject length in code points (capped at 300)") \
  X(headers, hdr_subject_words,         "words in Subject") \
  X(headers, hdr_subject_caps_ratio,    "upper-case share of Subject letters") \
  X(headers, hdr_subject_exclamations,  "'!' in Subject") \
  X(headers, hdr_subject_questions,     "'?' in Subject") \
  X(headers, hdr_subject_currency,      "currency signs or % in Subject") \
  X(headers, hdr_subject_non_ascii,     "non-ASCII share of Subject code points") \
  X(headers, hdr_subject_reply,         "Subject starts with Re:/Aw:/Sv: (any depth)") \
  X(headers, hdr_subject_forward,       "Subject starts with Fw:/Fwd:/Wg:/Tr:") \
  X(headers, hdr_subject_encoded_word,  "Subject uses RFC 2047 encoded-words") \
  X(headers, hdr_from_encoded_word,     "From uses RFC 2047 encoded-words") \
  X(headers, hdr_in_reply_to,           "In-Reply-To or References present") \
  X(auth, auth_spf_pass,                "Authentication-Results spf=pass") \
  X(auth, auth_spf_fail,                "Authentication-Results spf=fail/softfail") \
  X(auth, auth_spf_none,                "Authentication-Results spf=none/neutral/absent") \
  X(auth, auth_dkim_pass,               "Authentication-Results dkim=pass") \
  X(auth, auth_dkim_fail,               "Authentication-Results dkim=fail") \
  X(auth, auth_dkim_none,               "Authentication-Results dkim=none/absent") \
  X(auth, auth_dmarc_pass,              "Authentication-Results dmarc=pass") \
  X(auth, auth_dmarc_fail,              "Authentication-Results dmarc=fail") \
  X(auth, auth_dmarc_none,              "Authentication-Results dmarc=none/absent") \
  X(auth, auth_results_present,         "an Authentication-Results header is present") \
  X(auth, auth_dkim_signature,          "a DKIM-Signature header is present") \
  X(mailer, mailer_none,                "no X-Mailer / User-Agent") \
  X(mailer, mailer_outlook,             "Microsoft Outlook / Exchange / Outlook Express") \
  X(mailer, mailer_mozilla,             "Thunderbird / Mozilla / Netscape") \
  X(mailer, mailer_apple,               "Apple Mail / iPhone Mail") \
  X(mailer, mailer_unix,                "mutt, pine, elm, Gnus, Evolution, KMail, Sylpheed, git-send-email") \
  X(mailer, mailer_webmail,             "webmail (Roundcube, SquirrelMail, Horde, Gmail, Yahoo)") \
  X(mailer, mailer_bulk,                "bulk / marketing senders and mailing scripts") \
  X(mailer, mailer_script,              "programming-language libraries (PHP, Python, Perl, Java, .NET)") \
  X(mailer, mailer_other,               "any other mailer string") \
  X(structure, st_body_size_log,        "log2(1 + bytes after the top-level header section; relay headers do not count)") \
  X(structure, st_parts,                "MIME parts, containers included") \
  X(structure, st_depth,                "deepest MIME nesting level") \
  X(structure, st_text_parts,           "inline text/plain parts") \
  X(structure, st_html_parts,           "inline text/html parts") \
  X(structure, st_html_only,            "HTML but no text/plain part") \
  X(structure, st_text_html_ratio,      "plain-text share of visible characters (plain / (plain + html))") \
  X(structure, st_alternative,          "a multipart/alternative part") \
  X(structure, st_embedded_messages,    "message/rfc822 parts") \
  X(structure, st_attachments,          "attachments") \
  X(structure, st_att_executable,       "attachments that can run code (sniffed or by extension)") \
  X(structure, st_att_archive,          "archive attachments (zip, rar, 7z, gz, iso, cab, ...)") \
  X(structure, st_att_macro_office,     "macro-enabled Office documents (docm, xlsm, pptm, OLE2 with macros-capable extension)") \
  X(structure, st_att_pdf,              "PDF attachments") \
  X(structure, st_att_html,             "HTML / SVG attachments") \
  X(structure, st_att_image,            "image attachments") \
  X(structure, st_att_double_ext,       "attachment names with a double extension (invoice.pdf.exe)") \
  X(structure, st_att_type_mismatch,    "attachment whose sniffed type contradicts its extension") \
  X(structure, st_att_size_log,         "log2(1 + total attachment bytes)") \
  X(defects, def_count,                 "number of distinct MIME defects") \
  X(defects, def_missing_boundary,      "mime defect missing_boundary") \
  X(defects, def_missing_closing_boundary, "mime defect missing_closing_boundary") \
  X(defects, def_bad_base64,            "mime defect bad_base64") \
  X(defects, def_bad_qp,                "mime defect bad_qp") \
  X(defects, def_bad_uuencode,          "mime defect bad_uuencode") \
  X(defects, def_eight_bit_header,      "mime defect eight_bit_header") \
  X(defects, def_nul_byte,              "mime defect nul_byte") \
  X(defects, def_truncated,             "mime defect truncated") \
  X(defects, def_bad_charset,           "mime defect bad_charset") \
  X(defects, def_bad_encoded_word,      "mime defect bad_encoded_word") \
  X(defects, def_bad_header,            "mime defect bad_header") \
  X(defects, def_unknown_transfer_encoding, "mime defect unknown_transfer_encoding") \
  X(defects, def_depth_limit,           "mime defect depth_limit") \
  X(defects, def_part_limit,            "mime defect part_limit") \
  X(defects, def_decoded_bytes_limit,   "mime defect decoded_bytes_limit") \
  X(defects, def_header_limit,          "mime defect header_limit") \
  X(defects, def_header_size_limit,     "mime defect header_size_limit") \
  X(defects, def_html_limit,            "mime defect html_limit") \
  X(defects, def_url_limit,             "mime defect url_limit") \
  X(defects, def_missing_headers,       "mime defect missing_headers") \
  X(defects, def_duplicate_critical_header, "mime defect duplicate_critical_header") \
  X(defects, def_bare_cr_or_lf_mix,     "mime defect bare_cr_or_lf_mix") \
  X(defects, def_uuencoded_content,     "mime defect uuencoded_content") \
  X(content, ct_text_chars_log,         "log2(1 + visible text bytes, plain and HTML)") \
  X(content, ct_words_log,              "log2(1 + words in visible text)") \
  X(content, ct_caps_word_ratio,        "share of all-caps words (3+ letters) among words") \
  X(content, ct_exclamations,           "'!' in visible text (capped at 100)") \
  X(content, ct_currency,               "currency signs in visible text (capped at 100)") \
  X(content, ct_urls,                   "distinct URLs (links and plain-text URLs)") \
  X(content, ct_links,                  "HTML <a href> links (all, from the HTML statistics)") \
  X(content, ct_url_domains,            "distinct registrable domains among URL hosts") \
  X(content, ct_link_text_mismatch,     "links whose visible text names a domain other than the href's") \
  X(content, ct_url_ip_literal,         "URLs whose host is an IP address") \
  X(content, ct_url_shortener,          "URLs on a known shortener host") \
  X(content, ct_url_punycode,           "URL hosts with an xn-- label") \
  X(content, ct_url_mixed_script,       "URL hosts mixing ASCII letters and non-ASCII characters") \
  X(content, ct_url_userinfo,           "URLs with user@ before the host") \
  X(content, ct_url_port,               "URLs with an explicit port") \
  X(content, ct_url_http_share,         "share of http:// (not https) among web URLs") \
  X(content, ct_link_javascript,        "links with javascript:/data:/vbscript: href") \
  X(content, ct_link_mailto,            "mailto: links") \
  X(content, ct_link_click_here,        "links whose text is a call to action (click/here/verify/login/...)") \
  X(content, ct_forms,                  "HTML forms") \
  X(content, ct_inputs,                 "HTML input/select/textarea elements") \
  X(content, ct_password_inputs,        "HTML password inputs") \
  X(content, ct_hidden_elements,        "hidden HTML elements") \
  X(content, ct_tiny_text,              "tiny or invisible-colour HTML text elements") \
  X(content, ct_scripts,                "HTML script elements") \
  X(content, ct_images,                 "HTML images") \
  X(content, ct_iframes,                "HTML iframes") \
  X(alignment, al_from_freemail,           "From domain is a free-mail provider's (gmail.com, yahoo.com, ...)") \
  X(alignment, al_url_from_domain_share,   "share of distinct URL registrable domains that are the From domain's; missing without either") \
  X(alignment, al_url_sender_domain_share, "share of distinct URL registrable domains that are the From, Return-Path or Message-ID domain's") \
  X(alignment, al_from_domain_in_text,     "the From registrable domain is named in the visible text") \
  X(alignment, al_recipient_in_text,       "a To/Cc address (of the first 8) appears in the visible text") \
  X(pii, pii_payment_cards,             "Luhn-valid payment card numbers") \
  X(pii, pii_card_candidates_invalid,   "13-19 digit card-like numbers failing the Luhn check") \
  X(pii, pii_ibans,                     "IBANs passing the length table and mod-97 check") \
  X(pii, pii_us_ssns,                   "US SSNs (NNN-NN-NNNN, valid area/group/serial)") \
  X(pii, pii_email_addresses,           "e-mail addresses in subject and visible text") \
  X(pii, pii_phone_numbers,             "phone-number-like digit groups (7-15 digits with separators)")
// clang-format on

namespace mailtriage::features {

enum class dense : unsigned {
#define MAILTRIAGE_X(group, name, desc) name,
  MAILTRIAGE_DENSE_FEATURES(MAILTRIAGE_X)
#undef MAILTRIAGE_X
};

#define MAILTRIAGE_X(group, name, desc) +1
inline constexpr unsigned dense_count = 0 MAILTRIAGE_DENSE_FEATURES(MAILTRIAGE_X);
#undef MAILTRIAGE_X

[[nodiscard]] constexpr unsigned column(dense d) { return static_cast<unsigned>(d); }

}  // namespace mailtriage::features
