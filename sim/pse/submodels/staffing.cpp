#include "pse/submodels/staffing.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "pse/submodels/engagement.h"
#include "pse/submodels/trust.h"

namespace pse::staffing {
namespace {
/// Priority bonus of a partnership under most_promising: ranks every partnership above every
/// engagement before agreement, whose trust·alignment is at most 1 (score points; ASSUMPTION,
/// docs/ODD.md 7.1).
constexpr double kPostAgreementPriority = 2.0;
/// Water-filling stops when the hours left are below this (hours; numerical tolerance).
constexpr double kHoursEpsilon = 1e-12;
}  // namespace

void phase_capacity(const StepContext& ctx, ModelState& st) {
    for (std::uint32_t n = 0; n < ctx.ngo_params.size(); ++n) {
        const NgoParams& p = ctx.ngo_params[n];
        NgoState& ns = st.ngo_state[n];
        if (!p.engages_business || !ns.active || ns.ended) continue;
        // The budget pays the part-time PSE hours first and the dedicated post last
        // (funding::pay_staff).
        ns.staff_hours = (p.dedicated_fte * ns.dedicated_paid +
                          p.part_time_staff * p.part_time_share * (1.0 - p.switching_overhead) *
                              ns.part_time_paid) *
                         p.hours_per_fte_week;
        const double s0 =
            p.skill_untrained + (p.skill_trained - p.skill_untrained) * ns.training_progress;
        ns.skill =
            s0 + (1.0 - s0) * (1.0 - std::exp(-ns.experience_weeks / p.skill_learning_weeks));
        if (ns.staff_hours > 0) ns.experience_weeks += 1.0;
    }
    // Capacity building between tied NGOs (000 Learning 4): trained NGOs with dedicated staff
    // pass training on. Increments are computed from this week's state, then applied.
    const auto N = ctx.ngo_params.size();
    std::vector<double> gain(N, 0.0);
    for (std::uint32_t n = 0; n < N; ++n) {
        const auto& p = ctx.ngo_params[n];
        const auto& ns = st.ngo_state[n];
        if (!ns.active || p.capacity_building <= 0 || ns.training_progress < 1.0 ||
            p.dedicated_fte <= 0)
            continue;
        for (auto k = ctx.net.ngo_ties.offsets[n]; k < ctx.net.ngo_ties.offsets[n + 1]; ++k)
            gain[ctx.net.ngo_ties.targets[k]] += p.capacity_building;
    }
    for (std::size_t n = 0; n < N; ++n)
        st.ngo_state[n].training_progress =
            std::min(1.0, st.ngo_state[n].training_progress + gain[n]);
}

double effort_need(const StepContext& ctx, Stage stage) {
    return ctx.scenario.pipeline.stage[static_cast<std::size_t>(stage)].effort_hours;
}

double fulfilment(const StepContext& ctx, const Relationship& r) {
    const double need = effort_need(ctx, r.stage);
    return need > 0 ? std::min(1.0, r.effort / need) : 1.0;
}

namespace {
/// Give the engagements of `work`, in that order, the hours each still needs (effort_need minus
/// effort already given) until `remaining` (skill-weighted hours) runs out.
void fill_in_order(const StepContext& ctx, std::vector<Relationship>& rels,
                   const std::vector<std::uint32_t>& work, double& remaining) {
    for (auto id : work) {
        const double e = std::min(effort_need(ctx, rels[id].stage) - rels[id].effort, remaining);
        rels[id].effort += e;
        remaining -= e;
        if (remaining <= 0) break;
    }
}

/// `work` sorted by the most_promising priority (docs/ODD.md 7.1): partnerships first
/// (kPostAgreementPriority), then trust x estimated alignment, highest first; ties keep their
/// active-list order.
void sort_most_promising(const StepContext& ctx, const ModelState& st,
                         std::vector<std::uint32_t>& work) {
    std::vector<double> score(work.size());
    for (std::size_t i = 0; i < work.size(); ++i) {
        const auto& r = st.rels[work[i]];
        score[i] = (is_post_agreement(r.stage) ? kPostAgreementPriority : 0.0) +
                   trust::current(ctx, st, r) * engagement::alignment_estimate(ctx, st, r);
    }
    std::vector<std::size_t> order(work.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](auto a, auto b) { return score[a] > score[b]; });
    std::vector<std::uint32_t> sorted;
    sorted.reserve(work.size());
    for (auto i : order) sorted.push_back(work[i]);
    work.swap(sorted);
}

/// Water-filling (equal_share): equal shares of `remaining` hours, each capped at what an
/// engagement still needs, repeated over those still short until the hours run out.
void water_fill(const StepContext& ctx, std::vector<Relationship>& rels,
                const std::vector<std::uint32_t>& work, double& remaining) {
    auto need = [&](std::uint32_t id) { return effort_need(ctx, rels[id].stage); };
    std::vector<std::uint32_t> open = work;
    while (!open.empty() && remaining > kHoursEpsilon) {
        const double share = remaining / static_cast<double>(open.size());
        std::vector<std::uint32_t> next;
        for (auto id : open) {
            const double gap = need(id) - rels[id].effort;
            const double e = std::min(gap, share);
            rels[id].effort += e;
            remaining -= e;
            if (need(id) - rels[id].effort > kHoursEpsilon) next.push_back(id);
        }
        if (next.size() == open.size()) break;  // everyone took a full share
        open.swap(next);
    }
}
}  // namespace

void phase_allocate(const StepContext& ctx, ModelState& st) {
    auto& rels = st.rels;
    for (std::uint32_t n = 0; n < ctx.ngo_params.size(); ++n) {
        NgoState& ns = st.ngo_state[n];
        std::vector<std::uint32_t> work;
        for (auto id : ns.active_rels) {
            rels[id].effort = 0;
            if (ns.active && rels[id].stage != Stage::kSustained) work.push_back(id);
        }
        const double total = std::max(0.0, ns.staff_hours * ns.skill - ns.prospecting_hours);
        if (work.empty() || total <= 0) continue;
        auto need = [&](std::uint32_t id) { return effort_need(ctx, rels[id].stage); };
        // Hours reserved for survivor employment (7.6) go to WS2 engagements first, in active-list
        // order; what they leave unused returns to the common pool.
        double reserve = ctx.ngo_params[n].ws2_staff_share * total;
        double remaining = total - reserve;
        for (auto id : work) {
            if (reserve <= 0) break;
            if (rels[id].stream != Stream::kSurvivorEmployment) continue;
            const double e = std::min(need(id), reserve);
            rels[id].effort = e;
            reserve -= e;
        }
        remaining += reserve;
        std::erase_if(
            work, [&](std::uint32_t id) { return need(id) - rels[id].effort <= kHoursEpsilon; });
        if (work.empty() || remaining <= 0) continue;
        switch (ctx.ngo_params[n].allocation) {
            case AllocationPolicy::kMostPromising:
                sort_most_promising(ctx, st, work);
                fill_in_order(ctx, rels, work, remaining);
                break;
            case AllocationPolicy::kOldestFirst:
                std::stable_sort(work.begin(), work.end(), [&](auto a, auto b) {
                    return rels[a].first_contact < rels[b].first_contact;
                });
                fill_in_order(ctx, rels, work, remaining);
                break;
            case AllocationPolicy::kEqualShare:
                water_fill(ctx, rels, work, remaining);
                break;
        }
    }
}

}  // namespace pse::staffing
