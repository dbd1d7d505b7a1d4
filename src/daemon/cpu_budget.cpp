#include "cpu_budget.hpp"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <thread>

namespace mailtriage::daemon {
namespace {

std::optional<unsigned long long> parse_number(std::string_view s) {
  unsigned long long v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string_view trim_line_end(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A small pseudo-file's content, or "" when it cannot be read.
std::string read_small_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::string content(4096, '\0');
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  content.resize(static_cast<std::size_t>(in.gcount()));
  return content;
}

}  // namespace

std::optional<unsigned> cpus_from_cpu_max(std::string_view content) {
  content = trim_line_end(content);
  const auto space = content.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto quota = parse_number(content.substr(0, space));  // "max": no limit
  const auto period = parse_number(content.substr(space + 1));
  if (!quota || !period || *quota == 0 || *period == 0) return std::nullopt;
  const unsigned long long cpus = (*quota + *period - 1) / *period;
  return static_cast<unsigned>(std::min<unsigned long long>(cpus, 1u << 20));
}

std::optional<std::string> cgroup_v2_path(std::string_view proc_self_cgroup) {
  std::size_t at = 0;
  while (at < proc_self_cgroup.size()) {
    auto eol = proc_self_cgroup.find('\n', at);
    if (eol == std::string_view::npos) eol = proc_self_cgroup.size();
    const std::string_view line = proc_self_cgroup.substr(at, eol - at);
    if (line.starts_with("0::/")) return std::string(line.substr(3));
    at = eol + 1;
  }
  return std::nullopt;
}

unsigned usable_cpus() { return usable_cpus(read_small_file("/proc/self/cgroup"), "/sys/fs/cgroup"); }

unsigned usable_cpus(std::string_view proc_self_cgroup, const std::string& cgroup_root) {
  unsigned cpus = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) cpus = static_cast<unsigned>(CPU_COUNT(&set));
  if (cpus == 0) cpus = std::max(1u, std::thread::hardware_concurrency());  // more CPUs than a cpu_set_t holds
  if (auto path = cgroup_v2_path(proc_self_cgroup)) {
    // From the process's cgroup up to the root: a limit anywhere above it bounds it too
    // (a slice's CPUQuota=). The root itself has no cpu.max.
    std::string dir = cgroup_root + *path;
    while (dir.size() > cgroup_root.size() && dir.back() == '/') dir.pop_back();
    while (true) {
      if (auto limit = cpus_from_cpu_max(read_small_file(dir + "/cpu.max"))) cpus = std::min(cpus, *limit);
      if (dir.size() <= cgroup_root.size()) break;
      dir.erase(dir.rfind('/'));
    }
  }
  return cpus;  // at least 1: a limit rounded up is never below one CPU
}

std::size_t default_worker_threads(unsigned usable_cpus, std::size_t io_threads) {
  return usable_cpus > io_threads ? usable_cpus - io_threads : 1;
}

}  // namespace mailtriage::daemon
