#pragma once
/// Declared output schema: every weekly series and per-run summary metric, with unit and meaning.
/// The HDF5 writer, the in-memory results, `pse-sim info` and docs/OUTPUT.md all use this table
/// (convention 8 in ../shared/STYLE.md). Indicators vs outcomes follow BRIEF.md "Outputs"
/// (000_78b32c0139113a71.txt Learning 5; 003_3cab25d95e2718fc.txt Learning 5).
#include <array>
#include <cstdint>
#include <string_view>

namespace pse {

/// Description of one recorded quantity.
struct MetricSpec {
    std::string_view name;
    std::string_view unit;
    std::string_view kind;  ///< "indicator" (what donors count), "outcome", or "state"
    std::string_view description;
};

/// Weekly series, recorded every step; in results files as /series/<name> [run x week].
enum class Series : int {
    kAgreementsSigned = 0,
    kActionsLow,
    kActionsMedium,
    kActionsHigh,
    kEngagementsActive,
    kPartnershipsActive,
    kPartnershipsAfterEnd,
    kWorkersReached,
    kVulnerabilityReduction,
    kSuppliersImproved,
    kSurvivorsPlaced,
    kSurvivorsEmployed,
    kResourcesCommittedUsd,
    kStaffHours,
    kEffortHours,
    kMeanTrust,
    kBudgetUsd,
    kAbuseDiscovered,
    kCount
};
inline constexpr int kSeriesCount = static_cast<int>(Series::kCount);

inline constexpr std::array<MetricSpec, kSeriesCount> kSeriesSpecs = {{
    {"agreements_signed", "agreements (cumulative)", "indicator", "Partnership agreements signed so far (WS1 agreements and WS2 partnerships)"},
    {"actions_low", "actions (cumulative)", "indicator", "Low-level private-sector actions: meetings, trainings, events"},
    {"actions_medium", "actions (cumulative)", "indicator", "Medium-level actions: company-government meetings with expected policy change (brokerage)"},
    {"actions_high", "actions (cumulative)", "indicator", "High-level actions: agreements with company money committed"},
    {"engagements_active", "engagements", "state", "Engagements in any non-terminal stage"},
    {"partnerships_active", "partnerships", "outcome", "Partnerships past agreement and not ended (incl. sustained)"},
    {"partnerships_after_end", "partnerships", "outcome", "Active partnerships whose project has ended (company-led continuation)"},
    {"workers_reached", "workers", "outcome", "Workers at suppliers covered by a prevention mechanism or at an improved supplier"},
    {"vulnerability_reduction", "worker-equivalents", "outcome", "Sum over workers of their vulnerability reduction in [0,1]"},
    {"suppliers_improved", "suppliers", "outcome", "Suppliers whose labour practices improved"},
    {"survivors_placed", "persons (cumulative)", "outcome", "Trafficking survivors placed in jobs (WS2)"},
    {"survivors_employed", "persons", "outcome", "Placed survivors still employed"},
    {"resources_committed_usd", "USD (cumulative)", "outcome", "Company money committed with agreements"},
    {"staff_hours", "hours/week", "state", "PSE staff hours available this week (after budget and switching overhead)"},
    {"effort_hours", "hours/week", "state", "Skill-weighted PSE hours spent on engagements this week"},
    {"mean_trust", "[0,1]", "state", "Mean trust over active engagements"},
    {"budget_usd", "USD/year", "state", "Sum of the yearly PSE budgets in effect"},
    {"abuse_discovered", "cases (cumulative)", "outcome", "Labour-abuse cases found through supply-chain access"},
}};

/// Per-run summary metrics; in results files as /runs/<name> [run].
enum class Summary : int {
    kEngagementsInitiated = 0,
    kAgreements,
    kShareReachingAgreement,
    kMedianWeeksToAgreement,
    kMedianEngagementWeeks,
    kWeeksToFirstImplementation,
    kPartnershipsAtEnd,
    kPartnershipsEndPlus52,
    kWorkersReached,
    kVulnerabilityReduction,
    kSuppliersImproved,
    kSurvivorsPlaced,
    kSurvivorsEmployed,
    kWs2Partnerships,
    kResourcesUsd,
    kStaffHoursTotal,
    kHoursPerAgreement,
    kHoursPerThousandWorkers,
    kActionsHigh,
    kNgosEngaging,
    kNgosWithJointActivity,
    kNgosContinuing,
    kCount
};
inline constexpr int kSummaryCount = static_cast<int>(Summary::kCount);

inline constexpr std::array<MetricSpec, kSummaryCount> kSummarySpecs = {{
    {"engagements_initiated", "engagements", "state", "WS1 engagements started (identified)"},
    {"agreements", "agreements", "indicator", "Agreements signed (WS1 and WS2)"},
    {"share_reaching_agreement", "[0,1]", "outcome", "Share of initiated WS1 engagements that reached an agreement (NaN if none)"},
    {"median_weeks_to_agreement", "weeks", "outcome", "Median weeks from identification to signed WS1 agreement (NaN if none)"},
    {"median_engagement_weeks", "weeks", "outcome", "Median weeks from identification to implementation start (NaN if none)"},
    {"weeks_to_first_implementation", "weeks", "outcome", "Week of the first WS1 implementation after the first project start (NaN if none)"},
    {"partnerships_at_end", "partnerships", "outcome", "Active partnerships in the last project week of the first project"},
    {"partnerships_end_plus_52", "partnerships", "outcome", "Active partnerships 52 weeks after the first project's end (NaN if beyond horizon)"},
    {"workers_reached", "workers", "outcome", "Workers reached in the final week"},
    {"vulnerability_reduction", "worker-equivalents", "outcome", "Vulnerability reduction in the final week"},
    {"suppliers_improved", "suppliers", "outcome", "Suppliers improved by the final week"},
    {"survivors_placed", "persons", "outcome", "Survivors placed over the run"},
    {"survivors_employed", "persons", "outcome", "Survivors still employed in the final week"},
    {"ws2_partnerships", "partnerships", "indicator", "Survivor-employment partnerships (company discussions reached)"},
    {"resources_usd", "USD", "outcome", "Company money committed over the run"},
    {"staff_hours_total", "hours", "state", "PSE staff hours over the run"},
    {"hours_per_agreement", "hours/agreement", "outcome", "Staff hours per agreement (NaN if none)"},
    {"hours_per_thousand_workers", "hours/1000 workers", "outcome", "Staff hours per 1000 workers reached (NaN if none)"},
    {"actions_high", "actions", "indicator", "High-level actions over the run"},
    {"ngos_engaging_share", "[0,1]", "outcome", "Share of NGOs that engaged at least one organisation (a WS1 first meeting or a WS2 government consultation)"},
    {"ngos_joint_activity_share", "[0,1]", "outcome", "Share of NGOs with at least one agreement (joint activity)"},
    {"ngos_continuing_share", "[0,1]", "outcome", "Share of NGOs with a partnership that continued past its first scope (sustained or active after end)"},
}};

/// Event types written to the events table (values are stable).
enum class EventType : std::uint8_t {
    kTransition = 1,   ///< stage change (from -> to)
    kAgreement = 2,    ///< agreement signed (also a transition)
    kDropped = 3,      ///< pre-agreement drop-out
    kDissolved = 4,    ///< post-agreement dissolution
    kProjectEnd = 5,   ///< engagement ended or handed over at the project end
    kTurnover = 6,     ///< company representative changed
    kTierDowngrade = 7,
    kMediaShock = 8,
    kAbuseFound = 9,
    kAbuseReported = 10,
    kNdaLeak = 11,
    kBrokerage = 12,   ///< NGO linked a partner company with a government agency
    kSupplierImproved = 13,
    kInboundLead = 14,
    kTargeted = 15,
    kPlacement = 16,
    kBudgetCut = 17,
    kFollowOn = 18,
    kScreenedOut = 19, ///< failed the alignment or ethical screen
};
inline constexpr std::array<std::string_view, 20> kEventNames = {
    "none", "transition", "agreement", "dropped", "dissolved", "project_end", "turnover", "tier_downgrade",
    "media_shock", "abuse_found", "abuse_reported", "nda_leak", "brokerage", "supplier_improved",
    "inbound_lead", "targeted", "placement", "budget_cut", "follow_on", "screened_out"};

}  // namespace pse
