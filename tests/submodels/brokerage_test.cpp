// Tests of submodel 7.7, brokerage and association diffusion (sim/pse/submodels/brokerage.cpp),
// each part called alone: the decision (never when brokered, never at zero effort, the hazard
// 1 - exp(-f·rate/52) over many weeks), the commit, and diffusion to association co-members.
//
// Tolerances: closed forms 1e-12 absolute; the frequency checks use 400 fixed-seed weekly draws
// and allow 0.075 (3 binomial standard deviations at p = 0.5).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "pse/submodels/brokerage.h"
#include "support/submodels.h"

namespace pse {
namespace {

constexpr double kTol = 1e-12;

/// Share of 400 weeks in which brokerage::decide says yes for relationship r at fulfilment f.
double brokerage_share(const Model& m, const Relationship& r, double f) {
    int yes = 0;
    for (int w = 0; w < 400; ++w) {
        const StepContext ctx = test::context_at(m, w);
        yes += brokerage::decide(ctx, r, ctx.relationship_rng(r.company), f);
    }
    return yes / 400.0;
}

TEST(BrokerageUnit, DecideFollowsTheEffortScaledHazard) {
    Scenario s = test::quiet_scenario();
    s.pipeline.brokerage_per_year = 52.0 * std::log(2.0);  // f = 1: weekly probability 1/2
    Model m(s, 71);
    Relationship r;
    r.ngo = 0;
    r.company = 5;
    r.stage = Stage::kCoCreation;
    EXPECT_NEAR(brokerage_share(m, r, 1.0), 0.5, 0.075);
    EXPECT_NEAR(brokerage_share(m, r, 0.5), 1.0 - std::pow(2.0, -0.5), 0.075);
    EXPECT_EQ(brokerage_share(m, r, 0.0), 0.0);
    r.brokered = true;  // once brokered, never again
    EXPECT_EQ(brokerage_share(m, r, 1.0), 0.0);
}

TEST(BrokerageUnit, NeverWithoutGovernmentAgencies) {
    Scenario s = test::quiet_scenario();
    s.ecosystem.government_count = 0;
    s.pipeline.brokerage_per_year = 52.0 * 50.0;  // certain if there were agencies
    Model m(s, 72);
    ASSERT_EQ(m.network().government_count, 0u);
    Relationship r;
    r.company = 5;
    EXPECT_EQ(brokerage_share(m, r, 1.0), 0.0);
}

TEST(BrokerageUnit, CommitLinksCountsAndRaisesTrust) {
    Scenario s = test::quiet_scenario();
    s.trust.brokerage_bonus = 0.1;
    Model m(s, 73);
    auto& st = m.state_mut();
    const auto id = test::engage(m, 0, 6);
    Relationship& r = st.rels[id];
    r.stage = Stage::kImplementation;
    r.trust = 0.6;
    brokerage::commit(m.context(), st, r);
    EXPECT_TRUE(r.brokered);
    EXPECT_NEAR(r.trust, 0.6 + 0.1 * 0.4, kTol);
    EXPECT_EQ(st.counters.actions_medium, 1.0);
    EXPECT_EQ(st.counters.medium_by_stream[static_cast<int>(Stream::kPrevention)], 1.0);
    EXPECT_EQ(st.counters.medium_by_stream[static_cast<int>(Stream::kSurvivorEmployment)], 0.0);
    EXPECT_EQ(test::count_events(m, EventType::kBrokerage), 1u);
}

TEST(BrokerageUnit, AgreementDiffusesToAssociationCoMembersOnly) {
    Scenario s = test::quiet_scenario();
    s.trust.association_bonus = 0.03;
    Model m(s, 74);
    const auto& net = m.network();
    std::int32_t c = -1, outsider = -1;
    for (std::uint32_t k = 0; k < net.company_count(); ++k) {
        if (net.company_association[k] >= 0 && c < 0) c = static_cast<std::int32_t>(k);
        if (net.company_association[k] < 0 && outsider < 0) outsider = static_cast<std::int32_t>(k);
    }
    ASSERT_GE(c, 0);
    ASSERT_GE(outsider, 0);
    const auto a = net.company_association[static_cast<std::uint32_t>(c)];
    std::vector<std::uint32_t> members;
    for (auto k = net.members_of.offsets[a]; k < net.members_of.offsets[a + 1]; ++k)
        if (net.members_of.targets[k] != static_cast<std::uint32_t>(c))
            members.push_back(net.members_of.targets[k]);
    ASSERT_GE(members.size(), 2u);
    auto& st = m.state_mut();
    st.co.sentiment[members[0]] = 0.99;  // capped at 1
    st.co.sentiment[members[1]] = -0.5;
    const auto before = st.co.sentiment;
    brokerage::diffuse_agreement(m.context(), st, static_cast<std::uint32_t>(c));
    for (std::uint32_t k = 0; k < net.company_count(); ++k) {
        const bool member = std::find(members.begin(), members.end(), k) != members.end();
        const double want = member ? std::min(1.0, before[k] + 0.03) : before[k];
        EXPECT_NEAR(st.co.sentiment[k], want, kTol) << "company " << k;
        if (member) {
            EXPECT_TRUE(st.sentiment_on[k]);  // the weekly decay will visit it
        }
    }
    EXPECT_EQ(st.co.sentiment[members[0]], 1.0);
    // A company in no association: nothing changes.
    const auto before2 = st.co.sentiment;
    brokerage::diffuse_agreement(m.context(), st, static_cast<std::uint32_t>(outsider));
    EXPECT_EQ(st.co.sentiment, before2);
}

}  // namespace
}  // namespace pse
