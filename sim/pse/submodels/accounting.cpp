#include "pse/submodels/accounting.h"

#include <algorithm>

#include "pse/submodels/trust.h"

namespace pse::accounting {
namespace {
double median(std::vector<double> v) {
    if (v.empty()) return kNaN;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
}  // namespace

void on_transition(const StepContext& ctx, ModelState& st, Relationship& r, Stage from, const Decision& d) {
    auto& k = st.counters;
    NgoState& ns = st.ngo_state[r.ngo];
    switch (d.to) {
        case Stage::kFirstMeeting:
            k.actions_low += 1;
            ns.had_engagement = true;
            break;
        case Stage::kGovernmentConsulted:
            ns.had_engagement = true;
            break;
        case Stage::kAgreement:
            k.agreements += 1;
            k.reached_agreement += 1;
            if (d.resources > 0) k.actions_high += 1;
            k.resources_usd += d.resources;
            r.resources_usd = d.resources;
            r.agreement_week = ctx.week;
            k.weeks_to_agreement.push_back(ctx.week - r.first_contact);
            ns.had_agreement = true;
            break;
        case Stage::kCompanyDiscussions:
            if (from == Stage::kSupported) break;  // next cohort of an existing partnership
            k.agreements += 1;
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

void phase_record(const StepContext& ctx, ModelState& st) {
    auto* row = st.series_row(ctx.week);
    auto set = [&](Series k, double v) { row[static_cast<int>(k)] = v; };
    double active = 0, partnerships = 0, after = 0, employed = 0, effort = 0, trust_sum = 0, budget = 0, hours = 0;
    auto* stages = &st.out.pipeline[static_cast<std::size_t>(ctx.week) * kStageCount];
    for (const auto& r : st.rels) {
        stages[static_cast<int>(r.stage)] += 1;
        employed += r.employed;
    }
    stages[0] = 0;
    for (const auto& ns : st.ngo_state) {
        if (ns.active) {
            budget += ns.budget_usd;
            hours += ns.staff_hours;
        }
        for (auto id : ns.active_rels) {
            const auto& r = st.rels[id];
            active += 1;
            trust_sum += trust::current(ctx, st, r);
            effort += r.effort;
            if (is_post_agreement(r.stage)) {
                partnerships += 1;
                if (ns.ended) after += 1;
            }
        }
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
    set(Summary::kShareReachingAgreement, k.initiated > 0 ? k.reached_agreement / k.initiated : kNaN);
    set(Summary::kMedianWeeksToAgreement, median(k.weeks_to_agreement));
    set(Summary::kMedianEngagementWeeks, median(k.weeks_to_implementation));
    set(Summary::kWeeksToFirstImplementation,
        k.first_implementation >= 0 ? k.first_implementation - first_start : kNaN);
    // The first project's end after any follow-on.
    const int end = first_ngo < 0 ? weeks : st.ngo_state[static_cast<std::size_t>(first_ngo)].end_week;
    set(Summary::kPartnershipsAtEnd, at(std::min(end - 1, last), Series::kPartnershipsActive));
    set(Summary::kPartnershipsEndPlus52, at(end + 52, Series::kPartnershipsActive));
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
    set(Summary::kHoursPerThousandWorkers, w > 0 ? k.staff_hours_total / (w / 1000.0) : kNaN);
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
}

}  // namespace pse::accounting
