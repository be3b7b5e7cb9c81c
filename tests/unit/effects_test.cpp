// sim/pse/effects.cpp (`pse-sim effects`): paired one-at-a-time lever effects. (Moved from
// tests/integration/: these are tests of the library; the CLI's exit codes are in cli_test.cpp,
// the ODD table of every lever in docs_test.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "pse/effects.h"
#include "pse/errors.h"
#include "pse/scenario_loader.h"

namespace {

pse::Scenario default_scenario(const std::vector<std::string>& sets = {}) {
    pse::LoadOptions lo;
    lo.overrides = sets;
    return pse::load_scenario(std::string(PSE_SOURCE_DIR) + "/scenarios/default.toml", lo).scenario;
}

pse::EffectsOptions options(std::int64_t reps, std::vector<std::string> only, int threads = 1) {
    pse::EffectsOptions o;
    o.replications = reps;
    o.master_seed = 7;
    o.only = std::move(only);
    o.runner.threads = threads;
    return o;
}

std::size_t metric(const pse::EffectsResult& r, const std::string& name) {
    for (std::size_t i = 0; i < r.metrics.size(); ++i)
        if (r.metrics[i].name == name) return i;
    ADD_FAILURE() << "no metric " << name;
    return 0;
}

}  // namespace

TEST(Effects, LeversComeFromTheFieldTable) {
    const auto s = default_scenario();
    const auto plans = pse::plan_levers(s);
    std::set<std::string> keys;
    for (const auto& p : plans) keys.insert(p.key);
    for (const auto& f : pse::scenario_fields())
        EXPECT_EQ(keys.count(f.key), f.lever && f.type != pse::FieldType::kText ? 1U : 0U) << f.key;
    for (const auto& f : pse::ngo_fields())
        EXPECT_EQ(keys.count("ngo[*]." + f.key),
                  f.lever && f.type != pse::FieldType::kText ? 1U : 0U)
            << f.key;
    EXPECT_EQ(keys.count("run.weeks"), 0U);
    EXPECT_EQ(keys.count("run.seed"), 0U);
    for (const auto& p : plans) {
        if (p.key == "ngo[*].handover") {  // boolean: toggled
            ASSERT_EQ(p.arms.size(), 1U);
            EXPECT_EQ(std::get<bool>(p.arms[0].value), true);
        }
        if (p.key == "ngo[*].dedicated_fte") {  // real: x0.5, x1.5
            ASSERT_EQ(p.arms.size(), 2U);
            EXPECT_DOUBLE_EQ(std::get<double>(p.arms[0].value), 0.5);
            EXPECT_DOUBLE_EQ(std::get<double>(p.arms[1].value), 1.5);
        }
        if (p.key == "ngo[*].allocation") {  // every other choice
            EXPECT_EQ(p.arms.size(), 2U);
        }
        if (p.key == "shocks.tier_downgrade_week") {  // a shock is switched on
            ASSERT_EQ(p.arms.size(), 1U);
            EXPECT_EQ(std::get<std::int64_t>(p.arms[0].value), 104);
        }
        if (p.key == "shocks.media_shock_drop") {  // its size is tested with the shock on
            ASSERT_EQ(p.arms.size(), 2U);
            ASSERT_EQ(p.arms[0].context.size(), 1U);
            EXPECT_EQ(p.arms[0].context[0].key, "shocks.media_shock_week");
        }
    }
}

TEST(Effects, StaffActsOnAgreements) {
    // Halving the one specialist (1 -> 0.5 FTE) costs WS1 agreements; paired runs resolve it.
    const auto r =
        pse::run_effects(default_scenario(), options(16, {"ngo_defaults.dedicated_fte"}, 2));
    ASSERT_EQ(r.levers.size(), 1U);
    const auto& l = r.levers[0];
    ASSERT_EQ(l.arms.size(), 2U);
    const auto m = metric(r, "agreements_ws1");
    const auto& low = l.arms[0].effects[m];
    EXPECT_LT(low.diff, 0);
    EXPECT_TRUE(low.significant) << low.lo << " " << low.hi;
    EXPECT_LT(low.hi, 0);
    EXPECT_FALSE(l.inert);
    EXPECT_EQ(l.verdict, pse::LeverVerdict::kActs);
    EXPECT_LT(l.arms[0].p_familywise, 0.025);  // Bonferroni over the two arms
    EXPECT_EQ(low.n, 16);
    EXPECT_NEAR(low.diff, low.arm_mean - low.baseline_mean, 1e-9);
}

TEST(Effects, ParameterOfADisabledWorkStreamIsInert) {
    // Without work stream 2 the survivor-matching probability acts on nothing: every paired
    // difference is exactly 0.
    const auto r = pse::run_effects(default_scenario({"ngo_defaults.work_stream_2=false"}),
                                    options(4, {"ws2.match_prob"}));
    ASSERT_EQ(r.levers.size(), 1U);
    EXPECT_TRUE(r.levers[0].inert);
    EXPECT_EQ(r.levers[0].verdict, pse::LeverVerdict::kNoEffect);
    for (const auto& a : r.levers[0].arms) {
        EXPECT_EQ(a.p_familywise, 1.0);
        for (const auto& e : a.effects) {
            EXPECT_EQ(e.diff, 0);
            EXPECT_TRUE(e.identical);
            EXPECT_FALSE(e.significant);
        }
    }
}

TEST(Effects, SignFlipMaxTKnownAnswersAndFalseAlarmRate) {
    // Nothing to test: p = 1.
    EXPECT_EQ(pse::sign_flip_max_t({{0, 0, 0, 0}}), 1.0);
    EXPECT_EQ(pse::sign_flip_max_t({{1.0, std::nan(""), std::nan(""), std::nan("")}}), 1.0);
    // Every replication moved up by 1 (n = 10, exact enumeration): only the all-plus and all-minus
    // sign vectors reach T = inf, so p = 2 / 2^10.
    const std::vector<double> up(10, 1.0);
    EXPECT_DOUBLE_EQ(pse::sign_flip_max_t({up}), 2.0 / 1024.0);
    // n = 12 (random flips): p = (1 + #flips reaching inf) / 2000, a few in 2000 at most.
    EXPECT_LT(pse::sign_flip_max_t({std::vector<double>(12, 1.0)}), 0.01);
    // A metric finite in only 2 of 12 replications does not enter and cannot mask a clear effect.
    std::vector<double> sparse(12, std::nan(""));
    sparse[0] = sparse[1] = 1.0;
    const std::vector<double> clear = {1.1, 0.9, 1.2, 1.0, 0.8,  1.3,
                                       1.1, 0.9, 1.0, 1.2, 0.95, 1.05};
    EXPECT_LT(pse::sign_flip_max_t({clear, sparse}), 0.01);
    // Same answer for the same input (fixed-seed flips).
    const std::vector<std::vector<double>> d = {{0.3, -0.1, 0.5, 0.2, 0.4, -0.2, 0.6, 0.1},
                                                {1, 2, 0, 1, 3, -1, 2, 1}};
    EXPECT_EQ(pse::sign_flip_max_t(d), pse::sign_flip_max_t(d));
    // Under no effect (symmetric noise, 5 correlated metrics, n = 12) the test rejects at 5% in
    // about 5% of 400 trials; allow 1-9% (binomial sd 1.1 points). Fixed seed.
    std::mt19937_64 g(2026);
    std::normal_distribution<double> z;
    int rejected = 0;
    for (int trial = 0; trial < 400; ++trial) {
        std::vector<std::vector<double>> m(5, std::vector<double>(12));
        for (int r = 0; r < 12; ++r) {
            const double common = z(g);
            for (int k = 0; k < 5; ++k)
                m[static_cast<std::size_t>(k)][static_cast<std::size_t>(r)] = common + 0.5 * z(g);
        }
        rejected += pse::sign_flip_max_t(m) <= 0.05;
    }
    EXPECT_GE(rejected, 4);   // not degenerate (0 would mean it never rejects)
    EXPECT_LE(rejected, 36);  // <= 9% (5% + 3.6 binomial sd)
    // A shift of 1 sd in one of 5 metrics (n = 12) is found in most trials.
    int found = 0;
    for (int trial = 0; trial < 100; ++trial) {
        std::vector<std::vector<double>> m(5, std::vector<double>(12));
        for (int r = 0; r < 12; ++r)
            for (int k = 0; k < 5; ++k)
                m[static_cast<std::size_t>(k)][static_cast<std::size_t>(r)] =
                    z(g) + (k == 2 ? 1.0 : 0.0);
        found += pse::sign_flip_max_t(m) <= 0.05;
    }
    EXPECT_GE(found, 60);
}

TEST(Effects, ConfirmationPassRerunsLeversThatDoNotAct) {
    // At 8 replications the specialist (1 -> 0.5 / 1.5 FTE) acts and keeps its first pass;
    // budget_cut_prob does not (not detected even at 160, docs/ODD.md 7.13) and is rerun with 12
    // replications, its effects resting on 12 pairs.
    auto o = options(8, {"ngo_defaults.dedicated_fte", "ngo_defaults.budget_cut_prob"}, 2);
    o.confirm_replications = 12;
    const auto r = pse::run_effects(default_scenario(), o);
    ASSERT_EQ(r.levers.size(), 2U);
    const auto m = metric(r, "agreements_ws1");  // finite in every run
    for (const auto& l : r.levers) {
        if (l.plan.key == "ngo[*].dedicated_fte") {
            EXPECT_EQ(l.verdict, pse::LeverVerdict::kActs);
            EXPECT_EQ(l.replications, 8);
            for (const auto& a : l.arms) EXPECT_EQ(a.effects[m].n, 8);
        } else {
            EXPECT_EQ(l.plan.key, "ngo[*].budget_cut_prob");
            EXPECT_NE(l.verdict, pse::LeverVerdict::kActs);
            EXPECT_EQ(l.replications, 12);
            for (const auto& a : l.arms) EXPECT_EQ(a.effects[m].n, 12);
        }
    }
    auto bad = options(3, {"ws2.match_prob"});
    bad.confirm_replications = 3;  // must exceed the first pass
    EXPECT_THROW(pse::run_effects(default_scenario(), bad), pse::InputError);
}

TEST(Effects, SameResultsForAnyThreadCount) {
    const std::vector<std::string> only = {"ngo[*].handover", "shocks.media_shock_*"};
    const auto a = pse::effects_csv(pse::run_effects(default_scenario(), options(3, only, 1)));
    const auto b = pse::effects_csv(pse::run_effects(default_scenario(), options(3, only, 2)));
    EXPECT_EQ(a, b);
    EXPECT_NE(a.find("ngo[*].handover,true,"), std::string::npos);
}

TEST(Effects, BadInputIsRefused) {
    const auto s = default_scenario();
    EXPECT_THROW(pse::run_effects(s, options(1, {"ngo[*].handover"})), pse::InputError);
    EXPECT_THROW(pse::plan_levers(s, {"trust.no_such_key"}), pse::InputError);
    EXPECT_THROW(pse::plan_levers(s, {"run.weeks"}), pse::InputError);  // not a lever
    // The CLI's exit codes for the same inputs: Cli.EffectsRefusesBadInputWithExit2.
}
