#pragma once
/// Scenario parameters: typed structs with defaults, and the field table that drives the TOML
/// loader, `--set key=value` overrides, validation and the generated reference (docs/SCENARIOS.md).
///
/// Data flow: TOML file --(scenario_loader)--> Scenario (validated once) --> Model.
/// Every default below is documented in the field table (params.cpp) with its unit, valid range
/// and source; numbers not taken from a source are marked "assumption" there and in docs/ODD.md.
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "pse/stages.h"

namespace pse {

enum class Approach : std::uint8_t { kCoCreation = 0, kScrutiny = 1 };
enum class Framing : std::uint8_t { kSafeMigration = 0, kTrafficking = 1 };
enum class AllocationPolicy : std::uint8_t {
    kMostPromising = 0,
    kOldestFirst = 1,
    kEqualShare = 2
};
enum class AbusePolicy : std::uint8_t { kReport = 0, kNonDisclosure = 1 };
/// Whom the NGO proactively targets (docs/ODD.md 7.9): MNCs only, local firms
/// (suppliers) only, or a mix with a third MNCs (002 Experiences: partners "equally distributed
/// between local, small/medium and large enterprises").
enum class TargetingStrategy : std::uint8_t { kMncFocus = 0, kLocalFirms = 1, kMixed = 2 };

/// Per-stage pipeline parameters (one table per stage under [pipeline.<stage>]).
struct StageParams {
    double effort_hours = 4.0;    ///< staff hours/week needed to work this stage at full pace
    double mean_weeks = 6.0;      ///< mean weeks in stage at full effort and full trust
    double drop_per_week = 0.01;  ///< baseline weekly probability of dropping out, [0,1]
};

/// One NGO / CTIP project. Defaults come from [ngo_defaults]; each [[ngo]] overrides them.
struct NgoParams {
    std::string name = "project";
    std::string implementer = "implementer";  ///< projects with the same implementer are sisters
    double dedicated_fte = 1.0;               ///< full-time PSE specialists, FTE
    double part_time_staff = 2.0;             ///< other staff doing PSE on the side, persons
    double part_time_share = 0.1;             ///< share of a part-timer's week spent on PSE, [0,1]
    double switching_overhead =
        0.205;  ///< share of part-time PSE hours lost to task switching, [0,1]
    double hours_per_fte_week = 40.0;  ///< working hours per FTE-week
    bool trained = true;               ///< staff received PSE training
    double skill_untrained = 0.6;  ///< effectiveness multiplier of untrained, inexperienced staff
    double skill_trained = 0.85;   ///< effectiveness multiplier of trained, inexperienced staff
    double skill_learning_weeks =
        104;  ///< e-folding weeks for experience to close the skill gap to 1
    Approach approach = Approach::kCoCreation;
    Framing framing = Framing::kSafeMigration;
    double objective_consistency = 1.0;  ///< how consistently staff present PSE objectives, [0,1]
    bool affiliated = true;        ///< donor-affiliated (e.g. US-funded): hit by tier downgrades
    bool engages_business = true;  ///< the NGO does PSE at all
    int start_week = 0;            ///< project start, week index
    int end_week = 260;            ///< project end (exclusive), week index
    bool handover = false;         ///< handover to the company designed in from the start
    double budget_usd_per_year = 150000;  ///< expected yearly PSE budget, USD
    double budget_cv = 0.2;               ///< coefficient of variation of the yearly budget draw
    double budget_cut_prob = 0.1;         ///< yearly probability the PSE line is cut
    double budget_cut_factor = 0.4;       ///< share of the budget left after a cut, [0,1]
    double cost_per_fte_year = 60000;  ///< USD a PSE FTE costs per year (budget → usable effort)
    bool budget_transparency = false;  ///< budget shared with partners for the life of an activity
    double follow_on_prob = 0.0;       ///< probability the donor extends the project at its end
    int follow_on_weeks = 156;         ///< length of an extension, weeks
    double outreach_events_per_year = 6;  ///< public events / speaking engagements per year
    double leads_per_event = 0.5;         ///< expected inbound company leads per event
    double targets_per_month = 2;  ///< companies proactively targeted per month (landscape mapping)
    int max_pipeline = 12;         ///< policy cap on concurrent pre-agreement WS1 engagements
    // --- caseload, WS2 staffing and targeting strategy (docs/ODD.md 7.1, 7.6, 7.9) ---
    double prospecting_hours =
        4.0;  ///< skill-weighted staff hours one proactive target costs, hours
    double ws2_staff_share =
        0.2;                ///< share of skill-weighted hours reserved for WS2 engagements, [0,1]
    int inbound_draws = 8;  ///< an inbound lead is the readiest of this many companies
    TargetingStrategy targeting = TargetingStrategy::kMncFocus;
    AllocationPolicy allocation = AllocationPolicy::kMostPromising;
    bool work_stream_2 = true;        ///< runs survivor-employment engagements
    double ws2_targets_per_year = 4;  ///< companies approached for survivor employment per year
    AbusePolicy abuse_policy = AbusePolicy::kReport;
    double capacity_building = 0.0;  ///< weekly skill transfer to tied NGOs when trained, [0,1]
};

/// Generator for a population of independent NGOs (e.g. the 27 surveyed NGOs of
/// 002_0e02f701a4c0d3f5.txt). Generated NGOs start from [ngo_defaults].
struct NgoPopulationParams {
    int implementers = 0;  ///< 0: each generated NGO is its own implementer; k: NGO i belongs to
                           ///< implementer i mod k (sister projects)
    int count = 0;         ///< number of generated NGOs
    double engages_business_prob = 0.8;     ///< LSI: 80% target business
    double dedicated_staff_prob = 0.11;     ///< LSI: 11% (3 of 27) have dedicated PSE staff
    double dedicated_fte = 1.0;             ///< FTE of those with dedicated staff
    double part_time_staff_mean = 5.31;     ///< mean part-time staff (Poisson), persons
    double trained_prob = 0.3;              ///< AS L2: little training; assumption
    double scrutiny_prob = 0.1;             ///< share taking a scrutiny approach; assumption
    double trafficking_framing_prob = 0.5;  ///< share using "trafficking" framing; assumption
    double handover_prob = 0.629;  ///< share designing handover in; calibrated (docs/VALIDATION.md)
};

/// All parameters of one scenario. A run is a pure function of (Scenario, seed).
struct Scenario {
    // [run]
    std::string name = "default";
    std::string description;
    int weeks = 416;                ///< simulated weeks (8 years: 5-year project + 3 after)
    std::uint64_t seed = 20260101;  ///< seed of the run (a sweep derives its own)
    bool record_events = true;

    // [ecosystem]
    struct Ecosystem {
        int mnc_count = 100;
        int supplier_count = 2000;
        int government_count = 4;
        int association_count = 3;
        double suppliers_per_mnc_min = 5;
        double suppliers_per_mnc_alpha = 1.6;
        double supplier_preferential = 0.5;
        double sensitive_sector_share = 0.25;
        double mnc_csr_prob = 0.7;
        double supplier_csr_prob = 0.1;
        double mnc_alignment_mean = 0.5;
        double supplier_alignment_mean = 0.3;
        double alignment_concentration = 4;
        double association_membership_prob = 0.3;
        double government_tie_prob = 0.2;
        double ngo_tie_prob = 0.3;
        double workers_per_supplier_median = 150;
        double workers_per_supplier_sigma = 1.0;
        double mnc_labour_practice_mean = 0.7;
        double supplier_labour_practice_mean = 0.4;
    } ecosystem;

    // [company]
    struct Company {
        int decision_month = 0;             ///< 0 = each company draws its month uniformly
        double time_to_value_weeks = 69.3;  ///< median weeks a company expects to need for value
        double time_to_value_sigma = 0.4;
        double turnover_per_year = 0.2;
        double csr_change_prob = 0.1;
        double resources_usd_median = 50000;
        double resources_usd_sigma = 1.0;
    } company;

    // [trust]
    struct Trust {
        double prior_logit = -0.6;
        double prior_mnc_bonus = 0.8;
        double prior_csr_bonus = 0.4;
        double prior_sensitive_penalty = 0.8;
        double prior_trafficking_penalty = 0.6;
        double inbound_bonus = 0.15;
        double gain_rate = 0.0449;
        double loss_ratio = 2.5;
        double decay_rate = 0.01;
        double quality_co_creation = 0.85;
        double quality_scrutiny = 0.45;
        double equity_weight = 0.3;
        double access_threshold = 0.6;
        double access_alignment_slope =
            0.6;  ///< threshold falls by this per unit of alignment above 0.5
        double trust_exponent = 1.0;
        double scrutiny_spillover = 0.05;
        double sister_spillover = 0.08;
        double turnover_retention = 0.6;
        double multiplex_buffer = 0.5;
        double end_salience = 0.3;
        double brokerage_bonus = 0.05;
        double association_bonus = 0.03;
        double buyer_endorsement = 0.3;
        double government_prior = 0.35;
    } trust;

    // [pipeline]
    struct Pipeline {
        std::array<StageParams, kStageCount>
            stage{};  ///< indexed by Stage; only active stages used
        double alignment_intercept = -1.5;
        double alignment_slope = 4.0;
        double alignment_csr = 1.0;
        double screen_reject_scale = 0.3;
        bool annual_gate = true;
        double horizon_scale_weeks = 26;
        double horizon_drop = 0.02;
        double budget_uncertainty_drop = 0.05;
        double transparency_effect = 0.5;
        double exit_base = 0.001;
        double exit_end = 0.02;
        double exit_tau_weeks = 26;
        double low_activity_hazard = 0.02;
        double continue_prob = 0.272;
        double continue_prob_handover = 0.6;
        double sustained_exit_per_year = 0.1;
        double inbound_alignment_bonus = 0.2;
        double brokerage_per_year = 2.0;
        // --- sustaining (7.5) and handover (7.2) ---
        double sustain_trust_slope = 2.0;
        double sustain_contribution_slope = 1.0;
        double sustain_alignment_slope = 1.0;
        double sustain_proving_weeks = 52;
        double sustain_proven_reduction = 0.6;
        double handover_credibility = 0.5;
        double handover_planning_weeks = 26;
        double handover_hours_per_week = 2.0;
        double handover_trust_slope = 4.0;
        double handover_contribution_slope = 2.0;
        double handover_owner_bonus = 0.5;
    } pipeline;

    // [outcomes]
    struct Outcomes {
        double vulnerability_reduction = 0.2;
        double sustained_factor = 0.7;
        double cascade_base = 0;  ///< ASSUMPTION: no background improvement by default (see
                                  ///< docs/ODD.md 7.10, counterfactual)
        double cascade_per_buyer = 0.01;
        double cascade_peer_bonus = 0.02;
        double cascade_threshold = 0.5;
        double scrutiny_hiding = 0.5;
        double abuse_per_year = 0.2;
        double report_trust_drop = 0.3;
        double report_remediation = 0.05;
        double nda_leak_prob = 0.1;
        double closed_chain_reach = 0.1;
        // --- abuse dilemma (7.8) ---
        double report_exit_prob = 0.3;
        double nda_leak_drop = 0.2;
        // --- (7.10): mechanism types, company money, reversion, counterfactual ---
        double mech_weight_code = 0.4;         ///< relative weight of a supplier code of conduct
        double mech_weight_voice = 0.25;       ///< ... of a worker voice / grievance channel
        double mech_weight_recruitment = 0.2;  ///< ... of responsible recruitment
        double mech_weight_audit = 0.15;       ///< ... of monitoring / social audit
        double mech_effect_code = 0.05;  ///< vulnerability reduction at full coverage, per type
        double mech_effect_voice = 0.25;
        double mech_effect_recruitment = 0.3;
        double mech_effect_audit = 0.15;
        double mech_monitoring_code = 0.1;  ///< monitoring strength against reversion, per type
        double mech_monitoring_voice = 0.6;
        double mech_monitoring_recruitment = 0.3;
        double mech_monitoring_audit = 0.9;
        double money_depth_floor = 0.5;  ///< coverage depth without company money
        double money_half_usd = 50000;   ///< money giving half of the remaining depth
        double reversion_per_year =
            0.5;  ///< reversion rate of an improved supplier without pressure
    } outcomes;

    // [ws2]
    struct Ws2 {
        double gov_trust_needed = 0.45;
        double match_prob = 0.11;
        double cohort_mean = 1.5;
        double weekly_exit_placed = 0.01;
    } ws2;

    // [shocks]
    struct Shocks {
        int tier_downgrade_week = -1;
        double tier_downgrade_drop = 0.15;
        int media_shock_week = -1;
        double media_shock_drop = 0.2;
        int ws2_stall_start_week = -1;
        int ws2_stall_weeks = 0;
    } shocks;

    /// (docs/ODD.md 7.12): the company's decision to engage. Logit terms of the
    /// first-meeting acceptance and the interest-alignment screen; the NGO's noisy alignment
    /// estimate; true alignment in the later stage hazards; shock windows; legal exposure.
    struct Engagement {
        double accept_intercept = 1.81;  ///< logit of P(accept first meeting) at trust 0
        double accept_trust = 3.0;       ///< logit per unit trust
        double budget_cv_weight = 2.0;   ///< hesitation logit per unit budget CV
        double horizon_weight = 1.5;     ///< hesitation logit at horizon willingness 0 (x (1-w))
        double framing_penalty = 0.3;    ///< hesitation logit of 'trafficking' framing for an MNC
        double framing_local_factor = 2.5;  ///< multiplier of framing_penalty for a local supplier
        double framing_sensitive_factor = 2.0;  ///< multiplier for a sensitive-sector firm
        int tier_downgrade_weeks = 52;          ///< weeks the tier-downgrade hesitation lasts
        double tier_downgrade_hesitation =
            1.0;                     ///< hesitation logit toward affiliated NGOs meanwhile
        int media_shock_weeks = 52;  ///< weeks the media-shock hesitation lasts
        double media_shock_hesitation =
            1.0;  ///< hesitation logit of sensitive-sector firms meanwhile
        double legal_exposure_share = 0.3;  ///< share of MNCs exposed to home-country law
        double legal_fear = 0.7;            ///< hesitation logit of an exposed MNC
        int enforcement_week = -1;          ///< week of a home-country enforcement event (-1 none)
        int enforcement_weeks = 52;         ///< weeks its effect lasts
        double enforcement_fear = 1.0;  ///< logit added to exposed firms' fear (negative lowers it)
        double alignment_noise_sd = 0.25;  ///< sd of the NGO's alignment estimate before contact
        double screen_contacts = 4.0;      ///< contact weeks that halve the estimate's variance
        double alignment_weight =
            0.7;  ///< advance hazard x (1 - weight (1 - alignment)) after alignment
        double misalignment_drop =
            0.02;  ///< extra weekly drop-out x (1 - alignment) after alignment
    } engagement;

    NgoParams ngo_defaults;
    std::vector<NgoParams> ngos;  ///< explicit [[ngo]] entries
    NgoPopulationParams ngo_population;

    Scenario();
};

/// Value of one scenario field.
using FieldValue = std::variant<double, std::int64_t, bool, std::string>;
enum class FieldType : std::uint8_t { kReal, kInteger, kBoolean, kChoice, kText };

/// What the field table knows about one parameter, independent of the object it lives on:
/// key, type, valid range, unit, documentation, source and how `pse-sim effects` tests it.
/// The one validator (check_value, pse/keys.h) needs nothing else.
struct FieldInfo {
    std::string key;  ///< dotted key relative to its table, e.g. "trust.gain_rate"
    FieldType type = FieldType::kReal;
    double min = 0;                    ///< inclusive lower bound (kReal/kInteger)
    double max = 0;                    ///< inclusive upper bound (kReal/kInteger)
    std::vector<std::string> choices;  ///< allowed values (kChoice)
    std::string unit;
    std::string doc;
    std::string source;  ///< seed file and section, paper, or "assumption"
    // --- lever test range (pse-sim effects, sim/pse/effects.h; set by the declarations) ---
    /// false: a numerics / output / identification setting (run.weeks, run.seed, record_events,
    /// a shock's companion duration ...) that `pse-sim effects` does not perturb on its own.
    /// Text fields are never perturbed.
    bool lever = true;
    /// Explicit test values; empty = the default rule of effects.h (booleans toggle, choices try
    /// every other value, numbers move to default x0.5 and x1.5 clipped to [min, max]).
    std::vector<FieldValue> test_values{};
    /// Settings applied to the baseline and every arm of this lever (e.g. a shock's week when
    /// testing its size): the lever then gets its own baseline. Keys as in --set.
    std::vector<std::pair<std::string, FieldValue>> test_context{};
};

/// One row of the field table: FieldInfo plus `get`/`set`, which access the field on a target
/// object of type T (Scenario, NgoParams or, for [experiment] keys, Experiment).
template <class T>
struct FieldSpec : FieldInfo {
    std::function<FieldValue(const T&)> get;
    std::function<void(T&, const FieldValue&)> set;
};

/// Field table of the top-level scenario (everything except NGO tables). Built once; thread-safe.
const std::vector<FieldSpec<Scenario>>& scenario_fields();
/// Field table of one NGO ([ngo_defaults] and each [[ngo]]). Built once; thread-safe.
const std::vector<FieldSpec<NgoParams>>& ngo_fields();

/// Name of a field type as the parameter reference prints it: real, integer, boolean, choice, text.
const char* field_type_name(FieldType t);

/// Render a FieldValue as TOML text (strings quoted, reals with full precision).
std::string to_toml(const FieldValue& v);

/// `s` as one CSV cell (RFC 4180): unchanged unless it holds a comma, a double quote, a CR or a
/// newline, then quoted with inner quotes doubled.
std::string csv_field(const std::string& s);

/// Resolve the final list of NGOs: explicit [[ngo]] entries, then `ngo_population.count`
/// generated ones (drawn reproducibly from `seed`). Never empty for a valid scenario.
std::vector<NgoParams> resolve_ngos(const Scenario& s, std::uint64_t seed);

}  // namespace pse
