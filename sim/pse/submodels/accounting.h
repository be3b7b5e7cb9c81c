#pragma once
/// Submodel 7.11 — outcome accounting and observation: counters at stage changes, the weekly
/// series and the run summary (docs/ODD.md section 7.11; indicators vs outcomes after 000
/// Learning 5 and 003 Learning 5 in docs/EVIDENCE.md).
#include "pse/state.h"

namespace pse::accounting {

/// Count what relationship r's stage change (from -> d.to, applied this week) means for the
/// indicators: a first meeting is a low-level action; an agreement counts (with money committed
/// also a high-level action) and records the weeks from first contact; WS2 company discussions
/// count as a partnership agreement unless they are the next cohort of a supported one; the
/// first implementation is recorded.
void on_transition(const StepContext& ctx, ModelState& st, Relationship& r, Stage from, const Decision& d);

/// Phase 8: the weekly series (except the three cascade outcomes, written by the cascade) and
/// the per-stage counts of this week.
void phase_record(const StepContext& ctx, ModelState& st);

/// The run summary (docs/OUTPUT.md) from the series and counters, after the last week.
/// first_start/first_ngo: start week and index of the NGO whose project starts first
/// (first_ngo < 0 if no NGO engages business; then the scenario's horizon is used).
void compute_summary(const StepContext& ctx, ModelState& st, int first_start, int first_ngo);

}  // namespace pse::accounting
