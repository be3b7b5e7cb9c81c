#pragma once
/// Submodel 7.8 — abuse discovery: report versus non-disclosure (docs/ODD.md section 7.8;
/// 003 Learning 4 in docs/EVIDENCE.md).
#include <cstdint>

#include "pse/state.h"

namespace pse::abuse {

/// Decision part: a WS1 partnership in co-creation or implementation with supply-chain access
/// to an MNC inspects one of its suppliers s (uniform) each week and finds abuse with
/// probability abuse_per_year/52 · (1 - labour_practice_s). Sets d.abuse and d.abuse_supplier.
void decide(const StepContext& ctx, const ModelState& st, const Relationship& r, const Rng& rng,
            Decision& d);

/// Commit part: counts the case. With abuse_policy = report: r's trust drops by
/// report_trust_drop, the supplier gets remediation pressure (7.10), and the company leaves with
/// report_exit_prob(trust after the drop); returns true then (the caller dissolves r with
/// EndCause::kAbuseReport). The NGO's reputation is untouched. With non_disclosure: trust and
/// partnership are kept, no remediation; with nda_leak_prob the case leaks: the NGO's reputation
/// penalty compounds with nda_leak_drop and a sister spillover of sister_spillover is queued
/// (shocks.h). Returns false. `id` is the relationship id (credited with the remediation, 7.10).
/// 003 Learning 4.
bool commit(const StepContext& ctx, ModelState& st, std::uint32_t id, const Decision& d);

/// Probability that the company ends the partnership after a report: report_exit_prob ·
/// (1 - trust_after), in [0,1].
double report_exit_prob(const StepContext& ctx, double trust_after);

}  // namespace pse::abuse
