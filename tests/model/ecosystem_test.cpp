// Science tests of the ecosystem mechanisms: the buyer-to-supplier cascade (Watts 2002; Plambeck
// & Taylor 2016), scrutiny hiding, survivor employment (WS2; 003 Overview and Learning 5), the
// abuse-discovery dilemma (report vs non-disclosure), brokerage and sister-project spillover.
//
// Statistical checks use fixed seeds; each states its expected value and margin.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "support/fixtures.h"

namespace pse {
namespace {

Scenario default_scenario() {
    return load_scenario(test::source_dir() / "scenarios" / "default.toml").scenario;
}

double summary(const RunOutput& o, Summary k) {
    return o.summary[static_cast<int>(k)];
}
double series(const RunOutput& o, int week, Series k) {
    return o.series[static_cast<std::size_t>(week) * kSeriesCount + static_cast<int>(k)];
}
std::size_t count(const std::vector<Event>& ev, EventType t) {
    std::size_t n = 0;
    for (const auto& e : ev) n += e.type == t;
    return n;
}

/// Scenario with many frequent, reportable abuse findings (so remediation flags are set).
Scenario abuse_scenario() {
    Scenario s = default_scenario();
    s.outcomes.abuse_per_year = 20;
    return s;
}

// ---------------------------------------------------------------------------------------------

TEST(Ecosystem, NoSupplierImprovesWithoutAnyPressure) {
    Scenario s = abuse_scenario();
    // Control: with the default cascade and remediation, some supplier improves in these seeds.
    double control = 0;
    for (std::uint64_t seed = 1; seed <= 3; ++seed)
        control += summary(run_model(s, seed), Summary::kSuppliersImproved);
    ASSERT_GT(control, 0.0);
    s.outcomes.cascade_per_buyer = 0;
    s.outcomes.cascade_peer_bonus = 0;
    s.outcomes.cascade_base = 0;
    s.outcomes.report_remediation = 0;
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
        const auto out = run_model(s, seed);
        EXPECT_GT(count(out.events, EventType::kAbuseReported), 0u);  // remediation flags were set
        EXPECT_EQ(count(out.events, EventType::kSupplierImproved), 0u);
        for (int w = 0; w < out.weeks; ++w)
            ASSERT_EQ(series(out, w, Series::kSuppliersImproved), 0.0);
    }
}

TEST(Ecosystem, BaseHazardOneImprovesNearlyAllSuppliersWithinWeeks) {
    // Hazard 1/week: P(improved by week k) = 1 - e^-k. Week 1 (k=1): 0.632, sd 0.011 for 2000
    // suppliers -> +-0.05 is > 4 sd. By 8 weeks the expected number left is 2000 e^-8 = 0.7.
    Scenario s = test::small_scenario();
    s.ecosystem.supplier_count = 2000;
    s.outcomes.cascade_base = 1.0;
    s.outcomes.reversion_per_year = 0;  // permanent improvement (reversion: CascadeUnit tests)
    s.weeks = 8;
    Model m(s, 21);
    const auto S = static_cast<double>(m.network().supplier_count);
    m.step();
    EXPECT_NEAR(series(m.output(), 0, Series::kSuppliersImproved) / S, 1.0 - std::exp(-1.0), 0.05);
    while (m.week() < s.weeks) m.step();
    EXPECT_GE(series(m.output(), s.weeks - 1, Series::kSuppliersImproved), 0.99 * S);
    EXPECT_EQ(static_cast<double>(count(m.events(), EventType::kSupplierImproved)),
              series(m.output(), s.weeks - 1, Series::kSuppliersImproved));
}

TEST(Ecosystem, ScrutinyHidingLowersSupplierImprovement) {
    // Isolated cascade step: every MNC chain open, buyer pressure h = 0.5/week per open buyer;
    // scrutiny multiplies the hazard by (1 - scrutiny_hiding) = 0.5. A supplier with k buyers
    // improves with probability 1 - exp(-h k). Same seed -> same draws, so the suppliers improving
    // under scrutiny are a subset of those improving under co-creation. Counts are compared with
    // their expectation within 4 binomial standard deviations.
    Scenario s = test::small_scenario();
    s.ecosystem.mnc_count = 60;
    s.ecosystem.supplier_count = 600;
    s.outcomes.cascade_per_buyer = 0.5;
    s.outcomes.cascade_peer_bonus = 0;
    s.outcomes.scrutiny_hiding = 0.5;
    std::vector<std::uint8_t> improved[2];
    double expected[2] = {0, 0}, var[2] = {0, 0};
    for (int scrutiny = 0; scrutiny <= 1; ++scrutiny) {
        Model m(s, 33);
        auto& co = m.companies_mut();
        const auto M = m.network().mnc_count;
        for (std::uint32_t b = 0; b < M; ++b) {
            co.open_chain[b] = 1;
            co.scrutiny_chain[b] = static_cast<std::uint8_t>(scrutiny);
        }
        for (std::uint32_t i = 0; i < m.network().supplier_count; ++i) {
            const double k = static_cast<double>(m.network().buyers_of.row_size(i));
            const double p = 1.0 - std::exp(-0.5 * k * (scrutiny ? 0.5 : 1.0));
            expected[scrutiny] += p;
            var[scrutiny] += p * (1.0 - p);
        }
        m.phase_cascade();
        improved[scrutiny] = m.companies().improved;
        EXPECT_EQ(series(m.output(), 0, Series::kSuppliersImproved),
                  static_cast<double>(std::count(improved[scrutiny].begin(),
                                                 improved[scrutiny].end(), std::uint8_t{1})));
    }
    double n[2] = {0, 0};
    for (std::size_t c = 0; c < improved[0].size(); ++c) {
        n[0] += improved[0][c];
        n[1] += improved[1][c];
        if (improved[1][c] && !improved[0][c])
            ADD_FAILURE() << "improved only under scrutiny: company " << c;
    }
    for (int k = 0; k <= 1; ++k)
        EXPECT_NEAR(n[k], expected[k], 4.0 * std::sqrt(var[k])) << "scrutiny " << k;
    EXPECT_GT(n[0], 50.0);
    EXPECT_LT(n[1], n[0]);
}

TEST(Ecosystem, PeerPressureAboveThresholdOnly) {
    // Peer bonus: hazard cascade_peer_bonus when the mean improved share of a supplier's buyers is
    // >= cascade_threshold. All MNCs at share 1 (above) -> suppliers with buyers improve with
    // P = 1 - e^-1; suppliers without buyers never. At share 0.4 (below 0.5) nobody improves.
    Scenario s = test::small_scenario();
    s.ecosystem.mnc_count = 60;
    s.ecosystem.supplier_count = 1500;
    s.outcomes.cascade_base = 0;
    s.outcomes.cascade_per_buyer = 0;
    s.outcomes.cascade_peer_bonus = 1.0;
    s.outcomes.cascade_threshold = 0.5;
    for (double share : {1.0, 0.4}) {
        Model m(s, 8);
        for (auto& x : m.companies_mut().improved_share) x = share;
        m.phase_cascade();
        const auto& net = m.network();
        double with_buyers = 0, improved_with = 0;
        for (std::uint32_t i = 0; i < net.supplier_count; ++i) {
            const bool imp = m.companies().improved[net.mnc_count + i];
            if (net.buyers_of.row_size(i) == 0) {
                EXPECT_FALSE(imp) << "supplier " << i << " has no buyers";
                continue;
            }
            with_buyers += 1;
            improved_with += imp;
        }
        ASSERT_GT(with_buyers, 200.0);
        const double p = share >= 0.5 ? 1.0 - std::exp(-1.0) : 0.0;
        EXPECT_NEAR(improved_with / with_buyers, p,
                    4.0 * std::sqrt(p * (1 - p) / with_buyers) + 1e-12)
            << "share " << share;
    }
}

TEST(Ecosystem, ReachAndVulnerabilityReductionKnownAnswer) {
    // Isolated cascade accounting, no improvement (all hazards 0): every MNC's mechanism covers
    // 0.5 of its chain (effect v) and every chain is open. Half of the workers of a supplier with
    // a buyer are reached, with vulnerability reduction workers * v * 0.5; one without buyers is
    // not reached. Suppliers of
    // open chains get at least the buyer-endorsement sentiment. Sums compared to 1e-9 relative.
    Scenario s = test::small_scenario();
    s.outcomes.cascade_base = 0;
    s.outcomes.cascade_per_buyer = 0;
    s.outcomes.cascade_peer_bonus = 0;
    Model m(s, 10);
    auto& co = m.companies_mut();
    const auto& net = m.network();
    for (std::uint32_t b = 0; b < net.mnc_count; ++b) {
        co.mech_coverage[b] = 0.5;
        co.mech_effect[b] = s.outcomes.vulnerability_reduction;
        co.open_chain[b] = 1;
    }
    double workers = 0, vr = 0;
    for (std::uint32_t i = 0; i < net.supplier_count; ++i)
        if (net.buyers_of.row_size(i) > 0) {
            workers += co.workers[net.mnc_count + i];
            vr += co.workers[net.mnc_count + i] * s.outcomes.vulnerability_reduction * 0.5;
        }
    ASSERT_GT(workers, 0.0);
    m.phase_cascade();
    EXPECT_NEAR(series(m.output(), 0, Series::kWorkersReached), 0.5 * workers, 1e-9 * workers);
    EXPECT_NEAR(series(m.output(), 0, Series::kVulnerabilityReduction), vr, 1e-9 * vr);
    EXPECT_EQ(series(m.output(), 0, Series::kSuppliersImproved), 0.0);
    for (std::uint32_t i = 0; i < net.supplier_count; ++i) {
        const double sent = m.companies().sentiment[net.mnc_count + i];
        if (net.buyers_of.row_size(i) > 0)
            EXPECT_GE(sent, s.trust.buyer_endorsement);
        else
            EXPECT_EQ(sent, 0.0);
    }
}

TEST(Ecosystem, ScrutinyApproachImprovesFewerSuppliersOverRuns) {
    // Whole model, same seeds: a scrutiny NGO gets lower trust, fewer open chains and hidden
    // problems, so fewer suppliers improve than under co-creation (summed over 6 seeds).
    Scenario co = default_scenario(), sc = default_scenario();
    sc.ngo_defaults.approach = Approach::kScrutiny;
    double n_co = 0, n_sc = 0;
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
        n_co += summary(run_model(co, seed), Summary::kSuppliersImproved);
        n_sc += summary(run_model(sc, seed), Summary::kSuppliersImproved);
    }
    EXPECT_GT(n_co, 0.0);
    EXPECT_LT(n_sc, n_co);
}

TEST(Ecosystem, Ws2WithoutMatchesPlacesNoSurvivors) {
    Scenario s = default_scenario();
    s.ngo_defaults.ws2_targets_per_year = 12;
    s.ws2.match_prob = 0;
    double partnerships = 0;
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
        const auto out = run_model(s, seed);
        partnerships += summary(out, Summary::kWs2Partnerships);
        EXPECT_EQ(summary(out, Summary::kSurvivorsPlaced), 0.0);
        EXPECT_EQ(count(out.events, EventType::kPlacement), 0u);
        for (const auto& e : out.events) {
            EXPECT_NE(e.to, Stage::kCandidatesMatched);
            EXPECT_NE(e.to, Stage::kPlaced);
        }
    }
    EXPECT_GT(partnerships, 0.0);  // partnerships formed; they failed at matching
}

TEST(Ecosystem, Ws2PlacesSurvivorsWhenMatchesSucceed) {
    // Positive control for the test above: with match_prob 1 and more WS2 targets, some seed
    // places.
    Scenario s = default_scenario();
    s.ngo_defaults.ws2_targets_per_year = 12;
    s.ws2.match_prob = 1;
    double placed = 0;
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
        const auto out = run_model(s, seed);
        placed += summary(out, Summary::kSurvivorsPlaced);
        EXPECT_LE(series(out, out.weeks - 1, Series::kSurvivorsEmployed),
                  summary(out, Summary::kSurvivorsPlaced));
    }
    EXPECT_GT(placed, 0.0);
}

TEST(Ecosystem, FewPlacementsPerWs2Partnership) {
    // Evidence (003 Learning 5): ~20 partnerships -> 1-2 placements. Pooled over 10 default seeds,
    // placements per WS2 partnership must be below 1.
    const Scenario s = default_scenario();
    double placed = 0, partnerships = 0;
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
        const auto out = run_model(s, seed);
        placed += summary(out, Summary::kSurvivorsPlaced);
        partnerships += summary(out, Summary::kWs2Partnerships);
    }
    ASSERT_GE(partnerships, 5.0);
    EXPECT_LT(placed / partnerships, 1.0)
        << placed << " placements / " << partnerships << " partnerships";
}

TEST(Ecosystem, AbusePolicyReportVersusNonDisclosure) {
    Scenario report = abuse_scenario(), nda = abuse_scenario();
    report.ngo_defaults.abuse_policy = AbusePolicy::kReport;
    nda.ngo_defaults.abuse_policy = AbusePolicy::kNonDisclosure;
    nda.outcomes.nda_leak_prob = 0;
    std::size_t found_r = 0, found_n = 0;
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        const auto r = run_model(report, seed);
        const auto n = run_model(nda, seed);
        found_r += count(r.events, EventType::kAbuseFound);
        found_n += count(n.events, EventType::kAbuseFound);
        EXPECT_EQ(count(r.events, EventType::kAbuseReported),
                  count(r.events, EventType::kAbuseFound));
        EXPECT_EQ(count(n.events, EventType::kAbuseReported), 0u);
        EXPECT_EQ(count(n.events, EventType::kNdaLeak), 0u);
        EXPECT_EQ(series(r, r.weeks - 1, Series::kAbuseDiscovered),
                  static_cast<double>(count(r.events, EventType::kAbuseFound)));
    }
    EXPECT_GT(found_r, 0u);
    EXPECT_GT(found_n, 0u);
    // Every non-disclosed finding leaks when nda_leak_prob = 1.
    nda.outcomes.nda_leak_prob = 1;
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        const auto n = run_model(nda, seed);
        EXPECT_EQ(count(n.events, EventType::kNdaLeak), count(n.events, EventType::kAbuseFound));
    }
}

TEST(Ecosystem, ReportingTriggersRemediationOnlyAtFlaggedSuppliers) {
    // Only remediation drives improvement here: every improved supplier carries the flag that a
    // report sets; with non-disclosure no flag is set and nothing improves.
    Scenario s = abuse_scenario();
    s.outcomes.cascade_per_buyer = 0;
    s.outcomes.cascade_peer_bonus = 0;
    s.outcomes.cascade_base = 0;
    s.outcomes.report_remediation = 1.0;
    std::size_t improved = 0;
    for (auto policy : {AbusePolicy::kReport, AbusePolicy::kNonDisclosure}) {
        s.ngo_defaults.abuse_policy = policy;
        for (std::uint64_t seed = 1; seed <= 3; ++seed) {
            Model m(s, seed);
            m.run();
            const auto& co = m.companies();
            for (std::size_t c = 0; c < co.improved.size(); ++c) {
                if (!co.improved[c]) continue;
                EXPECT_TRUE(co.remediation[c]) << "company " << c;
                if (policy == AbusePolicy::kReport) {
                    ++improved;
                } else {
                    ADD_FAILURE() << "improved without any report, company " << c;
                }
            }
        }
    }
    EXPECT_GT(improved, 0u);
}

TEST(Ecosystem, BrokerageCountsMediumActionsAndCanBeSwitchedOff) {
    Scenario s = default_scenario();
    s.pipeline.brokerage_per_year = 6;
    std::size_t events = 0;
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
        const auto out = run_model(s, seed);
        const auto n = count(out.events, EventType::kBrokerage);
        events += n;
        // Outreach events are low-level actions, brokerage the only medium-level one.
        EXPECT_EQ(series(out, out.weeks - 1, Series::kActionsMedium), static_cast<double>(n));
    }
    EXPECT_GT(events, 0u);
    s.pipeline.brokerage_per_year = 0;
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
        const auto out = run_model(s, seed);
        EXPECT_EQ(count(out.events, EventType::kBrokerage), 0u);
        EXPECT_EQ(series(out, out.weeks - 1, Series::kActionsMedium), 0.0);
    }
}

TEST(Ecosystem, ScrutinyOfOneProjectSpillsOntoItsSistersOnly) {
    // A scrutiny project's first meetings lower the reputation of sister projects (same
    // implementer) but not of an unrelated NGO. No other reputation shocks are switched on.
    Scenario s = test::small_scenario();
    s.outcomes.abuse_per_year = 0;
    NgoParams scr = s.ngo_defaults, sister = s.ngo_defaults, other = s.ngo_defaults;
    scr.name = "scrutiny";
    scr.approach = Approach::kScrutiny;
    sister.name = "sister";
    other.name = "other";
    other.implementer = "someone else";
    s.ngos = {scr, sister, other};
    double max_sister = 0, max_other = 0;
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
        Model m(s, seed);
        while (m.week() < s.weeks) {
            m.step();
            max_sister = std::max(max_sister, m.ngo_states()[1].reputation_penalty);
            max_other = std::max(max_other, m.ngo_states()[2].reputation_penalty);
        }
    }
    EXPECT_GT(max_sister, 0.0);
    EXPECT_EQ(max_other, 0.0);
}

}  // namespace
}  // namespace pse
