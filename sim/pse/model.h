#pragma once
/// The PSE ecosystem model: one run, stepped week by week.
///
/// One step = one week. `Model::step()` is the ordered list of phases (docs/ODD.md section 3);
/// each phase is a free function of one submodel in sim/pse/submodels/ (one file per
/// docs/ODD.md section 7 subsection), called with a StepContext (what it reads) and the
/// ModelState (what it changes); see state.h.
/// All randomness is Philox keyed by (seed, entity, week, phase, draw) (rng_streams.h): a run is
/// a pure function of (scenario, seed), independent of thread count.
#include <cstdint>
#include <vector>

#include "pse/metrics.h"
#include "pse/network.h"
#include "pse/params.h"
#include "pse/state.h"

namespace pse {

/// Options that do not change results.
struct ModelOptions {
    bool parallel = false;  ///< run per-relationship phases with oneTBB
};

/// The model of one run. Not copyable; not thread-safe (one run per thread; internal phases may
/// use oneTBB when ModelOptions::parallel is set, with identical results).
class Model {
  public:
    /// Build the ecosystem and initial state. seed: the run seed. Throws ModelError on
    /// internal inconsistency.
    Model(const Scenario& s, std::uint64_t seed, ModelOptions opts = {});
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    /// Advance one week: the phases in order. Throws ModelError after the last week.
    void step();
    /// Run all `weeks` steps and compute the summary.
    RunOutput run();

    // --- phases as the tests isolate them (each runs the submodel phases listed) ---
    /// funding::phase_budget_and_end, staffing::phase_capacity.
    void phase_funding();
    /// shocks::phase_shocks.
    void phase_shocks();
    /// outreach::phase_outreach.
    void phase_outreach();
    /// staffing::phase_allocate, accounting::phase_caseload.
    void phase_allocate();
    /// pipeline::phase_decide.
    void phase_engagements();
    /// pipeline::phase_commit, shocks::phase_sister_spillovers, ws2::phase_government_trust,
    /// ws2::phase_retention, cascade::phase_chain_flags.
    void phase_commit();
    /// cascade::phase_cascade.
    void phase_cascade();
    /// accounting::phase_record.
    void phase_record();

    // --- inspection ---
    [[nodiscard]] int week() const { return week_; }
    [[nodiscard]] const Network& network() const { return net_; }
    [[nodiscard]] const std::vector<NgoParams>& ngo_params() const { return ngo_params_; }
    [[nodiscard]] const std::vector<NgoState>& ngo_states() const { return st_.ngo_state; }
    [[nodiscard]] std::vector<NgoState>& ngo_states_mut() { return st_.ngo_state; }
    [[nodiscard]] const std::vector<Relationship>& relationships() const { return st_.rels; }
    [[nodiscard]] std::vector<Relationship>& relationships_mut() { return st_.rels; }
    [[nodiscard]] const Companies& companies() const { return st_.co; }
    /// For tests that set up a state directly. A sentiment set here is decayed only if the
    /// company's sentiment was already non-zero (see ModelState::sentiment_list).
    [[nodiscard]] Companies& companies_mut() { return st_.co; }
    [[nodiscard]] const std::vector<Event>& events() const { return st_.out.events; }
    [[nodiscard]] const RunOutput& output() const { return st_.out; }
    [[nodiscard]] const Scenario& scenario() const { return s_; }
    [[nodiscard]] const ModelState& state() const { return st_; }
    [[nodiscard]] ModelState& state_mut() { return st_; }
    /// The context the phases of the current week receive.
    [[nodiscard]] StepContext context() const {
        return StepContext{s_, ngo_params_, net_, seed_, week_, opts_.parallel};
    }

    /// Prior trust of company c toward NGO n in [0,1] (trust::prior).
    [[nodiscard]] double prior_trust(std::uint32_t ngo, std::uint32_t company) const;
    /// Trust of relationship r at the current week (trust::current).
    [[nodiscard]] double current_trust(const Relationship& r) const;
    /// Month of the year (1..12) of week w (52-week years).
    [[nodiscard]] static int month_of(int week) { return pse::month_of(week); }
    /// Willingness in [0,1] to invest given the remaining project time
    /// (funding::horizon_willingness).
    [[nodiscard]] double horizon_willingness(std::uint32_t ngo, std::uint32_t company) const;
    /// Find or create the relationship (ngo, company); returns its id (outreach::relationship).
    std::uint32_t relationship(std::uint32_t ngo, std::uint32_t company);
    /// Start an engagement of relationship r this week (outreach::start_engagement).
    void start_engagement(std::uint32_t r, Stream stream, bool inbound);
    /// Multiply trust of r by (1 - drop) now (trust::shock).
    void shock_trust(Relationship& r, double drop);

  private:
    Scenario s_;
    std::uint64_t seed_;
    ModelOptions opts_;
    std::vector<NgoParams> ngo_params_;
    Network net_;
    ModelState st_;
    int week_ = 0;
    int first_start_ = 0;          ///< start week of the first project (summary reference)
    std::uint32_t first_ngo_ = 0;  ///< NGO whose project starts first (summary reference)
};

/// Convenience: build a model for (scenario, seed) and run it to the end.
RunOutput run_model(const Scenario& s, std::uint64_t seed, ModelOptions opts = {});

}  // namespace pse
