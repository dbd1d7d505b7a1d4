#include "mailtriage/milter/socket_spec.hpp"

#include <charconv>

namespace mailtriage::milter {

std::string socket_spec::to_string() const {
  switch (type) {
    case kind::unix_path: return "unix:" + path;
    case kind::inet: return "inet:" + std::to_string(port) + (host.empty() ? "" : "@" + host);
    case kind::inet6: return "inet6:" + std::to_string(port) + (host.empty() ? "" : "@[" + host + "]");
  }
  return {};
}

expected<socket_spec, std::string> parse_socket_spec(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return unexpected{"invalid socket '" + std::string(text) + "': " + std::string(why)};
  };
  socket_spec spec;
  const bool bare_path = !text.empty() && text.front() == '/';
  auto colon = bare_path ? std::string_view::npos : text.find(':');
  std::string_view scheme = colon == std::string_view::npos ? std::string_view{} : text.substr(0, colon);
  std::string_view rest = colon == std::string_view::npos ? text : text.substr(colon + 1);

  if (bare_path || scheme == "unix" || scheme == "local") {
    spec.type = socket_spec::kind::unix_path;
    if (rest.empty() || rest.front() != '/') return fail("a unix socket needs an absolute path");
    if (rest.size() >= 108) return fail("unix socket path longer than 107 bytes");
    spec.path = std::string(rest);
    return spec;
  }
  if (scheme == "inet") {
    spec.type = socket_spec::kind::inet;
  } else if (scheme == "inet6") {
    spec.type = socket_spec::kind::inet6;
  } else {
    return fail("expected inet:PORT@HOST, inet6:PORT@[ADDR] or unix:/path");
  }
  auto at = rest.find('@');
  std::string_view port_text = rest.substr(0, at);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535)
    return fail("port must be a number from 0 to 65535");
  spec.port = static_cast<std::uint16_t>(port);
  if (at != std::string_view::npos) {
    std::string_view host = rest.substr(at + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) return fail("empty host after '@'");
    spec.host = std::string(host);
  }
  return spec;
}

}  // namespace mailtriage::milter
