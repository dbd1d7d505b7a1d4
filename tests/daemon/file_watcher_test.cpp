// The reload trigger: inotify on the directories of watched files, debounced, following
// symlink chains (Kubernetes ConfigMap `..data` swaps), deletions and re-creations.
// Each test changes files in a fresh temporary directory and counts callbacks while
// the io_context runs in the test's thread.
#include "file_watcher.hpp"

#include <gtest/gtest.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/asio/io_context.hpp>

namespace mailtriage::daemon {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto kDebounce = 100ms;

void write(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

class FileWatcher : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mt-watch-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    watcher_ = std::make_unique<file_watcher>(io_.get_executor(),
                                              [this](const std::string& p) { changes_.push_back(p); });
  }
  void TearDown() override {
    watcher_.reset();
    fs::remove_all(dir_);
  }

  // Lets the watcher see what happened so far (events are read while the io_context runs).
  void pump(std::chrono::milliseconds d = 20ms) { io_.run_for(d); }

  // Runs until `n` callbacks in total arrived (or 5 s), then one more quiet period to
  // catch any extra; returns the total.
  std::size_t settle(std::size_t n) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (changes_.size() < n && std::chrono::steady_clock::now() < deadline) io_.run_for(20ms);
    io_.run_for(3 * kDebounce);
    return changes_.size();
  }

  boost::asio::io_context io_;
  fs::path dir_;
  std::vector<std::string> changes_;
  std::unique_ptr<file_watcher> watcher_;
};

TEST_F(FileWatcher, WriteInPlaceIsOneChange) {
  write(dir_ / "c.yaml", "a: 1\n");
  watcher_->watch({{dir_ / "c.yaml", false}}, kDebounce);
  write(dir_ / "c.yaml", "a: 2\n");
  EXPECT_EQ(settle(1), 1u);
  EXPECT_EQ(changes_.at(0), (dir_ / "c.yaml").string());
}

TEST_F(FileWatcher, RenameOverIsOneChange) {
  write(dir_ / "c.yaml", "a: 1\n");
  watcher_->watch({{dir_ / "c.yaml", false}}, kDebounce);
  write(dir_ / "c.yaml.new", "a: 2\n");
  fs::rename(dir_ / "c.yaml.new", dir_ / "c.yaml");
  EXPECT_EQ(settle(1), 1u);
}

TEST_F(FileWatcher, OtherFilesInTheDirectoryAreIgnored) {
  write(dir_ / "c.yaml", "a: 1\n");
  watcher_->watch({{dir_ / "c.yaml", false}}, kDebounce);
  write(dir_ / "notes.txt", "x\n");
  fs::rename(dir_ / "notes.txt", dir_ / "notes.old");
  EXPECT_EQ(settle(0), 0u);
}

TEST_F(FileWatcher, TouchAndChmodAreChanges) {
  write(dir_ / "c.yaml", "a: 1\n");
  watcher_->watch({{dir_ / "c.yaml", false}}, kDebounce);
  ASSERT_EQ(::utimes((dir_ / "c.yaml").c_str(), nullptr), 0);  // touch(1): both times, IN_ATTRIB
  EXPECT_EQ(settle(1), 1u);
  fs::permissions(dir_ / "c.yaml", fs::perms::owner_read);
  EXPECT_EQ(settle(2), 2u);
}

// What the kubelet does on a ConfigMap update: files live in a timestamped directory,
// `..data` points at it, and the visible names are symlinks through `..data`. An
// update writes a new directory, points a temporary link at it, renames that over
// `..data`, and removes the old directory.
TEST_F(FileWatcher, KubernetesDataSymlinkSwapIsFollowed) {
  auto version = [&](const std::string& name, const std::string& text) {
    fs::create_directories(dir_ / name);
    write(dir_ / name / "c.yaml", text);
  };
  version("..2024_01_01_00_00_00.1", "a: 1\n");
  fs::create_directory_symlink("..2024_01_01_00_00_00.1", dir_ / "..data");
  fs::create_symlink("..data/c.yaml", dir_ / "c.yaml");
  watcher_->watch({{dir_ / "c.yaml", false}}, kDebounce);

  auto swap = [&](const std::string& from, const std::string& to, const std::string& text) {
    version(to, text);
    fs::create_directory_symlink(to, dir_ / "..data_tmp");
    fs::rename(dir_ / "..data_tmp", dir_ / "..data");
    fs::remove_all(dir_ / from);
  };
  swap("..2024_01_01_00_00_00.1", "..2024_01_02_00_00_00.2", "a: 2\n");
  EXPECT_EQ(settle(1), 1u);
  // The new target is watched, the old one forgotten: a second update is seen too.
  swap("..2024_01_02_00_00_00.2", "..2024_01_03_00_00_00.3", "a: 3\n");
  EXPECT_EQ(settle(2), 2u);
}

TEST_F(FileWatcher, DeletionAndRecreationAreEachSeen) {
  write(dir_ / "c.yaml", "a: 1\n");
  watcher_->watch({{dir_ / "c.yaml", false}}, kDebounce);
  fs::remove(dir_ / "c.yaml");
  EXPECT_EQ(settle(1), 1u);
  write(dir_ / "c.yaml", "a: 2\n");
  EXPECT_EQ(settle(2), 2u);
}

TEST_F(FileWatcher, MultiFileCopyIntoABundleIsOneChange) {
  fs::create_directories(dir_ / "model");
  watcher_->watch({{dir_ / "model", true}}, kDebounce);
  for (const char* f : {"model.ubj", "token_evidence.bin", "manifest.json", "manifest.sig"}) {
    write(dir_ / "model" / f, f);
    pump(30ms);  // well inside the debounce
  }
  EXPECT_EQ(settle(1), 1u);
}

TEST_F(FileWatcher, ABundleDirectoryReplacedIsWatchedAgain) {
  fs::create_directories(dir_ / "model");
  write(dir_ / "model" / "manifest.json", "1");
  watcher_->watch({{dir_ / "model", true}}, kDebounce);
  fs::remove_all(dir_ / "model");
  EXPECT_EQ(settle(1), 1u);
  // Re-created slowly: the files written into the new directory extend the burst.
  fs::create_directories(dir_ / "model");
  for (const char* f : {"model.ubj", "manifest.json"}) {
    pump(60ms);
    write(dir_ / "model" / f, f);
  }
  EXPECT_EQ(settle(2), 2u);
  write(dir_ / "model" / "manifest.json", "3");
  EXPECT_EQ(settle(3), 3u);
}

TEST_F(FileWatcher, ABundleReachedThroughASymlinkFollowsTheLink) {
  fs::create_directories(dir_ / "v1");
  fs::create_directories(dir_ / "v2");
  fs::create_directory_symlink("v1", dir_ / "current");
  watcher_->watch({{dir_ / "current", true}}, kDebounce);
  write(dir_ / "v2" / "manifest.json", "2");  // not (yet) the watched bundle
  EXPECT_EQ(settle(0), 0u);
  fs::create_directory_symlink("v2", dir_ / "current.tmp");
  fs::rename(dir_ / "current.tmp", dir_ / "current");
  EXPECT_EQ(settle(1), 1u);
  write(dir_ / "v2" / "manifest.json", "2b");
  EXPECT_EQ(settle(2), 2u);
  write(dir_ / "v1" / "manifest.json", "old");  // no longer the bundle
  EXPECT_EQ(settle(2), 2u);
}

TEST_F(FileWatcher, AMissingDirectoryIsWatchedThroughItsParent) {
  watcher_->watch({{dir_ / "etc" / "mailtriage" / "c.yaml", false}}, kDebounce);
  fs::create_directories(dir_ / "etc" / "mailtriage");
  pump();
  write(dir_ / "etc" / "mailtriage" / "c.yaml", "a: 1\n");
  EXPECT_GE(settle(1), 1u);
  std::size_t seen = changes_.size();
  write(dir_ / "etc" / "mailtriage" / "c.yaml", "a: 2\n");
  EXPECT_EQ(settle(seen + 1), seen + 1);
}

TEST_F(FileWatcher, AFileRewrittenForeverStillTriggersWithinTenDebounces) {
  write(dir_ / "c.yaml", "a: 1\n");
  watcher_->watch({{dir_ / "c.yaml", false}}, kDebounce);
  auto start = std::chrono::steady_clock::now();
  while (changes_.empty() && std::chrono::steady_clock::now() - start < 20 * kDebounce) {
    write(dir_ / "c.yaml", "a: 2\n");
    pump(kDebounce / 5);
  }
  EXPECT_EQ(changes_.size(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 15 * kDebounce);
}

TEST_F(FileWatcher, WatchReplacesTheTargets) {
  write(dir_ / "a.yaml", "a\n");
  write(dir_ / "b.yaml", "b\n");
  watcher_->watch({{dir_ / "a.yaml", false}}, kDebounce);
  watcher_->watch({{dir_ / "b.yaml", false}}, kDebounce);
  write(dir_ / "a.yaml", "a2\n");
  EXPECT_EQ(settle(0), 0u);
  write(dir_ / "b.yaml", "b2\n");
  EXPECT_EQ(settle(1), 1u);
}

TEST_F(FileWatcher, NoCallbackAfterStop) {
  write(dir_ / "c.yaml", "a: 1\n");
  watcher_->watch({{dir_ / "c.yaml", false}}, kDebounce);
  write(dir_ / "c.yaml", "a: 2\n");
  pump();  // the change is seen, the debounce is running
  watcher_->stop();
  watcher_->stop();
  EXPECT_EQ(settle(0), 0u);
}

}  // namespace
}  // namespace mailtriage::daemon
