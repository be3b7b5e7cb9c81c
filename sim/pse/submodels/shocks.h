#pragma once
/// Submodel 7.4 — shocks and spillovers: sentiment and reputation decay, the tier downgrade,
/// the media shock, the WS2 stall, representative turnover, scrutiny and sister-project
/// spillovers (docs/ODD.md section 7.4; 000 Learning 2, 003 Learnings 1 and intro in
/// docs/EVIDENCE.md).
#include <cstdint>

#include "pse/state.h"

namespace pse::shocks {

/// Phase 3 (docs/ODD.md 3): sentiment and reputation penalties decay by (1 - trust.decay_rate); at
/// shocks.tier_downgrade_week every affiliated NGO's reputation penalty compounds with
/// tier_downgrade_drop and its engagements' trust drops by it; at shocks.media_shock_week every
/// sensitive-sector company's sentiment falls by media_shock_drop (floor -1) and engagements with
/// them lose that share of trust; the WS2 stall flag is set for its window; each company with an
/// active relationship loses its representative with weekly probability 1 - exp(-turnover/52),
/// keeping turnover_retention of trust (more with a multiplex tie, multiplex_buffer).
void phase_shocks(const StepContext& ctx, ModelState& st);

/// Scrutiny spillover after NGO-led scrutiny of company c: its association co-members and supply
/// chain partners lose trust.scrutiny_spillover of sentiment (floor -1) (003 Learning 1).
void spill_scrutiny(const StepContext& ctx, ModelState& st, std::uint32_t company);

/// Queue a reputational spillover of `drop` in [0,1] from NGO n to its sister projects (same
/// implementer); applied by phase_sister_spillovers after the commit loop.
void queue_sister_spillover(ModelState& st, std::uint32_t ngo, double drop);

/// Phase 9 (docs/ODD.md 3): apply the queued sister spillovers in queue order: each sister's
/// reputation penalty compounds with the drop and its engagements' trust drops by it.
void phase_sister_spillovers(const StepContext& ctx, ModelState& st);

/// Company c's sentiment lowered by drop (floor -1).
void lower_sentiment(ModelState& st, std::uint32_t company, double drop);

}  // namespace pse::shocks
