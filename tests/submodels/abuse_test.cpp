// Tests of submodel 7.8, abuse discovery (sim/pse/submodels/abuse.cpp), each part called alone:
// the decision needs supply-chain access to an MNC, and the commit under report versus
// non-disclosure with nda_leak_prob 0 and 1 (remediation and its credit, queued sister
// spillover, compounding of the reputation penalty).
//
// Tolerance: closed forms 1e-12 absolute.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>

#include "pse/submodels/abuse.h"
#include "support/submodels.h"

namespace pse {
namespace {

constexpr double kTol = 1e-12;

/// An MNC with at least two suppliers.
std::uint32_t mnc_with_suppliers(const Model& m) {
    std::uint32_t c = 0;
    while (c < m.network().mnc_count && m.network().suppliers_of.row_size(c) < 2) ++c;
    return c;
}

TEST(AbuseUnit, DecideNeedsAccessToAnMncChain) {
    Scenario s = test::quiet_scenario();
    s.outcomes.abuse_per_year =
        52e6;  // certain whenever the inspected supplier's practice is below 1
    Model m(s, 81);
    const auto& net = m.network();
    const std::uint32_t mnc = mnc_with_suppliers(m);
    ASSERT_LT(mnc, net.mnc_count);
    std::set<std::uint32_t> suppliers(
        net.suppliers_of.targets.begin() + net.suppliers_of.offsets[mnc],
        net.suppliers_of.targets.begin() + net.suppliers_of.offsets[mnc + 1]);
    Relationship r;
    r.company = mnc;
    r.stage = Stage::kImplementation;
    std::set<std::uint32_t> inspected;
    for (int w = 0; w < 60; ++w) {
        const StepContext ctx = test::context_at(m, w);
        const Rng rng = ctx.relationship_rng(mnc);
        Decision d;
        r.access = false;
        abuse::decide(ctx, m.state(), r, rng, d);
        EXPECT_FALSE(d.abuse) << "no access";
        r.access = true;
        abuse::decide(ctx, m.state(), r, rng, d);
        ASSERT_TRUE(d.abuse);
        EXPECT_EQ(suppliers.count(d.abuse_supplier), 1u) << "the supplier is in the MNC's chain";
        inspected.insert(d.abuse_supplier);
    }
    EXPECT_GT(inspected.size(), 1u);  // the inspected supplier is drawn, not fixed
    // A supplier partnership with access has no chain below it.
    Relationship sr = r;
    sr.company = net.mnc_count + 1;
    Decision d;
    abuse::decide(m.context(), m.state(), sr, m.context().relationship_rng(sr.company), d);
    EXPECT_FALSE(d.abuse);
    // Perfect labour practice everywhere: nothing to find.
    for (auto sup : suppliers) m.state_mut().co.labour_practice[sup] = 1.0;
    for (int w = 0; w < 60; ++w) {
        const StepContext ctx = test::context_at(m, w);
        Decision e;
        abuse::decide(ctx, m.state(), r, ctx.relationship_rng(mnc), e);
        EXPECT_FALSE(e.abuse);
    }
}

/// Model with NGO 0 implementing with MNC `mnc` (trust 0.7, access) and a decision naming the
/// MNC's first supplier.
struct AbuseFixture {
    Model m;
    std::uint32_t id = 0, mnc = 0, sup = 0;
    Decision d;
    explicit AbuseFixture(const Scenario& s) : m(s, 82) {
        mnc = mnc_with_suppliers(m);
        sup = m.network().suppliers_of.targets[m.network().suppliers_of.offsets[mnc]];
        id = test::engage(m, 0, mnc);
        auto& r = m.state_mut().rels[id];
        r.stage = Stage::kImplementation;
        r.trust = 0.7;
        r.access = true;
        d.abuse = true;
        d.abuse_supplier = sup;
    }
};

TEST(AbuseUnit, ReportCostsTrustAndSetsRemediationCreditedToThePartnership) {
    Scenario s = test::quiet_scenario();
    s.outcomes.report_trust_drop = 0.3;
    s.outcomes.report_exit_prob = 0;  // the partnership stays (the exit is tested below)
    s.trust.sister_spillover = 0.08;
    AbuseFixture f(s);
    auto& st = f.m.state_mut();
    st.ngo_state[0].reputation_penalty = 0.2;
    EXPECT_FALSE(abuse::commit(f.m.context(), st, f.id, f.d));
    EXPECT_NEAR(st.rels[f.id].trust, 0.7 * 0.7, kTol);
    EXPECT_EQ(st.co.remediation[f.sup], 1);
    EXPECT_EQ(st.co.remediation_by[f.sup], static_cast<std::int32_t>(f.id));
    ASSERT_EQ(st.cascade.touched_suppliers.size(), 1u);
    EXPECT_EQ(st.cascade.touched_suppliers[0], f.sup - f.m.network().mnc_count);
    EXPECT_TRUE(
        st.sister_spills.empty());  // reporting protects the reputation: nothing spills to sisters
    EXPECT_EQ(st.ngo_state[0].reputation_penalty,
              0.2);  // reporting does not hurt the NGO's own reputation
    EXPECT_EQ(st.counters.abuse, 1.0);
    EXPECT_EQ(test::count_events(f.m, EventType::kAbuseFound), 1u);
    EXPECT_EQ(test::count_events(f.m, EventType::kAbuseReported), 1u);
    // A second report at the same supplier by another partnership keeps the first credit.
    const auto other = test::engage(f.m, 0, f.mnc + 1);
    abuse::commit(f.m.context(), st, other, f.d);
    EXPECT_EQ(st.co.remediation_by[f.sup], static_cast<std::int32_t>(f.id));
    EXPECT_EQ(st.cascade.touched_suppliers.size(), 1u);
    EXPECT_EQ(st.counters.abuse, 2.0);
}

TEST(AbuseUnit, NonDisclosureWithoutLeakChangesNothingButTheCount) {
    Scenario s = test::quiet_scenario();
    s.ngo_defaults.abuse_policy = AbusePolicy::kNonDisclosure;
    s.outcomes.nda_leak_prob = 0;
    AbuseFixture f(s);
    auto& st = f.m.state_mut();
    st.ngo_state[0].reputation_penalty = 0.2;
    for (int k = 0; k < 20; ++k) abuse::commit(test::context_at(f.m, k), st, f.id, f.d);
    EXPECT_EQ(st.rels[f.id].trust, 0.7);
    EXPECT_EQ(st.co.remediation[f.sup], 0);
    EXPECT_EQ(st.co.remediation_by[f.sup], -1);
    EXPECT_TRUE(st.cascade.touched_suppliers.empty());
    EXPECT_TRUE(st.sister_spills.empty());
    EXPECT_EQ(st.ngo_state[0].reputation_penalty, 0.2);
    EXPECT_EQ(st.counters.abuse, 20.0);
    EXPECT_EQ(test::count_events(f.m, EventType::kNdaLeak), 0u);
}

TEST(AbuseUnit, NonDisclosureLeakCompoundsTheReputationPenalty) {
    Scenario s = test::quiet_scenario();
    s.ngo_defaults.abuse_policy = AbusePolicy::kNonDisclosure;
    s.outcomes.nda_leak_prob = 1;
    s.outcomes.nda_leak_drop = 0.15;
    s.trust.sister_spillover = 0.08;
    AbuseFixture f(s);
    auto& st = f.m.state_mut();
    st.ngo_state[0].reputation_penalty = 0.2;
    EXPECT_FALSE(
        abuse::commit(f.m.context(), st, f.id, f.d));  // non-disclosure keeps the partnership
    EXPECT_NEAR(st.ngo_state[0].reputation_penalty, 1.0 - 0.8 * 0.85, kTol);
    abuse::commit(f.m.context(), st, f.id, f.d);
    EXPECT_NEAR(st.ngo_state[0].reputation_penalty, 1.0 - 0.8 * 0.85 * 0.85, kTol);
    ASSERT_EQ(st.sister_spills.size(), 2u);  // sister NGOs' reputation is hit (applied by shocks)
    EXPECT_EQ(st.sister_spills[0].first, 0u);
    EXPECT_EQ(st.sister_spills[0].second, 0.08);
    EXPECT_EQ(test::count_events(f.m, EventType::kNdaLeak), 2u);
    EXPECT_EQ(st.rels[f.id].trust, 0.7);     // the partner's trust is not hit directly
    EXPECT_EQ(st.co.remediation[f.sup], 0);  // nothing reported: no remediation pressure
}

TEST(AbuseUnit, ReportExitProbabilityKnownAnswerAndDecreasingInTrust) {
    Scenario s = test::quiet_scenario();
    s.outcomes.report_exit_prob = 0.3;
    Model m(s, 83);
    const StepContext ctx = m.context();
    EXPECT_NEAR(abuse::report_exit_prob(ctx, 0.49), 0.3 * 0.51, kTol);
    EXPECT_NEAR(abuse::report_exit_prob(ctx, 1.0), 0.0, kTol);
    EXPECT_NEAR(abuse::report_exit_prob(ctx, 0.0), 0.3, kTol);
    for (double T = 0; T < 1.0; T += 0.1)
        EXPECT_GE(abuse::report_exit_prob(ctx, T), abuse::report_exit_prob(ctx, T + 0.1));
}

TEST(AbuseUnit, ReportWithCertainExitEndsThePartnershipInTheCommitPhase) {
    // report_exit_prob 1 and trust 0 after the report: the company leaves with certainty; the
    // commit phase dissolves the partnership with cause abuse_report. Non-disclosure keeps it.
    for (AbusePolicy policy : {AbusePolicy::kReport, AbusePolicy::kNonDisclosure}) {
        Scenario s = test::quiet_scenario();
        s.ngo_defaults.abuse_policy = policy;
        s.outcomes.report_exit_prob = 1;
        s.outcomes.report_trust_drop = 1;
        s.outcomes.nda_leak_prob = 0;
        AbuseFixture f(s);
        auto& st = f.m.state_mut();
        const bool left = abuse::commit(f.m.context(), st, f.id, f.d);
        EXPECT_EQ(left, policy == AbusePolicy::kReport);
        EXPECT_EQ(st.co.remediation[f.sup],
                  policy == AbusePolicy::kReport ? 1 : 0);  // report brings remediation
    }
}

}  // namespace
}  // namespace pse
