#include "pse/submodels/pipeline.h"

#include <algorithm>
#include <cmath>

#include "pse/detail/parallel.h"
#include "pse/rng_streams.h"
#include "pse/submodels/abuse.h"
#include "pse/submodels/accounting.h"
#include "pse/submodels/brokerage.h"
#include "pse/submodels/engagement.h"
#include "pse/submodels/funding.h"
#include "pse/submodels/shocks.h"
#include "pse/submodels/staffing.h"
#include "pse/submodels/trust.h"
#include "pse/submodels/ws2.h"

namespace pse::pipeline {
namespace {
/// A partnership worked at less than this share of its effort need is at risk of fading
/// (low_activity_hazard is added) (share of the need, f; ASSUMPTION, docs/ODD.md 7.5).
constexpr double kLowActivityFulfilment = 0.5;
/// Pre-agreement drop-out: P(drop) starts at drop_per_week·(kDropTrustOffset − T), so the stage's
/// drop_per_week at full trust and twice it at no trust (factor; ASSUMPTION, docs/ODD.md 7.5).
constexpr double kDropTrustOffset = 2.0;
/// Trust and alignment at which the sustaining-hazard slopes are centred ([0,1]; ASSUMPTION,
/// docs/ODD.md 7.5 "sustaining hazard": a partner at the middle of the range has the stage's d_k).
constexpr double kSustainCentre = 0.5;
/// Work lists longer than this are decided on all cores (relationships; speed only: the results
/// are identical, docs/ODD.md 3), in chunks of kDecideGrain.
constexpr std::size_t kParallelDecideMin = 256;
constexpr std::size_t kDecideGrain = 64;

/// True in the first week of company c's decision month.
bool decision_week(const StepContext& ctx, const ModelState& st, std::uint32_t c) {
    const int w = ctx.week;
    return month_of(w) == st.co.decision_month[c] &&
           (w == 0 || month_of(w - 1) != st.co.decision_month[c]);
}

/// Before an agreement: drop-out, advance, screens and gates.
void decide_pre_agreement(const StepContext& ctx, const ModelState& st, const Relationship& r,
                          const Rng& rng, double T, double f, double g, double w, Decision& d) {
    const auto& pp = ctx.scenario.pipeline;
    const NgoParams& p = ctx.ngo_params[r.ngo];
    const std::uint32_t c = r.company;
    const Stage stage = r.stage;
    const StageParams& sp = pp.stage[static_cast<std::size_t>(stage)];
    const auto ph = [&r](std::uint32_t code) { return rng_phase::ngo_phase(r.ngo, code); };
    // Competing risks in one draw u: the cause is the term of the sum that u fell in.
    const double trust_drop = sp.drop_per_week * (kDropTrustOffset - T);
    double drop = trust_drop + pp.horizon_drop * (1.0 - w);
    const double before_budget = drop;
    if (stage == Stage::kNegotiation) drop += funding::budget_uncertainty_drop(ctx, p);
    const double before_misaligned = drop;
    // After the alignment screen, true alignment (not the NGO's estimate) drives drop-out and
    // advance (docs/ODD.md 7.12).
    const bool aligned_stage = stage >= Stage::kInterestsAligned && stage <= Stage::kNegotiation;
    if (aligned_stage) drop += engagement::misalignment_drop(ctx, st, c);
    if (const double u = rng.uniform(ph(rng_phase::kDrop), 0); u < drop) {
        d.to = Stage::kDropped;
        d.event = EventType::kDropped;
        d.cause = u < trust_drop          ? EndCause::kTrust
                  : u < before_budget     ? EndCause::kProjectHorizon
                  : u < before_misaligned ? EndCause::kBudgetUncertainty
                                          : EndCause::kMisalignment;
        return;
    }
    // A concluded negotiation waits for the company's annual decision month to sign
    // (000 Learning 2: adds 0-12 months); elsewhere the stage advances by its hazard.
    const double m = aligned_stage ? engagement::alignment_factor(ctx, st, c) : 1.0;
    const bool concluded = r.ready || rng.chance(ph(rng_phase::kAdvance), 0,
                                                 hazard_to_prob(f * g * w * m / sp.mean_weeks));
    if (!concluded) return;
    if (stage == Stage::kNegotiation && pp.annual_gate &&
        month_of(ctx.week) != st.co.decision_month[c]) {
        d.ready = true;
        return;
    }
    const Stage next = next_stage(stage);
    if (next == Stage::kFirstMeeting) {  // the company accepts a first meeting or declines (7.12)
        if (!rng.chance(ph(rng_phase::kAccept), 0,
                        engagement::accept_prob(ctx, st, r.ngo, c, T, w))) {
            d.to = Stage::kDropped;
            d.event = EventType::kDropped;
            d.cause = EndCause::kDeclined;
            return;
        }
    }
    if (next == Stage::kInterestsAligned) {  // alignment screen on the NGO's estimate (7.5, 7.12)
        const double a = std::min(1.0, engagement::alignment_estimate(ctx, st, r) +
                                           (r.inbound ? pp.inbound_alignment_bonus : 0.0));
        const double pass = logistic(pp.alignment_intercept + pp.alignment_slope * a +
                                     pp.alignment_csr * st.co.has_csr[c] -
                                     engagement::hesitation(ctx, st, r.ngo, c, w));
        if (!rng.chance(ph(rng_phase::kScreen), 0, pass)) {
            d.to = Stage::kDropped;
            d.event = EventType::kScreenedOut;
            d.cause = EndCause::kMisalignment;
            return;
        }
    }
    if (next ==
        Stage::kConceptNote) {  // NGO ethical screen (docs/EVIDENCE.md anchor #34: 81% stress it)
        if (rng.chance(ph(rng_phase::kScreen), 1,
                       pp.screen_reject_scale * (1.0 - st.co.labour_practice[c]))) {
            d.to = Stage::kDropped;
            d.event = EventType::kScreenedOut;
            d.cause = EndCause::kEthicalScreen;
            return;
        }
    }
    if (next == Stage::kAgreement) {  // money only at the annual decision (000 Learning 2)
        const auto& co = ctx.scenario.company;
        d.resources = rng.lognormal(ph(rng_phase::kResources), 0, co.resources_usd_median,
                                    co.resources_usd_sigma);
        d.event = EventType::kAgreement;
    }
    if (next == Stage::kCompanyDiscussions) {  // WS2 needs government support first
        if (!ws2::government_gate_open(ctx, st, r.ngo, c)) return;
        d.event = EventType::kAgreement;
    }
    d.to = next;
}

/// After an agreement: dissolution, brokerage, abuse, coverage, advance (WS2: match, cohort).
void decide_post_agreement(const StepContext& ctx, const ModelState& st, const Relationship& r,
                           const Rng& rng, double T, double f, double g, double R, Decision& d) {
    const auto& pp = ctx.scenario.pipeline;
    const NgoParams& p = ctx.ngo_params[r.ngo];
    const std::uint32_t c = r.company;
    const Stage stage = r.stage;
    const StageParams& sp = pp.stage[static_cast<std::size_t>(stage)];
    const auto ph = [&r](std::uint32_t code) { return rng_phase::ngo_phase(r.ngo, code); };
    // A handover plan in the last weeks shares the partnership's hours with the stage work (7.2).
    const double hn = funding::handover_effort_need(ctx, p, R, stage);
    if (hn > 0 && staffing::effort_need(ctx, stage) > 0)
        f = funding::handover_share(r.effort, staffing::effort_need(ctx, stage), hn);
    // Competing risks in one draw u: the cause is the term of the sum that u fell in.
    const double proven = 1.0 - pp.sustain_proven_reduction * proven_share(ctx, r);
    const double baseline = sustaining_hazard(ctx, st, r, T);
    double exit = baseline;
    exit += funding::end_exit_hazard(ctx, p, R) * proven;
    const double before_low = exit;
    if (f < kLowActivityFulfilment) exit += pp.low_activity_hazard;
    const bool csr_change =
        decision_week(ctx, st, c) &&
        rng.chance(ph(rng_phase::kCsrChange), 0, ctx.scenario.company.csr_change_prob);
    if (csr_change) exit = 1.0;
    if (const double u = rng.uniform(ph(rng_phase::kExit), 0); u < exit) {
        d.to = Stage::kDissolved;
        d.event = EventType::kDissolved;
        d.cause = csr_change       ? EndCause::kCsrChange
                  : u < baseline   ? EndCause::kBaselineExit
                  : u < before_low ? EndCause::kProjectEndApproaching
                                   : EndCause::kLowActivity;
        return;
    }
    if (stage == Stage::kCoCreation || stage == Stage::kImplementation) {
        d.brokerage = brokerage::decide(ctx, r, rng, f);
        abuse::decide(ctx, st, r, rng, d);
    }
    if (stage == Stage::kImplementation) {  // coverage ramps up with effort
        d.coverage = std::min(1.0, r.coverage + f / sp.mean_weeks);
        return;
    }
    // Advance agreement -> co-creation -> implementation; WS2 discussions -> ... -> supported.
    const double h = f * (stage == Stage::kAgreement ? 1.0 : g) / sp.mean_weeks;
    if (!rng.chance(ph(rng_phase::kAdvance), 0, hazard_to_prob(h))) return;
    const Stage next = next_stage(stage);
    if (next == Stage::kCandidatesMatched && !ws2::candidates_matched(ctx, r, rng)) {
        d.to = Stage::kDissolved;
        d.event = EventType::kDissolved;
        d.cause = EndCause::kNoCandidates;
        return;
    }
    if (next == Stage::kPlaced) d.placed = ws2::cohort_size(ctx, r, rng);
    d.to = next;
}

}  // namespace

double proven_share(const StepContext& ctx, const Relationship& r) {
    if (r.agreement_week < 0) return 0.0;
    const double age = ctx.week - r.agreement_week;
    return std::clamp(age / ctx.scenario.pipeline.sustain_proving_weeks, 0.0, 1.0);
}

double sustaining_hazard(const StepContext& ctx, const ModelState& st, const Relationship& r,
                         double T) {
    const auto& pp = ctx.scenario.pipeline;
    const double h0 = pp.stage[static_cast<std::size_t>(r.stage)].drop_per_week;
    const double c = funding::contribution_share(ctx, r.resources_usd);
    const double a = st.co.alignment[r.company];
    const double m = std::exp(-pp.sustain_trust_slope * (T - kSustainCentre) -
                              pp.sustain_contribution_slope * c -
                              pp.sustain_alignment_slope * (a - kSustainCentre));
    return std::min(1.0, h0 * m * (1.0 - pp.sustain_proven_reduction * proven_share(ctx, r)));
}

void decide(const StepContext& ctx, const ModelState& st, std::uint32_t id, Decision& d) {
    const Relationship& r = st.rels[id];
    const std::uint32_t n = r.ngo;
    const NgoState& ns = st.ngo_state[n];
    const auto& tp = ctx.scenario.trust;
    const Rng rng = ctx.relationship_rng(r.company);
    d = Decision{};
    const double T = trust::current(ctx, st, r);
    d.trust = T;
    d.coverage = r.coverage;
    const Stage stage = r.stage;

    if (stage == Stage::kSustained ||
        (stage == Stage::kSupported && ns.ended)) {  // company-led after the project
        if (rng.chance(rng_phase::ngo_phase(n, rng_phase::kExit), 0,
                       funding::company_led_exit_prob(ctx))) {
            d.to = Stage::kDissolved;
            d.event = EventType::kDissolved;
            d.cause = EndCause::kCompanyExit;
        }
        return;
    }
    if (!ns.active) return;  // project not running (ended relationships are terminal)

    const double f = staffing::fulfilment(ctx, r);
    const double w = funding::horizon_willingness(ctx, st, n, r.company);
    const double R = ns.end_week - ctx.week;
    const bool post = is_post_agreement(stage);

    // Trust: asymmetric update toward contact quality o (7.3).
    d.contact = r.effort > 0;
    if (d.contact)
        d.trust = trust::asymmetric_update(T, trust::contact_quality(ctx, st, r, f, R, post),
                                           tp.gain_rate, tp.loss_ratio);
    if (is_ws2(stage) && st.ws2_stalled) return;  // external stall (COVID-19, 003)

    const double g = std::pow(T, tp.trust_exponent);
    if (!post)
        decide_pre_agreement(ctx, st, r, rng, T, f, g, w, d);
    else
        decide_post_agreement(ctx, st, r, rng, T, f, g, R, d);
}

void phase_decide(const StepContext& ctx, ModelState& st) {
    st.decisions.resize(st.rels.size());
    const std::vector<std::uint32_t> work = active_relationships(st);
    if (ctx.parallel && work.size() > kParallelDecideMin) {
        detail::parallel_for<std::size_t>(work.size(), kDecideGrain,
                                          [&](std::size_t begin, std::size_t end) {
                                              for (std::size_t i = begin; i < end; ++i)
                                                  decide(ctx, st, work[i], st.decisions[work[i]]);
                                          });
    } else {
        for (auto id : work) decide(ctx, st, id, st.decisions[id]);
    }
}

namespace {
/// Supply-chain access of relationship r, judged on its stage before this week's change (7.3):
/// open in a WS1 post-agreement stage while trust is at or above the company's access threshold.
/// Emits access_opened / access_closed on a change and counts openings. Not called for a
/// handed-over (sustained) partnership, whose chain stays open (company-led).
void update_access(const StepContext& ctx, ModelState& st, Relationship& r) {
    const bool open = is_ws1(r.stage) && is_post_agreement(r.stage) &&
                      r.trust >= trust::access_threshold(ctx, st, r.company);
    if (open != r.access) {
        emit(ctx, st, static_cast<std::int32_t>(r.ngo), r.org,
             open ? EventType::kAccessOpened : EventType::kAccessClosed, r.stage, r.stage);
        if (open) st.counters.access_opened += 1;
    }
    r.access = open;
}

/// Handover planning received this week (7.2) by relationship r of an active NGO with a handover
/// design: handover_work grows by the share of this week's handover need met (funding::
/// handover_share of its effort) divided by handover_planning_weeks.
void add_handover_work(const StepContext& ctx, const ModelState& st, Relationship& r) {
    const double hn = funding::handover_effort_need(
        ctx, ctx.ngo_params[r.ngo], st.ngo_state[r.ngo].end_week - ctx.week, r.stage);
    if (hn > 0)
        r.handover_work +=
            funding::handover_share(r.effort, staffing::effort_need(ctx, r.stage), hn) /
            ctx.scenario.pipeline.handover_planning_weeks;
}
}  // namespace

void phase_commit(const StepContext& ctx, ModelState& st) {
    std::vector<std::uint32_t> work = active_relationships(st);
    std::sort(work.begin(), work.end());
    const auto& tp = ctx.scenario.trust;
    for (auto id : work) {
        const Decision& d = st.decisions[id];
        Relationship& r = st.rels[id];
        r.trust = d.trust;  // decide() already saw this week's shocks (phase 3)
        // With contact, the updated trust holds at the start of next week; without contact,
        // d.trust is this week's decayed value and decay continues from here.
        r.trust_week = d.contact ? ctx.week + 1 : ctx.week;
        if (d.contact) {
            ++r.contacts;
            r.last_contact = ctx.week;
            if (r.stage == Stage::kGovernmentConsulted) ws2::note_government_contact(ctx, st, r);
        }
        if (r.stage != Stage::kSustained) update_access(ctx, st, r);
        r.ready = d.ready;
        r.coverage = d.coverage;
        if (ctx.ngo_params[r.ngo].handover && st.ngo_state[r.ngo].active)
            add_handover_work(ctx, st, r);
        if (d.brokerage) brokerage::commit(ctx, st, r);
        const Decision* dp = &d;
        Decision left;  // the company left after an abuse report (7.8)
        if (d.abuse && abuse::commit(ctx, st, id, d) && d.to == Stage::kNone) {
            left = d;
            left.to = Stage::kDissolved;
            left.event = EventType::kDissolved;
            left.cause = EndCause::kAbuseReport;
            dp = &left;
        }
        if (d.placed > 0) ws2::commit_placement(ctx, st, r, d.placed);
        if (dp->to == Stage::kNone) continue;
        const Stage from = r.stage;
        set_stage(ctx, st, r, dp->to, dp->cause);
        emit(ctx, st, static_cast<std::int32_t>(r.ngo), r.org, dp->event, from, dp->to);
        accounting::on_transition(ctx, st, r, from, *dp);
        if (d.to == Stage::kFirstMeeting && ctx.ngo_params[r.ngo].approach == Approach::kScrutiny) {
            shocks::spill_scrutiny(ctx, st, r.company);
            shocks::queue_sister_spillover(st, r.ngo, tp.sister_spillover);
        }
        if (d.to == Stage::kAgreement) brokerage::diffuse_agreement(ctx, st, r.company);
    }
    drop_terminal(st);
}

}  // namespace pse::pipeline
