// Science tests of the trust submodel (EVIDENCE §5.1–5.2): bounds, the asymmetric update toward
// contact quality, lazy decay toward the prior, prior ordering, and trust shocks (tier downgrade,
// representative turnover with the multiplex buffer).
//
// Tolerances: known-answer checks are closed-form evaluations of the same double arithmetic, so
// they use 1e-12 absolute (only rounding differences between algebraically equal forms).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "support/fixtures.h"

namespace pse {
namespace {

constexpr double kTol = 1e-12;  // closed-form known answers (rounding only)

double logistic(double x) {
    return 1.0 / (1.0 + std::exp(-x));
}

/// Small scenario with no outreach, no WS2 and no turnover: nothing happens to a relationship
/// unless the test does it.
Scenario quiet_scenario() {
    Scenario s = test::small_scenario();
    s.ngo_defaults.outreach_events_per_year = 0;
    s.ngo_defaults.targets_per_month = 0;
    s.ngo_defaults.work_stream_2 = false;
    s.company.turnover_per_year = 0;
    return s;
}

/// Start one WS1 engagement of `ngo` per company in `companies` (this week, targeted).
/// Returns the relationship ids; callers then set trust, effort or stage by hand.
std::vector<std::uint32_t> engage(Model& m, std::uint32_t ngo,
                                  const std::vector<std::uint32_t>& companies) {
    std::vector<std::uint32_t> ids;
    for (auto c : companies) {
        const auto id = m.relationship(ngo, c);
        m.start_engagement(id, Stream::kPrevention, false);
        ids.push_back(id);
    }
    return ids;
}

/// Expected asymmetric update: T + rate (o - T), rate = gain below o, gain*loss above.
double updated(const Scenario& s, double T, double o) {
    const double rate =
        o >= T ? s.trust.gain_rate : std::min(1.0, s.trust.gain_rate * s.trust.loss_ratio);
    return T + rate * (o - T);
}

// ---------------------------------------------------------------------------------------------

TEST(Trust, StaysInUnitIntervalEveryWeekUnderShocks) {
    // A harsh scenario: three sister projects (spillovers), one scrutiny/trafficking-framing NGO,
    // tier downgrade, media shock, heavy turnover, frequent abuse with reporting, and a learning
    // rate that would overshoot if the update were not bounded (gain*loss > 1 is clamped to 1).
    Scenario s = test::small_scenario();
    s.trust.gain_rate = 0.5;
    s.trust.loss_ratio = 5.0;
    s.company.turnover_per_year = 3.0;
    s.shocks.tier_downgrade_week = 30;
    s.shocks.tier_downgrade_drop = 0.5;
    s.shocks.media_shock_week = 60;
    s.shocks.media_shock_drop = 0.9;
    s.outcomes.abuse_per_year = 10;
    s.ecosystem.sensitive_sector_share = 0.5;
    NgoParams a = s.ngo_defaults, b = s.ngo_defaults, c = s.ngo_defaults;
    a.name = "a";
    b.name = "b";
    b.approach = Approach::kScrutiny;
    b.framing = Framing::kTrafficking;
    c.name = "c";
    c.handover = true;
    c.dedicated_fte = 3;
    s.ngos = {a, b, c};

    std::size_t checked = 0;
    for (std::uint64_t seed : {1u, 2u, 3u}) {
        Model m(s, seed);
        while (m.week() < s.weeks) {
            m.step();
            for (const auto& r : m.relationships()) {
                ASSERT_GE(r.trust, 0.0) << "week " << m.week();
                ASSERT_LE(r.trust, 1.0) << "week " << m.week();
                const double ct = m.current_trust(r);
                ASSERT_GE(ct, 0.0);
                ASSERT_LE(ct, 1.0);
                const double p = m.prior_trust(r.ngo, r.company);
                ASSERT_GE(p, 0.0);
                ASSERT_LE(p, 1.0);
                ++checked;
            }
            const double mt =
                m.output().series[static_cast<std::size_t>(m.week() - 1) * kSeriesCount +
                                  static_cast<int>(Series::kMeanTrust)];
            if (!std::isnan(mt)) {
                ASSERT_GE(mt, 0.0);
                ASSERT_LE(mt, 1.0);
            }
        }
    }
    EXPECT_GT(checked, 1000u);  // the check was not vacuous
}

TEST(Trust, AsymmetricUpdateKnownAnswerPositive) {
    // Co-creation quality 0.85, objective_consistency 1 -> o = 0.85 * (0.7 + 0.3) = 0.85;
    // pre-agreement stage -> no equity term; handover -> no end salience.
    Scenario s = quiet_scenario();
    s.ngo_defaults.handover = true;
    s.ngo_defaults.objective_consistency = 1.0;
    Model m(s, 11);
    m.phase_funding();
    const auto ids = engage(m, 0, {0, 1, 2});
    const double T[] = {0.1, 0.3, 0.5};
    for (std::size_t i = 0; i < ids.size(); ++i) {
        auto& r = m.relationships_mut()[ids[i]];
        r.trust = T[i];
        r.trust_week = m.week();
        r.effort = 1.0;
    }
    m.phase_engagements();
    m.phase_commit();
    const double o = s.trust.quality_co_creation;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const double expected = T[i] + s.trust.gain_rate * (o - T[i]);
        EXPECT_NEAR(m.relationships()[ids[i]].trust, expected, kTol) << "T=" << T[i];
        EXPECT_NEAR(m.current_trust(m.relationships()[ids[i]]), expected, kTol);
        EXPECT_EQ(m.relationships()[ids[i]].contacts, 1u);
    }
}

TEST(Trust, QualityTermsKnownAnswer) {
    // Each term of the contact quality o, one at a time, against a hand-computed o.
    struct Case {
        const char* what;
        Approach approach;
        double consistency;
        bool handover;
        Stage stage;
        double effort;
        double o;
    };
    const Scenario base = quiet_scenario();
    const auto& tp = base.trust;
    const double need_cc = base.pipeline.stage[static_cast<int>(Stage::kCoCreation)].effort_hours;
    const Case cases[] = {
        {"consistency 0.5", Approach::kCoCreation, 0.5, true, Stage::kIdentified, 1.0,
         tp.quality_co_creation * (0.7 + 0.3 * 0.5)},
        {"scrutiny", Approach::kScrutiny, 1.0, true, Stage::kIdentified, 1.0, tp.quality_scrutiny},
        {"equity f=0.5", Approach::kCoCreation, 1.0, true, Stage::kCoCreation, 0.5 * need_cc,
         tp.quality_co_creation - tp.equity_weight * 0.5},
    };
    for (const auto& cs : cases) {
        SCOPED_TRACE(cs.what);
        Scenario s = base;
        s.ngo_defaults.approach = cs.approach;
        s.ngo_defaults.objective_consistency = cs.consistency;
        s.ngo_defaults.handover = cs.handover;
        s.pipeline.brokerage_per_year = 0;  // brokerage adds a bonus in commit
        s.outcomes.abuse_per_year = 0;
        Model m(s, 5);
        m.phase_funding();
        const auto ids = engage(m, 0, {3, 4});
        const double T[] = {0.2, 0.9};  // one below o (gain), one above (loss)
        for (std::size_t i = 0; i < 2; ++i) {
            auto& r = m.relationships_mut()[ids[i]];
            r.stage = cs.stage;
            r.trust = T[i];
            r.effort = cs.effort;
        }
        m.phase_engagements();
        m.phase_commit();
        for (std::size_t i = 0; i < 2; ++i)
            EXPECT_NEAR(m.relationships()[ids[i]].trust, updated(s, T[i], cs.o), kTol)
                << "T=" << T[i];
    }
}

TEST(Trust, EndSalienceKnownAnswer) {
    // Without handover, with R = 50 weeks left and expected time to value E = 100:
    // o = 0.85 - end_salience * (1 - R/E) = 0.85 - 0.3 * 0.5 = 0.70.
    Scenario s = quiet_scenario();
    s.ngo_defaults.handover = false;
    s.ngo_defaults.end_week = 50;
    Model m(s, 5);
    m.phase_funding();
    m.companies_mut().ttv_weeks[0] = 100;
    const auto ids = engage(m, 0, {0});
    auto& r = m.relationships_mut()[ids[0]];
    r.trust = 0.2;
    r.effort = 1.0;
    m.phase_engagements();
    m.phase_commit();
    const double o = s.trust.quality_co_creation - s.trust.end_salience * (1.0 - 50.0 / 100.0);
    EXPECT_NEAR(m.relationships()[ids[0]].trust, 0.2 + s.trust.gain_rate * (o - 0.2), kTol);
}

TEST(Trust, NegativeExperienceMovesLossRatioTimesMore) {
    // Same gap |o - T| = 0.25 on both sides of o = 0.85 (co-creation, consistency 1, handover).
    Scenario s = quiet_scenario();
    s.ngo_defaults.handover = true;
    s.trust.quality_co_creation = 0.6;  // o = 0.6 leaves room above and below
    for (double loss : {1.0, 2.5, 4.0}) {
        SCOPED_TRACE(loss);
        s.trust.loss_ratio = loss;
        Model m(s, 3);
        m.phase_funding();
        const auto ids = engage(m, 0, {0, 1});
        const double o = 0.6, gap = 0.25;
        m.relationships_mut()[ids[0]].trust = o - gap;  // positive experience
        m.relationships_mut()[ids[1]].trust = o + gap;  // negative experience
        for (auto id : ids) m.relationships_mut()[id].effort = 1.0;
        m.phase_engagements();
        m.phase_commit();
        const double up = m.relationships()[ids[0]].trust - (o - gap);
        const double down = (o + gap) - m.relationships()[ids[1]].trust;
        ASSERT_GT(up, 0.0);
        ASSERT_GT(down, 0.0);
        EXPECT_NEAR(down / up, loss, 1e-9);  // ratio of two small differences: 1e-9 relative
        EXPECT_NEAR(up, s.trust.gain_rate * gap, kTol);
    }
}

TEST(Trust, LazyDecayTowardPriorWithoutContact) {
    // No contact for k weeks: current_trust = T0 + (T - T0)(1 - lambda)^k, from above and below.
    Scenario s = quiet_scenario();
    s.ngo_defaults.engages_business = false;  // no NGO activity at all: relationships sit still
    s.weeks = 60;
    Model m(s, 9);
    const auto hi = m.relationship(0, 0);
    const auto lo = m.relationship(0, 25);  // a supplier
    const double T0hi = m.prior_trust(0, 0), T0lo = m.prior_trust(0, 25);
    m.relationships_mut()[hi].trust = 0.95;
    m.relationships_mut()[lo].trust = 0.02;
    const double lambda = s.trust.decay_rate;
    for (int k = 1; k <= 52; ++k) {
        m.step();
        const double f = std::pow(1.0 - lambda, k);
        ASSERT_NEAR(m.current_trust(m.relationships()[hi]), T0hi + (0.95 - T0hi) * f, kTol)
            << "k=" << k;
        ASSERT_NEAR(m.current_trust(m.relationships()[lo]), T0lo + (0.02 - T0lo) * f, kTol)
            << "k=" << k;
    }
    // The stored value is untouched (decay is lazy); the prior is unchanged by the passage of time.
    EXPECT_EQ(m.relationships()[hi].trust, 0.95);
    EXPECT_NEAR(m.prior_trust(0, 0), T0hi, kTol);
}

TEST(Trust, EngagementWithoutEffortDecaysLikeNoContact) {
    // An active engagement that gets no staff time has no contact: each week's re-materialised
    // trust composes to the same closed form.
    Scenario s = quiet_scenario();
    s.ngo_defaults.dedicated_fte = 0;
    s.ngo_defaults.part_time_staff = 0;
    s.weeks = 40;
    s.ngo_defaults.end_week = 100;
    Model m(s, 4);
    const auto ids = engage(m, 0, {0, 1, 2, 3, 4});
    const double T = 0.9;
    for (auto id : ids) m.relationships_mut()[id].trust = T;
    for (int k = 1; k <= 30; ++k) {
        m.step();
        const double f = std::pow(1.0 - s.trust.decay_rate, k);
        for (auto id : ids) {
            const auto& r = m.relationships()[id];
            const double T0 = m.prior_trust(0, r.company);
            ASSERT_NEAR(m.current_trust(r), T0 + (T - T0) * f, kTol) << "k=" << k;
            ASSERT_EQ(r.contacts, 0u);
        }
    }
}

TEST(Trust, PriorKnownAnswerAndOrdering) {
    // prior = logistic(logit + mnc + csr - sensitive - trafficking); MNC > supplier, sensitive
    // sector lower, trafficking framing lower. Sentiment and reputation scale it.
    Scenario s = quiet_scenario();
    NgoParams safe = s.ngo_defaults, traf = s.ngo_defaults;
    safe.name = "safe";
    traf.name = "traf";
    traf.framing = Framing::kTrafficking;
    s.ngos = {safe, traf};
    Model m(s, 2);
    const auto& tp = s.trust;
    const std::uint32_t mnc = 0, sup = m.network().mnc_count;  // first MNC, first supplier
    auto& co = m.companies_mut();
    for (int csr = 0; csr <= 1; ++csr)
        for (int sens = 0; sens <= 1; ++sens) {
            for (auto c : {mnc, sup}) {
                co.has_csr[c] = static_cast<std::uint8_t>(csr);
                co.sensitive[c] = static_cast<std::uint8_t>(sens);
            }
            for (std::uint32_t n = 0; n < 2; ++n)
                for (auto c : {mnc, sup}) {
                    const double x = tp.prior_logit + (c == mnc ? tp.prior_mnc_bonus : 0.0) +
                                     csr * tp.prior_csr_bonus - sens * tp.prior_sensitive_penalty -
                                     (n == 1 ? tp.prior_trafficking_penalty : 0.0);
                    EXPECT_NEAR(m.prior_trust(n, c), logistic(x), kTol) << "n=" << n << " c=" << c;
                }
            for (std::uint32_t n = 0; n < 2; ++n)
                EXPECT_GT(m.prior_trust(n, mnc), m.prior_trust(n, sup));
            for (auto c : {mnc, sup}) EXPECT_GT(m.prior_trust(0, c), m.prior_trust(1, c));
        }
    for (auto c : {mnc, sup}) {
        co.has_csr[c] = 1;
        co.sensitive[c] = 0;
    }
    const double plain = m.prior_trust(0, mnc);
    co.sensitive[mnc] = 1;
    EXPECT_LT(m.prior_trust(0, mnc), plain);
    co.sensitive[mnc] = 0;
    // Sentiment +0.5 moves the prior halfway to 1; -0.5 halves it; reputation 0.2 scales by 0.8.
    co.sentiment[mnc] = 0.5;
    EXPECT_NEAR(m.prior_trust(0, mnc), plain + 0.5 * (1.0 - plain), kTol);
    co.sentiment[mnc] = -0.5;
    EXPECT_NEAR(m.prior_trust(0, mnc), plain * 0.5, kTol);
    co.sentiment[mnc] = 0;
    m.ngo_states_mut()[0].reputation_penalty = 0.2;
    EXPECT_NEAR(m.prior_trust(0, mnc), plain * 0.8, kTol);
}

TEST(Trust, TierDowngradeHitsAffiliatedNgosOnly) {
    Scenario s = quiet_scenario();
    s.shocks.tier_downgrade_week = 0;
    s.shocks.tier_downgrade_drop = 0.25;
    NgoParams aff = s.ngo_defaults, ind = s.ngo_defaults;
    aff.name = "affiliated";
    aff.affiliated = true;
    ind.name = "independent";
    ind.affiliated = false;
    ind.implementer = "other";  // no sister spillover either
    s.ngos = {aff, ind};
    Model m(s, 8);
    const std::vector<std::uint32_t> cs = {0, 1, 2, 30, 31};
    const auto a = engage(m, 0, cs);
    const auto b = engage(m, 1, cs);
    std::vector<double> ta, tb, pa, pb;
    for (std::size_t i = 0; i < cs.size(); ++i) {
        ta.push_back(m.relationships()[a[i]].trust);
        tb.push_back(m.relationships()[b[i]].trust);
        pa.push_back(m.prior_trust(0, cs[i]));
        pb.push_back(m.prior_trust(1, cs[i]));
    }
    m.phase_shocks();
    for (std::size_t i = 0; i < cs.size(); ++i) {
        EXPECT_NEAR(m.relationships()[a[i]].trust, ta[i] * (1.0 - 0.25), kTol);
        EXPECT_EQ(m.relationships()[b[i]].trust, tb[i]);
        EXPECT_NEAR(m.prior_trust(0, cs[i]), pa[i] * (1.0 - 0.25), kTol);  // reputation penalty
        EXPECT_EQ(m.prior_trust(1, cs[i]), pb[i]);
    }
    int downgrade_events = 0;
    for (const auto& e : m.events())
        if (e.type == EventType::kTierDowngrade) {
            ++downgrade_events;
            EXPECT_EQ(e.ngo, 0);
        }
    EXPECT_EQ(downgrade_events, 1);
}

TEST(Trust, MediaShockHitsSensitiveSectorOnly) {
    // Media shock: relationships with sensitive-sector companies lose media_shock_drop of their
    // trust; sensitive companies' sentiment falls by the same amount (lowering their prior).
    Scenario s = quiet_scenario();
    s.shocks.media_shock_week = 0;
    s.shocks.media_shock_drop = 0.3;
    Model m(s, 12);
    auto& co = m.companies_mut();
    const std::vector<std::uint32_t> cs = {0, 1, 2, 3};
    co.sensitive[0] = co.sensitive[2] = 1;
    co.sensitive[1] = co.sensitive[3] = 0;
    const auto ids = engage(m, 0, cs);
    std::vector<double> before, prior;
    for (std::size_t i = 0; i < cs.size(); ++i) {
        before.push_back(m.relationships()[ids[i]].trust);
        prior.push_back(m.prior_trust(0, cs[i]));
    }
    m.phase_shocks();
    for (std::size_t i = 0; i < cs.size(); ++i) {
        const bool hit = m.companies().sensitive[cs[i]];
        EXPECT_NEAR(m.relationships()[ids[i]].trust, before[i] * (hit ? 0.7 : 1.0), kTol)
            << "company " << cs[i];
        EXPECT_NEAR(m.prior_trust(0, cs[i]), prior[i] * (hit ? 0.7 : 1.0), kTol)
            << "company " << cs[i];
    }
}

TEST(Trust, ReportingAbuseCostsTrustNonDisclosureDoesNot) {
    // An implementing partnership with an open chain finds abuse for certain this week (abuse
    // rate far above 1/week). Reporting: trust = updated * (1 - report_trust_drop); non-disclosure
    // (no leak): trust = updated. updated = T + gain (o - T), o = 0.85 (f = 1, handover).
    for (auto policy : {AbusePolicy::kReport, AbusePolicy::kNonDisclosure}) {
        Scenario s = quiet_scenario();
        s.ngo_defaults.handover = true;
        s.ngo_defaults.abuse_policy = policy;
        s.outcomes.abuse_per_year = 52e6;
        s.outcomes.nda_leak_prob = 0;
        s.pipeline.brokerage_per_year = 0;
        s.company.csr_change_prob = 0;
        s.pipeline.stage[static_cast<int>(Stage::kImplementation)].drop_per_week = 0;
        Model m(s, 14);
        m.phase_funding();
        std::uint32_t c = 0;  // an MNC with suppliers whose labour practice is below 1
        while (m.network().suppliers_of.row_size(c) == 0) ++c;
        ASSERT_LT(c, m.network().mnc_count);
        const auto id = engage(m, 0, {c})[0];
        auto& r = m.relationships_mut()[id];
        r.stage = Stage::kImplementation;
        r.trust = 0.7;
        r.access = true;
        r.effort = s.pipeline.stage[static_cast<int>(Stage::kImplementation)].effort_hours;
        m.phase_engagements();
        m.phase_commit();
        const double updated = 0.7 + s.trust.gain_rate * (s.trust.quality_co_creation - 0.7);
        const double expected = policy == AbusePolicy::kReport
                                    ? updated * (1.0 - s.outcomes.report_trust_drop)
                                    : updated;
        std::size_t found = 0;
        for (const auto& e : m.events()) found += e.type == EventType::kAbuseFound;
        ASSERT_EQ(found, 1u);
        EXPECT_NEAR(m.current_trust(m.relationships()[id]), expected, kTol)
            << static_cast<int>(policy);
    }
}

TEST(Trust, InboundLeadStartsWithTrustBonus) {
    // An inbound engagement starts at T + inbound_bonus (1 - T); a targeted one at the prior T.
    Scenario s = quiet_scenario();
    Model m(s, 13);
    const auto a = m.relationship(0, 0), b = m.relationship(0, 1);
    m.start_engagement(a, Stream::kPrevention, true);
    m.start_engagement(b, Stream::kPrevention, false);
    const double Ta = m.prior_trust(0, 0), Tb = m.prior_trust(0, 1);
    EXPECT_NEAR(m.relationships()[a].trust, Ta + s.trust.inbound_bonus * (1.0 - Ta), kTol);
    EXPECT_NEAR(m.relationships()[b].trust, Tb, kTol);
    EXPECT_TRUE(m.relationships()[a].inbound);
    EXPECT_FALSE(m.relationships()[b].inbound);
}

TEST(Trust, TurnoverKnownAnswerMultiplexBuffersLoss) {
    // Turnover hazard so high that every company turns over this week; plain ties keep theta,
    // multiplex (brokered or government-tied) ties keep theta + (1 - theta) * buffer.
    Scenario s = quiet_scenario();
    s.company.turnover_per_year = 52.0 * 50.0;  // weekly hazard 50 -> probability 1 in double
    Model m(s, 6);
    // plain: no government tie, not brokered; multi: government-tied companies plus brokered ones.
    std::vector<std::uint32_t> plain, multi, brokered;
    for (std::uint32_t c = 0; c < m.network().company_count(); ++c) {
        if (m.network().company_government[c] >= 0) {
            if (multi.size() < 3) multi.push_back(c);
        } else if (plain.size() < 3) {
            plain.push_back(c);
        } else if (brokered.size() < 3) {
            brokered.push_back(c);
        }
    }
    ASSERT_EQ(plain.size(), 3u);
    ASSERT_EQ(brokered.size(), 3u);
    ASSERT_GE(multi.size(), 1u);  // the fixture has government ties
    multi.insert(multi.end(), brokered.begin(), brokered.end());
    const auto ip = engage(m, 0, plain);
    const auto im = engage(m, 0, multi);
    for (auto id : im)
        if (m.network().company_government[m.relationships()[id].company] < 0)
            m.relationships_mut()[id].brokered = true;
    for (auto id : ip) m.relationships_mut()[id].trust = 0.8;
    for (auto id : im) m.relationships_mut()[id].trust = 0.8;
    m.phase_shocks();
    const double theta = s.trust.turnover_retention;
    const double theta_m = theta + (1.0 - theta) * s.trust.multiplex_buffer;
    for (auto id : ip) EXPECT_NEAR(m.relationships()[id].trust, 0.8 * theta, kTol);
    for (auto id : im) EXPECT_NEAR(m.relationships()[id].trust, 0.8 * theta_m, kTol);
    EXPECT_GT(theta_m, theta);
    std::size_t turnovers = 0;
    for (const auto& e : m.events()) turnovers += e.type == EventType::kTurnover;
    EXPECT_EQ(turnovers, ip.size() + im.size());
}

TEST(Trust, ScrutinyApproachYieldsLowerTrustThanCoCreation) {
    // Whole-run pattern (000 Learning 1): mean trust over active engagements is lower under a
    // scrutiny approach, averaged over weeks and 5 seeds (same seeds for both arms).
    auto mean_trust = [](Approach a) {
        Scenario s = test::small_scenario();
        s.ngo_defaults.approach = a;
        double sum = 0;
        int n = 0;
        for (std::uint64_t seed = 1; seed <= 5; ++seed) {
            const auto out = run_model(s, seed);
            for (int w = 0; w < out.weeks; ++w) {
                const double v = out.series[static_cast<std::size_t>(w) * kSeriesCount +
                                            static_cast<int>(Series::kMeanTrust)];
                if (!std::isnan(v)) sum += v, ++n;
            }
        }
        return sum / n;
    };
    EXPECT_LT(mean_trust(Approach::kScrutiny), mean_trust(Approach::kCoCreation));
}

}  // namespace
}  // namespace pse
