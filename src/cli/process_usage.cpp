#include "process_usage.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace mailtriage::cli {
namespace {

struct stat_fields {
  pid_t ppid = 0;
  unsigned long utime = 0, stime = 0;
  long cutime = 0, cstime = 0;
};

std::optional<stat_fields> read_stat(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  // Fields after the command name, which is in parentheses and may contain spaces.
  auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 > line.size()) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  stat_fields f;
  for (int i = 3; rest >> field; ++i) {  // field 3 is the state
    if (i == 4) f.ppid = static_cast<pid_t>(std::stol(field));
    if (i == 14) f.utime = std::stoul(field);
    if (i == 15) f.stime = std::stoul(field);
    if (i == 16) f.cutime = std::stol(field);
    if (i == 17) {
      f.cstime = std::stol(field);
      break;
    }
  }
  return f;
}

long read_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

double ticks_to_seconds(double ticks) { return ticks / static_cast<double>(sysconf(_SC_CLK_TCK)); }

}  // namespace

std::optional<process_usage> read_process_tree_usage(pid_t root) {
  auto root_stat = read_stat(root);
  if (!root_stat) return std::nullopt;
  // Parent of every process on the system, to walk down from the root.
  std::multimap<pid_t, pid_t> children;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto pid = static_cast<pid_t>(std::stol(name));
    if (auto f = read_stat(pid)) children.emplace(f->ppid, pid);
  }
  process_usage u;
  double ticks = 0;
  std::vector<pid_t> todo{root};
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    auto f = p == root ? root_stat : read_stat(p);
    if (!f) continue;  // exited meanwhile
    ticks += static_cast<double>(f->utime + f->stime) + static_cast<double>(f->cutime + f->cstime);
    u.rss_kib += read_rss_kib(p);
    auto [from, to] = children.equal_range(p);
    for (auto it = from; it != to; ++it) todo.push_back(it->second);
  }
  u.cpu_seconds = ticks_to_seconds(ticks);
  return u;
}

}  // namespace mailtriage::cli
