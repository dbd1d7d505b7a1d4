#pragma once
// Content-Transfer-Encoding decoders (private). Pure functions, thread-safe. Every decoder
// stops once `cap` output bytes are produced and reports that through `capped`.
#include <cstddef>
#include <string>
#include <string_view>

namespace mailtriage::mime::detail {

struct decoded {
  std::string bytes;
  bool bad = false;     // malformed input was seen (skipped or kept literally)
  bool capped = false;  // output reached `cap`; the rest of the input was not decoded
};

// Base64, tolerant: characters outside the alphabet (other than whitespace) are skipped
// and flagged, as are data after padding and a dangling final group.
[[nodiscard]] decoded decode_base64(std::string_view in, std::size_t cap);
// What decode_base64(in, cap) reports, without producing the bytes: the size of its
// output and its flags, exactly. An attachment needs only its size and its first bytes
// (for sniffing), and producing a large one's bytes was most of the work of parsing it.
struct decoded_extent {
  std::size_t size = 0;
  bool bad = false;
  bool capped = false;
};
[[nodiscard]] decoded_extent measure_base64(std::string_view in, std::size_t cap);
// Quoted-printable: soft line breaks removed, "=XX" decoded (either hex case); a '='
// not followed by two hex digits is kept literally and flagged. Line ends become "\n".
[[nodiscard]] decoded decode_qp(std::string_view in, std::size_t cap);
// RFC 2047 "Q" encoding: QP plus '_' meaning space, no line structure.
[[nodiscard]] decoded decode_q(std::string_view in);
// 7bit/8bit/binary: a copy (up to cap).
[[nodiscard]] decoded copy_identity(std::string_view in, std::size_t cap);

// One uuencoded block found in a text: "begin <mode> <name>" ... "end".
struct uu_block {
  std::size_t begin = 0;  // offset of the "begin" line in the scanned text
  std::size_t end = 0;    // offset just past the "end" line (or the text end)
  std::string filename;
  decoded data;
};
// Finds the first uuencoded block at or after `from`, decoding at most `cap` bytes.
// Returns false when there is none. Linear in the scanned length.
[[nodiscard]] bool find_uuencoded(std::string_view text, std::size_t from, std::size_t cap, uu_block& out);

}  // namespace mailtriage::mime::detail
