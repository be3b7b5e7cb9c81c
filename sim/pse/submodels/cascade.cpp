#include "pse/submodels/cascade.h"

#include <algorithm>
#include <bit>
#include <numeric>

#include "pse/detail/parallel.h"
#include "pse/errors.h"
#include "pse/rng_streams.h"

namespace pse::cascade {
namespace {
/// ASSUMPTION (docs/ODD.md 7.10): labour practice of an improved supplier (at least).
constexpr double kImprovedLabourPractice = 0.8;

/// Suppliers that can change or count this week, ascending: those with a buyer whose chain is
/// covered, open or partly improved, those with their own coverage, remediation pressure, or
/// already improved. Everyone else has zero hazard and zero reach, so skipping them changes
/// nothing. (With a background hazard or a zero peer threshold every supplier is a candidate.)
void collect_candidates(const StepContext& ctx, ModelState& st) {
    const auto& net = ctx.net;
    const auto& oc = ctx.scenario.outcomes;
    const std::uint32_t S = net.supplier_count;
    const std::uint32_t M = net.mnc_count;
    auto& w = st.cascade;
    const bool everyone = oc.cascade_base > 0 || (oc.cascade_threshold <= 0 && oc.cascade_peer_bonus > 0);
    w.cand.clear();
    if (everyone) {
        w.cand.resize(S);
        std::iota(w.cand.begin(), w.cand.end(), 0u);
        return;
    }
    // One bit per supplier (all clear between weeks): set when a supplier is first added.
    const std::size_t words = (static_cast<std::size_t>(S) + 63) / 64;
    if (w.cand_bits.size() != words) w.cand_bits.assign(words, 0);
    std::uint64_t* bits = w.cand_bits.data();
    auto add = [&](std::uint32_t sidx) {
        const std::uint64_t bit = std::uint64_t{1} << (sidx & 63);
        if (!(bits[sidx >> 6] & bit)) {
            bits[sidx >> 6] |= bit;
            w.cand.push_back(sidx);
        }
    };
    for (std::uint32_t m = 0; m < M; ++m)
        if (st.co.mech_coverage[m] > 0 || st.co.open_chain[m] || st.co.improved_share[m] > 0)
            for (auto k = net.suppliers_of.offsets[m]; k < net.suppliers_of.offsets[m + 1]; ++k)
                add(net.suppliers_of.targets[k] - M);
    for (auto sidx : w.touched_suppliers) add(sidx);  // own coverage, remediation or improved
    for (auto c : w.chain_touched)  // suppliers partnered directly (their own coverage)
        if (c >= M && st.co.mech_coverage[c] > 0) add(c - M);
    // Ascending supplier order (the order of the sums and events below). Reading the set bits
    // word by word is O(S/64) and beats sorting once more than about 1/256 of the suppliers
    // are candidates (sorting 12,000 of 200,000 took 17% of the regional run).
    if (w.cand.size() > S / 256) {
        const std::size_t count = w.cand.size();
        w.cand.clear();
        for (std::size_t i = 0; i < words; ++i)
            for (std::uint64_t x = bits[i]; x != 0; x &= x - 1)
                w.cand.push_back(static_cast<std::uint32_t>(i * 64 + static_cast<std::size_t>(std::countr_zero(x))));
        if (w.cand.size() != count) throw ModelError("cascade candidate list inconsistent");
    } else {
        std::sort(w.cand.begin(), w.cand.end());
    }
    for (const auto sidx : w.cand) bits[sidx >> 6] = 0;  // clear for next week
}

}  // namespace

void phase_chain_flags(const StepContext& ctx, ModelState& st) {
    const auto& oc = ctx.scenario.outcomes;
    auto& co = st.co;
    // Only companies flagged last week need resetting (no O(companies) pass per week).
    for (auto c : st.cascade.chain_touched) {
        co.mech_coverage[c] = 0.0;
        co.open_chain[c] = 0;
        co.scrutiny_chain[c] = 0;
        co.mech_source[c] = -1;
        co.open_source[c] = -1;
    }
    st.cascade.chain_touched.clear();
    for (const auto& ns : st.ngo_state)
        for (auto id : ns.active_rels) {
            const Relationship& r = st.rels[id];
            if (!(r.stage == Stage::kImplementation || r.stage == Stage::kSustained)) continue;
            const bool open = r.stage == Stage::kSustained ? r.access : r.trust >= ctx.scenario.trust.access_threshold;
            const double cov = r.coverage * (r.stage == Stage::kSustained ? oc.sustained_factor : 1.0) *
                               (open ? 1.0 : oc.closed_chain_reach);
            st.cascade.chain_touched.push_back(r.company);
            if (cov > co.mech_coverage[r.company]) {  // the first of the highest is credited
                co.mech_coverage[r.company] = cov;
                co.mech_source[r.company] = static_cast<std::int32_t>(id);
            }
            if (open) {
                if (!co.open_chain[r.company]) co.open_source[r.company] = static_cast<std::int32_t>(id);
                co.open_chain[r.company] = 1;
                if (ctx.ngo_params[r.ngo].approach == Approach::kScrutiny) co.scrutiny_chain[r.company] = 1;
            }
        }
}

void phase_cascade(const StepContext& ctx, ModelState& st) {
    const auto& net = ctx.net;
    const std::uint32_t M = net.mnc_count;
    const auto& oc = ctx.scenario.outcomes;
    auto& co = st.co;
    auto& w = st.cascade;
    collect_candidates(ctx, st);
    const std::size_t n = w.cand.size();
    w.improved_now.assign(n, 0);
    w.endorsed_now.assign(n, 0);
    w.reach.assign(n, 0.0);
    w.vr.assign(n, 0.0);
    w.cov_source.assign(n, -1);
    w.imp_source.assign(n, -1);
    auto one = [&](std::size_t j) {
        const std::uint32_t sidx = w.cand[j];
        const std::uint32_t c = M + sidx;
        double cov = co.mech_coverage[c];
        std::int32_t cov_src = co.mech_source[c];
        std::int32_t open_src = -1;
        std::uint32_t open = 0;
        bool scrutiny = false;
        double peer = 0;
        const auto b0 = net.buyers_of.offsets[sidx], b1 = net.buyers_of.offsets[sidx + 1];
        for (auto k = b0; k < b1; ++k) {
            const auto b = net.buyers_of.targets[k];
            if (co.mech_coverage[b] > cov) {  // max coverage; the first of the highest is credited
                cov = co.mech_coverage[b];
                cov_src = co.mech_source[b];
            }
            if (co.open_chain[b]) {
                if (open == 0) open_src = co.open_source[b];
                ++open;
                scrutiny = scrutiny || co.scrutiny_chain[b];
            }
            peer += co.improved_share[b];
        }
        bool improved = co.improved[c];
        if (!improved) {
            double h = oc.cascade_base + oc.cascade_per_buyer * open +
                       (b1 > b0 && peer / (b1 - b0) >= oc.cascade_threshold ? oc.cascade_peer_bonus : 0.0) +
                       (co.remediation[c] ? oc.report_remediation : 0.0);
            if (scrutiny) h *= 1.0 - oc.scrutiny_hiding;
            if (h > 0) {
                const Rng rng = ctx.company_rng(c);
                if (rng.chance(rng_phase::kCascade, 0, hazard_to_prob(h))) w.improved_now[j] = 1, improved = true;
            }
        }
        const double wk = co.workers[c];
        w.reach[j] = (cov > 0 || improved) ? wk : 0.0;
        // Credit (observation only): coverage to the partnership giving it; an improvement this
        // week to the first open buyer chain's partnership, else to the abuse report behind the
        // remediation, else to none (peer or background improvement).
        if (w.improved_now[j]) w.imp_source[j] = open_src >= 0 ? open_src : co.remediation_by[c];
        w.cov_source[j] = cov > 0 ? cov_src : -1;
        w.vr[j] = wk * (1.0 - (1.0 - oc.vulnerability_reduction * cov) * (1.0 - (improved ? oc.vulnerability_reduction : 0.0)));
        if (open > 0) w.endorsed_now[j] = 1;  // endorsed by an open buyer this week
    };
    if (ctx.parallel && n > 4096) {
        detail::parallel_for<std::size_t>(n, 1024, [&](std::size_t begin, std::size_t end) {
            for (auto j = begin; j < end; ++j) one(j);
        });
    } else {
        for (std::size_t j = 0; j < n; ++j) one(j);
    }
    double workers = 0, vuln = 0;
    for (std::size_t j = 0; j < n; ++j) {
        const std::uint32_t sidx = w.cand[j];
        const std::uint32_t c = M + sidx;
        if (w.improved_now[j]) {
            co.improved[c] = 1;
            co.improved_by[c] = w.imp_source[j];
            co.improved_week[c] = ctx.week;
            co.labour_practice[c] = std::max(co.labour_practice[c], kImprovedLabourPractice);
            ++st.counters.suppliers_improved;
            w.touched_suppliers.push_back(sidx);
            for (auto k = net.buyers_of.offsets[sidx]; k < net.buyers_of.offsets[sidx + 1]; ++k)
                ++w.improved_count[net.buyers_of.targets[k]];
            emit(ctx, st, -1, net.company_vertex(c), EventType::kSupplierImproved);
        }
        if (w.endorsed_now[j]) {
            co.sentiment[c] = std::max(co.sentiment[c], ctx.scenario.trust.buyer_endorsement);
            st.sentiment_changed(c);
        }
        workers += w.reach[j];
        vuln += w.vr[j];
    }
    for (std::size_t j = 0; j < n; ++j) {  // shares change only for buyers of newly improved suppliers
        if (!w.improved_now[j]) continue;
        const std::uint32_t sidx = w.cand[j];
        for (auto k = net.buyers_of.offsets[sidx]; k < net.buyers_of.offsets[sidx + 1]; ++k) {
            const auto m = net.buyers_of.targets[k];
            co.improved_share[m] = static_cast<double>(w.improved_count[m]) / net.suppliers_of.row_size(m);
        }
    }
    if (ctx.week == ctx.scenario.weeks - 1) {  // final-week credit of workers reached
        auto& credit = st.counters.final_credit;
        credit.clear();
        for (std::size_t j = 0; j < n; ++j) {
            if (w.reach[j] <= 0 && w.vr[j] <= 0) continue;
            const std::uint32_t c = M + w.cand[j];
            const std::int32_t src = w.cov_source[j] >= 0 ? w.cov_source[j] : co.improved_by[c];
            credit.push_back({src, {w.reach[j], w.vr[j]}});
        }
    }
    auto* row = st.series_row(ctx.week);
    row[static_cast<int>(Series::kWorkersReached)] = workers;
    row[static_cast<int>(Series::kVulnerabilityReduction)] = vuln;
    row[static_cast<int>(Series::kSuppliersImproved)] = static_cast<double>(st.counters.suppliers_improved);
}

}  // namespace pse::cascade
