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
    kAgreementsWs1,
    kAgreementsWs2,
    kActionsLowWs1,
    kActionsLowWs2,
    kActionsMediumWs1,
    kActionsMediumWs2,
    kActionsHighWs1,
    kActionsHighWs2,
    kSupplyChainsOpen,
    kEngagementsWorked,
    kEngagementsWorkedPerFte,
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
    {"agreements_ws1", "agreements (cumulative)", "indicator", "Work stream 1 (prevention) agreements signed so far"},
    {"agreements_ws2", "agreements (cumulative)", "indicator", "Work stream 2 (survivor employment) partnerships agreed so far (company discussions reached)"},
    {"actions_low_ws1", "actions (cumulative)", "indicator", "Low-level actions of work stream 1 (outreach events, first meetings)"},
    {"actions_low_ws2", "actions (cumulative)", "indicator", "Low-level actions of work stream 2 (the model counts none; kept so that the streams partition the totals)"},
    {"actions_medium_ws1", "actions (cumulative)", "indicator", "Medium-level actions of work stream 1 (brokerage)"},
    {"actions_medium_ws2", "actions (cumulative)", "indicator", "Medium-level actions of work stream 2 (the model counts none)"},
    {"actions_high_ws1", "actions (cumulative)", "indicator", "High-level actions of work stream 1 (agreements with money committed)"},
    {"actions_high_ws2", "actions (cumulative)", "indicator", "High-level actions of work stream 2 (the model counts none: WS2 partnerships commit no money)"},
    {"supply_chains_open", "partnerships", "state", "WS1 partnerships whose supply chain is open to the NGO (access) this week"},
    {"engagements_worked", "engagements", "state", "Engagements that received staff hours this week (caseload)"},
    {"engagements_worked_per_fte", "engagements/FTE", "state", "Engagements worked per PSE FTE of running projects this week (NaN without staff)"},
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
    kAgreementsWs1,
    kAgreementsWs2,
    kActionsLowWs1,
    kActionsLowWs2,
    kActionsMediumWs1,
    kActionsMediumWs2,
    kActionsHighWs1,
    kActionsHighWs2,
    kSupplyChainsOpened,
    kMeanEngagementsWorkedPerFte,
    kWorkersReachedUnattributed,
    kVulnerabilityReductionUnattributed,
    kSuppliersImprovedUnattributed,
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
    {"agreements_ws1", "agreements", "indicator", "Work stream 1 (prevention) agreements signed over the run"},
    {"agreements_ws2", "agreements", "indicator", "Work stream 2 (survivor employment) partnerships agreed over the run"},
    {"actions_low_ws1", "actions", "indicator", "Low-level actions of work stream 1 over the run"},
    {"actions_low_ws2", "actions", "indicator", "Low-level actions of work stream 2 over the run (the model counts none)"},
    {"actions_medium_ws1", "actions", "indicator", "Medium-level actions (brokerage) of work stream 1 over the run"},
    {"actions_medium_ws2", "actions", "indicator", "Medium-level actions of work stream 2 over the run (the model counts none)"},
    {"actions_high_ws1", "actions", "indicator", "High-level actions of work stream 1 over the run"},
    {"actions_high_ws2", "actions", "indicator", "High-level actions of work stream 2 over the run (the model counts none)"},
    {"supply_chains_opened", "events", "outcome", "Times a WS1 partnership's supply chain opened to the NGO (access_opened events)"},
    {"mean_engagements_worked_per_fte", "engagements/FTE", "state", "Mean over weeks with staff of the engagements worked per FTE (caseload; NaN if never staffed)"},
    {"workers_reached_unattributed", "workers", "outcome", "Workers reached in the final week through no partnership (peer or background improvement)"},
    {"vulnerability_reduction_unattributed", "worker-equivalents", "outcome", "Final-week vulnerability reduction attributed to no partnership"},
    {"suppliers_improved_unattributed", "suppliers", "outcome", "Suppliers improved with no partnership's open chain or abuse report behind it"},
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
    kAccessOpened = 20, ///< a WS1 partnership's supply chain opened to the NGO (trust reached access_threshold)
    kAccessClosed = 21, ///< it closed again (trust fell below the threshold, or the partnership ended)
};
inline constexpr std::array<std::string_view, 22> kEventNames = {
    "none", "transition", "agreement", "dropped", "dissolved", "project_end", "turnover", "tier_downgrade",
    "media_shock", "abuse_found", "abuse_reported", "nda_leak", "brokerage", "supplier_improved",
    "inbound_lead", "targeted", "placement", "budget_cut", "follow_on", "screened_out", "access_opened",
    "access_closed"};

/// Why an engagement or partnership ended (partnership table column end_cause; values stable).
/// A drop-out or dissolution draw compares one uniform number with a sum of hazards; the cause is
/// the term of the sum the number fell in (competing risks, one draw), so attributing a cause
/// changes no result.
enum class EndCause : std::uint8_t {
    kNone = 0,            ///< not ended
    kTrust = 1,           ///< pre-agreement baseline drop-out, scaled by (2 - trust)
    kProjectHorizon = 2,  ///< drop-out from little project time left (horizon_drop)
    kBudgetUncertainty = 3,  ///< negotiation drop-out from budget uncertainty
    kMisalignment = 4,    ///< failed the alignment screen
    kEthicalScreen = 5,   ///< screened out by the NGO for labour practices
    kBaselineExit = 6,    ///< post-agreement baseline dissolution
    kProjectEndApproaching = 7,  ///< dissolution hazard of the approaching end date
    kLowActivity = 8,     ///< dissolution for lack of staff effort
    kCsrChange = 9,       ///< the company's CSR strategy changed at its decision month
    kNoCandidates = 10,   ///< WS2: no survivor candidates matched
    kProjectEnd = 11,     ///< ended with the project
    kCompanyExit = 12,    ///< a company-led (handed-over) partnership ended after the project
    kCount
};
inline constexpr std::array<std::string_view, static_cast<int>(EndCause::kCount)> kEndCauseNames = {
    "none", "trust", "project_horizon", "budget_uncertainty", "misalignment", "ethical_screen", "baseline_exit",
    "project_end_approaching", "low_activity", "csr_change", "no_candidates", "project_end", "company_exit"};

/// One column of a per-run table (partnerships, NGOs, stages): stored as float64; a column with
/// labels holds codes that index them.
struct ColumnSpec {
    std::string_view name;
    std::string_view unit;
    std::string_view description;
    /// Comma-separated names of the codes; "@stage" = the stage names, "@end_cause" =
    /// kEndCauseNames; empty for plain numbers.
    std::string_view labels = {};
};

/// The per-run tables; in results files as /<table>/<column> [rows], with a run column.
enum class Table : int { kPartnerships = 0, kNgos, kStages, kCount };
inline constexpr int kTableCount = static_cast<int>(Table::kCount);

/// Columns of the partnership table: one row per NGO-company relationship that reached a first
/// meeting (WS1) or a government consultation (WS2).
enum class PartnershipCol : int {
    kNgo = 0, kCompany, kOrg, kCompanyKind, kSensitive, kStream, kInbound, kFirstContactWeek, kFirstMeetingWeek,
    kAgreementWeek, kEndWeek, kFinalStage, kEndedAtStage, kHow, kEndCause, kResourcesUsd, kHoursTotal,
    kWeeksWorked, kWorkersReached, kVulnerabilityReduction, kSuppliersImproved, kSurvivorsPlaced, kCount
};
inline constexpr std::array<ColumnSpec, static_cast<int>(PartnershipCol::kCount)> kPartnershipColumns = {{
    {"ngo", "index", "NGO index (row of /ngos of the same run)"},
    {"company", "index", "Company index (MNCs first, then local suppliers)"},
    {"org", "vertex id", "Organisation vertex id in the network (as in /events/org)"},
    {"company_kind", "code", "MNC or local supplier", "mnc,supplier"},
    {"sensitive", "0/1", "Company in a sensitive sector (e.g. seafood)"},
    {"stream", "code", "Work stream", "none,prevention,survivor_employment"},
    {"inbound", "0/1", "The company approached the NGO (inbound lead) rather than being targeted"},
    {"first_contact_week", "week", "Week the company was identified (the engagement started)"},
    {"first_meeting_week", "week", "Week of the first meeting (WS1) or government consultation (WS2)"},
    {"agreement_week", "week", "Week of the agreement (NaN if none)"},
    {"end_week", "week", "Week the engagement or partnership ended (NaN if still active)"},
    {"final_stage", "code", "Stage at the end of the run", "@stage"},
    {"ended_at_stage", "code", "Stage it was in when it ended (NaN if still active)", "@stage"},
    {"how", "code", "How it ended", "still_active,dropped,dissolved,ended_with_project,handed_over"},
    {"end_cause", "code", "The cause that fired (see EndCause in docs/OUTPUT.md)", "@end_cause"},
    {"resources_usd", "USD", "Company money committed with the agreement"},
    {"hours_total", "hours", "Skill-weighted PSE staff hours spent on it over the run"},
    {"weeks_worked", "weeks", "Weeks in which it received staff hours"},
    {"workers_reached", "workers", "Final-week workers reached credited to it (see docs/OUTPUT.md, attribution)"},
    {"vulnerability_reduction", "worker-equivalents", "Final-week vulnerability reduction credited to it"},
    {"suppliers_improved", "suppliers", "Suppliers whose improvement is credited to it"},
    {"survivors_placed", "persons", "Survivors placed through it (WS2)"},
}};

/// Columns of the NGO table: one row per NGO of the run (attributes and per-NGO results).
enum class NgoCol : int {
    kNgo = 0, kEngagesBusiness, kDedicatedFte, kPartTimeStaff, kPartTimeShare, kTrained, kApproach, kFraming,
    kAffiliated, kHandover, kWorkStream2, kStartWeek, kEndWeek, kAgreements, kAgreementsWs1, kAgreementsWs2,
    kPartnershipsAtEnd, kPartnershipsContinuing, kStaffHoursTotal, kEngagementsStarted, kCount
};
inline constexpr std::array<ColumnSpec, static_cast<int>(NgoCol::kCount)> kNgoColumns = {{
    {"ngo", "index", "NGO index"},
    {"engages_business", "0/1", "The NGO does PSE at all"},
    {"dedicated_fte", "FTE", "Full-time PSE specialists"},
    {"part_time_staff", "persons", "Other staff doing PSE on the side"},
    {"part_time_share", "[0,1]", "Share of a part-timer's week on PSE"},
    {"trained", "0/1", "Staff received PSE training"},
    {"approach", "code", "Engagement approach", "co_creation,scrutiny"},
    {"framing", "code", "Framing of the issue", "safe_migration,trafficking"},
    {"affiliated", "0/1", "Donor-affiliated (hit by tier downgrades)"},
    {"handover", "0/1", "Handover designed in"},
    {"work_stream_2", "0/1", "Runs survivor-employment engagements"},
    {"start_week", "week", "Project start"},
    {"end_week", "week", "Project end after any follow-on"},
    {"agreements", "agreements", "Agreements signed (both work streams)"},
    {"agreements_ws1", "agreements", "Work stream 1 agreements"},
    {"agreements_ws2", "agreements", "Work stream 2 partnerships"},
    {"partnerships_at_end", "partnerships", "Partnerships active in the NGO's last project week (NaN if beyond the run)"},
    {"partnerships_continuing", "partnerships", "Partnerships active in the final week after the NGO's project ended"},
    {"staff_hours_total", "hours", "PSE staff hours over the run"},
    {"engagements_started", "engagements", "Engagements started (both work streams)"},
}};

/// Columns of the stage table: one row per engagement stage (caseload by stage).
enum class StageCol : int { kStage = 0, kEngagementWeeks, kWorkedWeeks, kHours, kHoursPerEngagementWeek, kCount };
inline constexpr std::array<ColumnSpec, static_cast<int>(StageCol::kCount)> kStageColumns = {{
    {"stage", "code", "Engagement stage", "@stage"},
    {"engagement_weeks", "engagement-weeks", "Weeks engagements spent in this stage (summed over engagements)"},
    {"worked_weeks", "engagement-weeks", "Of those, weeks with staff hours > 0"},
    {"hours", "hours", "Skill-weighted staff hours spent on engagements in this stage"},
    {"hours_per_engagement_week", "hours/week", "hours / engagement_weeks (NaN if none)"},
}};

/// Description of one per-run table.
struct TableSpec {
    std::string_view name;
    std::string_view description;
    const ColumnSpec* columns;
    int column_count;
};
inline constexpr std::array<TableSpec, kTableCount> kTableSpecs = {{
    {"partnerships", "One row per NGO-company engagement that reached a first meeting or government consultation",
     kPartnershipColumns.data(), static_cast<int>(kPartnershipColumns.size())},
    {"ngos", "One row per NGO: attributes and per-NGO results", kNgoColumns.data(), static_cast<int>(kNgoColumns.size())},
    {"stages", "One row per engagement stage: caseload and hours", kStageColumns.data(),
     static_cast<int>(kStageColumns.size())},
}};

}  // namespace pse
