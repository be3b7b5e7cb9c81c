#include "pse/submodels/brokerage.h"

#include <algorithm>

#include "pse/rng_streams.h"
#include "pse/submodels/trust.h"

namespace pse::brokerage {

bool decide(const StepContext& ctx, const Relationship& r, const Rng& rng, double f) {
    return !r.brokered && ctx.net.government_count > 0 &&
           rng.chance(rng_phase::ngo_phase(r.ngo, rng_phase::kBrokerage), 0,
                      hazard_to_prob(f * ctx.scenario.pipeline.brokerage_per_year / kWeeksPerYear));
}

void commit(const StepContext& ctx, ModelState& st, Relationship& r) {
    r.brokered = true;
    st.counters.actions_medium += 1;
    st.counters.medium_by_stream[stream_index(r.stream)] += 1;
    r.trust = trust::boost(r.trust, ctx.scenario.trust.brokerage_bonus);
    emit(ctx, st, static_cast<std::int32_t>(r.ngo), r.org, EventType::kBrokerage, r.stage, r.stage);
}

void diffuse_agreement(const StepContext& ctx, ModelState& st, std::uint32_t c) {
    const auto& net = ctx.net;
    const auto a = net.company_association[c];
    if (a < 0) return;
    for (auto k = net.members_of.offsets[a]; k < net.members_of.offsets[a + 1]; ++k) {
        const auto m = net.members_of.targets[k];
        if (m != c) {
            st.co.sentiment[m] =
                std::min(1.0, st.co.sentiment[m] + ctx.scenario.trust.association_bonus);
            st.sentiment_changed(m);
        }
    }
}

}  // namespace pse::brokerage
