// envelope_from_transaction: milter macros and connect facts -> envelope_facts.
#include <gtest/gtest.h>

#include "fixture.hpp"
#include "mailtriage/features/milter_envelope.hpp"

namespace mailtriage::features::test {
namespace {

TEST(envelope, from_postfix_macros) {
  milter::transaction t;
  t.connection.client_hostname = "[203.0.113.9]";
  t.connection.client_address = "203.0.113.9";
  t.connection.family = '4';
  t.connection.helo = "mail.sender.example";
  t.connection.macros = {{"client_addr", "203.0.113.9"}, {"client_name", "unknown"},
                         {"client_ptr", "host9.isp.example"}, {"client_resolve", "FORGED"},
                         {"tls_version", "TLSv1.3"}};
  t.macros = {{"auth_authen", "alice"}, {"i", "4AbCdE"}};
  t.sender = {"<alice@sender.example>", "SIZE=1234"};
  t.recipients = {{"<a@x.example>"}, {"<b@x.example>"}};
  envelope_facts e = envelope_from_transaction(t);
  EXPECT_TRUE(e.known);
  EXPECT_EQ(e.client_address, "203.0.113.9");
  EXPECT_EQ(e.client_name, "");  // "unknown" means not verified
  EXPECT_EQ(e.client_ptr, "host9.isp.example");
  EXPECT_EQ(e.ptr, ptr_status::forged);
  EXPECT_EQ(e.helo, "mail.sender.example");
  EXPECT_TRUE(e.authenticated);
  EXPECT_TRUE(e.tls);
  EXPECT_EQ(e.sender, "alice@sender.example");
  EXPECT_EQ(e.recipient_count, 2u);
  auto v = extract_fixture("personal_reply.eml", e).vector;
  EXPECT_EQ(value(v, dense::env_client_ipv4), 1.0f);
  EXPECT_EQ(value(v, dense::env_ptr_forged), 1.0f);
  EXPECT_EQ(value(v, dense::env_client_name_known), 0.0f);
}

TEST(envelope, null_sender_and_unix_socket) {
  milter::transaction t;
  t.connection.family = 'L';
  t.sender = {"<>"};
  envelope_facts e = envelope_from_transaction(t);
  EXPECT_EQ(e.sender, "");
  auto v = extract_fixture("personal_reply.eml", e).vector;
  EXPECT_EQ(value(v, dense::env_client_none), 1.0f);
  EXPECT_EQ(value(v, dense::env_null_sender), 1.0f);
  EXPECT_EQ(value(v, dense::env_helo_missing), 1.0f);
}

}  // namespace
}  // namespace mailtriage::features::test
