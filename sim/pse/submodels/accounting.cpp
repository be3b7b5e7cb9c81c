#include "pse/submodels/accounting.h"

#include <algorithm>
#include <array>
#include <iterator>

#include "pse/submodels/cascade.h"
#include "pse/submodels/trust.h"

namespace pse::accounting {
namespace {
/// The per-work-stream indicators: series, summary metric, counter and work stream (one table
/// for the weekly series and the summary).
struct StreamMetric {
    Series series;
    Summary summary;
    std::array<double, kStreamCount> Counters::*counts;
    Stream stream;
};
constexpr std::array<StreamMetric, 8> kStreamMetrics = {{
    {Series::kAgreementsWs1, Summary::kAgreementsWs1, &Counters::agreements_by_stream,
     Stream::kPrevention},
    {Series::kAgreementsWs2, Summary::kAgreementsWs2, &Counters::agreements_by_stream,
     Stream::kSurvivorEmployment},
    {Series::kActionsLowWs1, Summary::kActionsLowWs1, &Counters::low_by_stream,
     Stream::kPrevention},
    {Series::kActionsLowWs2, Summary::kActionsLowWs2, &Counters::low_by_stream,
     Stream::kSurvivorEmployment},
    {Series::kActionsMediumWs1, Summary::kActionsMediumWs1, &Counters::medium_by_stream,
     Stream::kPrevention},
    {Series::kActionsMediumWs2, Summary::kActionsMediumWs2, &Counters::medium_by_stream,
     Stream::kSurvivorEmployment},
    {Series::kActionsHighWs1, Summary::kActionsHighWs1, &Counters::high_by_stream,
     Stream::kPrevention},
    {Series::kActionsHighWs2, Summary::kActionsHighWs2, &Counters::high_by_stream,
     Stream::kSurvivorEmployment},
}};
double stream_count(const Counters& k, const StreamMetric& m) {
    return (k.*m.counts)[stream_index(m.stream)];
}

/// Workers per thousand (summary hours_per_thousand_workers: staff hours per 1,000 workers
/// reached).
constexpr double kWorkersPerThousand = 1000.0;

double median(std::vector<double> v) {
    if (v.empty()) return kNaN;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
}  // namespace

void on_transition(const StepContext& ctx, ModelState& st, Relationship& r, Stage from,
                   const Decision& d) {
    auto& k = st.counters;
    NgoState& ns = st.ngo_state[r.ngo];
    switch (d.to) {
        case Stage::kFirstMeeting:
            k.actions_low += 1;
            k.low_by_stream[kWs1] += 1;
            ns.had_engagement = true;
            r.first_meeting_week = ctx.week;
            break;
        case Stage::kGovernmentConsulted:
            ns.had_engagement = true;
            r.first_meeting_week = ctx.week;
            break;
        case Stage::kAgreement:
            k.agreements += 1;
            k.agreements_by_stream[kWs1] += 1;
            ns.agreements_ws1 += 1;
            k.reached_agreement += 1;
            if (d.resources > 0) k.actions_high += 1, k.high_by_stream[kWs1] += 1;
            k.resources_usd += d.resources;
            r.resources_usd = d.resources;
            r.agreement_week = ctx.week;
            k.weeks_to_agreement.push_back(ctx.week - r.first_contact);
            ns.had_agreement = true;
            break;
        case Stage::kCompanyDiscussions:
            if (from == Stage::kSupported) break;  // next cohort of an existing partnership
            k.agreements += 1;
            k.agreements_by_stream[kWs2] += 1;
            ns.agreements_ws2 += 1;
            k.ws2_partnerships += 1;
            r.agreement_week = ctx.week;
            ns.had_agreement = true;
            break;
        case Stage::kImplementation:
            k.weeks_to_implementation.push_back(ctx.week - r.first_contact);
            if (k.first_implementation < 0) k.first_implementation = ctx.week;
            break;
        default:
            break;
    }
}

void phase_caseload(const StepContext& ctx, ModelState& st) {
    auto& k = st.counters;
    double worked = 0, fte = 0;
    for (std::uint32_t n = 0; n < ctx.ngo_params.size(); ++n) {
        const auto& ns = st.ngo_state[n];
        if (!ns.active) continue;
        const auto& p = ctx.ngo_params[n];
        fte += p.dedicated_fte + p.part_time_staff * p.part_time_share;
        for (auto id : ns.active_rels) {
            auto& r = st.rels[id];
            const auto s = static_cast<std::size_t>(r.stage);
            k.stage_weeks[s] += 1;
            k.stage_hours[s] += r.effort;
            if (r.effort > 0) {
                k.stage_worked[s] += 1;
                worked += 1;
                r.hours_total += r.effort;
                r.weeks_worked += 1;
            }
        }
    }
    auto* row = st.series_row(ctx.week);
    row[static_cast<int>(Series::kEngagementsWorked)] = worked;
    const double per_fte = fte > 0 ? worked / fte : kNaN;
    row[static_cast<int>(Series::kEngagementsWorkedPerFte)] = per_fte;
    if (fte > 0) {
        k.caseload_per_fte_sum += per_fte;
        k.caseload_weeks += 1;
    }
}

void phase_record(const StepContext& ctx, ModelState& st) {
    auto* row = st.series_row(ctx.week);
    auto set = [&](Series k, double v) { row[static_cast<int>(k)] = v; };
    double active = 0, partnerships = 0, after = 0, employed = 0, effort = 0, trust_sum = 0,
           budget = 0, hours = 0;
    double chains_open = 0;
    auto* stages = &st.out.pipeline[static_cast<std::size_t>(ctx.week) * kStageCount];
    for (const auto& r : st.rels) {
        stages[static_cast<int>(r.stage)] += 1;
        employed += r.employed;
    }
    stages[static_cast<int>(Stage::kNone)] =
        0;  // relationships without an engagement are not a stage
    for (auto& ns : st.ngo_state) {
        if (ns.active) {
            budget += ns.budget_usd;
            hours += ns.staff_hours;
            ns.staff_hours_total += ns.staff_hours;
        }
        double own = 0;
        for (auto id : ns.active_rels) {
            const auto& r = st.rels[id];
            active += 1;
            trust_sum += trust::current(ctx, st, r);
            effort += r.effort;
            chains_open += r.access;
            if (is_post_agreement(r.stage)) {
                partnerships += 1;
                own += 1;
                if (ns.ended) after += 1;
            }
        }
        if (ctx.week == ns.end_week - 1) ns.partnerships_at_end = own;
    }
    auto& k = st.counters;
    k.staff_hours_total += hours;
    set(Series::kAgreementsSigned, k.agreements);
    set(Series::kActionsLow, k.actions_low);
    set(Series::kActionsMedium, k.actions_medium);
    set(Series::kActionsHigh, k.actions_high);
    set(Series::kEngagementsActive, active);
    set(Series::kPartnershipsActive, partnerships);
    set(Series::kPartnershipsAfterEnd, after);
    set(Series::kSurvivorsPlaced, k.placed);
    set(Series::kSurvivorsEmployed, employed);
    set(Series::kResourcesCommittedUsd, k.resources_usd);
    set(Series::kStaffHours, hours);
    set(Series::kEffortHours, effort);
    set(Series::kMeanTrust, active > 0 ? trust_sum / active : kNaN);
    set(Series::kBudgetUsd, budget);
    set(Series::kAbuseDiscovered, k.abuse);
    for (const auto& m : kStreamMetrics) set(m.series, stream_count(k, m));
    set(Series::kSupplyChainsOpen, chains_open);
}

void compute_summary(const StepContext& ctx, ModelState& st, int first_start, int first_ngo) {
    const int weeks = ctx.scenario.weeks;
    auto& s = st.out.summary;
    auto at = [&](int week, Series k) {
        if (week < 0 || week >= weeks) return kNaN;
        return st.out.series[static_cast<std::size_t>(week) * kSeriesCount + static_cast<int>(k)];
    };
    const int last = weeks - 1;
    const auto& k = st.counters;
    auto set = [&](Summary m, double v) { s[static_cast<int>(m)] = v; };
    set(Summary::kEngagementsInitiated, k.initiated);
    set(Summary::kAgreements, k.agreements);
    set(Summary::kShareReachingAgreement,
        k.initiated > 0 ? k.reached_agreement / k.initiated : kNaN);
    set(Summary::kMedianWeeksToAgreement, median(k.weeks_to_agreement));
    set(Summary::kMedianEngagementWeeks, median(k.weeks_to_implementation));
    set(Summary::kWeeksToFirstImplementation,
        k.first_implementation >= 0 ? k.first_implementation - first_start : kNaN);
    // The first project's end after any follow-on.
    const int end =
        first_ngo < 0 ? weeks : st.ngo_state[static_cast<std::size_t>(first_ngo)].end_week;
    set(Summary::kPartnershipsAtEnd, at(std::min(end - 1, last), Series::kPartnershipsActive));
    set(Summary::kPartnershipsEndPlus52, at(end + kWeeksPerYearInt, Series::kPartnershipsActive));
    set(Summary::kWorkersReached, at(last, Series::kWorkersReached));
    set(Summary::kVulnerabilityReduction, at(last, Series::kVulnerabilityReduction));
    set(Summary::kSuppliersImproved, at(last, Series::kSuppliersImproved));
    set(Summary::kSurvivorsPlaced, k.placed);
    set(Summary::kSurvivorsEmployed, at(last, Series::kSurvivorsEmployed));
    set(Summary::kWs2Partnerships, k.ws2_partnerships);
    set(Summary::kResourcesUsd, k.resources_usd);
    set(Summary::kStaffHoursTotal, k.staff_hours_total);
    set(Summary::kHoursPerAgreement, k.agreements > 0 ? k.staff_hours_total / k.agreements : kNaN);
    const double w = at(last, Series::kWorkersReached);
    set(Summary::kHoursPerThousandWorkers,
        w > 0 ? k.staff_hours_total / (w / kWorkersPerThousand) : kNaN);
    set(Summary::kActionsHigh, k.actions_high);
    double eng = 0, joint = 0, cont = 0;
    for (const auto& ns : st.ngo_state) {
        eng += ns.had_engagement;
        joint += ns.had_agreement;
        cont += ns.had_continuation;
    }
    const double N = static_cast<double>(st.ngo_state.size());
    set(Summary::kNgosEngaging, eng / N);
    set(Summary::kNgosWithJointActivity, joint / N);
    set(Summary::kNgosContinuing, cont / N);
    for (const auto& m : kStreamMetrics) set(m.summary, stream_count(k, m));
    set(Summary::kSupplyChainsOpened, k.access_opened);
    set(Summary::kMeanEngagementsWorkedPerFte,
        k.caseload_weeks > 0 ? k.caseload_per_fte_sum / k.caseload_weeks : kNaN);
    double w_un = 0, v_un = 0;
    for (const auto& [id, wv] : k.final_credit)
        if (id < 0) w_un += wv.first, v_un += wv.second;
    set(Summary::kWorkersReachedUnattributed, w_un);
    set(Summary::kVulnerabilityReductionUnattributed, v_un);
    double imp_un = 0;
    for (std::uint32_t c = ctx.net.mnc_count; c < ctx.net.company_count(); ++c)
        imp_un += st.co.improved[c] && st.co.improved_by[c] < 0;
    set(Summary::kSuppliersImprovedUnattributed, imp_un);
    // Counterfactual (same draws, no project) and attributable = with-project minus counterfactual.
    const double w_cf = at(last, Series::kWorkersReachedCounterfactual);
    const double v_cf = at(last, Series::kVulnerabilityReductionCounterfactual);
    const double s_cf = at(last, Series::kSuppliersImprovedCounterfactual);
    set(Summary::kWorkersReachedCounterfactual, w_cf);
    set(Summary::kWorkersReachedAttributable, w - w_cf);
    set(Summary::kVulnerabilityReductionCounterfactual, v_cf);
    set(Summary::kVulnerabilityReductionAttributable,
        at(last, Series::kVulnerabilityReduction) - v_cf);
    set(Summary::kSuppliersImprovedCounterfactual, s_cf);
    set(Summary::kSuppliersImprovedAttributable, at(last, Series::kSuppliersImproved) - s_cf);
    set(Summary::kSuppliersReverted, k.suppliers_reverted);
    set(Summary::kFirstMeetingsDeclined, k.declined);
    set(Summary::kPartnershipsDissolved, k.dissolved);
    set(Summary::kPartnershipsHandedOver, k.handed_over);
    double trust_sum = 0, trust_weeks = 0;
    for (int wk = std::max(0, first_start); wk < std::min(end, weeks); ++wk)
        if (const double v = at(wk, Series::kMeanTrust); std::isfinite(v))
            trust_sum += v, trust_weeks += 1;
    set(Summary::kMeanTrust, trust_weeks > 0 ? trust_sum / trust_weeks : kNaN);
}

namespace {
/// The /partnerships table of this run (kPartnershipColumns): one row per relationship that
/// reached a first meeting, with the outcomes credited to it.
void partnership_table(const StepContext& ctx, ModelState& st) {
    const auto& net = ctx.net;
    // Outcomes credited to each relationship.
    std::vector<double> workers(st.rels.size(), 0.0), vuln(st.rels.size(), 0.0),
        improved(st.rels.size(), 0.0);
    for (const auto& [id, wv] : st.counters.final_credit)
        if (id >= 0)
            workers[static_cast<std::size_t>(id)] += wv.first,
                vuln[static_cast<std::size_t>(id)] += wv.second;
    for (std::uint32_t c = net.mnc_count; c < net.company_count(); ++c)
        if (st.co.improved[c] && st.co.improved_by[c] >= 0)
            improved[static_cast<std::size_t>(st.co.improved_by[c])] += 1;

    auto& pt = st.out.tables[static_cast<int>(Table::kPartnerships)];
    pt.clear();
    auto wk = [](std::int32_t w) { return w >= 0 ? static_cast<double>(w) : kNaN; };
    for (std::size_t id = 0; id < st.rels.size(); ++id) {
        const auto& r = st.rels[id];
        if (r.first_meeting_week < 0) continue;
        const bool ended = is_terminal(r.stage);
        HowEnded how = HowEnded::kStillActive;
        if (ended)
            how = r.end_cause == EndCause::kProjectEnd ? HowEnded::kEndedWithProject
                  : r.stage == Stage::kDropped         ? HowEnded::kDropped
                                                       : HowEnded::kDissolved;
        else if (r.handed_over)
            how = HowEnded::kHandedOver;
        const double row[] = {
            static_cast<double>(r.ngo),
            static_cast<double>(r.company),
            static_cast<double>(r.org.value),
            static_cast<double>(net.is_mnc(r.company) ? CompanyKindCode::kMnc
                                                      : CompanyKindCode::kSupplier),
            static_cast<double>(st.co.sensitive[r.company]),
            static_cast<double>(r.stream),
            r.inbound ? 1.0 : 0.0,
            wk(r.first_contact),
            wk(r.first_meeting_week),
            wk(r.agreement_week),
            ended ? wk(r.end_week) : kNaN,
            static_cast<double>(r.stage),
            ended ? static_cast<double>(r.ended_at) : kNaN,
            static_cast<double>(how),
            static_cast<double>(r.end_cause),
            r.resources_usd,
            r.hours_total,
            static_cast<double>(r.weeks_worked),
            workers[id],
            vuln[id],
            improved[id],
            static_cast<double>(r.placed),
            static_cast<double>(r.owner),
            r.stream == Stream::kPrevention
                ? static_cast<double>(cascade::mechanism_type(ctx, r.ngo, r.company))
                : kNaN,
        };
        static_assert(std::size(row) == kPartnershipColumns.size());
        pt.insert(pt.end(), std::begin(row), std::end(row));
    }
}

/// The /ngos table of this run (kNgoColumns): one row per NGO.
void ngo_table(const StepContext& ctx, ModelState& st) {
    auto& nt = st.out.tables[static_cast<int>(Table::kNgos)];
    nt.clear();
    std::vector<double> continuing(ctx.ngo_params.size(), 0.0);
    for (std::size_t n = 0; n < ctx.ngo_params.size(); ++n)
        if (st.ngo_state[n].ended)
            for (auto id : st.ngo_state[n].active_rels)
                continuing[n] += is_post_agreement(st.rels[id].stage);
    for (std::size_t n = 0; n < ctx.ngo_params.size(); ++n) {
        const auto& p = ctx.ngo_params[n];
        const auto& ns = st.ngo_state[n];
        const double row[] = {
            static_cast<double>(n),
            p.engages_business ? 1.0 : 0.0,
            p.dedicated_fte,
            p.part_time_staff,
            p.part_time_share,
            p.trained ? 1.0 : 0.0,
            static_cast<double>(p.approach),
            static_cast<double>(p.framing),
            p.affiliated ? 1.0 : 0.0,
            p.handover ? 1.0 : 0.0,
            p.work_stream_2 ? 1.0 : 0.0,
            static_cast<double>(p.start_week),
            static_cast<double>(ns.end_week),
            ns.agreements_ws1 + ns.agreements_ws2,
            ns.agreements_ws1,
            ns.agreements_ws2,
            ns.partnerships_at_end,
            continuing[n],
            ns.staff_hours_total,
            ns.engagements_started,
        };
        static_assert(std::size(row) == kNgoColumns.size());
        nt.insert(nt.end(), std::begin(row), std::end(row));
    }
}

/// The /stages table of this run (kStageColumns): one row per engagement stage but none.
void stage_table(ModelState& st) {
    auto& stt = st.out.tables[static_cast<int>(Table::kStages)];
    stt.clear();
    const auto& k = st.counters;
    for (int s = static_cast<int>(Stage::kNone) + 1; s < kStageCount; ++s) {  // all but kNone
        const auto i = static_cast<std::size_t>(s);
        const double row[] = {static_cast<double>(s), k.stage_weeks[i], k.stage_worked[i],
                              k.stage_hours[i],
                              k.stage_weeks[i] > 0 ? k.stage_hours[i] / k.stage_weeks[i] : kNaN};
        static_assert(std::size(row) == kStageColumns.size());
        stt.insert(stt.end(), std::begin(row), std::end(row));
    }
}
}  // namespace

void build_tables(const StepContext& ctx, ModelState& st) {
    partnership_table(ctx, st);
    ngo_table(ctx, st);
    stage_table(st);
}

}  // namespace pse::accounting
