// Tests of submodel 7.9, outreach and targeting (sim/pse/submodels/outreach.cpp), each part
// called alone: relationship() is idempotent, start_engagement() sets its fields, the pipeline
// cap is counted after the week's inbound leads, leads are lost when every company is engaged,
// and there is no outreach without staff hours.
//
// Tolerance: closed forms 1e-12 absolute. Random outreach draws use fixed seeds (listed).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "pse/submodels/outreach.h"
#include "pse/submodels/trust.h"
#include "support/submodels.h"

namespace pse {
namespace {

constexpr double kTol = 1e-12;

TEST(OutreachUnit, RelationshipIsCreatedOnceAtPriorTrust) {
    Model m(test::quiet_scenario(), 91);
    auto& st = m.state_mut();
    const StepContext ctx = test::context_at(m, 7);
    const auto a = outreach::relationship(ctx, st, 0, 12);
    st.rels[a].trust = 0.99;  // a second call must not reset it
    EXPECT_EQ(outreach::relationship(ctx, st, 0, 12), a);
    const auto b = outreach::relationship(ctx, st, 0, 13);
    EXPECT_NE(a, b);
    ASSERT_EQ(st.rels.size(), 2u);
    const Relationship& r = st.rels[b];
    EXPECT_EQ(r.ngo, 0u);
    EXPECT_EQ(r.company, 13u);
    EXPECT_EQ(r.org, m.network().company_vertex(13));
    EXPECT_EQ(r.stage, Stage::kNone);
    EXPECT_EQ(r.trust, trust::prior(ctx, st, 0, 13));
    EXPECT_EQ(r.trust_week, 7);
    EXPECT_EQ(st.rels[a].trust, 0.99);
}

TEST(OutreachUnit, StartEngagementSetsStageContactTrustAndCounters) {
    Scenario s = test::quiet_scenario();
    s.trust.inbound_bonus = 0.2;
    Model m(s, 92);
    auto& st = m.state_mut();
    const auto in = outreach::relationship(m.context(), st, 0, 4);
    const auto out = outreach::relationship(m.context(), st, 0, 5);
    const auto ws2 = outreach::relationship(m.context(), st, 0, 6);
    st.rels[in].trust = 0.9;  // decays for 10 weeks before the engagement starts
    const double T0 = trust::prior(m.context(), st, 0, 4);
    const StepContext ctx = test::context_at(m, 10);
    outreach::start_engagement(ctx, st, in, Stream::kPrevention, true);
    outreach::start_engagement(ctx, st, out, Stream::kPrevention, false);
    outreach::start_engagement(ctx, st, ws2, Stream::kSurvivorEmployment, false);
    const double decayed = T0 + (0.9 - T0) * std::pow(1.0 - s.trust.decay_rate, 10);
    const Relationship& r = st.rels[in];
    EXPECT_EQ(r.stage, Stage::kIdentified);
    EXPECT_EQ(r.stream, Stream::kPrevention);
    EXPECT_TRUE(r.inbound);
    EXPECT_EQ(r.first_contact, 10);
    EXPECT_EQ(r.stage_week, 10);
    EXPECT_EQ(r.trust_week, 10);
    EXPECT_NEAR(r.trust, decayed + 0.2 * (1.0 - decayed), kTol);
    EXPECT_FALSE(st.rels[out].inbound);
    EXPECT_NEAR(st.rels[out].trust, trust::prior(ctx, st, 0, 5), kTol);  // targeted: no bonus
    EXPECT_EQ(st.rels[ws2].stage, Stage::kWs2Identified);
    EXPECT_EQ(st.rels[ws2].stream, Stream::kSurvivorEmployment);
    EXPECT_EQ(st.ngo_state[0].active_rels, (std::vector<std::uint32_t>{in, out, ws2}));
    EXPECT_EQ(st.ngo_state[0].engagements_started, 3.0);
    EXPECT_EQ(st.counters.initiated, 2.0);  // WS1 engagements only
    EXPECT_EQ(test::count_events(m, EventType::kInboundLead), 1u);
    EXPECT_EQ(test::count_events(m, EventType::kTargeted), 2u);
}

/// Scenario with many inbound leads and targets each week (WS1 only); staff hours as set by
/// phase_capacity.
Scenario busy_scenario(int max_pipeline, double events_per_year) {
    Scenario s = test::quiet_scenario();
    s.ngo_defaults.outreach_events_per_year = events_per_year;
    s.ngo_defaults.leads_per_event = 1.0;
    s.ngo_defaults.targets_per_month = 1000;  // far more targets than free places
    s.ngo_defaults.max_pipeline = max_pipeline;
    s.ecosystem.mnc_count = 200;  // a target finds a free MNC (all 5 draws engaged: < 1e-6)
    // Staff capacity does not bind here (a target and a new engagement cost no hours); it is
    // tested on its own below (CapacityForTargets*, TargetsTakenScaleWithStaffHours).
    s.ngo_defaults.prospecting_hours = 0;
    s.pipeline.stage[static_cast<int>(Stage::kIdentified)].effort_hours = 0;
    return s;
}

TEST(OutreachUnit, NoOutreachWithoutStaffHours) {
    Scenario s = busy_scenario(12, 52.0 * 5);
    s.ngo_defaults.dedicated_fte = 0;
    s.ngo_defaults.part_time_staff = 0;
    Model m(s, 93);
    m.phase_funding();
    ASSERT_TRUE(m.ngo_states()[0].active);
    ASSERT_EQ(m.ngo_states()[0].staff_hours, 0.0);
    outreach::phase_outreach(m.context(), m.state_mut());
    EXPECT_TRUE(m.relationships().empty());
    EXPECT_EQ(m.state().counters.actions_low, 0.0);
    // The same NGO with staff engages companies (the check above is not vacuous).
    Model staffed(busy_scenario(12, 52.0 * 5), 93);
    staffed.phase_funding();
    outreach::phase_outreach(staffed.context(), staffed.state_mut());
    EXPECT_FALSE(staffed.relationships().empty());
}

TEST(OutreachUnit, PipelineCapIsCountedAfterTheWeeksInboundLeads) {
    // One engagement before agreement already; targets fill the cap of 8 counted after this
    // week's inbound leads: targeted = 8 - 1 - inbound. Seeds 1..6 (fixed); some weeks bring
    // leads (checked), so the count after the leads matters.
    int weeks_with_leads = 0;
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
        SCOPED_TRACE(seed);
        Model m(busy_scenario(8, 52.0 * 2), seed);
        m.phase_funding();
        test::engage(m, 0, 0);
        const auto before = m.relationships().size();
        outreach::phase_outreach(m.context(), m.state_mut());
        int inbound = 0, targeted = 0;
        for (std::size_t i = before; i < m.relationships().size(); ++i) {
            const auto& r = m.relationships()[i];
            ASSERT_EQ(r.stage, Stage::kIdentified);
            (r.inbound ? inbound : targeted) += 1;
        }
        ASSERT_LE(inbound, 7);  // this check needs the leads to leave room for targets
        EXPECT_EQ(targeted, 8 - 1 - inbound);
        weeks_with_leads += inbound > 0;
    }
    EXPECT_GT(weeks_with_leads, 0);
}

TEST(OutreachUnit, InboundLeadsAreNotCappedAndFillTheCapFirst) {
    // Cap 2 and about 10 leads a week: every lead is engaged (leads are not capped), and no
    // company is targeted because the leads alone reach the cap. Seed 94 (fixed).
    Model m(busy_scenario(2, 52.0 * 10), 94);
    m.phase_funding();
    outreach::phase_outreach(m.context(), m.state_mut());
    int inbound = 0, targeted = 0;
    for (const auto& r : m.relationships()) (r.inbound ? inbound : targeted) += 1;
    EXPECT_GT(inbound, 2);
    EXPECT_EQ(targeted, 0);
    EXPECT_GT(m.state().counters.actions_low, 0.0);  // the events themselves are counted
}

TEST(OutreachUnit, LeadsAndTargetsAreLostWhenEveryCompanyIsEngaged) {
    // Every company already has an engagement with NGO 0: the week's leads and targets find no
    // free company and are lost (nothing is redrawn); the events still count as actions.
    Scenario s = busy_scenario(1000, 52.0 * 5);
    s.ngo_defaults.work_stream_2 = true;
    s.ngo_defaults.ws2_targets_per_year = 52.0 * 5;
    Model m(s, 95);
    m.phase_funding();
    const std::uint32_t C = m.network().company_count();
    for (std::uint32_t c = 0; c < C; ++c) test::engage(m, 0, c);
    const auto started = m.ngo_states()[0].engagements_started;
    const auto events = m.events().size();
    outreach::phase_outreach(m.context(), m.state_mut());
    EXPECT_EQ(m.relationships().size(), C);
    EXPECT_EQ(m.ngo_states()[0].engagements_started, started);
    EXPECT_EQ(m.events().size(), events);
    EXPECT_GT(m.state().counters.actions_low, 0.0);
}

// --- caseload, inbound readiness and targeting strategy (docs/ODD.md 7.1, 7.9) ---

/// Scenario for the capacity tests: needs identified 2, first meeting 4; prospecting 4 hours
/// per target (one target costs 6 hours); no events; 1000 targets a month; no policy cap.
Scenario capacity_scenario() {
    Scenario s = test::quiet_scenario();
    s.ngo_defaults.targets_per_month = 1000;
    s.ngo_defaults.max_pipeline = 100000;
    s.ngo_defaults.prospecting_hours = 4;
    s.ecosystem.mnc_count = 200;
    s.pipeline.stage[static_cast<int>(Stage::kIdentified)].effort_hours = 2;
    s.pipeline.stage[static_cast<int>(Stage::kFirstMeeting)].effort_hours = 4;
    return s;
}

TEST(OutreachUnit, CapacityForTargetsKnownAnswer) {
    Model m(capacity_scenario(), 140);
    auto& st = m.state_mut();
    st.ngo_state[0].active = true;
    st.ngo_state[0].staff_hours = 50;
    st.ngo_state[0].skill = 0.8;  // 40 skill-weighted hours
    for (std::uint32_t c = 0; c < 3; ++c)
        st.rels[test::engage(m, 0, c)].stage = Stage::kFirstMeeting;
    const auto sustained = test::engage(m, 0, 3);
    st.rels[sustained].stage = Stage::kSustained;  // needs no staff hours: not counted
    // free = 40 - 3*4 = 28; one target costs 4 + 2 = 6: floor(28/6) = 4.
    EXPECT_EQ(outreach::capacity_for_targets(m.context(), st, 0), 4u);
    st.ngo_state[0].prospecting_hours = 6;  // hours already spent prospecting this week
    EXPECT_EQ(outreach::capacity_for_targets(m.context(), st, 0), 3u);
    st.ngo_state[0].staff_hours = 20;  // free = 16 - 12 - 6 < 6
    EXPECT_EQ(outreach::capacity_for_targets(m.context(), st, 0), 0u);
}

TEST(OutreachUnit, TargetsTakenScaleWithStaffHours) {
    // With far more targets wanted than capacity, the week's targets are floor(σH / 6) and cost
    // 4 hours each; an NGO with 4x the hours takes 4x the targets. Seeds 141..143 (fixed).
    for (std::uint64_t seed = 141; seed <= 143; ++seed) {
        SCOPED_TRACE(seed);
        for (double hours : {12.0, 48.0}) {
            Model m(capacity_scenario(), seed);
            auto& st = m.state_mut();
            st.ngo_state[0].active = true;
            st.ngo_state[0].staff_hours = hours;
            st.ngo_state[0].skill = 1.0;
            outreach::phase_outreach(m.context(), st);
            const auto k = static_cast<double>(m.relationships().size());
            EXPECT_EQ(k, std::floor(hours / 6.0));
            EXPECT_NEAR(st.ngo_state[0].prospecting_hours, 4.0 * k, kTol);
        }
    }
}

/// Mean readiness (alignment + sentiment) of the inbound leads of one busy week, over seeds.
double mean_inbound_readiness(int inbound_draws) {
    double sum = 0;
    int n = 0;
    for (std::uint64_t seed = 144; seed <= 153; ++seed) {
        Scenario s = busy_scenario(100000, 52.0 * 10);
        s.ngo_defaults.targets_per_month = 0;
        s.ngo_defaults.inbound_draws = inbound_draws;
        Model m(s, seed);
        m.phase_funding();
        outreach::phase_outreach(m.context(), m.state_mut());
        for (const auto& r : m.relationships()) {
            if (!r.inbound) continue;
            sum += m.state().co.alignment[r.company] + m.state().co.sentiment[r.company];
            ++n;
        }
    }
    EXPECT_GT(n, 50);
    return sum / n;
}

TEST(OutreachUnit, InboundLeadsAreSelectedForReadiness) {
    // The readiest of 8 companies is readier on average than one company drawn at random
    // (002 Conclusions: successes mostly follow initiation by businesses already interested).
    // Seeds 144..153 (fixed); about 100 leads per setting.
    const double one = mean_inbound_readiness(1), eight = mean_inbound_readiness(8);
    EXPECT_GT(eight, one + 0.1);
}

TEST(OutreachUnit, TargetingStrategySetsTheMncShareOfTargets) {
    // mnc_focus: every target an MNC; local_firms: none; mixed: a third (binomial, about 230
    // targets: 3 sd = 0.09). Seed 154 (fixed).
    auto mnc_share = [](TargetingStrategy strategy) {
        Scenario s = busy_scenario(100000, 0);
        s.ecosystem.supplier_count = 2000;
        s.ngo_defaults.targeting = strategy;
        Model m(s, 154);
        m.phase_funding();
        outreach::phase_outreach(m.context(), m.state_mut());
        double mnc = 0, all = 0;
        for (const auto& r : m.relationships()) {
            mnc += r.company < m.network().mnc_count;
            all += 1;
        }
        EXPECT_GT(all, 100.0);
        return mnc / all;
    };
    EXPECT_EQ(mnc_share(TargetingStrategy::kMncFocus), 1.0);
    EXPECT_EQ(mnc_share(TargetingStrategy::kLocalFirms), 0.0);
    EXPECT_NEAR(mnc_share(TargetingStrategy::kMixed), 1.0 / 3.0, 0.09);
}

}  // namespace
}  // namespace pse
