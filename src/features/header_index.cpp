#include "header_index.hpp"

#include "mailtriage/util/ascii.hpp"

namespace mailtriage::features::detail {
namespace {

struct known_name {
  std::string_view name;
  known_header kind;
};

// Sorted by length, so that a name is only compared with those of its own length.
constexpr known_name kNames[] = {
    {"To", known_header::to},
    {"Cc", known_header::cc},
    {"From", known_header::from},
    {"Date", known_header::date},
    {"List-Id", known_header::list_id},
    {"Subject", known_header::subject},
    {"Reply-To", known_header::reply_to},
    {"Received", known_header::received},
    {"X-Mailer", known_header::x_mailer},
    {"Message-ID", known_header::message_id},
    {"Precedence", known_header::precedence},
    {"References", known_header::references},
    {"User-Agent", known_header::user_agent},
    {"Return-Path", known_header::return_path},
    {"In-Reply-To", known_header::in_reply_to},
    {"MIME-Version", known_header::mime_version},
    {"X-Newsreader", known_header::x_newsreader},
    {"Delivered-To", known_header::delivered_to},
    {"Received-SPF", known_header::received_spf},
    {"Auto-Submitted", known_header::auto_submitted},
    {"DKIM-Signature", known_header::dkim_signature},
    {"List-Unsubscribe", known_header::list_unsubscribe},
    {"Authentication-Results", known_header::authentication_results},
};
static_assert(std::size(kNames) == known_header_count);

constexpr std::size_t kMaxLength = 22;

// [first, last) range of kNames per name length.
struct length_range {
  std::uint8_t begin = 0, end = 0;
};
constexpr std::array<length_range, kMaxLength + 1> make_ranges() {
  std::array<length_range, kMaxLength + 1> r{};
  for (std::size_t i = 0; i < std::size(kNames); ++i) {
    const std::size_t n = kNames[i].name.size();
    if (n > kMaxLength) throw "kMaxLength too small";
    if (i > 0 && kNames[i - 1].name.size() > n) throw "kNames not sorted by length";
    if (r[n].end == 0) r[n].begin = static_cast<std::uint8_t>(i);
    r[n].end = static_cast<std::uint8_t>(i + 1);
  }
  return r;
}
constexpr std::array<length_range, kMaxLength + 1> kRanges = make_ranges();

}  // namespace

known_header classify_header(std::string_view name) {
  if (name.size() > kMaxLength) return known_header::other;
  const length_range r = kRanges[name.size()];
  for (std::size_t i = r.begin; i < r.end; ++i)
    if (util::iequals(name, kNames[i].name)) return kNames[i].kind;
  return known_header::other;
}

header_index::header_index(const std::vector<mime::header_field>& headers) : headers_(&headers) {
  kinds_.reserve(headers.size());
  for (const mime::header_field& f : headers) {
    const known_header k = classify_header(f.name());
    kinds_.push_back(k);
    if (k == known_header::other) continue;
    entry& e = slots_[static_cast<std::size_t>(k)];
    if (e.first == nullptr) e.first = &f;
    e.last = &f;
    ++e.count;
  }
}

}  // namespace mailtriage::features::detail
