// Sweeps end to end through the CLI, as a user runs them: thread-count determinism, kill
// (SIGKILL) and resume, CSV export, refusal of huge sweeps without --yes. (The library's shards
// and the assembly of the results file: tests/unit/sweep_test.cpp.)
#include <gtest/gtest.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <thread>

#include "pse/detail/h5.h"
#include "pse/experiment.h"
#include "pse/results.h"
#include "pse/sweep.h"
#include "support/cli_run.h"
#include "support/fixtures.h"
#include "support/results_compare.h"

namespace {

std::filesystem::path write_experiment(const std::filesystem::path& dir, int samples, int reps) {
    const auto p = dir / "exp.toml";
    std::ofstream(p)
        << "[run]\nname = \"sweep_test\"\nweeks = 156\n[ecosystem]\nmnc_count = 30\nsupplier_count "
           "= 400\n"
        << "[experiment]\ndesign = \"lhs\"\nsamples = " << samples << "\nreplications = " << reps
        << "\nseed = 5\n[[experiment.uncertainty]]\nkey = \"trust.gain_rate\"\nmin = 0.02\nmax = "
           "0.08\n"
        << "[[experiment.lever]]\nkey = \"ngo[*].dedicated_fte\"\nmin = 0.0\nmax = 2.0\n";
    return p;
}

}  // namespace

TEST(Sweep, ResultsIdenticalForOneAndTwoThreads) {
    const auto dir = pse::test::temp_dir("sweep_threads");
    const auto exp = write_experiment(dir, 6, 3);
    ASSERT_EQ(pse::test::run_cli("-q sweep " + exp.string() + " -o " + (dir / "t1.h5").string() +
                                 " -t 1 --overwrite")
                  .exit_code,
              0);
    ASSERT_EQ(pse::test::run_cli("-q sweep " + exp.string() + " -o " + (dir / "t2.h5").string() +
                                 " -t 2 --overwrite")
                  .exit_code,
              0);
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
    ASSERT_EQ(pse::test::run_cli("-q sweep " + exp.string() + " -o " + (dir / "full.h5").string() +
                                 " --overwrite -t 2")
                  .exit_code,
              0);
    // Kill (SIGKILL: no chance to clean up) once 2, 12 and 25 of the about 40 shards are on disk
    // (observed, not timed), then resume.
    const auto shards_in = [](const std::filesystem::path& parts) {
        std::error_code ec;
        int n = 0;
        for (const auto& e : std::filesystem::directory_iterator(parts, ec))
            n +=
                e.path().extension() == ".h5" && e.path().filename().string().rfind("part-", 0) == 0
                    ? 1
                    : 0;
        return n;
    };
    int resumed = 0;
    for (const int at : {2, 12, 25}) {
        const auto out = dir / ("resumed_" + std::to_string(at) + ".h5");
        const std::filesystem::path parts = out.string() + ".parts";
        std::filesystem::remove_all(parts);
        std::filesystem::remove(out);
        // Small shards (5 runs) so that the kill finds a sweep part-way.
        auto child = pse::test::spawn_cli(
            {"-q", "sweep", exp.string(), "-o", out.string(), "-t", "2", "--checkpoint-runs", "5"});
        ASSERT_GT(child.pid(), 0);
        // Poll the parts folder; stop if the sweep ends first.
        while (shards_in(parts) < at && child.running())
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        child.signal(SIGKILL);
        (void)child.wait();
        if (std::filesystem::exists(out)) continue;  // finished before the kill on a fast machine
        EXPECT_TRUE(std::filesystem::exists(parts));
        // Without --resume the leftover parts are refused (exit 1) and nothing is lost.
        EXPECT_EQ(pse::test::run_cli("-q sweep " + exp.string() + " -o " + out.string()).exit_code,
                  1);
        EXPECT_TRUE(std::filesystem::exists(parts));
        ASSERT_EQ(
            pse::test::run_cli("-q sweep " + exp.string() + " -o " + out.string() + " --resume")
                .exit_code,
            0);
        pse::test::expect_same_results(dir / "full.h5", out);
        ++resumed;
    }
    EXPECT_GE(resumed, 1) << "every sweep had finished before its kill";
}

TEST(Sweep, ResumeRefusesADifferentExperiment) {
    const auto dir = pse::test::temp_dir("sweep_other");
    const auto exp = write_experiment(dir, 4, 2);
    const auto out = dir / "o.h5";
    std::filesystem::create_directories(out.string() + ".parts");
    std::ofstream(out.string() + ".parts/manifest.txt") << "0000000000000000\nother\n";
    EXPECT_EQ(pse::test::run_cli("-q sweep " + exp.string() + " -o " + out.string() + " --resume")
                  .exit_code,
              1);
    EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(Sweep, ExportCsvWritesTablesAndSeries) {
    const auto dir = pse::test::temp_dir("export");
    const auto exp = write_experiment(dir, 2, 2);
    ASSERT_EQ(pse::test::run_cli("-q sweep " + exp.string() + " -o " + (dir / "r.h5").string() +
                                 " --overwrite")
                  .exit_code,
              0);
    ASSERT_EQ(pse::test::run_cli("-q export " + (dir / "r.h5").string() + " --csv " +
                                 (dir / "csv").string())
                  .exit_code,
              0);
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
    std::ofstream(p)
        << "[run]\nweeks = 10\n[experiment]\ndesign = \"lhs\"\nsamples = 1000000\nreplications = "
           "1\n"
        << "[[experiment.uncertainty]]\nkey = \"trust.gain_rate\"\nmin = 0.02\nmax = 0.08\n";
    EXPECT_EQ(
        pse::test::run_cli("-q sweep " + p.string() + " -o " + (dir / "h.h5").string()).exit_code,
        2);
    EXPECT_FALSE(std::filesystem::exists(dir / "h.h5"));
    EXPECT_FALSE(std::filesystem::exists(dir / "h.h5.parts"));
}

TEST(Sweep, ExportCsvRunsHaveOneColumnPerVariedParameter) {
    // runs.csv: after wall_seconds, one column per design key holding the run's design value
    // (choice factors by name), so a spreadsheet needs no join with design.csv.
    const auto dir = pse::test::temp_dir("export_design_cols");
    const auto p = dir / "grid.toml";
    std::ofstream(p)
        << "[run]\nname = \"g\"\nweeks = 52\n[ecosystem]\nmnc_count = 10\nsupplier_count = 50\n"
        << "[experiment]\ndesign = \"grid\"\nreplications = 2\n"
        << "[[experiment.lever]]\nkey = \"ngo[*].approach\"\nvalues = [\"co_creation\", "
           "\"scrutiny\"]\n"
        << "[[experiment.uncertainty]]\nkey = \"trust.gain_rate\"\nvalues = [0.03, 0.05]\n";
    ASSERT_EQ(pse::test::run_cli("-q sweep " + p.string() + " -o " + (dir / "g.h5").string() +
                                 " --overwrite")
                  .exit_code,
              0);
    ASSERT_EQ(pse::test::run_cli("-q export " + (dir / "g.h5").string() + " --csv " +
                                 (dir / "csv").string())
                  .exit_code,
              0);
    std::ifstream runs(dir / "csv" / "runs.csv");
    std::string header, line;
    std::getline(runs, header);
    EXPECT_EQ(header.rfind("run_id,design_point,replication,seed,status,error,wall_seconds,ngo[*]."
                           "approach,trust.gain_rate,",
                           0),
              0u)
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
