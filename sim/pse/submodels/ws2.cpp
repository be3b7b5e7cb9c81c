#include "pse/submodels/ws2.h"

#include <algorithm>

#include "pse/rng_streams.h"
#include "pse/submodels/trust.h"

namespace pse::ws2 {
namespace {
/// Survivors placed at least when a cohort enters `placed` (persons; ASSUMPTION, docs/ODD.md 7.6
/// "Cohort": a placement places someone, max(1, Poisson(cohort_mean))).
constexpr std::uint32_t kMinCohort = 1;
}  // namespace

std::uint32_t government_of(const Network& net, std::uint32_t c) {
    return net.company_government[c] >= 0 ? static_cast<std::uint32_t>(net.company_government[c])
                                          : c % net.government_count;
}

bool government_gate_open(const StepContext& ctx, const ModelState& st, std::uint32_t n,
                          std::uint32_t c) {
    const std::uint32_t G = ctx.net.government_count;
    if (G == 0) return true;
    return !(st.gov_trust[n * G + government_of(ctx.net, c)] < ctx.scenario.ws2.gov_trust_needed);
}

void note_government_contact(const StepContext& ctx, ModelState& st, const Relationship& r) {
    const std::uint32_t G = ctx.net.government_count;
    if (G == 0) return;
    st.gov_contact[r.ngo * G + government_of(ctx.net, r.company)] = 1;
}

bool candidates_matched(const StepContext& ctx, const Relationship& r, const Rng& rng) {
    return rng.chance(rng_phase::ngo_phase(r.ngo, rng_phase::kMatch), 0,
                      ctx.scenario.ws2.match_prob);
}

std::uint32_t cohort_size(const StepContext& ctx, const Relationship& r, const Rng& rng) {
    return std::max<std::uint32_t>(kMinCohort,
                                   rng.poisson(rng_phase::ngo_phase(r.ngo, rng_phase::kCohort), 0,
                                               ctx.scenario.ws2.cohort_mean));
}

void commit_placement(const StepContext& ctx, ModelState& st, Relationship& r,
                      std::uint32_t placed) {
    r.placed += placed;
    r.employed += placed;
    st.counters.placed += placed;
    emit(ctx, st, static_cast<std::int32_t>(r.ngo), r.org, EventType::kPlacement, r.stage,
         Stage::kPlaced);
}

void phase_government_trust(const StepContext& ctx, ModelState& st) {
    const auto& tp = ctx.scenario.trust;
    for (std::size_t k = 0; k < st.gov_trust.size(); ++k) {
        double& T = st.gov_trust[k];
        if (st.gov_contact[k]) {
            T = trust::asymmetric_update(T, tp.quality_co_creation, tp.gain_rate, tp.loss_ratio);
        } else {
            T += tp.decay_rate * (tp.government_prior - T);
        }
    }
    std::fill(st.gov_contact.begin(), st.gov_contact.end(), std::uint8_t{0});
}

void phase_retention(const StepContext& ctx, ModelState& st) {
    const double p = ctx.scenario.ws2.weekly_exit_placed;
    for (auto& r : st.rels) {
        if (r.employed == 0) continue;
        const Rng rng = ctx.relationship_rng(r.company);
        std::uint32_t left = 0;
        for (std::uint32_t i = 0; i < r.employed; ++i)
            if (rng.chance(rng_phase::ngo_phase(r.ngo, rng_phase::kRetention), i, p)) ++left;
        r.employed -= left;
    }
}

}  // namespace pse::ws2
