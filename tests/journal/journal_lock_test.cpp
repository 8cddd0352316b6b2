// Single writer: flock on dir/LOCK, held against other processes and against stray open/close (B7).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>

#include "journal_test_support.h"

extern char** environ;

using namespace tradehost::test;
using tradehost::host::JournalLocked;

namespace {

constexpr const char* kHelperEnv = "TRADEHOST_JOURNAL_TEST_HELPER";
constexpr const char* kHelperDirEnv = "TRADEHOST_JOURNAL_TEST_DIR";
constexpr int kExitOpened = 0;
constexpr int kExitLocked = 10;
constexpr int kExitOtherError = 11;

void writeOut(const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
    }
}

// The child side of the two-process tests. This binary re-executes itself with kHelperEnv set;
// the helper runs during static initialization and exits before Catch2's main would start.
//   open: try Journal::open on kHelperDirEnv; print the error; exit with what happened.
//   hold: say "ready", then block until stdin closes (a process that merely inherited our
//         descriptors).
int runHelper(const std::string& mode) {
    if (mode == "hold") {
        writeOut("ready\n");
        char c;
        while (::read(STDIN_FILENO, &c, 1) > 0) {
        }
        return 0;
    }
    const char* dir = std::getenv(kHelperDirEnv);
    try {
        auto journal = Journal::open(optionsFor(dir ? dir : ""));
        writeOut("opened\n");
        return kExitOpened;
    } catch (const JournalLocked& e) {
        writeOut(e.what());
        return kExitLocked;
    } catch (const std::exception& e) {
        writeOut(e.what());
        return kExitOtherError;
    }
}

[[maybe_unused]] const int kHelperRan = [] {
    if (const char* mode = std::getenv(kHelperEnv)) std::_Exit(runHelper(mode));
    return 0;
}();

struct Child {
    pid_t pid = -1;
    int stdinFd = -1;   // write end of the child's stdin
    int stdoutFd = -1;  // read end of the child's stdout
};

// Starts this test binary again in helper `mode`. posix_spawn does not close inherited
// descriptors: whatever we leak without O_CLOEXEC, the child holds.
Child spawnHelper(const std::string& mode, const std::string& dir) {
    int in[2], out[2];
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);

    std::vector<std::string> envStrings;
    for (char** e = environ; *e; ++e) envStrings.emplace_back(*e);
    envStrings.push_back(std::string(kHelperEnv) + "=" + mode);
    envStrings.push_back(std::string(kHelperDirEnv) + "=" + dir);
    std::vector<char*> envp;
    for (auto& s : envStrings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string exe = "/proc/self/exe";
    char* argv[] = {exe.data(), nullptr};

    Child child;
    const int rc = ::posix_spawn(&child.pid, "/proc/self/exe", &actions, nullptr, argv, envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    REQUIRE(rc == 0);
    child.stdinFd = in[1];
    child.stdoutFd = out[0];
    return child;
}

struct ChildResult {
    int exitCode = -1;
    std::string out;
};

ChildResult finish(Child& child) {
    ::close(child.stdinFd);
    ChildResult r;
    char buf[512];
    ssize_t n;
    while ((n = ::read(child.stdoutFd, buf, sizeof buf)) > 0) r.out.append(buf, static_cast<std::size_t>(n));
    ::close(child.stdoutFd);
    int status = 0;
    while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

ChildResult tryOpenInAnotherProcess(const std::string& dir) {
    Child child = spawnHelper("open", dir);
    return finish(child);
}

}  // namespace

TEST_CASE("a second opener in the same process gets JournalLocked naming the lock file", "[journal][lock]") {
    TempDir tmp;
    auto first = Journal::open(optionsFor(tmp.path()));
    try {
        Journal::open(optionsFor(tmp.path()));
        FAIL("second open succeeded");
    } catch (const JournalLocked& e) {
        const std::string msg = e.what();
        CAPTURE(msg);
        CHECK(msg.find(tmp.file("LOCK")) != std::string::npos);
        CHECK(msg.find("this same process") != std::string::npos);
    }
    first->append("{}");  // the first keeps working
    first.reset();
    auto again = Journal::open(optionsFor(tmp.path()));  // released on close
    CHECK(again->lastSequence() == 1);
}

TEST_CASE("a second process gets JournalLocked with a clear message", "[journal][lock]") {
    TempDir tmp;
    {
        auto journal = Journal::open(optionsFor(tmp.path()));
        const auto r = tryOpenInAnotherProcess(tmp.path().string());
        CAPTURE(r.out);
        CHECK(r.exitCode == kExitLocked);
        CHECK(r.out.find("locked by another process (pid " + std::to_string(::getpid()) + ")") != std::string::npos);
        CHECK(r.out.find(tmp.file("LOCK")) != std::string::npos);
        CHECK(r.out.find("Only one tradehost") != std::string::npos);
    }
    const auto r = tryOpenInAnotherProcess(tmp.path().string());
    CAPTURE(r.out);
    CHECK(r.exitCode == kExitOpened);  // and once we let go, it may
}

TEST_CASE("opening and closing other descriptors on the lock file and a segment keeps the lock", "[journal][lock]") {
    // With fcntl record locks this is the classic trap: any close() of any descriptor the process
    // holds on the file drops the process's lock. flock is immune.
    TempDir tmp;
    auto journal = Journal::open(optionsFor(tmp.path()));
    journal->append("{}");
    for (const std::string& path : {tmp.file("LOCK"), segmentFiles(tmp.path()).front()}) {
        const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
        REQUIRE(fd >= 0);
        struct flock fl {};
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        CHECK(::fcntl(fd, F_SETLK, &fl) == 0);  // a POSIX lock of our own, dropped by the close below
        ::close(fd);
    }
    CHECK_THROWS_AS(Journal::open(optionsFor(tmp.path())), JournalLocked);
    const auto r = tryOpenInAnotherProcess(tmp.path().string());
    CAPTURE(r.out);
    CHECK(r.exitCode == kExitLocked);
    CHECK(journal->append("{}") == 2);
}

TEST_CASE("a child process does not inherit the lock", "[journal][lock]") {
    // Were the lock descriptor inheritable, a child spawned by the host would keep the directory
    // locked after the host died, and the restarted host could not start.
    TempDir tmp;
    auto journal = Journal::open(optionsFor(tmp.path()));
    Child holder = spawnHelper("hold", tmp.path().string());
    // posix_spawn may return before the child's exec has closed its O_CLOEXEC descriptors (the
    // vfork parent wakes when the child drops the old address space, slightly earlier): wait
    // until the new program runs.
    char c = 0;
    while (c != '\n' && ::read(holder.stdoutFd, &c, 1) == 1) {
    }
    journal.reset();
    auto reopened = Journal::open(optionsFor(tmp.path()));
    CHECK(reopened->lastSequence() == 0);
    const auto r = finish(holder);
    CHECK(r.exitCode == 0);
}
