#include "pse/submodels/abuse.h"

#include "pse/rng_streams.h"
#include "pse/submodels/shocks.h"
#include "pse/submodels/trust.h"

namespace pse::abuse {

void decide(const StepContext& ctx, const ModelState& st, const Relationship& r, const Rng& rng, Decision& d) {
    const auto& net = ctx.net;
    const std::uint32_t c = r.company;
    if (!r.access || !net.is_mnc(c) || net.suppliers_of.row_size(c) == 0) return;
    const auto k = net.suppliers_of.offsets[c] +
                   rng.below(rng_phase::ngo_phase(r.ngo, rng_phase::kAbusePick), 0, net.suppliers_of.row_size(c));
    const auto sup = net.suppliers_of.targets[k];
    if (rng.chance(rng_phase::ngo_phase(r.ngo, rng_phase::kAbuse), 0,
                   ctx.scenario.outcomes.abuse_per_year / kWeeksPerYear * (1.0 - st.co.labour_practice[sup])))
        d.abuse = true, d.abuse_supplier = sup;
}

void commit(const StepContext& ctx, ModelState& st, std::uint32_t id, const Decision& d) {
    Relationship& r = st.rels[id];
    const auto n = static_cast<std::int32_t>(r.ngo);
    const auto& tp = ctx.scenario.trust;
    st.counters.abuse += 1;
    emit(ctx, st, n, r.org, EventType::kAbuseFound, r.stage, r.stage);
    if (ctx.ngo_params[r.ngo].abuse_policy == AbusePolicy::kReport) {
        trust::shock(ctx, st, r, ctx.scenario.outcomes.report_trust_drop);
        if (!st.co.remediation[d.abuse_supplier] && !ctx.net.is_mnc(d.abuse_supplier))
            st.cascade.touched_suppliers.push_back(d.abuse_supplier - ctx.net.mnc_count);
        if (!st.co.remediation[d.abuse_supplier]) st.co.remediation_by[d.abuse_supplier] = static_cast<std::int32_t>(id);
        st.co.remediation[d.abuse_supplier] = 1;  // the abused supplier gets remediation pressure
        emit(ctx, st, n, r.org, EventType::kAbuseReported, r.stage, r.stage);
        shocks::queue_sister_spillover(st, r.ngo, tp.sister_spillover);
    } else {
        const Rng rng = ctx.relationship_rng(r.company);
        if (rng.chance(rng_phase::ngo_phase(r.ngo, rng_phase::kNdaLeak), 0, ctx.scenario.outcomes.nda_leak_prob)) {
            emit(ctx, st, n, r.org, EventType::kNdaLeak, r.stage, r.stage);
            auto& ns = st.ngo_state[r.ngo];
            ns.reputation_penalty = trust::compound_penalty(ns.reputation_penalty, tp.sister_spillover);
            shocks::queue_sister_spillover(st, r.ngo, tp.sister_spillover);
        }
    }
}

}  // namespace pse::abuse
