// MPI sweeps end to end (built and registered only with PSE_WITH_MPI): `mpirun -n 2 pse-sim
// sweep` gives the single-process file; a rank killed part-way loses nothing that was flushed and
// `--resume` (with MPI or without) completes the sweep to the same file; bad input and unusable
// output are reported once and end every rank with the single-process exit code.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "pse/results.h"
#include "support/cli_run.h"
#include "support/fixtures.h"
#include "support/results_compare.h"

namespace {

std::filesystem::path write_experiment(const std::filesystem::path& dir, int samples, int reps) {
    const auto p = dir / "exp.toml";
    std::ofstream(p)
        << "[run]\nname = \"mpi_test\"\nweeks = 156\n[ecosystem]\nmnc_count = 30\nsupplier_count = "
           "400\n"
        << "[experiment]\ndesign = \"lhs\"\nsamples = " << samples << "\nreplications = " << reps
        << "\nseed = 5\n[[experiment.uncertainty]]\nkey = \"trust.gain_rate\"\nmin = 0.02\nmax = "
           "0.08\n"
        << "[[experiment.lever]]\nkey = \"ngo[*].dedicated_fte\"\nmin = 0.0\nmax = 2.0\n";
    return p;
}

/// mpirun arguments for N ranks on one (possibly small, loaded, containerised) machine:
/// --oversubscribe (more ranks than cores is fine), --allow-run-as-root when root (CI),
/// no single-copy shared-memory mechanism (needs ptrace rights containers often lack).
std::vector<std::string> mpirun_args(int ranks) {
    std::vector<std::string> v{PSE_MPIEXEC,
                               "-n",
                               std::to_string(ranks),
                               "--oversubscribe",
                               "--mca",
                               "btl_vader_single_copy_mechanism",
                               "none"};
    if (geteuid() == 0) v.emplace_back("--allow-run-as-root");
    return v;
}

/// pse-sim under `mpirun -n ranks`; a 250 s timeout turns a hang into a failure instead of a stuck
/// test.
pse::test::CliOptions mpi(int ranks) {
    return {.timeout_seconds = 250, .launcher = mpirun_args(ranks)};
}
/// pse-sim as a single process, with the same timeout.
pse::test::CliOptions single() {
    return {.timeout_seconds = 250};
}

/// `-q sweep EXP -o OUT EXTRA...` (EXTRA: words separated by blanks).
std::vector<std::string> sweep_args(const std::filesystem::path& exp,
                                    const std::filesystem::path& out, const std::string& extra) {
    std::vector<std::string> v{"-q", "sweep", exp.string(), "-o", out.string()};
    for (auto& w : pse::test::split_words(extra)) v.push_back(std::move(w));
    return v;
}

/// Run pse-sim; returns the exit code and stderr (in `err`).
int run(const std::vector<std::string>& args, const pse::test::CliOptions& o,
        std::string* err = nullptr) {
    const auto r = pse::test::run_cli(args, o);
    if (err) *err = r.err;
    return r.exit_code;
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
    return n;
}

std::size_t shard_count(const std::filesystem::path& parts) {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(parts, ec))
        if (e.path().extension() == ".h5") ++n;
    return n;
}

/// Pid of the process that mpirun `launcher` started as `rank` (a child with that
/// OMPI_COMM_WORLD_RANK), or -1.
pid_t rank_pid(pid_t launcher, int rank) {
    const std::string want = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank);
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        const auto name = e.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(e.path() / "stat");
        std::string line;
        std::getline(stat, line);
        const auto close = line.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(line.substr(close + 2));
        char state = 0;
        pid_t ppid = 0;
        rest >> state >> ppid;
        if (ppid != launcher) continue;
        std::ifstream env(e.path() / "environ");
        std::string var;
        while (std::getline(env, var, '\0'))
            if (var == want) return static_cast<pid_t>(std::stol(name));
    }
    return -1;
}

/// Start `mpirun -n 2 pse-sim sweep` (small shards) in the background.
pse::test::CliProcess start_mpi_sweep(const std::filesystem::path& exp,
                                      const std::filesystem::path& out) {
    return pse::test::spawn_cli(sweep_args(exp, out, "-t 1 --checkpoint-runs 5"),
                                {.launcher = mpirun_args(2)});
}

/// Wait until `parts` holds at least `n` shards, the sweep process ended, or 60 s passed.
/// True if the shards are there and the sweep is still running.
bool wait_for_shards(pse::test::CliProcess& p, const std::filesystem::path& parts, std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        if (!p.running()) return false;  // finished (or failed) already
        if (shard_count(parts) >= n) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling, not a timed guess
    }
    return false;
}

/// Why a kill/stop test has nothing to interrupt (a GTEST_SKIP message): what happened and how
/// to give it a chance. These tests act on a sweep part-way; on a loaded machine the sweep may
/// be too slow to reach the point within 60 s, or too quick to be caught.
std::string not_interrupted(const std::string& what, pse::test::CliProcess& p,
                            const std::filesystem::path& parts, std::size_t wanted) {
    const std::string state =
        p.running() ? "was still running but had written only " +
                          std::to_string(shard_count(parts)) + " shard(s) after 60 s"
                    : "had ended (exit " + std::to_string(p.wait().exit_code) + ") with " +
                          std::to_string(shard_count(parts)) + " shard(s)";
    return "timing, not a failure: the sweep " + state + " before " + std::to_string(wanted) +
           " shards were on disk, so there was nothing to " + what +
           ". It runs when the machine is not loaded: ctest --test-dir build/release -L mpi "
           "(alone)";
}

/// The sweep finished between reaching the point and the signal (a GTEST_SKIP message).
std::string finished_first(const std::string& what) {
    return "timing, not a failure: the sweep wrote its results file before the " + what +
           " took effect, so resuming could not be tested. It runs when the machine is not loaded: "
           "ctest --test-dir build/release -L mpi (alone)";
}

/// The single-process reference of an experiment (computed once per experiment file).
std::filesystem::path reference(const std::filesystem::path& exp) {
    const auto ref = exp.parent_path() / "single.h5";
    if (!std::filesystem::exists(ref)) {
        EXPECT_EQ(run(sweep_args(exp, ref, "-t 2"), single()), 0);
    }
    return ref;
}

}  // namespace

TEST(MpiSweep, TwoRanksGiveTheSingleProcessFile) {
    const auto dir = pse::test::fresh_dir("mpi", "two_ranks");
    const auto exp = write_experiment(dir, 30, 3);  // 90 runs
    const auto out = dir / "mpi.h5";
    ASSERT_EQ(run(sweep_args(exp, out, "-t 1"), mpi(2)), 0);
    pse::test::expect_same_results(reference(exp), out);
    pse::test::expect_same_datasets(reference(exp), out);
    EXPECT_FALSE(std::filesystem::exists(out.string() + ".parts"));  // merged and cleaned up
}

TEST(MpiSweep, EightOversubscribedRanksRunEveryRunOnceToTheSingleProcessFile) {
    // More ranks than cores (8 on a 2-core machine), tiny runs and tiny shards: the coordinator
    // is under contention (requests from 7 workers, each asking for work every few runs), and
    // the merge reads many shards written by different ranks. Every run must be in the file
    // exactly once (the merge refuses duplicates and gaps), with the single-process contents.
    const auto dir = pse::test::fresh_dir("mpi", "eight_ranks");
    const auto exp = dir / "exp.toml";
    std::ofstream(exp)
        << "[run]\nname = \"mpi_tiny\"\nweeks = 26\n[ecosystem]\nmnc_count = 10\nsupplier_count = "
           "80\n"
        << "[experiment]\ndesign = \"lhs\"\nsamples = 100\nreplications = 4\nseed = 11\n"
        << "[[experiment.lever]]\nkey = \"ngo[*].dedicated_fte\"\nmin = 0.0\nmax = 2.0\n";  // 400
                                                                                            // runs
    const auto out = dir / "mpi8.h5";
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(run(sweep_args(exp, out, "-t 1 --checkpoint-runs 3"), mpi(8)), 0);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(secs, 200.0);  // bounded: the coordinator's polling must not starve under contention
    const auto r = pse::read_results(out, false);
    ASSERT_EQ(r.n_runs, 400);
    for (std::int64_t i = 0; i < r.n_runs; ++i) {
        ASSERT_EQ(r.run_id[static_cast<std::size_t>(i)], i);
        EXPECT_EQ(r.status[static_cast<std::size_t>(i)],
                  static_cast<std::int8_t>(pse::RunStatus::kDone))
            << "run " << i;
    }
    pse::test::expect_same_results(reference(exp), out);
    pse::test::expect_same_datasets(reference(exp), out);
    EXPECT_FALSE(std::filesystem::exists(out.string() + ".parts"));
}

TEST(MpiSweep, KilledRankResumesAcrossRanksToTheSingleProcessFile) {
    const auto dir = pse::test::fresh_dir("mpi", "killed");
    const auto exp = write_experiment(dir, 150, 4);  // 600 runs: a few seconds on 2 loaded cores
    const auto out = dir / "mpi.h5";
    const auto parts = std::filesystem::path(out.string() + ".parts");
    auto launcher = start_mpi_sweep(exp, out);
    ASSERT_GT(launcher.pid(), 0);
    if (!wait_for_shards(launcher, parts, 4))
        GTEST_SKIP() << not_interrupted("kill", launcher, parts, 4);
    const pid_t worker = rank_pid(launcher.pid(), 1);
    ASSERT_GT(worker, 0) << "rank 1 of mpirun not found";
    kill(worker, SIGKILL);  // no chance to flush; mpirun ends the rest of the job
    const auto ended = launcher.wait();
    if (std::filesystem::exists(out)) GTEST_SKIP() << finished_first("SIGKILL of rank 1");
    EXPECT_FALSE(ended.exit_code == 0);
    const std::size_t kept = shard_count(parts);
    EXPECT_GE(kept, 4u);
    // Without --resume the leftover parts are refused (exit 1), once, and nothing is lost.
    std::string err;
    EXPECT_EQ(run(sweep_args(exp, out, ""), mpi(2), &err), 1);
    EXPECT_EQ(count(err, "--resume"), 1u) << err;
    EXPECT_EQ(shard_count(parts), kept);
    ASSERT_EQ(run(sweep_args(exp, out, "--resume -t 1"), mpi(2)), 0);
    pse::test::expect_same_datasets(reference(exp), out);
    EXPECT_FALSE(std::filesystem::exists(parts));
}

TEST(MpiSweep, StoppedMpiSweepResumesWithoutMpi) {
    // SIGTERM to every rank (what Slurm does at a time limit; mpirun itself forwards it only after
    // a delay): the ranks stop cleanly, flushing their runs, and a single process can finish the
    // sweep from the shards of both ranks.
    const auto dir = pse::test::fresh_dir("mpi", "stopped");
    const auto exp = write_experiment(dir, 150, 4);
    const auto out = dir / "mpi.h5";
    const auto parts = std::filesystem::path(out.string() + ".parts");
    auto launcher = start_mpi_sweep(exp, out);
    ASSERT_GT(launcher.pid(), 0);
    if (!wait_for_shards(launcher, parts, 4))
        GTEST_SKIP() << not_interrupted("stop", launcher, parts, 4);
    for (int rank : {0, 1})
        if (const pid_t pid = rank_pid(launcher.pid(), rank); pid > 0) kill(pid, SIGTERM);
    const auto ended = launcher.wait();
    if (std::filesystem::exists(out)) GTEST_SKIP() << finished_first("SIGTERM to both ranks");
    EXPECT_FALSE(ended.exit_code == 0);
    EXPECT_TRUE(std::filesystem::exists(parts / "manifest.txt"));
    ASSERT_EQ(run(sweep_args(exp, out, "--resume -t 2"), single()), 0);
    pse::test::expect_same_datasets(reference(exp), out);
}

TEST(MpiSweep, ResumesASingleProcessSweep) {
    // Shards written by a single process (numbered 0, 1, ...) are picked up by the ranks, whose
    // new shards are numbered after them.
    const auto dir = pse::test::fresh_dir("mpi", "from_single");
    const auto exp = write_experiment(dir, 60, 4);  // 240 runs
    const auto out = dir / "mpi.h5";
    const auto parts = std::filesystem::path(out.string() + ".parts");
    {
        // A single-process sweep killed after its first shards.
        auto p = pse::test::spawn_cli(sweep_args(exp, out, "-t 1 --checkpoint-runs 5"));
        ASSERT_GT(p.pid(), 0);
        if (!wait_for_shards(p, parts, 2)) GTEST_SKIP() << not_interrupted("kill", p, parts, 2);
        p.signal(SIGKILL);
        (void)p.wait();
        if (std::filesystem::exists(out))
            GTEST_SKIP() << finished_first("SIGKILL of the single process");
    }
    ASSERT_EQ(run(sweep_args(exp, out, "--resume -t 1"), mpi(2)), 0);
    pse::test::expect_same_datasets(reference(exp), out);
}

TEST(MpiSweep, BadInputIsReportedOnceAndEndsEveryRank) {
    const auto dir = pse::test::fresh_dir("mpi", "bad_input");
    const auto bad = dir / "bad.toml";
    std::ofstream(bad) << "[run]\nweeks = -3\nbogus = 1\n[experiment]\ndesign = \"grid\"\n";
    std::string err;
    EXPECT_EQ(run(sweep_args(bad, dir / "x.h5", ""), mpi(2), &err), 2);
    EXPECT_EQ(count(err, "unknown key"), 1u) << err;
    EXPECT_EQ(count(err, "out of range"), 1u) << err;
    EXPECT_FALSE(std::filesystem::exists(dir / "x.h5"));
    EXPECT_FALSE(std::filesystem::exists(dir / "x.h5.parts"));
}

TEST(MpiSweep, UnusableOutputIsReportedOnceBeforeAnyRun) {
    const auto dir = pse::test::fresh_dir("mpi", "bad_output");
    const auto exp = write_experiment(dir, 4, 2);
    std::ofstream(dir / "exists.h5") << "x";
    std::string err;
    EXPECT_EQ(run(sweep_args(exp, dir / "exists.h5", ""), mpi(2), &err), 1);
    EXPECT_EQ(count(err, "already exists; pass --overwrite"), 1u) << err;
    EXPECT_FALSE(std::filesystem::exists(dir / "exists.h5.parts"));
    EXPECT_EQ(run(sweep_args(exp, dir / "missing" / "x.h5", ""), mpi(2), &err), 1);
    EXPECT_EQ(count(err, "does not exist"), 1u) << err;
    // Parts of another experiment: refused, once, and kept.
    const auto out = dir / "o.h5";
    std::filesystem::create_directories(out.string() + ".parts");
    std::ofstream(out.string() + ".parts/manifest.txt") << "0000000000000000\nother\n";
    EXPECT_EQ(run(sweep_args(exp, out, "--resume"), mpi(2), &err), 1);
    EXPECT_EQ(count(err, "different experiment"), 1u) << err;
    EXPECT_TRUE(std::filesystem::exists(out.string() + ".parts/manifest.txt"));
}
