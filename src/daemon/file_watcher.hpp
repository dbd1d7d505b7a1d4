#pragma once
// Tells the daemon that a file it depends on changed: inotify (Linux) on the
// directories holding the watched files, read through an Asio descriptor, with one
// callback per burst of changes.
//
// Directories, not files, are watched: an editor's or installer's rename-over replaces
// the inode, and a Kubernetes ConfigMap update swaps a `..data` symlink beside the file.
// Each watched path's symlink chain is resolved, and the directory holding every link
// of the chain is watched for that link's name; the chain is resolved again after each
// burst of events, so a swapped symlink's new target is followed. A path that does not
// exist (deleted; not created yet) is watched through its nearest existing ancestor, so
// its (re)creation is seen.
//
// Debounce: the callback runs once `debounce` after the last relevant event (a
// multi-file copy is one change), and at the latest 10 x debounce after the first one
// (a file rewritten forever still gets reloaded).
//
// Thread-safety: not thread-safe; call it and receive callbacks on one executor (a
// strand or a single-threaded io_context). Lifetime: the callback is never called after
// stop() or destruction; pending asynchronous work keeps internal state alive, not the
// watcher.
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <utility>  // before Asio: Boost 1.74 needs std::exchange

#include <boost/asio/any_io_executor.hpp>

namespace mailtriage::daemon {

struct watch_target {
  std::filesystem::path path;
  // A directory whose every entry matters (a model bundle); otherwise one file.
  bool directory = false;
};

class file_watcher {
 public:
  // Called with the first changed path of the burst (for the log line).
  using callback = std::function<void(const std::string& changed)>;

  // Throws std::system_error when inotify cannot be initialised.
  file_watcher(boost::asio::any_io_executor executor, callback on_change);
  ~file_watcher();
  file_watcher(const file_watcher&) = delete;
  file_watcher& operator=(const file_watcher&) = delete;

  // Replaces what is watched (and the debounce); starts reading on first use. Paths
  // that cannot be watched are logged once each and skipped.
  void watch(std::vector<watch_target> targets, std::chrono::milliseconds debounce);
  // Stops watching; no callback runs afterwards. Safe to call twice.
  void stop();

  struct state;  // private, shared with pending asynchronous operations

 private:
  std::shared_ptr<state> state_;
};

}  // namespace mailtriage::daemon
