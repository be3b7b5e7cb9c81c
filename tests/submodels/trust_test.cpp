// Tests of submodel 7.3, trust (sim/pse/submodels/trust.cpp), each function called alone:
// the asymmetric update, boost, compound penalty, prior, lazy decay, shock and contact quality.
//
// Tolerance: known answers are closed forms of the same double arithmetic: 1e-12 absolute.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "pse/submodels/trust.h"
#include "support/submodels.h"

namespace pse {
namespace {

constexpr double kTol = 1e-12;

double logit_inv(double x) {
    return 1.0 / (1.0 + std::exp(-x));
}

TEST(TrustUnit, AsymmetricUpdateKnownAnswers) {
    // Gain: T + gain (o - T) = 0.5 + 0.1 * 0.3.
    EXPECT_NEAR(trust::asymmetric_update(0.5, 0.8, 0.1, 2.5), 0.53, kTol);
    // Loss: rate gain * loss = 0.25: 0.8 + 0.25 * (0.5 - 0.8) = 0.725.
    EXPECT_NEAR(trust::asymmetric_update(0.8, 0.5, 0.1, 2.5), 0.725, kTol);
    // gain * loss = 2 > 1 is clamped to rate 1: trust lands on o and does not overshoot.
    EXPECT_EQ(trust::asymmetric_update(0.9, 0.5, 0.5, 4.0), 0.5);
    // o == T: unchanged (gain branch, zero step).
    EXPECT_EQ(trust::asymmetric_update(0.4, 0.4, 0.3, 2.5), 0.4);
    // Loss ratio 1: symmetric steps.
    EXPECT_NEAR(0.6 - trust::asymmetric_update(0.6, 0.4, 0.2, 1.0),
                trust::asymmetric_update(0.2, 0.4, 0.2, 1.0) - 0.2, kTol);
}

TEST(TrustUnit, BoostAndCompoundPenalty) {
    EXPECT_NEAR(trust::boost(0.4, 0.5), 0.7, kTol);  // 0.4 + 0.5 * 0.6
    EXPECT_NEAR(trust::boost(0.2, 0.15), 0.2 + 0.15 * 0.8, kTol);
    EXPECT_EQ(trust::boost(1.0, 0.3), 1.0);
    EXPECT_EQ(trust::boost(0.2, 0.0), 0.2);
    EXPECT_NEAR(trust::compound_penalty(0.2, 0.5), 0.6, kTol);  // 1 - 0.8 * 0.5
    EXPECT_NEAR(trust::compound_penalty(0.0, 0.15), 0.15, kTol);
    EXPECT_NEAR(trust::compound_penalty(0.3, 0.0), 0.3, kTol);
    // Two drops compound multiplicatively: 1 - (1 - 0.1)(1 - 0.2)(1 - 0.3).
    EXPECT_NEAR(trust::compound_penalty(trust::compound_penalty(0.1, 0.2), 0.3),
                1.0 - 0.9 * 0.8 * 0.7, kTol);
}

TEST(TrustUnit, PriorForCompanyAttributesSetByTheTest) {
    Scenario s = test::quiet_scenario();
    NgoParams safe = s.ngo_defaults, traf = s.ngo_defaults;
    safe.name = "safe";
    traf.name = "trafficking";
    traf.framing = Framing::kTrafficking;
    s.ngos = {safe, traf};
    Model m(s, 21);
    const auto& tp = s.trust;
    auto& st = m.state_mut();
    const std::uint32_t mnc = 3, sup = m.network().mnc_count + 7;
    st.co.has_csr[mnc] = 1, st.co.sensitive[mnc] = 1;
    st.co.has_csr[sup] = 0, st.co.sensitive[sup] = 0;
    const StepContext ctx = m.context();
    const double x_mnc =
        tp.prior_logit + tp.prior_mnc_bonus + tp.prior_csr_bonus - tp.prior_sensitive_penalty;
    const double x_sup = tp.prior_logit;
    EXPECT_NEAR(trust::prior(ctx, st, 0, mnc), logit_inv(x_mnc), kTol);
    EXPECT_NEAR(trust::prior(ctx, st, 1, mnc), logit_inv(x_mnc - tp.prior_trafficking_penalty),
                kTol);
    EXPECT_NEAR(trust::prior(ctx, st, 0, sup), logit_inv(x_sup), kTol);
    // Sentiment 0.4: T + 0.4 (1 - T); sentiment -0.25: 0.75 T; reputation penalty 0.1 scales by
    // 0.9.
    const double T = logit_inv(x_sup);
    st.co.sentiment[sup] = 0.4;
    EXPECT_NEAR(trust::prior(ctx, st, 0, sup), T + 0.4 * (1.0 - T), kTol);
    st.co.sentiment[sup] = -0.25;
    EXPECT_NEAR(trust::prior(ctx, st, 0, sup), 0.75 * T, kTol);
    st.ngo_state[0].reputation_penalty = 0.1;
    EXPECT_NEAR(trust::prior(ctx, st, 0, sup), 0.9 * 0.75 * T, kTol);
    EXPECT_NEAR(trust::prior(ctx, st, 1, sup),
                0.75 * logit_inv(x_sup - tp.prior_trafficking_penalty), kTol);
    st.co.sentiment[sup] = -1.0;  // the floor of sentiment: prior 0
    EXPECT_EQ(trust::prior(ctx, st, 1, sup), 0.0);
}

TEST(TrustUnit, CurrentDecaysTowardPriorAfterDtWeeks) {
    Scenario s = test::quiet_scenario();
    s.trust.decay_rate = 0.05;
    Model m(s, 22);
    auto& st = m.state_mut();
    const auto id = outreach::relationship(m.context(), st, 0, 4);
    Relationship& r = st.rels[id];
    const double T0 = trust::prior(m.context(), st, 0, 4);
    r.trust = 0.95;
    r.trust_week = 3;
    for (int dt : {1, 10, 52}) {
        const StepContext ctx = test::context_at(m, 3 + dt);
        EXPECT_NEAR(trust::current(ctx, st, r), T0 + (0.95 - T0) * std::pow(0.95, dt), kTol)
            << "dt " << dt;
    }
    // From below the prior, decay raises trust.
    r.trust = 0.01;
    EXPECT_NEAR(trust::current(test::context_at(m, 23), st, r),
                T0 + (0.01 - T0) * std::pow(0.95, 20), kTol);
    // dt <= 0: the stored value as it is.
    EXPECT_EQ(trust::current(test::context_at(m, 3), st, r), 0.01);
    EXPECT_EQ(trust::current(test::context_at(m, 1), st, r), 0.01);
}

TEST(TrustUnit, ShockScalesCurrentTrustAndCountsTheShock) {
    Scenario s = test::quiet_scenario();
    Model m(s, 23);
    auto& st = m.state_mut();
    const auto id = outreach::relationship(m.context(), st, 0, 2);
    Relationship& r = st.rels[id];
    const double T0 = trust::prior(m.context(), st, 0, 2);
    r.trust = 0.8;
    r.trust_week = 0;
    const StepContext ctx = test::context_at(m, 12);
    trust::shock(ctx, st, r, 0.25);
    EXPECT_NEAR(r.trust, 0.75 * (T0 + (0.8 - T0) * std::pow(1.0 - s.trust.decay_rate, 12)), kTol);
    EXPECT_EQ(r.trust_week, 12);
    EXPECT_EQ(r.shocks, 1u);
    trust::shock(ctx, st, r, 1.0);
    EXPECT_EQ(r.trust, 0.0);
    EXPECT_EQ(r.shocks, 2u);
}

TEST(TrustUnit, ContactQualityTerms) {
    Scenario s = test::quiet_scenario();
    NgoParams co = s.ngo_defaults, sc = s.ngo_defaults, hand = s.ngo_defaults;
    co.name = "co";
    co.objective_consistency = 0.5;
    sc.name = "scrutiny";
    sc.approach = Approach::kScrutiny;
    hand.name = "handover";
    hand.handover = true;
    s.ngos = {co, sc, hand};
    Model m(s, 24);
    auto& st = m.state_mut();
    const StepContext ctx = m.context();
    const auto& tp = s.trust;
    st.co.ttv_weeks[5] = 100;
    Relationship r = st.rels[outreach::relationship(ctx, st, 0, 5)];
    const double o_co = tp.quality_co_creation * (0.7 + 0.3 * 0.5);
    // Far from the end (R >= time to value): only the approach and consistency.
    EXPECT_NEAR(trust::contact_quality(ctx, st, r, 1.0, 200, false), o_co, kTol);
    // Equity: after an agreement, f = 0.4 costs equity_weight * 0.6; not before an agreement.
    EXPECT_NEAR(trust::contact_quality(ctx, st, r, 0.4, 200, true), o_co - tp.equity_weight * 0.6,
                kTol);
    EXPECT_NEAR(trust::contact_quality(ctx, st, r, 0.4, 200, false), o_co, kTol);
    // End salience: R = 25 of E = 100 costs end_salience * 0.75; R < 0 counts as 0.
    EXPECT_NEAR(trust::contact_quality(ctx, st, r, 1.0, 25, false), o_co - tp.end_salience * 0.75,
                kTol);
    EXPECT_NEAR(trust::contact_quality(ctx, st, r, 1.0, -10, false), o_co - tp.end_salience, kTol);
    // Scrutiny approach, consistency 1.
    r.ngo = 1;
    EXPECT_NEAR(trust::contact_quality(ctx, st, r, 1.0, 200, false), tp.quality_scrutiny, kTol);
    // Handover: no end salience even at R = 0.
    r.ngo = 2;
    EXPECT_NEAR(trust::contact_quality(ctx, st, r, 1.0, 0, false), tp.quality_co_creation, kTol);
    EXPECT_NEAR(trust::contact_quality(ctx, st, r, 0.0, 0, true),
                tp.quality_co_creation - tp.equity_weight, kTol);
    // The quality is clamped at 0: scrutiny, no effort after agreement, at the end.
    Scenario s2 = s;
    s2.trust.equity_weight = 1.0;
    Model m2(s2, 24);
    Relationship r2 = r;
    r2.ngo = 1;
    m2.state_mut().co.ttv_weeks[5] = 100;
    EXPECT_EQ(trust::contact_quality(m2.context(), m2.state(), r2, 0.0, 0, true), 0.0);
}

TEST(TrustUnit, AccessThresholdFallsWithAlignment) {
    // theta_c = clamp(access_threshold - slope (alignment_c - 0.5), 0, 1) (docs/ODD.md 7.3).
    Scenario s = test::quiet_scenario();
    s.trust.access_threshold = 0.6;
    s.trust.access_alignment_slope = 0.6;
    Model m(s, 5);
    auto& st = m.state_mut();
    const StepContext ctx = m.context();
    st.co.alignment[0] = 0.5;
    EXPECT_NEAR(trust::access_threshold(ctx, st, 0), 0.6, kTol);  // average alignment: the default
    st.co.alignment[0] = 0.9;
    EXPECT_NEAR(trust::access_threshold(ctx, st, 0), 0.6 - 0.6 * 0.4, kTol);  // aligned: 0.36
    st.co.alignment[0] = 0.1;
    EXPECT_NEAR(trust::access_threshold(ctx, st, 0), 0.6 + 0.6 * 0.4, kTol);  // misaligned: 0.84
    // A scrutiny NGO's trust ceiling (about quality_scrutiny = 0.45 with full consistency) opens
    // the chain of a company aligned 0.9 but not of one aligned 0.5.
    st.co.alignment[1] = 0.5;
    EXPECT_GT(trust::access_threshold(ctx, st, 1), 0.45);
    s.trust.access_alignment_slope = 0.0;  // no slope: every company needs access_threshold
    Model m0(s, 5);
    m0.state_mut().co.alignment[0] = 0.95;
    EXPECT_NEAR(trust::access_threshold(m0.context(), m0.state(), 0), 0.6, kTol);
    s.trust.access_alignment_slope = 2.0;  // clamped to [0, 1]
    Model m2(s, 5);
    m2.state_mut().co.alignment[0] = 0.0;
    m2.state_mut().co.alignment[1] = 1.0;
    EXPECT_EQ(trust::access_threshold(m2.context(), m2.state(), 0), 1.0);
    EXPECT_EQ(trust::access_threshold(m2.context(), m2.state(), 1), 0.0);
}

}  // namespace
}  // namespace pse
