#pragma once
/// Submodel 7.5 — the engagement pipeline: the stage machine of work stream 1 (identified ...
/// implementation, sustained | dropped | dissolved) and the hazards work stream 2 shares with it
/// (docs/ODD.md sections 7.5 and 7.6; 000 Learning 2, 003 Learnings 2 and 5 in
/// docs/EVIDENCE.md). Stage-specific parts of other submodels are called from here: WS2 gates
/// (ws2.h), brokerage (brokerage.h), abuse discovery (abuse.h).
#include <cstdint>

#include "pse/state.h"

namespace pse::pipeline {

/// Share in [0,1] of its proving period a partnership has passed: min(1, (week -
/// agreement_week)/sustain_proving_weeks); 0 before an agreement (002: cooperation runs smoothly
/// once obstacles are overcome). Non-decreasing in age.
double proven_share(const StepContext& ctx, const Relationship& r);

/// Weekly sustaining (baseline) dissolution hazard of a partnership at trust T:
/// min(1, drop_per_week · exp(-sustain_trust_slope (T-0.5) - sustain_contribution_slope c
/// - sustain_alignment_slope (a-0.5)) · (1 - sustain_proven_reduction · proven)), c the company's
/// contribution share, a its true alignment st.co.alignment (hook: a noisy estimate may replace
/// it), proven = proven_share (000 Learning 3; 002). Non-increasing in age, trust, contribution.
double sustaining_hazard(const StepContext& ctx, const ModelState& st, const Relationship& r,
                         double T);

/// The decision for relationship id this week, from week-t state only (pure: writes only d).
/// Order of the tests (docs/ODD.md 7.5): company-led exit after the project; nothing while the
/// project is not running; trust update on contact (7.3); WS2 stall; before agreement: drop,
/// advance (or waiting for the decision month), screens, money at agreement, the WS2 government
/// gate; after agreement: dissolution, brokerage, abuse, coverage ramp, advance, WS2 match and
/// cohort.
void decide(const StepContext& ctx, const ModelState& st, std::uint32_t id, Decision& d);

/// Phase 7 (docs/ODD.md 3): decide() for every active relationship into st.decisions (oneTBB when
/// ctx.parallel and more than 256 active relationships; identical results).
void phase_decide(const StepContext& ctx, ModelState& st);

/// Phase 8 (docs/ODD.md 3): apply the decisions in ascending relationship id: trust and contact,
/// supply-chain access, brokerage, abuse, placements, stage changes with their counters and
/// cross-row effects (scrutiny spillover at a first meeting, association diffusion at an
/// agreement); sister spillovers are queued. Ended relationships leave the NGOs' active lists.
void phase_commit(const StepContext& ctx, ModelState& st);

}  // namespace pse::pipeline
