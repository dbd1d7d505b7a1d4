// Parses every file under a directory with mime::parse and reports throughput in
// messages per CPU-second (process CPU time, getrusage), plus the five slowest files.
// Usage: mailtriage_mime_bench [directory [max_html_bytes]]   (default /work/shared/corpus/train)
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "mailtriage/mime/parse.hpp"

namespace {

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double thread_cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::path("/work/shared/corpus/train");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    std::printf("corpus directory %s not found: skipping benchmark\n", dir.c_str());
    return 0;
  }
  // Load everything first so that file I/O is not measured.
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::string data(static_cast<std::size_t>(e.file_size()), '\0');
    in.read(data.data(), static_cast<std::streamsize>(data.size()));
    files.emplace_back(fs::relative(e.path(), dir).string(), std::move(data));
  }
  std::sort(files.begin(), files.end());
  std::size_t html_bytes = 0, bytes = 0, defective = 0, attachments = 0, links = 0;
  std::vector<std::pair<double, std::string>> times;
  times.reserve(files.size());
  mailtriage::mime::limits lim;
  if (argc > 2) lim.max_html_bytes = std::stoul(argv[2]);  // optional: HTML cap to try
  const double start = cpu_seconds();
  for (const auto& [name, data] : files) {
    const double t0 = thread_cpu_now();
    mailtriage::mime::message m = mailtriage::mime::parse(data, lim);
    times.emplace_back(thread_cpu_now() - t0, name);
    bytes += data.size();
    defective += m.defects.empty() ? 0 : 1;
    attachments += m.attachments.size();
    links += m.links.size() + m.urls.size();
    for (const auto& p : m.parts)
      if (p.kind == mailtriage::mime::part_kind::html) html_bytes += p.decoded_size;
  }
  const double cpu = cpu_seconds() - start;
  const double mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
  std::printf("messages: %zu\ntotal: %.1f MiB\ncpu seconds: %.3f\nmessages per cpu-second: %.0f\n"
              "MiB per cpu-second: %.1f\n",
              files.size(), mib, cpu, cpu > 0 ? static_cast<double>(files.size()) / cpu : 0.0,
              cpu > 0 ? mib / cpu : 0.0);
  std::printf("with defects: %zu, attachments: %zu, links+urls: %zu, html MiB: %.1f\n", defective, attachments,
              links, static_cast<double>(html_bytes) / (1024.0 * 1024.0));
  std::partial_sort(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(5, times.size())),
                    times.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::printf("slowest:\n");
  for (std::size_t i = 0; i < std::min<std::size_t>(5, times.size()); ++i)
    std::printf("  %8.3f ms  %s\n", times[i].first * 1e3, times[i].second.c_str());
  return 0;
}
