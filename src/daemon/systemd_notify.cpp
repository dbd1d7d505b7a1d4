#include "systemd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <string>

namespace mailtriage::daemon {
namespace {

void send(const std::string& state) {
  // 0: keep NOTIFY_SOCKET in the environment; failures are not fatal to mail flow.
  (void)sd_notify(0, state.c_str());
}

}  // namespace

void notify_ready(std::string_view status) { send("READY=1\nSTATUS=" + std::string(status)); }
void notify_stopping(std::string_view status) { send("STOPPING=1\nSTATUS=" + std::string(status)); }
void notify_reloading() { send("RELOADING=1\nSTATUS=reloading"); }
void notify_status(std::string_view status) { send("STATUS=" + std::string(status)); }

}  // namespace mailtriage::daemon
