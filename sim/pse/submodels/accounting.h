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
void on_transition(const StepContext& ctx, ModelState& st, Relationship& r, Stage from,
                   const Decision& d);

/// Phase 6 (docs/ODD.md 3; observation only): caseload after effort allocation: engagements worked
/// (staff hours > 0) this week, in total and per FTE of running projects (dedicated_fte +
/// part_time_staff·part_time_share); engagement-weeks, worked weeks and hours per stage; each
/// relationship's hours and weeks worked.
void phase_caseload(const StepContext& ctx, ModelState& st);

/// Phase 14 (docs/ODD.md 3): the weekly series (except the three cascade outcomes, written by the
/// cascade) and the per-stage counts of this week.
void phase_record(const StepContext& ctx, ModelState& st);

/// The run summary (docs/OUTPUT.md) from the series and counters, after the last week.
/// first_start/first_ngo: start week and index of the NGO whose project starts first
/// (first_ngo < 0 if no NGO engages business; then the scenario's horizon is used).
void compute_summary(const StepContext& ctx, ModelState& st, int first_start, int first_ngo);

/// The per-run tables (partnerships, NGOs, stages; docs/OUTPUT.md) after the last week.
void build_tables(const StepContext& ctx, ModelState& st);

}  // namespace pse::accounting
