#pragma once
// The one way tests start a program (the pse-sim executable, mpirun, python3): fork/exec with an
// argument vector (no shell, so no quoting bugs), stdin from /dev/null, stdout and stderr
// captured, an optional working folder, extra environment variables, a file size limit (a full
// disk), another user (read-only folders as root) and a timeout that turns a hang into a failure.
//
//   run_cli({"-q", "run", path, "-r", "2"})      -> CliResult {exit_code, signal, out, err,
//   seconds} run_cli("-q run '" + path + "' -r 2")        -> the same (words split as sh would, no
//   expansion) auto p = spawn_cli({...}); ... p.running() ... p.signal(SIGINT); CliResult r =
//   p.wait();
//
// run_cli() reads the child's output through pipes while it runs; spawn_cli() (for tests that
// signal the child at a chosen moment) sends it to files in a private temporary folder, so a child
// nobody reads from never blocks. Neither leaves a file in the test's folders.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#ifndef PSE_CLI
#error "tests/support/cli_run.h needs PSE_CLI (the pse-sim executable) defined by CMake"
#endif

namespace pse::test {

struct CliOptions {
    std::filesystem::path cwd{};  ///< working folder of the child ("" = the test's own)
    std::vector<std::pair<std::string, std::string>>
        env{};  ///< variables set (or replaced) in the child
    double timeout_seconds =
        0;  ///< > 0: the child (and its process group) is killed after this long
    std::int64_t file_size_limit =
        -1;        ///< >= 0: RLIMIT_FSIZE in bytes, SIGXFSZ ignored (writes fail with EFBIG)
    int uid = -1;  ///< >= 0: run as this user and group (needs root)
    std::vector<std::string>
        launcher{};  ///< program and arguments run before pse-sim (e.g. mpirun -n 2)
};

struct CliResult {
    int exit_code = -1;  ///< WEXITSTATUS; -1 if the process did not exit normally
    int signal = 0;      ///< terminating signal, if any (SIGKILL after a timeout)
    bool timed_out = false;
    std::string out, err;
    double seconds = 0;  ///< wall time, for failure messages only (tests never assert on it)
};

/// Words of a command line, split as sh splits them: blanks separate words, '...' keeps
/// everything literally, "..." keeps everything but \" and \\, a backslash outside quotes escapes
/// the next character. No expansion of any kind. Throws std::invalid_argument on an open quote.
inline std::vector<std::string> split_words(std::string_view line) {
    std::vector<std::string> words;
    std::string cur;
    bool in_word = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word) words.push_back(std::move(cur));
            cur.clear();
            in_word = false;
        } else if (c == '\'') {
            const auto end = line.find('\'', i + 1);
            if (end == std::string_view::npos)
                throw std::invalid_argument("unclosed ' in: " + std::string(line));
            cur.append(line.substr(i + 1, end - i - 1));
            i = end;
            in_word = true;
        } else if (c == '"') {
            std::size_t j = i + 1;
            for (; j < line.size() && line[j] != '"'; ++j) {
                if (line[j] == '\\' && j + 1 < line.size() &&
                    (line[j + 1] == '"' || line[j + 1] == '\\'))
                    ++j;
                cur.push_back(line[j]);
            }
            if (j >= line.size())
                throw std::invalid_argument("unclosed \" in: " + std::string(line));
            i = j;
            in_word = true;
        } else if (c == '\\' && i + 1 < line.size()) {
            cur.push_back(line[++i]);
            in_word = true;
        } else {
            cur.push_back(c);
            in_word = true;
        }
    }
    if (in_word) words.push_back(std::move(cur));
    return words;
}

/// `s` quoted for a shell ('...'), for messages and scripts that are really shell scripts.
inline std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

namespace detail {

/// In the child after fork(): stdin from /dev/null, stdout/stderr onto `out_fd`/`err_fd`, the
/// options applied, then exec. Only async-signal-safe calls, apart from setenv (the test process
/// is single-threaded when it forks, or the child only reads its own copy). Exit 125: could not
/// become `uid`; 126: could not set up files or folder; 127: could not exec.
[[noreturn]] inline void exec_child(const std::vector<std::string>& argv_s, int out_fd, int err_fd,
                                    const CliOptions& o) {
    setpgid(0, 0);  // own process group: a timeout ends mpirun and its ranks together
    const int in = open("/dev/null", O_RDONLY);
    if (in < 0 || out_fd < 0 || err_fd < 0) _exit(126);
    dup2(in, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    for (const int fd : {in, out_fd, err_fd})
        if (fd > 2) close(fd);
    if (!o.cwd.empty() && chdir(o.cwd.c_str()) != 0) _exit(126);
    for (const auto& [k, v] : o.env) setenv(k.c_str(), v.c_str(), 1);
    if (o.file_size_limit >= 0) {
        signal(SIGXFSZ, SIG_IGN);
        const rlimit lim{static_cast<rlim_t>(o.file_size_limit),
                         static_cast<rlim_t>(o.file_size_limit)};
        if (setrlimit(RLIMIT_FSIZE, &lim) != 0) _exit(126);
    }
    if (o.uid >= 0) {
        if (setgroups(0, nullptr) != 0 || setgid(static_cast<gid_t>(o.uid)) != 0 ||
            setuid(static_cast<uid_t>(o.uid)) != 0)
            _exit(125);
    }
    std::vector<char*> argv;
    for (const auto& a : argv_s) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
}

inline std::vector<std::string> full_argv(const std::string& program,
                                          const std::vector<std::string>& args,
                                          const CliOptions& o) {
    std::vector<std::string> v = o.launcher;
    v.push_back(program);
    v.insert(v.end(), args.begin(), args.end());
    return v;
}

inline void set_status(CliResult& r, int status) {
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace detail

/// Run `program args...` to its end and capture its output (see CliOptions).
inline CliResult run_program(const std::string& program, const std::vector<std::string>& args,
                             const CliOptions& o = {}) {
    using Clock = std::chrono::steady_clock;
    const auto argv = detail::full_argv(program, args, o);
    CliResult r;
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) != 0) return r;
    if (pipe2(pe, O_CLOEXEC) != 0) {
        close(po[0]);
        close(po[1]);
        return r;
    }
    const auto t0 = Clock::now();
    const pid_t pid = fork();
    if (pid == 0) detail::exec_child(argv, po[1], pe[1], o);
    close(po[1]);
    close(pe[1]);
    if (pid < 0) {
        close(po[0]);
        close(pe[0]);
        return r;
    }
    setpgid(pid, pid);  // also from here, so that a kill right after fork reaches the group
    std::string* sinks[2] = {&r.out, &r.err};
    pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
    int status = 0;
    bool reaped = false;
    std::optional<Clock::time_point> reaped_at;
    for (;;) {
        if (!reaped && waitpid(pid, &status, WNOHANG) == pid) {
            reaped = true;
            reaped_at = Clock::now();
        }
        const bool open_fds = fds[0].fd >= 0 || fds[1].fd >= 0;
        // Done when both pipes are closed; after the child ended, grandchildren that keep a pipe
        // open (a stray MPI daemon) get 5 s before we stop reading.
        if (!open_fds && reaped) break;
        if (reaped && Clock::now() - *reaped_at > std::chrono::seconds(5)) break;
        if (!reaped && o.timeout_seconds > 0 &&
            Clock::now() - t0 > std::chrono::duration<double>(o.timeout_seconds)) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            r.timed_out = true;
            waitpid(pid, &status, 0);
            reaped = true;
            reaped_at = Clock::now();
            continue;
        }
        if (!open_fds) {  // output closed, child still running: keep checking (and the timeout)
            usleep(10000);
            continue;
        }
        if (poll(fds, 2, 20) <= 0) continue;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[65536];
            const ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                sinks[i]->append(buf, static_cast<std::size_t>(n));
            } else if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
                continue;  // interrupted by a signal: read again
            } else {
                close(fds[i].fd);
                fds[i].fd = -1;
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) close(f.fd);
    detail::set_status(r, status);
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return r;
}

/// Run the built pse-sim with `args` (no shell: each element is one argument).
inline CliResult run_cli(const std::vector<std::string>& args, const CliOptions& o = {}) {
    return run_program(PSE_CLI, args, o);
}

/// The same with a braced list of two or more words: run_cli({"run", path}) (preferred over the
/// command-line form below; a one-word list would pick the const char* overload, write
/// run_cli("params")).
inline CliResult run_cli(std::initializer_list<std::string> args, const CliOptions& o = {}) {
    return run_cli(std::vector<std::string>(args), o);
}

/// Run the built pse-sim with a command line (split by split_words: quote paths with '...').
inline CliResult run_cli(const std::string& command_line, const CliOptions& o = {}) {
    return run_cli(split_words(command_line), o);
}
inline CliResult run_cli(const char* command_line, const CliOptions& o = {}) {
    return run_cli(std::string(command_line), o);
}

/// A pse-sim (or other program) started in the background, for tests that must act on it while
/// it runs (signal it once its parts folder exists, kill one MPI rank). Output goes to files in a
/// private temporary folder, read by wait(). The destructor kills and reaps a child still running.
class CliProcess {
  public:
    CliProcess() = default;
    CliProcess(const CliProcess&) = delete;
    CliProcess& operator=(const CliProcess&) = delete;
    CliProcess(CliProcess&& o) noexcept { *this = std::move(o); }
    CliProcess& operator=(CliProcess&& o) noexcept {
        std::swap(pid_, o.pid_);
        std::swap(reaped_, o.reaped_);
        std::swap(status_, o.status_);
        std::swap(files_, o.files_);
        std::swap(t0_, o.t0_);
        return *this;
    }
    ~CliProcess() {
        if (pid_ > 0 && !reaped_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, &status_, 0);
        }
        std::error_code ec;
        if (!files_.empty()) std::filesystem::remove_all(files_, ec);
    }

    /// Process id (> 0 once started; <= 0 if fork failed).
    pid_t pid() const { return pid_; }
    /// True while the child has not ended (reaps it, without blocking, once it has).
    bool running() {
        if (pid_ <= 0 || reaped_) return false;
        if (waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
        return !reaped_;
    }
    /// Send `sig` to the child if it is still running.
    void signal(int sig) {
        if (running()) kill(pid_, sig);
    }
    /// Wait for the end; exit code, signal and captured output.
    CliResult wait() {
        CliResult r;
        if (pid_ <= 0) return r;
        if (!reaped_) {
            waitpid(pid_, &status_, 0);
            reaped_ = true;
        }
        detail::set_status(r, status_);
        r.out = detail::slurp(files_ / "stdout");
        r.err = detail::slurp(files_ / "stderr");
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
        return r;
    }

  private:
    friend CliProcess spawn_program(const std::string&, const std::vector<std::string>&,
                                    const CliOptions&);
    pid_t pid_ = -1;
    bool reaped_ = false;
    int status_ = 0;
    std::filesystem::path files_;
    std::chrono::steady_clock::time_point t0_{};
};

/// Start `program args...` in the background (see CliProcess). `o.timeout_seconds` is ignored:
/// the test decides when to stop the child.
inline CliProcess spawn_program(const std::string& program, const std::vector<std::string>& args,
                                const CliOptions& o = {}) {
    static std::atomic<int> counter{0};
    CliProcess p;
    p.files_ = std::filesystem::temp_directory_path() /
               ("pse_cli_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(p.files_);
    std::filesystem::permissions(p.files_, std::filesystem::perms::owner_all);
    const auto argv = detail::full_argv(program, args, o);
    const std::string out = (p.files_ / "stdout").string(), err = (p.files_ / "stderr").string();
    p.t0_ = std::chrono::steady_clock::now();
    p.pid_ = fork();
    if (p.pid_ == 0) {
        // The files are opened before the child changes user (o.uid), so that it can write them.
        detail::exec_child(argv, open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600),
                           open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), o);
    }
    return p;
}

/// Start the built pse-sim with `args` in the background.
inline CliProcess spawn_cli(const std::vector<std::string>& args, const CliOptions& o = {}) {
    return spawn_program(PSE_CLI, args, o);
}

}  // namespace pse::test
