// SMFIC_* commands: decoded by the filter, encoded by the library's client.
#include <algorithm>
#include <type_traits>

#include "mailtriage/milter/codec.hpp"
#include "wire.hpp"

namespace mailtriage::milter {
namespace {

template <class T>
expected<command, codec_error> finish(wire::reader& r, T value) {
  return wire::finish<command>(r, std::move(value));
}

// Reads NUL-terminated strings until the payload ends (SMFIC_MAIL, SMFIC_RCPT).
std::vector<std::string> read_strings(wire::reader& r) {
  std::vector<std::string> out;
  while (!r.at_end() && !r.failed()) out.push_back(r.cstring());
  return out;
}

}  // namespace

expected<command, codec_error> decode_command(const frame& f) {
  return decode_command(frame_view{f.code, f.payload});
}

std::optional<codec_error> decode_command_into(const frame_view& f, command& into) {
  // Headers and body chunks come many to a message: their strings are assigned into the
  // ones `into` already holds, so after the first of each kind no allocation is needed.
  switch (f.code) {
    case SMFIC_HEADER: {
      wire::reader r(f.payload);
      std::string_view name = r.cstring_view();
      std::string_view value = r.cstring_view();
      r.expect_end();
      if (r.failed()) return r.error();
      auto* h = std::get_if<header>(&into);
      if (!h) h = &into.emplace<header>();
      h->name.assign(name);
      h->value.assign(value);
      return std::nullopt;
    }
    case SMFIC_BODY: {
      auto* b = std::get_if<body_chunk>(&into);
      if (!b) b = &into.emplace<body_chunk>();
      b->data.assign(f.payload);
      return std::nullopt;
    }
    case SMFIC_BODYEOB: {
      auto* e = std::get_if<end_of_message>(&into);
      if (!e) e = &into.emplace<end_of_message>();
      e->data.assign(f.payload);
      return std::nullopt;
    }
    default: {
      auto c = decode_command(f);
      if (!c) return c.error();
      into = std::move(c.value());
      return std::nullopt;
    }
  }
}

expected<command, codec_error> decode_command(const frame_view& f) {
  wire::reader r(f.payload);
  switch (f.code) {
    case SMFIC_OPTNEG: return finish(r, wire::read_option_negotiation(r, false));
    case SMFIC_MACRO: {
      define_macros m;
      m.for_command = r.byte();
      // Straight into the pairs, sized once (a frame comes before every stage and, from
      // Postfix's cleanup, before every header).
      const std::string_view strings = r.unread();
      m.macros.reserve(static_cast<std::size_t>(std::count(strings.begin(), strings.end(), '\0')) / 2);
      while (!r.at_end() && !r.failed()) {
        std::string name = r.cstring();
        // An odd count means a name without its value; Sendmail and libmilter ignore the
        // dangling name, and so do we.
        if (r.at_end() || r.failed()) break;
        m.macros.emplace_back(std::move(name), r.cstring());
      }
      if (r.failed()) return unexpected{r.error()};
      return command{std::move(m)};
    }
    case SMFIC_CONNECT: {
      connect_info c;
      c.hostname = r.cstring();
      c.family = r.byte();
      if (r.failed()) return unexpected{r.error()};
      if (c.family == SMFIA_INET || c.family == SMFIA_INET6 || c.family == SMFIA_UNIX) {
        c.port = r.u16();
        c.address = r.cstring();
      } else if (c.family != SMFIA_UNKNOWN) {
        return unexpected{codec_error::bad_family};
      }
      return finish(r, std::move(c));
    }
    case SMFIC_HELO: {
      helo h{r.cstring()};
      return finish(r, std::move(h));
    }
    case SMFIC_MAIL:
    case SMFIC_RCPT: {
      auto args = read_strings(r);
      if (r.failed()) return unexpected{r.error()};
      if (args.empty()) return unexpected{codec_error::missing_argument};
      if (f.code == SMFIC_MAIL) return command{mail_from{std::move(args)}};
      return command{rcpt_to{std::move(args)}};
    }
    case SMFIC_DATA: return finish(r, data_command{});
    case SMFIC_HEADER:
    case SMFIC_BODY:
    case SMFIC_BODYEOB: {  // decoded in one place, decode_command_into
      command c;
      if (auto error = decode_command_into(f, c)) return unexpected{*error};
      return c;
    }
    case SMFIC_EOH: return finish(r, end_of_headers{});
    case SMFIC_ABORT: return finish(r, abort_message{});
    case SMFIC_QUIT: return finish(r, quit{});
    case SMFIC_QUIT_NC: return finish(r, quit_new_connection{});
    case SMFIC_UNKNOWN: {
      unknown_command u{r.cstring()};
      return finish(r, std::move(u));
    }
    default: return unexpected{codec_error::unknown_code};
  }
}

std::string encode(const command& c) {
  std::string out;
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, option_negotiation>) {
          wire::put_option_negotiation(out, v);
        } else if constexpr (std::is_same_v<T, define_macros>) {
          auto s = wire::begin_frame(out, SMFIC_MACRO);
          out += v.for_command;
          for (const auto& [name, value] : v.macros) {
            wire::put_cstring(out, name);
            wire::put_cstring(out, value);
          }
          wire::finish_frame(out, s);
        } else if constexpr (std::is_same_v<T, connect_info>) {
          auto s = wire::begin_frame(out, SMFIC_CONNECT);
          wire::put_cstring(out, v.hostname);
          out += v.family;
          if (v.family != SMFIA_UNKNOWN) {
            wire::put_u16(out, v.port);
            wire::put_cstring(out, v.address);
          }
          wire::finish_frame(out, s);
        } else if constexpr (std::is_same_v<T, helo>) {
          auto s = wire::begin_frame(out, SMFIC_HELO);
          wire::put_cstring(out, v.name);
          wire::finish_frame(out, s);
        } else if constexpr (std::is_same_v<T, mail_from> || std::is_same_v<T, rcpt_to>) {
          auto s = wire::begin_frame(out, std::is_same_v<T, mail_from> ? SMFIC_MAIL : SMFIC_RCPT);
          for (const auto& a : v.args) wire::put_cstring(out, a);
          wire::finish_frame(out, s);
        } else if constexpr (std::is_same_v<T, data_command>) {
          wire::finish_frame(out, wire::begin_frame(out, SMFIC_DATA));
        } else if constexpr (std::is_same_v<T, header>) {
          auto s = wire::begin_frame(out, SMFIC_HEADER);
          wire::put_cstring(out, v.name);
          wire::put_cstring(out, v.value);
          wire::finish_frame(out, s);
        } else if constexpr (std::is_same_v<T, end_of_headers>) {
          wire::finish_frame(out, wire::begin_frame(out, SMFIC_EOH));
        } else if constexpr (std::is_same_v<T, body_chunk>) {
          auto s = wire::begin_frame(out, SMFIC_BODY);
          out += v.data;
          wire::finish_frame(out, s);
        } else if constexpr (std::is_same_v<T, end_of_message>) {
          auto s = wire::begin_frame(out, SMFIC_BODYEOB);
          out += v.data;
          wire::finish_frame(out, s);
        } else if constexpr (std::is_same_v<T, abort_message>) {
          wire::finish_frame(out, wire::begin_frame(out, SMFIC_ABORT));
        } else if constexpr (std::is_same_v<T, quit>) {
          wire::finish_frame(out, wire::begin_frame(out, SMFIC_QUIT));
        } else if constexpr (std::is_same_v<T, quit_new_connection>) {
          wire::finish_frame(out, wire::begin_frame(out, SMFIC_QUIT_NC));
        } else if constexpr (std::is_same_v<T, unknown_command>) {
          auto s = wire::begin_frame(out, SMFIC_UNKNOWN);
          wire::put_cstring(out, v.line);
          wire::finish_frame(out, s);
        } else {
          static_assert(sizeof(T) == 0, "every command must be encodable");
        }
      },
      c);
  return out;
}

}  // namespace mailtriage::milter
