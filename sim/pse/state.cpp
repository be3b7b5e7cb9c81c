#include "pse/state.h"

#include <algorithm>
#include <cmath>

namespace pse {

double logistic(double x) {
    return 1.0 / (1.0 + std::exp(-x));
}
double clamp01(double x) {
    return std::min(1.0, std::max(0.0, x));
}
double hazard_to_prob(double h) {
    return h <= 0 ? 0.0 : 1.0 - std::exp(-h);
}

void emit(const StepContext& ctx, ModelState& st, std::int32_t ngo, std::int64_t org,
          EventType type, Stage from, Stage to) {
    if (ctx.scenario.record_events)
        st.out.events.push_back(Event{ctx.week, ngo, org, type, from, to});
}

void set_stage(const StepContext& ctx, ModelState& st, Relationship& r, Stage to, EndCause cause) {
    const Stage from = r.stage;
    r.stage = to;
    r.stage_week = ctx.week;
    if (is_terminal(to)) {
        r.effort = 0;  // an ended relationship holds no staff hours
        r.end_week = ctx.week;
        r.ended_at = from;
        r.end_cause = cause;
        if (cause == EndCause::kDeclined && r.stream == Stream::kPrevention)
            st.counters.declined += 1;
        if (to == Stage::kDissolved && is_post_agreement(from) && cause != EndCause::kProjectEnd)
            st.counters.dissolved += 1;
        if (r.access) {  // an ended partnership's chain is no longer open to the NGO
            r.access = false;
            emit(ctx, st, static_cast<std::int32_t>(r.ngo), r.org, EventType::kAccessClosed, from,
                 to);
        }
    }
}

void drop_terminal(ModelState& st) {
    for (auto& ns : st.ngo_state)
        std::erase_if(ns.active_rels,
                      [&st](std::uint32_t id) { return is_terminal(st.rels[id].stage); });
}

std::vector<std::uint32_t> active_relationships(const ModelState& st) {
    std::vector<std::uint32_t> work;
    for (const auto& ns : st.ngo_state)
        work.insert(work.end(), ns.active_rels.begin(), ns.active_rels.end());
    return work;
}

}  // namespace pse
