#include "pse/submodels/abuse.h"

#include <algorithm>

#include "pse/rng_streams.h"
#include "pse/submodels/shocks.h"
#include "pse/submodels/trust.h"

namespace pse::abuse {

void decide(const StepContext& ctx, const ModelState& st, const Relationship& r, const Rng& rng,
            Decision& d) {
    const auto& net = ctx.net;
    const std::uint32_t c = r.company;
    if (!r.access || !net.is_mnc(c) || net.suppliers_of.row_size(c) == 0) return;
    const auto k =
        net.suppliers_of.offsets[c] + rng.below(rng_phase::ngo_phase(r.ngo, rng_phase::kAbusePick),
                                                0, net.suppliers_of.row_size(c));
    const auto sup = net.suppliers_of.targets[k];
    if (rng.chance(rng_phase::ngo_phase(r.ngo, rng_phase::kAbuse), 0,
                   ctx.scenario.outcomes.abuse_per_year / kWeeksPerYear *
                       (1.0 - st.co.labour_practice[sup])))
        d.abuse = true, d.abuse_supplier = sup;
}

bool commit(const StepContext& ctx, ModelState& st, std::uint32_t id, const Decision& d) {
    Relationship& r = st.rels[id];
    const auto n = static_cast<std::int32_t>(r.ngo);
    const auto& tp = ctx.scenario.trust;
    const auto& oc = ctx.scenario.outcomes;
    const Rng rng = ctx.relationship_rng(r.company);
    st.counters.abuse += 1;
    emit(ctx, st, n, r.org, EventType::kAbuseFound, r.stage, r.stage);
    if (ctx.ngo_params[r.ngo].abuse_policy == AbusePolicy::kReport) {
        // Reporting: the partner's trust drops, the supplier gets remediation pressure, the
        // NGO's reputation is protected (no leak can follow), and the company may leave.
        trust::shock(ctx, st, r, oc.report_trust_drop);
        if (!st.co.remediation[d.abuse_supplier] && !ctx.net.is_mnc(d.abuse_supplier))
            st.cascade.touched_suppliers.push_back(d.abuse_supplier - ctx.net.mnc_count);
        if (!st.co.remediation[d.abuse_supplier])
            st.co.remediation_by[d.abuse_supplier] = static_cast<std::int32_t>(id);
        st.co.remediation[d.abuse_supplier] = 1;  // the abused supplier gets remediation pressure
        emit(ctx, st, n, r.org, EventType::kAbuseReported, r.stage, r.stage);
        return rng.chance(rng_phase::ngo_phase(r.ngo, rng_phase::kReportExit), 0,
                          report_exit_prob(ctx, r.trust));
    }
    // Non-disclosure: the partnership and its trust are kept, the supplier gets no remediation;
    // a leak costs the NGO nda_leak_drop of reputation and spills over to its sister projects.
    if (rng.chance(rng_phase::ngo_phase(r.ngo, rng_phase::kNdaLeak), 0, oc.nda_leak_prob)) {
        emit(ctx, st, n, r.org, EventType::kNdaLeak, r.stage, r.stage);
        auto& ns = st.ngo_state[r.ngo];
        ns.reputation_penalty = trust::compound_penalty(ns.reputation_penalty, oc.nda_leak_drop);
        shocks::queue_sister_spillover(st, r.ngo, tp.sister_spillover);
    }
    return false;
}

double report_exit_prob(const StepContext& ctx, double trust_after) {
    return std::clamp(ctx.scenario.outcomes.report_exit_prob * (1.0 - trust_after), 0.0, 1.0);
}

}  // namespace pse::abuse
