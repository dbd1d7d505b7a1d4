#pragma once
// Running as the daemon's own unprivileged user (milter.user), as opendkim's UserID
// does: resolve the names at start-up (an unknown name is a configuration error),
// let the server give the unix socket to that user and milter.socket_group, then drop
// root for good (supplementary groups, gid, uid) before any mail is read.
//
// Under systemd the unit already starts the daemon as User=mailtriage; milter.user is
// for init systems and containers that start it as root. Not thread-safe: call from
// main before any thread is started.
#include <optional>
#include <string>
#include <sys/types.h>

#include "mailtriage/config/config.hpp"
#include "mailtriage/milter/server.hpp"

namespace mailtriage::daemon {

struct run_identity {
  std::optional<uid_t> uid;  // milter.user
  std::optional<gid_t> gid;  // milter.user's primary group
  std::string user;
  std::optional<gid_t> socket_gid;  // milter.socket_group, else the user's group
};

// config::config_error when a name is not in the user/group database.
[[nodiscard]] run_identity resolve_identity(const config::milter_settings& m);

// The socket's owner and group for milter::server_options.
void apply_socket_owner(const run_identity& id, milter::server_options& o);

// After the socket is bound. As root with milter.user: switches to that user and
// checks root cannot be regained. Already that user: nothing to do. Another non-root
// user with milter.user set: std::runtime_error (it cannot switch). As root without
// milter.user: keeps running and logs a warning.
void drop_privileges(const run_identity& id);

}  // namespace mailtriage::daemon
