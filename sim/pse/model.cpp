#include "pse/model.h"

#include <limits>

#include "pse/detail/parallel.h"
#include "pse/errors.h"
#include "pse/rng.h"
#include "pse/rng_streams.h"
#include "pse/submodels/abuse.h"
#include "pse/submodels/accounting.h"
#include "pse/submodels/brokerage.h"
#include "pse/submodels/cascade.h"
#include "pse/submodels/funding.h"
#include "pse/submodels/outreach.h"
#include "pse/submodels/pipeline.h"
#include "pse/submodels/shocks.h"
#include "pse/submodels/staffing.h"
#include "pse/submodels/trust.h"
#include "pse/submodels/ws2.h"

namespace pse {
namespace {

/// Companies are initialised on all cores above this many (speed only: every draw is keyed by the
/// company, so the state is identical), in chunks of kInitGrain.
constexpr std::uint32_t kParallelInitMin = 4096;
constexpr std::uint32_t kInitGrain = 2048;

/// Static company attributes (docs/ODD.md section 5): pure per-company draws keyed by identity,
/// so parallel and serial initialisation give identical state.
void init_companies(const Scenario& s, const Network& net, std::uint64_t seed, bool parallel,
                    Companies& co) {
    const std::uint32_t C = net.company_count();
    const auto& e = s.ecosystem;
    co.sensitive.resize(C);
    co.has_csr.resize(C);
    co.decision_month.resize(C);
    co.improved.assign(C, 0);
    co.remediation.assign(C, 0);
    co.alignment.resize(C);
    co.ttv_weeks.resize(C);
    co.labour_practice.resize(C);
    co.workers.resize(C);
    co.sentiment.assign(C, 0.0);
    co.improved_week.assign(C, -1);
    co.mech_coverage.assign(C, 0.0);
    co.open_chain.assign(C, 0);
    co.scrutiny_chain.assign(C, 0);
    co.improved_share.assign(net.mnc_count, 0.0);
    co.mech_source.assign(C, -1);
    co.open_source.assign(C, -1);
    co.remediation_by.assign(C, -1);
    co.improved_by.assign(C, -1);
    co.mech_effect.assign(C, 0.0);
    co.mech_pressure.assign(C, 0.0);
    co.practice_before.assign(C, 0.0);
    co.cf_improved.assign(C, 0);
    co.cf_improved_share.assign(net.mnc_count, 0.0);
    using namespace rng_phase;
    auto one = [&](std::uint32_t c) {
        const Rng rng(seed, EntityKey{EntityKind::kCompany, c});
        const bool mnc = net.is_mnc(c);
        co.sensitive[c] = rng.chance(kInitCompany, 0, e.sensitive_sector_share);
        co.has_csr[c] = rng.chance(kInitCompany, 1, mnc ? e.mnc_csr_prob : e.supplier_csr_prob);
        co.decision_month[c] = static_cast<std::uint8_t>(
            s.company.decision_month > 0 ? s.company.decision_month
                                         : 1 + rng.below(kInitCompany, 2, kMonthsPerYear));
        co.ttv_weeks[c] = rng.lognormal(kInitCompany, 3, s.company.time_to_value_weeks,
                                        s.company.time_to_value_sigma);
        // MNCs' own workforce is not modelled: reach is counted at suppliers (docs/ODD.md).
        co.workers[c] = mnc ? 0.0
                            : rng.lognormal(kInitCompany, 4, e.workers_per_supplier_median,
                                            e.workers_per_supplier_sigma);
        co.alignment[c] =
            rng.beta_mean(kInitAlignment, 0, mnc ? e.mnc_alignment_mean : e.supplier_alignment_mean,
                          e.alignment_concentration);
        co.labour_practice[c] =
            rng.beta_mean(kInitLabourPractice, 0,
                          mnc ? e.mnc_labour_practice_mean : e.supplier_labour_practice_mean,
                          e.alignment_concentration);
    };
    if (parallel && C > kParallelInitMin) {
        detail::parallel_for<std::uint32_t>(C, kInitGrain,
                                            [&](std::uint32_t begin, std::uint32_t end) {
                                                for (auto c = begin; c < end; ++c) one(c);
                                            });
    } else {
        for (std::uint32_t c = 0; c < C; ++c) one(c);
    }
}

}  // namespace

Model::Model(const Scenario& s, std::uint64_t seed, ModelOptions opts)
    : s_(s),
      seed_(seed),
      opts_(opts),
      ngo_params_(resolve_ngos(s, seed)),
      net_(build_network(s, ngo_params_, seed)) {
    init_companies(s_, net_, seed_, opts_.parallel, st_.co);
    const std::uint32_t C = net_.company_count();
    st_.sentiment_on.assign(C, 0);
    st_.cascade.improved_count.assign(net_.mnc_count, 0);
    st_.cascade.cf_improved_count.assign(net_.mnc_count, 0);
    st_.ngo_state.resize(ngo_params_.size());
    first_start_ = std::numeric_limits<int>::max();
    for (std::size_t n = 0; n < ngo_params_.size(); ++n) {
        const auto& p = ngo_params_[n];
        auto& ns = st_.ngo_state[n];
        ns.end_week = p.end_week;
        ns.training_progress = p.trained ? 1.0 : 0.0;
        ns.budget_usd = p.budget_usd_per_year;
        if (p.engages_business && p.start_week < first_start_) {
            first_start_ = p.start_week;
            first_ngo_ = static_cast<std::uint32_t>(n);
        }
    }
    if (first_start_ == std::numeric_limits<int>::max()) first_start_ = 0;
    st_.gov_trust.assign(ngo_params_.size() * net_.government_count, s_.trust.government_prior);
    st_.gov_contact.assign(st_.gov_trust.size(), 0);
    auto& out = st_.out;
    out.weeks = s_.weeks;
    out.series.assign(static_cast<std::size_t>(s_.weeks) * kSeriesCount, 0.0);
    out.pipeline.assign(static_cast<std::size_t>(s_.weeks) * kStageCount, 0.0);
    out.summary.assign(kSummaryCount, kNaN);
    out.organisations = static_cast<std::uint32_t>(boost::num_vertices(net_.graph));
    out.edges = boost::num_edges(net_.graph);
}

void Model::step() {
    if (week_ >= s_.weeks) throw ModelError("step() called after the last week");
    const StepContext ctx = context();
    funding::phase_budget_and_end(ctx, st_);  // 7.2  budgets, cuts, follow-on, project end
    staffing::phase_capacity(ctx, st_);       // 7.1  staff hours, skill, capacity building
    shocks::phase_shocks(ctx, st_);           // 7.4  decay, tier downgrade, media, stall, turnover
    outreach::phase_outreach(ctx, st_);       // 7.9  inbound leads, WS1 and WS2 targeting
    staffing::phase_allocate(ctx, st_);       // 7.1  hours over engagements
    accounting::phase_caseload(ctx, st_);     // 7.11 caseload (observation only)
    pipeline::phase_decide(ctx, st_);         // 7.5-7.8  one pure decision per relationship
    pipeline::phase_commit(ctx, st_);         // 7.5-7.8  decisions applied in relationship order
    shocks::phase_sister_spillovers(ctx, st_);  // 7.4  queued reputational spillovers
    ws2::phase_government_trust(ctx, st_);      // 7.6  NGO-government trust
    ws2::phase_retention(ctx, st_);             // 7.6  placed survivors leave their jobs
    cascade::phase_chain_flags(ctx, st_);       // 7.10 which MNC chains are covered and open
    cascade::phase_cascade(ctx, st_);           // 7.10 suppliers improve; workers reached
    accounting::phase_record(ctx, st_);         // 7.11 weekly series
    ++week_;
}

void Model::phase_funding() {
    const StepContext ctx = context();
    funding::phase_budget_and_end(ctx, st_);
    staffing::phase_capacity(ctx, st_);
}
void Model::phase_shocks() {
    shocks::phase_shocks(context(), st_);
}
void Model::phase_outreach() {
    outreach::phase_outreach(context(), st_);
}
void Model::phase_allocate() {
    const StepContext ctx = context();
    staffing::phase_allocate(ctx, st_);
    accounting::phase_caseload(ctx, st_);
}
void Model::phase_engagements() {
    pipeline::phase_decide(context(), st_);
}
void Model::phase_commit() {
    const StepContext ctx = context();
    pipeline::phase_commit(ctx, st_);
    shocks::phase_sister_spillovers(ctx, st_);
    ws2::phase_government_trust(ctx, st_);
    ws2::phase_retention(ctx, st_);
    cascade::phase_chain_flags(ctx, st_);
}
void Model::phase_cascade() {
    cascade::phase_cascade(context(), st_);
}
void Model::phase_record() {
    accounting::phase_record(context(), st_);
}

double Model::prior_trust(std::uint32_t n, std::uint32_t c) const {
    return trust::prior(context(), st_, n, c);
}
double Model::current_trust(const Relationship& r) const {
    return trust::current(context(), st_, r);
}
double Model::horizon_willingness(std::uint32_t n, std::uint32_t c) const {
    return funding::horizon_willingness(context(), st_, n, c);
}
std::uint32_t Model::relationship(std::uint32_t n, std::uint32_t c) {
    return outreach::relationship(context(), st_, n, c);
}
void Model::start_engagement(std::uint32_t id, Stream stream, bool inbound) {
    outreach::start_engagement(context(), st_, id, stream, inbound);
}
void Model::shock_trust(Relationship& r, double drop) {
    trust::shock(context(), st_, r, drop);
}

RunOutput Model::run() {
    while (week_ < s_.weeks) step();
    const StepContext ctx = context();
    accounting::compute_summary(ctx, st_, first_start_,
                                ngo_params_.empty() ? -1 : static_cast<int>(first_ngo_));
    accounting::build_tables(ctx, st_);
    return st_.out;
}

RunOutput run_model(const Scenario& s, std::uint64_t seed, ModelOptions opts) {
    Model m(s, seed, opts);
    return m.run();
}

}  // namespace pse
