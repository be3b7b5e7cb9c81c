// Tests of submodel 7.2, funding horizon (sim/pse/submodels/funding.cpp), each function called
// alone: horizon willingness, the budget-uncertainty drop, the end-of-project exit hazard, the
// company-led exit probability and the outcomes of end_project.
//
// Tolerances: closed forms 1e-12 absolute; the one statistical check (continuation at half the
// probability) states its own.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "pse/submodels/funding.h"
#include "support/submodels.h"

namespace pse {
namespace {

constexpr double kTol = 1e-12;

TEST(FundingUnit, HorizonWillingnessKnownAnswer) {
    Scenario s = test::quiet_scenario();
    NgoParams plain = s.ngo_defaults, hand = s.ngo_defaults;
    plain.name = "plain";
    hand.name = "handover";
    hand.handover = true;
    s.ngos = {plain, hand};
    Model m(s, 31);
    auto& st = m.state_mut();
    st.co.ttv_weeks[0] = 100;
    st.ngo_state[0].end_week = 130;
    const double k = s.pipeline.horizon_scale_weeks;
    EXPECT_NEAR(funding::horizon_willingness(test::context_at(m, 0), st, 0, 0), 1.0 / (1.0 + std::exp(-30.0 / k)), kTol);
    EXPECT_NEAR(funding::horizon_willingness(test::context_at(m, 30), st, 0, 0), 0.5, kTol);  // R = E
    EXPECT_NEAR(funding::horizon_willingness(test::context_at(m, 120), st, 0, 0), 1.0 / (1.0 + std::exp(90.0 / k)), kTol);
    EXPECT_EQ(funding::horizon_willingness(test::context_at(m, 120), st, 1, 0), 1.0);  // handover
}

TEST(FundingUnit, BudgetUncertaintyDropAndEndExitHazard) {
    Scenario s = test::quiet_scenario();
    s.pipeline.budget_uncertainty_drop = 0.05;
    s.pipeline.transparency_effect = 0.5;
    s.pipeline.exit_base = 0.001;
    s.pipeline.exit_end = 0.02;
    s.pipeline.exit_tau_weeks = 26;
    Model m(s, 32);
    const StepContext ctx = m.context();
    NgoParams p = s.ngo_defaults;
    p.budget_cv = 0.2;
    EXPECT_NEAR(funding::budget_uncertainty_drop(ctx, p), 0.05 * 0.2, kTol);
    p.budget_transparency = true;
    EXPECT_NEAR(funding::budget_uncertainty_drop(ctx, p), 0.05 * 0.2 * 0.5, kTol);
    EXPECT_NEAR(funding::end_exit_hazard(ctx, p, 26.0), (0.001 + 0.02 * std::exp(-1.0)) * 0.5, kTol);
    p.budget_transparency = false;
    EXPECT_NEAR(funding::end_exit_hazard(ctx, p, 0.0), 0.021, kTol);
    EXPECT_NEAR(funding::end_exit_hazard(ctx, p, -5.0), 0.021, kTol);  // past the end counts as R = 0
    EXPECT_NEAR(funding::end_exit_hazard(ctx, p, 52.0), 0.001 + 0.02 * std::exp(-2.0), kTol);
    p.handover = true;
    EXPECT_EQ(funding::end_exit_hazard(ctx, p, 0.0), 0.0);
    EXPECT_EQ(funding::end_exit_hazard(ctx, p, 100.0), 0.0);
}

TEST(FundingUnit, CompanyLedExitProbability) {
    Scenario s = test::quiet_scenario();
    s.pipeline.sustained_exit_per_year = 0.26;
    Model m(s, 33);
    EXPECT_NEAR(funding::company_led_exit_prob(m.context()), 1.0 - std::exp(-0.005), kTol);
    Scenario s0 = s;
    s0.pipeline.sustained_exit_per_year = 0;
    Model m0(s0, 33);
    EXPECT_EQ(funding::company_led_exit_prob(m0.context()), 0.0);
}

/// A model whose NGO 0 has one engagement per stage in `stages` (companies 0, 1, ...), project
/// running at week 0.
struct EndFixture {
    Model m;
    std::vector<std::uint32_t> ids;
    EndFixture(const Scenario& s, const std::vector<Stage>& stages) : m(s, 34) {
        m.phase_funding();
        for (std::size_t i = 0; i < stages.size(); ++i) {
            const bool ws2 = is_ws2(stages[i]);
            ids.push_back(test::engage(m, 0, static_cast<std::uint32_t>(i),
                                       ws2 ? Stream::kSurvivorEmployment : Stream::kPrevention));
            m.relationships_mut()[ids.back()].stage = stages[i];
        }
    }
};

const std::vector<Stage> kEndStages = {Stage::kIdentified,  Stage::kNegotiation, Stage::kAgreement,
                                       Stage::kCoCreation,  Stage::kImplementation, Stage::kGovernmentConsulted,
                                       Stage::kCompanyDiscussions, Stage::kPlaced, Stage::kSupported};

TEST(FundingUnit, EndProjectWithContinueProbZeroEndsEverything) {
    Scenario s = test::quiet_scenario();
    s.pipeline.continue_prob = 0;
    EndFixture f(s, kEndStages);
    funding::end_project(f.m.context(), f.m.state_mut(), 0);
    const auto& ns = f.m.ngo_states()[0];
    EXPECT_TRUE(ns.ended);
    EXPECT_FALSE(ns.active);
    EXPECT_EQ(ns.staff_hours, 0.0);
    EXPECT_TRUE(ns.active_rels.empty());
    EXPECT_FALSE(ns.had_continuation);
    for (std::size_t i = 0; i < kEndStages.size(); ++i) {
        const auto& r = f.m.relationships()[f.ids[i]];
        const Stage want = is_post_agreement(kEndStages[i]) ? Stage::kDissolved : Stage::kDropped;
        EXPECT_EQ(r.stage, want) << stage_name(kEndStages[i]);
        EXPECT_EQ(r.end_cause, EndCause::kProjectEnd);
        EXPECT_EQ(r.ended_at, kEndStages[i]);
        EXPECT_EQ(r.end_week, 0);
        EXPECT_FALSE(r.handed_over);
    }
    EXPECT_EQ(test::count_events(f.m, EventType::kProjectEnd), kEndStages.size());
}

TEST(FundingUnit, EndProjectWithContinueProbOneHandsOverPlacingAndImplementing) {
    // continue_prob 1: implementation -> sustained, placed / supported -> supported, each handed
    // over; company discussions (not placing) dissolve; pre-agreement stages drop; a sustained
    // partnership is left as it is. With handover, continue_prob_handover is used instead.
    for (bool handover : {false, true}) {
        SCOPED_TRACE(handover);
        Scenario s = test::quiet_scenario();
        s.ngo_defaults.handover = handover;
        s.pipeline.continue_prob = handover ? 0.0 : 1.0;
        s.pipeline.continue_prob_handover = handover ? 1.0 : 0.0;
        std::vector<Stage> stages = {Stage::kIdentified, Stage::kImplementation, Stage::kCompanyDiscussions,
                                     Stage::kPlaced, Stage::kSupported, Stage::kSustained};
        EndFixture f(s, stages);
        funding::end_project(f.m.context(), f.m.state_mut(), 0);
        const std::vector<Stage> want = {Stage::kDropped,  Stage::kSustained, Stage::kDissolved,
                                         Stage::kSupported, Stage::kSupported, Stage::kSustained};
        const std::vector<bool> handed = {false, true, false, true, true, false};
        for (std::size_t i = 0; i < stages.size(); ++i) {
            const auto& r = f.m.relationships()[f.ids[i]];
            EXPECT_EQ(r.stage, want[i]) << stage_name(stages[i]);
            EXPECT_EQ(r.handed_over, handed[i]) << stage_name(stages[i]);
            EXPECT_EQ(r.end_cause, is_terminal(want[i]) ? EndCause::kProjectEnd : EndCause::kNone);
        }
        const auto& ns = f.m.ngo_states()[0];
        EXPECT_TRUE(ns.had_continuation);
        // Continuing partnerships stay in the active list (company-led), ended ones leave it.
        EXPECT_EQ(ns.active_rels.size(), 4u);
        // A relationship that keeps its stage (sustained, supported) gives no event.
        EXPECT_EQ(test::count_events(f.m, EventType::kProjectEnd), 4u);
    }
}

TEST(FundingUnit, EndProjectWs1BeforeImplementationContinuesHalfAsOften) {
    // continue_prob 1: agreement / co-creation continue with probability 0.5. 150 partnerships,
    // seed 34: share sustained within 0.5 +- 0.12 (about 3 binomial standard deviations).
    Scenario s = test::quiet_scenario();
    s.pipeline.continue_prob = 1.0;
    std::vector<Stage> stages(150, Stage::kCoCreation);
    for (std::size_t i = 0; i < stages.size(); i += 2) stages[i] = Stage::kAgreement;
    EndFixture f(s, stages);
    funding::end_project(f.m.context(), f.m.state_mut(), 0);
    int sustained = 0;
    for (auto id : f.ids) {
        const auto& r = f.m.relationships()[id];
        ASSERT_TRUE(r.stage == Stage::kSustained || r.stage == Stage::kDissolved);
        EXPECT_EQ(r.handed_over, r.stage == Stage::kSustained);
        sustained += r.stage == Stage::kSustained;
    }
    EXPECT_NEAR(sustained / 150.0, 0.5, 0.12);
}


TEST(FundingUnit, PayStaffCutsThePsePostFirst) {
    // Dedicated 1 FTE and 2 part-timers at 0.1, 60000 USD per FTE-year: part-time PSE costs
    // 12000, the post 60000 (003 Learning 2: the PSE post is "always cut out").
    NgoParams p;
    p.dedicated_fte = 1;
    p.part_time_staff = 2;
    p.part_time_share = 0.1;
    p.cost_per_fte_year = 60000;
    NgoState ns;
    funding::pay_staff(p, 150000, ns);
    EXPECT_EQ(ns.dedicated_paid, 1.0);
    EXPECT_EQ(ns.part_time_paid, 1.0);
    EXPECT_EQ(ns.budget_factor, 1.0);
    funding::pay_staff(p, 60000, ns);  // after a cut: the post loses (72000 - 60000) / 60000
    EXPECT_NEAR(ns.dedicated_paid, 0.8, kTol);
    EXPECT_EQ(ns.part_time_paid, 1.0);
    EXPECT_NEAR(ns.budget_factor, 60000.0 / 72000.0, kTol);
    funding::pay_staff(p, 6000, ns);  // below the part-time cost: no post at all
    EXPECT_EQ(ns.dedicated_paid, 0.0);
    EXPECT_NEAR(ns.part_time_paid, 0.5, kTol);
}

TEST(FundingUnit, BudgetCutLowersStaffHours) {
    // A cut to 0.3 of a 100000 budget (30000 < 72000) at the project start lowers this year's
    // staff hours: the post is paid (30000 - 12000) / 60000 = 0.3.
    auto hours = [](double cut_prob) {
        Scenario s = test::quiet_scenario();
        s.ngo_defaults.budget_usd_per_year = 100000;
        s.ngo_defaults.budget_cut_prob = cut_prob;
        s.ngo_defaults.budget_cut_factor = 0.3;
        Model m(s, 143);
        m.phase_funding();
        return m.ngo_states()[0].staff_hours;
    };
    const auto& p = test::quiet_scenario().ngo_defaults;
    const double pt = p.part_time_staff * p.part_time_share * (1 - p.switching_overhead);
    EXPECT_NEAR(hours(0.0), (p.dedicated_fte + pt) * p.hours_per_fte_week, 1e-9);
    EXPECT_NEAR(hours(1.0), (p.dedicated_fte * 0.3 + pt) * p.hours_per_fte_week, 1e-9);
}

}  // namespace
}  // namespace pse
