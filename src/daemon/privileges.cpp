#include "privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "mailtriage/util/log.hpp"

namespace mailtriage::daemon {
namespace {

std::runtime_error failed(const std::string& what) {
  return std::runtime_error("cannot drop privileges: " + what + ": " + std::strerror(errno));
}

}  // namespace

run_identity resolve_identity(const config::milter_settings& m) {
  run_identity id;
  if (!m.user.empty()) {
    errno = 0;
    const passwd* pw = ::getpwnam(m.user.c_str());
    if (!pw) throw config::config_error("milter.user: no such user '" + m.user + "'");
    id.uid = pw->pw_uid;
    id.gid = pw->pw_gid;
    id.user = m.user;
    if (id.uid == 0u) throw config::config_error("milter.user: '" + m.user + "' is root; name an unprivileged user");
  }
  if (!m.socket_group.empty()) {
    const group* gr = ::getgrnam(m.socket_group.c_str());
    if (!gr) throw config::config_error("milter.socket_group: no such group '" + m.socket_group + "'");
    id.socket_gid = gr->gr_gid;
  } else {
    id.socket_gid = id.gid;
  }
  return id;
}

void apply_socket_owner(const run_identity& id, milter::server_options& o) {
  if (id.uid) o.socket_uid = *id.uid;
  if (id.socket_gid) o.socket_gid = *id.socket_gid;
}

void drop_privileges(const run_identity& id) {
  const uid_t euid = ::geteuid();
  if (!id.uid) {
    if (euid == 0)
      log::warning("running_as_root", {{"detail", "set milter.user (or User= in the systemd unit) so the "
                                                  "daemon that parses hostile mail has no privileges"}});
    return;
  }
  if (euid != 0) {
    if (euid == *id.uid && ::getuid() == *id.uid) return;  // e.g. systemd's User= already did it
    throw std::runtime_error("milter.user is '" + id.user + "' but the daemon was started as uid " +
                             std::to_string(euid) + ", which cannot switch users; start it as root or as '" +
                             id.user + "'");
  }
  // Supplementary groups first (needs root), then the gid, then the uid (after which
  // nothing else can be changed).
  if (::initgroups(id.user.c_str(), *id.gid) != 0) throw failed("initgroups");
  if (::setresgid(*id.gid, *id.gid, *id.gid) != 0) throw failed("setresgid");
  if (::setresuid(*id.uid, *id.uid, *id.uid) != 0) throw failed("setresuid");
  errno = EPERM;
  if (::setuid(0) == 0 || ::geteuid() == 0) throw failed("root could be regained after setresuid");
  log::info("privileges_dropped", {{"user", id.user}, {"uid", static_cast<std::uint64_t>(*id.uid)},
                                   {"gid", static_cast<std::uint64_t>(*id.gid)}});
}

}  // namespace mailtriage::daemon
