#include "pse/submodels/funding.h"

#include <algorithm>
#include <cmath>

#include "pse/rng_streams.h"

namespace pse::funding {
namespace {
constexpr int kFollowOnNoticeWeeks = 26;  ///< ASSUMPTION (docs/ODD.md 7.2): donors decide half a year ahead
}  // namespace

void pay_staff(const NgoParams& p, double budget_usd, NgoState& ns) {
    // The PSE post goes first (003 Learning 2: "We always include it and it's always cut out"):
    // the part-time PSE hours of program staff are paid first, the dedicated post from what is left.
    const double pt_cost = p.part_time_staff * p.part_time_share * p.cost_per_fte_year;
    const double post_cost = p.dedicated_fte * p.cost_per_fte_year;
    const double b = std::max(0.0, budget_usd);
    ns.part_time_paid = pt_cost > 0 ? std::min(1.0, b / pt_cost) : 1.0;
    ns.dedicated_paid = post_cost > 0 ? std::clamp((b - pt_cost) / post_cost, 0.0, 1.0) : 1.0;
    const double cost = pt_cost + post_cost;
    ns.budget_factor = cost > 0 ? std::min(1.0, b / cost) : 1.0;
}

void phase_budget_and_end(const StepContext& ctx, ModelState& st) {
    const int t = ctx.week;
    for (std::uint32_t n = 0; n < ctx.ngo_params.size(); ++n) {
        const NgoParams& p = ctx.ngo_params[n];
        NgoState& ns = st.ngo_state[n];
        if (!p.engages_business || ns.ended) continue;
        if (t == p.start_week) ns.active = true;
        if (!ns.active) continue;
        const Rng rng = ctx.ngo_rng(n);
        if (!ns.follow_on_decided && t >= ns.end_week - kFollowOnNoticeWeeks) {
            ns.follow_on_decided = true;
            if (rng.chance(rng_phase::kFollowOn, 0, p.follow_on_prob)) {
                ns.end_week += p.follow_on_weeks;
                emit(ctx, st, static_cast<std::int32_t>(n), n, EventType::kFollowOn);
            }
        }
        if (t >= ns.end_week) {
            end_project(ctx, st, n);
            continue;
        }
        if ((t - p.start_week) % 52 == 0) {
            const double sigma = std::sqrt(std::log(1.0 + p.budget_cv * p.budget_cv));
            double b = p.budget_usd_per_year * std::exp(sigma * rng.normal(rng_phase::kBudget, 0) - 0.5 * sigma * sigma);
            if (rng.chance(rng_phase::kCut, 0, p.budget_cut_prob)) {
                b *= p.budget_cut_factor;
                emit(ctx, st, static_cast<std::int32_t>(n), n, EventType::kBudgetCut);
            }
            ns.budget_usd = b;
            pay_staff(p, b, ns);
        }
    }
}

void end_project(const StepContext& ctx, ModelState& st, std::uint32_t n) {
    NgoState& ns = st.ngo_state[n];
    ns.ended = true;
    ns.active = false;
    ns.staff_hours = 0;
    const auto& p = ctx.ngo_params[n];
    const auto& pp = ctx.scenario.pipeline;
    for (auto id : ns.active_rels) {
        Relationship& r = st.rels[id];
        const Stage from = r.stage;
        Stage to = Stage::kDropped;
        if (from == Stage::kSustained) continue;
        if (is_post_agreement(from)) {
            const Rng rng = ctx.relationship_rng(r.company);
            const auto phase = rng_phase::ngo_phase(n, rng_phase::kEnd);
            const double pc = p.handover ? pp.continue_prob_handover : pp.continue_prob;
            if (is_ws1(from)) {
                // ASSUMPTION (docs/ODD.md 7.2): a partnership not yet implementing continues half as often.
                const double f = from == Stage::kImplementation ? 1.0 : 0.5;
                to = rng.chance(phase, 0, pc * f) ? Stage::kSustained : Stage::kDissolved;
            } else {
                const bool placing = from == Stage::kPlaced || from == Stage::kSupported;
                to = placing && rng.chance(phase, 0, pc) ? Stage::kSupported : Stage::kDissolved;
            }
            if (to != Stage::kDissolved) {
                ns.had_continuation = true;
                r.handed_over = true;
            }
        }
        if (to == from) continue;
        set_stage(ctx, st, r, to, is_terminal(to) ? EndCause::kProjectEnd : EndCause::kNone);
        emit(ctx, st, static_cast<std::int32_t>(n), r.org, EventType::kProjectEnd, from, to);
    }
    std::erase_if(ns.active_rels, [&st](std::uint32_t id) { return is_terminal(st.rels[id].stage); });
}

double horizon_willingness(const StepContext& ctx, const ModelState& st, std::uint32_t n, std::uint32_t c) {
    if (ctx.ngo_params[n].handover) return 1.0;
    const double R = st.ngo_state[n].end_week - ctx.week;
    return logistic((R - st.co.ttv_weeks[c]) / ctx.scenario.pipeline.horizon_scale_weeks);
}

double budget_uncertainty_drop(const StepContext& ctx, const NgoParams& p) {
    const auto& pp = ctx.scenario.pipeline;
    return pp.budget_uncertainty_drop * p.budget_cv * (p.budget_transparency ? 1.0 - pp.transparency_effect : 1.0);
}

double end_exit_hazard(const StepContext& ctx, const NgoParams& p, double R) {
    if (p.handover) return 0.0;
    const auto& pp = ctx.scenario.pipeline;
    return (pp.exit_base + pp.exit_end * std::exp(-std::max(0.0, R) / pp.exit_tau_weeks)) *
           (p.budget_transparency ? 1.0 - pp.transparency_effect : 1.0);
}

double company_led_exit_prob(const StepContext& ctx) {
    return hazard_to_prob(ctx.scenario.pipeline.sustained_exit_per_year / kWeeksPerYear);
}

}  // namespace pse::funding
