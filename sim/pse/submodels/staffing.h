#pragma once
/// Submodel 7.1 — staffing and effort allocation: PSE staff hours, skill, capacity building
/// between NGOs, and how an NGO spreads its hours over its engagements (docs/ODD.md section
/// 7.1; 000 Learnings 2 and 4, 003 Learning 2 in docs/EVIDENCE.md).
#include <cstdint>

#include "pse/state.h"

namespace pse::staffing {

/// Phase 2 (docs/ODD.md 3): for every running project, the week's staff hours
/// H = (dedicated_fte·dedicated_paid + part_time_staff·part_time_share·(1 - switching_overhead)
///     ·part_time_paid) · hours_per_fte_week  (hours/week; paid shares from funding::pay_staff,
///     which cuts the dedicated post first, 003 Learning 2)
/// and skill σ = s0 + (1 - s0)(1 - exp(-experience/skill_learning_weeks)) with s0 between
/// skill_untrained and skill_trained by training progress; then capacity building: a trained
/// NGO with dedicated staff adds capacity_building to the training progress of each tied NGO
/// (increments from this week's state, then applied).
void phase_capacity(const StepContext& ctx, ModelState& st);

/// Phase 5 (docs/ODD.md 3): each NGO spreads A = max(0, σ·H - this week's prospecting hours)
/// skill-weighted hours over its engagements (sustained ones take none). First a reserve
/// ws2_staff_share·A goes to its WS2 engagements in active-list order, each up to its need; the
/// unused reserve returns to the pool (docs/ODD.md 7.6). The rest goes, to every engagement still
/// below its need, by the allocation policy: most_promising (post-agreement first, then
/// trust·alignment; stable sort, ties keep the active-list order), oldest_first (by first contact;
/// stable), or equal_share (water-filling capped at each stage's effort need). Each engagement
/// takes at most its stage's effort_hours in all.
void phase_allocate(const StepContext& ctx, ModelState& st);

/// Staff hours per week a stage needs at full pace (pipeline.<stage>.effort_hours).
double effort_need(const StepContext& ctx, Stage stage);

/// Effort fulfilment f in [0,1]: allocated hours / the stage's need (1 if it needs none).
double fulfilment(const StepContext& ctx, const Relationship& r);

}  // namespace pse::staffing
