#pragma once
// Tells systemd (Type=notify) where the daemon is in its life: READY=1 once it
// serves, STOPPING=1 when it drains, STATUS= lines for `systemctl status`. A no-op
// when not started by systemd (no NOTIFY_SOCKET). Thread-safe.
#include <string_view>

namespace mailtriage::daemon {

void notify_ready(std::string_view status);
void notify_stopping(std::string_view status);
void notify_reloading();
void notify_status(std::string_view status);

}  // namespace mailtriage::daemon
