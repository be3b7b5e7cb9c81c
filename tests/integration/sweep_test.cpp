// Sweeps end to end: thread-count determinism, kill (SIGKILL) and resume, CSV export, refusal
// of huge sweeps without --yes. Uses the CLI as a user would.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "pse/experiment.h"
#include "pse/results.h"
#include "pse/sweep.h"
#include "support/fixtures.h"
#include "support/results_compare.h"

namespace {

std::filesystem::path write_experiment(const std::filesystem::path& dir, int samples, int reps) {
    const auto p = dir / "exp.toml";
    std::ofstream(p) << "[run]\nname = \"sweep_test\"\nweeks = 156\n[ecosystem]\nmnc_count = 30\nsupplier_count = 400\n"
                     << "[experiment]\ndesign = \"lhs\"\nsamples = " << samples << "\nreplications = " << reps
                     << "\nseed = 5\n[[experiment.uncertainty]]\nkey = \"trust.gain_rate\"\nmin = 0.02\nmax = 0.08\n"
                     << "[[experiment.lever]]\nkey = \"ngo[*].dedicated_fte\"\nmin = 0.0\nmax = 2.0\n";
    return p;
}

int run(const std::string& args) {
    const int st = std::system((pse::test::cli() + " -q " + args + " >/dev/null 2>&1").c_str());
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

}  // namespace

TEST(Sweep, ResultsIdenticalForOneAndTwoThreads) {
    const auto dir = pse::test::temp_dir("sweep_threads");
    const auto exp = write_experiment(dir, 6, 3);
    ASSERT_EQ(run("sweep " + exp.string() + " -o " + (dir / "t1.h5").string() + " -t 1 --overwrite"), 0);
    ASSERT_EQ(run("sweep " + exp.string() + " -o " + (dir / "t2.h5").string() + " -t 2 --overwrite"), 0);
    pse::test::expect_same_results(dir / "t1.h5", dir / "t2.h5");
    const auto r = pse::read_results(dir / "t1.h5", false);
    EXPECT_EQ(r.n_runs, 18);
    EXPECT_EQ(r.attrs.at("n_design_points"), "6");
    EXPECT_EQ(r.design_keys.size(), 2u);
    EXPECT_FALSE(std::filesystem::exists(dir / "t1.h5.parts"));  // cleaned up after the merge
}

TEST(Sweep, KilledSweepResumesToIdenticalFile) {
    const auto dir = pse::test::temp_dir("sweep_resume");
    const auto exp = write_experiment(dir, 50, 4);  // 200 runs
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(run("sweep " + exp.string() + " -o " + (dir / "full.h5").string() + " --overwrite -t 2"), 0);
    const auto full_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    // Kill at several points (SIGKILL: no chance to clean up), then resume.
    int resumed = 0;
    for (double frac : {0.2, 0.45, 0.7}) {
        const auto kill_ms = static_cast<int>(frac * static_cast<double>(full_ms));
        const auto out = dir / ("resumed_" + std::to_string(kill_ms) + ".h5");
        std::filesystem::remove_all(out.string() + ".parts");
        std::filesystem::remove(out);
        const pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            // Child: small shards so that some exist before the kill.
            const std::string cmd = pse::test::cli();
            execl(cmd.c_str(), cmd.c_str(), "-q", "sweep", exp.c_str(), "-o", out.c_str(), "-t", "2", "--checkpoint-runs",
                  "5", nullptr);
            _exit(127);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(kill_ms));
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        if (std::filesystem::exists(out)) continue;  // finished before the kill on a fast machine
        EXPECT_TRUE(std::filesystem::exists(out.string() + ".parts"));
        // Without --resume the leftover parts are refused (exit 1) and nothing is lost.
        EXPECT_EQ(run("sweep " + exp.string() + " -o " + out.string()), 1);
        EXPECT_TRUE(std::filesystem::exists(out.string() + ".parts"));
        ASSERT_EQ(run("sweep " + exp.string() + " -o " + out.string() + " --resume"), 0);
        pse::test::expect_same_results(dir / "full.h5", out);
        ++resumed;
    }
    EXPECT_GE(resumed, 1) << "every kill came after the sweep had finished (full run took " << full_ms << " ms)";
}

TEST(Sweep, ResumeRefusesADifferentExperiment) {
    const auto dir = pse::test::temp_dir("sweep_other");
    const auto exp = write_experiment(dir, 4, 2);
    const auto out = dir / "o.h5";
    std::filesystem::create_directories(out.string() + ".parts");
    std::ofstream(out.string() + ".parts/manifest.txt") << "0000000000000000\nother\n";
    EXPECT_EQ(run("sweep " + exp.string() + " -o " + out.string() + " --resume"), 1);
    EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(Sweep, ShardRoundTripIsExact) {
    const auto dir = pse::test::temp_dir("shard");
    auto s = pse::test::small_scenario();
    s.weeks = 60;
    std::vector<pse::RunRecord> recs(2);
    for (int i = 0; i < 2; ++i) {
        recs[i].run_id = 7 - i;
        recs[i].seed = 100 + i;
        recs[i].status = pse::RunStatus::kDone;
        recs[i].output = pse::run_model(s, recs[i].seed);
    }
    const auto expected = recs;
    pse::write_shard(dir / "part-000000.h5", recs, 60, "fp");
    const auto back = pse::read_shard(dir / "part-000000.h5", 60);
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[0].run_id, 6);  // sorted by run id
    EXPECT_EQ(back[1].output.series, expected[0].output.series);
    EXPECT_EQ(back[1].output.pipeline.size(), expected[0].output.pipeline.size());
    EXPECT_EQ(back[1].output.events.size(), expected[0].output.events.size());
    EXPECT_EQ(pse::read_shard_ids(dir / "part-000000.h5"), (std::vector<std::int64_t>{6, 7}));
}

TEST(Sweep, ExportCsvWritesTablesAndSeries) {
    const auto dir = pse::test::temp_dir("export");
    const auto exp = write_experiment(dir, 2, 2);
    ASSERT_EQ(run("sweep " + exp.string() + " -o " + (dir / "r.h5").string() + " --overwrite"), 0);
    ASSERT_EQ(run("export " + (dir / "r.h5").string() + " --csv " + (dir / "csv").string()), 0);
    std::ifstream runs(dir / "csv" / "runs.csv");
    std::string header, line;
    std::getline(runs, header);
    EXPECT_NE(header.find("run_id,design_point,replication,seed"), std::string::npos);
    int rows = 0;
    while (std::getline(runs, line)) ++rows;
    EXPECT_EQ(rows, 4);
    EXPECT_TRUE(std::filesystem::exists(dir / "csv" / "series_agreements_signed.csv"));
    EXPECT_TRUE(std::filesystem::exists(dir / "csv" / "events.csv"));
    EXPECT_TRUE(std::filesystem::exists(dir / "csv" / "design.csv"));
}

TEST(Sweep, HugeSweepNeedsConfirmation) {
    const auto dir = pse::test::temp_dir("huge");
    const auto p = dir / "huge.toml";
    std::ofstream(p) << "[run]\nweeks = 10\n[experiment]\ndesign = \"lhs\"\nsamples = 1000000\nreplications = 1\n"
                     << "[[experiment.uncertainty]]\nkey = \"trust.gain_rate\"\nmin = 0.02\nmax = 0.08\n";
    EXPECT_EQ(run("sweep " + p.string() + " -o " + (dir / "h.h5").string()), 2);
    EXPECT_FALSE(std::filesystem::exists(dir / "h.h5"));
    EXPECT_FALSE(std::filesystem::exists(dir / "h.h5.parts"));
}

TEST(Sweep, ExportCsvRunsHaveOneColumnPerVariedParameter) {
    // runs.csv: after wall_seconds, one column per design key holding the run's design value
    // (choice factors by name), so a spreadsheet needs no join with design.csv.
    const auto dir = pse::test::temp_dir("export_design_cols");
    const auto p = dir / "grid.toml";
    std::ofstream(p) << "[run]\nname = \"g\"\nweeks = 52\n[ecosystem]\nmnc_count = 10\nsupplier_count = 50\n"
                     << "[experiment]\ndesign = \"grid\"\nreplications = 2\n"
                     << "[[experiment.lever]]\nkey = \"ngo[*].approach\"\nvalues = [\"co_creation\", \"scrutiny\"]\n"
                     << "[[experiment.uncertainty]]\nkey = \"trust.gain_rate\"\nvalues = [0.03, 0.05]\n";
    ASSERT_EQ(run("sweep " + p.string() + " -o " + (dir / "g.h5").string() + " --overwrite"), 0);
    ASSERT_EQ(run("export " + (dir / "g.h5").string() + " --csv " + (dir / "csv").string()), 0);
    std::ifstream runs(dir / "csv" / "runs.csv");
    std::string header, line;
    std::getline(runs, header);
    EXPECT_EQ(header.rfind("run_id,design_point,replication,seed,status,error,wall_seconds,ngo[*].approach,trust.gain_rate,", 0), 0u)
        << header;
    std::vector<std::string> rows;
    while (std::getline(runs, line)) rows.push_back(line);
    ASSERT_EQ(rows.size(), 8u);
    auto field = [](const std::string& row, int i) {
        std::stringstream ss(row);
        std::string f;
        for (int k = 0; k <= i; ++k) std::getline(ss, f, ',');
        return f;
    };
    // grid order: first factor slowest; two replications per design point
    EXPECT_EQ(field(rows[0], 7), "co_creation");
    EXPECT_EQ(field(rows[0], 8), "0.03");
    EXPECT_EQ(field(rows[3], 8), "0.05");
    EXPECT_EQ(field(rows[4], 7), "scrutiny");
    EXPECT_EQ(field(rows[7], 8), "0.05");
}
