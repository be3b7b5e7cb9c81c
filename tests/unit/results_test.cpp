#include <gtest/gtest.h>

#include "support/cli_run.h"
#include "support/fixtures.h"

// Unit tests of pse/results.{h,cpp}: the HDF5 results file round trip (write with ResultsWriter,
// read back with read_results, compare exactly), crash safety of the writer (temporary file,
// no overwrite without permission) and the reader's refusal of foreign or newer files.
// One test cross-checks the file with h5py through /usr/bin/python3.
#include <hdf5.h>

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "pse/errors.h"
#include "pse/metrics.h"
#include "pse/model.h"
#include "pse/results.h"
#include "pse/runner.h"
#include "pse/version.h"

namespace pse {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
    return test::fresh_dir("results", name);
}
using test::list_dir;

using test::read_all;
using test::write_all;

/// Equal, or both NaN.
bool same(double a, double b) {
    return (std::isnan(a) && std::isnan(b)) || a == b;
}

Scenario tiny_scenario() {
    Scenario s = test::small_scenario();
    s.name = "results-test";
    s.weeks = 104;
    s.ngo_defaults.end_week = 80;
    return s;
}

ResultsMeta meta_for(const Scenario& s, std::int64_t n_runs) {
    ResultsMeta m;
    m.scenario_name = s.name;
    m.command_line = "pse_tests results --with 'quotes' and \"double quotes\"";
    m.file_names = {"scenario.toml", "base.toml"};
    m.file_texts = {"[run]\nname = \"results-test\"\n", "# base\n"};
    m.resolved = {"[run]\nweeks = 104\n"};
    auto column = [](std::string key, std::string role, double v) {
        DesignColumn c;
        c.key = std::move(key);
        c.role = std::move(role);
        c.values = {v};
        return c;
    };
    m.design = {column("ngo[*].dedicated_fte", "lever", 1.5),
                column("trust.gain_rate", "uncertainty", 0.04)};
    m.n_runs = n_runs;
    m.n_design_points = 1;
    m.replications = n_runs;
    m.weeks = s.weeks;
    return m;
}

/// A run set written to `file`: three model runs via pse::execute, plus one failed run record.
struct Written {
    Scenario scenario;
    ResultsMeta meta;
    std::vector<RunRecord> records;  ///< indexed by run id
    std::time_t before = 0, after = 0;
};

Written write_run_set(const fs::path& file) {
    Written w;
    w.scenario = tiny_scenario();
    RunPlan plan;
    plan.design_points = {w.scenario};
    plan.replications = 3;
    plan.master_seed = 99;
    w.meta = meta_for(w.scenario, 4);
    w.records.resize(4);
    w.before = std::time(nullptr);
    ResultsWriter writer(file, w.meta, false);
    RunnerOptions ro;
    ro.threads = 2;
    const auto tally = execute(plan, ro, [&](RunRecord&& rec) {
        w.records[static_cast<std::size_t>(rec.run_id)] = rec;
        writer.write_run(std::move(rec));
    });
    EXPECT_EQ(tally.done, 3);
    EXPECT_EQ(tally.failed, 0);
    RunRecord failed;
    failed.run_id = 3;
    failed.design_point = 0;
    failed.replication = 3;
    failed.seed = 123456789012345ULL;
    failed.status = RunStatus::kFailed;
    failed.error = "model error: something went wrong (ü)";
    failed.wall_seconds = 0.25;
    w.records[3] = failed;
    writer.write_run(failed);
    EXPECT_TRUE(fs::exists(writer.temp_path()));
    EXPECT_FALSE(fs::exists(file));  // nothing at the target before finalize()
    writer.finalize();
    EXPECT_FALSE(fs::exists(writer.temp_path()));
    w.after = std::time(nullptr);
    return w;
}

// ---------------------------------------------------------------------------------------------
// Round trip

TEST(Results, RoundTripRunsSummaryAndSeries) {
    const auto dir = fresh_dir("roundtrip");
    const auto file = dir / "out.h5";
    const auto w = write_run_set(file);
    ASSERT_TRUE(fs::exists(file));
    EXPECT_EQ(list_dir(dir), std::vector<std::string>{"out.h5"});  // no temporary file left

    const auto r = read_results(file);
    const int W = w.scenario.weeks;
    ASSERT_EQ(r.n_runs, 4);
    ASSERT_EQ(r.weeks, W);
    ASSERT_EQ(r.run_id.size(), 4u);
    ASSERT_EQ(r.seed.size(), 4u);
    ASSERT_EQ(r.status.size(), 4u);
    ASSERT_EQ(r.error.size(), 4u);
    ASSERT_EQ(r.wall_seconds.size(), 4u);
    std::size_t events = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        const auto& rec = w.records[i];
        EXPECT_EQ(r.run_id[i], static_cast<std::int64_t>(i));
        EXPECT_EQ(r.design_point[i], rec.design_point);
        EXPECT_EQ(r.replication[i], rec.replication);
        EXPECT_EQ(r.seed[i], rec.seed);
        EXPECT_EQ(r.status[i], static_cast<std::int8_t>(rec.status));
        EXPECT_EQ(r.error[i], rec.error);
        EXPECT_EQ(r.wall_seconds[i], rec.wall_seconds);
        if (rec.status == RunStatus::kDone) events += rec.output.events.size();
    }
    // Model runs used the planned seeds.
    RunPlan plan;
    plan.master_seed = 99;
    plan.replications = 3;
    plan.design_points = {w.scenario};
    for (std::int64_t i = 0; i < 3; ++i)
        EXPECT_EQ(r.seed[static_cast<std::size_t>(i)], run_seed(plan, 0, i));

    ASSERT_EQ(r.summary.size(), static_cast<std::size_t>(kSummaryCount));
    for (int k = 0; k < kSummaryCount; ++k) {
        const std::string name(kSummarySpecs[k].name);
        ASSERT_TRUE(r.summary.count(name)) << name;
        const auto& v = r.summary.at(name);
        ASSERT_EQ(v.size(), 4u) << name;
        for (std::size_t i = 0; i < 3; ++i)
            EXPECT_TRUE(same(v[i], w.records[i].output.summary[k]))
                << name << " run " << i << ": " << v[i];
        EXPECT_TRUE(std::isnan(v[3])) << name << ": failed run has no summary";
    }
    ASSERT_EQ(r.series.size(), static_cast<std::size_t>(kSeriesCount));
    bool any_nonzero = false;
    for (int k = 0; k < kSeriesCount; ++k) {
        const std::string name(kSeriesSpecs[k].name);
        const auto& v = r.series.at(name);
        ASSERT_EQ(v.size(), 4u * W) << name;
        for (std::size_t i = 0; i < 3; ++i)
            for (int wk = 0; wk < W; ++wk) {
                const double expect =
                    w.records[i].output.series[static_cast<std::size_t>(wk) * kSeriesCount + k];
                ASSERT_TRUE(same(v[i * W + wk], expect)) << name << " run " << i << " week " << wk;
                any_nonzero = any_nonzero || expect != 0;
            }
        for (int wk = 0; wk < W; ++wk)
            EXPECT_TRUE(std::isnan(v[3 * W + wk])) << name << ": failed run is NaN";
    }
    EXPECT_TRUE(any_nonzero);  // the comparison is not vacuous
    EXPECT_EQ(r.n_events, events);
    EXPECT_GT(events, 0u);

    ASSERT_EQ(r.design_keys, (std::vector<std::string>{"ngo[*].dedicated_fte", "trust.gain_rate"}));
    EXPECT_EQ(r.design.at("ngo[*].dedicated_fte"), std::vector<double>{1.5});
    EXPECT_EQ(r.design.at("trust.gain_rate"), std::vector<double>{0.04});

    // with_series = false skips the series only.
    const auto lite = read_results(file, false);
    EXPECT_TRUE(lite.series.empty());
    EXPECT_EQ(lite.seed, r.seed);
    EXPECT_EQ(lite.n_events, r.n_events);
}

TEST(Results, RootAttributes) {
    const auto dir = fresh_dir("attrs");
    const auto file = dir / "out.h5";
    const auto w = write_run_set(file);
    const auto r = read_results(file, false);
    for (const char* name : {"format", "format_version", "pse_sim_version", "git_commit",
                             "created_utc", "command_line", "host", "scenario_name", "weeks",
                             "n_runs", "n_design_points", "replications"})
        EXPECT_TRUE(r.attrs.count(name) && !r.attrs.at(name).empty()) << "attribute " << name;
    EXPECT_EQ(r.attrs.at("format"), "pse-sim results");
    EXPECT_EQ(r.attrs.at("format_version"), std::to_string(kFormatVersion));
    EXPECT_EQ(r.attrs.at("pse_sim_version"), kVersion);
    EXPECT_EQ(r.attrs.at("git_commit"), kGitCommit);
    EXPECT_EQ(r.attrs.at("command_line"), w.meta.command_line);
    EXPECT_EQ(r.attrs.at("scenario_name"), "results-test");
    EXPECT_EQ(r.attrs.at("weeks"), "104");
    EXPECT_EQ(r.attrs.at("n_runs"), "4");
    EXPECT_EQ(r.attrs.at("n_design_points"), "1");
    EXPECT_EQ(r.attrs.at("replications"), "4");
    const std::string created = r.attrs.at("created_utc");
    ASSERT_TRUE(std::regex_match(created, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)")))
        << created;
    // It is UTC and the time of writing.
    std::tm tm{};
    ASSERT_NE(strptime(created.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm), nullptr);
    const std::time_t t = timegm(&tm);
    EXPECT_GE(t, w.before - 1);
    EXPECT_LE(t, w.after + 1);
}

TEST(Results, PendingRunsReadAsNotRun) {
    const auto dir = fresh_dir("pending");
    const auto file = dir / "out.h5";
    Scenario s = tiny_scenario();
    s.weeks = 30;
    s.ngo_defaults.end_week = 20;
    {
        ResultsWriter writer(file, meta_for(s, 3), false);
        RunRecord rec;
        rec.run_id = 1;
        rec.replication = 1;
        rec.seed = 5;
        rec.status = RunStatus::kDone;
        rec.output = run_model(s, 5);
        writer.write_run(rec);
        writer.finalize();
    }
    const auto r = read_results(file);
    ASSERT_EQ(r.status.size(), 3u);
    EXPECT_EQ(r.status[0], static_cast<std::int8_t>(RunStatus::kPending));
    EXPECT_EQ(r.status[1], static_cast<std::int8_t>(RunStatus::kDone));
    EXPECT_EQ(r.status[2], static_cast<std::int8_t>(RunStatus::kPending));
    EXPECT_EQ(r.seed[1], 5u);
    const auto& trust = r.series.at("mean_trust");
    for (int wk = 0; wk < 30; ++wk) {
        EXPECT_TRUE(std::isnan(trust[static_cast<std::size_t>(wk)]));
        EXPECT_TRUE(std::isnan(trust[2 * 30 + static_cast<std::size_t>(wk)]));
    }
}

TEST(Results, EmptyRunSet) {
    const auto dir = fresh_dir("empty");
    const auto file = dir / "out.h5";
    Scenario s = tiny_scenario();
    ResultsMeta m = meta_for(s, 0);
    m.design.clear();
    {
        ResultsWriter writer(file, m, false);
        writer.finalize();
    }
    const auto r = read_results(file);
    EXPECT_EQ(r.n_runs, 0);
    EXPECT_TRUE(r.seed.empty());
    EXPECT_TRUE(r.design_keys.empty());
    EXPECT_EQ(r.n_events, 0u);
    for (const auto& [name, v] : r.series) EXPECT_TRUE(v.empty()) << name;
}

TEST(Results, WriteRunRejectsBadRecords) {
    const auto dir = fresh_dir("badrec");
    Scenario s = tiny_scenario();
    ResultsWriter writer(dir / "out.h5", meta_for(s, 2), false);
    RunRecord out_of_range;
    out_of_range.run_id = 2;
    EXPECT_THROW(writer.write_run(out_of_range), IoError);
    RunRecord wrong_weeks;
    wrong_weeks.run_id = 0;
    wrong_weeks.status = RunStatus::kDone;
    wrong_weeks.output.weeks = s.weeks - 1;
    EXPECT_THROW(writer.write_run(wrong_weeks), IoError);
}

// ---------------------------------------------------------------------------------------------
// Writer safety

TEST(Results, ExistingTargetNotOverwrittenWithoutPermission) {
    const auto dir = fresh_dir("exists");
    const auto file = dir / "out.h5";
    write_all(file, "precious results\n");
    const Scenario s = tiny_scenario();
    EXPECT_THROW(ResultsWriter(file, meta_for(s, 1), false), IoError);
    EXPECT_EQ(read_all(file), "precious results\n");
    EXPECT_EQ(list_dir(dir), std::vector<std::string>{"out.h5"});
}

TEST(Results, ExistingTargetReplacedWithOverwrite) {
    const auto dir = fresh_dir("overwrite");
    const auto file = dir / "out.h5";
    write_all(file, "old\n");
    const Scenario s = tiny_scenario();
    {
        ResultsWriter writer(file, meta_for(s, 1), true);
        // Until finalize() the old file is intact.
        EXPECT_EQ(read_all(file), "old\n");
        writer.finalize();
    }
    EXPECT_NE(read_all(file), "old\n");
    EXPECT_EQ(read_results(file).n_runs, 1);
    EXPECT_EQ(list_dir(dir), std::vector<std::string>{"out.h5"});
}

TEST(Results, AbandonedWriterLeavesNothing) {
    const auto dir = fresh_dir("abandon");
    const auto file = dir / "out.h5";
    const Scenario s = tiny_scenario();
    fs::path temp;
    {
        ResultsWriter writer(file, meta_for(s, 2), false);
        temp = writer.temp_path();
        EXPECT_EQ(temp.parent_path(), dir);  // beside the target, so the rename is atomic
        EXPECT_TRUE(fs::exists(temp));
        RunRecord rec;
        rec.run_id = 0;
        rec.status = RunStatus::kDone;
        rec.seed = 1;
        rec.output = run_model(s, 1);
        writer.write_run(std::move(rec));
    }  // destroyed without finalize()
    EXPECT_FALSE(fs::exists(temp));
    EXPECT_FALSE(fs::exists(file));
    EXPECT_TRUE(list_dir(dir).empty());
}

TEST(Results, AbandonedOverwriteKeepsOldTarget) {
    const auto dir = fresh_dir("abandon_keep");
    const auto file = dir / "out.h5";
    write_all(file, "keep me\n");
    const Scenario s = tiny_scenario();
    { ResultsWriter writer(file, meta_for(s, 1), true); }
    EXPECT_EQ(read_all(file), "keep me\n");
    EXPECT_EQ(list_dir(dir), std::vector<std::string>{"out.h5"});
}

TEST(Results, MissingOutputFolder) {
    const auto dir = fresh_dir("nofolder");
    const Scenario s = tiny_scenario();
    EXPECT_THROW(ResultsWriter(dir / "missing" / "out.h5", meta_for(s, 1), false), IoError);
    EXPECT_FALSE(fs::exists(dir / "missing"));
    EXPECT_TRUE(list_dir(dir).empty());
    // A path naming a folder is refused too.
    EXPECT_THROW(ResultsWriter(dir / "", meta_for(s, 1), true), IoError);
}

TEST(Results, FinalizeOntoAFolderFailsCleanly) {
    // The rename onto the target fails when the target is a folder: IoError with the reason,
    // the temporary file is removed and the folder is untouched.
    const auto dir = fresh_dir("ontofolder");
    fs::create_directories(dir / "target");
    const Scenario s = tiny_scenario();
    std::string message;
    {
        ResultsWriter writer(dir / "target", meta_for(s, 1), true);
        try {
            writer.finalize();
            ADD_FAILURE() << "finalize() onto a folder succeeded";
        } catch (const IoError& e) {
            message = e.what();
        }
    }
    EXPECT_TRUE(fs::is_directory(dir / "target"));
    EXPECT_TRUE(list_dir(dir / "target").empty());
    EXPECT_EQ(list_dir(dir), std::vector<std::string>{"target"});  // temporary file removed
    EXPECT_NE(message.find("target"), std::string::npos) << message;
    // The message gives the rename's reason, not the status of removing the temporary file.
    EXPECT_EQ(message.find("Success"), std::string::npos) << message;
}

// ---------------------------------------------------------------------------------------------
// Reader refusals

TEST(Results, ReadMissingFile) {
    const auto dir = fresh_dir("readmissing");
    EXPECT_THROW((void)read_results(dir / "nothing.h5"), IoError);
}

TEST(Results, ReadNonHdf5File) {
    const auto dir = fresh_dir("nonhdf5");
    write_all(dir / "text.h5", "this is not HDF5\n");
    try {
        (void)read_results(dir / "text.h5");
        FAIL() << "expected IoError";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("not an HDF5 file"), std::string::npos) << e.what();
    }
}

TEST(Results, ReadForeignHdf5File) {
    const auto dir = fresh_dir("foreign");
    const auto file = dir / "other.h5";
    {
        const hid_t f = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        ASSERT_GE(f, 0);
        const hid_t g = H5Gcreate2(f, "runs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        ASSERT_GE(g, 0);
        H5Gclose(g);
        H5Fclose(f);
    }
    try {
        (void)read_results(file);
        FAIL() << "expected IoError";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("not a pse-sim results file"), std::string::npos)
            << e.what();
    }
}

TEST(Results, ReadNewerFormatVersion) {
    const auto dir = fresh_dir("newer");
    const auto file = dir / "out.h5";
    (void)write_run_set(file);
    {
        const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        ASSERT_GE(f, 0);
        const hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
        ASSERT_GE(a, 0);
        const std::int64_t v = kFormatVersion + 1;
        ASSERT_GE(H5Awrite(a, H5T_NATIVE_INT64, &v), 0);
        H5Aclose(a);
        H5Fclose(f);
    }
    try {
        (void)read_results(file);
        FAIL() << "expected IoError";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
    }
}

// ---------------------------------------------------------------------------------------------
// Cross-check with an independent reader (h5py)

std::vector<double> parse_numbers(const std::string& line) {
    std::vector<double> out;
    std::istringstream ss(line);
    for (std::string tok; ss >> tok;) out.push_back(std::strtod(tok.c_str(), nullptr));
    return out;
}

TEST(Results, H5pyReadsTheSameValues) {
    if (test::run_program("/usr/bin/python3", {"-c", "import h5py"}).exit_code != 0)
        GTEST_SKIP() << "/usr/bin/python3 lacks h5py (apt-get install python3-h5py)";
    const auto dir = fresh_dir("h5py");
    const auto file = dir / "out.h5";
    (void)write_run_set(file);
    const auto script = dir / "read.py";
    write_all(script, R"(import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    print(" ".join(str(int(s)) for s in f["runs/seed"][...]))
    print(f.attrs["format"].decode() if isinstance(f.attrs["format"], bytes) else f.attrs["format"])
    for name in ("agreements_signed", "mean_trust", "staff_hours"):
        d = f["series/" + name]
        print(name, d.shape[0], d.shape[1])
        for row in d[...]:
            print(" ".join(repr(float(x)) for x in row))
)");
    const auto p = test::run_program("/usr/bin/python3", {script.string(), file.string()});
    ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
    const auto r = read_results(file);
    std::istringstream in(p.out);
    std::string line;
    ASSERT_TRUE(std::getline(in, line));
    {
        std::istringstream ss(line);
        std::vector<std::uint64_t> seeds;
        for (std::uint64_t v; ss >> v;) seeds.push_back(v);
        EXPECT_EQ(seeds, r.seed);
    }
    ASSERT_TRUE(std::getline(in, line));
    EXPECT_EQ(line, "pse-sim results");
    for (const std::string name : {"agreements_signed", "mean_trust", "staff_hours"}) {
        ASSERT_TRUE(std::getline(in, line));
        EXPECT_EQ(line, name + " 4 " + std::to_string(r.weeks));
        const auto& mine = r.series.at(name);
        for (std::size_t i = 0; i < 4; ++i) {
            ASSERT_TRUE(std::getline(in, line));
            const auto row = parse_numbers(line);
            ASSERT_EQ(row.size(), static_cast<std::size_t>(r.weeks));
            for (std::size_t wk = 0; wk < row.size(); ++wk)
                ASSERT_TRUE(same(row[wk], mine[i * static_cast<std::size_t>(r.weeks) + wk]))
                    << name << " run " << i << " week " << wk << ": h5py " << row[wk] << " vs "
                    << mine[i * static_cast<std::size_t>(r.weeks) + wk];
        }
    }
}

}  // namespace
}  // namespace pse

// --- Encoded blocks (sweep shards carry whole series chunks; the merge copies them) ---------

namespace {
pse::RunRecord block_record(std::int64_t id, const pse::RunOutput& out, bool failed) {
    pse::RunRecord r;
    r.run_id = id;
    r.replication = id;
    r.seed = static_cast<std::uint64_t>(id);
    if (failed) {
        r.status = pse::RunStatus::kFailed;
        r.error = "failed on purpose";
    } else {
        r.status = pse::RunStatus::kDone;
        r.output = out;
    }
    return r;
}
}  // namespace

TEST(Results, ChunkLayoutMatchesTheFilesChunks) {
    // 64-run series chunks and 16-run pipeline chunks; fewer runs give one block of all of them.
    const auto a = pse::ChunkLayout::of(150, 30);
    EXPECT_EQ(a.block_rows, 64);
    EXPECT_EQ(a.pipe_rows, 16);
    EXPECT_EQ(a.n_blocks(), 3);
    EXPECT_EQ(a.rows_in_block(2), 22);
    EXPECT_EQ(a.chunks_in_block(0), static_cast<std::size_t>(pse::kSeriesCount + 4));
    EXPECT_EQ(a.chunks_in_block(2),
              static_cast<std::size_t>(pse::kSeriesCount + 2));  // rows 128..149: 2 pipeline chunks
    const auto b = pse::ChunkLayout::of(40, 30);
    EXPECT_EQ(b.block_rows, 40);
    EXPECT_EQ(b.n_blocks(), 1);
    EXPECT_EQ(b.chunks_in_block(0),
              static_cast<std::size_t>(pse::kSeriesCount + 3));  // 0-15, 16-31, 32-47 (padded)
    EXPECT_EQ(pse::ChunkLayout::of(0, 30).n_blocks(), 0);
    EXPECT_EQ(pse::ChunkLayout::of(10, 0).n_blocks(), 0);
}

TEST(Results, EncodedBlockDecodesToTheRunsOutputs) {
    auto s = pse::test::small_scenario();
    s.weeks = 30;
    const auto layout = pse::ChunkLayout::of(70, s.weeks);
    const auto o1 = pse::run_model(s, 1), o2 = pse::run_model(s, 2);
    for (const std::int64_t b : {0, 1}) {  // a whole block and the short last one
        SCOPED_TRACE("block " + std::to_string(b));
        std::vector<pse::RunRecord> recs;
        for (std::int64_t i = 0; i < layout.rows_in_block(b); ++i) {
            const auto id = b * layout.block_rows + i;
            recs.push_back(block_record(id, id % 2 ? o1 : o2, id % 7 == 3));
        }
        std::vector<const pse::RunRecord*> rows;
        for (const auto& r : recs) rows.push_back(&r);
        const auto blk = pse::encode_block(layout, b, rows);
        ASSERT_EQ(blk.chunks.size(), layout.chunks_in_block(b));
        auto back = recs;
        std::vector<pse::RunRecord*> ptrs;
        for (auto& r : back) {
            r.output.series.clear();
            r.output.pipeline.clear();
            ptrs.push_back(&r);
        }
        pse::decode_block(layout, blk, ptrs);
        for (std::size_t i = 0; i < recs.size(); ++i) {
            EXPECT_EQ(back[i].output.series, recs[i].output.series) << "run " << recs[i].run_id;
            EXPECT_EQ(back[i].output.pipeline, recs[i].output.pipeline) << "run " << recs[i].run_id;
        }
        auto damaged = blk;
        damaged.chunks[0].resize(damaged.chunks[0].size() / 2);
        EXPECT_THROW(pse::decode_block(layout, damaged, ptrs), pse::IoError);
    }
    std::vector<const pse::RunRecord*> short_rows(5, nullptr);
    EXPECT_THROW(pse::encode_block(layout, 0, short_rows), pse::IoError);  // block 0 holds 64 runs
    EXPECT_THROW(pse::encode_block(layout, 2, short_rows), pse::IoError);  // no block 2
    const auto wrong = block_record(5, o1, false);
    std::vector<const pse::RunRecord*> misplaced(6, nullptr);
    misplaced[0] = &wrong;  // run 5 in row 0 of block 1 (runs 64..69)
    EXPECT_THROW(pse::encode_block(layout, 1, misplaced), pse::IoError);
}

TEST(Results, BlockStoredEncodedReadsLikeRunsWrittenOneByOne) {
    // A file written with write_block() for some blocks and write_run() for the others holds
    // exactly the datasets of one written run by run; a block is stored once, with all its runs.
    auto s = pse::test::small_scenario();
    s.weeks = 26;
    const std::int64_t n = 150;
    const auto layout = pse::ChunkLayout::of(n, s.weeks);
    const auto o1 = pse::run_model(s, 1), o2 = pse::run_model(s, 2);
    std::vector<pse::RunRecord> recs;
    for (std::int64_t id = 0; id < n; ++id)
        recs.push_back(block_record(id, id % 3 ? o1 : o2, id % 13 == 5));
    const auto meta = pse::test::results_meta(s.name, n, s.weeks);
    const auto dir = pse::test::fresh_dir("results", "block");
    {
        pse::ResultsWriter w(dir / "rows.h5", meta, false);
        for (auto r : recs) w.write_run(std::move(r));
        w.finalize();
    }
    {
        pse::ResultsWriter w(dir / "blocks.h5", meta, false);
        for (const std::int64_t b : {2, 0}) {  // blocks 0 and 2 encoded, block 1 run by run
            std::vector<const pse::RunRecord*> rows;
            std::vector<pse::RunRecord> runs;
            for (std::int64_t i = 0; i < layout.rows_in_block(b); ++i) {
                rows.push_back(&recs[static_cast<std::size_t>(b * 64 + i)]);
                runs.push_back(recs[static_cast<std::size_t>(b * 64 + i)]);
            }
            const auto blk = pse::encode_block(layout, b, rows);
            auto too_few = runs;
            too_few.pop_back();
            EXPECT_THROW(w.write_block(blk, too_few), pse::IoError);
            w.write_block(blk, runs);
            EXPECT_THROW(w.write_block(blk, runs), pse::IoError);  // stored once
            EXPECT_THROW(w.write_run(recs[static_cast<std::size_t>(b * 64)]),
                         pse::IoError);  // its runs too
        }
        for (std::int64_t id = 64; id < 128; ++id) w.write_run(recs[static_cast<std::size_t>(id)]);
        w.finalize();
    }
    const auto a = pse::read_results(dir / "rows.h5"), b = pse::read_results(dir / "blocks.h5");
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.error, b.error);
    for (const auto& [k, v] : a.series) {
        const auto& w = b.series.at(k);
        ASSERT_EQ(v.size(), w.size());
        EXPECT_EQ(std::memcmp(v.data(), w.data(), v.size() * sizeof(double)), 0)
            << k;  // NaN fill included
    }
    for (const auto& [k, v] : a.summary) {
        const auto& w = b.summary.at(k);
        EXPECT_EQ(std::memcmp(v.data(), w.data(), v.size() * sizeof(double)), 0) << k;
    }
    EXPECT_EQ(a.n_events, b.n_events);
    ASSERT_EQ(a.tables.size(), b.tables.size());
    for (const auto& [t, cols] : a.tables)
        for (const auto& [c, v] : cols) {  // bit for bit (NaN cells included)
            const auto& w = b.tables.at(t).at(c);
            ASSERT_EQ(v.size(), w.size()) << t << "/" << c;
            EXPECT_EQ(std::memcmp(v.data(), w.data(), v.size() * sizeof(double)), 0)
                << t << "/" << c;
        }
}

TEST(Results, EventsAndTablesSpanningManyChunksReadBackExactly) {
    // Events (65,536-row chunks, written 4 chunks at a time) and table rows (4,096-row chunks)
    // are encoded in parallel and stored with H5Dwrite_chunk, the last chunk padded: more than
    // kEventBlockRows events and several table chunks, with a partial last chunk each.
    const int W = 4;
    const std::int64_t n = 3;
    const auto meta = pse::test::results_meta("chunks", n, W);
    std::vector<pse::RunRecord> recs;
    for (std::int64_t id = 0; id < n; ++id) {
        pse::RunRecord r;
        r.run_id = id;
        r.status = pse::RunStatus::kDone;
        r.output.weeks = W;
        r.output.summary.assign(pse::kSummaryCount, static_cast<double>(id));
        r.output.series.assign(static_cast<std::size_t>(W) * pse::kSeriesCount, 1.0);
        r.output.pipeline.assign(static_cast<std::size_t>(W) * pse::kStageCount, 2.0f);
        const std::size_t n_ev = 100000 + static_cast<std::size_t>(id) * 777;
        for (std::size_t e = 0; e < n_ev; ++e)
            r.output.events.push_back(
                pse::Event{static_cast<std::int32_t>(e % W), static_cast<std::int32_t>(id),
                           static_cast<std::int64_t>(e * 31 + static_cast<std::size_t>(id)),
                           static_cast<pse::EventType>(e % 3), static_cast<pse::Stage>(e % 4),
                           static_cast<pse::Stage>((e + 1) % 4)});
        const auto cols = static_cast<std::size_t>(pse::kTableSpecs[0].column_count);
        for (std::size_t row = 0; row < 5000 + static_cast<std::size_t>(id); ++row)
            for (std::size_t c = 0; c < cols; ++c)
                r.output.tables[0].push_back(static_cast<double>(id * 1000000) +
                                             static_cast<double>(row * cols + c) + 0.25);
        recs.push_back(std::move(r));
    }
    const auto dir = pse::test::fresh_dir("results", "chunks");
    {
        pse::ResultsWriter w(dir / "out.h5", meta, false);
        for (auto r : recs) w.write_run(std::move(r));
        w.finalize();
    }
    const auto ev = pse::read_events(dir / "out.h5");
    std::size_t at = 0;
    for (const auto& r : recs)
        for (const auto& e : r.output.events) {
            ASSERT_LT(at, ev.size());
            const auto& g = ev[at++];
            ASSERT_EQ(g.run, r.run_id);
            ASSERT_EQ(g.event.week, e.week);
            ASSERT_EQ(g.event.ngo, e.ngo);
            ASSERT_EQ(g.event.org, e.org) << "event " << at - 1;
            ASSERT_EQ(g.event.type, e.type);
            ASSERT_EQ(g.event.from, e.from);
            ASSERT_EQ(g.event.to, e.to);
        }
    EXPECT_EQ(at, ev.size());
    const auto data = pse::read_results(dir / "out.h5", false);
    const auto& spec = pse::kTableSpecs[0];
    const auto& tab = data.tables.at(std::string(spec.name));
    std::size_t row = 0;
    for (const auto& r : recs) {
        const auto cols = static_cast<std::size_t>(spec.column_count);
        for (std::size_t i = 0; i < r.output.tables[0].size() / cols; ++i, ++row) {
            ASSERT_EQ(tab.at("run")[row], static_cast<double>(r.run_id));
            for (std::size_t c = 0; c < cols; ++c)
                ASSERT_EQ(tab.at(std::string(spec.columns[c].name))[row],
                          r.output.tables[0][i * cols + c])
                    << "row " << row;
        }
    }
    EXPECT_EQ(tab.at("run").size(), row);
}
