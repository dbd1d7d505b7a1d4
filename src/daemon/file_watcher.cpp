#include "file_watcher.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <system_error>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "mailtriage/util/log.hpp"

namespace mailtriage::daemon {
namespace asio = boost::asio;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

// What replaces a file or a directory entry, whichever way it is done: written in place
// (CLOSE_WRITE), renamed over or away (MOVED_TO/FROM), created, deleted, chmod/touch
// (ATTRIB); the watched directory itself going away (DELETE_SELF/MOVE_SELF).
constexpr std::uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB |
                                IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
constexpr int kMaxSymlinkHops = 40;  // as the kernel's ELOOP limit
constexpr int kMaxDebounceFactor = 10;

// Names in one directory that matter; `any`: every entry does.
struct interest {
  bool any = false;
  std::set<std::string> names;
};
using interest_map = std::map<fs::path, interest>;

// Notes the directory and name of every link in `path`'s symlink chain and of the
// final target; for a directory target, every entry in it too.
void note_chain(interest_map& out, const fs::path& path, bool directory) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();  // "dir/"
  for (int hop = 0; hop < kMaxSymlinkHops; ++hop) {
    std::vector<fs::path> parts(p.begin(), p.end());
    fs::path prefix;
    bool followed = false;
    for (std::size_t i = 0; i < parts.size() && !followed; ++i) {
      fs::path next = prefix / parts[i];
      if (i > 0 && fs::is_symlink(next, ec)) {
        out[prefix].names.insert(parts[i].string());
        fs::path target = fs::read_symlink(next, ec);
        if (ec) break;
        fs::path resolved = target.is_absolute() ? target : prefix / target;
        for (std::size_t j = i + 1; j < parts.size(); ++j) resolved /= parts[j];
        p = resolved.lexically_normal();
        if (!p.has_filename()) p = p.parent_path();
        followed = true;
      }
      prefix = next;
    }
    if (!followed) break;
  }
  out[p.parent_path()].names.insert(p.filename().string());
  if (directory) out[p].any = true;
}

// Directories that do not exist are replaced by their nearest existing ancestor,
// watched for the name leading towards them.
interest_map existing_only(const interest_map& wanted) {
  interest_map out;
  for (const auto& [dir, what] : wanted) {
    std::error_code ec;
    fs::path d = dir;
    if (fs::is_directory(d, ec)) {
      auto& o = out[d];
      o.any = o.any || what.any;
      o.names.insert(what.names.begin(), what.names.end());
      continue;
    }
    while (d.has_parent_path() && d.parent_path() != d) {
      std::string name = d.filename().string();
      d = d.parent_path();
      if (fs::is_directory(d, ec)) {
        out[d].names.insert(name);
        break;
      }
    }
  }
  return out;
}

}  // namespace

struct file_watcher::state : std::enable_shared_from_this<state> {
  state(asio::any_io_executor ex, callback cb) : descriptor(ex), timer(ex), on_change(std::move(cb)) {}

  asio::posix::stream_descriptor descriptor;
  asio::steady_timer timer;
  callback on_change;
  bool stopped = false;
  bool reading = false;

  std::vector<watch_target> targets;
  std::chrono::milliseconds debounce{500};
  interest_map wanted;                         // directory -> names that matter in it
  std::map<int, std::vector<fs::path>> dirs_of;  // watch descriptor -> directories
  std::map<fs::path, int> wd_of;
  std::set<fs::path> reported_failures;  // log each unwatchable directory once

  // The current burst of changes.
  bool burst = false;
  clock_type::time_point burst_start;
  std::string burst_path;
  std::uint64_t generation = 0;

  alignas(inotify_event) std::array<char, 64 * 1024> buffer{};

  // Resolves the targets and adds/removes watches; true when the tree changed meanwhile.
  bool arm();
  void apply_watches();
  void read();
  void process(std::size_t bytes);
  void changed(const std::string& path);
};

bool file_watcher::state::arm() {
  // A directory created between resolving and adding its parent's watch would go
  // unseen: resolve again until nothing moved (bounded; a change is then reported).
  for (int round = 0; round < 4; ++round) {
    interest_map all;
    for (const auto& t : targets) note_chain(all, t.path, t.directory);
    interest_map now = existing_only(all);
    if (round > 0 && now.size() == wanted.size() &&
        std::equal(now.begin(), now.end(), wanted.begin(),
                   [](const auto& a, const auto& b) { return a.first == b.first && a.second.any == b.second.any &&
                                                             a.second.names == b.second.names; }))
      return round > 1;
    wanted = std::move(now);
    apply_watches();
  }
  return true;
}

void file_watcher::state::apply_watches() {
  const int fd = descriptor.native_handle();
  for (auto it = wd_of.begin(); it != wd_of.end();) {
    if (wanted.contains(it->first)) {
      ++it;
      continue;
    }
    auto& dirs = dirs_of[it->second];
    std::erase(dirs, it->first);
    if (dirs.empty()) {
      ::inotify_rm_watch(fd, it->second);
      dirs_of.erase(it->second);
    }
    it = wd_of.erase(it);
  }
  for (const auto& [dir, what] : wanted) {
    if (wd_of.contains(dir)) continue;
    int wd = ::inotify_add_watch(fd, dir.c_str(), kMask);
    if (wd < 0) {
      if (reported_failures.insert(dir).second)
        log::warning("watch_failed", {{"path", dir.string()}, {"error", std::strerror(errno)}});
      continue;
    }
    reported_failures.erase(dir);
    wd_of[dir] = wd;
    auto& dirs = dirs_of[wd];  // the same inode reached by two paths shares one wd
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
  }
}

void file_watcher::state::read() {
  descriptor.async_read_some(asio::buffer(buffer), [self = shared_from_this()](boost::system::error_code ec,
                                                                              std::size_t n) {
    if (self->stopped) return;
    if (ec) {
      // Not expected while running: say so once; SIGHUP still reloads.
      log::error("watch_stopped", {{"error", ec.message()}});
      return;
    }
    self->process(n);
    self->read();
  });
}

void file_watcher::state::process(std::size_t bytes) {
  bool rearm = false;
  std::string first;
  for (std::size_t off = 0; off + sizeof(inotify_event) <= bytes;) {
    const auto* ev = reinterpret_cast<const inotify_event*>(buffer.data() + off);
    off += sizeof(inotify_event) + ev->len;
    if (ev->mask & IN_Q_OVERFLOW) {
      // Events were lost: assume the worst.
      rearm = true;
      if (first.empty()) first = "<inotify queue overflow>";
      continue;
    }
    auto dirs = dirs_of.find(ev->wd);
    if (dirs == dirs_of.end()) continue;
    if (ev->mask & IN_IGNORED) {  // the directory is gone: watch what replaces it
      for (const auto& d : dirs->second) wd_of.erase(d);
      dirs_of.erase(dirs);
      rearm = true;
      continue;
    }
    if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) rearm = true;
    if (ev->len == 0) continue;
    const std::string name(ev->name);  // NUL-padded to len
    for (const auto& d : dirs->second) {
      auto w = wanted.find(d);
      if (w == wanted.end() || !(w->second.any || w->second.names.contains(name))) continue;
      rearm = true;
      if (first.empty()) first = (d / name).string();
    }
  }
  // Follow swapped symlinks and (re)created directories at once, so files written into
  // a new directory during the debounce are seen too.
  if (rearm && arm() && first.empty()) first = "<directory changed while watching>";
  if (!first.empty()) changed(first);
}

void file_watcher::state::changed(const std::string& path) {
  auto now = clock_type::now();
  if (!burst) {
    burst = true;
    burst_start = now;
    burst_path = path;
  }
  auto deadline = std::min(now + debounce, burst_start + kMaxDebounceFactor * debounce);
  timer.expires_at(deadline);  // cancels the previous wait
  timer.async_wait([self = shared_from_this(), gen = ++generation](boost::system::error_code ec) {
    if (ec || self->stopped || gen != self->generation) return;
    self->burst = false;
    std::string p = std::move(self->burst_path);
    if (self->on_change) self->on_change(p);
  });
}

file_watcher::file_watcher(asio::any_io_executor executor, callback on_change)
    : state_(std::make_shared<state>(executor, std::move(on_change))) {
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "inotify_init1");
  state_->descriptor.assign(fd);
}

file_watcher::~file_watcher() { stop(); }

void file_watcher::watch(std::vector<watch_target> targets, std::chrono::milliseconds debounce) {
  if (state_->stopped) return;
  state_->targets = std::move(targets);
  state_->debounce = debounce;
  (void)state_->arm();
  if (!state_->reading) {
    state_->reading = true;
    state_->read();
  }
}

void file_watcher::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  state_->on_change = nullptr;
  boost::system::error_code ignored;
  state_->timer.cancel();
  state_->descriptor.close(ignored);  // removes every watch
}

}  // namespace mailtriage::daemon
