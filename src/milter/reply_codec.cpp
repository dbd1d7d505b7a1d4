// SMFIR_* replies: encoded by the filter, decoded by the library's client.
#include <type_traits>

#include "mailtriage/milter/codec.hpp"
#include "wire.hpp"

namespace mailtriage::milter {
namespace {

template <class T>
expected<reply, codec_error> finish(wire::reader& r, T value) {
  return wire::finish<reply>(r, std::move(value));
}

// Modifications that carry (index, name, value): SMFIR_INSHEADER, SMFIR_CHGHEADER.
template <class T>
expected<reply, codec_error> indexed_header(wire::reader& r) {
  T h;
  h.index = r.u32();
  h.name = r.cstring();
  h.value = r.cstring();
  return finish(r, std::move(h));
}

template <class T>
void put_indexed_header(std::string& out, char code, const T& h) {
  auto s = wire::begin_frame(out, code);
  wire::put_u32(out, h.index);
  wire::put_cstring(out, h.name);
  wire::put_cstring(out, h.value);
  wire::finish_frame(out, s);
}

void put_string_frame(std::string& out, char code, std::string_view value) {
  auto s = wire::begin_frame(out, code);
  wire::put_cstring(out, value);
  wire::finish_frame(out, s);
}

}  // namespace

expected<reply, codec_error> decode_reply(const frame& f) {
  wire::reader r(f.payload);
  switch (f.code) {
    case SMFIC_OPTNEG: return finish(r, wire::read_option_negotiation(r, true));
    case SMFIR_ACCEPT: return finish(r, accept{});
    case SMFIR_CONTINUE: return finish(r, continue_{});
    case SMFIR_DISCARD: return finish(r, discard{});
    case SMFIR_REJECT: return finish(r, reject{});
    case SMFIR_TEMPFAIL: return finish(r, tempfail{});
    case SMFIR_SKIP: return finish(r, skip{});
    case SMFIR_PROGRESS: return finish(r, progress{});
    case SMFIR_CONN_FAIL: return finish(r, connection_failure{});
    case SMFIR_SHUTDOWN: return finish(r, shutdown{});
    case SMFIR_REPLYCODE: {
      reply_code c{r.cstring()};
      return finish(r, std::move(c));
    }
    case SMFIR_ADDHEADER: {
      add_header h;
      h.name = r.cstring();
      h.value = r.cstring();
      return finish(r, std::move(h));
    }
    case SMFIR_INSHEADER: return indexed_header<insert_header>(r);
    case SMFIR_CHGHEADER: return indexed_header<change_header>(r);
    case SMFIR_CHGFROM: {
      change_from c;
      c.sender = r.cstring();
      if (!r.at_end()) c.esmtp_args = r.cstring();
      return finish(r, std::move(c));
    }
    case SMFIR_ADDRCPT: {
      add_recipient a{r.cstring(), std::nullopt};
      return finish(r, std::move(a));
    }
    case SMFIR_ADDRCPT_PAR: {
      add_recipient a;
      a.recipient = r.cstring();
      a.esmtp_args = r.cstring();
      return finish(r, std::move(a));
    }
    case SMFIR_DELRCPT: {
      delete_recipient d{r.cstring()};
      return finish(r, std::move(d));
    }
    case SMFIR_REPLBODY: return reply{replace_body{f.payload}};
    case SMFIR_QUARANTINE: {
      quarantine q{r.cstring()};
      return finish(r, std::move(q));
    }
    default: return unexpected{codec_error::unknown_code};
  }
}

void append_encoded(std::string& out, const reply& rep) {
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        auto empty = [&out](char code) { wire::finish_frame(out, wire::begin_frame(out, code)); };
        if constexpr (std::is_same_v<T, option_negotiation>) {
          wire::put_option_negotiation(out, v);
        } else if constexpr (std::is_same_v<T, accept>) {
          empty(SMFIR_ACCEPT);
        } else if constexpr (std::is_same_v<T, continue_>) {
          empty(SMFIR_CONTINUE);
        } else if constexpr (std::is_same_v<T, discard>) {
          empty(SMFIR_DISCARD);
        } else if constexpr (std::is_same_v<T, reject>) {
          empty(SMFIR_REJECT);
        } else if constexpr (std::is_same_v<T, tempfail>) {
          empty(SMFIR_TEMPFAIL);
        } else if constexpr (std::is_same_v<T, skip>) {
          empty(SMFIR_SKIP);
        } else if constexpr (std::is_same_v<T, progress>) {
          empty(SMFIR_PROGRESS);
        } else if constexpr (std::is_same_v<T, connection_failure>) {
          empty(SMFIR_CONN_FAIL);
        } else if constexpr (std::is_same_v<T, shutdown>) {
          empty(SMFIR_SHUTDOWN);
        } else if constexpr (std::is_same_v<T, reply_code>) {
          put_string_frame(out, SMFIR_REPLYCODE, v.text);
        } else if constexpr (std::is_same_v<T, add_header>) {
          auto s = wire::begin_frame(out, SMFIR_ADDHEADER);
          wire::put_cstring(out, v.name);
          wire::put_cstring(out, v.value);
          wire::finish_frame(out, s);
        } else if constexpr (std::is_same_v<T, insert_header>) {
          put_indexed_header(out, SMFIR_INSHEADER, v);
        } else if constexpr (std::is_same_v<T, change_header>) {
          put_indexed_header(out, SMFIR_CHGHEADER, v);
        } else if constexpr (std::is_same_v<T, change_from>) {
          auto s = wire::begin_frame(out, SMFIR_CHGFROM);
          wire::put_cstring(out, v.sender);
          if (v.esmtp_args) wire::put_cstring(out, *v.esmtp_args);
          wire::finish_frame(out, s);
        } else if constexpr (std::is_same_v<T, add_recipient>) {
          auto s = wire::begin_frame(out, v.esmtp_args ? SMFIR_ADDRCPT_PAR : SMFIR_ADDRCPT);
          wire::put_cstring(out, v.recipient);
          if (v.esmtp_args) wire::put_cstring(out, *v.esmtp_args);
          wire::finish_frame(out, s);
        } else if constexpr (std::is_same_v<T, delete_recipient>) {
          put_string_frame(out, SMFIR_DELRCPT, v.recipient);
        } else if constexpr (std::is_same_v<T, replace_body>) {
          auto s = wire::begin_frame(out, SMFIR_REPLBODY);
          out += v.data;
          wire::finish_frame(out, s);
        } else if constexpr (std::is_same_v<T, quarantine>) {
          put_string_frame(out, SMFIR_QUARANTINE, v.reason);
        } else {
          static_assert(sizeof(T) == 0, "every reply must be encodable");
        }
      },
      rep);
}

std::string encode(const reply& r) {
  std::string out;
  append_encoded(out, r);
  return out;
}

}  // namespace mailtriage::milter
