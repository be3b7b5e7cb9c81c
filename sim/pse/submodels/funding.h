#pragma once
/// Submodel 7.2 — funding horizon: yearly budgets, cuts, follow-on, the project end and what
/// the end date does to companies' willingness (docs/ODD.md section 7.2; 003 Learnings 2-3,
/// 000 Introduction and Learning 3 in docs/EVIDENCE.md).
#include <cstdint>

#include "pse/state.h"

namespace pse::funding {

/// Phase 1a: activate projects at their start week; decide a follow-on 26 weeks before the
/// end; end projects at their end week (end_project); draw the yearly budget (lognormal with
/// CV budget_cv, cut with budget_cut_prob) and the staff it pays for (pay_staff). NGO index order.
void phase_budget_and_end(const StepContext& ctx, ModelState& st);

/// What a yearly PSE budget b (USD/year) pays for, PSE post last (003 Learning 2: the PSE post
/// is "always cut out"): part_time_paid = min(1, b / C_pt) with C_pt = part_time_staff ·
/// part_time_share · cost_per_fte_year; dedicated_paid = clamp((b - C_pt) / C_post, 0, 1) with
/// C_post = dedicated_fte · cost_per_fte_year; budget_factor = min(1, b / (C_pt + C_post)).
/// A shortfall therefore removes dedicated PSE hours first (docs/ODD.md 7.1, 7.2).
void pay_staff(const NgoParams& p, double budget_usd, NgoState& ns);

/// End NGO n's project this week: every engagement before an agreement is dropped; every
/// partnership continues (sustained / supported) with continue_prob (handover:
/// continue_prob_handover; WS1 before implementation: half) or dissolves.
void end_project(const StepContext& ctx, ModelState& st, std::uint32_t ngo);

/// Willingness in [0,1] of company c to invest when R = end - week project weeks remain:
/// logistic((R - E_c) / horizon_scale_weeks) with E_c the company's time to value in weeks;
/// 1 with handover (003 Learning 3, 000 Learning 3).
double horizon_willingness(const StepContext& ctx, const ModelState& st, std::uint32_t ngo, std::uint32_t company);

/// Weekly negotiation drop-out probability added by budget uncertainty:
/// budget_uncertainty_drop · budget_cv, times (1 - transparency_effect) with budget
/// transparency (003 Learning 3, Next steps).
double budget_uncertainty_drop(const StepContext& ctx, const NgoParams& p);

/// Weekly dissolution probability of a partnership added by the approaching end date when
/// R project weeks remain: (exit_base + exit_end·exp(-max(0,R)/exit_tau_weeks)), times
/// (1 - transparency_effect) with budget transparency; 0 with handover.
double end_exit_hazard(const StepContext& ctx, const NgoParams& p, double remaining_weeks);

/// Weekly probability that a company-led partnership (sustained WS1, supported WS2 after the
/// project end) dissolves: 1 - exp(-sustained_exit_per_year/52).
double company_led_exit_prob(const StepContext& ctx);

}  // namespace pse::funding
