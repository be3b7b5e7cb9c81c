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
    EXPECT_NEAR(funding::horizon_willingness(test::context_at(m, 0), st, 0, 0),
                1.0 / (1.0 + std::exp(-30.0 / k)), kTol);
    EXPECT_NEAR(funding::horizon_willingness(test::context_at(m, 30), st, 0, 0), 0.5,
                kTol);  // R = E
    EXPECT_NEAR(funding::horizon_willingness(test::context_at(m, 120), st, 0, 0),
                1.0 / (1.0 + std::exp(90.0 / k)), kTol);
    // handover: w + kappa (1 - w), kappa = handover_credibility (a plan offsets, not removes, the
    // concern)
    const double kap = s.pipeline.handover_credibility, w120 = 1.0 / (1.0 + std::exp(90.0 / k));
    EXPECT_NEAR(funding::horizon_willingness(test::context_at(m, 120), st, 1, 0),
                w120 + kap * (1.0 - w120), kTol);
    EXPECT_LT(funding::horizon_willingness(test::context_at(m, 120), st, 1, 0), 1.0);
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
    EXPECT_NEAR(funding::end_exit_hazard(ctx, p, 26.0), (0.001 + 0.02 * std::exp(-1.0)) * 0.5,
                kTol);
    p.budget_transparency = false;
    EXPECT_NEAR(funding::end_exit_hazard(ctx, p, 0.0), 0.021, kTol);
    EXPECT_NEAR(funding::end_exit_hazard(ctx, p, -5.0), 0.021,
                kTol);  // past the end counts as R = 0
    EXPECT_NEAR(funding::end_exit_hazard(ctx, p, 52.0), 0.001 + 0.02 * std::exp(-2.0), kTol);
    p.handover = true;  // times (1 - handover_credibility)
    EXPECT_NEAR(funding::end_exit_hazard(ctx, p, 0.0),
                0.021 * (1.0 - s.pipeline.handover_credibility), kTol);
    EXPECT_GT(funding::end_exit_hazard(ctx, p, 100.0), 0.0);
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

const std::vector<Stage> kEndStages = {
    Stage::kIdentified,         Stage::kNegotiation,    Stage::kAgreement,
    Stage::kCoCreation,         Stage::kImplementation, Stage::kGovernmentConsulted,
    Stage::kCompanyDiscussions, Stage::kPlaced,         Stage::kSupported};

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
        std::vector<Stage> stages = {Stage::kIdentified,         Stage::kImplementation,
                                     Stage::kCompanyDiscussions, Stage::kPlaced,
                                     Stage::kSupported,          Stage::kSustained};
        EndFixture f(s, stages);
        for (auto id : f.ids)
            f.m.state_mut().rels[id].handover_work = 1.0;  // the plan got all its hours
        funding::end_project(f.m.context(), f.m.state_mut(), 0);
        const std::vector<Stage> want = {Stage::kDropped,   Stage::kSustained, Stage::kDissolved,
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

TEST(FundingUnit, ContinuationProbKnownAnswerAndMonotoneInTrustContributionEffort) {
    Scenario s = test::quiet_scenario();
    s.pipeline.continue_prob = 0.1;
    s.pipeline.continue_prob_handover = 0.6;
    s.pipeline.handover_trust_slope = 4.0;
    s.pipeline.handover_contribution_slope = 2.0;
    s.pipeline.handover_owner_bonus = 0.5;
    s.company.resources_usd_median = 1000;
    NgoParams plain = s.ngo_defaults, plan = s.ngo_defaults;
    plain.name = "plain";
    plain.handover = false;
    plan.name = "plan";
    plan.handover = true;
    s.ngos = {plain, plan};
    Model m(s, 35);
    auto& st = m.state_mut();
    const auto a = test::engage(m, 0, 0), b = test::engage(m, 1, 0);
    for (auto id : {a, b}) {
        st.rels[id].stage = Stage::kImplementation;
        st.rels[id].trust = 0.5;
        st.rels[id].trust_week = 0;
        st.rels[id].resources_usd = 1000;  // c = 0.5
    }
    const StepContext ctx = m.context();
    // Known answer: T = 0.5, c = 0.5 -> p = q (continue_prob without a plan).
    EXPECT_NEAR(funding::contribution_share(ctx, 1000), 0.5, kTol);
    EXPECT_NEAR(funding::continuation_prob(ctx, st, st.rels[a], HandoverOwner::kCompany), 0.1,
                1e-9);
    // With a plan but no planning effort received: q = continue_prob; full effort:
    // continue_prob_handover.
    st.rels[b].handover_work = 0;
    EXPECT_NEAR(funding::continuation_prob(ctx, st, st.rels[b], HandoverOwner::kCompany), 0.1,
                1e-9);
    st.rels[b].handover_work = 1;
    EXPECT_NEAR(funding::continuation_prob(ctx, st, st.rels[b], HandoverOwner::kCompany), 0.6,
                1e-9);
    const double inst = funding::continuation_prob(ctx, st, st.rels[b], HandoverOwner::kGovernment);
    EXPECT_NEAR(inst, 1.0 / (1.0 + std::exp(-(std::log(0.6 / 0.4) + 0.5))), 1e-9);
    // Increasing in effort received, trust and contribution.
    double prev = -1;
    for (double e = 0; e <= 1.0001; e += 0.25) {
        st.rels[b].handover_work = e;
        const double pe = funding::continuation_prob(ctx, st, st.rels[b], HandoverOwner::kCompany);
        EXPECT_GT(pe, prev);
        prev = pe;
    }
    prev = -1;
    for (double T = 0.1; T <= 0.91; T += 0.2) {
        st.rels[b].trust = T;
        const double pt = funding::continuation_prob(ctx, st, st.rels[b], HandoverOwner::kCompany);
        EXPECT_GT(pt, prev);
        prev = pt;
    }
    prev = -1;
    for (double usd : {0.0, 500.0, 1000.0, 5000.0}) {
        st.rels[b].resources_usd = usd;
        const double pc = funding::continuation_prob(ctx, st, st.rels[b], HandoverOwner::kCompany);
        EXPECT_GT(pc, prev);
        prev = pc;
    }
}

TEST(FundingUnit, HandoverEffortNeedOnlyInThePlanningWindowAndItSharesTheHours) {
    Scenario s = test::quiet_scenario();
    s.pipeline.handover_planning_weeks = 26;
    s.pipeline.handover_hours_per_week = 2;
    Model m(s, 36);
    const StepContext ctx = m.context();
    NgoParams p = s.ngo_defaults;
    p.handover = true;
    EXPECT_EQ(funding::handover_effort_need(ctx, p, 26, Stage::kImplementation), 2.0);
    EXPECT_EQ(funding::handover_effort_need(ctx, p, 1, Stage::kCoCreation), 2.0);
    EXPECT_EQ(funding::handover_effort_need(ctx, p, 27, Stage::kImplementation),
              0.0);  // before the window
    EXPECT_EQ(funding::handover_effort_need(ctx, p, 0, Stage::kImplementation),
              0.0);  // the end itself
    EXPECT_EQ(funding::handover_effort_need(ctx, p, 10, Stage::kNegotiation),
              0.0);  // nothing to hand over
    EXPECT_EQ(funding::handover_effort_need(ctx, p, 10, Stage::kCompanyDiscussions), 0.0);
    EXPECT_EQ(funding::handover_effort_need(ctx, p, 10, Stage::kPlaced), 2.0);
    p.handover = false;
    EXPECT_EQ(funding::handover_effort_need(ctx, p, 10, Stage::kImplementation), 0.0);
    // The plan costs hours: 4 hours against a need of 4 + 2 meet two thirds of each.
    EXPECT_NEAR(funding::handover_share(4, 4, 2), 2.0 / 3.0, kTol);
    EXPECT_NEAR(funding::handover_share(6, 4, 2), 1.0, kTol);
    EXPECT_NEAR(funding::handover_share(0, 0, 0), 1.0, kTol);
}

TEST(FundingUnit, HandoverOwnerUsesBrokeredGovernmentTieThenAssociation) {
    Scenario s = test::quiet_scenario();
    NgoParams plain = s.ngo_defaults, plan = s.ngo_defaults;
    plain.name = "plain";
    plain.handover = false;
    plan.name = "plan";
    plan.handover = true;
    s.ngos = {plain, plan};
    Model m(s, 37);
    const auto& net = m.network();
    const StepContext ctx = m.context();
    int checked = 0;
    for (std::uint32_t c = 0; c < net.mnc_count + net.supplier_count && checked < 40;
         ++c, ++checked) {
        Relationship r;
        r.company = c;
        r.ngo = 0;
        EXPECT_EQ(funding::handover_owner(ctx, m.state(), r),
                  HandoverOwner::kCompany);  // no plan: the company
        r.ngo = 1;
        r.brokered = true;
        const HandoverOwner want = net.company_government[c] >= 0    ? HandoverOwner::kGovernment
                                   : net.company_association[c] >= 0 ? HandoverOwner::kAssociation
                                                                     : HandoverOwner::kCompany;
        EXPECT_EQ(funding::handover_owner(ctx, m.state(), r), want);
        r.brokered = false;
        EXPECT_NE(funding::handover_owner(ctx, m.state(), r),
                  HandoverOwner::kGovernment);  // needs a brokered tie
    }
}

}  // namespace
}  // namespace pse
