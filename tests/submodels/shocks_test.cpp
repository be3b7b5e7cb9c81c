// Tests of submodel 7.4, shocks and spillovers (sim/pse/submodels/shocks.cpp), each called alone:
// the tier downgrade, the media shock and its sentiment floor, the WS2 stall window, scrutiny
// spillover over the network and sister-project spillovers.
//
// Tolerance: closed forms 1e-12 absolute.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>

#include "pse/submodels/shocks.h"
#include "pse/submodels/trust.h"
#include "support/submodels.h"

namespace pse {
namespace {

constexpr double kTol = 1e-12;

TEST(ShocksUnit, TierDowngradeHitsOnlyAffiliatedNgos) {
    Scenario s = test::quiet_scenario();
    s.shocks.tier_downgrade_week = 5;
    s.shocks.tier_downgrade_drop = 0.25;
    NgoParams aff = s.ngo_defaults, ind = s.ngo_defaults;
    aff.name = "affiliated";
    ind.name = "independent";
    ind.affiliated = false;
    ind.implementer = "other";
    s.ngos = {aff, ind};
    Model m(s, 51);
    const auto a = test::engage(m, 0, 3), b = test::engage(m, 1, 3);
    auto& st = m.state_mut();
    st.ngo_state[0].reputation_penalty = 0.1;
    st.ngo_state[1].reputation_penalty = 0.1;
    for (auto id : {a, b}) st.rels[id].trust = 0.8, st.rels[id].trust_week = 5;
    shocks::phase_shocks(test::context_at(m, 4), st);  // not the downgrade week: only decay
    const double keep = 1.0 - s.trust.decay_rate;
    EXPECT_NEAR(st.ngo_state[0].reputation_penalty, 0.1 * keep, kTol);
    EXPECT_EQ(st.rels[a].trust, 0.8);
    shocks::phase_shocks(test::context_at(m, 5), st);
    // Affiliated: penalty decays, then compounds with the drop; its engagement loses 25%.
    EXPECT_NEAR(st.ngo_state[0].reputation_penalty, 1.0 - (1.0 - 0.1 * keep * keep) * 0.75, kTol);
    EXPECT_NEAR(st.rels[a].trust, 0.6, kTol);
    EXPECT_EQ(st.rels[a].shocks, 1u);
    // Independent: only the decay.
    EXPECT_NEAR(st.ngo_state[1].reputation_penalty, 0.1 * keep * keep, kTol);
    EXPECT_EQ(st.rels[b].trust, 0.8);
    EXPECT_EQ(st.rels[b].shocks, 0u);
    EXPECT_EQ(test::count_events(m, EventType::kTierDowngrade), 1u);
}

TEST(ShocksUnit, MediaShockLowersSensitiveSentimentWithFloorMinusOne) {
    Scenario s = test::quiet_scenario();
    s.shocks.media_shock_week = 0;
    s.shocks.media_shock_drop = 0.3;
    Model m(s, 52);
    auto& st = m.state_mut();
    for (std::uint32_t c = 0; c < st.co.sensitive.size(); ++c) st.co.sensitive[c] = c < 3;
    st.co.sentiment[0] = -0.9;  // -0.9 decays to -0.891, then -1.191 is floored at -1
    st.sentiment_changed(0);
    st.co.sentiment[1] = 0.5;  // 0.495 - 0.3
    st.sentiment_changed(1);
    st.co.sentiment[5] = 0.5;  // not sensitive: only the decay
    st.sentiment_changed(5);
    const auto hit = test::engage(m, 0, 2), spared = test::engage(m, 0, 4);
    st.rels[hit].trust = st.rels[spared].trust = 0.5;
    shocks::phase_shocks(m.context(), st);
    const double keep = 1.0 - s.trust.decay_rate;
    EXPECT_EQ(st.co.sentiment[0], -1.0);
    EXPECT_NEAR(st.co.sentiment[1], 0.5 * keep - 0.3, kTol);
    EXPECT_NEAR(st.co.sentiment[2], -0.3, kTol);
    EXPECT_NEAR(st.co.sentiment[5], 0.5 * keep, kTol);
    EXPECT_EQ(st.co.sentiment[6], 0.0);
    EXPECT_NEAR(st.rels[hit].trust, 0.35, kTol);
    EXPECT_EQ(st.rels[spared].trust, 0.5);
    shocks::lower_sentiment(st, 0, 0.5);  // already at the floor
    EXPECT_EQ(st.co.sentiment[0], -1.0);
}

TEST(ShocksUnit, Ws2StallFlagHoldsForItsWindowOnly) {
    Scenario s = test::quiet_scenario();
    s.shocks.ws2_stall_start_week = 10;
    s.shocks.ws2_stall_weeks = 5;
    Model m(s, 53);
    for (int w = 0; w < 20; ++w) {
        shocks::phase_shocks(test::context_at(m, w), m.state_mut());
        EXPECT_EQ(m.state().ws2_stalled, w >= 10 && w < 15) << "week " << w;
    }
}

/// Company c's connected companies in the network: association co-members (c included, as
/// the network lists them) and supply-chain partners (an MNC's suppliers, a supplier's buyers).
struct Connected {
    std::set<std::uint32_t> members, partners;
};
Connected connected(const Network& net, std::uint32_t c) {
    Connected k;
    if (const auto a = net.company_association[c]; a >= 0)
        for (auto i = net.members_of.offsets[a]; i < net.members_of.offsets[a + 1]; ++i)
            k.members.insert(net.members_of.targets[i]);
    if (net.is_mnc(c)) {
        for (auto i = net.suppliers_of.offsets[c]; i < net.suppliers_of.offsets[c + 1]; ++i)
            k.partners.insert(net.suppliers_of.targets[i]);
    } else {
        const auto sidx = c - net.mnc_count;
        for (auto i = net.buyers_of.offsets[sidx]; i < net.buyers_of.offsets[sidx + 1]; ++i)
            k.partners.insert(net.buyers_of.targets[i]);
    }
    return k;
}

/// An MNC in an association with suppliers, and a supplier in an association with buyers.
std::vector<std::uint32_t> scrutinised(const Network& net) {
    std::int32_t mnc = -1, sup = -1;
    for (std::uint32_t c = 0; c < net.company_count(); ++c) {
        if (net.company_association[c] < 0) continue;
        if (net.is_mnc(c) && mnc < 0 && net.suppliers_of.row_size(c) > 0)
            mnc = static_cast<std::int32_t>(c);
        if (!net.is_mnc(c) && sup < 0 && net.buyers_of.row_size(c - net.mnc_count) > 0)
            sup = static_cast<std::int32_t>(c);
    }
    if (mnc < 0 || sup < 0) return {};
    return {static_cast<std::uint32_t>(mnc), static_cast<std::uint32_t>(sup)};
}

TEST(ShocksUnit, ScrutinySpilloverHitsCoMembersAndChainPartnersNotTheCompany) {
    // Each company k != c that is a co-member or a chain partner of c (one of the two) loses
    // scrutiny_spillover of sentiment (floor -1); c itself and unconnected companies keep theirs.
    // Companies that are both are checked by the next test.
    Scenario s = test::quiet_scenario();
    s.trust.scrutiny_spillover = 0.05;
    Model m(s, 54);
    const auto& net = m.network();
    const auto cs = scrutinised(net);
    ASSERT_EQ(cs.size(), 2u);
    for (const auto c : cs) {
        SCOPED_TRACE(c);
        const Connected k = connected(net, c);
        ASSERT_GT(k.members.size(), 1u);
        ASSERT_FALSE(k.partners.empty());
        auto& st = m.state_mut();
        std::fill(st.co.sentiment.begin(), st.co.sentiment.end(), 0.0);
        const std::uint32_t floored = *k.partners.begin();
        st.co.sentiment[floored] = -0.98;  // floored at -1
        shocks::spill_scrutiny(m.context(), st, c);
        int one_tie = 0;
        for (std::uint32_t x = 0; x < net.company_count(); ++x) {
            const bool member = k.members.count(x) > 0, partner = k.partners.count(x) > 0;
            const double before = x == floored ? -0.98 : 0.0;
            const double after = st.co.sentiment[x];
            if (x == c || (!member && !partner)) {
                EXPECT_EQ(after, before) << "company " << x;
            } else if (member != partner) {
                EXPECT_NEAR(after, std::max(-1.0, before - 0.05), kTol) << "company " << x;
                ++one_tie;
            } else {
                EXPECT_LT(after, before) << "company " << x;  // hit; by how much: next test
            }
        }
        EXPECT_GT(one_tie, 1);
    }
}

TEST(ShocksUnit, ScrutinySpilloverHitsACompanyThatIsMemberAndPartnerOnce) {
    // docs/ODD.md 7.4: "every company k != c connected to c (fellow association members; an
    // MNC's suppliers or a supplier's buyers) gets s_k <- max(-1, s_k - scrutiny_spillover)",
    // i.e. once. spill_scrutiny used to hit a company that is both a co-member and a chain
    // partner twice (once per list); this test found it.
    Scenario s = test::quiet_scenario();
    s.trust.scrutiny_spillover = 0.05;
    s.ecosystem.association_membership_prob =
        1.0;  // every company a co-member: every partner is both
    Model m(s, 54);
    const auto& net = m.network();
    const auto cs = scrutinised(net);
    ASSERT_EQ(cs.size(), 2u);
    for (const auto c : cs) {
        const Connected k = connected(net, c);
        auto& st = m.state_mut();
        std::fill(st.co.sentiment.begin(), st.co.sentiment.end(), 0.0);
        shocks::spill_scrutiny(m.context(), st, c);
        int both = 0;
        for (const auto x : k.partners)
            if (k.members.count(x) && x != c) {
                EXPECT_NEAR(st.co.sentiment[x], -0.05, kTol) << "company " << x;
                ++both;
            }
        EXPECT_GT(both, 0);
    }
}

TEST(ShocksUnit, SisterSpilloversOnlyReachTheSameImplementer) {
    Scenario s = test::quiet_scenario();
    NgoParams a = s.ngo_defaults, b = s.ngo_defaults, c = s.ngo_defaults;
    a.name = "project_a";
    b.name = "project_b";
    c.name = "project_c";
    a.implementer = b.implementer = "implementer_x";
    c.implementer = "implementer_y";
    s.ngos = {a, b, c};
    Model m(s, 55);
    std::vector<std::uint32_t> ids;
    for (std::uint32_t n = 0; n < 3; ++n) ids.push_back(test::engage(m, n, 7));
    auto& st = m.state_mut();
    for (auto id : ids) st.rels[id].trust = 0.5;
    st.ngo_state[1].reputation_penalty = 0.2;
    shocks::queue_sister_spillover(st, 0, 0.1);
    shocks::queue_sister_spillover(st, 0, 0.1);  // two spillovers compound
    ASSERT_EQ(st.sister_spills.size(), 2u);
    shocks::phase_sister_spillovers(m.context(), st);
    EXPECT_TRUE(st.sister_spills.empty());
    EXPECT_EQ(st.ngo_state[0].reputation_penalty, 0.0);  // not the source itself
    EXPECT_NEAR(st.ngo_state[1].reputation_penalty, 1.0 - 0.8 * 0.9 * 0.9, kTol);
    EXPECT_EQ(st.ngo_state[2].reputation_penalty, 0.0);  // other implementer
    EXPECT_EQ(st.rels[ids[0]].trust, 0.5);
    EXPECT_NEAR(st.rels[ids[1]].trust, 0.5 * 0.9 * 0.9, kTol);
    EXPECT_EQ(st.rels[ids[2]].trust, 0.5);
}

}  // namespace
}  // namespace pse
