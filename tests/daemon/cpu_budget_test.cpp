// The CPU count that sizes the default worker pool: cpu.max and /proc/self/cgroup
// parsing, a cgroup hierarchy built in a temporary directory, the affinity mask.
#include "cpu_budget.hpp"

#include <sched.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace mailtriage::daemon {
namespace {

namespace fs = std::filesystem;

TEST(CpuBudget, CpuMaxIsRoundedUpToWholeCpus) {
  EXPECT_EQ(cpus_from_cpu_max("200000 100000\n"), 2u);
  EXPECT_EQ(cpus_from_cpu_max("150000 100000\n"), 2u);  // 1.5 CPUs: two threads can use them
  EXPECT_EQ(cpus_from_cpu_max("50000 100000"), 1u);
  EXPECT_EQ(cpus_from_cpu_max("max 100000\n"), std::nullopt);  // no limit
  EXPECT_EQ(cpus_from_cpu_max(""), std::nullopt);               // no file
  EXPECT_EQ(cpus_from_cpu_max("0 100000"), std::nullopt);
  EXPECT_EQ(cpus_from_cpu_max("100000 0"), std::nullopt);
  EXPECT_EQ(cpus_from_cpu_max("12x 100000"), std::nullopt);
}

TEST(CpuBudget, FindsTheUnifiedHierarchyLine) {
  EXPECT_EQ(cgroup_v2_path("0::/system.slice/mailtriaged.service\n"), "/system.slice/mailtriaged.service");
  EXPECT_EQ(cgroup_v2_path("0::/\n"), "/");  // a container's own cgroup namespace
  EXPECT_EQ(cgroup_v2_path("12:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n0::/docker/abc\n"),
            "/docker/abc");  // hybrid
  EXPECT_EQ(cgroup_v2_path("12:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n"), std::nullopt);  // v1 only
  EXPECT_EQ(cgroup_v2_path(""), std::nullopt);
}

unsigned affinity_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  EXPECT_EQ(::sched_getaffinity(0, sizeof set, &set), 0);
  return static_cast<unsigned>(CPU_COUNT(&set));
}

class CgroupTree : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("mailtriage-cgroup-" + std::to_string(::getpid()));
    fs::create_directories(root_ / "system.slice" / "mailtriaged.service");
  }
  void TearDown() override { fs::remove_all(root_); }
  void limit(const fs::path& dir, const std::string& cpu_max) { std::ofstream(root_ / dir / "cpu.max") << cpu_max; }
  unsigned usable() { return usable_cpus("0::/system.slice/mailtriaged.service\n", root_.string()); }
  fs::path root_;
};

TEST_F(CgroupTree, NoLimitLeavesTheAffinityMask) {
  limit("system.slice", "max 100000\n");
  limit("system.slice/mailtriaged.service", "max 100000\n");
  EXPECT_EQ(usable(), affinity_cpus());
}

TEST_F(CgroupTree, TheServicesLimitCounts) {
  limit("system.slice/mailtriaged.service", "100000 100000\n");
  EXPECT_EQ(usable(), 1u);
}

TEST_F(CgroupTree, ALimitAboveTheServiceCountsToo) {
  limit("system.slice", "50000 100000\n");  // a slice's CPUQuota=50%
  limit("system.slice/mailtriaged.service", "max 100000\n");
  EXPECT_EQ(usable(), 1u);
  // The namespace root of a container (docker --cpus) holds the limit itself.
  limit(".", "100000 100000\n");
  EXPECT_EQ(usable_cpus("0::/\n", root_.string()), 1u);
}

TEST_F(CgroupTree, ALimitAboveTheAffinityMaskDoesNotRaiseIt) {
  limit("system.slice/mailtriaged.service", "6400000 100000\n");  // 64 CPUs
  EXPECT_EQ(usable(), affinity_cpus());
}

TEST(CpuBudget, TheAffinityMaskCountsNotTheMachine) {
  cpu_set_t before;
  CPU_ZERO(&before);
  ASSERT_EQ(::sched_getaffinity(0, sizeof before, &before), 0);
  int first = 0;
  while (!CPU_ISSET(first, &before)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(::sched_setaffinity(0, sizeof one, &one), 0);  // as under taskset -c N
  const unsigned seen = usable_cpus("", "/nonexistent");
  ASSERT_EQ(::sched_setaffinity(0, sizeof before, &before), 0);
  EXPECT_EQ(seen, 1u);
}

TEST(CpuBudget, WorkersLeaveACpuToEachIoThread) {
  EXPECT_EQ(default_worker_threads(2, 1), 1u);
  EXPECT_EQ(default_worker_threads(16, 1), 15u);
  EXPECT_EQ(default_worker_threads(1, 1), 1u);
  EXPECT_EQ(default_worker_threads(4, 4), 1u);
  EXPECT_EQ(default_worker_threads(4, 8), 1u);
}

}  // namespace
}  // namespace mailtriage::daemon
