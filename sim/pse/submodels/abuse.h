#pragma once
/// Submodel 7.8 — abuse discovery: report versus non-disclosure (docs/ODD.md section 7.8;
/// 003 Learning 4 in docs/EVIDENCE.md).
#include <cstdint>

#include "pse/state.h"

namespace pse::abuse {

/// Decision part: a WS1 partnership in co-creation or implementation with supply-chain access
/// to an MNC inspects one of its suppliers s (uniform) each week and finds abuse with
/// probability abuse_per_year/52 · (1 - labour_practice_s). Sets d.abuse and d.abuse_supplier.
void decide(const StepContext& ctx, const ModelState& st, const Relationship& r, const Rng& rng, Decision& d);

/// Commit part: counts the case; with abuse_policy = report, r's trust drops by
/// report_trust_drop, the supplier gets remediation pressure (7.10) and a sister spillover is
/// queued; with non_disclosure, a leak with probability nda_leak_prob compounds the NGO's
/// reputation penalty with sister_spillover and queues a sister spillover.
/// `id` is the relationship id (st.rels[id]); it is credited with the remediation (7.10).
void commit(const StepContext& ctx, ModelState& st, std::uint32_t id, const Decision& d);

}  // namespace pse::abuse
