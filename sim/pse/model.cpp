#include "pse/model.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>

#include "pse/detail/parallel.h"
#include "pse/errors.h"
#include "pse/rng.h"

namespace pse {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kWeeksPerYear = 52.0;

// Hard-coded model constants, each marked **ASSUMPTION** in docs/ODD.md ("Events", "Targeting",
// "Contact update", supply-chain cascade).
constexpr std::uint32_t kInboundDraws = 3;      ///< an inbound lead: best of 3 uniform draws (ODD "Events")
constexpr std::uint32_t kTargetDraws = 5;       ///< a WS1 or WS2 target: best of 5 uniform draws (ODD "Targeting")
constexpr double kTargetCsrWeight = 0.3;        ///< weight of a CSR policy in the WS1 targeting score
constexpr double kQualityBase = 0.7;            ///< contact quality o = q·(0.7 + 0.3·objective_consistency)
constexpr double kQualityConsistency = 0.3;     ///< ... weight of objective_consistency in it
constexpr double kImprovedLabourPractice = 0.8; ///< labour practice of an improved supplier (at least)

/// RNG phase codes (low 8 bits of the phase word; relationship streams put the NGO above them).
enum Phase : std::uint32_t {
    kInitCompany = 1, kInitBeta = 2, kInitBeta2 = 3,
    kBudget = 10, kCut = 11, kFollowOn = 12,
    kTurnover = 20,
    kEvent = 30, kInbound = 31, kInboundPick = 32, kTarget = 33, kTargetPick = 34, kWs2Target = 35, kWs2Pick = 36,
    kAdvance = 40, kDrop = 41, kScreen = 43, kExit = 44, kCsrChange = 45, kAbuse = 46,
    kAbusePick = 47, kNdaLeak = 48, kBrokerage = 49, kCohort = 50, kRetention = 51, kMatch = 52,
    kEnd = 60, kResources = 61,
    kCascade = 70,
};

double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double clamp01(double x) { return std::min(1.0, std::max(0.0, x)); }
double hazard_to_prob(double h) { return h <= 0 ? 0.0 : 1.0 - std::exp(-h); }

double median(std::vector<double> v) {
    if (v.empty()) return kNaN;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

Model::Model(const Scenario& s, std::uint64_t seed, ModelOptions opts)
    : s_(s), seed_(seed), opts_(opts), ngos_(resolve_ngos(s, seed)), net_(build_network(s, ngos_, seed)) {
    const std::uint32_t C = net_.company_count();
    const auto& e = s_.ecosystem;
    co_.sensitive.resize(C);
    co_.has_csr.resize(C);
    co_.decision_month.resize(C);
    co_.improved.assign(C, 0);
    co_.remediation.assign(C, 0);
    co_.alignment.resize(C);
    co_.ttv_weeks.resize(C);
    co_.labour_practice.resize(C);
    co_.workers.resize(C);
    co_.sentiment.assign(C, 0.0);
    sentiment_on_.assign(C, 0);
    co_.improved_week.assign(C, -1);
    co_.mech_coverage.assign(C, 0.0);
    co_.open_chain.assign(C, 0);
    co_.scrutiny_chain.assign(C, 0);
    co_.improved_share.assign(net_.mnc_count, 0.0);
    improved_count_.assign(net_.mnc_count, 0);
    auto init_company = [&](std::uint32_t c) {
        const Rng rng(seed_, EntityKey{EntityKind::kCompany, c});
        const bool mnc = net_.is_mnc(c);
        co_.sensitive[c] = rng.chance(kInitCompany, 0, e.sensitive_sector_share);
        co_.has_csr[c] = rng.chance(kInitCompany, 1, mnc ? e.mnc_csr_prob : e.supplier_csr_prob);
        co_.decision_month[c] = static_cast<std::uint8_t>(
            s_.company.decision_month > 0 ? s_.company.decision_month : 1 + rng.below(kInitCompany, 2, 12));
        co_.ttv_weeks[c] = rng.lognormal(kInitCompany, 3, s_.company.time_to_value_weeks, s_.company.time_to_value_sigma);
        // MNCs' own workforce is not modelled: reach is counted at suppliers (docs/ODD.md).
        co_.workers[c] = mnc ? 0.0 : rng.lognormal(kInitCompany, 4, e.workers_per_supplier_median, e.workers_per_supplier_sigma);
        co_.alignment[c] = rng.beta_mean(kInitBeta, 0, mnc ? e.mnc_alignment_mean : e.supplier_alignment_mean,
                                         e.alignment_concentration);
        co_.labour_practice[c] = rng.beta_mean(kInitBeta2, 0,
                                               mnc ? e.mnc_labour_practice_mean : e.supplier_labour_practice_mean,
                                               e.alignment_concentration);
    };
    // Pure per-company draws keyed by identity: parallel and serial give identical state.
    if (opts_.parallel && C > 4096) {
        detail::parallel_for<std::uint32_t>(C, 2048, [&](std::uint32_t begin, std::uint32_t end) {
            for (auto c = begin; c < end; ++c) init_company(c);
        });
    } else {
        for (std::uint32_t c = 0; c < C; ++c) init_company(c);
    }
    ngo_.resize(ngos_.size());
    first_start_ = std::numeric_limits<int>::max();
    for (std::size_t n = 0; n < ngos_.size(); ++n) {
        ngo_[n].end_week = ngos_[n].end_week;
        ngo_[n].training_progress = ngos_[n].trained ? 1.0 : 0.0;
        ngo_[n].budget_usd = ngos_[n].budget_usd_per_year;
        if (ngos_[n].engages_business && ngos_[n].start_week < first_start_) {
            first_start_ = ngos_[n].start_week;
            first_end_ = ngos_[n].end_week;
            first_ngo_ = static_cast<std::uint32_t>(n);
        }
    }
    if (first_start_ == std::numeric_limits<int>::max()) {
        first_start_ = 0;
        first_end_ = s_.weeks;
    }
    gov_trust_.assign(ngos_.size() * net_.government_count, s_.trust.government_prior);
    out_.weeks = s_.weeks;
    out_.series.assign(static_cast<std::size_t>(s_.weeks) * kSeriesCount, 0.0);
    out_.pipeline.assign(static_cast<std::size_t>(s_.weeks) * kStageCount, 0.0);
    out_.summary.assign(kSummaryCount, kNaN);
    out_.organisations = static_cast<std::uint32_t>(boost::num_vertices(net_.graph));
    out_.edges = boost::num_edges(net_.graph);
}

// ---------------------------------------------------------------------------------------------
// Trust helpers (EVIDENCE §5.1–5.2)

double Model::prior_trust(std::uint32_t n, std::uint32_t c) const {
    const auto& t = s_.trust;
    const bool mnc = net_.is_mnc(c);
    double x = t.prior_logit + (mnc ? t.prior_mnc_bonus : 0.0) + (co_.has_csr[c] ? t.prior_csr_bonus : 0.0) -
               (co_.sensitive[c] ? t.prior_sensitive_penalty : 0.0) -
               (ngos_[n].framing == Framing::kTrafficking ? t.prior_trafficking_penalty : 0.0);
    double T = logistic(x);
    const double sent = co_.sentiment[c];
    T = sent >= 0 ? T + sent * (1.0 - T) : T * (1.0 + sent);
    return clamp01(T * (1.0 - ngo_[n].reputation_penalty));
}

double Model::current_trust(const Relationship& r) const {
    const int dt = week_ - r.trust_week;
    if (dt <= 0) return r.trust;
    const double T0 = prior_trust(r.ngo, r.company);
    return clamp01(T0 + (r.trust - T0) * std::pow(1.0 - s_.trust.decay_rate, dt));
}

void Model::shock_trust(Relationship& r, double drop) {
    r.trust = clamp01(current_trust(r) * (1.0 - drop));
    r.trust_week = std::max(r.trust_week, week_);
    ++r.shocks;
}

double Model::horizon_willingness(std::uint32_t n, std::uint32_t c) const {
    if (ngos_[n].handover) return 1.0;
    const double R = ngo_[n].end_week - week_;
    return logistic((R - co_.ttv_weeks[c]) / s_.pipeline.horizon_scale_weeks);
}

std::uint32_t Model::relationship(std::uint32_t n, std::uint32_t c) {
    const std::uint64_t key = (static_cast<std::uint64_t>(n) << 32) | c;
    auto it = rel_index_.find(key);
    if (it != rel_index_.end()) return it->second;
    Relationship r;
    r.ngo = n;
    r.company = c;
    r.org = net_.company_vertex(c);
    r.trust = prior_trust(n, c);
    r.trust_week = week_;
    const auto id = static_cast<std::uint32_t>(rels_.size());
    rels_.push_back(r);
    rel_index_.emplace(key, id);
    return id;
}

void Model::emit(std::int32_t ngo, std::int64_t org, EventType type, Stage from, Stage to) {
    if (s_.record_events) out_.events.push_back(Event{week_, ngo, org, type, from, to});
}

void Model::set_stage(Relationship& r, Stage to) {
    r.stage = to;
    r.stage_week = week_;
    if (is_terminal(to)) r.effort = 0;  // an ended relationship holds no staff hours
}

void Model::start_engagement(std::uint32_t id, Stream stream, bool inbound) {
    Relationship& r = rels_[id];
    const Stage to = stream == Stream::kPrevention ? Stage::kIdentified : Stage::kWs2Identified;
    r.trust = current_trust(r);
    if (inbound) r.trust = clamp01(r.trust + s_.trust.inbound_bonus * (1.0 - r.trust));
    r.trust_week = week_;
    r.stream = stream;
    r.inbound = inbound;
    r.first_contact = week_;
    set_stage(r, to);
    ngo_[r.ngo].active_rels.push_back(id);
    if (stream == Stream::kPrevention) initiated_ += 1;
    emit(static_cast<std::int32_t>(r.ngo), r.org, inbound ? EventType::kInboundLead : EventType::kTargeted,
         Stage::kNone, to);
}

// ---------------------------------------------------------------------------------------------
// 1. Funding: budgets, cuts, follow-on, project end (003 Learnings 2-3; 000 Introduction)

void Model::phase_funding() {
    const int t = week_;
    for (std::uint32_t n = 0; n < ngos_.size(); ++n) {
        const NgoParams& p = ngos_[n];
        NgoState& st = ngo_[n];
        if (!p.engages_business || st.ended) continue;
        if (t == p.start_week) st.active = true;
        if (!st.active) continue;
        const Rng rng(seed_, EntityKey{EntityKind::kNgo, n}, static_cast<std::uint32_t>(t));
        if (!st.follow_on_decided && t >= st.end_week - 26) {
            st.follow_on_decided = true;
            if (rng.chance(kFollowOn, 0, p.follow_on_prob)) {
                st.end_week += p.follow_on_weeks;
                emit(static_cast<std::int32_t>(n), n, EventType::kFollowOn);
            }
        }
        if (t >= st.end_week) {
            end_project(n);
            continue;
        }
        if ((t - p.start_week) % 52 == 0) {
            const double sigma = std::sqrt(std::log(1.0 + p.budget_cv * p.budget_cv));
            double b = p.budget_usd_per_year * std::exp(sigma * rng.normal(kBudget, 0) - 0.5 * sigma * sigma);
            if (rng.chance(kCut, 0, p.budget_cut_prob)) {
                b *= p.budget_cut_factor;
                emit(static_cast<std::int32_t>(n), n, EventType::kBudgetCut);
            }
            st.budget_usd = b;
            const double fte = p.dedicated_fte + p.part_time_staff * p.part_time_share;
            const double cost = fte * p.cost_per_fte_year;
            st.budget_factor = cost > 0 ? std::min(1.0, b / cost) : 1.0;
        }
        st.staff_hours = (p.dedicated_fte + p.part_time_staff * p.part_time_share * (1.0 - p.switching_overhead)) *
                         p.hours_per_fte_week * st.budget_factor;
        const double s0 = p.skill_untrained + (p.skill_trained - p.skill_untrained) * st.training_progress;
        st.skill = s0 + (1.0 - s0) * (1.0 - std::exp(-st.experience_weeks / p.skill_learning_weeks));
        if (st.staff_hours > 0) st.experience_weeks += 1.0;
    }
    // Capacity building between tied NGOs (000 Learning 4): trained NGOs with dedicated staff
    // pass training on. Increments are computed from this week's state, then applied.
    std::vector<double> gain(ngos_.size(), 0.0);
    for (std::uint32_t n = 0; n < ngos_.size(); ++n) {
        const auto& p = ngos_[n];
        if (!ngo_[n].active || p.capacity_building <= 0 || ngo_[n].training_progress < 1.0 || p.dedicated_fte <= 0)
            continue;
        for (auto k = net_.ngo_ties.offsets[n]; k < net_.ngo_ties.offsets[n + 1]; ++k)
            gain[net_.ngo_ties.targets[k]] += p.capacity_building;
    }
    for (std::size_t n = 0; n < ngos_.size(); ++n)
        ngo_[n].training_progress = std::min(1.0, ngo_[n].training_progress + gain[n]);
}

void Model::end_project(std::uint32_t n) {
    NgoState& st = ngo_[n];
    st.ended = true;
    st.active = false;
    st.staff_hours = 0;
    const auto& p = ngos_[n];
    for (auto id : st.active_rels) {
        Relationship& r = rels_[id];
        const Stage from = r.stage;
        Stage to = Stage::kDropped;
        if (from == Stage::kSustained) continue;
        if (is_post_agreement(from)) {
            const Rng rng(seed_, EntityKey{EntityKind::kRelationship, r.company}, static_cast<std::uint32_t>(week_));
            const double pc = p.handover ? s_.pipeline.continue_prob_handover : s_.pipeline.continue_prob;
            if (is_ws1(from)) {
                const double f = from == Stage::kImplementation ? 1.0 : 0.5;
                to = rng.chance((n << 8) | kEnd, 0, pc * f) ? Stage::kSustained : Stage::kDissolved;
            } else {
                const bool placing = from == Stage::kPlaced || from == Stage::kSupported;
                to = placing && rng.chance((n << 8) | kEnd, 0, pc) ? Stage::kSupported : Stage::kDissolved;
            }
            if (to != Stage::kDissolved) st.had_continuation = true;
        }
        if (to == from) continue;
        set_stage(r, to);
        emit(static_cast<std::int32_t>(n), r.org, EventType::kProjectEnd, from, to);
    }
    std::erase_if(st.active_rels, [this](std::uint32_t id) { return is_terminal(rels_[id].stage); });
}

// ---------------------------------------------------------------------------------------------
// 2. Shocks (000 Learning 2: tier downgrade, media; LSI/Broschak & Block: turnover; 003: COVID)

void Model::phase_shocks() {
    const int t = week_;
    const auto& sh = s_.shocks;
    const double keep = 1.0 - s_.trust.decay_rate;
    // Decay toward 0. Companies never changed hold exactly 0 (0 * keep = 0): while they are most
    // companies, only the changed ones are visited; once more than 1/8 have changed, one
    // contiguous pass over all is faster than the scattered one. Identical results either way.
    auto& sent = co_.sentiment;
    if (sentiment_list_.size() > sent.size() / 8) {
        if (opts_.parallel && sent.size() > 65536) {
            detail::parallel_for<std::size_t>(sent.size(), 16384, [&](std::size_t begin, std::size_t end) {
                for (auto i = begin; i < end; ++i) sent[i] *= keep;
            });
        } else {
            for (auto& x : sent) x *= keep;
        }
    } else {
        for (const auto c : sentiment_list_) sent[c] *= keep;
    }
    for (auto& st : ngo_) st.reputation_penalty *= keep;
    if (t == sh.tier_downgrade_week) {
        for (std::uint32_t n = 0; n < ngos_.size(); ++n) {
            if (!ngos_[n].affiliated) continue;
            ngo_[n].reputation_penalty = 1.0 - (1.0 - ngo_[n].reputation_penalty) * (1.0 - sh.tier_downgrade_drop);
            for (auto id : ngo_[n].active_rels) shock_trust(rels_[id], sh.tier_downgrade_drop);
            emit(static_cast<std::int32_t>(n), -1, EventType::kTierDowngrade);
        }
    }
    if (t == sh.media_shock_week) {
        for (std::uint32_t c = 0; c < co_.sentiment.size(); ++c)
            if (co_.sensitive[c]) {
                co_.sentiment[c] = std::max(-1.0, co_.sentiment[c] - sh.media_shock_drop);
                sentiment_changed(c);
            }
        for (auto& st : ngo_)
            for (auto id : st.active_rels)
                if (co_.sensitive[rels_[id].company]) shock_trust(rels_[id], sh.media_shock_drop);
        emit(-1, -1, EventType::kMediaShock);
    }
    ws2_stalled_ = sh.ws2_stall_start_week >= 0 && t >= sh.ws2_stall_start_week &&
                   t < sh.ws2_stall_start_week + sh.ws2_stall_weeks;
    // Representative turnover: a company-level event; every active relationship of that company
    // keeps theta of its trust, more with multiplex (brokered or government) ties.
    const double rate = s_.company.turnover_per_year / kWeeksPerYear;
    if (rate > 0) {
        for (auto& st : ngo_) {
            for (auto id : st.active_rels) {
                Relationship& r = rels_[id];
                const Rng rng(seed_, EntityKey{EntityKind::kCompany, r.company}, static_cast<std::uint32_t>(t));
                if (!rng.chance(kTurnover, 0, hazard_to_prob(rate))) continue;
                const bool multiplex = r.brokered || net_.company_government[r.company] >= 0;
                const double theta = s_.trust.turnover_retention +
                                     (1.0 - s_.trust.turnover_retention) * (multiplex ? s_.trust.multiplex_buffer : 0.0);
                shock_trust(r, 1.0 - theta);
                emit(static_cast<std::int32_t>(r.ngo), r.org, EventType::kTurnover, r.stage, r.stage);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Outreach and targeting (000 Learning 2 & Recommendations; LSI success factors)

void Model::phase_outreach() {
    const std::uint32_t C = net_.company_count();
    if (C == 0) return;
    const int t = week_;
    for (std::uint32_t n = 0; n < ngos_.size(); ++n) {
        const NgoParams& p = ngos_[n];
        NgoState& st = ngo_[n];
        if (!st.active || st.staff_hours <= 0) continue;
        const Rng rng(seed_, EntityKey{EntityKind::kNgo, n}, static_cast<std::uint32_t>(t));
        auto free = [&](std::uint32_t c) {
            auto it = rel_index_.find((static_cast<std::uint64_t>(n) << 32) | c);
            return it == rel_index_.end() || rels_[it->second].stage == Stage::kNone;
        };
        // The best of `draws` uniform draws from [0, pool) (stream `phase`, draw i * draws + j) by
        // `score`, among companies not yet engaged by this NGO and `eligible`; C if there is none.
        // Every draw is made whatever the outcome, so the random streams do not depend on it.
        auto best_of = [&](std::uint32_t draws, std::uint32_t phase, std::uint32_t i, std::uint32_t pool,
                           const auto& score, const auto& eligible) {
            std::uint32_t best = C;
            double best_score = -1e9;
            for (std::uint32_t j = 0; j < draws; ++j) {
                const auto c = static_cast<std::uint32_t>(rng.below(phase, i * draws + j, pool));
                if (!eligible(c)) continue;
                const double sc = score(c);
                if (free(c) && sc > best_score) best = c, best_score = sc;
            }
            return best;
        };
        auto any = [](std::uint32_t) { return true; };
        auto interest = [&](std::uint32_t c) { return co_.alignment[c] + co_.sentiment[c]; };
        // Inbound leads: events, each bringing already-interested companies (best of 3 by
        // alignment plus sentiment).
        const std::uint32_t events = rng.poisson(kEvent, 0, p.outreach_events_per_year / kWeeksPerYear);
        actions_low_ += events;
        const std::uint32_t leads = rng.poisson(kInbound, 0, events * p.leads_per_event);
        for (std::uint32_t i = 0; i < leads; ++i) {
            const std::uint32_t best = best_of(kInboundDraws, kInboundPick, i, C, interest, any);
            if (best < C) start_engagement(relationship(n, best), Stream::kPrevention, true);
        }
        // Proactive targeting after landscape mapping: best of 5 by alignment and CSR, MNCs first.
        std::uint32_t pre = 0;
        for (auto id : st.active_rels)
            if (is_ws1(rels_[id].stage) && !is_post_agreement(rels_[id].stage)) ++pre;
        if (pre < static_cast<std::uint32_t>(p.max_pipeline)) {
            const std::uint32_t k = std::min<std::uint32_t>(
                rng.poisson(kTarget, 0, p.targets_per_month * 12.0 / kWeeksPerYear), static_cast<std::uint32_t>(p.max_pipeline) - pre);
            const std::uint32_t pool = net_.mnc_count > 0 ? net_.mnc_count : C;
            auto target_score = [&](std::uint32_t c) {
                return co_.alignment[c] + kTargetCsrWeight * co_.has_csr[c] + co_.sentiment[c];
            };
            for (std::uint32_t i = 0; i < k; ++i) {
                const std::uint32_t best = best_of(kTargetDraws, kTargetPick, i, pool, target_score, any);
                if (best < C) start_engagement(relationship(n, best), Stream::kPrevention, false);
            }
        }
        // Work stream 2: companies on government lists or in associations (003 WS2).
        if (p.work_stream_2 && !ws2_stalled_) {
            const std::uint32_t k = rng.poisson(kWs2Target, 0, p.ws2_targets_per_year / kWeeksPerYear);
            auto listed = [&](std::uint32_t c) {
                return net_.company_government[c] >= 0 || net_.company_association[c] >= 0;
            };
            for (std::uint32_t i = 0; i < k; ++i) {
                const std::uint32_t best = best_of(kTargetDraws, kWs2Pick, i, C, interest, listed);
                if (best < C) start_engagement(relationship(n, best), Stream::kSurvivorEmployment, false);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Effort allocation (000 Learning 2; 003 Learning 2; EVIDENCE §5.3)

void Model::phase_allocate() {
    for (std::uint32_t n = 0; n < ngos_.size(); ++n) {
        NgoState& st = ngo_[n];
        std::vector<std::uint32_t> work;
        for (auto id : st.active_rels) {
            rels_[id].effort = 0;
            if (st.active && rels_[id].stage != Stage::kSustained) work.push_back(id);
        }
        double remaining = st.staff_hours * st.skill;
        if (work.empty() || remaining <= 0) continue;
        auto need = [this](std::uint32_t id) {
            return s_.pipeline.stage[static_cast<std::size_t>(rels_[id].stage)].effort_hours;
        };
        switch (ngos_[n].allocation) {
            case AllocationPolicy::kMostPromising: {
                std::vector<double> score(work.size());
                for (std::size_t i = 0; i < work.size(); ++i) {
                    const auto& r = rels_[work[i]];
                    score[i] = (is_post_agreement(r.stage) ? 2.0 : 0.0) + current_trust(r) * co_.alignment[r.company];
                }
                std::vector<std::size_t> order(work.size());
                std::iota(order.begin(), order.end(), 0);
                std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return score[a] > score[b]; });
                std::vector<std::uint32_t> sorted;
                for (auto i : order) sorted.push_back(work[i]);
                work.swap(sorted);
                [[fallthrough]];
            }
            case AllocationPolicy::kOldestFirst:
                if (ngos_[n].allocation == AllocationPolicy::kOldestFirst)
                    std::stable_sort(work.begin(), work.end(), [this](auto a, auto b) {
                        return rels_[a].first_contact < rels_[b].first_contact;
                    });
                for (auto id : work) {
                    const double e = std::min(need(id), remaining);
                    rels_[id].effort = e;
                    remaining -= e;
                    if (remaining <= 0) break;
                }
                break;
            case AllocationPolicy::kEqualShare: {
                // Water-filling: equal shares, capped at each engagement's need.
                std::vector<std::uint32_t> open = work;
                while (!open.empty() && remaining > 1e-12) {
                    const double share = remaining / static_cast<double>(open.size());
                    std::vector<std::uint32_t> next;
                    for (auto id : open) {
                        const double gap = need(id) - rels_[id].effort;
                        const double e = std::min(gap, share);
                        rels_[id].effort += e;
                        remaining -= e;
                        if (need(id) - rels_[id].effort > 1e-12) next.push_back(id);
                    }
                    if (next.size() == open.size()) break;  // everyone took a full share
                    open.swap(next);
                }
                break;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Engagements: one pure decision per relationship (reads week-t state only)

void Model::decide(std::uint32_t id, Decision& d) const {
    const Relationship& r = rels_[id];
    const std::uint32_t n = r.ngo;
    const std::uint32_t c = r.company;
    const NgoParams& p = ngos_[n];
    const NgoState& st = ngo_[n];
    const auto& tp = s_.trust;
    const auto& pp = s_.pipeline;
    const Rng rng(seed_, EntityKey{EntityKind::kRelationship, r.company}, static_cast<std::uint32_t>(week_));
    const auto ph = [n](std::uint32_t code) { return (n << 8) | code; };
    d = Decision{};
    const double T = current_trust(r);
    d.trust = T;
    d.coverage = r.coverage;
    const Stage stage = r.stage;
    const StageParams& sp = pp.stage[static_cast<std::size_t>(stage)];

    if (stage == Stage::kSustained || (stage == Stage::kSupported && st.ended)) {  // company-led after the project
        if (rng.chance(ph(kExit), 0, hazard_to_prob(pp.sustained_exit_per_year / kWeeksPerYear))) {
            d.to = Stage::kDissolved;
            d.event = EventType::kDissolved;
        }
        return;
    }
    if (!st.active) return;  // project not running (ended relationships are terminal)

    const double need = sp.effort_hours;
    const double f = need > 0 ? std::min(1.0, r.effort / need) : 1.0;
    const double w = horizon_willingness(n, c);
    const double R = st.end_week - week_;
    const bool post = is_post_agreement(stage);

    // Trust: asymmetric update toward contact quality o (Tykhonov et al. 2008; Slovic 1993).
    d.contact = r.effort > 0;
    if (d.contact) {
        double o = (p.approach == Approach::kCoCreation ? tp.quality_co_creation : tp.quality_scrutiny) *
                   (kQualityBase + kQualityConsistency * p.objective_consistency);
        if (post) o -= tp.equity_weight * (1.0 - f);
        if (!p.handover && R < co_.ttv_weeks[c]) o -= tp.end_salience * (1.0 - std::max(0.0, R) / co_.ttv_weeks[c]);
        o = clamp01(o);
        const double rate = o >= T ? tp.gain_rate : std::min(1.0, tp.gain_rate * tp.loss_ratio);
        d.trust = clamp01(T + rate * (o - T));
    }
    if (is_ws2(stage) && ws2_stalled_) return;  // external stall (COVID-19, 003)

    const double g = std::pow(T, tp.trust_exponent);
    const double a = std::min(1.0, co_.alignment[c] + (r.inbound ? pp.inbound_alignment_bonus : 0.0));
    const bool decision_week = month_of(week_) == co_.decision_month[c] && (week_ == 0 || month_of(week_ - 1) != co_.decision_month[c]);

    if (!post) {
        double drop = sp.drop_per_week * (2.0 - T) + pp.horizon_drop * (1.0 - w);
        if (stage == Stage::kNegotiation)
            drop += pp.budget_uncertainty_drop * p.budget_cv * (p.budget_transparency ? 1.0 - pp.transparency_effect : 1.0);
        if (rng.chance(ph(kDrop), 0, drop)) {
            d.to = Stage::kDropped;
            d.event = EventType::kDropped;
            return;
        }
        // A concluded negotiation waits for the company's annual decision month to sign
        // (000 Learning 2: adds 0-12 months); elsewhere the stage advances by its hazard.
        const bool concluded = r.ready ||
                               rng.chance(ph(kAdvance), 0, hazard_to_prob(f * g * w / sp.mean_weeks));
        if (!concluded) return;
        if (stage == Stage::kNegotiation && pp.annual_gate && month_of(week_) != co_.decision_month[c]) {
            d.ready = true;
            return;
        }
        const Stage next = next_stage(stage);
        if (next == Stage::kInterestsAligned) {  // alignment screen (EVIDENCE §5.4)
            const double pass = logistic(pp.alignment_intercept + pp.alignment_slope * a + pp.alignment_csr * co_.has_csr[c]);
            if (!rng.chance(ph(kScreen), 0, pass)) {
                d.to = Stage::kDropped;
                d.event = EventType::kScreenedOut;
                return;
            }
        }
        if (next == Stage::kConceptNote) {  // NGO ethical screen (LSI: 81% screen)
            if (rng.chance(ph(kScreen), 1, pp.screen_reject_scale * (1.0 - co_.labour_practice[c]))) {
                d.to = Stage::kDropped;
                d.event = EventType::kScreenedOut;
                return;
            }
        }
        if (next == Stage::kAgreement) {  // money only at the annual decision (000 Learning 2)
            d.resources = rng.lognormal(ph(kResources), 0, s_.company.resources_usd_median, s_.company.resources_usd_sigma);
            d.event = EventType::kAgreement;
        }
        if (next == Stage::kCompanyDiscussions) {  // WS2 needs government support first
            const std::uint32_t G = net_.government_count;
            if (G > 0) {
                const auto gi = net_.company_government[c] >= 0 ? static_cast<std::uint32_t>(net_.company_government[c]) : c % G;
                if (gov_trust_[n * G + gi] < s_.ws2.gov_trust_needed) return;
            }
            d.event = EventType::kAgreement;
        }
        d.to = next;
        return;
    }

    // Post-agreement hazards (003 Learning 5; TH Learning 3; EVIDENCE §2).
    double exit = sp.drop_per_week;
    if (!p.handover)
        exit += (pp.exit_base + pp.exit_end * std::exp(-std::max(0.0, R) / pp.exit_tau_weeks)) *
                (p.budget_transparency ? 1.0 - pp.transparency_effect : 1.0);
    if (f < 0.5) exit += pp.low_activity_hazard;
    if (decision_week && rng.chance(ph(kCsrChange), 0, s_.company.csr_change_prob)) exit = 1.0;
    if (rng.chance(ph(kExit), 0, exit)) {
        d.to = Stage::kDissolved;
        d.event = EventType::kDissolved;
        return;
    }
    const bool ws1 = is_ws1(stage);
    if (ws1 && (stage == Stage::kCoCreation || stage == Stage::kImplementation)) {
        if (!r.brokered && net_.government_count > 0 &&
            rng.chance(ph(kBrokerage), 0, hazard_to_prob(f * pp.brokerage_per_year / kWeeksPerYear)))
            d.brokerage = true;
        if (r.access && net_.is_mnc(c) && net_.suppliers_of.row_size(c) > 0) {
            const auto k = net_.suppliers_of.offsets[c] + rng.below(ph(kAbusePick), 0, net_.suppliers_of.row_size(c));
            const auto sup = net_.suppliers_of.targets[k];
            if (rng.chance(ph(kAbuse), 0, s_.outcomes.abuse_per_year / kWeeksPerYear * (1.0 - co_.labour_practice[sup])))
                d.abuse = true, d.abuse_supplier = sup;
        }
    }
    if (stage == Stage::kImplementation) {
        d.coverage = std::min(1.0, r.coverage + f / sp.mean_weeks);
        return;
    }
    // Advance agreement -> co-creation -> implementation; WS2 discussions -> ... -> supported.
    const double h = f * (stage == Stage::kAgreement ? 1.0 : g) / sp.mean_weeks;
    if (!rng.chance(ph(kAdvance), 0, hazard_to_prob(h))) return;
    const Stage next = next_stage(stage);
    if (next == Stage::kCandidatesMatched && !rng.chance(ph(kMatch), 0, s_.ws2.match_prob)) {
        d.to = Stage::kDissolved;
        d.event = EventType::kDissolved;
        return;
    }
    if (next == Stage::kPlaced) {
        d.placed = std::max<std::uint32_t>(1, rng.poisson(ph(kCohort), 0, s_.ws2.cohort_mean));
    }
    d.to = next;
}

void Model::phase_engagements() {
    decisions_.resize(rels_.size());
    std::vector<std::uint32_t> work;
    for (const auto& st : ngo_) work.insert(work.end(), st.active_rels.begin(), st.active_rels.end());
    if (opts_.parallel && work.size() > 256) {
        detail::parallel_for<std::size_t>(work.size(), 64, [&](std::size_t begin, std::size_t end) {
            for (std::size_t i = begin; i < end; ++i) decide(work[i], decisions_[work[i]]);
        });
    } else {
        for (auto id : work) decide(id, decisions_[id]);
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Commit decisions in relationship order; spillovers; abuse; employment; chain flags

void Model::spill_scrutiny(std::uint32_t c) {
    // Companies connected to a scrutinised company (association co-members, supply-chain
    // partners) lose trust in NGOs generally (003 Learning 1; Diestre & Rajagopalan).
    const double drop = s_.trust.scrutiny_spillover;
    auto hit = [&](std::uint32_t k) {
        if (k != c) {
            co_.sentiment[k] = std::max(-1.0, co_.sentiment[k] - drop);
            sentiment_changed(k);
        }
    };
    if (const auto a = net_.company_association[c]; a >= 0)
        for (auto k = net_.members_of.offsets[a]; k < net_.members_of.offsets[a + 1]; ++k) hit(net_.members_of.targets[k]);
    if (net_.is_mnc(c)) {
        for (auto k = net_.suppliers_of.offsets[c]; k < net_.suppliers_of.offsets[c + 1]; ++k) hit(net_.suppliers_of.targets[k]);
    } else {
        const auto sidx = c - net_.mnc_count;
        for (auto k = net_.buyers_of.offsets[sidx]; k < net_.buyers_of.offsets[sidx + 1]; ++k) hit(net_.buyers_of.targets[k]);
    }
}

void Model::spill_sisters(std::uint32_t n, double drop) {
    for (std::uint32_t j = 0; j < ngos_.size(); ++j) {
        if (j == n || ngos_[j].implementer != ngos_[n].implementer) continue;
        ngo_[j].reputation_penalty = 1.0 - (1.0 - ngo_[j].reputation_penalty) * (1.0 - drop);
        for (auto id : ngo_[j].active_rels) shock_trust(rels_[id], drop);
    }
}

void Model::phase_commit() {
    std::vector<std::uint32_t> work;
    for (const auto& st : ngo_) work.insert(work.end(), st.active_rels.begin(), st.active_rels.end());
    std::sort(work.begin(), work.end());
    const auto& tp = s_.trust;
    const std::uint32_t G = net_.government_count;
    std::vector<std::uint8_t> gov_contact(ngos_.size() * G, 0);
    std::vector<std::pair<std::uint32_t, double>> spills;  // sister-project spillovers, applied after the loop
    for (auto id : work) {
        const Decision& d = decisions_[id];
        Relationship& r = rels_[id];
        const auto n = static_cast<std::int32_t>(r.ngo);
        r.trust = d.trust;  // decide() already saw this week's shocks (phase 2)
        // With contact, the updated trust holds at the start of next week; without contact,
        // d.trust is this week's decayed value and decay continues from here.
        r.trust_week = d.contact ? week_ + 1 : week_;
        if (d.contact) {
            ++r.contacts;
            r.last_contact = week_;
            if (r.stage == Stage::kGovernmentConsulted && G > 0) {
                const auto gi = net_.company_government[r.company] >= 0 ? static_cast<std::uint32_t>(net_.company_government[r.company]) : r.company % G;
                gov_contact[r.ngo * G + gi] = 1;
            }
        }
        if (r.stage != Stage::kSustained)  // a handed-over chain stays open (company-led)
            r.access = is_ws1(r.stage) && is_post_agreement(r.stage) && r.trust >= tp.access_threshold;
        r.ready = d.ready;
        r.coverage = d.coverage;
        if (d.brokerage) {
            r.brokered = true;
            actions_medium_ += 1;
            r.trust = clamp01(r.trust + tp.brokerage_bonus * (1.0 - r.trust));
            emit(n, r.org, EventType::kBrokerage, r.stage, r.stage);
        }
        if (d.abuse) {
            abuse_ += 1;
            emit(n, r.org, EventType::kAbuseFound, r.stage, r.stage);
            if (ngos_[r.ngo].abuse_policy == AbusePolicy::kReport) {
                shock_trust(r, s_.outcomes.report_trust_drop);
                if (!co_.remediation[d.abuse_supplier] && !net_.is_mnc(d.abuse_supplier))
                    touched_suppliers_.push_back(d.abuse_supplier - net_.mnc_count);
                co_.remediation[d.abuse_supplier] = 1;  // the abused supplier gets remediation pressure
                emit(n, r.org, EventType::kAbuseReported, r.stage, r.stage);
                spills.emplace_back(r.ngo, tp.sister_spillover);
            } else {
                const Rng rng(seed_, EntityKey{EntityKind::kRelationship, r.company}, static_cast<std::uint32_t>(week_));
                if (rng.chance((r.ngo << 8) | kNdaLeak, 0, s_.outcomes.nda_leak_prob)) {
                    emit(n, r.org, EventType::kNdaLeak, r.stage, r.stage);
                    ngo_[r.ngo].reputation_penalty = 1.0 - (1.0 - ngo_[r.ngo].reputation_penalty) * (1.0 - tp.sister_spillover);
                    spills.emplace_back(r.ngo, tp.sister_spillover);
                }
            }
        }
        if (d.placed > 0) {
            r.placed += d.placed;
            r.employed += d.placed;
            placed_ += d.placed;
            emit(n, r.org, EventType::kPlacement, r.stage, Stage::kPlaced);
        }
        if (d.to == Stage::kNone) continue;
        const Stage from = r.stage;
        set_stage(r, d.to);
        emit(n, r.org, d.event, from, d.to);
        NgoState& st = ngo_[r.ngo];
        switch (d.to) {
            case Stage::kFirstMeeting:
                actions_low_ += 1;
                st.had_engagement = true;
                if (ngos_[r.ngo].approach == Approach::kScrutiny) {
                    spill_scrutiny(r.company);
                    spills.emplace_back(r.ngo, tp.sister_spillover);
                }
                break;
            case Stage::kGovernmentConsulted:
                st.had_engagement = true;
                break;
            case Stage::kAgreement: {
                agreements_ += 1;
                reached_agreement_ += 1;
                if (d.resources > 0) actions_high_ += 1;
                resources_ += d.resources;
                r.resources_usd = d.resources;
                r.agreement_week = week_;
                weeks_to_agreement_.push_back(week_ - r.first_contact);
                st.had_agreement = true;
                if (const auto a = net_.company_association[r.company]; a >= 0)  // association diffusion
                    for (auto k = net_.members_of.offsets[a]; k < net_.members_of.offsets[a + 1]; ++k) {
                        const auto m = net_.members_of.targets[k];
                        if (m != r.company) {
                            co_.sentiment[m] = std::min(1.0, co_.sentiment[m] + tp.association_bonus);
                            sentiment_changed(m);
                        }
                    }
                break;
            }
            case Stage::kCompanyDiscussions:
                if (from == Stage::kSupported) break;  // next cohort of an existing partnership
                agreements_ += 1;
                ws2_partnerships_ += 1;
                r.agreement_week = week_;
                st.had_agreement = true;
                break;
            case Stage::kImplementation:
                weeks_to_implementation_.push_back(week_ - r.first_contact);
                if (first_implementation_ < 0) first_implementation_ = week_;
                break;
            default:
                break;
        }
    }
    for (auto& st : ngo_) std::erase_if(st.active_rels, [this](std::uint32_t id) { return is_terminal(rels_[id].stage); });
    for (auto [ngo, drop] : spills) spill_sisters(ngo, drop);

    // NGO–government trust for survivor employment: grows with contact, relaxes to its prior.
    for (std::size_t k = 0; k < gov_trust_.size(); ++k) {
        double& T = gov_trust_[k];
        if (gov_contact[k]) {
            const double o = tp.quality_co_creation;
            T = clamp01(T + (o >= T ? tp.gain_rate : tp.gain_rate * tp.loss_ratio) * (o - T));
        } else {
            T += tp.decay_rate * (tp.government_prior - T);
        }
    }

    // Placed survivors leave their jobs at a weekly hazard (one draw per survivor).
    for (auto& r : rels_) {
        if (r.employed == 0) continue;
        const Rng rng(seed_, EntityKey{EntityKind::kRelationship, r.company}, static_cast<std::uint32_t>(week_));
        std::uint32_t left = 0;
        for (std::uint32_t i = 0; i < r.employed; ++i)
            if (rng.chance((r.ngo << 8) | kRetention, i, s_.ws2.weekly_exit_placed)) ++left;
        r.employed -= left;
    }

    // Chain flags for the cascade: mechanism coverage and open chains per company.
    // Only companies flagged last week need resetting (no O(companies) pass per week).
    for (auto c : chain_touched_) {
        co_.mech_coverage[c] = 0.0;
        co_.open_chain[c] = 0;
        co_.scrutiny_chain[c] = 0;
    }
    chain_touched_.clear();
    for (const auto& st : ngo_)
        for (auto id : st.active_rels) {
            const Relationship& r = rels_[id];
            if (!(r.stage == Stage::kImplementation || r.stage == Stage::kSustained)) continue;
            const bool open = r.stage == Stage::kSustained ? r.access : r.trust >= tp.access_threshold;
            const double cov = r.coverage * (r.stage == Stage::kSustained ? s_.outcomes.sustained_factor : 1.0) *
                               (open ? 1.0 : s_.outcomes.closed_chain_reach);
            chain_touched_.push_back(r.company);
            co_.mech_coverage[r.company] = std::max(co_.mech_coverage[r.company], cov);
            if (open) {
                co_.open_chain[r.company] = 1;
                if (ngos_[r.ngo].approach == Approach::kScrutiny) co_.scrutiny_chain[r.company] = 1;
            }
        }
}

// ---------------------------------------------------------------------------------------------
// 7. Supply-chain cascade (000 Recommendations; Watts 2002; Plambeck & Taylor 2016)

void Model::phase_cascade() {
    const std::uint32_t S = net_.supplier_count;
    const std::uint32_t M = net_.mnc_count;
    const auto& oc = s_.outcomes;
    // Suppliers that can change or count this week: those with a buyer whose chain is covered,
    // open or partly improved, those with their own coverage, remediation pressure, or already
    // improved. Everyone else has zero hazard and zero reach, so skipping them changes nothing.
    // (With a background hazard or a zero peer threshold every supplier is a candidate.)
    const bool everyone = oc.cascade_base > 0 || (oc.cascade_threshold <= 0 && oc.cascade_peer_bonus > 0);
    cand_.clear();
    if (everyone) {
        cand_.resize(S);
        std::iota(cand_.begin(), cand_.end(), 0u);
    } else {
        // One bit per supplier (all clear between weeks): set when a supplier is first added.
        const std::size_t words = (static_cast<std::size_t>(S) + 63) / 64;
        if (cand_bits_.size() != words) cand_bits_.assign(words, 0);
        std::uint64_t* bits = cand_bits_.data();
        auto add = [&](std::uint32_t sidx) {
            const std::uint64_t bit = std::uint64_t{1} << (sidx & 63);
            if (!(bits[sidx >> 6] & bit)) {
                bits[sidx >> 6] |= bit;
                cand_.push_back(sidx);
            }
        };
        for (std::uint32_t m = 0; m < M; ++m)
            if (co_.mech_coverage[m] > 0 || co_.open_chain[m] || co_.improved_share[m] > 0)
                for (auto k = net_.suppliers_of.offsets[m]; k < net_.suppliers_of.offsets[m + 1]; ++k)
                    add(net_.suppliers_of.targets[k] - M);
        for (auto sidx : touched_suppliers_) add(sidx);  // own coverage, remediation or improved
        for (auto c : chain_touched_)  // suppliers partnered directly (their own coverage)
            if (c >= M && co_.mech_coverage[c] > 0) add(c - M);
        // Ascending supplier order (the order of the sums and events below). Reading the set bits
        // word by word is O(S/64) and beats sorting once more than about 1/256 of the suppliers
        // are candidates (sorting 12,000 of 200,000 took 17% of the regional run).
        if (cand_.size() > S / 256) {
            const std::size_t count = cand_.size();
            cand_.clear();
            for (std::size_t w = 0; w < words; ++w)
                for (std::uint64_t x = bits[w]; x != 0; x &= x - 1)
                    cand_.push_back(static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(std::countr_zero(x))));
            if (cand_.size() != count) throw ModelError("cascade candidate list inconsistent");
        } else {
            std::sort(cand_.begin(), cand_.end());
        }
        for (const auto sidx : cand_) bits[sidx >> 6] = 0;  // clear for next week
    }
    const std::size_t n = cand_.size();
    newly_.assign(n, 0);
    reach_.assign(n, 0.0);
    vr_.assign(n, 0.0);
    auto one = [&](std::size_t j) {
        const std::uint32_t sidx = cand_[j];
        const std::uint32_t c = M + sidx;
        double cov = co_.mech_coverage[c];
        std::uint32_t open = 0;
        bool scrutiny = false;
        double peer = 0;
        const auto b0 = net_.buyers_of.offsets[sidx], b1 = net_.buyers_of.offsets[sidx + 1];
        for (auto k = b0; k < b1; ++k) {
            const auto b = net_.buyers_of.targets[k];
            cov = std::max(cov, co_.mech_coverage[b]);
            if (co_.open_chain[b]) {
                ++open;
                scrutiny = scrutiny || co_.scrutiny_chain[b];
            }
            peer += co_.improved_share[b];
        }
        bool improved = co_.improved[c];
        if (!improved) {
            double h = oc.cascade_base + oc.cascade_per_buyer * open +
                       (b1 > b0 && peer / (b1 - b0) >= oc.cascade_threshold ? oc.cascade_peer_bonus : 0.0) +
                       (co_.remediation[c] ? oc.report_remediation : 0.0);
            if (scrutiny) h *= 1.0 - oc.scrutiny_hiding;
            if (h > 0) {
                const Rng rng(seed_, EntityKey{EntityKind::kCompany, c}, static_cast<std::uint32_t>(week_));
                if (rng.chance(kCascade, 0, hazard_to_prob(h))) newly_[j] = 1, improved = true;
            }
        }
        const double wk = co_.workers[c];
        reach_[j] = (cov > 0 || improved) ? wk : 0.0;
        vr_[j] = wk * (1.0 - (1.0 - oc.vulnerability_reduction * cov) * (1.0 - (improved ? oc.vulnerability_reduction : 0.0)));
        if (open > 0) newly_[j] |= 2;  // endorsed by an open buyer this week
    };
    if (opts_.parallel && n > 4096) {
        detail::parallel_for<std::size_t>(n, 1024, [&](std::size_t begin, std::size_t end) {
            for (auto j = begin; j < end; ++j) one(j);
        });
    } else {
        for (std::size_t j = 0; j < n; ++j) one(j);
    }
    double workers = 0, vuln = 0;
    for (std::size_t j = 0; j < n; ++j) {
        const std::uint32_t sidx = cand_[j];
        const std::uint32_t c = M + sidx;
        if (newly_[j] & 1) {
            co_.improved[c] = 1;
            co_.improved_week[c] = week_;
            co_.labour_practice[c] = std::max(co_.labour_practice[c], kImprovedLabourPractice);
            ++suppliers_improved_;
            touched_suppliers_.push_back(sidx);
            for (auto k = net_.buyers_of.offsets[sidx]; k < net_.buyers_of.offsets[sidx + 1]; ++k)
                ++improved_count_[net_.buyers_of.targets[k]];
            emit(-1, net_.company_vertex(c), EventType::kSupplierImproved);
        }
        if (newly_[j] & 2) {
            co_.sentiment[c] = std::max(co_.sentiment[c], s_.trust.buyer_endorsement);
            sentiment_changed(c);
        }
        workers += reach_[j];
        vuln += vr_[j];
    }
    for (std::size_t j = 0; j < n; ++j) {  // shares change only for buyers of newly improved suppliers
        if (!(newly_[j] & 1)) continue;
        const std::uint32_t sidx = cand_[j];
        for (auto k = net_.buyers_of.offsets[sidx]; k < net_.buyers_of.offsets[sidx + 1]; ++k) {
            const auto m = net_.buyers_of.targets[k];
            co_.improved_share[m] = static_cast<double>(improved_count_[m]) / net_.suppliers_of.row_size(m);
        }
    }
    auto* row = &out_.series[static_cast<std::size_t>(week_) * kSeriesCount];
    row[static_cast<int>(Series::kWorkersReached)] = workers;
    row[static_cast<int>(Series::kVulnerabilityReduction)] = vuln;
    row[static_cast<int>(Series::kSuppliersImproved)] = static_cast<double>(suppliers_improved_);
}

// ---------------------------------------------------------------------------------------------
// 8. Record

void Model::phase_record() {
    auto* row = &out_.series[static_cast<std::size_t>(week_) * kSeriesCount];
    auto set = [&](Series k, double v) { row[static_cast<int>(k)] = v; };
    double active = 0, partnerships = 0, after = 0, employed = 0, effort = 0, trust = 0, budget = 0, hours = 0;
    auto* stages = &out_.pipeline[static_cast<std::size_t>(week_) * kStageCount];
    for (const auto& r : rels_) {
        stages[static_cast<int>(r.stage)] += 1;
        employed += r.employed;
    }
    stages[0] = 0;
    for (std::uint32_t n = 0; n < ngos_.size(); ++n) {
        const auto& st = ngo_[n];
        if (st.active) {
            budget += st.budget_usd;
            hours += st.staff_hours;
        }
        for (auto id : st.active_rels) {
            const auto& r = rels_[id];
            active += 1;
            trust += current_trust(r);
            effort += r.effort;
            if (is_post_agreement(r.stage)) {
                partnerships += 1;
                if (st.ended) after += 1;
            }
        }
    }
    staff_hours_total_ += hours;
    set(Series::kAgreementsSigned, agreements_);
    set(Series::kActionsLow, actions_low_);
    set(Series::kActionsMedium, actions_medium_);
    set(Series::kActionsHigh, actions_high_);
    set(Series::kEngagementsActive, active);
    set(Series::kPartnershipsActive, partnerships);
    set(Series::kPartnershipsAfterEnd, after);
    set(Series::kSurvivorsPlaced, placed_);
    set(Series::kSurvivorsEmployed, employed);
    set(Series::kResourcesCommittedUsd, resources_);
    set(Series::kStaffHours, hours);
    set(Series::kEffortHours, effort);
    set(Series::kMeanTrust, active > 0 ? trust / active : kNaN);
    set(Series::kBudgetUsd, budget);
    set(Series::kAbuseDiscovered, abuse_);
}

void Model::step() {
    if (week_ >= s_.weeks) throw ModelError("step() called after the last week");
    phase_funding();
    phase_shocks();
    phase_outreach();
    phase_allocate();
    phase_engagements();
    phase_commit();
    phase_cascade();
    phase_record();
    ++week_;
}

void Model::compute_summary() {
    auto& s = out_.summary;
    auto at = [&](int week, Series k) {
        if (week < 0 || week >= s_.weeks) return kNaN;
        return out_.series[static_cast<std::size_t>(week) * kSeriesCount + static_cast<int>(k)];
    };
    const int last = s_.weeks - 1;
    auto set = [&](Summary k, double v) { s[static_cast<int>(k)] = v; };
    set(Summary::kEngagementsInitiated, initiated_);
    set(Summary::kAgreements, agreements_);
    set(Summary::kShareReachingAgreement, initiated_ > 0 ? reached_agreement_ / initiated_ : kNaN);
    set(Summary::kMedianWeeksToAgreement, median(weeks_to_agreement_));
    set(Summary::kMedianEngagementWeeks, median(weeks_to_implementation_));
    set(Summary::kWeeksToFirstImplementation, first_implementation_ >= 0 ? first_implementation_ - first_start_ : kNaN);
    const int end = ngos_.empty() ? first_end_ : ngo_[first_ngo_].end_week;  // after any follow-on
    set(Summary::kPartnershipsAtEnd, at(std::min(end - 1, last), Series::kPartnershipsActive));
    set(Summary::kPartnershipsEndPlus52, at(end + 52, Series::kPartnershipsActive));
    set(Summary::kWorkersReached, at(last, Series::kWorkersReached));
    set(Summary::kVulnerabilityReduction, at(last, Series::kVulnerabilityReduction));
    set(Summary::kSuppliersImproved, at(last, Series::kSuppliersImproved));
    set(Summary::kSurvivorsPlaced, placed_);
    set(Summary::kSurvivorsEmployed, at(last, Series::kSurvivorsEmployed));
    set(Summary::kWs2Partnerships, ws2_partnerships_);
    set(Summary::kResourcesUsd, resources_);
    set(Summary::kStaffHoursTotal, staff_hours_total_);
    set(Summary::kHoursPerAgreement, agreements_ > 0 ? staff_hours_total_ / agreements_ : kNaN);
    const double w = at(last, Series::kWorkersReached);
    set(Summary::kHoursPerThousandWorkers, w > 0 ? staff_hours_total_ / (w / 1000.0) : kNaN);
    set(Summary::kActionsHigh, actions_high_);
    double eng = 0, joint = 0, cont = 0;
    for (const auto& st : ngo_) {
        eng += st.had_engagement;
        joint += st.had_agreement;
        cont += st.had_continuation;
    }
    const double N = static_cast<double>(ngo_.size());
    set(Summary::kNgosEngaging, eng / N);
    set(Summary::kNgosWithJointActivity, joint / N);
    set(Summary::kNgosContinuing, cont / N);
}

RunOutput Model::run() {
    while (week_ < s_.weeks) step();
    compute_summary();
    return out_;
}

RunOutput run_model(const Scenario& s, std::uint64_t seed, ModelOptions opts) {
    Model m(s, seed, opts);
    return m.run();
}

}  // namespace pse
