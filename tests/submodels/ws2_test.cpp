// Tests of submodel 7.6, work stream 2 (sim/pse/submodels/ws2.cpp), each function called alone:
// the agency mapping, the government gate, NGO-government trust with and without contact
// (including the clamped rate), the contact weeks the gate needs at the defaults, placements and
// retention.
//
// Tolerance: closed forms 1e-12 absolute.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "pse/submodels/trust.h"
#include "pse/submodels/ws2.h"
#include "support/submodels.h"

namespace pse {
namespace {

constexpr double kTol = 1e-12;

TEST(Ws2Unit, GovernmentOfMapsOwnTieElseCompanyModG) {
    Network net;
    net.government_count = 3;
    net.company_government = {-1, 2, -1, 0, -1, -1};
    const std::uint32_t want[] = {0, 2, 2, 0, 1, 2};  // c mod 3 where there is no tie
    for (std::uint32_t c = 0; c < 6; ++c)
        EXPECT_EQ(ws2::government_of(net, c), want[c]) << "company " << c;
}

TEST(Ws2Unit, GateOpensAtTheThreshold) {
    Scenario s = test::quiet_scenario();
    s.ws2.gov_trust_needed = 0.45;
    Model m(s, 61);
    const StepContext ctx = m.context();
    auto& st = m.state_mut();
    const std::uint32_t c = 11, g = ws2::government_of(m.network(), c);
    const std::uint32_t G = m.network().government_count;
    ASSERT_EQ(G, 2u);
    EXPECT_FALSE(ws2::government_gate_open(ctx, st, 0, c));  // government_prior 0.35 < 0.45
    st.gov_trust[g] = std::nextafter(0.45, 0.0);
    EXPECT_FALSE(ws2::government_gate_open(ctx, st, 0, c));
    st.gov_trust[g] = 0.45;
    EXPECT_TRUE(ws2::government_gate_open(ctx, st, 0, c));
    st.gov_trust[(g + 1) % G] = 0.0;  // another agency's trust does not matter
    EXPECT_TRUE(ws2::government_gate_open(ctx, st, 0, c));
}

TEST(Ws2Unit, GovernmentTrustWithContactUpdatesAndWithoutRelaxes) {
    Scenario s = test::quiet_scenario();
    NgoParams a = s.ngo_defaults, b = s.ngo_defaults;
    a.name = "project_a";
    b.name = "project_b";
    s.ngos = {a, b};
    Model m(s, 62);
    const auto& tp = s.trust;
    auto& st = m.state_mut();
    const std::uint32_t c = 13, g = ws2::government_of(m.network(), c),
                        G = m.network().government_count;
    const auto id = test::engage(m, 0, c, Stream::kSurvivorEmployment);
    st.rels[id].stage = Stage::kGovernmentConsulted;
    ws2::note_government_contact(m.context(), st, st.rels[id]);
    ASSERT_EQ(st.gov_contact[g], 1);
    st.gov_trust[(g + 1) % G] = 0.8;  // NGO 0, other agency: no contact
    st.gov_trust[G + g] = 0.9;        // NGO 1, same agency: no contact (contact is per NGO)
    ws2::phase_government_trust(m.context(), st);
    EXPECT_NEAR(st.gov_trust[g],
                tp.government_prior + tp.gain_rate * (tp.quality_co_creation - tp.government_prior),
                kTol);
    EXPECT_NEAR(st.gov_trust[(g + 1) % G], 0.8 + tp.decay_rate * (tp.government_prior - 0.8), kTol);
    EXPECT_NEAR(st.gov_trust[G + g], 0.9 + tp.decay_rate * (tp.government_prior - 0.9), kTol);
    EXPECT_EQ(st.gov_trust[G + (g + 1) % G], tp.government_prior);  // at the prior: stays
    for (auto f : st.gov_contact) EXPECT_EQ(f, 0);                  // contact flags cleared
    // Contact with trust above the quality: the loss rate gain * loss_ratio.
    st.gov_trust[g] = 0.95;
    ws2::note_government_contact(m.context(), st, st.rels[id]);
    ws2::phase_government_trust(m.context(), st);
    EXPECT_NEAR(st.gov_trust[g],
                0.95 + tp.gain_rate * tp.loss_ratio * (tp.quality_co_creation - 0.95), kTol);
}

TEST(Ws2Unit, ClampedRateLandsExactlyOnTheQuality) {
    // gain_rate * loss_ratio = 2 > 1: the rate is clamped to 1 and government trust above
    // quality_co_creation lands on it exactly (no overshoot below it), and stays there.
    Scenario s = test::quiet_scenario();
    s.trust.gain_rate = 0.5;
    s.trust.loss_ratio = 4.0;
    Model m(s, 63);
    auto& st = m.state_mut();
    const std::uint32_t c = 17, g = ws2::government_of(m.network(), c);
    const auto id = test::engage(m, 0, c, Stream::kSurvivorEmployment);
    st.rels[id].stage = Stage::kGovernmentConsulted;
    for (double start : {0.95, 0.9, 1.0}) {
        st.gov_trust[g] = start;
        for (int k = 0; k < 3; ++k) {
            ws2::note_government_contact(m.context(), st, st.rels[id]);
            ws2::phase_government_trust(m.context(), st);
            EXPECT_EQ(st.gov_trust[g], s.trust.quality_co_creation)
                << "start " << start << " week " << k;
        }
    }
}

TEST(Ws2Unit, ContactWeeksToTheGateAtTheDefaultsMatchTheClosedForm) {
    // From government_prior, k weeks of contact give o - (o - prior)(1 - gain)^k; the gate opens
    // after ceil(log((o - need)/(o - prior)) / log(1 - gain)) weeks (5 at the defaults).
    const Scenario s = test::quiet_scenario();
    const auto& tp = s.trust;
    const double o = tp.quality_co_creation, need = s.ws2.gov_trust_needed,
                 prior = tp.government_prior;
    const int want = static_cast<int>(
        std::ceil(std::log((o - need) / (o - prior)) / std::log(1.0 - tp.gain_rate)));
    EXPECT_EQ(want, 5);  // the defaults as documented (docs/ODD.md 7.6: "a few weeks")
    Model m(s, 64);
    auto& st = m.state_mut();
    const std::uint32_t c = 19;
    const auto id = test::engage(m, 0, c, Stream::kSurvivorEmployment);
    st.rels[id].stage = Stage::kGovernmentConsulted;
    int weeks = 0;
    while (!ws2::government_gate_open(m.context(), st, 0, c) && weeks < 1000) {
        ws2::note_government_contact(m.context(), st, st.rels[id]);
        ws2::phase_government_trust(m.context(), st);
        ++weeks;
    }
    EXPECT_EQ(weeks, want);
}

TEST(Ws2Unit, PlacementAndRetentionWithExitZeroAndOne) {
    for (double exit : {0.0, 1.0}) {
        SCOPED_TRACE(exit);
        Scenario s = test::quiet_scenario();
        s.ws2.weekly_exit_placed = exit;
        Model m(s, 65);
        auto& st = m.state_mut();
        const auto id = test::engage(m, 0, 23, Stream::kSurvivorEmployment);
        st.rels[id].stage = Stage::kPlaced;
        ws2::commit_placement(m.context(), st, st.rels[id], 4);
        EXPECT_EQ(st.rels[id].placed, 4u);
        EXPECT_EQ(st.rels[id].employed, 4u);
        EXPECT_EQ(st.counters.placed, 4.0);
        EXPECT_EQ(test::count_events(m, EventType::kPlacement), 1u);
        ws2::phase_retention(m.context(), st);
        EXPECT_EQ(st.rels[id].employed, exit == 0.0 ? 4u : 0u);
        EXPECT_EQ(st.rels[id].placed, 4u);  // placements are not undone
    }
}

TEST(Ws2Unit, MatchAndCohortLimits) {
    Scenario s = test::quiet_scenario();
    s.ws2.cohort_mean = 0;
    Model m(s, 66);
    Relationship r;
    r.ngo = 0;
    r.company = 3;
    for (int w = 0; w < 50; ++w) {
        const StepContext ctx = test::context_at(m, w);
        // Poisson(0) = 0, and a cohort has at least one person.
        EXPECT_EQ(ws2::cohort_size(ctx, r, ctx.relationship_rng(r.company)), 1u);
    }
    Scenario s0 = s, s1 = s;
    s0.ws2.match_prob = 0;
    s1.ws2.match_prob = 1;
    Model m0(s0, 66), m1(s1, 66);
    for (int w = 0; w < 50; ++w) {
        const StepContext c0 = test::context_at(m0, w), c1 = test::context_at(m1, w);
        EXPECT_FALSE(ws2::candidates_matched(c0, r, c0.relationship_rng(3)));
        EXPECT_TRUE(ws2::candidates_matched(c1, r, c1.relationship_rng(3)));
    }
}

}  // namespace
}  // namespace pse
