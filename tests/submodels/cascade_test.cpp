// Tests of submodel 7.10, the supply-chain cascade (sim/pse/submodels/cascade.cpp), each phase
// called alone on hand-set partnerships: chain flags (open iff trust >= access_threshold,
// coverage with closed_chain_reach and sustained_factor, credit to mech_source / open_source),
// supplier improvement and its credit, workers reached in the same week, scrutiny hiding, peer
// pressure at the threshold and remediation credit.
//
// Tolerance: closed forms 1e-9 relative for sums of workers, 1e-12 absolute otherwise. A "huge"
// hazard (1e3 per week) improves with probability 1 - exp(-1000) = 1 in double.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "pse/submodels/cascade.h"
#include "support/submodels.h"

namespace pse {
namespace {

constexpr double kTol = 1e-12;
constexpr double kHuge = 1e3;

double series(const Model& m, int week, Series k) {
    return m.output().series[static_cast<std::size_t>(week) * kSeriesCount + static_cast<int>(k)];
}

/// Two NGOs (co-creation, scrutiny); no spontaneous cascade.
Scenario cascade_scenario() {
    Scenario s = test::quiet_scenario();
    NgoParams co = s.ngo_defaults, sc = s.ngo_defaults;
    co.name = "co_creation";
    sc.name = "scrutiny";
    sc.approach = Approach::kScrutiny;
    sc.implementer = "other";
    s.ngos = {co, sc};
    s.outcomes.cascade_base = 0;
    s.outcomes.cascade_per_buyer = 0;
    s.outcomes.cascade_peer_bonus = 0;
    s.outcomes.report_remediation = 0;
    return s;
}

/// Partnership of NGO n with company c in `stage` with trust and coverage.
std::uint32_t partner(Model& m, std::uint32_t n, std::uint32_t c, Stage stage, double trust, double coverage,
                      bool access = false) {
    const auto id = test::engage(m, n, c);
    auto& r = m.state_mut().rels[id];
    r.stage = stage;
    r.trust = trust;
    r.coverage = coverage;
    r.access = access;
    return id;
}

/// Suppliers of MNC m.
std::vector<std::uint32_t> suppliers(const Model& m, std::uint32_t mnc) {
    const auto& s = m.network().suppliers_of;
    return {s.targets.begin() + s.offsets[mnc], s.targets.begin() + s.offsets[mnc + 1]};
}

TEST(CascadeUnit, ChainFlagsOpenCoverageAndCredit) {
    const Scenario s = cascade_scenario();
    Model m(s, 101);
    const auto& oc = s.outcomes;
    const double th = s.trust.access_threshold;
    const auto a1 = partner(m, 0, 1, Stage::kImplementation, th, 0.6);         // open at the threshold
    const auto a2 = partner(m, 0, 2, Stage::kImplementation, th - 1e-9, 0.6);  // closed
    const auto a3 = partner(m, 0, 3, Stage::kSustained, 0.1, 0.5, true);       // handed over open
    const auto a4 = partner(m, 0, 4, Stage::kSustained, 0.9, 0.5, false);      // handed over closed
    partner(m, 0, 5, Stage::kCoCreation, 0.9, 0.5);                            // not implementing
    const auto a6 = partner(m, 0, 6, Stage::kImplementation, 0.7, 0.3);        // tie with b6
    const auto b6 = partner(m, 1, 6, Stage::kImplementation, 0.7, 0.3);
    const auto a7 = partner(m, 0, 7, Stage::kImplementation, 0.5, 0.9);  // closed: 0.09
    const auto b7 = partner(m, 1, 7, Stage::kImplementation, 0.6, 0.5);  // open: 0.5
    auto& st = m.state_mut();
    cascade::phase_chain_flags(m.context(), st);
    const auto& co = st.co;
    auto id = [](std::uint32_t x) { return static_cast<std::int32_t>(x); };
    EXPECT_NEAR(co.mech_coverage[1], 0.6, kTol);
    EXPECT_EQ(co.open_chain[1], 1);
    EXPECT_EQ(co.mech_source[1], id(a1));
    EXPECT_EQ(co.open_source[1], id(a1));
    EXPECT_NEAR(co.mech_coverage[2], 0.6 * oc.closed_chain_reach, kTol);
    EXPECT_EQ(co.open_chain[2], 0);
    EXPECT_EQ(co.mech_source[2], id(a2));
    EXPECT_EQ(co.open_source[2], -1);
    EXPECT_NEAR(co.mech_coverage[3], 0.5 * oc.sustained_factor, kTol);
    EXPECT_EQ(co.open_chain[3], 1);
    EXPECT_EQ(co.open_source[3], id(a3));
    EXPECT_NEAR(co.mech_coverage[4], 0.5 * oc.sustained_factor * oc.closed_chain_reach, kTol);
    EXPECT_EQ(co.open_chain[4], 0);
    EXPECT_EQ(co.mech_source[4], id(a4));
    EXPECT_EQ(co.mech_coverage[5], 0.0);
    EXPECT_EQ(co.mech_source[5], -1);
    EXPECT_EQ(co.mech_source[6], id(a6));  // equal coverage: the first partnership is credited
    EXPECT_EQ(co.open_source[6], id(a6));
    EXPECT_EQ(co.scrutiny_chain[6], 1);    // open to the scrutiny NGO as well
    EXPECT_EQ(co.scrutiny_chain[1], 0);
    EXPECT_NEAR(co.mech_coverage[7], 0.5, kTol);
    EXPECT_EQ(co.mech_source[7], id(b7));
    EXPECT_EQ(co.open_source[7], id(b7));
    (void)b6;
    (void)a7;
    // Next week, with partnership a1 back in co-creation, company 1's flags are reset.
    st.rels[a1].stage = Stage::kCoCreation;
    cascade::phase_chain_flags(m.context(), st);
    EXPECT_EQ(co.mech_coverage[1], 0.0);
    EXPECT_EQ(co.open_chain[1], 0);
    EXPECT_EQ(co.mech_source[1], -1);
    EXPECT_EQ(co.open_source[1], -1);
}

/// An MNC with at least two suppliers.
std::uint32_t mnc_with_suppliers(const Model& m) {
    std::uint32_t c = 0;
    while (m.network().suppliers_of.row_size(c) < 2) ++c;
    return c;
}

TEST(CascadeUnit, OpenBuyerPressureImprovesSuppliersWhoseWorkersCountTheSameWeek) {
    Scenario s = cascade_scenario();
    s.outcomes.cascade_per_buyer = kHuge;
    Model m(s, 102);
    const std::uint32_t mnc = mnc_with_suppliers(m);
    // Open chain, zero coverage: the suppliers' workers count only because they improve.
    const auto id = partner(m, 0, mnc, Stage::kImplementation, 0.9, 0.0);
    auto& st = m.state_mut();
    const auto sups = suppliers(m, mnc);
    for (auto c : sups) st.co.labour_practice[c] = 0.1;
    cascade::phase_chain_flags(m.context(), st);
    cascade::phase_cascade(m.context(), st);
    double workers = 0;
    for (auto c : sups) {
        EXPECT_EQ(st.co.improved[c], 1) << "supplier " << c;
        EXPECT_EQ(st.co.improved_by[c], static_cast<std::int32_t>(id));
        EXPECT_EQ(st.co.improved_week[c], 0);
        EXPECT_EQ(st.co.labour_practice[c], 0.8);
        EXPECT_GE(st.co.sentiment[c], s.trust.buyer_endorsement);
        workers += st.co.workers[c];
    }
    ASSERT_GT(workers, 0.0);
    EXPECT_NEAR(series(m, 0, Series::kWorkersReached), workers, 1e-9 * workers);
    EXPECT_NEAR(series(m, 0, Series::kVulnerabilityReduction), workers * s.outcomes.vulnerability_reduction,
                1e-9 * workers);
    EXPECT_EQ(series(m, 0, Series::kSuppliersImproved), static_cast<double>(sups.size()));
    EXPECT_EQ(st.counters.suppliers_improved, sups.size());
    EXPECT_EQ(st.co.improved_share[mnc], 1.0);
    EXPECT_EQ(test::count_events(m, EventType::kSupplierImproved), sups.size());
}

TEST(CascadeUnit, CoverageWithoutPressureReachesWorkersAndImprovesNone) {
    Scenario s = cascade_scenario();
    Model m(s, 103);
    const std::uint32_t mnc = mnc_with_suppliers(m);
    partner(m, 0, mnc, Stage::kImplementation, 0.9, 0.5);
    auto& st = m.state_mut();
    cascade::phase_chain_flags(m.context(), st);
    cascade::phase_cascade(m.context(), st);
    const double v = s.outcomes.vulnerability_reduction;
    double workers = 0, vuln = 0;
    for (auto c : suppliers(m, mnc)) {
        EXPECT_EQ(st.co.improved[c], 0);
        EXPECT_EQ(st.co.improved_by[c], -1);
        // Each supplier has the highest coverage over its buyers; only this MNC has any.
        workers += st.co.workers[c];
        vuln += st.co.workers[c] * v * 0.5;
    }
    EXPECT_NEAR(series(m, 0, Series::kWorkersReached), workers, 1e-9 * workers);
    EXPECT_NEAR(series(m, 0, Series::kVulnerabilityReduction), vuln, 1e-9 * workers);
    EXPECT_EQ(series(m, 0, Series::kSuppliersImproved), 0.0);
}

TEST(CascadeUnit, FullScrutinyHidingStopsImprovementUnderAScrutinyChain) {
    Scenario s = cascade_scenario();
    s.outcomes.cascade_per_buyer = kHuge;
    s.outcomes.scrutiny_hiding = 1.0;
    Model m(s, 104);
    const std::uint32_t mnc = mnc_with_suppliers(m);
    partner(m, 1, mnc, Stage::kImplementation, 0.9, 0.0);  // the scrutiny NGO
    auto& st = m.state_mut();
    cascade::phase_chain_flags(m.context(), st);
    ASSERT_EQ(st.co.scrutiny_chain[mnc], 1);
    cascade::phase_cascade(m.context(), st);
    for (auto c : suppliers(m, mnc)) EXPECT_EQ(st.co.improved[c], 0) << "supplier " << c;
    EXPECT_EQ(series(m, 0, Series::kWorkersReached), 0.0);  // no coverage, no improvement
}

TEST(CascadeUnit, PeerPressureAtTheThresholdAndRemediationCredit) {
    // One MNC with improved share 0.5 (every other share 0): a supplier's mean buyer share is
    // 0.5 / (its buyer count), at the threshold 0.5 only for suppliers with that single buyer,
    // which improve by peer pressure (credited to no partnership). A supplier elsewhere under
    // remediation pressure from report 42 improves and is credited to it.
    Scenario s = cascade_scenario();
    s.outcomes.cascade_peer_bonus = kHuge;
    s.outcomes.cascade_threshold = 0.5;
    s.outcomes.report_remediation = kHuge;
    Model m(s, 105);
    const auto& net = m.network();
    const std::uint32_t mnc = mnc_with_suppliers(m);
    auto& st = m.state_mut();
    st.co.improved_share[mnc] = 0.5;
    const auto sups = suppliers(m, mnc);
    std::uint32_t rem = net.mnc_count;
    while (std::find(sups.begin(), sups.end(), rem) != sups.end()) ++rem;
    st.co.remediation[rem] = 1;
    st.co.remediation_by[rem] = 42;
    st.cascade.touched_suppliers.push_back(rem - net.mnc_count);
    cascade::phase_chain_flags(m.context(), st);
    cascade::phase_cascade(m.context(), st);
    int single = 0, multi = 0;
    for (auto c : sups) {
        const bool one_buyer = net.buyers_of.row_size(c - net.mnc_count) == 1;
        EXPECT_EQ(st.co.improved[c], one_buyer ? 1 : 0) << "supplier " << c;
        if (one_buyer) {
            EXPECT_EQ(st.co.improved_by[c], -1);
        }
        (one_buyer ? single : multi) += 1;
    }
    EXPECT_GT(single, 0);  // both cases occur (seed 105)
    EXPECT_GT(multi, 0);
    EXPECT_EQ(st.co.improved[rem], 1);
    EXPECT_EQ(st.co.improved_by[rem], 42);
}

}  // namespace
}  // namespace pse
