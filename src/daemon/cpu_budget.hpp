#pragma once
// How many CPUs the daemon may really use, for sizing the verdict workers when
// milter.worker_threads is 0. std::thread::hardware_concurrency() counts the machine's
// online CPUs: in a container given two CPUs of a 64-core node it starts 64 workers,
// which then take turns under the CPU limit. Counted instead:
// - the CPUs of the process's affinity mask (taskset, systemd CPUAffinity=, docker
//   --cpuset-cpus);
// - under cgroup v2, the CPU bandwidth limit (cpu.max) of the process's cgroup and of
//   every cgroup above it, rounded up (systemd CPUQuota=, docker --cpus, a Kubernetes
//   limits.cpu). cgroup v1 hierarchies are not read.
// Pure parsing functions are separate from the one that reads /proc and /sys, for tests.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mailtriage::daemon {

// A cgroup v2 cpu.max file's content ("max 100000", "150000 100000") as whole CPUs,
// rounded up; nullopt for no limit or content that is not a limit.
[[nodiscard]] std::optional<unsigned> cpus_from_cpu_max(std::string_view content);

// The process's cgroup v2 path ("/system.slice/mailtriaged.service") from the content of
// /proc/self/cgroup (its "0::" line); nullopt when there is none (cgroup v1 only).
[[nodiscard]] std::optional<std::string> cgroup_v2_path(std::string_view proc_self_cgroup);

// The smaller of the affinity mask's CPUs and every cgroup v2 CPU limit above the
// process; at least 1. Reads /proc/self/cgroup and /sys/fs/cgroup; never throws.
[[nodiscard]] unsigned usable_cpus();
// The same with the content of /proc/self/cgroup and the cgroup v2 mount point given
// (tests build a hierarchy of cpu.max files in a temporary directory).
[[nodiscard]] unsigned usable_cpus(std::string_view proc_self_cgroup, const std::string& cgroup_root);

// Verdict workers for milter.worker_threads 0: one per usable CPU not taken by an I/O
// thread, at least one. The I/O thread's share of a message's CPU (the milter exchange)
// is about the engine's, so a worker per CPU beside it only adds threads that wait
// their turn: on two CPUs, one worker measured a median 10% less daemon CPU per message
// than two over a unix socket and 5% over TCP (docs/PERFORMANCE.md, tenth round).
[[nodiscard]] std::size_t default_worker_threads(unsigned usable_cpus, std::size_t io_threads);

}  // namespace mailtriage::daemon
