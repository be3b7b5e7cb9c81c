#include "pse/submodels/engagement.h"

#include <cmath>

#include "pse/rng_streams.h"

namespace pse::engagement {
namespace {
bool in_window(int week, int start, int length) {
    return start >= 0 && week >= start && week < start + length;
}
}  // namespace

bool legally_exposed(const StepContext& ctx, std::uint32_t c) {
    if (!ctx.net.is_mnc(c)) return false;
    const Rng rng(ctx.seed, EntityKey{EntityKind::kCompany, c}, 0);
    return rng.chance(rng_phase::kLegalExposure, 0, ctx.scenario.engagement.legal_exposure_share);
}

double hesitation(const StepContext& ctx, const ModelState& st, std::uint32_t n, std::uint32_t c,
                  double w) {
    const auto& e = ctx.scenario.engagement;
    const NgoParams& p = ctx.ngo_params[n];
    const bool sensitive = st.co.sensitive[c] != 0;
    double h = e.budget_cv_weight * p.budget_cv *
               (p.budget_transparency ? 1.0 - ctx.scenario.pipeline.transparency_effect : 1.0);
    h += e.horizon_weight * (1.0 - w);
    if (p.framing == Framing::kTrafficking)
        h += e.framing_penalty * (ctx.net.is_mnc(c) ? 1.0 : e.framing_local_factor) *
             (sensitive ? e.framing_sensitive_factor : 1.0);
    const auto& sh = ctx.scenario.shocks;
    if (p.affiliated && in_window(ctx.week, sh.tier_downgrade_week, e.tier_downgrade_weeks))
        h += e.tier_downgrade_hesitation;
    if (sensitive && in_window(ctx.week, sh.media_shock_week, e.media_shock_weeks))
        h += e.media_shock_hesitation;
    if (legally_exposed(ctx, c)) {
        h += e.legal_fear;
        if (in_window(ctx.week, e.enforcement_week, e.enforcement_weeks)) h += e.enforcement_fear;
    }
    return h;
}

double accept_prob(const StepContext& ctx, const ModelState& st, std::uint32_t n, std::uint32_t c,
                   double T, double w) {
    const auto& e = ctx.scenario.engagement;
    return logistic(e.accept_intercept + e.accept_trust * T - hesitation(ctx, st, n, c, w));
}

double estimate_sd(const StepContext& ctx, std::uint32_t contacts) {
    const auto& e = ctx.scenario.engagement;
    return e.alignment_noise_sd /
           std::sqrt(1.0 + static_cast<double>(contacts) / e.screen_contacts);
}

double alignment_estimate(const StepContext& ctx, const ModelState& st, std::uint32_t n,
                          std::uint32_t c, std::uint32_t contacts) {
    const double sd = estimate_sd(ctx, contacts);
    if (sd <= 0) return st.co.alignment[c];
    const Rng rng(ctx.seed, EntityKey{EntityKind::kRelationship, c}, 0);
    return clamp01(st.co.alignment[c] +
                   sd * rng.normal(rng_phase::ngo_phase(n, rng_phase::kAlignNoise), 0));
}

double alignment_estimate(const StepContext& ctx, const ModelState& st, const Relationship& r) {
    return alignment_estimate(ctx, st, r.ngo, r.company, r.contacts);
}

double alignment_factor(const StepContext& ctx, const ModelState& st, std::uint32_t c) {
    return 1.0 - ctx.scenario.engagement.alignment_weight * (1.0 - st.co.alignment[c]);
}

double misalignment_drop(const StepContext& ctx, const ModelState& st, std::uint32_t c) {
    return ctx.scenario.engagement.misalignment_drop * (1.0 - st.co.alignment[c]);
}

}  // namespace pse::engagement
