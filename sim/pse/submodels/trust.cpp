#include "pse/submodels/trust.h"

#include <algorithm>
#include <cmath>

namespace pse::trust {
namespace {
/// Contact quality o = q·(kQualityBase + kQualityConsistency·objective_consistency): the share of
/// the approach's quality q kept without and added with consistent objectives (shares of q, summing
/// to 1; ASSUMPTION, docs/ODD.md 7.3 "the weights 0.7/0.3").
constexpr double kQualityBase = 0.7;
constexpr double kQualityConsistency = 0.3;
/// Alignment at which the access threshold equals trust.access_threshold ([0,1]; ASSUMPTION,
/// docs/ODD.md 7.3: the slope acts about the middle of the alignment range).
constexpr double kAccessAlignmentCentre = 0.5;
}  // namespace

double prior(const StepContext& ctx, const ModelState& st, std::uint32_t n, std::uint32_t c) {
    const auto& t = ctx.scenario.trust;
    const bool mnc = ctx.net.is_mnc(c);
    double x =
        t.prior_logit + (mnc ? t.prior_mnc_bonus : 0.0) +
        (st.co.has_csr[c] ? t.prior_csr_bonus : 0.0) -
        (st.co.sensitive[c] ? t.prior_sensitive_penalty : 0.0) -
        (ctx.ngo_params[n].framing == Framing::kTrafficking ? t.prior_trafficking_penalty : 0.0);
    double T = logistic(x);
    const double sent = st.co.sentiment[c];
    T = sent >= 0 ? T + sent * (1.0 - T) : T * (1.0 + sent);
    return clamp01(T * (1.0 - st.ngo_state[n].reputation_penalty));
}

double current(const StepContext& ctx, const ModelState& st, const Relationship& r) {
    const int dt = ctx.week - r.trust_week;
    if (dt <= 0) return r.trust;
    const double T0 = prior(ctx, st, r.ngo, r.company);
    return clamp01(T0 + (r.trust - T0) * std::pow(1.0 - ctx.scenario.trust.decay_rate, dt));
}

void shock(const StepContext& ctx, const ModelState& st, Relationship& r, double drop) {
    r.trust = clamp01(current(ctx, st, r) * (1.0 - drop));
    r.trust_week = std::max(r.trust_week, ctx.week);
    ++r.shocks;
}

double boost(double trust, double bonus) {
    return clamp01(trust + bonus * (1.0 - trust));
}

double asymmetric_update(double T, double o, double gain_rate, double loss_ratio) {
    const double rate = o >= T ? gain_rate : std::min(1.0, gain_rate * loss_ratio);
    return clamp01(T + rate * (o - T));
}

double contact_quality(const StepContext& ctx, const ModelState& st, const Relationship& r,
                       double f, double R, bool post) {
    const auto& tp = ctx.scenario.trust;
    const NgoParams& p = ctx.ngo_params[r.ngo];
    const double ttv = st.co.ttv_weeks[r.company];
    double o =
        (p.approach == Approach::kCoCreation ? tp.quality_co_creation : tp.quality_scrutiny) *
        (kQualityBase + kQualityConsistency * p.objective_consistency);
    if (post) o -= tp.equity_weight * (1.0 - f);
    if (!p.handover && R < ttv) o -= tp.end_salience * (1.0 - std::max(0.0, R) / ttv);
    return clamp01(o);
}

double access_threshold(const StepContext& ctx, const ModelState& st, std::uint32_t company) {
    const auto& tp = ctx.scenario.trust;
    return clamp01(tp.access_threshold -
                   tp.access_alignment_slope * (st.co.alignment[company] - kAccessAlignmentCentre));
}

double compound_penalty(double penalty, double drop) {
    return 1.0 - (1.0 - penalty) * (1.0 - drop);
}

}  // namespace pse::trust
