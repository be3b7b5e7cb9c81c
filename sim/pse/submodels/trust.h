#pragma once
/// Submodel 7.3 — trust: prior, asymmetric update toward contact quality, lazy decay, shocks
/// (docs/ODD.md section 7.3; evidence in docs/EVIDENCE.md, anchors named there).
///
/// Every trust formula of the model is written once, here.
#include <cstdint>

#include "pse/state.h"

namespace pse::trust {

/// Prior trust in [0,1] of company c toward NGO n: logistic of firm type, CSR, sector and
/// framing, then scaled by the company's sentiment s in [-1,1] (T + s(1-T) if s >= 0, else
/// T(1+s)) and by the NGO's reputation penalty (docs/ODD.md 7.3).
double prior(const StepContext& ctx, const ModelState& st, std::uint32_t ngo,
             std::uint32_t company);

/// Trust of r in [0,1] at ctx.week: lazy exponential decay toward the prior T0 since
/// r.trust_week, T0 + (T - T0)(1 - decay_rate)^dt.
double current(const StepContext& ctx, const ModelState& st, const Relationship& r);

/// A trust shock: trust of r becomes current·(1 - drop), drop in [0,1]; counts the shock.
void shock(const StepContext& ctx, const ModelState& st, Relationship& r, double drop);

/// Trust raised toward 1 by a bonus b in [0,1]: clamp(T + b(1 - T)) (inbound interest,
/// brokerage).
double boost(double trust, double bonus);

/// Asymmetric update toward contact quality o in [0,1] (Tykhonov et al. 2008; Slovic 1993):
/// T + rate·(o - T) with rate = gain_rate if o >= T, else min(1, gain_rate·loss_ratio).
double asymmetric_update(double trust, double quality, double gain_rate, double loss_ratio);

/// Contact quality o in [0,1] of a week of contact of NGO n with the company of r: the
/// approach's quality times (0.7 + 0.3·objective consistency), less the equity term after an
/// agreement (effort fulfilment f below 1) and the end-salience term when fewer project weeks
/// R remain than the company's time to value (docs/ODD.md 7.3).
double contact_quality(const StepContext& ctx, const ModelState& st, const Relationship& r,
                       double fulfilment, double remaining_weeks, bool post_agreement);

/// Trust in [0,1] company c needs before it opens its supply chain to the NGO (000 Learning 1:
/// companies hesitate to open their supply chains to scrutiny; those that "want to do the right
/// thing" give access): access_threshold - access_alignment_slope (alignment_c - 0.5), clamped
/// to [0,1] (docs/ODD.md 7.3; the slope is an ASSUMPTION).
double access_threshold(const StepContext& ctx, const ModelState& st, std::uint32_t company);

/// Compound a penalty p in [0,1) with a new drop d in [0,1]: 1 - (1 - p)(1 - d).
double compound_penalty(double penalty, double drop);

}  // namespace pse::trust
