#pragma once
/// Submodel 7.5 — the engagement pipeline: the stage machine of work stream 1 (identified ...
/// implementation, sustained | dropped | dissolved) and the hazards work stream 2 shares with it
/// (docs/ODD.md sections 7.5 and 7.6; 000 Learning 2, 003 Learnings 2 and 5 in
/// docs/EVIDENCE.md). Stage-specific parts of other submodels are called from here: WS2 gates
/// (ws2.h), brokerage (brokerage.h), abuse discovery (abuse.h).
#include <cstdint>

#include "pse/state.h"

namespace pse::pipeline {

/// The decision for relationship id this week, from week-t state only (pure: writes only d).
/// Order of the tests (docs/ODD.md 7.5): company-led exit after the project; nothing while the
/// project is not running; trust update on contact (7.3); WS2 stall; before agreement: drop,
/// advance (or waiting for the decision month), screens, money at agreement, the WS2 government
/// gate; after agreement: dissolution, brokerage, abuse, coverage ramp, advance, WS2 match and
/// cohort.
void decide(const StepContext& ctx, const ModelState& st, std::uint32_t id, Decision& d);

/// Phase 5: decide() for every active relationship into st.decisions (oneTBB when
/// ctx.parallel and more than 256 active relationships; identical results).
void phase_decide(const StepContext& ctx, ModelState& st);

/// Phase 6a: apply the decisions in ascending relationship id: trust and contact, supply-chain
/// access, brokerage, abuse, placements, stage changes with their counters and cross-row
/// effects (scrutiny spillover at a first meeting, association diffusion at an agreement);
/// sister spillovers are queued. Ended relationships leave the NGOs' active lists.
void phase_commit(const StepContext& ctx, ModelState& st);

}  // namespace pse::pipeline
