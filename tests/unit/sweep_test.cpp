// sim/pse/sweep.cpp: shards (write/read, the chunk-at-a-time blocks the merge copies, the
// writer's checkpoint policy, damaged and first-format shards) and the assembly of the results
// file against the runs' own outputs, through the library. (Moved from
// tests/integration/sweep_test.cpp, which keeps the sweeps run through the CLI.)
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
#include "support/fixtures.h"
#include "support/results_compare.h"

namespace {

std::vector<float> read_pipeline(const std::filesystem::path& file) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    const hid_t d = H5Dopen2(f, "series/pipeline", H5P_DEFAULT);
    const hid_t sp = H5Dget_space(d);
    std::vector<float> v(static_cast<std::size_t>(H5Sget_simple_extent_npoints(sp)));
    if (!v.empty()) H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
    return v;
}
}  // namespace

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

TEST(Sweep, AssembledFileHoldsEveryRunsOutputExactly) {
    // The writer assembles series and pipeline rows a chunk (64 runs) at a time, encodes whole
    // chunks (shuffle + deflate, on all cores) and stores them with H5Dwrite_chunk. Check it
    // against the runs' own outputs for run counts below one pipeline chunk (5), with a partial
    // last chunk (70) and several chunks (150), runs written out of order (later chunks first,
    // as shards of several ranks arrive), and failed runs (their rows read as not run: NaN
    // series, zero pipeline).
    auto s = pse::test::small_scenario();
    s.weeks = 30;
    const auto W = static_cast<std::size_t>(s.weeks);
    std::vector<pse::RunOutput> outs;
    for (std::uint64_t seed : {11u, 12u, 13u}) outs.push_back(pse::run_model(s, seed));
    for (const std::int64_t n : {5, 70, 150}) {
        SCOPED_TRACE("runs " + std::to_string(n));
        const auto dir = pse::test::fresh_dir("assembly", "n" + std::to_string(n));
        const auto meta = pse::test::results_meta(s.name, n, s.weeks);
        std::vector<std::int64_t> order(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i)
            order[static_cast<std::size_t>(i)] = n - 1 - i;  // last run first
        std::rotate(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(order.size() / 3),
                    order.end());
        const auto failed = [](std::int64_t id) { return id % 11 == 3; };
        {
            pse::ResultsWriter w(dir / "out.h5", meta, false);
            for (const auto id : order) {
                pse::RunRecord rec;
                rec.run_id = id;
                rec.replication = id;
                rec.seed = static_cast<std::uint64_t>(id);
                if (failed(id)) {
                    rec.status = pse::RunStatus::kFailed;
                    rec.error = "failed on purpose";
                } else {
                    rec.status = pse::RunStatus::kDone;
                    rec.output = outs[static_cast<std::size_t>(id % 3)];
                }
                w.write_run(std::move(rec));
            }
            pse::RunRecord again;
            again.run_id = order.front();
            EXPECT_THROW(w.write_run(again), pse::IoError);  // a run is written once
            w.finalize();
        }
        const auto r = pse::read_results(dir / "out.h5");
        const auto pipe = read_pipeline(dir / "out.h5");
        ASSERT_EQ(pipe.size(), static_cast<std::size_t>(n) * W * pse::kStageCount);
        std::size_t events = 0;
        std::array<std::size_t, pse::kTableCount> rows{};
        for (std::int64_t i = 0; i < n; ++i) {
            const auto u = static_cast<std::size_t>(i);
            const auto& o = outs[u % 3];
            for (int k = 0; k < pse::kSeriesCount; ++k) {
                const auto& got = r.series.at(std::string(pse::kSeriesSpecs[k].name));
                for (std::size_t w = 0; w < W; ++w) {
                    const double v = got[u * W + w];
                    if (failed(i))
                        ASSERT_TRUE(std::isnan(v)) << "run " << i;
                    else
                        ASSERT_EQ(
                            std::memcmp(
                                &v, &o.series[w * pse::kSeriesCount + static_cast<std::size_t>(k)],
                                sizeof v),
                            0)
                            << "run " << i << " series " << pse::kSeriesSpecs[k].name << " week "
                            << w;
                }
            }
            for (std::size_t j = 0; j < W * pse::kStageCount; ++j)
                ASSERT_EQ(pipe[u * W * pse::kStageCount + j],
                          failed(i) ? 0.0f : static_cast<float>(o.pipeline[j]))
                    << "run " << i;
            if (!failed(i)) {
                events += o.events.size();
                for (int t = 0; t < pse::kTableCount; ++t)
                    rows[static_cast<std::size_t>(t)] +=
                        o.tables[t].size() /
                        static_cast<std::size_t>(pse::kTableSpecs[t].column_count);
            }
        }
        EXPECT_EQ(r.n_events, events);
        const auto ev = pse::read_events(dir / "out.h5");
        ASSERT_EQ(ev.size(), events);
        EXPECT_TRUE(std::is_sorted(ev.begin(), ev.end(),
                                   [](const auto& a, const auto& b) { return a.run < b.run; }));
        for (int t = 0; t < pse::kTableCount; ++t)
            EXPECT_EQ(r.tables.at(std::string(pse::kTableSpecs[t].name)).at("run").size(),
                      rows[static_cast<std::size_t>(t)]);
    }
}

namespace {
/// A 150-run experiment of tiny runs (26 weeks, small ecosystem): 3 blocks of the chunk layout
/// (64, 64 and 22 runs).
pse::Experiment tiny_experiment(const std::filesystem::path& dir) {
    const auto p = dir / "tiny.toml";
    std::ofstream(p)
        << "[run]\nname = \"blocks\"\nweeks = 26\n[ecosystem]\nmnc_count = 10\nsupplier_count = "
           "80\n"
        << "[experiment]\ndesign = \"grid\"\nreplications = 50\nseed = 3\n"
        << "[[experiment.lever]]\nkey = \"ngo[*].dedicated_fte\"\nvalues = [0.0, 1.0, 2.0]\n";
    return pse::load_experiment(p);
}

/// The records of runs 0..n-1 of `e`, by run id.
std::vector<pse::RunRecord> run_records(const pse::Experiment& e, std::int64_t n) {
    std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
    std::iota(ids.begin(), ids.end(), 0);
    std::vector<pse::RunRecord> recs;
    pse::execute(e, ids, pse::RunnerOptions{},
                 [&](pse::RunRecord&& r) { recs.push_back(std::move(r)); });
    std::sort(recs.begin(), recs.end(),
              [](const auto& x, const auto& y) { return x.run_id < y.run_id; });
    return recs;
}
}  // namespace

TEST(Sweep, ShardsCarryWholeBlocksThatTheMergeCopies) {
    // Shards store the series of whole blocks as the results file's encoded chunks; the merge
    // copies them byte for byte. The file equals one assembled from shards of rows only
    // (flush every run: no block is ever whole in a shard), dataset for dataset.
    const auto dir = pse::test::fresh_dir("sweep", "blocks");
    const auto e = tiny_experiment(dir);
    ASSERT_EQ(e.n_runs(), 150);
    pse::SweepOptions blocks;
    blocks.target = dir / "blocks.h5";
    blocks.threads = 2;
    blocks.flush_seconds = 1e9;
    const auto a = pse::run_sweep(e, blocks);
    ASSERT_TRUE(a.complete);
    EXPECT_EQ(a.file.copied, 150);
    EXPECT_EQ(a.file.done, 150);
    pse::SweepOptions rows = blocks;
    rows.target = dir / "rows.h5";
    rows.flush_runs = 1;
    const auto b = pse::run_sweep(e, rows);
    ASSERT_TRUE(b.complete);
    EXPECT_EQ(b.file.copied, 0);
    pse::test::expect_same_datasets(dir / "blocks.h5", dir / "rows.h5");
}

TEST(Sweep, ShardWriterKeepsAnIncompleteBlockForOneFlushAtMost) {
    // When a shard is written, whole blocks go in encoded; the runs of a block not yet whole
    // wait for the next shard once, then are stored as rows. Every run added is in exactly one
    // shard and reads back bit for bit (encoded blocks decoded).
    const auto dir = pse::test::fresh_dir("sweep", "pending");
    const auto e = tiny_experiment(dir);
    const auto parts = dir / "parts";
    std::filesystem::create_directories(parts);
    std::vector<std::int64_t> ids(static_cast<std::size_t>(e.n_runs()));
    std::iota(ids.begin(), ids.end(), 0);
    std::map<std::int64_t, pse::RunRecord> recs;
    pse::execute(e, ids, pse::RunnerOptions{},
                 [&](pse::RunRecord&& r) { recs.emplace(r.run_id, std::move(r)); });
    pse::ShardWriter w(parts, "fp", e.base.weeks, e.n_runs(), /*flush_runs=*/70, 1e9, 0, 1);
    const auto add = [&](std::int64_t from, std::int64_t to) {
        for (auto i = from; i < to; ++i) w.add(pse::RunRecord(recs.at(i)));
    };
    add(0, 70);  // 70 buffered: block 0 whole (encoded), block 1's 6 runs wait
    EXPECT_EQ(w.shards_written(), 1);
    EXPECT_EQ(w.runs_in_blocks(), 64);
    add(128, 150);  // block 2 whole (22 runs)
    add(70, 111);   // 6 + 22 + 41 = 69 buffered: no shard yet
    EXPECT_EQ(w.shards_written(), 1);
    add(111, 112);  // 70: block 2 encoded, block 1's 48 runs have waited once: rows
    EXPECT_EQ(w.shards_written(), 2);
    EXPECT_EQ(w.runs_in_blocks(), 86);
    add(112, 128);
    w.flush();  // the last 16 runs of block 1, as rows
    EXPECT_EQ(w.shards_written(), 3);
    EXPECT_EQ(w.runs_in_blocks(), 86);
    std::set<std::int64_t> seen;
    for (const auto& p : std::filesystem::directory_iterator(parts)) {
        for (const auto& r : pse::read_shard(p.path(), e.base.weeks)) {
            EXPECT_TRUE(seen.insert(r.run_id).second) << "run " << r.run_id << " in two shards";
            const auto& want = recs.at(r.run_id).output;
            ASSERT_EQ(r.output.series.size(), want.series.size());
            EXPECT_EQ(std::memcmp(r.output.series.data(), want.series.data(),
                                  want.series.size() * sizeof(double)),
                      0)
                << "run " << r.run_id;
            EXPECT_EQ(r.output.pipeline, want.pipeline) << "run " << r.run_id;
            EXPECT_EQ(r.output.events.size(), want.events.size()) << "run " << r.run_id;
        }
    }
    EXPECT_EQ(seen.size(), recs.size());
}

TEST(Sweep, MergeDecodesABlockWhoseFailedRunWasRunAgain) {
    // A block stored encoded in one shard, one of whose runs had failed and was run again into
    // a later shard (what --resume does): the merge cannot copy that block; it decodes it and
    // takes the rerun from the later shard. The file equals a sweep without the failure.
    const auto dir = pse::test::fresh_dir("sweep", "rerun");
    const auto e = tiny_experiment(dir);
    pse::SweepOptions ref;
    ref.target = dir / "ref.h5";
    ref.threads = 2;
    ASSERT_TRUE(pse::run_sweep(e, ref).complete);

    auto recs = run_records(e, e.n_runs());
    const auto rerun = recs[70];
    recs[70].status = pse::RunStatus::kFailed;  // run 70 (block 1) failed the first time
    recs[70].error = "failed on purpose";
    recs[70].output = pse::RunOutput{};
    pse::SweepOptions opts = ref;
    opts.target = dir / "merged.h5";
    const auto parts = dir / "merged.h5.parts";
    std::filesystem::create_directories(parts);
    pse::ShardWriter w(parts, pse::experiment_fingerprint(e), e.base.weeks, e.n_runs(), 1000, 1e9,
                       0, 1);
    for (auto& r : recs) w.add(std::move(r));
    w.flush();
    EXPECT_EQ(w.runs_in_blocks(), 150);
    std::vector<pse::RunRecord> again{rerun};
    pse::write_shard(parts / "part-000001.h5", again, e.base.weeks, pse::experiment_fingerprint(e));
    const auto tally = pse::merge_shards(e, opts, parts);
    EXPECT_EQ(tally.done, 150);
    EXPECT_EQ(tally.failed, 0);
    EXPECT_EQ(tally.copied, 150 - 64);  // blocks 0 and 2 copied, block 1 decoded
    pse::test::expect_same_datasets(dir / "merged.h5", dir / "ref.h5");
}

TEST(Sweep, ShardWriterKeepsEveryRunOnceWhenAShardCannotBeWritten) {
    // A shard that cannot be written (its folder vanished: disk trouble, a clean-up job) leaves
    // every run buffered exactly once; the next successful flush stores each once.
    const auto dir = pse::test::fresh_dir("sweep", "writefail");
    const auto e = tiny_experiment(dir);
    const auto recs = run_records(e, 100);
    const auto parts = dir / "parts";
    std::filesystem::create_directories(parts);
    pse::ShardWriter w(parts, "fp", e.base.weeks, e.n_runs(), 1000, 1e9, 0, 1);
    for (auto& r : recs) w.add(pse::RunRecord(r));  // block 0 whole, block 1 partial (36 runs)
    std::filesystem::remove_all(parts);
    EXPECT_THROW(w.flush(), pse::IoError);
    EXPECT_THROW(w.flush(), pse::IoError);  // twice: still nothing lost or doubled
    std::filesystem::create_directories(parts);
    w.flush();
    EXPECT_EQ(w.shards_written(), 1);
    EXPECT_EQ(w.runs_in_blocks(), 64);
    const auto back = pse::read_shard(parts / "part-000000.h5", e.base.weeks);
    ASSERT_EQ(back.size(), recs.size());
    std::set<std::int64_t> seen;
    for (const auto& r : back) {
        EXPECT_TRUE(seen.insert(r.run_id).second) << "run " << r.run_id << " twice";
        EXPECT_EQ(r.status, pse::RunStatus::kDone);
        EXPECT_EQ(r.output.series.size(),
                  static_cast<std::size_t>(e.base.weeks) * pse::kSeriesCount)
            << "run " << r.run_id;
    }
}

TEST(Sweep, ShardsOfTheFirstFormatAndDamagedChunks) {
    // Shards written before encoded blocks existed (no series_row) still read; a stored chunk
    // with a changed byte fails its CRC-32 and is reported as damage, never copied.
    const auto dir = pse::test::fresh_dir("sweep", "formats");
    const auto e = tiny_experiment(dir);
    const auto recs = run_records(e, 64);
    using pse::detail::H;
    {  // version 1: rows only, no series_row dataset
        auto copy = recs;
        pse::write_shard(dir / "v1.h5", copy, e.base.weeks, "fp");
        H f(H5Fopen((dir / "v1.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
        ASSERT_GE(H5Ldelete(f.get(), "series_row", H5P_DEFAULT), 0);
    }
    const auto v1 = pse::read_shard(dir / "v1.h5", e.base.weeks);
    ASSERT_EQ(v1.size(), recs.size());
    for (std::size_t i = 0; i < recs.size(); ++i)
        EXPECT_EQ(std::memcmp(v1[i].output.series.data(), recs[i].output.series.data(),
                              recs[i].output.series.size() * sizeof(double)),
                  0);
    {  // a block shard with one byte of one chunk changed
        pse::ShardWriter w(dir / "p", "fp", e.base.weeks, e.n_runs(), 1000, 1e9, 0, 1);
        std::filesystem::create_directories(dir / "p");
        for (auto& r : recs) w.add(pse::RunRecord(r));
        w.flush();
        ASSERT_EQ(w.runs_in_blocks(), 64);
        H f(H5Fopen((dir / "p" / "part-000000.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
        H d(H5Dopen2(f.get(), "chunk_bytes", H5P_DEFAULT), H5Dclose);
        ASSERT_TRUE(d.ok());
        auto bytes = pse::detail::read_1d<unsigned char>(f.get(), "chunk_bytes", H5T_NATIVE_UINT8);
        bytes[bytes.size() / 2] ^= 0x10;
        ASSERT_GE(H5Dwrite(d.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()),
                  0);
    }
    try {
        (void)pse::read_shard_contents(dir / "p" / "part-000000.h5", e.base.weeks);
        ADD_FAILURE() << "a damaged chunk was read";
    } catch (const pse::IoError& err) {
        EXPECT_NE(std::string(err.what()).find("CRC-32"), std::string::npos) << err.what();
    }
}

TEST(Sweep, PosteriorIntegratedSweepIsTheSameForAnyThreadCount) {
    // A posterior-integrated experiment (every design point x every draw x replications, common
    // random numbers) is a pure function of its files and seed: identical with 1 and 2 threads,
    // and it records K and the draws file (root attributes posterior_draws, posterior_file).
    const auto dir = pse::test::fresh_dir("sweep", "posterior");
    std::ofstream(dir / "draws.csv")
        << "draw,trust.gain_rate,pipeline.continue_prob\n0,0.03,0.2\n1,0.05,0.3\n2,0.07,0.25\n";
    std::ofstream(dir / "exp.toml")
        << "[run]\nname = \"worlds\"\nweeks = 26\n[ecosystem]\nmnc_count = 10\nsupplier_count = "
           "80\n"
        << "[experiment]\ndesign = \"grid\"\nreplications = 4\nseed = 3\nposterior = "
           "\"draws.csv\"\n"
        << "[[experiment.lever]]\nkey = \"ngo[*].dedicated_fte\"\nvalues = [0.0, 2.0]\n";
    const auto e = pse::load_experiment(dir / "exp.toml");
    ASSERT_EQ(e.n_runs(), 2 * 3 * 4);
    for (const int t : {1, 2}) {
        pse::SweepOptions o;
        o.target = dir / ("t" + std::to_string(t) + ".h5");
        o.threads = t;
        ASSERT_TRUE(pse::run_sweep(e, o).complete);
    }
    pse::test::expect_same_datasets(dir / "t1.h5", dir / "t2.h5");
    const auto r = pse::read_results(dir / "t1.h5", false);
    EXPECT_EQ(r.attrs.at("posterior_draws"), "3");
    EXPECT_EQ(r.attrs.at("posterior_file"), "draws.csv");
    // Common random numbers: replication r has the same seed in every world and at every lever
    // point.
    for (std::size_t i = 0; i < r.seed.size(); ++i)
        EXPECT_EQ(r.seed[i], r.seed[static_cast<std::size_t>(r.replication[i])]);
}
