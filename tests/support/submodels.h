#pragma once
// Shared helpers of the submodel tests (tests/submodels/): a small scenario in which nothing
// happens unless the test makes it happen, and direct access to one week's context and state.
#include <cstdint>
#include <vector>

#include "pse/model.h"
#include "pse/submodels/outreach.h"
#include "support/fixtures.h"

namespace pse::test {

/// test::small_scenario() with every spontaneous process switched off: no outreach, no WS2,
/// no turnover, no CSR change, no brokerage, no abuse, no budget cuts or budget noise, no shocks.
/// A test switches on only the mechanism it isolates.
inline Scenario quiet_scenario() {
    Scenario s = small_scenario();
    s.ngo_defaults.outreach_events_per_year = 0;
    s.ngo_defaults.targets_per_month = 0;
    s.ngo_defaults.work_stream_2 = false;
    s.ngo_defaults.budget_cut_prob = 0;
    s.ngo_defaults.budget_cv = 0;
    s.company.turnover_per_year = 0;
    s.company.csr_change_prob = 0;
    s.pipeline.brokerage_per_year = 0;
    s.outcomes.abuse_per_year = 0;
    return s;
}

/// The context of week `week` for model m (the phases of that week would receive it).
inline StepContext context_at(const Model& m, int week) {
    StepContext c = m.context();
    return StepContext{c.scenario, c.ngo_params, c.net, c.seed, week, false};
}

/// Find or create relationship (ngo, company) and start a WS1 (or WS2) engagement this week.
inline std::uint32_t engage(Model& m, std::uint32_t ngo, std::uint32_t company,
                            Stream stream = Stream::kPrevention, bool inbound = false) {
    const StepContext ctx = m.context();
    const auto id = outreach::relationship(ctx, m.state_mut(), ngo, company);
    outreach::start_engagement(ctx, m.state_mut(), id, stream, inbound);
    return id;
}

/// Count of recorded events of one type.
inline std::size_t count_events(const Model& m, EventType type) {
    std::size_t k = 0;
    for (const auto& e : m.events()) k += e.type == type;
    return k;
}

}  // namespace pse::test
