#pragma once
/// Submodel 7.7 — brokerage (medium-level actions) and association diffusion (docs/ODD.md
/// section 7.7; 000 Learning 4, 003 Learning 1 in docs/EVIDENCE.md).
#include <cstdint>

#include "pse/state.h"

namespace pse::brokerage {

/// Decision part: a WS1 partnership in co-creation or implementation that is not brokered yet
/// is linked with a government agency this week with probability
/// 1 - exp(-f·brokerage_per_year/52) (f effort fulfilment); never without agencies.
bool decide(const StepContext& ctx, const Relationship& r, const Rng& rng, double fulfilment);

/// Commit part: r becomes brokered, a medium-level action is counted and trust rises by
/// trust.brokerage_bonus toward 1 (a multiplex tie, which also buffers turnover, 7.4).
void commit(const StepContext& ctx, ModelState& st, Relationship& r);

/// Association diffusion after an agreement with company c: every other member of c's
/// association gains trust.association_bonus of sentiment (cap 1).
void diffuse_agreement(const StepContext& ctx, ModelState& st, std::uint32_t company);

}  // namespace pse::brokerage
