#pragma once
/// The PSE ecosystem model: agent state and the weekly step.
///
/// One step = one week. `Model::step()` runs these phases in order (each a member function that
/// can be tested alone; see docs/ODD.md "Process overview and scheduling"):
///   1. funding      — donors draw yearly PSE budgets, cuts, follow-on; project end handling
///   2. shocks       — tier downgrade, media shock, representative turnover, WS2 stall
///   3. outreach     — inbound leads from events; proactive targeting (WS1 and WS2)
///   4. allocate     — each NGO spreads its staff hours over its engagements by its policy
///   5. engagements  — per relationship: pipeline hazards, gates, trust update (reads week-t
///                     state, writes a Decision per relationship; no cross-row writes)
///   6. commit       — apply decisions in relationship order, emit events, spillovers, abuse
///   7. cascade      — suppliers improve under pressure from partnered buyers (pull, per supplier)
///   8. record       — weekly series
/// All randomness is Philox keyed by (seed, entity, week, phase, draw): a run is a pure function
/// of (scenario, seed), independent of thread count.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "pse/metrics.h"
#include "pse/network.h"
#include "pse/params.h"

namespace pse {

/// One recorded event (see EventType). `org` is the organisation's vertex id (AgentId);
/// `ngo` is the NGO index or -1 for ecosystem-wide events.
struct Event {
    std::int32_t week;
    std::int32_t ngo;
    std::int64_t org;
    EventType type;
    Stage from;
    Stage to;
};

/// State of one NGO–organisation relationship (an edge with state, BRIEF.md "world").
struct Relationship {
    std::uint32_t ngo = 0;
    AgentId org = 0;               ///< vertex id of the company or government agency
    std::uint32_t company = 0;     ///< company index (MNCs first, then suppliers)
    Stream stream = Stream::kNone;
    Stage stage = Stage::kNone;
    bool inbound = false;          ///< the company approached the NGO
    bool access = false;           ///< supply chain opened (trust reached the access threshold)
    bool brokered = false;         ///< NGO linked this partner with a government agency
    bool ready = false;            ///< negotiation concluded; waiting for the decision month to sign
    double trust = 0;              ///< trust in [0,1] as of week trust_week
    std::int32_t trust_week = 0;   ///< week trust was last updated (lazy decay toward prior)
    std::int32_t stage_week = 0;   ///< week the current stage was entered
    std::int32_t first_contact = -1;
    std::int32_t agreement_week = -1;
    std::int32_t last_contact = -1;
    std::uint32_t contacts = 0;    ///< weeks with contact
    std::uint32_t shocks = 0;      ///< trust shocks received
    double effort = 0;             ///< skill-weighted hours allocated this week
    double coverage = 0;           ///< prevention mechanism coverage in [0,1] (implementation)
    double resources_usd = 0;      ///< company money committed
    std::uint32_t placed = 0;      ///< survivors placed through this partnership (WS2)
    std::uint32_t employed = 0;    ///< of those, still employed
};

/// Per-NGO dynamic state (parameters stay in NgoParams).
struct NgoState {
    bool active = false;           ///< project running this week
    bool ended = false;            ///< project end has been processed
    std::int32_t end_week = 0;     ///< effective end (after any follow-on)
    bool follow_on_decided = false;
    double budget_usd = 0;         ///< yearly budget in effect
    double budget_factor = 1;      ///< share of staff the budget pays for, [0,1]
    double staff_hours = 0;        ///< hours available this week
    double skill = 1;              ///< effectiveness multiplier in (0,1]
    double experience_weeks = 0;
    double training_progress = 0;  ///< [0,1]; 1 = trained
    double reputation_penalty = 0; ///< [0,1): lowers every company's prior trust in this NGO
    std::vector<std::uint32_t> active_rels;  ///< relationship ids in a non-terminal stage
    bool had_engagement = false;
    bool had_agreement = false;
    bool had_continuation = false;
};

/// Options that do not change results.
struct ModelOptions {
    bool parallel = false;         ///< run per-relationship phases with oneTBB
};

/// Everything one run produced.
struct RunOutput {
    int weeks = 0;
    std::vector<double> series;     ///< [week][kSeriesCount], row-major
    std::vector<double> pipeline;   ///< [week][kStageCount] engagements per stage
    std::vector<double> summary;    ///< [kSummaryCount]
    std::vector<Event> events;
    std::uint32_t organisations = 0;
    std::size_t edges = 0;
};

/// Static per-company attributes drawn at initialisation (structure of arrays).
struct Companies {
    std::vector<std::uint8_t> sensitive, has_csr, decision_month, improved, remediation;
    std::vector<double> alignment, ttv_weeks, labour_practice, workers, sentiment;
    std::vector<std::int32_t> improved_week;
    std::vector<double> mech_coverage;   ///< MNCs: max coverage over NGOs (open chains), this week
    std::vector<std::uint8_t> open_chain, scrutiny_chain;  ///< MNCs: chain opened / opened to a scrutiny NGO
    std::vector<double> improved_share;  ///< MNCs: share of their suppliers improved
};

/// The model of one run. Not copyable; not thread-safe (one run per thread; internal phases may
/// use oneTBB when ModelOptions::parallel is set, with identical results).
class Model {
public:
    /// Build the ecosystem and initial state. seed: the run seed. Throws ModelError on
    /// internal inconsistency.
    Model(const Scenario& s, std::uint64_t seed, ModelOptions opts = {});

    /// Advance one week (the phases listed at the top of this header).
    void step();
    /// Run all `weeks` steps and compute the summary.
    RunOutput run();

    // --- phases (public so tests can isolate them) ---
    void phase_funding();
    void phase_shocks();
    void phase_outreach();
    void phase_allocate();
    void phase_engagements();
    void phase_commit();
    void phase_cascade();
    void phase_record();

    // --- inspection ---
    [[nodiscard]] int week() const { return week_; }
    [[nodiscard]] const Network& network() const { return net_; }
    [[nodiscard]] const std::vector<NgoParams>& ngo_params() const { return ngos_; }
    [[nodiscard]] const std::vector<NgoState>& ngo_states() const { return ngo_; }
    [[nodiscard]] std::vector<NgoState>& ngo_states_mut() { return ngo_; }
    [[nodiscard]] const std::vector<Relationship>& relationships() const { return rels_; }
    [[nodiscard]] std::vector<Relationship>& relationships_mut() { return rels_; }
    [[nodiscard]] const Companies& companies() const { return co_; }
    /// For tests that set up a state directly. A sentiment set here is decayed only if the
    /// company's sentiment was already non-zero (see sentiment_list_).
    [[nodiscard]] Companies& companies_mut() { return co_; }
    [[nodiscard]] const std::vector<Event>& events() const { return out_.events; }
    [[nodiscard]] const RunOutput& output() const { return out_; }
    [[nodiscard]] const Scenario& scenario() const { return s_; }

    /// Prior trust of company c toward NGO n in [0,1] (EVIDENCE §5.2): logistic of firm type, CSR,
    /// sector and framing, then scaled by the company's sentiment and the NGO's reputation.
    [[nodiscard]] double prior_trust(std::uint32_t ngo, std::uint32_t company) const;
    /// Trust of relationship r at the current week (lazy decay toward the prior since trust_week).
    [[nodiscard]] double current_trust(const Relationship& r) const;
    /// Month of the year (1..12) of week w (52-week years).
    [[nodiscard]] static int month_of(int week) { return (week % 52) * 12 / 52 + 1; }
    /// Willingness in [0,1] of a company with expected time to value E to invest when R weeks of
    /// project remain: logistic((R - E)/s); 1 with handover (003 Learning 3, 000 Learning 3).
    [[nodiscard]] double horizon_willingness(std::uint32_t ngo, std::uint32_t company) const;
    /// Find or create the relationship (ngo, company); returns its id.
    std::uint32_t relationship(std::uint32_t ngo, std::uint32_t company);
    /// Start an engagement (stage identified of the stream) on relationship r this week.
    void start_engagement(std::uint32_t r, Stream stream, bool inbound);
    /// Multiply trust of r by (1 - drop) now (a shock).
    void shock_trust(Relationship& r, double drop);

private:
    struct Decision {
        Stage to = Stage::kNone;      ///< kNone = no stage change
        EventType event = EventType::kTransition;
        double trust = 0;             ///< trust after this week's update
        bool contact = false;
        double coverage = 0;
        std::uint32_t placed = 0;
        std::uint32_t abuse_supplier = 0;  ///< company index of the supplier where abuse was found
        bool abuse = false;
        bool brokerage = false;
        bool ready = false;           ///< negotiation concluded this week (sign at the decision month)
        double resources = 0;
    };
    void decide(std::uint32_t r, Decision& d) const;
    void end_project(std::uint32_t n);
    void emit(std::int32_t ngo, std::int64_t org, EventType type, Stage from = Stage::kNone, Stage to = Stage::kNone);
    void set_stage(Relationship& r, Stage to);
    void spill_scrutiny(std::uint32_t company);
    void spill_sisters(std::uint32_t ngo, double drop);
    void compute_summary();

    Scenario s_;
    std::uint64_t seed_;
    ModelOptions opts_;
    std::vector<NgoParams> ngos_;
    Network net_;
    Companies co_;
    std::vector<NgoState> ngo_;
    std::vector<Relationship> rels_;
    std::unordered_map<std::uint64_t, std::uint32_t> rel_index_;
    std::vector<Decision> decisions_;
    std::vector<double> gov_trust_;       ///< [ngo * government_count + g]
    // Cascade work lists (reused every week; no per-step allocation once warm).
    std::vector<std::uint32_t> cand_, touched_suppliers_, improved_count_, chain_touched_;
    std::vector<std::uint64_t> cand_bits_;  ///< cascade: one bit per supplier, clear between weeks
    /// Companies whose sentiment has ever been changed (the others stay exactly 0, so the weekly
    /// decay skips them; identical results, O(changed) instead of O(companies) per week).
    std::vector<std::uint32_t> sentiment_list_;
    std::vector<std::uint8_t> sentiment_on_;
    void sentiment_changed(std::uint32_t c) {
        if (!sentiment_on_[c]) {
            sentiment_on_[c] = 1;
            sentiment_list_.push_back(c);
        }
    }
    std::vector<std::uint8_t> newly_;
    std::vector<double> reach_, vr_;
    std::size_t suppliers_improved_ = 0;
    int week_ = 0;
    int first_start_ = 0, first_end_ = 0;
    std::uint32_t first_ngo_ = 0;  ///< NGO whose project starts first (summary reference)
    bool ws2_stalled_ = false;
    // cumulative counters
    double agreements_ = 0, actions_low_ = 0, actions_medium_ = 0, actions_high_ = 0;
    double placed_ = 0, resources_ = 0, abuse_ = 0, staff_hours_total_ = 0;
    double ws2_partnerships_ = 0, initiated_ = 0, reached_agreement_ = 0;
    std::vector<double> weeks_to_agreement_, weeks_to_implementation_;
    double first_implementation_ = -1;
    RunOutput out_;
};

/// Convenience: build a model for (scenario, seed) and run it to the end.
RunOutput run_model(const Scenario& s, std::uint64_t seed, ModelOptions opts = {});

}  // namespace pse
