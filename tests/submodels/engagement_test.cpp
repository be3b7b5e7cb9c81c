// Tests of submodel 7.12, the company's decision to engage (sim/pse/submodels/engagement.cpp),
// each called alone: acceptance falls with budget CV and little time left; transparency shrinks
// the budget term; framing hits suppliers and sensitive-sector firms more than MNCs; shock and
// enforcement windows act for their duration only; the alignment estimate sharpens with contact;
// true alignment scales the post-screen hazards.
//
// Tolerance: closed forms 1e-12 absolute; the estimate's error variance within 15% of sd^2.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "pse/submodels/engagement.h"
#include "support/submodels.h"

namespace pse {
namespace {

constexpr double kTol = 1e-12;

StepContext with_ngos(const Model& m, const std::vector<NgoParams>& ngos, int week) {
    const StepContext c = m.context();
    return StepContext{c.scenario, ngos, c.net, c.seed, week, false};
}

TEST(EngagementUnit, AcceptanceFallsMonotonicallyWithBudgetCvAndTimeLeft) {
    Scenario s = test::quiet_scenario();
    s.engagement.legal_exposure_share = 0;
    Model m(s, 7);
    std::vector<NgoParams> ngos = m.context().ngo_params;
    double last = 1.0;
    for (double cv : {0.0, 0.1, 0.2, 0.5, 1.0}) {
        ngos[0].budget_cv = cv;
        const double p = engagement::accept_prob(with_ngos(m, ngos, 0), m.state(), 0, 0, 0.5, 1.0);
        EXPECT_LT(p, last);
        last = p;
    }
    ngos[0].budget_cv = 0;
    const auto ctx = with_ngos(m, ngos, 0);
    EXPECT_GT(engagement::accept_prob(ctx, m.state(), 0, 0, 0.5, 1.0),
              engagement::accept_prob(ctx, m.state(), 0, 0, 0.5, 0.2));
    EXPECT_NEAR(engagement::hesitation(ctx, m.state(), 0, 0, 0.2),
                s.engagement.horizon_weight * 0.8, kTol);
    EXPECT_NEAR(engagement::accept_prob(ctx, m.state(), 0, 0, 0.5, 1.0),
                logistic(s.engagement.accept_intercept + 0.5 * s.engagement.accept_trust), kTol);
}

TEST(EngagementUnit, TransparencyShrinksTheBudgetTermBySharedEffect) {
    Scenario s = test::quiet_scenario();
    s.engagement.legal_exposure_share = 0;
    Model m(s, 7);
    std::vector<NgoParams> ngos = m.context().ngo_params;
    ngos[0].budget_cv = 0.4;
    ngos[0].framing = Framing::kSafeMigration;
    const double opaque = engagement::hesitation(with_ngos(m, ngos, 0), m.state(), 0, 0, 1.0);
    ngos[0].budget_transparency = true;
    const double shared = engagement::hesitation(with_ngos(m, ngos, 0), m.state(), 0, 0, 1.0);
    EXPECT_NEAR(opaque, s.engagement.budget_cv_weight * 0.4, kTol);
    EXPECT_NEAR(shared, opaque * (1.0 - s.pipeline.transparency_effect), kTol);
}

TEST(EngagementUnit, FramingHitsSuppliersAndSensitiveFirmsMoreThanMncs) {
    Scenario s = test::quiet_scenario();
    s.engagement.legal_exposure_share = 0;
    Model m(s, 7);
    const std::uint32_t mnc = 0, sup = m.context().net.mnc_count;
    auto& st = m.state_mut();
    std::vector<NgoParams> ngos = m.context().ngo_params;
    ngos[0].budget_cv = 0;
    auto framing_cost = [&](std::uint32_t c, bool sensitive) {
        st.co.sensitive[c] = sensitive;
        ngos[0].framing = Framing::kSafeMigration;
        const double h0 = engagement::hesitation(with_ngos(m, ngos, 0), st, 0, c, 1.0);
        ngos[0].framing = Framing::kTrafficking;
        return engagement::hesitation(with_ngos(m, ngos, 0), st, 0, c, 1.0) - h0;
    };
    const auto& e = s.engagement;
    EXPECT_NEAR(framing_cost(mnc, false), e.framing_penalty, kTol);
    EXPECT_NEAR(framing_cost(sup, false), e.framing_penalty * e.framing_local_factor, kTol);
    EXPECT_NEAR(framing_cost(mnc, true), e.framing_penalty * e.framing_sensitive_factor, kTol);
    EXPECT_GT(framing_cost(sup, true), framing_cost(sup, false));
    EXPECT_GT(framing_cost(sup, false), framing_cost(mnc, false));
}

TEST(EngagementUnit, ShocksLowerAcceptanceForTheirWindowOnly) {
    Scenario s = test::quiet_scenario();
    s.engagement.legal_exposure_share = 0;
    s.shocks.tier_downgrade_week = 10;
    s.engagement.tier_downgrade_weeks = 5;
    s.shocks.media_shock_week = 30;
    s.engagement.media_shock_weeks = 3;
    Model m(s, 7);
    auto& st = m.state_mut();
    std::vector<NgoParams> ngos = m.context().ngo_params;
    ngos[0].affiliated = true;
    st.co.sensitive[1] = 1;
    auto p = [&](int week, std::uint32_t c) {
        return engagement::accept_prob(with_ngos(m, ngos, week), st, 0, c, 0.4, 1.0);
    };
    EXPECT_NEAR(p(9, 0), p(15, 0), kTol);
    EXPECT_LT(p(10, 0), p(9, 0));
    EXPECT_NEAR(p(10, 0), p(14, 0), kTol);
    EXPECT_LT(p(30, 1), p(29, 1));
    EXPECT_NEAR(p(33, 1), p(29, 1), kTol);
    st.co.sensitive[0] = 0;
    EXPECT_NEAR(p(30, 0), p(29, 0), kTol);  // media shock spares a non-sensitive firm
    ngos[0].affiliated = false;
    EXPECT_NEAR(p(10, 0), p(9, 0), kTol);  // downgrade spares an unaffiliated NGO
}

TEST(EngagementUnit, LegalExposureAndEnforcementWindow) {
    Scenario s = test::quiet_scenario();
    s.engagement.legal_exposure_share = 1.0;
    s.engagement.enforcement_week = 20;
    s.engagement.enforcement_weeks = 4;
    s.engagement.enforcement_fear = -0.5;  // a penalised bystander lowers the fear
    Model m(s, 7);
    const auto ctx0 = test::context_at(m, 0);
    const std::uint32_t mnc = 0, sup = ctx0.net.mnc_count;
    EXPECT_TRUE(engagement::legally_exposed(ctx0, mnc));
    EXPECT_FALSE(engagement::legally_exposed(ctx0, sup));
    std::vector<NgoParams> ngos = m.context().ngo_params;
    ngos[0].budget_cv = 0;
    ngos[0].framing = Framing::kSafeMigration;
    ngos[0].affiliated = false;
    auto h = [&](int week) {
        return engagement::hesitation(with_ngos(m, ngos, week), m.state(), 0, mnc, 1.0);
    };
    EXPECT_NEAR(h(19), s.engagement.legal_fear, kTol);
    EXPECT_NEAR(h(20), s.engagement.legal_fear - 0.5, kTol);
    EXPECT_NEAR(h(24), s.engagement.legal_fear, kTol);
    Scenario s0 = s;
    s0.engagement.legal_exposure_share = 0;
    Model m0(s0, 7);
    EXPECT_FALSE(engagement::legally_exposed(test::context_at(m0, 0), mnc));
}

TEST(EngagementUnit, EstimateVarianceFallsWithContact) {
    Scenario s = test::quiet_scenario();
    Model m(s, 11);
    auto& st = m.state_mut();
    for (auto& a : st.co.alignment) a = 0.5;  // far from the clamp at the defaults' sd
    const auto ctx = test::context_at(m, 0);
    const auto C = static_cast<std::uint32_t>(st.co.alignment.size());
    double last = 1e9;
    for (std::uint32_t k : {0u, 4u, 12u, 40u}) {
        double ss = 0;
        for (std::uint32_t c = 0; c < C; ++c)
            ss += std::pow(engagement::alignment_estimate(ctx, st, 0, c, k) - 0.5, 2);
        const double var = ss / C, sd = engagement::estimate_sd(ctx, k);
        EXPECT_NEAR(
            sd, s.engagement.alignment_noise_sd / std::sqrt(1.0 + k / s.engagement.screen_contacts),
            kTol);
        EXPECT_NEAR(var, sd * sd, 0.15 * sd * sd + 1e-3);
        EXPECT_LT(var, last);
        last = var;
    }
    Scenario exact = s;
    exact.engagement.alignment_noise_sd = 0;
    Model me(exact, 11);
    EXPECT_EQ(engagement::alignment_estimate(test::context_at(me, 0), me.state(), 0, 3, 0),
              me.state().co.alignment[3]);
}

TEST(EngagementUnit, TrueAlignmentScalesPostScreenHazards) {
    Scenario s = test::quiet_scenario();
    Model m(s, 7);
    auto& st = m.state_mut();
    const auto ctx = test::context_at(m, 0);
    st.co.alignment[2] = 1.0;
    st.co.alignment[3] = 0.2;
    EXPECT_NEAR(engagement::alignment_factor(ctx, st, 2), 1.0, kTol);
    EXPECT_NEAR(engagement::alignment_factor(ctx, st, 3), 1.0 - s.engagement.alignment_weight * 0.8,
                kTol);
    EXPECT_NEAR(engagement::misalignment_drop(ctx, st, 2), 0.0, kTol);
    EXPECT_NEAR(engagement::misalignment_drop(ctx, st, 3), s.engagement.misalignment_drop * 0.8,
                kTol);
}

}  // namespace
}  // namespace pse
