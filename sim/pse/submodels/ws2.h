#pragma once
/// Submodel 7.6 — work stream 2, survivor employment: the government gate, NGO–government
/// trust, candidate matching, cohorts and retention (docs/ODD.md section 7.6; 003 Overview
/// "Work stream 2", Learning 5 and Learnings intro, 002 in docs/EVIDENCE.md). The stage hazards
/// shared with work stream 1 are in pipeline.h.
#include <cstdint>

#include "pse/state.h"

namespace pse::ws2 {

/// Government agency index of company c: its own agency tie, else c mod G. G > 0.
std::uint32_t government_of(const Network& net, std::uint32_t company);

/// True if NGO n may move company c from government_consulted to company discussions: its
/// trust with c's agency is at least ws2.gov_trust_needed (always true without agencies).
bool government_gate_open(const StepContext& ctx, const ModelState& st, std::uint32_t ngo,
                          std::uint32_t company);

/// Note a week of contact of relationship r with its government agency (stage
/// government_consulted), for this week's government trust update.
void note_government_contact(const StepContext& ctx, ModelState& st, const Relationship& r);

/// Candidates are matched when entering candidates_matched with probability ws2.match_prob;
/// otherwise the partnership dissolves.
bool candidates_matched(const StepContext& ctx, const Relationship& r, const Rng& rng);

/// Cohort placed when a partnership enters `placed`: max(1, Poisson(ws2.cohort_mean)) persons.
std::uint32_t cohort_size(const StepContext& ctx, const Relationship& r, const Rng& rng);

/// Commit a placement of `placed` survivors through r (counts them as placed and employed).
void commit_placement(const StepContext& ctx, ModelState& st, Relationship& r,
                      std::uint32_t placed);

/// Phase 10 (docs/ODD.md 3): NGO–government trust moves toward quality_co_creation in weeks of
/// contact (asymmetric update, 7.3) and otherwise relaxes toward trust.government_prior at
/// decay_rate.
void phase_government_trust(const StepContext& ctx, ModelState& st);

/// Phase 11 (docs/ODD.md 3): each employed survivor leaves the job with weekly probability
/// ws2.weekly_exit_placed (one draw per survivor, including those placed this week).
void phase_retention(const StepContext& ctx, ModelState& st);

}  // namespace pse::ws2
