#pragma once
/// Submodel 7.9 — outreach and targeting: inbound leads from outreach events, proactive WS1
/// targeting after landscape mapping, WS2 targeting of listed companies (docs/ODD.md section
/// 7.9; 000 Learning 2 and Recommendations, 002 in docs/EVIDENCE.md).
#include <cstdint>

#include "pse/state.h"

namespace pse::outreach {

/// Phase 4 (docs/ODD.md 3), per running NGO with staff hours (NGO index order); this week's
/// prospecting hours are reset to 0 first:
/// 1. events ~ Poisson(outreach_events_per_year/52), each a low-level action; leads ~
///    Poisson(events·leads_per_event), each the readiest (alignment + sentiment) of
///    inbound_draws uniform draws over all companies, inbound (002 Conclusions: successes
///    mostly follow initiation by businesses already interested);
/// 2. if fewer than max_pipeline WS1 engagements are before agreement (counted after this
///    week's inbound leads), k = min(Poisson(targets_per_month·12/52), the free places,
///    capacity_for_targets) targets; they cost k·prospecting_hours of this week's hours
///    (NgoState::prospecting_hours, deducted in phase_allocate). Each target is the best of 5
///    draws by alignment + 0.3·CSR + sentiment over the MNCs (targeting = mnc_focus), the
///    suppliers (local_firms), or, in mixed, the MNCs with probability 1/3 (stream
///    kTargetPool, draw i) and the suppliers otherwise; over all companies if only one kind exists;
/// 3. with work_stream_2 and no WS2 stall, Poisson(ws2_targets_per_year/52) WS2 targets, each
///    the best of 5 draws over all companies among those on a government list or in an
///    association, by alignment + sentiment.
/// Draws are made over the whole pool; a draw of a company this NGO has engaged already (or
/// that is not eligible) is discarded; if all draws of a lead or target are discarded it brings
/// no engagement (the lead or target is lost, nothing is redrawn).
void phase_outreach(const StepContext& ctx, ModelState& st);

/// New proactive targets NGO n's staff can take on this week (docs/ODD.md 7.1): with free =
/// σ·H - Σ effort_need(stage) over its non-sustained engagements - this week's prospecting
/// hours, floor(free / (prospecting_hours + effort_need(identified))), 0 if free is below one
/// target's cost (unlimited if a target costs nothing and free >= 0).
std::uint32_t capacity_for_targets(const StepContext& ctx, const ModelState& st, std::uint32_t ngo);

/// Id of the relationship (ngo, company), created at its prior trust if it does not exist.
std::uint32_t relationship(const StepContext& ctx, ModelState& st, std::uint32_t ngo,
                           std::uint32_t company);

/// Start an engagement of relationship id this week: stage identified (WS1) or ws2_identified
/// (WS2); trust decayed to this week, raised by trust.inbound_bonus toward 1 if inbound; first
/// contact = this week (the week the company is identified, not the first meeting).
void start_engagement(const StepContext& ctx, ModelState& st, std::uint32_t id, Stream stream,
                      bool inbound);

}  // namespace pse::outreach
