#include "pse/submodels/cascade.h"
#include "pse/submodels/trust.h"

#include <algorithm>
#include <bit>
#include <numeric>

#include "pse/detail/parallel.h"
#include "pse/errors.h"
#include "pse/rng_streams.h"

namespace pse::cascade {
namespace {
/// Labour practice of an improved supplier, at least ([0,1]; ASSUMPTION, docs/ODD.md 7.10).
constexpr double kImprovedLabourPractice = 0.8;
/// Suppliers are sorted when at most 1/kCandidateBitsDivisor of them are candidates, else read
/// from the bit set (speed only; the same ascending order either way).
constexpr std::uint32_t kCandidateBitsDivisor = 256;
/// Candidates are computed on all cores above this many (speed only; identical results), in
/// chunks of kCascadeGrain.
constexpr std::size_t kParallelCascadeMin = 4096;
constexpr std::size_t kCascadeGrain = 1024;

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
    const bool everyone =
        oc.cascade_base > 0 || (oc.cascade_threshold <= 0 && oc.cascade_peer_bonus > 0);
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
    if (w.cand.size() > S / kCandidateBitsDivisor) {
        const std::size_t count = w.cand.size();
        w.cand.clear();
        for (std::size_t i = 0; i < words; ++i)
            for (std::uint64_t x = bits[i]; x != 0; x &= x - 1)
                w.cand.push_back(static_cast<std::uint32_t>(
                    i * 64 + static_cast<std::size_t>(std::countr_zero(x))));
        if (w.cand.size() != count) throw ModelError("cascade candidate list inconsistent");
    } else {
        std::sort(w.cand.begin(), w.cand.end());
    }
    for (const auto sidx : w.cand) bits[sidx >> 6] = 0;  // clear for next week
}

}  // namespace

MechEffect mechanism_effect(const Scenario::Outcomes& oc, MechType t) {
    switch (t) {
        case MechType::kCode:
            return {oc.mech_effect_code, oc.mech_monitoring_code};
        case MechType::kVoice:
            return {oc.mech_effect_voice, oc.mech_monitoring_voice};
        case MechType::kRecruitment:
            return {oc.mech_effect_recruitment, oc.mech_monitoring_recruitment};
        case MechType::kAudit:
            return {oc.mech_effect_audit, oc.mech_monitoring_audit};
    }
    throw ModelError("unknown mechanism type");
}

MechType mechanism_type(const StepContext& ctx, std::uint32_t ngo, std::uint32_t company) {
    const auto& oc = ctx.scenario.outcomes;
    const double w[] = {oc.mech_weight_code, oc.mech_weight_voice, oc.mech_weight_recruitment,
                        oc.mech_weight_audit};
    const double total = w[0] + w[1] + w[2] + w[3];
    if (!(total > 0)) return MechType::kCode;
    const Rng rng(ctx.seed, EntityKey{EntityKind::kRelationship, company}, 0);
    double u = rng.uniform(rng_phase::ngo_phase(ngo, rng_phase::kMechType), 0) * total;
    for (std::uint8_t t = 0; t < static_cast<std::uint8_t>(MechType::kAudit);
         ++t) {  // the last takes the rest
        if (u < w[t]) return static_cast<MechType>(t);
        u -= w[t];
    }
    return MechType::kAudit;
}

double money_depth(const Scenario::Outcomes& oc, double usd) {
    const double r = std::max(0.0, usd);
    return oc.money_depth_floor + (1.0 - oc.money_depth_floor) * r / (r + oc.money_half_usd);
}

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
        co.mech_effect[c] = 0.0;
        co.mech_pressure[c] = 0.0;
    }
    st.cascade.chain_touched.clear();
    for (const auto& ns : st.ngo_state)
        for (auto id : ns.active_rels) {
            const Relationship& r = st.rels[id];
            if (!(r.stage == Stage::kImplementation || r.stage == Stage::kSustained)) continue;
            const bool open = r.stage == Stage::kSustained
                                  ? r.access
                                  : r.trust >= trust::access_threshold(ctx, st, r.company);
            const double cov = r.coverage * money_depth(oc, r.resources_usd) *
                               (r.stage == Stage::kSustained ? oc.sustained_factor : 1.0) *
                               (open ? 1.0 : oc.closed_chain_reach);
            const MechEffect me = mechanism_effect(oc, mechanism_type(ctx, r.ngo, r.company));
            st.cascade.chain_touched.push_back(r.company);
            if (cov > co.mech_coverage[r.company]) {  // the first of the highest is credited
                co.mech_coverage[r.company] = cov;
                co.mech_source[r.company] = static_cast<std::int32_t>(id);
                co.mech_effect[r.company] = me.effect;
            }
            co.mech_pressure[r.company] =
                std::max(co.mech_pressure[r.company], me.monitoring * cov);
            if (open) {
                if (!co.open_chain[r.company])
                    co.open_source[r.company] = static_cast<std::int32_t>(id);
                co.open_chain[r.company] = 1;
                if (ctx.ngo_params[r.ngo].approach == Approach::kScrutiny)
                    co.scrutiny_chain[r.company] = 1;
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
    w.reverted_now.assign(n, 0);
    w.cf_improved_now.assign(n, 0);
    w.cf_reverted_now.assign(n, 0);
    w.cf_reach.assign(n, 0.0);
    w.cf_vr.assign(n, 0.0);
    const double rho = oc.reversion_per_year / kWeeksPerYear;
    auto one = [&](std::size_t j) {
        const std::uint32_t sidx = w.cand[j];
        const std::uint32_t c = M + sidx;
        double cov = co.mech_coverage[c];
        double eff = co.mech_effect[c];
        double pressure = co.mech_pressure[c];
        std::int32_t cov_src = co.mech_source[c];
        std::int32_t open_src = -1;
        std::uint32_t open = 0;
        bool scrutiny = false;
        double peer = 0, cf_peer = 0;
        const auto b0 = net.buyers_of.offsets[sidx], b1 = net.buyers_of.offsets[sidx + 1];
        for (auto k = b0; k < b1; ++k) {
            const auto b = net.buyers_of.targets[k];
            if (co.mech_coverage[b] > cov) {  // max coverage; the first of the highest is credited
                cov = co.mech_coverage[b];
                cov_src = co.mech_source[b];
                eff = co.mech_effect[b];
            }
            pressure = std::max(pressure, co.mech_pressure[b]);
            if (co.open_chain[b]) {
                if (open == 0) open_src = co.open_source[b];
                ++open;
                scrutiny = scrutiny || co.scrutiny_chain[b];
            }
            peer += co.improved_share[b];
            cf_peer += co.cf_improved_share[b];
        }
        const Rng rng = ctx.company_rng(c);
        const bool was = co.improved[c], cf_was = co.cf_improved[c];
        bool improved = was, cf_improved = cf_was;
        // Improvement: one uniform shared by both worlds (common random numbers).
        double h = 0, h0 = 0;
        if (!was) {
            h = oc.cascade_base + oc.cascade_per_buyer * open +
                (b1 > b0 && peer / (b1 - b0) >= oc.cascade_threshold ? oc.cascade_peer_bonus
                                                                     : 0.0) +
                (co.remediation[c] ? oc.report_remediation : 0.0);
            if (scrutiny) h *= 1.0 - oc.scrutiny_hiding;
        }
        if (!cf_was)
            h0 = oc.cascade_base + (b1 > b0 && cf_peer / (b1 - b0) >= oc.cascade_threshold
                                        ? oc.cascade_peer_bonus
                                        : 0.0);
        if (h > 0 || h0 > 0) {
            const double u = rng.uniform(rng_phase::kCascade, 0);
            if (h > 0 && u < hazard_to_prob(h)) w.improved_now[j] = 1, improved = true;
            if (h0 > 0 && u < hazard_to_prob(h0)) w.cf_improved_now[j] = 1, cf_improved = true;
        }
        // Reversion of an improvement held since before this week: pressure (monitoring x
        // coverage) removes its share of the hazard; the counterfactual has no pressure.
        if (rho > 0 && (was || cf_was)) {
            const double u = rng.uniform(rng_phase::kReversion, 0);
            if (was && u < hazard_to_prob(rho * (1.0 - std::min(1.0, pressure))))
                w.reverted_now[j] = 1, improved = false;
            if (cf_was && u < hazard_to_prob(rho)) w.cf_reverted_now[j] = 1, cf_improved = false;
        }
        const double wk = co.workers[c];
        w.reach[j] = wk * std::max(cov, improved ? 1.0 : 0.0);
        w.cf_reach[j] = cf_improved ? wk : 0.0;
        // Credit (observation only): coverage to the partnership giving it; an improvement this
        // week to the first open buyer chain's partnership, else to the abuse report behind the
        // remediation, else to none (peer or background improvement).
        if (w.improved_now[j]) w.imp_source[j] = open_src >= 0 ? open_src : co.remediation_by[c];
        w.cov_source[j] = cov > 0 ? cov_src : -1;
        // 1 - (1 - a)(1 - b) written as a + b - ab: without coverage it is exactly the
        // counterfactual's v (attributable exactly 0 without a project).
        const double a = eff * cov, b = improved ? oc.vulnerability_reduction : 0.0;
        w.vr[j] = wk * (a + b - a * b);
        w.cf_vr[j] = cf_improved ? wk * oc.vulnerability_reduction : 0.0;
        if (open > 0) w.endorsed_now[j] = 1;  // endorsed by an open buyer this week
    };
    if (ctx.parallel && n > kParallelCascadeMin) {
        detail::parallel_for<std::size_t>(n, kCascadeGrain,
                                          [&](std::size_t begin, std::size_t end) {
                                              for (auto j = begin; j < end; ++j) one(j);
                                          });
    } else {
        for (std::size_t j = 0; j < n; ++j) one(j);
    }
    double workers = 0, vuln = 0, cf_workers = 0, cf_vuln = 0;
    auto count_buyers = [&](std::uint32_t sidx, std::vector<std::uint32_t>& counts, int delta) {
        for (auto k = net.buyers_of.offsets[sidx]; k < net.buyers_of.offsets[sidx + 1]; ++k)
            counts[net.buyers_of.targets[k]] +=
                static_cast<std::uint32_t>(delta);  // wraps back for -1
    };
    for (std::size_t j = 0; j < n; ++j) {
        const std::uint32_t sidx = w.cand[j];
        const std::uint32_t c = M + sidx;
        if (w.reverted_now[j]) {
            co.improved[c] = 0;
            co.improved_by[c] = -1;
            co.labour_practice[c] = co.practice_before[c];
            --st.counters.suppliers_improved;
            st.counters.suppliers_reverted += 1;
            count_buyers(sidx, w.improved_count, -1);
        }
        if (w.cf_improved_now[j])
            ++st.counters.suppliers_improved_cf, count_buyers(sidx, w.cf_improved_count, 1);
        if (w.cf_reverted_now[j])
            --st.counters.suppliers_improved_cf, count_buyers(sidx, w.cf_improved_count, -1);
        if (w.cf_improved_now[j] || w.cf_reverted_now[j]) co.cf_improved[c] = w.cf_improved_now[j];
        if (w.improved_now[j]) {
            co.improved[c] = 1;
            co.improved_by[c] = w.imp_source[j];
            co.improved_week[c] = ctx.week;
            co.practice_before[c] = co.labour_practice[c];
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
        cf_workers += w.cf_reach[j];
        cf_vuln += w.cf_vr[j];
    }
    for (std::size_t j = 0; j < n; ++j) {  // shares change only for buyers of changed suppliers
        if (!(w.improved_now[j] || w.reverted_now[j] || w.cf_improved_now[j] ||
              w.cf_reverted_now[j]))
            continue;
        const std::uint32_t sidx = w.cand[j];
        for (auto k = net.buyers_of.offsets[sidx]; k < net.buyers_of.offsets[sidx + 1]; ++k) {
            const auto m = net.buyers_of.targets[k];
            const double size = static_cast<double>(net.suppliers_of.row_size(m));
            co.improved_share[m] = static_cast<double>(w.improved_count[m]) / size;
            co.cf_improved_share[m] = static_cast<double>(w.cf_improved_count[m]) / size;
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
    row[static_cast<int>(Series::kSuppliersImproved)] =
        static_cast<double>(st.counters.suppliers_improved);
    row[static_cast<int>(Series::kWorkersReachedCounterfactual)] = cf_workers;
    row[static_cast<int>(Series::kVulnerabilityReductionCounterfactual)] = cf_vuln;
    row[static_cast<int>(Series::kSuppliersImprovedCounterfactual)] =
        static_cast<double>(st.counters.suppliers_improved_cf);
}

}  // namespace pse::cascade
