#pragma once
/// Submodel 7.12 — the company's decision to engage (docs/ODD.md section 7.12; 000 Learnings 1-2,
/// Recommendations; 003 Learnings 3-4, Next steps; 002 screening).
///
/// Data flow: pipeline::decide_pre_agreement asks, when an identified company would move to a
/// first meeting, whether it accepts (accept_prob); the same hesitation logit enters the
/// interest-alignment screen, which the NGO judges on its noisy alignment_estimate; after the
/// screen, true alignment scales the advance hazards (alignment_factor) and adds a drop-out term
/// (misalignment_drop). All functions are pure (read-only state, counter-based draws) and
/// thread-safe.
#include <cstdint>

#include "pse/state.h"

namespace pse::engagement {

/// True if company c is exposed to home-country law: an MNC with probability
/// engagement.legal_exposure_share, fixed for the run (company stream kLegalExposure, week 0).
bool legally_exposed(const StepContext& ctx, std::uint32_t c);

/// Hesitation logit (>= 0 except with a negative enforcement_fear) of company c toward NGO n:
///   budget_cv_weight·budget_cv·(1 - transparency_effect if the budget is shared)
/// + horizon_weight·(1 - w)
/// + framing_penalty·(framing_local_factor if a supplier)·(framing_sensitive_factor if sensitive)
///   when the NGO frames its work as 'trafficking'
/// + tier_downgrade_hesitation if n is affiliated and the week is in the downgrade window
/// + media_shock_hesitation if c is sensitive and the week is in the media-shock window
/// + (legal_fear + enforcement_fear in the enforcement window) if c is legally exposed.
/// w in [0,1] is the horizon willingness (funding::horizon_willingness).
double hesitation(const StepContext& ctx, const ModelState& st, std::uint32_t n, std::uint32_t c,
                  double w);

/// P(company accepts a first meeting) = logistic(accept_intercept + accept_trust·T - hesitation),
/// in (0,1).
double accept_prob(const StepContext& ctx, const ModelState& st, std::uint32_t n, std::uint32_t c,
                   double T, double w);

/// The NGO's estimate of company c's alignment after `contacts` weeks of contact:
/// clamp01(a + sd·z), sd = alignment_noise_sd / sqrt(1 + contacts/screen_contacts), z a standard
/// normal fixed per (NGO, company) (relationship stream kAlignNoise, week 0). Used in targeting,
/// the most_promising allocation score and the alignment screen.
double alignment_estimate(const StepContext& ctx, const ModelState& st, std::uint32_t n,
                          std::uint32_t c, std::uint32_t contacts = 0);
/// alignment_estimate for relationship r (its NGO, company and contact weeks).
double alignment_estimate(const StepContext& ctx, const ModelState& st, const Relationship& r);

/// sd of the estimate after `contacts` weeks of contact (see alignment_estimate).
double estimate_sd(const StepContext& ctx, std::uint32_t contacts);

/// Multiplier 1 - alignment_weight·(1 - a) in [1 - alignment_weight, 1] of the advance hazards from
/// interests aligned to negotiation (true alignment a of company c). Also for co-creation and a
/// post-agreement sustaining term (callers in decide_post_agreement).
double alignment_factor(const StepContext& ctx, const ModelState& st, std::uint32_t c);

/// Extra weekly drop-out misalignment_drop·(1 - a) in the stages after the alignment screen and
/// before agreement (true alignment a of company c).
double misalignment_drop(const StepContext& ctx, const ModelState& st, std::uint32_t c);

}  // namespace pse::engagement
