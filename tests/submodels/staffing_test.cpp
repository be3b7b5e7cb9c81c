// Tests of submodel 7.1, staffing and effort allocation (sim/pse/submodels/staffing.cpp), each
// phase called alone on hand-set state: staff hours and skill, capacity building, effort need
// and fulfilment, and the three allocation policies with hand-set hours and needs.
//
// Tolerance: closed forms 1e-12 absolute.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "pse/submodels/staffing.h"
#include "support/submodels.h"

namespace pse {
namespace {

constexpr double kTol = 1e-12;

TEST(StaffingUnit, PhaseCapacityStaffHoursAndSkillFormula) {
    Scenario s = test::quiet_scenario();
    NgoParams a = s.ngo_defaults, b = s.ngo_defaults;
    a.name = "project_a";
    a.dedicated_fte = 2;
    a.part_time_staff = 3;
    a.part_time_share = 0.2;
    a.switching_overhead = 0.5;
    a.hours_per_fte_week = 40;
    a.trained = false;
    a.skill_untrained = 0.6;
    a.skill_trained = 0.85;
    a.skill_learning_weeks = 104;
    b.name = "project_b";
    b.dedicated_fte = 0;
    b.part_time_staff = 0;
    b.implementer = "other";
    s.ngos = {a, b};
    Model m(s, 41);
    auto& st = m.state_mut();
    for (auto& ns : st.ngo_state) ns.active = true;
    st.ngo_state[0].dedicated_paid = 0.5;
    st.ngo_state[0].part_time_paid = 0.5;
    st.ngo_state[0].training_progress = 0.4;
    st.ngo_state[0].experience_weeks = 52;
    st.ngo_state[1].experience_weeks = 10;
    staffing::phase_capacity(m.context(), st);
    // H = (2 * 0.5 + 3 * 0.2 * (1 - 0.5) * 0.5) * 40 = 46 hours.
    EXPECT_NEAR(st.ngo_state[0].staff_hours, 46.0, kTol);
    // s0 = 0.6 + 0.25 * 0.4 = 0.7; skill = 0.7 + 0.3 (1 - exp(-52/104)).
    EXPECT_NEAR(st.ngo_state[0].skill, 0.7 + 0.3 * (1.0 - std::exp(-0.5)), kTol);
    EXPECT_EQ(st.ngo_state[0].experience_weeks, 53.0);  // a staffed week adds experience
    EXPECT_EQ(st.ngo_state[1].staff_hours, 0.0);
    EXPECT_EQ(st.ngo_state[1].experience_weeks, 10.0);  // no staff, no experience
    // A project that is not running keeps its state.
    st.ngo_state[0].active = false;
    st.ngo_state[0].dedicated_paid = 1.0;
    staffing::phase_capacity(m.context(), st);
    EXPECT_NEAR(st.ngo_state[0].staff_hours, 46.0, kTol);
    EXPECT_EQ(st.ngo_state[0].experience_weeks, 53.0);
}

TEST(StaffingUnit, CapacityBuildingPassesTrainingToTiedNgos) {
    // Sister projects are tied. A trained NGO with dedicated staff adds capacity_building to a
    // tied NGO's training progress; an untrained one passes nothing on.
    Scenario s = test::quiet_scenario();
    NgoParams t = s.ngo_defaults, u = s.ngo_defaults;
    t.name = "trained";
    t.trained = true;
    t.capacity_building = 0.1;
    u.name = "untrained";
    u.trained = false;
    u.capacity_building = 0.1;
    s.ngos = {t, u};
    Model m(s, 42);
    const auto& ties = m.network().ngo_ties;
    ASSERT_EQ(ties.row_size(0), 1u);
    ASSERT_EQ(ties.targets[ties.offsets[0]], 1u);
    auto& st = m.state_mut();
    for (auto& ns : st.ngo_state) ns.active = true;
    staffing::phase_capacity(m.context(), st);
    EXPECT_NEAR(st.ngo_state[1].training_progress, 0.1, kTol);
    EXPECT_EQ(st.ngo_state[0].training_progress, 1.0);
    for (int k = 0; k < 20; ++k) staffing::phase_capacity(m.context(), st);
    EXPECT_EQ(st.ngo_state[1].training_progress, 1.0);  // capped at 1
}

TEST(StaffingUnit, EffortNeedAndFulfilment) {
    Scenario s = test::quiet_scenario();
    s.pipeline.stage[static_cast<int>(Stage::kConceptNote)].effort_hours = 8;
    s.pipeline.stage[static_cast<int>(Stage::kSustained)].effort_hours = 0;
    Model m(s, 43);
    const StepContext ctx = m.context();
    EXPECT_EQ(staffing::effort_need(ctx, Stage::kConceptNote), 8.0);
    Relationship r;
    r.stage = Stage::kConceptNote;
    r.effort = 2;
    EXPECT_NEAR(staffing::fulfilment(ctx, r), 0.25, kTol);
    r.effort = 20;
    EXPECT_EQ(staffing::fulfilment(ctx, r), 1.0);
    r.effort = 0;
    EXPECT_EQ(staffing::fulfilment(ctx, r), 0.0);
    r.stage = Stage::kSustained;  // no need: fulfilled
    EXPECT_EQ(staffing::fulfilment(ctx, r), 1.0);
}

/// NGO 0 with `hours` skill-weighted hours (skill 1) and engagements of companies 0.. at the
/// given stages; stage needs: identified 1, first meeting 4, interests aligned 4, due diligence
/// 10, agreement 3.
struct AllocFixture {
    Model m;
    std::vector<std::uint32_t> ids;
    AllocFixture(AllocationPolicy policy, double hours, const std::vector<Stage>& stages)
        : m(scenario(policy), 44) {
        auto& st = m.state_mut();
        st.ngo_state[0].active = true;
        st.ngo_state[0].staff_hours = hours;
        st.ngo_state[0].skill = 1.0;
        for (std::size_t i = 0; i < stages.size(); ++i) {
            ids.push_back(test::engage(m, 0, static_cast<std::uint32_t>(i)));
            st.rels[ids.back()].stage = stages[i];
        }
    }
    static Scenario scenario(AllocationPolicy policy) {
        Scenario s = test::quiet_scenario();
        s.ngo_defaults.allocation = policy;
        s.engagement.alignment_noise_sd = 0;  // the NGO's estimate is the true alignment (7.12)
        auto need = [&s](Stage st, double h) {
            s.pipeline.stage[static_cast<int>(st)].effort_hours = h;
        };
        need(Stage::kIdentified, 1);
        need(Stage::kFirstMeeting, 4);
        need(Stage::kInterestsAligned, 4);
        need(Stage::kDueDiligence, 10);
        need(Stage::kAgreement, 3);
        need(Stage::kSustained, 5);
        return s;
    }
    double effort(std::size_t i) const { return m.relationships()[ids[i]].effort; }
};

TEST(StaffingUnit, MostPromisingFillsGreedilyWithStableTies) {
    // 10 hours. Scores: post-agreement first (need 3); then trust * alignment: e1 = 0.5*0.8 = 0.4,
    // e2 = e3 = 0.5*0.6 = 0.3 (tie: active-list order, e2 before e3), e4 = 0.1. Needs 4 each.
    // Fill: e0 3, e1 4, e2 3 (what is left), e3 0, e4 0.
    AllocFixture f(AllocationPolicy::kMostPromising, 10,
                   {Stage::kAgreement, Stage::kFirstMeeting, Stage::kFirstMeeting,
                    Stage::kInterestsAligned, Stage::kFirstMeeting});
    auto& st = f.m.state_mut();
    const double align[] = {0.1, 0.8, 0.6, 0.6, 0.2};
    for (std::size_t i = 0; i < f.ids.size(); ++i) {
        st.rels[f.ids[i]].trust = 0.5;
        st.rels[f.ids[i]].trust_week = 0;
        st.co.alignment[st.rels[f.ids[i]].company] = align[i];
    }
    staffing::phase_allocate(f.m.context(), st);
    const double want[] = {3, 4, 3, 0, 0};
    for (std::size_t i = 0; i < f.ids.size(); ++i)
        EXPECT_NEAR(f.effort(i), want[i], kTol) << "engagement " << i;
    // Swap the tie's list order: now e3 comes before e2.
    std::swap(st.ngo_state[0].active_rels[2], st.ngo_state[0].active_rels[3]);
    staffing::phase_allocate(f.m.context(), st);
    EXPECT_NEAR(f.effort(3), 3.0, kTol);
    EXPECT_EQ(f.effort(2), 0.0);
}

TEST(StaffingUnit, OldestFirstFillsByFirstContactWithStableTies) {
    // first contact 5, 2, 2, 9, 0 -> order e4, e1, e2 (tie in list order), e0, e3; 7 hours, needs
    // 4, 4, 10, 4, 1: e4 1, e1 4, e2 2, e0 0, e3 0.
    AllocFixture f(AllocationPolicy::kOldestFirst, 7,
                   {Stage::kFirstMeeting, Stage::kFirstMeeting, Stage::kDueDiligence,
                    Stage::kFirstMeeting, Stage::kIdentified});
    auto& st = f.m.state_mut();
    const int first[] = {5, 2, 2, 9, 0};
    for (std::size_t i = 0; i < f.ids.size(); ++i) st.rels[f.ids[i]].first_contact = first[i];
    staffing::phase_allocate(f.m.context(), st);
    const double want[] = {0, 4, 2, 0, 1};
    for (std::size_t i = 0; i < f.ids.size(); ++i)
        EXPECT_NEAR(f.effort(i), want[i], kTol) << "engagement " << i;
}

TEST(StaffingUnit, EqualShareWaterFillingCappedAtNeeds) {
    // Needs 1, 4, 4, 10 and a sustained one (takes nothing). 12 hours: round 1 shares 3 (e0 takes
    // its 1), round 2 shares the 2 left over three: 3 + 2/3 each. 30 hours: everyone at its need.
    const std::vector<Stage> stages = {Stage::kIdentified, Stage::kFirstMeeting,
                                       Stage::kInterestsAligned, Stage::kDueDiligence,
                                       Stage::kSustained};
    {
        AllocFixture f(AllocationPolicy::kEqualShare, 12, stages);
        staffing::phase_allocate(f.m.context(), f.m.state_mut());
        const double want[] = {1, 11.0 / 3, 11.0 / 3, 11.0 / 3, 0};
        double total = 0;
        for (std::size_t i = 0; i < stages.size(); ++i) {
            EXPECT_NEAR(f.effort(i), want[i], kTol) << "engagement " << i;
            total += f.effort(i);
        }
        EXPECT_NEAR(total, 12.0, kTol);
    }
    {
        AllocFixture f(AllocationPolicy::kEqualShare, 30, stages);
        staffing::phase_allocate(f.m.context(), f.m.state_mut());
        const double want[] = {1, 4, 4, 10, 0};
        for (std::size_t i = 0; i < stages.size(); ++i)
            EXPECT_NEAR(f.effort(i), want[i], kTol) << "engagement " << i;
    }
    {
        // Skill scales the hours: 24 staff hours at skill 0.5 are 12 skill-weighted hours.
        AllocFixture f(AllocationPolicy::kEqualShare, 24, stages);
        f.m.state_mut().ngo_state[0].skill = 0.5;
        staffing::phase_allocate(f.m.context(), f.m.state_mut());
        EXPECT_NEAR(f.effort(1), 11.0 / 3, kTol);
        // A project that is not running allocates nothing (and clears last week's effort).
        f.m.state_mut().ngo_state[0].active = false;
        staffing::phase_allocate(f.m.context(), f.m.state_mut());
        for (std::size_t i = 0; i < stages.size(); ++i) EXPECT_EQ(f.effort(i), 0.0);
    }
}

TEST(StaffingUnit, UnpaidPostLosesItsHoursFirst) {
    // Dedicated post half paid, part-time hours fully paid: H = (1*0.5 + 2*0.1*(1-0.42)*1) * 40.
    Scenario s = test::quiet_scenario();
    Model m(s, 140);
    auto& st = m.state_mut();
    st.ngo_state[0].active = true;
    st.ngo_state[0].dedicated_paid = 0.5;
    st.ngo_state[0].part_time_paid = 1.0;
    staffing::phase_capacity(m.context(), st);
    const auto& p = s.ngo_defaults;
    EXPECT_NEAR(st.ngo_state[0].staff_hours,
                (p.dedicated_fte * 0.5 +
                 p.part_time_staff * p.part_time_share * (1 - p.switching_overhead)) *
                    p.hours_per_fte_week,
                kTol);
}

TEST(StaffingUnit, Ws2ReserveIsNotTakenByWs1) {
    // 16 hours, ws2_staff_share 0.25: the WS2 engagement (government consulted, need 4) takes its
    // 4 reserved hours even though most_promising ranks the WS1 partnership and engagements
    // first; WS1 gets the other 12: agreement 3, then 4, 4, 1. Without a reserve the WS2
    // engagement (ranked last, trust·alignment 0) gets only the 1 hour WS1 leaves (3+4+4+4).
    for (double share : {0.25, 0.0}) {
        SCOPED_TRACE(share);
        Scenario s = AllocFixture::scenario(AllocationPolicy::kMostPromising);
        s.ngo_defaults.ws2_staff_share = share;
        s.pipeline.stage[static_cast<int>(Stage::kGovernmentConsulted)].effort_hours = 4;
        Model m(s, 141);
        auto& st = m.state_mut();
        st.ngo_state[0].active = true;
        st.ngo_state[0].staff_hours = 16;
        st.ngo_state[0].skill = 1.0;
        std::vector<std::uint32_t> ids;
        const Stage stages[] = {Stage::kAgreement, Stage::kFirstMeeting, Stage::kFirstMeeting,
                                Stage::kFirstMeeting};
        for (std::uint32_t i = 0; i < 4; ++i) {
            ids.push_back(test::engage(m, 0, i));
            st.rels[ids.back()].stage = stages[i];
            st.rels[ids.back()].trust = 0.5;
            st.rels[ids.back()].trust_week = 0;
            st.co.alignment[i] = 0.9 - 0.1 * i;
        }
        const auto w = test::engage(m, 0, 10, Stream::kSurvivorEmployment);
        st.rels[w].stage = Stage::kGovernmentConsulted;
        st.rels[w].trust = 0.5;
        st.rels[w].trust_week = 0;
        st.co.alignment[10] = 0.0;
        staffing::phase_allocate(m.context(), st);
        const double ws2_want = share > 0 ? 4 : 1;
        EXPECT_NEAR(st.rels[w].effort, ws2_want, kTol);
        const double ws1_want[] = {3, 4, 4, share > 0 ? 1.0 : 4.0};
        for (int i = 0; i < 4; ++i)
            EXPECT_NEAR(st.rels[ids[i]].effort, ws1_want[i], kTol) << "engagement " << i;
    }
}

TEST(StaffingUnit, UnusedWs2ReserveReturnsToWs1AndProspectingCostsHours) {
    // 20 hours, share 0.5 (10 reserved), no WS2 engagement: WS1 can use all 20 but 4 went to
    // prospecting this week, so equal_share spreads 16 over needs 4, 4, 10 -> 4, 4, 8.
    Scenario s = AllocFixture::scenario(AllocationPolicy::kEqualShare);
    s.ngo_defaults.ws2_staff_share = 0.5;
    Model m(s, 142);
    auto& st = m.state_mut();
    st.ngo_state[0].active = true;
    st.ngo_state[0].staff_hours = 20;
    st.ngo_state[0].skill = 1.0;
    st.ngo_state[0].prospecting_hours = 4;
    std::vector<std::uint32_t> ids;
    for (Stage g : {Stage::kFirstMeeting, Stage::kInterestsAligned, Stage::kDueDiligence}) {
        ids.push_back(test::engage(m, 0, static_cast<std::uint32_t>(ids.size())));
        st.rels[ids.back()].stage = g;
    }
    staffing::phase_allocate(m.context(), st);
    const double want[] = {4, 4, 8};
    for (int i = 0; i < 3; ++i)
        EXPECT_NEAR(st.rels[ids[i]].effort, want[i], kTol) << "engagement " << i;
}

}  // namespace
}  // namespace pse
