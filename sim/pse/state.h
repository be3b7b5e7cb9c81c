#pragma once
/// State of one model run and the context every phase receives (docs/ODD.md section 2,
/// "Entities, state variables and scales", and section 3, "Process overview and scheduling").
///
/// The model is split into submodels (sim/pse/submodels/, one file per docs/ODD.md section 7
/// subsection). Each phase is a free function `phase_xxx(const StepContext&, ModelState&)`:
/// the context holds what a phase only reads (scenario, NGO parameters, network, seed, week);
/// ModelState holds everything that changes. Parameters and state of an NGO are therefore
/// `ctx.ngo_params[n]` (NgoParams, fixed for the run) and `st.ngo_state[n]` (NgoState).
#include <array>
#include <cstdint>
#include <limits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pse/metrics.h"
#include "pse/network.h"
#include "pse/params.h"
#include "pse/rng.h"

namespace pse {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// Weeks of a model year (weeks; docs/ODD.md section 2 "Scales": one step is a week, a year is
/// 52 weeks, calendar drift ignored). Integer form for week arithmetic (yearly budgets, months).
inline constexpr int kWeeksPerYearInt = 52;
/// The same as a double, for per-year rates turned into per-week rates (rate / kWeeksPerYear).
inline constexpr double kWeeksPerYear = kWeeksPerYearInt;
/// Months of a year (months; docs/ODD.md section 2 "Scales": decision months 1..12, month_of).
inline constexpr int kMonthsPerYear = 12;

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

/// Owner a partnership is handed over to at the project end (docs/ODD.md 7.2; 000 Learning 3,
/// 003 Next steps). Values stable: column `handover_owner` of the partnership table.
enum class HandoverOwner : std::uint8_t { kNone = 0, kCompany, kGovernment, kAssociation };

/// State of one NGO–organisation relationship (an edge with state, docs/ODD.md section 2).
struct Relationship {
    std::uint32_t ngo = 0;
    AgentId org;                ///< vertex id of the company
    std::uint32_t company = 0;  ///< company index (MNCs first, then suppliers)
    Stream stream = Stream::kNone;
    Stage stage = Stage::kNone;
    bool inbound = false;         ///< the company approached the NGO
    bool access = false;          ///< supply chain opened (trust reached the access threshold)
    bool brokered = false;        ///< NGO linked this partner with a government agency
    bool ready = false;           ///< negotiation concluded; waiting for the decision month to sign
    double trust = 0;             ///< trust in [0,1] as of week trust_week
    std::int32_t trust_week = 0;  ///< week trust was last updated (lazy decay toward prior)
    std::int32_t stage_week = 0;  ///< week the current stage was entered
    std::int32_t first_contact = -1;
    std::int32_t agreement_week = -1;
    std::int32_t last_contact = -1;
    std::uint32_t contacts = 0;  ///< weeks with contact
    std::uint32_t shocks = 0;    ///< trust shocks received
    double effort = 0;           ///< skill-weighted hours allocated this week
    double coverage = 0;         ///< prevention mechanism coverage in [0,1] (implementation)
    double resources_usd = 0;    ///< company money committed, USD
    std::uint32_t placed = 0;    ///< survivors placed through this partnership (WS2)
    std::uint32_t employed = 0;  ///< of those, still employed
    // --- handover (7.2) ---
    double handover_work =
        0;  ///< handover planning received: mean share of the planning need met, [0,1]
    HandoverOwner owner =
        HandoverOwner::kNone;  ///< who took the partnership over at the project end
    // --- observation only (partnership table; no mechanism reads these) ---
    std::int32_t first_meeting_week = -1;  ///< first meeting (WS1) / government consultation (WS2)
    std::int32_t end_week = -1;            ///< week it reached a terminal stage
    Stage ended_at = Stage::kNone;         ///< stage it was in when it ended
    EndCause end_cause = EndCause::kNone;
    bool handed_over = false;        ///< continued company-led after the project end
    double hours_total = 0;          ///< skill-weighted staff hours over the run
    std::uint32_t weeks_worked = 0;  ///< weeks with staff hours > 0
};

/// Per-NGO dynamic state (its parameters stay in NgoParams).
struct NgoState {
    bool active = false;        ///< project running this week
    bool ended = false;         ///< project end has been processed
    std::int32_t end_week = 0;  ///< effective end (after any follow-on), week index
    bool follow_on_decided = false;
    double budget_usd = 0;     ///< yearly budget in effect, USD/year
    double budget_factor = 1;  ///< share of staff the budget pays for, [0,1]
    double dedicated_paid =
        1;  ///< share of the dedicated PSE post the budget pays for, [0,1] (7.1)
    double part_time_paid =
        1;  ///< share of the part-time PSE hours the budget pays for, [0,1] (7.1)
    double prospecting_hours =
        0;  ///< skill-weighted hours spent prospecting new targets this week (7.1, 7.9)
    double staff_hours = 0;  ///< hours available this week
    double skill = 1;        ///< effectiveness multiplier in (0,1]
    double experience_weeks = 0;
    double training_progress = 0;   ///< [0,1]; 1 = trained
    double reputation_penalty = 0;  ///< [0,1): lowers every company's prior trust in this NGO
    std::vector<std::uint32_t> active_rels;  ///< relationship ids in a non-terminal stage
    bool had_engagement = false;
    bool had_agreement = false;
    bool had_continuation = false;
    // --- observation only (NGO table) ---
    double agreements_ws1 = 0, agreements_ws2 = 0, staff_hours_total = 0, engagements_started = 0;
    double partnerships_at_end = kNaN;  ///< post-agreement partnerships in the last project week
};

/// Static per-company attributes drawn at initialisation, and per-company state (structure of
/// arrays; index = company index, MNCs first).
struct Companies {
    std::vector<std::uint8_t> sensitive, has_csr, decision_month, improved, remediation;
    std::vector<double> alignment, ttv_weeks, labour_practice, workers, sentiment;
    std::vector<std::int32_t> improved_week;
    std::vector<double> mech_coverage;  ///< MNCs: max coverage over NGOs (open chains), this week
    std::vector<std::uint8_t> open_chain,
        scrutiny_chain;                  ///< MNCs: chain opened / opened to a scrutiny NGO
    std::vector<double> improved_share;  ///< MNCs: share of their suppliers improved
    // --- attribution of outcomes to partnerships (observation only; relationship id or -1) ---
    std::vector<std::int32_t>
        mech_source;  ///< partnership giving mech_coverage (first of the highest)
    std::vector<std::int32_t>
        open_source;  ///< MNCs: first partnership with the chain open this week
    std::vector<std::int32_t> remediation_by;  ///< partnership whose abuse report set remediation
    std::vector<std::int32_t>
        improved_by;  ///< suppliers: partnership credited with the improvement
    // --- (7.10): mechanism type effects, monitoring pressure, counterfactual ---
    std::vector<double>
        mech_effect;  ///< vulnerability effect of the mechanism giving mech_coverage, this week
    std::vector<double>
        mech_pressure;  ///< max over partnerships of monitoring strength x coverage, this week
    std::vector<double>
        practice_before;  ///< suppliers: labour practice before the (last) improvement
    std::vector<std::uint8_t>
        cf_improved;  ///< suppliers: improved in the counterfactual (no project)
    std::vector<double>
        cf_improved_share;  ///< MNCs: counterfactual share of their suppliers improved
};

/// Everything one run produced.
struct RunOutput {
    int weeks = 0;
    std::vector<double> series;    ///< [week][kSeriesCount], row-major
    std::vector<double> pipeline;  ///< [week][kStageCount] engagements per stage
    std::vector<double> summary;   ///< [kSummaryCount]
    std::vector<Event> events;
    /// Per-run tables (Table order), row-major [rows x kTableSpecs[t].column_count].
    std::array<std::vector<double>, kTableCount> tables;
    std::uint32_t organisations = 0;
    std::size_t edges = 0;
};

/// Running totals kept for the weekly series and the run summary (docs/ODD.md 7.11).
struct Counters {
    double agreements = 0, actions_low = 0, actions_medium = 0, actions_high = 0;
    double placed = 0, resources_usd = 0, abuse = 0, staff_hours_total = 0;
    double ws2_partnerships = 0, initiated = 0, reached_agreement = 0;
    std::vector<double> weeks_to_agreement, weeks_to_implementation;
    double first_implementation = -1;       ///< week of the first WS1 implementation, -1 if none
    std::size_t suppliers_improved = 0;     ///< suppliers improved now (reversions subtract)
    std::size_t suppliers_improved_cf = 0;  ///< the same in the counterfactual
    double suppliers_reverted = 0;          ///< reversion events (with the project)
    double declined = 0;                    ///< WS1 first meetings declined (end cause kDeclined)
    double dissolved =
        0;  ///< partnerships dissolved after agreement, not at the project-end decision
    double handed_over = 0;  ///< partnerships continuing past the project end with an owner
    // --- per work stream (index: Stream value; they partition the totals above) ---
    std::array<double, kStreamCount> agreements_by_stream{}, low_by_stream{}, medium_by_stream{},
        high_by_stream{};
    // --- observation only ---
    double access_opened = 0;  ///< access_opened events
    double caseload_per_fte_sum = 0,
           caseload_weeks = 0;  ///< engagements worked per FTE, summed over staffed weeks
    /// Per stage: engagement-weeks, worked weeks, hours (caseload by stage).
    std::array<double, kStageCount> stage_weeks{}, stage_worked{}, stage_hours{};
    /// Final-week outcome credit (relationship id or -1 for none): workers, vulnerability
    /// reduction.
    std::vector<std::pair<std::int32_t, std::pair<double, double>>> final_credit;
};

/// What a decide step concluded for one relationship this week (written in the pure decision
/// phase, applied in relationship order by the commit phase).
struct Decision {
    Stage to = Stage::kNone;  ///< kNone = no stage change
    EventType event = EventType::kTransition;
    double trust = 0;  ///< trust after this week's update
    bool contact = false;
    double coverage = 0;
    std::uint32_t placed = 0;
    std::uint32_t abuse_supplier = 0;  ///< company index of the supplier where abuse was found
    bool abuse = false;
    bool brokerage = false;
    bool ready = false;  ///< negotiation concluded this week (sign at the decision month)
    double resources = 0;
    EndCause cause = EndCause::kNone;  ///< why it drops or dissolves (observation only)
};

/// Work lists of the supply-chain cascade (reused every week; no per-step allocation once warm).
struct CascadeWork {
    std::vector<std::uint32_t> cand, touched_suppliers, improved_count, chain_touched;
    std::vector<std::uint64_t> cand_bits;  ///< one bit per supplier, clear between weeks
    std::vector<std::uint8_t> improved_now, endorsed_now;  ///< per candidate, this week
    std::vector<double> reach, vr;
    std::vector<std::int32_t> cov_source,
        imp_source;  ///< per candidate: credited partnership or -1
    // counterfactual (no project) per candidate, and per-MNC counterfactual counts
    std::vector<std::uint8_t> reverted_now, cf_improved_now, cf_reverted_now;
    std::vector<double> cf_reach, cf_vr;
    std::vector<std::uint32_t> cf_improved_count;
};

/// Everything of a run that changes over time.
struct ModelState {
    Companies co;
    std::vector<NgoState> ngo_state;
    std::vector<Relationship> rels;
    std::unordered_map<std::uint64_t, std::uint32_t> rel_index;  ///< (ngo << 32 | company) -> id
    std::vector<Decision> decisions;                             ///< [relationship id], this week
    std::vector<double> gov_trust;                               ///< [ngo * government_count + g]
    std::vector<std::uint8_t> gov_contact;  ///< [ngo * government_count + g]: contact this week
    std::vector<std::pair<std::uint32_t, double>> sister_spills;  ///< (NGO, drop) queued this week
    bool ws2_stalled = false;
    /// Companies whose sentiment has ever been changed (the others stay exactly 0, so the weekly
    /// decay skips them; O(changed) instead of O(companies) per week).
    std::vector<std::uint32_t> sentiment_list;
    std::vector<std::uint8_t> sentiment_on;
    CascadeWork cascade;
    Counters counters;
    RunOutput out;

    /// Note that company c's sentiment changed (so that the weekly decay visits it).
    void sentiment_changed(std::uint32_t c) {
        if (!sentiment_on[c]) {
            sentiment_on[c] = 1;
            sentiment_list.push_back(c);
        }
    }
    /// The weekly series row of week w.
    double* series_row(int week) {
        return &out.series[static_cast<std::size_t>(week) * kSeriesCount];
    }
};

/// What every phase reads and never changes: the scenario, the resolved NGO parameters, the
/// network, the run seed and the week. Cheap to copy (references and scalars).
struct StepContext {
    const Scenario& scenario;
    const std::vector<NgoParams>& ngo_params;
    const Network& net;
    std::uint64_t seed;
    int week;
    bool parallel;  ///< run per-entity loops with oneTBB (identical results)

    /// Random stream of NGO n this week.
    [[nodiscard]] Rng ngo_rng(std::uint32_t n) const {
        return Rng(seed, EntityKey{EntityKind::kNgo, n}, static_cast<std::uint32_t>(week));
    }
    /// Random stream of company c this week.
    [[nodiscard]] Rng company_rng(std::uint32_t c) const {
        return Rng(seed, EntityKey{EntityKind::kCompany, c}, static_cast<std::uint32_t>(week));
    }
    /// Random stream of the relationships with company c this week (NGO in the phase word,
    /// rng_phase::ngo_phase).
    [[nodiscard]] Rng relationship_rng(std::uint32_t c) const {
        return Rng(seed, EntityKey{EntityKind::kRelationship, c}, static_cast<std::uint32_t>(week));
    }
};

/// Index of a work stream in the Counters::*_by_stream arrays (its enum value: 1 WS1, 2 WS2).
constexpr std::size_t stream_index(Stream s) {
    return static_cast<std::size_t>(s);
}
inline constexpr std::size_t kWs1 = stream_index(Stream::kPrevention);
inline constexpr std::size_t kWs2 = stream_index(Stream::kSurvivorEmployment);

/// Month of the year (1..kMonthsPerYear) of week w (kWeeksPerYearInt-week years; docs/ODD.md
/// section 2 "Scales" gives the table of weeks per month).
constexpr int month_of(int week) {
    return (week % kWeeksPerYearInt) * kMonthsPerYear / kWeeksPerYearInt + 1;
}
/// Weekly hazard h -> probability 1 - exp(-h) (0 for h <= 0).
double hazard_to_prob(double h);
/// Logistic function 1 / (1 + exp(-x)).
double logistic(double x);
/// x clamped to [0, 1].
double clamp01(double x);

/// Record an event (if the scenario records events). `org`: vertex id of the organisation, or -1
/// (NGO and ecosystem-wide events store the NGO index or -1 there, as docs/OUTPUT.md says).
void emit(const StepContext& ctx, ModelState& st, std::int32_t ngo, std::int64_t org,
          EventType type, Stage from = Stage::kNone, Stage to = Stage::kNone);
/// Record an event about organisation `org`.
inline void emit(const StepContext& ctx, ModelState& st, std::int32_t ngo, AgentId org,
                 EventType type, Stage from = Stage::kNone, Stage to = Stage::kNone) {
    emit(ctx, st, ngo, static_cast<std::int64_t>(org.value), type, from, to);
}
/// Move relationship r to stage `to` this week; an ended relationship holds no staff hours, and
/// its supply chain closes (access_closed event). `cause`: why it ended (terminal stages only).
void set_stage(const StepContext& ctx, ModelState& st, Relationship& r, Stage to,
               EndCause cause = EndCause::kNone);
/// Remove relationships in a terminal stage from every NGO's active list.
void drop_terminal(ModelState& st);
/// Relationship ids of every NGO's active list, in NGO order then list order.
std::vector<std::uint32_t> active_relationships(const ModelState& st);

}  // namespace pse
