// header_index (private): the known header fields of a message found in one pass, with
// the same answers as mime::find_header / find_headers.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "header_index.hpp"
#include "mailtriage/mime/parse.hpp"

namespace mailtriage::features::detail {
namespace {

TEST(HeaderIndex, ClassifiesKnownNamesCaseInsensitively) {
  EXPECT_EQ(classify_header("From"), known_header::from);
  EXPECT_EQ(classify_header("fROM"), known_header::from);
  EXPECT_EQ(classify_header("MESSAGE-ID"), known_header::message_id);
  EXPECT_EQ(classify_header("message-id"), known_header::message_id);
  EXPECT_EQ(classify_header("authentication-results"), known_header::authentication_results);
  EXPECT_EQ(classify_header("x-newsreader"), known_header::x_newsreader);
  EXPECT_EQ(classify_header("Received-SPF"), known_header::received_spf);
  EXPECT_EQ(classify_header("Received"), known_header::received);
  EXPECT_EQ(classify_header("Receive"), known_header::other);
  EXPECT_EQ(classify_header("Fro"), known_header::other);
  EXPECT_EQ(classify_header("From "), known_header::other);
  EXPECT_EQ(classify_header(""), known_header::other);
  EXPECT_EQ(classify_header("X-Spam"), known_header::other);
  EXPECT_EQ(classify_header(std::string(200, 'a')), known_header::other);
}

TEST(HeaderIndex, AgreesWithFindHeader) {
  mime::message m = mime::parse(
      "Received: one\r\n"
      "from: First <a@example.com>\r\n"
      "To: x@example.com\r\n"
      "RECEIVED: two\r\n"
      "Cc: y@example.com\r\n"
      "FROM: second@example.com\r\n"
      "To: z@example.com\r\n"
      "X-Other: q\r\n"
      "received: three\r\n"
      "\r\nbody\r\n");
  header_index idx(m.headers);
  ASSERT_EQ(idx.first(known_header::from), m.header("From"));
  EXPECT_EQ(idx.value(known_header::from), "First <a@example.com>");
  EXPECT_EQ(idx.count(known_header::from), 2u);
  EXPECT_EQ(idx.count(known_header::received), 3u);
  EXPECT_EQ(idx.first(known_header::received)->value(), "one");
  EXPECT_EQ(idx.last(known_header::received)->value(), "three");
  EXPECT_EQ(idx.first(known_header::subject), nullptr);
  EXPECT_EQ(idx.last(known_header::subject), nullptr);
  EXPECT_EQ(idx.count(known_header::subject), 0u);
  EXPECT_EQ(idx.value(known_header::subject), "");
  std::vector<const mime::header_field*> to;
  idx.every(known_header::to, [&](const mime::header_field& f) { to.push_back(&f); });
  EXPECT_EQ(to, m.all_headers("to"));
  ASSERT_EQ(to.size(), 2u);
  EXPECT_EQ(to[1]->value(), "z@example.com");
  for (std::size_t i = 0; i < m.headers.size(); ++i)
    EXPECT_EQ(idx.kind(i), classify_header(m.headers[i].name())) << i;
  EXPECT_EQ(idx.kind(7), known_header::other);
}

}  // namespace
}  // namespace mailtriage::features::detail
