// Tests of submodel 7.5, the engagement pipeline (sim/pse/submodels/pipeline.cpp): decide()
// called alone for hand-set relationships over many weeks (no advance at zero effort, the
// annual gate, the end cause of each drop-out and dissolution term), and phase_commit() applied
// to hand-written decisions (supply-chain access events).
//
// Statistical checks: fixed seeds 1..5 and weeks 0..99 per relationship; the one rate check
// states its tolerance. Known answers: exact.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "pse/submodels/pipeline.h"
#include "pse/submodels/trust.h"
#include "support/submodels.h"

namespace pse {
namespace {

/// Scenario with no drop-out and no dissolution of any kind; a test switches one term on.
Scenario no_exit_scenario() {
    Scenario s = test::quiet_scenario();
    for (auto& sp : s.pipeline.stage) sp.drop_per_week = 0;
    s.pipeline.horizon_drop = 0;
    s.pipeline.budget_uncertainty_drop = 0;
    s.pipeline.exit_base = 0;
    s.pipeline.exit_end = 0;
    s.pipeline.low_activity_hazard = 0;
    s.pipeline.sustained_exit_per_year = 0;
    s.engagement.misalignment_drop = 0;  // 7.12
    return s;
}

/// Model with NGO 0 running and one WS1 engagement per entry of `stages` (companies 0, 1, ...),
/// trust 0.5 and `effort` hours each.
struct PipeFixture {
    Model m;
    std::vector<std::uint32_t> ids;
    PipeFixture(const Scenario& s, std::uint64_t seed, const std::vector<Stage>& stages,
                double effort)
        : m(s, seed) {
        m.phase_funding();
        for (std::size_t i = 0; i < stages.size(); ++i) {
            ids.push_back(test::engage(m, 0, static_cast<std::uint32_t>(i)));
            auto& r = m.state_mut().rels[ids.back()];
            r.stage = stages[i];
            r.trust = 0.5;
            r.effort = effort;
        }
    }
    /// decide() for relationship i in week w, with its trust as set (no decay since last week).
    Decision decide(std::size_t i, int w) {
        m.state_mut().rels[ids[i]].trust_week = w;
        Decision d;
        pipeline::decide(test::context_at(m, w), m.state(), ids[i], d);
        return d;
    }
};

const std::vector<Stage> kPre = {Stage::kIdentified,       Stage::kFirstMeeting,
                                 Stage::kInterestsAligned, Stage::kDueDiligence,
                                 Stage::kConceptNote,      Stage::kNegotiation};
const std::vector<Stage> kPost = {Stage::kAgreement, Stage::kCoCreation, Stage::kImplementation};

TEST(PipelineUnit, NoAdvanceAtZeroEffort) {
    Scenario s = no_exit_scenario();
    for (auto& sp : s.pipeline.stage) sp.mean_weeks = 1;  // fast if there were any effort
    std::vector<Stage> stages = kPre;
    stages.insert(stages.end(), kPost.begin(), kPost.end());
    PipeFixture f(s, 1, stages, 0.0);
    for (int w = 0; w < 100; ++w)
        for (std::size_t i = 0; i < stages.size(); ++i) {
            const Decision d = f.decide(i, w);
            ASSERT_EQ(d.to, Stage::kNone) << stage_name(stages[i]) << " week " << w;
            ASSERT_FALSE(d.contact);
            ASSERT_FALSE(d.ready);
            ASSERT_EQ(d.trust, 0.5);  // no contact: trust as it is
        }
    // With effort at the need, the same engagements advance (the check above can fail).
    PipeFixture g(s, 1, {Stage::kIdentified},
                  s.pipeline.stage[static_cast<int>(Stage::kIdentified)].effort_hours);
    int advanced = 0;
    for (int w = 0; w < 100; ++w) advanced += g.decide(0, w).to == Stage::kFirstMeeting;
    EXPECT_GT(advanced, 0);
}

TEST(PipelineUnit, AnnualGateSetsReadyOutsideTheDecisionMonth) {
    Scenario s = no_exit_scenario();
    PipeFixture f(s, 2, {Stage::kNegotiation}, 0.0);
    auto& st = f.m.state_mut();
    st.co.decision_month[0] = 6;
    st.rels[f.ids[0]].ready = true;  // concluded: waits for the decision month
    int signed_weeks = 0;
    for (int w = 0; w < 104; ++w) {
        const Decision d = f.decide(0, w);
        if (month_of(w) == 6) {
            EXPECT_EQ(d.to, Stage::kAgreement) << "week " << w;
            EXPECT_EQ(d.event, EventType::kAgreement);
            EXPECT_GT(d.resources, 0.0);
            ++signed_weeks;
        } else {
            EXPECT_EQ(d.to, Stage::kNone) << "week " << w;
            EXPECT_TRUE(d.ready) << "week " << w;
        }
    }
    EXPECT_GT(signed_weeks, 0);
    // Without the gate a concluded negotiation signs in any month.
    s.pipeline.annual_gate = false;
    PipeFixture g(s, 2, {Stage::kNegotiation}, 0.0);
    g.m.state_mut().rels[g.ids[0]].ready = true;
    for (int w = 0; w < 52; ++w) EXPECT_EQ(g.decide(0, w).to, Stage::kAgreement) << "week " << w;
}

/// End causes of every drop-out (pre-agreement) or dissolution (post-agreement) over seeds 1..5,
/// weeks 0..99, one engagement per stage. Returns the number of endings; `cause` must be the
/// cause of each.
int endings(const Scenario& s, const std::vector<Stage>& stages, double effort, EndCause cause) {
    int n = 0;
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        PipeFixture f(s, seed, stages, effort);
        for (int w = 0; w < 100; ++w)
            for (std::size_t i = 0; i < stages.size(); ++i) {
                const Decision d = f.decide(i, w);
                if (d.event != EventType::kDropped && d.event != EventType::kDissolved) continue;
                EXPECT_EQ(d.cause, cause)
                    << stage_name(stages[i]) << " seed " << seed << " week " << w;
                ++n;
            }
    }
    return n;
}

TEST(PipelineUnit, DropOutCauseIsTheTermThatIsOn) {
    {
        // Only the trust term: p = drop_per_week (2 - T) = 0.1 * 1.5 per week;
        // 3000 draws: share within 0.15 +- 0.02 (3 standard deviations ~ 0.0195).
        Scenario s = no_exit_scenario();
        for (auto st : kPre) s.pipeline.stage[static_cast<int>(st)].drop_per_week = 0.1;
        const int n = endings(s, kPre, 0.0, EndCause::kTrust);
        EXPECT_NEAR(n / 3000.0, 0.15, 0.02);
    }
    {  // only the horizon term
        Scenario s = no_exit_scenario();
        s.pipeline.horizon_drop = 0.3;
        EXPECT_GT(endings(s, kPre, 0.0, EndCause::kProjectHorizon), 100);
    }
    {  // only budget uncertainty (negotiation only)
        Scenario s = no_exit_scenario();
        s.ngo_defaults.budget_cv = 0.2;
        s.pipeline.budget_uncertainty_drop = 1.0;
        EXPECT_GT(endings(s, {Stage::kNegotiation}, 0.0, EndCause::kBudgetUncertainty), 50);
        EXPECT_EQ(endings(s, {Stage::kDueDiligence}, 0.0, EndCause::kBudgetUncertainty), 0);
    }
}

TEST(PipelineUnit, DissolutionCauseIsTheTermThatIsOn) {
    const double need =
        test::quiet_scenario().pipeline.stage[static_cast<int>(Stage::kCoCreation)].effort_hours;
    {  // baseline only, full effort
        Scenario s = no_exit_scenario();
        for (auto st : kPost) s.pipeline.stage[static_cast<int>(st)].drop_per_week = 0.05;
        s.pipeline.stage[static_cast<int>(Stage::kAgreement)].effort_hours = need;
        s.pipeline.stage[static_cast<int>(Stage::kImplementation)].effort_hours = need;
        EXPECT_GT(endings(s, kPost, need, EndCause::kBaselineExit), 50);
    }
    {  // the end-date hazard only, full effort
        Scenario s = no_exit_scenario();
        s.pipeline.exit_base = 0.05;
        s.pipeline.stage[static_cast<int>(Stage::kAgreement)].effort_hours = need;
        s.pipeline.stage[static_cast<int>(Stage::kImplementation)].effort_hours = need;
        EXPECT_GT(endings(s, kPost, need, EndCause::kProjectEndApproaching), 50);
    }
    {  // low activity only: no effort
        Scenario s = no_exit_scenario();
        s.pipeline.low_activity_hazard = 0.05;
        EXPECT_GT(endings(s, kPost, 0.0, EndCause::kLowActivity), 50);
        // At full effort the low-activity hazard does not apply.
        s.pipeline.stage[static_cast<int>(Stage::kAgreement)].effort_hours = need;
        s.pipeline.stage[static_cast<int>(Stage::kImplementation)].effort_hours = need;
        EXPECT_EQ(endings(s, kPost, need, EndCause::kLowActivity), 0);
    }
    {  // CSR change certain: exactly once per relationship per year, in its decision week
        Scenario s = no_exit_scenario();
        s.company.csr_change_prob = 1.0;
        PipeFixture f(s, 3, kPost, 0.0);
        for (std::size_t i = 0; i < kPost.size(); ++i) {
            const std::uint32_t c = f.m.relationships()[f.ids[i]].company;
            int changes = 0;
            for (int w = 0; w < 52; ++w) {
                const Decision d = f.decide(i, w);
                if (d.to != Stage::kDissolved) continue;
                EXPECT_EQ(d.cause, EndCause::kCsrChange);
                EXPECT_EQ(month_of(w), f.m.companies().decision_month[c]);
                ++changes;
            }
            EXPECT_EQ(changes, 1) << stage_name(kPost[i]);
        }
    }
}

TEST(PipelineUnit, CompanyLedPartnershipEndsOnlyByCompanyExit) {
    Scenario s = no_exit_scenario();
    s.pipeline.sustained_exit_per_year = 52.0 * 50;  // weekly probability 1 - exp(-50)
    PipeFixture f(s, 4, {Stage::kSustained}, 0.0);
    f.m.state_mut().ngo_state[0].active = false;  // the project has ended: company-led
    const Decision d = f.decide(0, 140);
    EXPECT_EQ(d.to, Stage::kDissolved);
    EXPECT_EQ(d.cause, EndCause::kCompanyExit);
    // A non-running project decides nothing for an engagement that is not company-led.
    PipeFixture g(s, 4, {Stage::kNegotiation}, 10.0);
    g.m.state_mut().ngo_state[0].active = false;
    g.m.state_mut().rels[g.ids[0]].ready = true;
    EXPECT_EQ(g.decide(0, 140).to, Stage::kNone);
}

TEST(PipelineUnit, CommitOpensAndClosesSupplyChainAccess) {
    Scenario s = no_exit_scenario();
    s.trust.access_alignment_slope = 0;  // one threshold for all (its alignment term: TrustUnit)
    PipeFixture f(
        s, 5,
        {Stage::kImplementation, Stage::kImplementation, Stage::kNegotiation, Stage::kSustained},
        0.0);
    auto& st = f.m.state_mut();
    const double th = s.trust.access_threshold;
    st.rels[f.ids[3]].access = true;  // handed over with an open chain
    auto commit = [&](std::vector<double> trust, std::vector<Stage> to) {
        st.decisions.assign(st.rels.size(), Decision{});
        for (std::size_t i = 0; i < f.ids.size(); ++i) {
            st.decisions[f.ids[i]].trust = trust[i];
            st.decisions[f.ids[i]].to = to[i];
            st.decisions[f.ids[i]].coverage = st.rels[f.ids[i]].coverage;
        }
        pipeline::phase_commit(f.m.context(), st);
    };
    const Stage none = Stage::kNone;
    commit({th, th - 1e-9, 0.95, 0.1}, {none, none, none, none});
    EXPECT_TRUE(st.rels[f.ids[0]].access);  // at the threshold: open
    EXPECT_FALSE(st.rels[f.ids[1]].access);
    EXPECT_FALSE(st.rels[f.ids[2]].access);  // before an agreement: never
    EXPECT_TRUE(st.rels[f.ids[3]].access);   // handed over: stays open whatever the trust
    EXPECT_EQ(st.counters.access_opened, 1.0);
    EXPECT_EQ(test::count_events(f.m, EventType::kAccessOpened), 1u);
    EXPECT_EQ(test::count_events(f.m, EventType::kAccessClosed), 0u);
    // Trust below the threshold closes it; rising above opens the other one.
    commit({th - 0.01, 0.9, 0.95, 0.1}, {none, none, none, none});
    EXPECT_FALSE(st.rels[f.ids[0]].access);
    EXPECT_TRUE(st.rels[f.ids[1]].access);
    EXPECT_EQ(test::count_events(f.m, EventType::kAccessClosed), 1u);
    EXPECT_EQ(st.counters.access_opened, 2.0);
    // Dissolving an open partnership closes its chain (and it leaves the active list).
    commit({th - 0.01, 0.9, 0.95, 0.1}, {none, Stage::kDissolved, none, none});
    EXPECT_FALSE(st.rels[f.ids[1]].access);
    EXPECT_EQ(st.rels[f.ids[1]].stage, Stage::kDissolved);
    EXPECT_EQ(test::count_events(f.m, EventType::kAccessClosed), 2u);
    EXPECT_EQ(st.ngo_state[0].active_rels.size(), 3u);
}

TEST(PipelineUnit, CommitUsesTheCompanysAlignmentDependentAccessThreshold) {
    // With access_alignment_slope 0.6 the same trust 0.5 opens the chain of a company aligned 0.9
    // (threshold 0.36) and not of one aligned 0.1 (threshold 0.84) (docs/ODD.md 7.3).
    Scenario s = no_exit_scenario();
    s.trust.access_threshold = 0.6;
    s.trust.access_alignment_slope = 0.6;
    PipeFixture f(s, 5, {Stage::kImplementation, Stage::kImplementation}, 0.0);
    auto& st = f.m.state_mut();
    st.co.alignment[st.rels[f.ids[0]].company] = 0.9;
    st.co.alignment[st.rels[f.ids[1]].company] = 0.1;
    st.decisions.assign(st.rels.size(), Decision{});
    for (auto id : f.ids) {
        st.decisions[id].trust = 0.5;
        st.decisions[id].coverage = st.rels[id].coverage;
    }
    pipeline::phase_commit(f.m.context(), st);
    EXPECT_TRUE(st.rels[f.ids[0]].access);
    EXPECT_FALSE(st.rels[f.ids[1]].access);
}

TEST(PipelineUnit, SustainingHazardKnownAnswerAndFallsOnceProven) {
    Scenario s = no_exit_scenario();
    s.pipeline.stage[static_cast<int>(Stage::kImplementation)].drop_per_week = 0.002;
    s.pipeline.sustain_trust_slope = 2.0;
    s.pipeline.sustain_contribution_slope = 1.0;
    s.pipeline.sustain_alignment_slope = 1.0;
    s.pipeline.sustain_proving_weeks = 52;
    s.pipeline.sustain_proven_reduction = 0.6;
    s.company.resources_usd_median = 1000;
    PipeFixture f(s, 4, {Stage::kImplementation}, 4.0);
    auto& st = f.m.state_mut();
    Relationship& r = st.rels[f.ids[0]];
    r.agreement_week = 0;
    r.resources_usd = 0;
    st.co.alignment[r.company] = 0.5;
    // Known answer: T = 0.5, c = 0, a = 0.5, age 0 -> drop_per_week.
    EXPECT_NEAR(pipeline::sustaining_hazard(test::context_at(f.m, 0), st, r, 0.5), 0.002, 1e-15);
    // Fully proven (age >= 52): times (1 - 0.6); trust 0.9, c = 0.5: times exp(-0.8 - 0.5).
    r.resources_usd = 1000;
    EXPECT_NEAR(pipeline::sustaining_hazard(test::context_at(f.m, 60), st, r, 0.9),
                0.002 * 0.4 * std::exp(-1.3), 1e-15);
    // Non-increasing in age (at fixed trust), strictly falling during the proving period.
    double prev = 1;
    for (int w = 0; w <= 104; w += 4) {
        const double h = pipeline::sustaining_hazard(test::context_at(f.m, w), st, r, 0.6);
        EXPECT_LE(h, prev);
        if (w <= 52 && w > 0) {
            EXPECT_LT(h, prev);
        }
        prev = h;
    }
    // Decreasing in trust, contribution and alignment.
    const StepContext ctx = test::context_at(f.m, 10);
    EXPECT_GT(pipeline::sustaining_hazard(ctx, st, r, 0.3),
              pipeline::sustaining_hazard(ctx, st, r, 0.7));
    const double h1000 = pipeline::sustaining_hazard(ctx, st, r, 0.5);
    r.resources_usd = 5000;
    EXPECT_GT(h1000, pipeline::sustaining_hazard(ctx, st, r, 0.5));
    const double ha5 = pipeline::sustaining_hazard(ctx, st, r, 0.5);
    st.co.alignment[r.company] = 0.9;
    EXPECT_GT(ha5, pipeline::sustaining_hazard(ctx, st, r, 0.5));
}

TEST(PipelineUnit, ProvenPartnershipDissolvesLessOften) {
    // Baseline and end-approaching hazards on; the same relationship decided at age 0 and at
    // age >= proving weeks (same remaining time): fewer dissolutions once proven. Seeds 1..5,
    // 200 weeks each.
    Scenario s = no_exit_scenario();
    s.pipeline.stage[static_cast<int>(Stage::kImplementation)].drop_per_week = 0.02;
    s.pipeline.exit_base = 0.02;
    s.pipeline.sustain_proven_reduction = 0.6;
    s.pipeline.sustain_proving_weeks = 52;
    const double need = s.pipeline.stage[static_cast<int>(Stage::kImplementation)].effort_hours;
    int young = 0, proven = 0;
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        PipeFixture f(s, seed, {Stage::kImplementation}, need);
        auto& r = f.m.state_mut().rels[f.ids[0]];
        for (int w = 0; w < 200; ++w) {
            r.agreement_week = w;
            young += f.decide(0, w).to == Stage::kDissolved;
            r.agreement_week = w - 60;
            proven += f.decide(0, w).to == Stage::kDissolved;
        }
    }
    EXPECT_GT(young, 0);
    EXPECT_LT(proven, young);
}

TEST(PipelineUnit, HandoverPlanningCostsTheStageHours) {
    // Implementation with 4 hours against a need of 4: coverage ramps by 1/mean_weeks a week.
    // With a handover design in the planning window (2 h/week), the 4 hours meet 4/6 of the
    // combined need, so coverage ramps by (2/3)/mean_weeks; the plan's share is recorded in commit.
    for (bool plan : {false, true}) {
        SCOPED_TRACE(plan);
        Scenario s = no_exit_scenario();
        s.ngo_defaults.handover = plan;
        s.pipeline.handover_hours_per_week = 2;
        s.pipeline.handover_planning_weeks = 26;
        const auto& sp = s.pipeline.stage[static_cast<int>(Stage::kImplementation)];
        const double need = sp.effort_hours, mw = sp.mean_weeks;
        PipeFixture f(s, 5, {Stage::kImplementation}, need);
        const int end = f.m.ngo_states()[0].end_week;
        const Decision d = f.decide(0, end - 10);
        const double fe = plan ? need / (need + 2.0) : 1.0;
        EXPECT_NEAR(d.coverage, fe / mw, 1e-12);
        const Decision early = f.decide(0, end - 40);  // before the planning window: full share
        EXPECT_NEAR(early.coverage, 1.0 / mw, 1e-12);
        f.m.state_mut().decisions.assign(f.m.state().rels.size(), Decision{});
        f.m.state_mut().decisions[f.ids[0]] = d;
        pipeline::phase_commit(test::context_at(f.m, end - 10), f.m.state_mut());
        EXPECT_NEAR(f.m.relationships()[f.ids[0]].handover_work, plan ? fe / 26.0 : 0.0, 1e-12);
    }
}

}  // namespace
}  // namespace pse
