#pragma once
/// Submodel 7.10 — the supply-chain cascade: chain flags of partnered MNCs, supplier
/// improvement under buyer pressure, scrutiny hiding, buyer endorsement, workers reached and
/// vulnerability reduction (docs/ODD.md section 7.10; 000 Recommendations and Learning 5 in
/// docs/EVIDENCE.md; Watts 2002; Plambeck & Taylor 2016).
#include "pse/state.h"

namespace pse::cascade {

/// Phase 6e: chain flags for this week's cascade from the committed partnerships. For each
/// partnership in implementation or sustained, coverage = r.coverage · (sustained_factor if
/// sustained) · (1 if the chain is open, else closed_chain_reach); an MNC's mech_coverage is the
/// maximum over partnerships; open_chain / scrutiny_chain mark chains open to any NGO / to a
/// scrutiny NGO. Open: trust >= access_threshold (sustained: the access held at handover).
void phase_chain_flags(const StepContext& ctx, ModelState& st);

/// Phase 7: per supplier (pure, parallel when large): if not improved, improvement with
/// probability 1 - exp(-h), h = cascade_base + cascade_per_buyer·(open buyers) +
/// cascade_peer_bonus·[mean improved share of its buyers >= cascade_threshold] +
/// report_remediation·[remediation], times (1 - scrutiny_hiding) if a buyer's chain is open to a
/// scrutiny NGO; workers reached = its workers if covered (own or a buyer's coverage > 0) or
/// improved (including this week's improvement); vulnerability reduction =
/// workers·(1 - (1 - v·coverage)(1 - v·[improved])). Then, in supplier order: improvements,
/// buyer endorsement (sentiment at least trust.buyer_endorsement when a buyer's chain is open),
/// MNCs' improved shares; writes the series workers_reached, vulnerability_reduction and
/// suppliers_improved of this week.
void phase_cascade(const StepContext& ctx, ModelState& st);

}  // namespace pse::cascade
