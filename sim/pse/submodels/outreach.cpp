#include "pse/submodels/outreach.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "pse/rng_streams.h"
#include "pse/submodels/engagement.h"
#include "pse/submodels/staffing.h"
#include "pse/submodels/trust.h"

namespace pse::outreach {
namespace {
/// A WS1 or WS2 target is the best of this many uniform draws (draws; ASSUMPTION, docs/ODD.md 7.9).
constexpr std::uint32_t kTargetDraws = 5;
/// Weight of a CSR policy in the WS1 targeting score a_c + 0.3·1[CSR] + s_c (score points;
/// ASSUMPTION, docs/ODD.md 7.9).
constexpr double kTargetCsrWeight = 0.3;
/// Below every score (scores are >= -1): the start of a best-of search (not a model number).
constexpr double kNoScore = -1e9;
/// Mixed targeting: share of proactive targets that are MNCs (probability; 002 Experiences:
/// partners "equally distributed between local, small/medium and large enterprises"; local and SME
/// firms are suppliers in the model, so one in three targets is an MNC).
constexpr double kMixedMncShare = 1.0 / 3.0;

std::uint64_t rel_key(std::uint32_t n, std::uint32_t c) {
    return (static_cast<std::uint64_t>(n) << 32) | c;
}
}  // namespace

std::uint32_t relationship(const StepContext& ctx, ModelState& st, std::uint32_t n,
                           std::uint32_t c) {
    const std::uint64_t key = rel_key(n, c);
    auto it = st.rel_index.find(key);
    if (it != st.rel_index.end()) return it->second;
    Relationship r;
    r.ngo = n;
    r.company = c;
    r.org = ctx.net.company_vertex(c);
    r.trust = trust::prior(ctx, st, n, c);
    r.trust_week = ctx.week;
    const auto id = static_cast<std::uint32_t>(st.rels.size());
    st.rels.push_back(r);
    st.rel_index.emplace(key, id);
    return id;
}

void start_engagement(const StepContext& ctx, ModelState& st, std::uint32_t id, Stream stream,
                      bool inbound) {
    Relationship& r = st.rels[id];
    const Stage to = stream == Stream::kPrevention ? Stage::kIdentified : Stage::kWs2Identified;
    r.trust = trust::current(ctx, st, r);
    if (inbound) r.trust = trust::boost(r.trust, ctx.scenario.trust.inbound_bonus);
    r.trust_week = ctx.week;
    r.stream = stream;
    r.inbound = inbound;
    r.first_contact = ctx.week;
    set_stage(ctx, st, r, to);
    st.ngo_state[r.ngo].active_rels.push_back(id);
    st.ngo_state[r.ngo].engagements_started += 1;
    if (stream == Stream::kPrevention) st.counters.initiated += 1;
    emit(ctx, st, static_cast<std::int32_t>(r.ngo), r.org,
         inbound ? EventType::kInboundLead : EventType::kTargeted, Stage::kNone, to);
}

std::uint32_t capacity_for_targets(const StepContext& ctx, const ModelState& st, std::uint32_t n) {
    const NgoParams& p = ctx.ngo_params[n];
    const NgoState& ns = st.ngo_state[n];
    double committed = ns.prospecting_hours;
    for (auto id : ns.active_rels)
        if (st.rels[id].stage != Stage::kSustained)
            committed += staffing::effort_need(ctx, st.rels[id].stage);
    const double free = ns.staff_hours * ns.skill - committed;
    const double per_target = p.prospecting_hours + staffing::effort_need(ctx, Stage::kIdentified);
    constexpr auto kUnlimited = std::numeric_limits<std::uint32_t>::max();
    if (per_target <= 0) return free >= 0 ? kUnlimited : 0;
    if (free < per_target) return 0;
    return static_cast<std::uint32_t>(
        std::min(std::floor(free / per_target), static_cast<double>(kUnlimited)));
}

namespace {
/// Picks companies for NGO n this week: best-of-k draws from its random stream among the
/// companies it has not engaged yet (docs/ODD.md 7.9).
struct CompanyPicker {
    const StepContext& ctx;
    ModelState& st;
    std::uint32_t n;
    Rng rng;
    std::uint32_t companies;  ///< C: company count; also "no company" as a result

    /// True if NGO n has no relationship with company c beyond stage none.
    [[nodiscard]] bool free(std::uint32_t c) const {
        auto it = st.rel_index.find(rel_key(n, c));
        return it == st.rel_index.end() || st.rels[it->second].stage == Stage::kNone;
    }
    /// The best of `draws` uniform draws from [lo, lo + pool) (stream `phase`, draw i * draws +
    /// j) by `score`, among companies not yet engaged by this NGO and `eligible`; C if there is
    /// none. Every draw is made whatever the outcome, so the random streams do not depend on it.
    template <class Score, class Eligible>
    [[nodiscard]] std::uint32_t best_of(std::uint32_t draws, std::uint32_t phase, std::uint32_t i,
                                        std::uint32_t lo, std::uint32_t pool, const Score& score,
                                        const Eligible& eligible) const {
        std::uint32_t best = companies;
        double best_score = kNoScore;
        for (std::uint32_t j = 0; j < draws; ++j) {
            const auto c = lo + static_cast<std::uint32_t>(rng.below(phase, i * draws + j, pool));
            if (!eligible(c)) continue;
            const double sc = score(c);
            if (free(c) && sc > best_score) best = c, best_score = sc;
        }
        return best;
    }
    /// Interest score of company c as NGO n sees it: estimated alignment + sector sentiment.
    [[nodiscard]] double interest(std::uint32_t c) const {
        return engagement::alignment_estimate(ctx, st, n, c) + st.co.sentiment[c];
    }
    /// Start an engagement of NGO n with company c (if c is a company, i.e. c < C).
    void engage(std::uint32_t c, Stream stream, bool inbound) const {
        if (c < companies) start_engagement(ctx, st, relationship(ctx, st, n, c), stream, inbound);
    }
};

constexpr auto kAnyCompany = [](std::uint32_t) { return true; };

/// Inbound leads: outreach events (Poisson, outreach_events_per_year), each bringing
/// leads_per_event already-interested companies (best of inbound_draws by interest).
void inbound_leads(const CompanyPicker& pick, const NgoParams& p) {
    auto& st = pick.st;
    const std::uint32_t events =
        pick.rng.poisson(rng_phase::kEvent, 0, p.outreach_events_per_year / kWeeksPerYear);
    st.counters.actions_low += events;
    st.counters.low_by_stream[kWs1] += events;  // outreach events bring WS1 leads
    const std::uint32_t leads =
        pick.rng.poisson(rng_phase::kInbound, 0, events * p.leads_per_event);
    const auto interest = [&](std::uint32_t c) { return pick.interest(c); };
    for (std::uint32_t i = 0; i < leads; ++i) {
        const auto draws = static_cast<std::uint32_t>(p.inbound_draws);
        pick.engage(pick.best_of(draws, rng_phase::kInboundPick, i, 0, pick.companies, interest,
                                 kAnyCompany),
                    Stream::kPrevention, true);
    }
}

/// Proactive targeting after landscape mapping, by the NGO's strategy, while staff capacity
/// covers the effort needs of its open engagements plus prospecting, and below the policy cap
/// max_pipeline. Sets this week's prospecting hours.
void proactive_targets(const CompanyPicker& pick, const NgoParams& p, NgoState& ns) {
    const auto& ctx = pick.ctx;
    auto& st = pick.st;
    std::uint32_t pre = 0;
    for (auto id : ns.active_rels)
        if (is_ws1(st.rels[id].stage) && !is_post_agreement(st.rels[id].stage)) ++pre;
    const auto cap = static_cast<std::uint32_t>(p.max_pipeline);
    if (pre >= cap) return;
    const std::uint32_t wanted = pick.rng.poisson(
        rng_phase::kTarget, 0, p.targets_per_month * kMonthsPerYear / kWeeksPerYear);
    const std::uint32_t k = std::min({wanted, cap - pre, capacity_for_targets(ctx, st, pick.n)});
    ns.prospecting_hours = k * p.prospecting_hours;
    const std::uint32_t C = pick.companies;
    const std::uint32_t M = ctx.net.mnc_count;
    auto target_score = [&](std::uint32_t c) {
        return engagement::alignment_estimate(ctx, st, pick.n, c) +
               kTargetCsrWeight * st.co.has_csr[c] + st.co.sentiment[c];
    };
    for (std::uint32_t i = 0; i < k; ++i) {
        bool mnc = p.targeting == TargetingStrategy::kMncFocus;
        if (p.targeting == TargetingStrategy::kMixed)
            mnc = pick.rng.chance(rng_phase::kTargetPool, i, kMixedMncShare);
        if (M == 0 || M == C) mnc = M > 0;  // only one kind of company exists
        const std::uint32_t lo = mnc ? 0 : M, pool = mnc ? M : C - M;
        pick.engage(pick.best_of(kTargetDraws, rng_phase::kTargetPick, i, lo, pool, target_score,
                                 kAnyCompany),
                    Stream::kPrevention, false);
    }
}

/// Work stream 2: companies on government lists or in associations (003 WS2), Poisson
/// ws2_targets_per_year, each the best of kTargetDraws by interest.
void ws2_targets(const CompanyPicker& pick, const NgoParams& p) {
    const auto& net = pick.ctx.net;
    const std::uint32_t k =
        pick.rng.poisson(rng_phase::kWs2Target, 0, p.ws2_targets_per_year / kWeeksPerYear);
    auto listed = [&](std::uint32_t c) {
        return net.company_government[c] >= 0 || net.company_association[c] >= 0;
    };
    const auto interest = [&](std::uint32_t c) { return pick.interest(c); };
    for (std::uint32_t i = 0; i < k; ++i)
        pick.engage(
            pick.best_of(kTargetDraws, rng_phase::kWs2Pick, i, 0, pick.companies, interest, listed),
            Stream::kSurvivorEmployment, false);
}
}  // namespace

void phase_outreach(const StepContext& ctx, ModelState& st) {
    const std::uint32_t C = ctx.net.company_count();
    if (C == 0) return;
    for (std::uint32_t n = 0; n < ctx.ngo_params.size(); ++n) {
        const NgoParams& p = ctx.ngo_params[n];
        NgoState& ns = st.ngo_state[n];
        ns.prospecting_hours = 0;
        if (!ns.active || ns.staff_hours <= 0) continue;
        const CompanyPicker pick{ctx, st, n, ctx.ngo_rng(n), C};
        inbound_leads(pick, p);
        proactive_targets(pick, p, ns);
        if (p.work_stream_2 && !st.ws2_stalled) ws2_targets(pick, p);
    }
}

}  // namespace pse::outreach
