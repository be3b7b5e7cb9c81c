// sim/pse/runner.cpp: the seed rule of every run (seed_for, run_seed, experiment_seed: pure,
// distinct where they must be, shared where common random numbers want it) and execute()'s
// bookkeeping (every run id once, design point and replication of each, the tally).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <vector>

#include "pse/experiment.h"
#include "pse/rng.h"
#include "pse/runner.h"
#include "support/fixtures.h"

namespace pse {
namespace {

TEST(Runner, SeedForIsAPureFunction) {
    for (const bool crn : {true, false})
        for (std::int64_t d = 0; d < 4; ++d)
            for (std::int64_t r = 0; r < 4; ++r)
                EXPECT_EQ(seed_for(99, crn, d, r), seed_for(99, crn, d, r));
    // Known values of the documented rule (runner.h): derive_seed(master, 0 or d + 1, r).
    EXPECT_EQ(seed_for(99, true, 3, 2), derive_seed(99, 0, 2));
    EXPECT_EQ(seed_for(99, false, 3, 2), derive_seed(99, 4, 2));
}

TEST(Runner, SeedsAreDistinctAcrossReplicationsAndDesignPoints) {
    // Common random numbers: replication r has one seed at every design point, and 2000
    // replications have 2000 different seeds. Without: a 60 x 60 grid of (d, r) has 3600.
    std::set<std::uint64_t> crn;
    for (std::int64_t r = 0; r < 2000; ++r) {
        const auto s = seed_for(7, true, 0, r);
        for (std::int64_t d = 1; d < 5; ++d)
            ASSERT_EQ(seed_for(7, true, d, r), s) << "d " << d << " r " << r;
        crn.insert(s);
    }
    EXPECT_EQ(crn.size(), 2000u);
    std::set<std::uint64_t> indep;
    for (std::int64_t d = 0; d < 60; ++d)
        for (std::int64_t r = 0; r < 60; ++r) indep.insert(seed_for(7, false, d, r));
    EXPECT_EQ(indep.size(), 3600u);
    // Seeds fit a signed 64-bit integer (stored as such in results files).
    for (const auto s : indep) EXPECT_LT(s, std::uint64_t{1} << 63);
    // A different master seed gives different seeds.
    std::size_t same = 0;
    for (std::int64_t r = 0; r < 200; ++r)
        same += seed_for(7, true, 0, r) == seed_for(8, true, 0, r);
    EXPECT_EQ(same, 0u);
}

TEST(Runner, RunSeedAndExperimentSeedFollowSeedFor) {
    RunPlan plan;
    plan.design_points = {test::small_scenario(), test::small_scenario()};
    plan.replications = 3;
    plan.master_seed = 31;
    Experiment e;
    e.master_seed = 31;
    for (const bool crn : {true, false}) {
        plan.common_random_numbers = crn;
        e.common_random_numbers = crn;
        for (std::int64_t d = 0; d < 2; ++d)
            for (std::int64_t r = 0; r < 3; ++r) {
                EXPECT_EQ(run_seed(plan, d, r), seed_for(31, crn, d, r));
                EXPECT_EQ(experiment_seed(e, d, r), seed_for(31, crn, d, r));
            }
    }
}

TEST(Runner, CommonRandomNumbersSeedPolicy) {
    // (Moved from tests/model/determinism_test.cpp: a unit test of runner.cpp's seed rule.)
    RunPlan plan;
    plan.design_points = {test::small_scenario(), test::small_scenario(), test::small_scenario()};
    plan.replications = 5;
    plan.master_seed = 77;
    plan.common_random_numbers = true;
    for (std::int64_t r = 0; r < plan.replications; ++r) {
        for (std::int64_t d = 1; d < 3; ++d) EXPECT_EQ(run_seed(plan, d, r), run_seed(plan, 0, r));
        EXPECT_EQ(run_seed(plan, 0, r), derive_seed(77, 0, static_cast<std::uint64_t>(r)));
        if (r > 0) {
            EXPECT_NE(run_seed(plan, 0, r), run_seed(plan, 0, r - 1));
        }
    }
    RunPlan indep = plan;
    indep.common_random_numbers = false;
    for (std::int64_t r = 0; r < plan.replications; ++r) {
        EXPECT_NE(run_seed(indep, 0, r), run_seed(indep, 1, r));
        EXPECT_NE(run_seed(indep, 1, r), run_seed(indep, 2, r));
        EXPECT_EQ(run_seed(indep, 1, r), derive_seed(77, 2, static_cast<std::uint64_t>(r)));
    }
    // Another master seed changes every run seed.
    RunPlan other = plan;
    other.master_seed = 78;
    for (std::int64_t r = 0; r < plan.replications; ++r)
        EXPECT_NE(run_seed(other, 0, r), run_seed(plan, 0, r));
}

TEST(Runner, ExecuteHandsEveryRunOnceWithItsIdsAndSeed) {
    // 3 design points x 4 replications of a tiny scenario: run id = d * 4 + r, each once, its
    // seed the rule's, and the tally counts them; the sink runs on one thread.
    RunPlan plan;
    auto s = test::small_scenario();
    s.weeks = 8;
    plan.design_points = {s, s, s};
    plan.replications = 4;
    plan.master_seed = 3;
    plan.common_random_numbers = false;
    RunnerOptions opts;
    opts.threads = 2;
    std::map<std::int64_t, RunRecord> seen;
    std::atomic<int> in_sink{0};
    bool overlapped = false;
    std::int64_t last_done = -1, progress_calls = 0;
    opts.on_progress = [&](std::int64_t done, std::int64_t failed, std::int64_t total) {
        EXPECT_EQ(failed, 0);
        EXPECT_EQ(total, 12);
        EXPECT_GT(done, last_done);
        last_done = done;
        ++progress_calls;
    };
    const auto tally = execute(plan, opts, [&](RunRecord&& rec) {
        overlapped |= in_sink.fetch_add(1) != 0;
        const auto id = rec.run_id;
        EXPECT_TRUE(seen.emplace(id, std::move(rec)).second) << "run " << id << " twice";
        in_sink.fetch_sub(1);
    });
    EXPECT_FALSE(overlapped) << "the sink was called from two threads at once";
    EXPECT_EQ(tally.done, 12);
    EXPECT_EQ(tally.failed, 0);
    EXPECT_FALSE(tally.stopped);
    EXPECT_EQ(last_done, 12);
    EXPECT_EQ(progress_calls, 12);
    ASSERT_EQ(seen.size(), 12u);
    for (const auto& [id, rec] : seen) {
        EXPECT_EQ(rec.design_point, id / 4);
        EXPECT_EQ(rec.replication, id % 4);
        EXPECT_EQ(rec.seed, seed_for(3, false, id / 4, id % 4));
        EXPECT_EQ(rec.status, RunStatus::kDone);
        EXPECT_EQ(rec.output.weeks, 8);
    }
}

TEST(Runner, StopRequestedBeforeTheStartRunsNothing) {
    RunPlan plan;
    auto s = test::small_scenario();
    s.weeks = 8;
    plan.design_points = {s};
    plan.replications = 50;
    const std::atomic<bool> stop{true};
    RunnerOptions opts;
    opts.threads = 1;
    opts.stop = &stop;
    std::int64_t sunk = 0;
    const auto tally = execute(plan, opts, [&](RunRecord&&) { ++sunk; });
    EXPECT_TRUE(tally.stopped);
    EXPECT_EQ(tally.done, sunk);
    EXPECT_LT(sunk, 50);
}

}  // namespace
}  // namespace pse
