#include "pse/submodels/shocks.h"

#include <algorithm>
#include <vector>

#include "pse/detail/parallel.h"
#include "pse/rng_streams.h"
#include "pse/submodels/trust.h"

namespace pse::shocks {
namespace {
/// Lowest company sentiment toward NGOs (docs/ODD.md 2: s_c in [-1, 1]; 7.4 media shock).
constexpr double kMinSentiment = -1.0;
/// Sentiment decay visits all companies in one pass once more than 1/kSentimentDenseDivisor of
/// them have changed (speed only; identical results either way).
constexpr std::size_t kSentimentDenseDivisor = 8;
/// Parallel decay of all companies above this many (speed only), in chunks of kDecayGrain.
constexpr std::size_t kParallelDecayMin = 65536;
constexpr std::size_t kDecayGrain = 16384;
}  // namespace

void lower_sentiment(ModelState& st, std::uint32_t c, double drop) {
    st.co.sentiment[c] = std::max(kMinSentiment, st.co.sentiment[c] - drop);
    st.sentiment_changed(c);
}

namespace {

/// Sentiment decays toward 0. Companies never changed hold exactly 0 (0 * keep = 0): while they
/// are most companies, only the changed ones are visited; once more than 1/8 have changed, one
/// contiguous pass over all is faster than the scattered one (kSentimentDenseDivisor). Identical
/// results either way.
void decay_sentiment(const StepContext& ctx, ModelState& st, double keep) {
    auto& sent = st.co.sentiment;
    if (st.sentiment_list.size() > sent.size() / kSentimentDenseDivisor) {
        if (ctx.parallel && sent.size() > kParallelDecayMin) {
            detail::parallel_for<std::size_t>(sent.size(), kDecayGrain,
                                              [&](std::size_t begin, std::size_t end) {
                                                  for (auto i = begin; i < end; ++i)
                                                      sent[i] *= keep;
                                              });
        } else {
            for (auto& x : sent) x *= keep;
        }
    } else {
        for (const auto c : st.sentiment_list) sent[c] *= keep;
    }
}

/// Reputation penalty of NGO n compounded with drop, and every active engagement of n shocked by
/// it.
void hit_ngo(const StepContext& ctx, ModelState& st, std::uint32_t n, double drop) {
    auto& ns = st.ngo_state[n];
    ns.reputation_penalty = trust::compound_penalty(ns.reputation_penalty, drop);
    for (auto id : ns.active_rels) trust::shock(ctx, st, st.rels[id], drop);
}

void representative_turnover(const StepContext& ctx, ModelState& st) {
    const auto& tp = ctx.scenario.trust;
    const double rate = ctx.scenario.company.turnover_per_year / kWeeksPerYear;
    if (rate <= 0) return;
    for (auto& ns : st.ngo_state) {
        for (auto id : ns.active_rels) {
            Relationship& r = st.rels[id];
            const Rng rng = ctx.company_rng(r.company);
            if (!rng.chance(rng_phase::kTurnover, 0, hazard_to_prob(rate))) continue;
            const bool multiplex = r.brokered || ctx.net.company_government[r.company] >= 0;
            const double theta =
                tp.turnover_retention +
                (1.0 - tp.turnover_retention) * (multiplex ? tp.multiplex_buffer : 0.0);
            trust::shock(ctx, st, r, 1.0 - theta);
            emit(ctx, st, static_cast<std::int32_t>(r.ngo), r.org, EventType::kTurnover, r.stage,
                 r.stage);
        }
    }
}

}  // namespace

void phase_shocks(const StepContext& ctx, ModelState& st) {
    const int t = ctx.week;
    const auto& sh = ctx.scenario.shocks;
    const double keep = 1.0 - ctx.scenario.trust.decay_rate;
    decay_sentiment(ctx, st, keep);
    for (auto& ns : st.ngo_state) ns.reputation_penalty *= keep;
    if (t == sh.tier_downgrade_week) {
        for (std::uint32_t n = 0; n < ctx.ngo_params.size(); ++n) {
            if (!ctx.ngo_params[n].affiliated) continue;
            hit_ngo(ctx, st, n, sh.tier_downgrade_drop);
            emit(ctx, st, static_cast<std::int32_t>(n), -1, EventType::kTierDowngrade);
        }
    }
    if (t == sh.media_shock_week) {
        for (std::uint32_t c = 0; c < st.co.sentiment.size(); ++c)
            if (st.co.sensitive[c]) lower_sentiment(st, c, sh.media_shock_drop);
        for (auto& ns : st.ngo_state)
            for (auto id : ns.active_rels)
                if (st.co.sensitive[st.rels[id].company])
                    trust::shock(ctx, st, st.rels[id], sh.media_shock_drop);
        emit(ctx, st, -1, -1, EventType::kMediaShock);
    }
    st.ws2_stalled = sh.ws2_stall_start_week >= 0 && t >= sh.ws2_stall_start_week &&
                     t < sh.ws2_stall_start_week + sh.ws2_stall_weeks;
    representative_turnover(ctx, st);
}

void spill_scrutiny(const StepContext& ctx, ModelState& st, std::uint32_t c) {
    // Companies connected to a scrutinised company (association co-members, supply-chain
    // partners) lose trust in NGOs generally (003 Learning 1; Diestre & Rajagopalan in
    // docs/EVIDENCE.md section 3).
    // Each connected company is hit once, also when it is both a co-member and a chain partner.
    const auto& net = ctx.net;
    const double drop = ctx.scenario.trust.scrutiny_spillover;
    std::vector<std::uint32_t> connected;
    if (const auto a = net.company_association[c]; a >= 0)
        for (auto k = net.members_of.offsets[a]; k < net.members_of.offsets[a + 1]; ++k)
            connected.push_back(net.members_of.targets[k]);
    if (net.is_mnc(c)) {
        for (auto k = net.suppliers_of.offsets[c]; k < net.suppliers_of.offsets[c + 1]; ++k)
            connected.push_back(net.suppliers_of.targets[k]);
    } else {
        const auto sidx = c - net.mnc_count;
        for (auto k = net.buyers_of.offsets[sidx]; k < net.buyers_of.offsets[sidx + 1]; ++k)
            connected.push_back(net.buyers_of.targets[k]);
    }
    std::sort(connected.begin(), connected.end());
    connected.erase(std::unique(connected.begin(), connected.end()), connected.end());
    for (const auto k : connected)
        if (k != c) lower_sentiment(st, k, drop);
}

void queue_sister_spillover(ModelState& st, std::uint32_t ngo, double drop) {
    st.sister_spills.emplace_back(ngo, drop);
}

void phase_sister_spillovers(const StepContext& ctx, ModelState& st) {
    for (auto [n, drop] : st.sister_spills)
        for (std::uint32_t j = 0; j < ctx.ngo_params.size(); ++j) {
            if (j == n || ctx.ngo_params[j].implementer != ctx.ngo_params[n].implementer) continue;
            hit_ngo(ctx, st, j, drop);
        }
    st.sister_spills.clear();
}

}  // namespace pse::shocks
