#pragma once
/// Submodel 7.2 — funding horizon: yearly budgets, cuts, follow-on, the project end and what
/// the end date does to companies' willingness (docs/ODD.md section 7.2; 003 Learnings 2-3,
/// 000 Introduction and Learning 3 in docs/EVIDENCE.md).
#include <cstdint>

#include "pse/state.h"

namespace pse::funding {

/// Phase 1 (docs/ODD.md 3): activate projects at their start week; decide a follow-on 26 weeks
/// before the end; end projects at their end week (end_project); draw the yearly budget (lognormal
/// with CV budget_cv, cut with budget_cut_prob) and the staff it pays for (pay_staff). NGO index
/// order.
void phase_budget_and_end(const StepContext& ctx, ModelState& st);

/// What a yearly PSE budget b (USD/year) pays for, PSE post last (003 Learning 2: the PSE post
/// is "always cut out"): part_time_paid = min(1, b / C_pt) with C_pt = part_time_staff ·
/// part_time_share · cost_per_fte_year; dedicated_paid = clamp((b - C_pt) / C_post, 0, 1) with
/// C_post = dedicated_fte · cost_per_fte_year; budget_factor = min(1, b / (C_pt + C_post)).
/// A shortfall therefore removes dedicated PSE hours first (docs/ODD.md 7.1, 7.2).
void pay_staff(const NgoParams& p, double budget_usd, NgoState& ns);

/// End NGO n's project this week: every engagement before an agreement is dropped; every
/// partnership continues (sustained / supported, company-led under handover_owner) with
/// continuation_prob (WS1 before implementation: half) or dissolves.
void end_project(const StepContext& ctx, ModelState& st, std::uint32_t ngo);

/// The company's contribution share c = resources/(resources + resources_usd_median) in [0,1)
/// (0 without money committed); 000 Learning 3 (equity of contribution).
double contribution_share(const StepContext& ctx, double resources_usd);

/// Owner a partnership goes to at the project end: without a handover design only the company
/// itself; with one, a government agency when the NGO brokered a tie and the company has one,
/// else the company's association if any, else the company (000 Learnings 3-4; 003 Next steps).
HandoverOwner handover_owner(const StepContext& ctx, const ModelState& st, const Relationship& r);

/// Probability in [0,1] that partnership r continues after the project end:
/// logit p = logit q + handover_trust_slope (T-0.5) + handover_contribution_slope (c-0.5)
/// [+ handover_owner_bonus for an institutional owner under a plan], with q = continue_prob
/// without a handover design and continue_prob + (continue_prob_handover - continue_prob) e with
/// one, e = r.handover_work the planning effort received; q of 0 or 1 is returned as is.
double continuation_prob(const StepContext& ctx, const ModelState& st, const Relationship& r,
                         HandoverOwner owner);

/// Extra effort need (skill-weighted hours/week) of a partnership for its handover plan:
/// handover_hours_per_week in the last handover_planning_weeks before the end (0 < R <= that)
/// when the NGO designs handover and the stage can be handed over (WS1 after agreement, WS2
/// placed / supported); else 0. INTEGRATION: staffing::effort_need may add this so that the
/// allocation gives the plan its own hours; until then the plan shares the stage's hours.
double handover_effort_need(const StepContext& ctx, const NgoParams& p, double remaining_weeks,
                            Stage stage);

/// Share of the combined need (stage + handover) that `effort` hours meet: min(1, effort/(N+H));
/// 1 if nothing is needed. Both the stage work and the plan get this share.
double handover_share(double effort, double stage_need, double handover_need);

/// Willingness in [0,1] of company c to invest when R = end - week project weeks remain:
/// w = logistic((R - E_c) / horizon_scale_weeks) with E_c the company's time to value in weeks;
/// with a handover design w + handover_credibility (1 - w) (003 Learning 3, Next steps; 000
/// Learning 3).
double horizon_willingness(const StepContext& ctx, const ModelState& st, std::uint32_t ngo,
                           std::uint32_t company);

/// Weekly negotiation drop-out probability added by budget uncertainty:
/// budget_uncertainty_drop · budget_cv, times (1 - transparency_effect) with budget
/// transparency (003 Learning 3, Next steps).
double budget_uncertainty_drop(const StepContext& ctx, const NgoParams& p);

/// Weekly dissolution probability of a partnership added by the approaching end date when
/// R project weeks remain: (exit_base + exit_end·exp(-max(0,R)/exit_tau_weeks)), times
/// (1 - transparency_effect) with budget transparency, times (1 - handover_credibility) with a
/// handover design.
double end_exit_hazard(const StepContext& ctx, const NgoParams& p, double remaining_weeks);

/// Weekly probability that a company-led partnership (sustained WS1, supported WS2 after the
/// project end) dissolves: 1 - exp(-sustained_exit_per_year/52).
double company_led_exit_prob(const StepContext& ctx);

}  // namespace pse::funding
