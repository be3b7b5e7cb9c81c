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
    s.outcomes.money_depth_floor = 1;   // coverage depth 1 whatever the money (tested separately)
    s.outcomes.reversion_per_year = 0;  // permanent improvement (tested separately)
    return s;
}

/// Partnership of NGO n with company c in `stage` with trust and coverage.
std::uint32_t partner(Model& m, std::uint32_t n, std::uint32_t c, Stage stage, double trust,
                      double coverage, bool access = false) {
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
    Scenario s = cascade_scenario();
    s.trust.access_alignment_slope = 0;  // one threshold for all (its alignment term: TrustUnit)
    Model m(s, 101);
    const auto& oc = s.outcomes;
    const double th = s.trust.access_threshold;
    const auto a1 = partner(m, 0, 1, Stage::kImplementation, th, 0.6);  // open at the threshold
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
    EXPECT_EQ(co.scrutiny_chain[6], 1);  // open to the scrutiny NGO as well
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
    EXPECT_NEAR(series(m, 0, Series::kVulnerabilityReduction),
                workers * s.outcomes.vulnerability_reduction, 1e-9 * workers);
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
    const double e =
        cascade::mechanism_effect(s.outcomes, cascade::mechanism_type(m.context(), 0, mnc)).effect;
    double workers = 0, vuln = 0;
    for (auto c : suppliers(m, mnc)) {
        EXPECT_EQ(st.co.improved[c], 0);
        EXPECT_EQ(st.co.improved_by[c], -1);
        // Each supplier has the highest coverage over its buyers; only this MNC has any. Half
        // coverage reaches half of the chain's workers.
        workers += st.co.workers[c];
        vuln += st.co.workers[c] * e * 0.5;
    }
    EXPECT_NEAR(series(m, 0, Series::kWorkersReached), 0.5 * workers, 1e-9 * workers);
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

TEST(CascadeUnit, ReachScalesWithCoverage) {
    // Analytic: reach = (chain workers) x coverage, for coverage 0.25, 0.5, 1.
    for (const double cov : {0.25, 0.5, 1.0}) {
        Model m(cascade_scenario(), 106);
        const std::uint32_t mnc = mnc_with_suppliers(m);
        partner(m, 0, mnc, Stage::kImplementation, 0.9, cov);
        auto& st = m.state_mut();
        cascade::phase_chain_flags(m.context(), st);
        cascade::phase_cascade(m.context(), st);
        double workers = 0;
        for (auto c : suppliers(m, mnc)) workers += st.co.workers[c];
        EXPECT_NEAR(series(m, 0, Series::kWorkersReached), cov * workers, 1e-9 * workers) << cov;
    }
}

TEST(CascadeUnit, MoneyRaisesCoverageDepthWithDiminishingReturns) {
    Scenario s = cascade_scenario();
    s.outcomes.money_depth_floor = 0.4;
    s.outcomes.money_half_usd = 50000;
    const auto& oc = s.outcomes;
    EXPECT_NEAR(cascade::money_depth(oc, 0), 0.4, kTol);
    EXPECT_NEAR(cascade::money_depth(oc, 50000), 0.7, kTol);  // half of the remaining 0.6
    double prev = cascade::money_depth(oc, 0), prev_gain = 1;
    for (double r = 25000; r <= 400000; r += 25000) {
        const double d = cascade::money_depth(oc, r);
        EXPECT_GT(d, prev);
        EXPECT_LT(d - prev, prev_gain);  // concave: each further 25,000 USD buys less
        prev_gain = d - prev;
        prev = d;
    }
    EXPECT_LT(prev, 1.0);
    // In the chain flags: coverage = r.coverage x depth(resources).
    Model m(s, 107);
    const auto id = partner(m, 0, 1, Stage::kImplementation, 0.9, 0.8);
    m.state_mut().rels[id].resources_usd = 50000;
    cascade::phase_chain_flags(m.context(), m.state_mut());
    EXPECT_NEAR(m.state().co.mech_coverage[1], 0.8 * 0.7, kTol);
}

TEST(CascadeUnit, MechanismTypesDifferAndArePureFunctionsOfThePair) {
    Scenario s = cascade_scenario();
    const auto& oc = s.outcomes;
    using cascade::MechType;
    const MechType all[] = {MechType::kCode, MechType::kVoice, MechType::kRecruitment,
                            MechType::kAudit};
    for (auto a : all)
        for (auto b : all)
            if (a != b) {
                const auto ea = cascade::mechanism_effect(oc, a),
                           eb = cascade::mechanism_effect(oc, b);
                EXPECT_TRUE(ea.effect != eb.effect || ea.monitoring != eb.monitoring);
            }
    // A code of conduct monitors least (002: codes failed without monitoring); audit most.
    EXPECT_LT(cascade::mechanism_effect(oc, MechType::kCode).monitoring,
              cascade::mechanism_effect(oc, MechType::kAudit).monitoring);
    Model m(s, 108);
    int counts[4] = {};
    for (std::uint32_t c = 0; c < 400; ++c) {
        const auto t = cascade::mechanism_type(m.context(), 0, c);
        EXPECT_EQ(t, cascade::mechanism_type(m.context(), 0, c));  // same pair, same type
        counts[static_cast<int>(t)] += 1;
    }
    const double total = oc.mech_weight_code + oc.mech_weight_voice + oc.mech_weight_recruitment +
                         oc.mech_weight_audit;
    const double w[] = {oc.mech_weight_code, oc.mech_weight_voice, oc.mech_weight_recruitment,
                        oc.mech_weight_audit};
    for (int t = 0; t < 4; ++t) EXPECT_NEAR(counts[t] / 400.0, w[t] / total, 0.08) << t;  // > 3 sd
    // Only one type weighted: always that type.
    Scenario only = s;
    only.outcomes.mech_weight_code = only.outcomes.mech_weight_voice =
        only.outcomes.mech_weight_recruitment = 0;
    Model m2(only, 108);
    for (std::uint32_t c = 0; c < 50; ++c)
        EXPECT_EQ(cascade::mechanism_type(m2.context(), 0, c), MechType::kAudit);
}

TEST(CascadeUnit, ReversionOnlyWithoutPressure) {
    // Improved suppliers of an MNC; a huge reversion rate. With a fully monitoring mechanism at
    // full coverage (pressure 1) none reverts; without any partnership all revert.
    Scenario s = cascade_scenario();
    s.outcomes.reversion_per_year = 52 * kHuge;
    s.outcomes.mech_weight_code = s.outcomes.mech_weight_voice =
        s.outcomes.mech_weight_recruitment = 0;
    s.outcomes.mech_monitoring_audit = 1.0;
    for (const bool pressure : {true, false}) {
        Model m(s, 109);
        const std::uint32_t mnc = mnc_with_suppliers(m);
        if (pressure) partner(m, 0, mnc, Stage::kImplementation, 0.9, 1.0);
        auto& st = m.state_mut();
        const auto sups = suppliers(m, mnc);
        for (auto c : sups) {
            st.co.improved[c] = 1;
            st.co.practice_before[c] = 0.3;
            st.co.labour_practice[c] = 0.8;
            st.cascade.touched_suppliers.push_back(c - m.network().mnc_count);
            ++st.counters.suppliers_improved;
        }
        cascade::phase_chain_flags(m.context(), st);
        cascade::phase_cascade(m.context(), st);
        for (auto c : sups) {
            EXPECT_EQ(st.co.improved[c], pressure ? 1 : 0) << c;
            EXPECT_EQ(st.co.labour_practice[c], pressure ? 0.8 : 0.3) << c;
        }
        EXPECT_EQ(st.counters.suppliers_reverted,
                  pressure ? 0.0 : static_cast<double>(sups.size()));
        EXPECT_EQ(series(m, 0, Series::kSuppliersImproved),
                  pressure ? static_cast<double>(sups.size()) : 0.0);
    }
}

TEST(CascadeUnit, CounterfactualUsesTheSameDrawsAndIgnoresTheProject) {
    // Background hazard only: without any partnership both worlds take identical steps week
    // after week; with an open buyer chain (huge hazard) the project world has at least the
    // counterfactual's improvements on every supplier (common random numbers).
    Scenario s = cascade_scenario();
    s.outcomes.cascade_base = 0.05;
    s.outcomes.reversion_per_year = 2.0;
    s.outcomes.cascade_peer_bonus = 0.05;
    s.outcomes.cascade_threshold = 0.2;
    Model m(s, 110);
    auto& st = m.state_mut();
    const auto& net = m.network();
    for (int week = 0; week < 40; ++week) {
        StepContext ctx = m.context();
        ctx.week = week;
        cascade::phase_chain_flags(ctx, st);
        cascade::phase_cascade(ctx, st);
        for (std::uint32_t c = net.mnc_count; c < net.company_count(); ++c)
            ASSERT_EQ(st.co.improved[c], st.co.cf_improved[c])
                << "week " << week << " supplier " << c;
        EXPECT_EQ(series(m, week, Series::kWorkersReached),
                  series(m, week, Series::kWorkersReachedCounterfactual));
        EXPECT_EQ(series(m, week, Series::kSuppliersImproved),
                  series(m, week, Series::kSuppliersImprovedCounterfactual));
    }
    EXPECT_GT(st.counters.suppliers_improved, 0u);  // the background acts in both worlds
    EXPECT_GT(st.counters.suppliers_reverted, 0.0);
    // With the project: an open chain with huge pressure; the counterfactual is unchanged.
    s.outcomes.cascade_per_buyer = kHuge;
    s.outcomes.reversion_per_year = 0;
    Model a(s, 111), b(s, 111);
    const std::uint32_t mnc = mnc_with_suppliers(a);
    partner(a, 0, mnc, Stage::kImplementation, 0.9, 0.0);
    cascade::phase_chain_flags(a.context(), a.state_mut());
    cascade::phase_cascade(a.context(), a.state_mut());
    cascade::phase_chain_flags(b.context(), b.state_mut());
    cascade::phase_cascade(b.context(), b.state_mut());
    for (std::uint32_t c = net.mnc_count; c < net.company_count(); ++c) {
        EXPECT_EQ(a.state().co.cf_improved[c], b.state().co.cf_improved[c]);
        EXPECT_GE(a.state().co.improved[c], a.state().co.cf_improved[c]);
    }
    EXPECT_EQ(series(a, 0, Series::kWorkersReachedCounterfactual),
              series(b, 0, Series::kWorkersReachedCounterfactual));
    EXPECT_GT(series(a, 0, Series::kWorkersReached),
              series(a, 0, Series::kWorkersReachedCounterfactual));
}

}  // namespace
}  // namespace pse
