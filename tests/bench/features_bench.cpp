// Runs mime::parse + features::extract over every file under a directory and reports
// messages, MiB, CPU seconds (process, getrusage), messages per CPU-second, the share of
// time spent in extract, and the five slowest messages.
// Usage: mailtriage_features_bench [directory]   (default /work/shared/corpus/train)
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "mailtriage/features/extract.hpp"
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
  std::vector<std::pair<std::string, std::string>> files;  // loaded first: I/O is not measured
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::string data(static_cast<std::size_t>(e.file_size()), '\0');
    in.read(data.data(), static_cast<std::streamsize>(data.size()));
    files.emplace_back(fs::relative(e.path(), dir).string(), std::move(data));
  }
  std::sort(files.begin(), files.end());
  std::size_t bytes = 0, nnz = 0;
  double extract_seconds = 0;
  std::vector<std::pair<double, std::string>> times;
  times.reserve(files.size());
  const mailtriage::features::envelope_facts env{};
  const double start = cpu_seconds();
  for (const auto& [name, data] : files) {
    const double t0 = thread_cpu_now();
    mailtriage::mime::message m = mailtriage::mime::parse(data);
    const double t1 = thread_cpu_now();
    mailtriage::features::feature_vector v = mailtriage::features::extract(m, env);
    const double t2 = thread_cpu_now();
    extract_seconds += t2 - t1;
    times.emplace_back(t2 - t0, name);
    bytes += data.size();
    nnz += v.indices.size();
  }
  const double cpu = cpu_seconds() - start;
  const auto n = static_cast<double>(files.size());
  std::printf("messages            %zu\n", files.size());
  std::printf("MiB                 %.1f\n", static_cast<double>(bytes) / (1024.0 * 1024.0));
  std::printf("CPU seconds         %.3f (extract: %.3f)\n", cpu, extract_seconds);
  std::printf("messages/CPU-second %.0f (parse + extract)\n", cpu > 0 ? n / cpu : 0.0);
  std::printf("mean non-zeros      %.1f\n", n > 0 ? static_cast<double>(nnz) / n : 0.0);
  std::sort(times.begin(), times.end(), std::greater<>());
  std::printf("slowest:\n");
  for (std::size_t i = 0; i < std::min<std::size_t>(5, times.size()); ++i)
    std::printf("  %8.3f ms  %s\n", times[i].first * 1e3, times[i].second.c_str());
  return 0;
}
