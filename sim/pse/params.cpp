#include "pse/params.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "pse/rng.h"

namespace pse {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kBig = 1e12;

// Builders: a field is (key, accessor returning a reference, range, unit, doc, source).

/// A field whose member holds its value as X (double, bool or std::string) itself: get returns
/// the member, set stores std::get<X> of the (already checked) value.
template <class X, class T, class A>
FieldSpec<T> direct(FieldInfo info, A acc) {
    FieldSpec<T> f{std::move(info), nullptr, nullptr};
    f.get = [acc](const T& t) -> FieldValue { return acc(const_cast<T&>(t)); };
    f.set = [acc](T& t, const FieldValue& v) { acc(t) = std::get<X>(v); };
    return f;
}
template <class T, class A>
FieldSpec<T> real(std::string key, A acc, double lo, double hi, std::string unit, std::string doc,
                  std::string src) {
    return direct<double, T>(FieldInfo{std::move(key),
                                       FieldType::kReal,
                                       lo,
                                       hi,
                                       {},
                                       std::move(unit),
                                       std::move(doc),
                                       std::move(src)},
                             acc);
}
template <class T, class A>
FieldSpec<T> integer(std::string key, A acc, double lo, double hi, std::string unit,
                     std::string doc, std::string src) {
    FieldSpec<T> f{FieldInfo{std::move(key),
                             FieldType::kInteger,
                             lo,
                             hi,
                             {},
                             std::move(unit),
                             std::move(doc),
                             std::move(src)},
                   nullptr, nullptr};
    f.get = [acc](const T& t) -> FieldValue {
        return static_cast<std::int64_t>(acc(const_cast<T&>(t)));
    };
    f.set = [acc](T& t, const FieldValue& v) {
        using V = std::remove_reference_t<decltype(acc(t))>;
        acc(t) = static_cast<V>(std::get<std::int64_t>(v));
    };
    return f;
}
template <class T, class A>
FieldSpec<T> boolean(std::string key, A acc, std::string doc, std::string src) {
    return direct<bool, T>(
        FieldInfo{
            std::move(key), FieldType::kBoolean, 0, 1, {}, "", std::move(doc), std::move(src)},
        acc);
}
template <class T, class A>
FieldSpec<T> text(std::string key, A acc, std::string doc) {
    return direct<std::string, T>(
        FieldInfo{std::move(key), FieldType::kText, 0, 0, {}, "", std::move(doc), ""}, acc);
}
template <class T, class A>
FieldSpec<T> choice(std::string key, A acc, const std::vector<std::string>& names, std::string doc,
                    std::string src) {
    FieldSpec<T> f{FieldInfo{std::move(key), FieldType::kChoice, 0, 0, names, "", std::move(doc),
                             std::move(src)},
                   nullptr, nullptr};
    f.get = [acc, names](const T& t) -> FieldValue {
        return names.at(static_cast<std::size_t>(acc(const_cast<T&>(t))));
    };
    f.set = [acc, names](T& t, const FieldValue& v) {
        const auto& s = std::get<std::string>(v);
        for (std::size_t i = 0; i < names.size(); ++i)
            if (names[i] == s) {
                using E = std::remove_reference_t<decltype(acc(t))>;
                acc(t) = static_cast<E>(i);
            }
    };
    return f;
}

// The accessor of field EXPR of a T (EXPR is a member path, so it cannot be parenthesised).
// NOLINTBEGIN(bugprone-macro-parentheses)
#define ACC(T, EXPR)     \
    [](T & x) -> auto& { \
        return x.EXPR;   \
    }
// NOLINTEND(bugprone-macro-parentheses)

// Sources, abbreviated as in docs/EVIDENCE.md.
const std::string kTH = "000_78b32c0139113a71.txt";
const std::string kAS = "003_3cab25d95e2718fc.txt";
const std::string kLSI = "002_0e02f701a4c0d3f5.txt";
const std::string kAssume = "assumption";
/// Source of the eight calibrated defaults (docs/VALIDATION.md, "Calibration"): ABC rejection
/// against the validation targets.
std::string calibrated(const std::string& range) {
    return "calibrated (ABC rejection, posterior median; accepted 5-95% " + range +
           "; docs/VALIDATION.md, scenarios/calibrated.toml)";
}

std::vector<FieldSpec<Scenario>> build_scenario_fields() {
    using S = Scenario;
    std::vector<FieldSpec<S>> f;
    // [run]
    f.push_back(text<S>("run.name", ACC(S, name), "Scenario name, shown in summaries and results"));
    f.push_back(
        text<S>("run.description", ACC(S, description), "Free text describing the scenario"));
    f.push_back(integer<S>(
        "run.weeks", ACC(S, weeks), 1, 5200, "weeks", "Simulated horizon; one step is one week",
        kAssume + " (5-year project of " + kTH + " Introduction, plus 3 years after)"));
    f.push_back(integer<S>("run.seed", ACC(S, seed), 0, 9.2e18, "",
                           "Seed of a single run; sweeps derive seeds from their master seed", ""));
    f.push_back(boolean<S>("run.record_events", ACC(S, record_events),
                           "Record engagement events (transitions, agreements, shocks)", ""));

    // [ecosystem]
    auto eco = [&](const char* k, auto acc, double lo, double hi, const char* unit, const char* doc,
                   std::string src) {
        f.push_back(real<S>(std::string("ecosystem.") + k, acc, lo, hi, unit, doc, std::move(src)));
    };
    f.push_back(
        integer<S>("ecosystem.mnc_count", ACC(S, ecosystem.mnc_count), 0, 1e7, "organisations",
                   "Multinational companies in the ecosystem",
                   kAssume + "; many in Thailand, few in Lao PDR (" + kAS + " Learning 1)"));
    f.push_back(integer<S>("ecosystem.supplier_count", ACC(S, ecosystem.supplier_count), 0, 1e8,
                           "organisations", "Local suppliers / national companies", kAssume));
    f.push_back(integer<S>("ecosystem.government_count", ACC(S, ecosystem.government_count), 0, 1e5,
                           "organisations", "Government agencies", kAssume));
    f.push_back(integer<S>("ecosystem.association_count", ACC(S, ecosystem.association_count), 0,
                           1e5, "organisations", "Industry associations / multi-stakeholder bodies",
                           kAssume + "; e.g. Seafood Task Force (" + kTH + " Learning 4)"));
    eco("suppliers_per_mnc_min", ACC(S, ecosystem.suppliers_per_mnc_min), 1, 1e6, "suppliers",
        "Pareto scale: minimum suppliers per MNC", kAssume);
    eco("suppliers_per_mnc_alpha", ACC(S, ecosystem.suppliers_per_mnc_alpha), 1.01, 20, "",
        "Pareto shape of suppliers per MNC (smaller = heavier tail)", kAssume);
    eco("supplier_preferential", ACC(S, ecosystem.supplier_preferential), 0, 1, "probability",
        "Share of supply edges attached preferentially to already-popular suppliers (shared "
        "suppliers)",
        kAssume);
    eco("sensitive_sector_share", ACC(S, ecosystem.sensitive_sector_share), 0, 1, "probability",
        "Share of companies in a sensitive sector (e.g. fishing/seafood)",
        kAssume + "; sector distrust from " + kTH + " Learning 2");
    eco("mnc_csr_prob", ACC(S, ecosystem.mnc_csr_prob), 0, 1, "probability",
        "Probability an MNC has a CSR / human-rights strategy",
        kAssume + "; " + kTH + " Learning 2");
    eco("supplier_csr_prob", ACC(S, ecosystem.supplier_csr_prob), 0, 1, "probability",
        "Probability a local supplier has a CSR strategy",
        kAssume + "; " + kTH + " Recommendations");
    eco("mnc_alignment_mean", ACC(S, ecosystem.mnc_alignment_mean), 0.01, 0.99, "[0,1]",
        "Mean (Beta) alignment of an MNC's CSR strategy with project objectives", kAssume);
    eco("supplier_alignment_mean", ACC(S, ecosystem.supplier_alignment_mean), 0.01, 0.99, "[0,1]",
        "Mean (Beta) alignment of a supplier with project objectives", kAssume);
    eco("alignment_concentration", ACC(S, ecosystem.alignment_concentration), 0.1, 1000, "",
        "Beta concentration (a+b) of alignment draws", kAssume);
    eco("association_membership_prob", ACC(S, ecosystem.association_membership_prob), 0, 1,
        "probability", "Probability a company belongs to an association", kAssume);
    eco("government_tie_prob", ACC(S, ecosystem.government_tie_prob), 0, 1, "probability",
        "Probability a company already has a tie to a government agency",
        kAssume + "; firms rely on the project for government links (" + kTH + " Learning 4)");
    eco("ngo_tie_prob", ACC(S, ecosystem.ngo_tie_prob), 0, 1, "probability",
        "Probability two NGOs of different implementers are tied",
        kAssume + "; 25% cooperated with other NGOs (" + kLSI + ")");
    eco("workers_per_supplier_median", ACC(S, ecosystem.workers_per_supplier_median), 1, 1e7,
        "workers", "Median workers of a supplier (lognormal)", kAssume);
    eco("workers_per_supplier_sigma", ACC(S, ecosystem.workers_per_supplier_sigma), 0, 5, "",
        "Log-sd of workers per supplier", kAssume);
    eco("mnc_labour_practice_mean", ACC(S, ecosystem.mnc_labour_practice_mean), 0.01, 0.99, "[0,1]",
        "Mean labour-practice level of MNCs' own operations", kAssume);
    eco("supplier_labour_practice_mean", ACC(S, ecosystem.supplier_labour_practice_mean), 0.01,
        0.99, "[0,1]", "Mean labour-practice level of suppliers (1 = decent work)", kAssume);

    // [company]
    f.push_back(integer<S>("company.decision_month", ACC(S, company.decision_month), 0, 12, "month",
                           "Month of the annual CSR/budget decision; 0 = uniform per company",
                           kTH + " Learning 2 (annual senior meetings); docs/EVIDENCE.md §5.5"));
    auto comp = [&](const char* k, auto acc, double lo, double hi, const char* unit,
                    const char* doc, std::string src) {
        f.push_back(real<S>(std::string("company.") + k, acc, lo, hi, unit, doc, std::move(src)));
    };
    comp("time_to_value_weeks", ACC(S, company.time_to_value_weeks), 1, 5200, "weeks",
         "Median time a company expects to need before a partnership yields value",
         kTH + " Learnings 2-3 (1-2 years of planning and co-creation); " + calibrated("57.4-108"));
    comp("time_to_value_sigma", ACC(S, company.time_to_value_sigma), 0, 3, "",
         "Log-sd of expected time to value across companies", kAssume);
    comp("turnover_per_year", ACC(S, company.turnover_per_year), 0, 52, "1/year",
         "Rate of company representative turnover",
         kAssume + "; " + kLSI + " obstacles (\"constantly changing\" representatives)");
    comp("csr_change_prob", ACC(S, company.csr_change_prob), 0, 1, "probability",
         "Probability a partner's CSR objectives change at its annual decision",
         kAssume + "; " + kAS + " Learning 5");
    comp("resources_usd_median", ACC(S, company.resources_usd_median), 0, 1e10, "USD",
         "Median company money committed with an agreement (lognormal)", kAssume);
    comp("resources_usd_sigma", ACC(S, company.resources_usd_sigma), 0, 5, "",
         "Log-sd of company resources committed", kAssume);

    // [trust]
    auto tr = [&](const char* k, auto acc, double lo, double hi, const char* unit, const char* doc,
                  std::string src) {
        f.push_back(real<S>(std::string("trust.") + k, acc, lo, hi, unit, doc, std::move(src)));
    };
    tr("prior_logit", ACC(S, trust.prior_logit), -20, 20, "logit",
       "Intercept of prior trust T0 = logistic(...)", kAssume + "; docs/EVIDENCE.md §5.2");
    tr("prior_mnc_bonus", ACC(S, trust.prior_mnc_bonus), -20, 20, "logit",
       "Prior trust bonus of MNCs over local firms", kTH + " Learning 2, Recommendations");
    tr("prior_csr_bonus", ACC(S, trust.prior_csr_bonus), -20, 20, "logit",
       "Prior trust bonus for a company with a CSR strategy",
       kAssume + "; " + kTH + " Recommendations");
    tr("prior_sensitive_penalty", ACC(S, trust.prior_sensitive_penalty), -20, 20, "logit",
       "Prior trust penalty in a sensitive sector (seafood)", kTH + " Learning 2");
    tr("prior_trafficking_penalty", ACC(S, trust.prior_trafficking_penalty), -20, 20, "logit",
       "Prior trust penalty when the NGO frames its work as 'trafficking'",
       kTH + " Learning 2; " + kAS + " Learning 4");
    tr("inbound_bonus", ACC(S, trust.inbound_bonus), 0, 1, "trust",
       "Trust added when a company approaches the NGO itself", kLSI + " success factors");
    tr("gain_rate", ACC(S, trust.gain_rate), 0, 1, "1/week",
       "delta+: share of the gap to contact quality closed per week of positive contact",
       "Tykhonov et al. 2008 (JASSS 11(3):1); value " + calibrated("0.025-0.073"));
    tr("loss_ratio", ACC(S, trust.loss_ratio), 1, 20, "",
       "delta-/delta+: negative experiences weigh more",
       "Slovic 1993; docs/EVIDENCE.md §5.1 (2-4)");
    tr("decay_rate", ACC(S, trust.decay_rate), 0, 1, "1/week",
       "Weekly relaxation of trust toward its prior without contact",
       kTH + " Learning 2 (check-ins needed); value " + kAssume);
    tr("quality_co_creation", ACC(S, trust.quality_co_creation), 0, 1, "[0,1]",
       "Contact quality of a co-creation approach on shared interests", kTH + " Learning 1");
    tr("quality_scrutiny", ACC(S, trust.quality_scrutiny), 0, 1, "[0,1]",
       "Contact quality of a supply-chain scrutiny approach",
       kAS + " Learning 1; " + kTH + " Learning 1");
    tr("equity_weight", ACC(S, trust.equity_weight), 0, 1, "",
       "Contact-quality loss when NGO effort falls short of a partnership's need (equity)",
       kTH + " Learning 3; " + kLSI);
    tr("access_threshold", ACC(S, trust.access_threshold), 0, 1, "trust",
       "Trust a company of alignment 0.5 needs before it opens its supply chain (MNC mean; "
       "suppliers average lower)",
       kTH + " Learning 1");
    tr("access_alignment_slope", ACC(S, trust.access_alignment_slope), 0, 2, "trust/alignment",
       "Fall of a company's access threshold per unit of interest alignment above 0.5 (companies "
       "that "
       "'want to do the right thing' open up sooner)",
       kTH + " Learning 1 (access given by a company that wants to do the right thing); " +
           kAssume);
    tr("trust_exponent", ACC(S, trust.trust_exponent), 0, 10, "",
       "Exponent g(T)=T^k of trust in stage-advance hazards", kAssume);
    tr("scrutiny_spillover", ACC(S, trust.scrutiny_spillover), 0, 1, "trust",
       "Trust lost by companies connected to a scrutinised company, toward all NGOs",
       kAS + " Learning 1; Diestre & Rajagopalan");
    tr("sister_spillover", ACC(S, trust.sister_spillover), 0, 1, "trust",
       "Trust lost toward sister projects after an incident in one project", kAS + " Learning 1");
    tr("turnover_retention", ACC(S, trust.turnover_retention), 0, 1, "",
       "Share of relationship trust kept when a company representative changes",
       "Broschak & Block 2014; " + kLSI);
    tr("multiplex_buffer", ACC(S, trust.multiplex_buffer), 0, 1, "",
       "Share of the turnover loss avoided when the company has multiplex ties (brokered by the "
       "NGO, or an existing government tie)",
       "Rogan 2014; " + kTH + " Learning 4");
    tr("end_salience", ACC(S, trust.end_salience), 0, 1, "",
       "Contact-quality loss when remaining project time is below the company's time to value",
       kTH + " Learning 3 (\"why are we even investing then?\")");
    tr("brokerage_bonus", ACC(S, trust.brokerage_bonus), 0, 1, "trust",
       "Trust gained by a partner when the NGO brokers a government tie", kTH + " Learning 4");
    tr("buyer_endorsement", ACC(S, trust.buyer_endorsement), 0, 1, "sentiment",
       "Sentiment toward NGOs of a supplier whose buyer opened its supply chain to an NGO",
       kTH + " Recommendations (reach suppliers through MNCs); docs/EVIDENCE.md §5.8");
    tr("government_prior", ACC(S, trust.government_prior), 0, 1, "trust",
       "Initial trust between an NGO and a government agency",
       kAssume + "; " + kAS + " Overview (WS2)");
    tr("association_bonus", ACC(S, trust.association_bonus), 0, 1, "trust",
       "Trust gained by fellow association members when a member partners", kTH + " Learning 4");

    // [pipeline]
    auto pl = [&](const char* k, auto acc, double lo, double hi, const char* unit, const char* doc,
                  std::string src) {
        f.push_back(real<S>(std::string("pipeline.") + k, acc, lo, hi, unit, doc, std::move(src)));
    };
    auto add_stage = [&](Stage st, const std::string& src) {
        const auto i = static_cast<std::size_t>(st);
        std::string weeks_doc = "Mean weeks in this stage at full effort and full trust";
        if (st == Stage::kAgreement)
            weeks_doc = "Mean weeks from signing to the start of co-creation at full effort";
        if (st == Stage::kImplementation)
            weeks_doc = "Weeks of full effort for the mechanism's coverage to ramp from 0 to 1";
        if (st == Stage::kSupported)
            weeks_doc =
                "Mean weeks of support before the partnership takes its next cohort (back to "
                "company_discussions)";
        if (st == Stage::kPlaced)
            weeks_doc = "Mean weeks from placement to the start of follow-up support";
        const std::string p = "pipeline." + std::string(stage_name(st)) + ".";
        f.push_back(real<S>(
            p + "effort_hours", [i](S& s) -> double& { return s.pipeline.stage[i].effort_hours; },
            0, 168, "hours/week", "Staff effort needed to work this stage at full pace", kAssume));
        f.push_back(real<S>(
            p + "mean_weeks", [i](S& s) -> double& { return s.pipeline.stage[i].mean_weeks; }, 0.01,
            5200, "weeks", weeks_doc, src));
        f.push_back(real<S>(
            p + "drop_per_week", [i](S& s) -> double& { return s.pipeline.stage[i].drop_per_week; },
            0, 1, "probability", "Baseline weekly drop-out probability in this stage",
            (st == Stage::kNegotiation ? calibrated("0.0044-0.016") : kAssume) +
                "; many engagements never reach agreement (" + kTH + " Learning 2; " + kAS +
                " Learning 2)"));
    };
    for (Stage st : kWs1ActiveStages)
        add_stage(st, st < Stage::kAgreement
                          ? kAssume + "; contact to agreement about one year (" + kTH +
                                " Learning 2; " + kAS + " Learning 3)"
                          : kAssume + "; planning and co-creation take 1-2 years (" + kTH +
                                " Learning 3)");
    for (Stage st : kWs2ActiveStages)
        add_stage(st, kAssume + "; " + kAS + " Overview (second stream)");
    pl("alignment_intercept", ACC(S, pipeline.alignment_intercept), -20, 20, "logit",
       "Alignment screen P(pass)=logistic(a0 + a1*alignment + a2*has_csr): a0",
       kTH + " Recommendations; docs/EVIDENCE.md §5.4");
    pl("alignment_slope", ACC(S, pipeline.alignment_slope), -20, 20, "logit",
       "Alignment screen: a1", kAssume);
    pl("alignment_csr", ACC(S, pipeline.alignment_csr), -20, 20, "logit", "Alignment screen: a2",
       kAssume);
    pl("screen_reject_scale", ACC(S, pipeline.screen_reject_scale), 0, 1, "probability",
       "NGO ethical screen: P(reject) = scale * (1 - labour practice)",
       kLSI + " (81% screen partners)");
    f.push_back(boolean<S>("pipeline.annual_gate", ACC(S, pipeline.annual_gate),
                           "Agreements (money) can be signed only in the company's decision month",
                           kTH + " Learning 2"));
    pl("horizon_scale_weeks", ACC(S, pipeline.horizon_scale_weeks), 0.1, 5200, "weeks",
       "Scale s of willingness w = logistic((R - E)/s), R remaining weeks, E time to value",
       kTH + " Learning 3; " + kAS + " Learning 3; value " + kAssume);
    pl("horizon_drop", ACC(S, pipeline.horizon_drop), 0, 1, "probability",
       "Extra weekly drop-out probability when willingness w is 0 (scaled by 1-w)",
       kAS + " Learning 3");
    pl("budget_uncertainty_drop", ACC(S, pipeline.budget_uncertainty_drop), 0, 1, "probability",
       "Extra weekly negotiation drop-out per unit budget CV", kAS + " Learning 3");
    pl("transparency_effect", ACC(S, pipeline.transparency_effect), 0, 1, "",
       "Reduction of funding-related exit hazards when the budget is shared", kAS + " Next steps");
    pl("exit_base", ACC(S, pipeline.exit_base), 0, 1, "probability",
       "Post-agreement weekly exit hazard h0 (funding concern)",
       "docs/EVIDENCE.md §5.6; " + kAssume);
    pl("exit_end", ACC(S, pipeline.exit_end), 0, 1, "probability",
       "Post-agreement exit hazard h1 in h0 + h1*exp(-R/tau)", kAS + " Learning 3; " + kAssume);
    pl("exit_tau_weeks", ACC(S, pipeline.exit_tau_weeks), 0.1, 5200, "weeks",
       "tau in the funding-concern exit hazard",
       "docs/EVIDENCE.md §5.6 (12-24 months); " + kAssume);
    pl("low_activity_hazard", ACC(S, pipeline.low_activity_hazard), 0, 1, "probability",
       "Weekly dissolution hazard when a partnership gets less than half its effort need",
       kAS + " Learning 5 (few joint activities)");
    pl("continue_prob", ACC(S, pipeline.continue_prob), 0, 1, "probability",
       "P(an implementing partnership continues past the project end) without handover",
       kTH + " Overview (flagship ended with the project); " + kLSI + " (25% confident); " +
           calibrated("0.072-0.48") + " (rare without a handover design)");
    pl("continue_prob_handover", ACC(S, pipeline.continue_prob_handover), 0, 1, "probability",
       "Same, when handover was designed in", "Scheirer 2005 (>=60% of sites sustain a component)");
    pl("sustained_exit_per_year", ACC(S, pipeline.sustained_exit_per_year), 0, 52, "1/year",
       "Exit rate of company-led partnerships after the project", kAssume);
    pl("brokerage_per_year", ACC(S, pipeline.brokerage_per_year), 0, 52, "1/year",
       "Rate at which an NGO links a partner company with a government agency",
       kTH + " Learning 4; value " + kAssume);
    pl("inbound_alignment_bonus", ACC(S, pipeline.inbound_alignment_bonus), 0, 1, "[0,1]",
       "Alignment added to a company that approached the NGO itself", kLSI + " success factors");
    // --- sustaining partnerships (7.5) and handover (7.2) ---
    pl("sustain_trust_slope", ACC(S, pipeline.sustain_trust_slope), 0, 20, "1/trust",
       "beta_T in the sustaining hazard h = "
       "drop_per_week*exp(-beta_T(T-0.5)-beta_c*c-beta_a(a-0.5))*(1-pi*proven)",
       kTH + " Learning 3 (communication, check-ins); value " + kAssume);
    pl("sustain_contribution_slope", ACC(S, pipeline.sustain_contribution_slope), 0, 20, "",
       "beta_c on the company's contribution c = resources/(resources + resources_usd_median) in "
       "the sustaining hazard",
       kTH + " Learning 3 (equity of contribution); value " + kAssume);
    pl("sustain_alignment_slope", ACC(S, pipeline.sustain_alignment_slope), 0, 20, "1/alignment",
       "beta_a on the company's true interest alignment a in the sustaining hazard",
       kTH + " Learning 2 (fit with CSR strategy); value " + kAssume);
    pl("sustain_proving_weeks", ACC(S, pipeline.sustain_proving_weeks), 1, 520, "weeks",
       "Weeks after the agreement over which a partnership proves itself (proven = min(1, "
       "age/this))",
       kLSI + " (cooperation runs smoothly once obstacles are overcome); value " + kAssume);
    pl("sustain_proven_reduction", ACC(S, pipeline.sustain_proven_reduction), 0, 1, "",
       "pi: share of the sustaining and end-approaching hazards removed once a partnership has "
       "proven itself",
       kLSI + " (cooperation runs smoothly once obstacles are overcome); value " + kAssume);
    pl("handover_credibility", ACC(S, pipeline.handover_credibility), 0, 1, "",
       "kappa: with a handover design, willingness w + kappa(1-w) and end-approaching hazard times "
       "(1-kappa)",
       kAS + " Next steps; " + kTH + " Learning 3; value " + kAssume);
    pl("handover_planning_weeks", ACC(S, pipeline.handover_planning_weeks), 1, 260, "weeks",
       "Last project weeks in which each partnership being handed over needs planning effort",
       kTH + " Learning 3 (plan for handover); value " + kAssume);
    pl("handover_hours_per_week", ACC(S, pipeline.handover_hours_per_week), 0, 40, "hours/week",
       "Skill-weighted staff hours per week a partnership's handover plan needs in the planning "
       "window",
       kTH + " Learning 3; value " + kAssume);
    pl("handover_trust_slope", ACC(S, pipeline.handover_trust_slope), 0, 20, "1/trust",
       "gamma_T: logit of continuation at the end rises by gamma_T(T-0.5)",
       kTH + " Learning 3; value " + kAssume);
    pl("handover_contribution_slope", ACC(S, pipeline.handover_contribution_slope), 0, 20, "",
       "gamma_c: logit of continuation at the end rises by gamma_c(c-0.5), c the company's "
       "contribution share",
       kTH + " Learning 3 (equity of contribution, ownership); value " + kAssume);
    pl("handover_owner_bonus", ACC(S, pipeline.handover_owner_bonus), 0, 5, "logit",
       "Logit added when a planned handover has an institutional owner (brokered government agency "
       "or association)",
       kTH + " Learning 4 (government, associations); " + kAS + " Next steps; value " + kAssume);

    // [outcomes]
    auto oc = [&](const char* k, auto acc, double lo, double hi, const char* unit, const char* doc,
                  std::string src) {
        f.push_back(real<S>(std::string("outcomes.") + k, acc, lo, hi, unit, doc, std::move(src)));
    };
    oc("vulnerability_reduction", ACC(S, outcomes.vulnerability_reduction), 0, 1, "[0,1]",
       "Vulnerability reduction of a worker fully covered by a prevention mechanism",
       kAssume + "; " + kAS + " Overview (connectivity at sea)");
    oc("sustained_factor", ACC(S, outcomes.sustained_factor), 0, 1, "",
       "Coverage kept by a company-led (sustained) mechanism", kAssume);
    oc("cascade_base", ACC(S, outcomes.cascade_base), 0, 1, "probability",
       "Supplier weekly improvement hazard a0 without buyer pressure",
       "docs/EVIDENCE.md §5.8; " + kAssume);
    oc("cascade_per_buyer", ACC(S, outcomes.cascade_per_buyer), 0, 1, "probability",
       "Added hazard a1 per partnered buyer with supply-chain access",
       kTH + " Recommendations; Marshall et al. 2019");
    oc("cascade_peer_bonus", ACC(S, outcomes.cascade_peer_bonus), 0, 1, "probability",
       "Added hazard a2 once the improved share of co-suppliers reaches the threshold",
       "Watts 2002");
    oc("cascade_threshold", ACC(S, outcomes.cascade_threshold), 0, 1, "share",
       "Threshold phi on the improved share of co-suppliers", "Watts 2002; " + kAssume);
    oc("scrutiny_hiding", ACC(S, outcomes.scrutiny_hiding), 0, 1, "",
       "Share of supplier improvement lost to hiding under a scrutiny approach",
       "Plambeck & Taylor 2016");
    oc("closed_chain_reach", ACC(S, outcomes.closed_chain_reach), 0, 1, "",
       "Share of a buyer's supply-chain workers a mechanism reaches before the chain is opened",
       kTH + " Learning 1 (access only after trust); value " + kAssume);
    oc("abuse_per_year", ACC(S, outcomes.abuse_per_year), 0, 52, "1/year",
       "Rate of labour-abuse discovery per accessed supply chain, times (1 - labour practice)",
       kAS + " Learning 4; value " + kAssume);
    oc("report_trust_drop", ACC(S, outcomes.report_trust_drop), 0, 1, "trust",
       "Trust lost when the NGO reports discovered abuse", kAS + " Learning 4");
    oc("report_remediation", ACC(S, outcomes.report_remediation), 0, 1, "probability",
       "Added weekly improvement hazard for a supplier whose abuse was reported", kAssume);
    oc("nda_leak_prob", ACC(S, outcomes.nda_leak_prob), 0, 1, "probability",
       "P(abuse kept under a non-disclosure agreement becomes public)", kAssume);
    // --- abuse dilemma (7.8) ---
    oc("report_exit_prob", ACC(S, outcomes.report_exit_prob), 0, 1, "probability",
       "P(company ends the partnership after a report), times (1 - trust after the report)",
       kAS + " Learning 4 (reporting risks the partnership); value " + kAssume);
    oc("nda_leak_drop", ACC(S, outcomes.nda_leak_drop), 0, 1, "reputation",
       "Reputation penalty compounded on the NGO itself when an undisclosed case leaks (sisters: "
       "sister_spillover)",
       kAS + " Learning 4; value " + kAssume);
    // (docs/ODD.md 7.10, mechanism types, money, reversion, counterfactual)
    const std::string mech_src = kTH + " Overview and Learning 5; " + kLSI +
                                 " (codes of conduct failed without monitoring); values " + kAssume;
    oc("mech_weight_code", ACC(S, outcomes.mech_weight_code), 0, 1, "weight",
       "Relative weight of a supplier code of conduct among the mechanism types a partnership "
       "implements",
       mech_src);
    oc("mech_weight_voice", ACC(S, outcomes.mech_weight_voice), 0, 1, "weight",
       "Relative weight of a worker voice / grievance channel (e.g. connectivity at sea)",
       mech_src);
    oc("mech_weight_recruitment", ACC(S, outcomes.mech_weight_recruitment), 0, 1, "weight",
       "Relative weight of a responsible (ethical) recruitment mechanism", mech_src);
    oc("mech_weight_audit", ACC(S, outcomes.mech_weight_audit), 0, 1, "weight",
       "Relative weight of a monitoring / social audit mechanism", mech_src);
    oc("mech_effect_code", ACC(S, outcomes.mech_effect_code), 0, 1, "[0,1]",
       "Vulnerability reduction of a worker fully covered by a supplier code of conduct", mech_src);
    oc("mech_effect_voice", ACC(S, outcomes.mech_effect_voice), 0, 1, "[0,1]",
       "Vulnerability reduction of a worker fully covered by a worker voice channel", mech_src);
    oc("mech_effect_recruitment", ACC(S, outcomes.mech_effect_recruitment), 0, 1, "[0,1]",
       "Vulnerability reduction of a worker fully covered by responsible recruitment", mech_src);
    oc("mech_effect_audit", ACC(S, outcomes.mech_effect_audit), 0, 1, "[0,1]",
       "Vulnerability reduction of a worker fully covered by monitoring / audit", mech_src);
    oc("mech_monitoring_code", ACC(S, outcomes.mech_monitoring_code), 0, 1, "[0,1]",
       "Monitoring strength of a code of conduct: share of the reversion hazard it removes at full "
       "coverage",
       mech_src);
    oc("mech_monitoring_voice", ACC(S, outcomes.mech_monitoring_voice), 0, 1, "[0,1]",
       "Monitoring strength of a worker voice channel (workers report breaches)", mech_src);
    oc("mech_monitoring_recruitment", ACC(S, outcomes.mech_monitoring_recruitment), 0, 1, "[0,1]",
       "Monitoring strength of responsible recruitment", mech_src);
    oc("mech_monitoring_audit", ACC(S, outcomes.mech_monitoring_audit), 0, 1, "[0,1]",
       "Monitoring strength of monitoring / audit", mech_src);
    oc("money_depth_floor", ACC(S, outcomes.money_depth_floor), 0, 1, "share",
       "Coverage depth (share of the chain a fully ramped mechanism reaches) without company money",
       kTH + " Learning 5 (resources make a partnership do much); value " + kAssume);
    oc("money_half_usd", ACC(S, outcomes.money_half_usd), 1, 1e9, "USD",
       "Company money at which half of the depth above the floor is reached (diminishing returns)",
       kAssume);
    oc("reversion_per_year", ACC(S, outcomes.reversion_per_year), 0, 52, "1/year",
       "Rate at which an improved supplier reverts without buyer pressure or monitoring",
       kLSI + " (codes of conduct failed without monitoring); value " + kAssume);

    // [ws2]
    auto w2 = [&](const char* k, auto acc, double lo, double hi, const char* unit, const char* doc,
                  std::string src) {
        f.push_back(real<S>(std::string("ws2.") + k, acc, lo, hi, unit, doc, std::move(src)));
    };
    w2("gov_trust_needed", ACC(S, ws2.gov_trust_needed), 0, 1, "trust",
       "Trust of a government agency needed before survivor-employment talks",
       kAS + " Overview (WS2)");
    w2("match_prob", ACC(S, ws2.match_prob), 0, 1, "probability",
       "P(company discussions lead to matched candidates)",
       kAS + " Learning 5 (20 partnerships -> 1-2 placements); " + calibrated("0.056-0.22"));
    w2("cohort_mean", ACC(S, ws2.cohort_mean), 0, 1000, "persons",
       "Poisson mean of survivors placed per cohort (at least 1 is placed, so the mean is "
       "cohort_mean + exp(-cohort_mean))",
       kLSI + " (a pilot placed 10); " + kAssume);
    w2("weekly_exit_placed", ACC(S, ws2.weekly_exit_placed), 0, 1, "probability",
       "Weekly probability a placed survivor leaves the job", kAssume);

    // [shocks]
    f.push_back(integer<S>("shocks.tier_downgrade_week", ACC(S, shocks.tier_downgrade_week), -1,
                           5200, "week", "Week of a trafficking-report tier downgrade (-1 = none)",
                           kTH + " Learning 2"));
    f.push_back(real<S>("shocks.tier_downgrade_drop", ACC(S, shocks.tier_downgrade_drop), 0, 1,
                        "trust", "Trust lost toward affiliated NGOs at a downgrade",
                        kTH + " Learning 2"));
    f.push_back(integer<S>("shocks.media_shock_week", ACC(S, shocks.media_shock_week), -1, 5200,
                           "week", "Week of a media shock to the sensitive sector (-1 = none)",
                           kTH + " Learning 2"));
    f.push_back(real<S>("shocks.media_shock_drop", ACC(S, shocks.media_shock_drop), 0, 1, "trust",
                        "Trust lost by sensitive-sector firms at a media shock",
                        kTH + " Learning 2"));
    f.push_back(integer<S>("shocks.ws2_stall_start_week", ACC(S, shocks.ws2_stall_start_week), -1,
                           5200, "week",
                           "Start of an external stall of survivor employment (-1 = none)",
                           kAS + " (COVID-19 stalled WS2)"));
    f.push_back(integer<S>("shocks.ws2_stall_weeks", ACC(S, shocks.ws2_stall_weeks), 0, 5200,
                           "weeks", "Length of the stall", kAS));

    // [engagement] the company's decision to engage (docs/ODD.md 7.12)
    auto en = [&](const char* k, auto acc, double lo, double hi, const char* unit, const char* doc,
                  std::string src) {
        f.push_back(
            real<S>(std::string("engagement.") + k, acc, lo, hi, unit, doc, std::move(src)));
    };
    auto eni = [&](const char* k, auto acc, double lo, double hi, const char* unit, const char* doc,
                   std::string src) {
        f.push_back(
            integer<S>(std::string("engagement.") + k, acc, lo, hi, unit, doc, std::move(src)));
    };
    en("accept_intercept", ACC(S, engagement.accept_intercept), -20, 20, "logit",
       "First-meeting acceptance P = logistic(b0 + b1*trust - hesitation): b0",
       calibrated("0.27-2.86") + "; most initiated engagements never reach agreement (" + kTH +
           " Learning 2)");
    en("accept_trust", ACC(S, engagement.accept_trust), -20, 20, "logit",
       "First-meeting acceptance: b1 per unit trust",
       kAssume + "; " + kTH + " Learning 1 (trust first)");
    en("budget_cv_weight", ACC(S, engagement.budget_cv_weight), 0, 50, "logit",
       "Hesitation per unit budget CV (x (1 - transparency_effect) when the budget is shared)",
       kAS + " Learning 3, Next steps; value " + kAssume);
    en("horizon_weight", ACC(S, engagement.horizon_weight), 0, 50, "logit",
       "Hesitation x (1 - w), w the horizon willingness",
       kAS + " Learning 3 ('why are we even investing'); value " + kAssume);
    en("framing_penalty", ACC(S, engagement.framing_penalty), 0, 20, "logit",
       "Hesitation of an MNC at 'trafficking' framing",
       kTH + " Learning 2; " + kAS + " Learning 4; value " + kAssume);
    en("framing_local_factor", ACC(S, engagement.framing_local_factor), 0, 20, "",
       "Multiplier of framing_penalty for a local supplier",
       kTH + " Learning 2 (local companies 'just back away'); value " + kAssume);
    en("framing_sensitive_factor", ACC(S, engagement.framing_sensitive_factor), 0, 20, "",
       "Multiplier of framing_penalty for a sensitive-sector firm",
       kTH + " Learning 2; value " + kAssume);
    eni("tier_downgrade_weeks", ACC(S, engagement.tier_downgrade_weeks), 0, 5200, "weeks",
        "Weeks after shocks.tier_downgrade_week during which affiliated NGOs meet hesitation",
        kTH + " Learning 2; value " + kAssume);
    en("tier_downgrade_hesitation", ACC(S, engagement.tier_downgrade_hesitation), 0, 20, "logit",
       "Hesitation toward an affiliated NGO during the downgrade window",
       kTH + " Learning 2 (Tier 2 Watch List); value " + kAssume);
    eni("media_shock_weeks", ACC(S, engagement.media_shock_weeks), 0, 5200, "weeks",
        "Weeks after shocks.media_shock_week during which sensitive-sector firms hesitate",
        kTH + " Learning 2; value " + kAssume);
    en("media_shock_hesitation", ACC(S, engagement.media_shock_hesitation), 0, 20, "logit",
       "Hesitation of a sensitive-sector firm during the media-shock window",
       kTH + " Learning 2 (seafood documentary); value " + kAssume);
    en("legal_exposure_share", ACC(S, engagement.legal_exposure_share), 0, 1, "probability",
       "Share of MNCs exposed to home-country law (e.g. US-registered)",
       kTH + " Learning 1; value " + kAssume);
    en("legal_fear", ACC(S, engagement.legal_fear), -20, 20, "logit",
       "Hesitation of an exposed MNC (engaging exposes it, bystanders are not penalised)",
       kTH + " Learning 1; value " + kAssume);
    eni("enforcement_week", ACC(S, engagement.enforcement_week), -1, 5200, "week",
        "Week of a home-country enforcement event (-1 = none)", kTH + " Learning 1");
    eni("enforcement_weeks", ACC(S, engagement.enforcement_weeks), 0, 5200, "weeks",
        "Weeks the enforcement event changes exposed firms' fear", kAssume);
    en("enforcement_fear", ACC(S, engagement.enforcement_fear), -20, 20, "logit",
       "Fear added to exposed firms during the enforcement window (negative: a bystander penalised "
       "lowers it)",
       kTH + " Learning 1; value " + kAssume);
    en("alignment_noise_sd", ACC(S, engagement.alignment_noise_sd), 0, 5, "alignment",
       "sd of the NGO's alignment estimate before any contact",
       kTH + " Recommendations (early alignment checks); value " + kAssume);
    en("screen_contacts", ACC(S, engagement.screen_contacts), 0.01, 1000, "weeks",
       "Contact weeks k: estimate variance = sd^2 / (1 + contacts/k)",
       kLSI + " (screening); value " + kAssume);
    en("alignment_weight", ACC(S, engagement.alignment_weight), 0, 1, "",
       "Advance hazards from interests aligned to negotiation x (1 - weight*(1 - alignment))",
       kTH + " Learning 2, Recommendations; value " + kAssume);
    en("misalignment_drop", ACC(S, engagement.misalignment_drop), 0, 1, "probability",
       "Extra weekly drop-out x (1 - alignment) from interests aligned to negotiation",
       kTH + " Learning 2; value " + kAssume);

    // [ngo_population]
    auto np = [&](const char* k, auto acc, double lo, double hi, const char* unit, const char* doc,
                  std::string src) {
        f.push_back(
            real<S>(std::string("ngo_population.") + k, acc, lo, hi, unit, doc, std::move(src)));
    };
    f.push_back(integer<S>("ngo_population.count", ACC(S, ngo_population.count), 0, 60000, "NGOs",
                           "NGOs generated in addition to [[ngo]] entries", kLSI + " (27 NGOs)"));
    f.push_back(integer<S>(
        "ngo_population.implementers", ACC(S, ngo_population.implementers), 0, 60000,
        "implementers",
        "Implementers the generated NGOs belong to (0 = each its own; k: NGO i is a "
        "project of implementer i mod k, so projects of one implementer are sisters)",
        kLSI + " (27 independent NGOs: 0); " + kAS + " (country projects of one implementer)"));
    np("engages_business_prob", ACC(S, ngo_population.engages_business_prob), 0, 1, "probability",
       "Share of generated NGOs doing PSE at all", kLSI + " (80% target business)");
    np("dedicated_staff_prob", ACC(S, ngo_population.dedicated_staff_prob), 0, 1, "probability",
       "Share with dedicated PSE staff", kLSI + " (11%, 3 of 27)");
    np("dedicated_fte", ACC(S, ngo_population.dedicated_fte), 0, 100, "FTE",
       "Dedicated FTE of those that have it", kAssume);
    np("part_time_staff_mean", ACC(S, ngo_population.part_time_staff_mean), 0, 1000, "persons",
       "Mean part-time PSE staff (Poisson)", calibrated("4.23-5.91") + " to " + kLSI + " shares");
    np("trained_prob", ACC(S, ngo_population.trained_prob), 0, 1, "probability",
       "Share with PSE training", kAS + " Learning 2 (little guidance); " + kAssume);
    np("scrutiny_prob", ACC(S, ngo_population.scrutiny_prob), 0, 1, "probability",
       "Share taking a supply-chain scrutiny approach", kAssume);
    np("trafficking_framing_prob", ACC(S, ngo_population.trafficking_framing_prob), 0, 1,
       "probability", "Share framing work as 'trafficking'", kAssume);
    np("handover_prob", ACC(S, ngo_population.handover_prob), 0, 1, "probability",
       "Share designing handover in (cooperation not tied to a fixed-term project end)",
       calibrated("0.15-0.98") + " to " + kLSI + " shares");

    // Lever test ranges of `pse-sim effects` (sim/pse/effects.h; docs/ODD.md 7.13). Run controls
    // are not levers; a shock is tested switched on in week 104 (year 2 of the default project),
    // its size and length with the shock on; zero defaults that the x0.5/x1.5 rule cannot move get
    // an explicit test value; population parameters are tested with 27 generated NGOs (002).
    {
        auto field = [&f](const std::string& k) -> FieldSpec<S>& {
            for (auto& x : f)
                if (x.key == k) return x;
            throw std::logic_error("lever test range for unknown field " + k);
        };
        using I = std::int64_t;
        for (const char* k : {"run.weeks", "run.seed", "run.record_events"}) field(k).lever = false;
        field("shocks.tier_downgrade_week").test_values = {I{104}};
        field("shocks.tier_downgrade_drop").test_context = {{"shocks.tier_downgrade_week", I{104}}};
        field("shocks.media_shock_week").test_values = {I{104}};
        field("shocks.media_shock_drop").test_context = {{"shocks.media_shock_week", I{104}}};
        field("shocks.ws2_stall_start_week").test_values = {I{104}};
        field("shocks.ws2_stall_start_week").test_context = {{"shocks.ws2_stall_weeks", I{52}}};
        field("shocks.ws2_stall_weeks").test_values = {I{26}, I{104}};
        field("shocks.ws2_stall_weeks").test_context = {{"shocks.ws2_stall_start_week", I{104}}};
        field("company.decision_month").test_values = {I{1}};
        field("outcomes.cascade_base").test_values = {0.001};
        field("ngo_population.count").test_values = {I{27}};
        // Levers of a mechanism that is switched off in the default are tested where it acts (the
        // context is applied to the arm and to its own baseline; docs/ODD.md 7.13).
        using Ctx = std::vector<std::pair<std::string, FieldValue>>;
        const Ctx trafficking = {{"ngo[*].framing", std::string("trafficking")}};
        for (const char* k : {"trust.prior_trafficking_penalty", "engagement.framing_penalty",
                              "engagement.framing_sensitive_factor"})
            field(k).test_context = trafficking;
        field("engagement.framing_local_factor").test_context = {
            {"ngo[*].framing", std::string("trafficking")},
            {"ngo[*].targeting", std::string("mixed")}};
        for (const char* k :
             {"engagement.tier_downgrade_weeks", "engagement.tier_downgrade_hesitation"})
            field(k).test_context = {{"shocks.tier_downgrade_week", I{104}}};
        for (const char* k : {"engagement.media_shock_weeks", "engagement.media_shock_hesitation"})
            field(k).test_context = {{"shocks.media_shock_week", I{104}}};
        for (const char* k : {"engagement.enforcement_weeks", "engagement.enforcement_fear"})
            field(k).test_context = {{"engagement.enforcement_week", I{104}}};
        for (const char* k :
             {"pipeline.continue_prob_handover", "pipeline.handover_credibility",
              "pipeline.handover_planning_weeks", "pipeline.handover_hours_per_week",
              "pipeline.handover_owner_bonus", "pipeline.handover_trust_slope",
              "pipeline.handover_contribution_slope"})
            field(k).test_context = {{"ngo[*].handover", true}};
        // Effort shortfalls of partnerships arise when hours are shared equally, not when
        // partnerships come first (most_promising, the default allocation; docs/ODD.md 7.1).
        for (const char* k : {"trust.equity_weight", "pipeline.low_activity_hazard"})
            field(k).test_context = {{"ngo[*].allocation", std::string("equal_share")}};
        field("pipeline.transparency_effect").test_context = {{"ngo[*].budget_transparency", true}};
        for (const char* k :
             {"trust.quality_scrutiny", "trust.scrutiny_spillover", "outcomes.scrutiny_hiding"})
            field(k).test_context = {{"ngo[*].approach", std::string("scrutiny")}};
        for (const char* k : {"outcomes.nda_leak_prob", "outcomes.nda_leak_drop"})
            field(k).test_context = {{"ngo[*].abuse_policy", std::string("non_disclosure")}};
        // NGO ties carry capacity building; sister spillover needs sister projects.
        field("ecosystem.ngo_tie_prob").test_context = {{"ngo_population.count", I{27}},
                                                        {"ngo[*].capacity_building", 0.05}};
        field("trust.sister_spillover").test_context = {{"ngo_population.count", I{27}},
                                                        {"ngo_population.implementers", I{3}}};
        field("ngo_population.implementers").test_values = {I{3}};
        field("engagement.enforcement_week").test_values = {I{104}};
        field("pipeline.agreement.drop_per_week").test_values = {0.02};
        field("pipeline.supported.drop_per_week").test_values = {0.02};
        for (auto& x : f)
            if (x.key.rfind("ngo_population.", 0) == 0 && x.key != "ngo_population.count")
                x.test_context = {{"ngo_population.count", I{27}}};
    }
    return f;
}

std::vector<FieldSpec<NgoParams>> build_ngo_fields() {
    using N = NgoParams;
    std::vector<FieldSpec<N>> f;
    auto r = [&](const char* k, auto acc, double lo, double hi, const char* unit, const char* doc,
                 std::string src) {
        f.push_back(real<N>(k, acc, lo, hi, unit, doc, std::move(src)));
    };
    f.push_back(text<N>("name", ACC(N, name), "Project name"));
    f.push_back(
        text<N>("implementer", ACC(N, implementer),
                "Implementing organisation; projects of one implementer are sister projects"));
    r("dedicated_fte", ACC(N, dedicated_fte), 0, 1000, "FTE", "Dedicated full-time PSE staff",
      kTH + " Learning 2 (at least one full-time specialist)");
    r("part_time_staff", ACC(N, part_time_staff), 0, 10000, "persons",
      "Other staff doing PSE on the side", kAS + " Learning 2");
    r("part_time_share", ACC(N, part_time_share), 0, 1, "[0,1]",
      "Share of a part-timer's week on PSE",
      kAS +
          " Learning 2 (PSE is \"a tenth of a project\": a share of scope, read as the time share "
          "of staff "
          "who also carry the other objectives); " +
          kAssume);
    r("switching_overhead", ACC(N, switching_overhead), 0, 1, "[0,1]",
      "Share of part-time PSE hours lost to task switching",
      "docs/EVIDENCE.md §5.3; " + calibrated("0.12-0.36"));
    r("hours_per_fte_week", ACC(N, hours_per_fte_week), 0, 168, "hours/week",
      "Working hours per FTE-week", kAssume);
    f.push_back(
        boolean<N>("trained", ACC(N, trained), "Staff received PSE training", kAS + " Learning 2"));
    r("skill_untrained", ACC(N, skill_untrained), 0, 1, "", "Effectiveness of untrained new staff",
      kAssume);
    r("skill_trained", ACC(N, skill_trained), 0, 1, "", "Effectiveness of trained new staff",
      kAssume);
    r("skill_learning_weeks", ACC(N, skill_learning_weeks), 1, 5200, "weeks",
      "e-folding weeks of experience to full skill", kAssume);
    f.push_back(choice<N>("approach", ACC(N, approach), {"co_creation", "scrutiny"},
                          "Co-creation on shared interests or supply-chain scrutiny",
                          kTH + " Learning 1; " + kAS + " Learning 1"));
    f.push_back(choice<N>("framing", ACC(N, framing), {"safe_migration", "trafficking"},
                          "How the NGO frames its work to companies",
                          kTH + " Learning 2; " + kAS + " Learning 4"));
    r("objective_consistency", ACC(N, objective_consistency), 0, 1, "[0,1]",
      "How consistently staff present PSE objectives (contact quality x (0.7+0.3c))",
      kAS + " Learning 1; weights " + kAssume);
    f.push_back(boolean<N>("affiliated", ACC(N, affiliated),
                           "Donor-affiliated (hit by tier downgrades)", kTH + " Learning 2"));
    f.push_back(
        boolean<N>("engages_business", ACC(N, engages_business), "The NGO does PSE at all", kLSI));
    f.push_back(integer<N>("start_week", ACC(N, start_week), 0, 5200, "week", "Project start",
                           kTH + " Introduction"));
    f.push_back(integer<N>("end_week", ACC(N, end_week), 1, 5200, "week",
                           "Project end (exclusive); 260 = five years",
                           kTH + " Introduction; " + kAS + " Learning 3"));
    f.push_back(boolean<N>("handover", ACC(N, handover), "Handover designed in from the start",
                           kAS + " Next steps; Scheirer 2005"));
    r("budget_usd_per_year", ACC(N, budget_usd_per_year), 0, 1e10, "USD/year",
      "Expected yearly PSE budget",
      kAS + " Learning 2 (PSE about a tenth of a project); " + kTH +
          " Introduction ($10M over 5 years)");
    r("budget_cv", ACC(N, budget_cv), 0, 5, "", "Coefficient of variation of the yearly budget",
      kAS + " Learning 3; Kharas 2008");
    r("budget_cut_prob", ACC(N, budget_cut_prob), 0, 1, "probability",
      "Yearly probability the PSE line is cut", kAS + " Learning 2 (\"always cut out\")");
    r("budget_cut_factor", ACC(N, budget_cut_factor), 0, 1, "[0,1]",
      "Share of budget left after a cut", kAssume);
    r("cost_per_fte_year", ACC(N, cost_per_fte_year), 1, 1e8, "USD/FTE-year",
      "Cost of one PSE FTE-year", kAssume);
    f.push_back(boolean<N>("budget_transparency", ACC(N, budget_transparency),
                           "Budget shared with partners for the life of an activity",
                           kAS + " Next steps"));
    r("follow_on_prob", ACC(N, follow_on_prob), 0, 1, "probability",
      "P(donor extends the project at its end)", kAS + " Learning 3");
    f.push_back(integer<N>("follow_on_weeks", ACC(N, follow_on_weeks), 0, 5200, "weeks",
                           "Length of an extension", kAssume));
    r("outreach_events_per_year", ACC(N, outreach_events_per_year), 0, 520, "events/year",
      "Public events and speaking engagements", kTH + " Learning 2, Recommendations");
    r("leads_per_event", ACC(N, leads_per_event), 0, 100, "leads",
      "Expected inbound leads per event", kAssume);
    r("targets_per_month", ACC(N, targets_per_month), 0, 1000, "companies/month",
      "Companies proactively targeted per month after landscape mapping", kAssume);
    f.push_back(
        integer<N>("max_pipeline", ACC(N, max_pipeline), 1, 100000, "engagements",
                   "Policy cap on concurrent pre-agreement WS1 engagements for proactive targeting "
                   "(inbound leads are always taken); staff capacity usually binds first",
                   kAssume));
    r("prospecting_hours", ACC(N, prospecting_hours), 0, 168, "hours/target",
      "Skill-weighted staff hours one proactive target costs (mapping, first approach); new "
      "targets only while hours cover open engagements' needs plus this",
      kTH + " Learning 2 (landscape mapping); " + kAS + " Learning 2; " + kAssume);
    r("ws2_staff_share", ACC(N, ws2_staff_share), 0, 1, "[0,1]",
      "Share of skill-weighted PSE hours reserved for survivor-employment (WS2) engagements; "
      "unused reserve returns to WS1",
      kAS + " Overview, Learning 5, Next steps; " + kAssume);
    f.push_back(integer<N>(
        "inbound_draws", ACC(N, inbound_draws), 1, 1000, "companies",
        "An inbound lead is the readiest (alignment + sentiment) of this many random companies",
        kLSI + " Conclusions (successes follow initiation by businesses already interested); " +
            kAssume));
    f.push_back(choice<N>("targeting", ACC(N, targeting), {"mnc_focus", "local_firms", "mixed"},
                          "Whom the NGO targets proactively: MNCs, local firms (suppliers), or a "
                          "mix with a third MNCs",
                          kTH + " Recommendations (focus on MNCs); " + kLSI +
                              " Experiences (equally distributed); " + kAS + " Learning 5"));
    f.push_back(choice<N>("allocation", ACC(N, allocation),
                          {"most_promising", "oldest_first", "equal_share"},
                          "Policy for allocating scarce staff effort across engagements", kAssume));
    f.push_back(boolean<N>("work_stream_2", ACC(N, work_stream_2),
                           "Runs survivor-employment engagements", kAS + " Overview"));
    r("ws2_targets_per_year", ACC(N, ws2_targets_per_year), 0, 1000, "companies/year",
      "Companies approached for survivor employment per year", kAssume);
    f.push_back(choice<N>("abuse_policy", ACC(N, abuse_policy), {"report", "non_disclosure"},
                          "What the NGO does when it finds labour abuse", kAS + " Learning 4"));
    r("capacity_building", ACC(N, capacity_building), 0, 1, "1/week",
      "Weekly skill transfer to tied NGOs (when trained)", kTH + " Learning 4; " + kAssume);

    // Lever test ranges of `pse-sim effects` (see build_scenario_fields): explicit values for
    // zero defaults; an extension's length is tested with extensions happening.
    {
        auto field = [&f](const std::string& k) -> FieldSpec<N>& {
            for (auto& x : f)
                if (x.key == k) return x;
            throw std::logic_error("lever test range for unknown field " + k);
        };
        field("start_week").test_values = {std::int64_t{52}};
        field("follow_on_prob").test_values = {0.5};
        field("follow_on_weeks").test_context = {{"ngo[*].follow_on_prob", 0.5}};
        field("capacity_building").test_values = {0.05};
        field("capacity_building").test_context = {{"ngo_population.count", std::int64_t{27}}};
        field("skill_untrained").test_context = {{"ngo[*].trained", false}};
        field("affiliated").test_context = {{"shocks.tier_downgrade_week", std::int64_t{104}}};
    }
    return f;
}

}  // namespace

Scenario::Scenario() {
    auto set = [this](Stage s, double effort, double stage_weeks, double drop) {
        pipeline.stage[static_cast<std::size_t>(s)] = StageParams{effort, stage_weeks, drop};
    };
    // Work stream 1: at full effort and trust the pre-agreement stages take about 27 weeks; trust
    // below 1 and the annual decision gate stretch this to about a year (calibrated,
    // docs/VALIDATION.md).
    set(Stage::kIdentified, 2, 2, 0.010);
    set(Stage::kFirstMeeting, 4, 4, 0.012);
    set(Stage::kInterestsAligned, 4, 4, 0.008);
    set(Stage::kDueDiligence, 6, 5, 0.005);
    set(Stage::kConceptNote, 8, 6, 0.008);
    set(Stage::kNegotiation, 6, 6, 0.00775);  // calibrated (docs/VALIDATION.md); was 0.010
    set(Stage::kAgreement, 2, 2, 0.0);
    set(Stage::kCoCreation, 8, 26, 0.003);
    set(Stage::kImplementation, 4, 26, 0.002);  // mean_weeks: ramp to full coverage
    // Work stream 2.
    set(Stage::kWs2Identified, 2, 4, 0.010);
    set(Stage::kGovernmentConsulted, 4, 10, 0.010);
    set(Stage::kCompanyDiscussions, 4, 12, 0.020);
    set(Stage::kCandidatesMatched, 4, 8, 0.020);
    set(Stage::kTraining, 6, 12, 0.020);
    set(Stage::kPlaced, 2, 4, 0.010);
    set(Stage::kSupported, 2, 26, 0.0);  // mean_weeks: support period after placement
}

const std::vector<FieldSpec<Scenario>>& scenario_fields() {
    static const auto fields = build_scenario_fields();
    return fields;
}

const std::vector<FieldSpec<NgoParams>>& ngo_fields() {
    static const auto fields = build_ngo_fields();
    return fields;
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

std::string to_toml(const FieldValue& v) {
    return std::visit(
        [](const auto& x) -> std::string {
            using X = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<X, double>) {
                if (std::isfinite(x) && x == std::floor(x) && std::fabs(x) < 1e15)
                    return fmt::format("{:.1f}", x);
                return fmt::format("{}", x);
            } else if constexpr (std::is_same_v<X, std::int64_t>) {
                return std::to_string(x);
            } else if constexpr (std::is_same_v<X, bool>) {
                return x ? "true" : "false";
            } else {
                // Basic TOML string: escape quotes, backslashes and every control character.
                std::string out = "\"";
                for (char c : x) {
                    const auto u = static_cast<unsigned char>(c);
                    if (c == '"' || c == '\\') {
                        out += '\\';
                        out += c;
                    } else if (c == '\n') {
                        out += "\\n";
                    } else if (c == '\t') {
                        out += "\\t";
                    } else if (u < 0x20 || u == 0x7F) {
                        out += fmt::format("\\u{:04X}", static_cast<unsigned>(u));
                    } else {
                        out += c;
                    }
                }
                return out + "\"";
            }
        },
        v);
}

std::vector<NgoParams> resolve_ngos(const Scenario& s, std::uint64_t seed) {
    std::vector<NgoParams> out = s.ngos;
    if (out.empty() && s.ngo_population.count == 0) out.push_back(s.ngo_defaults);
    const auto& p = s.ngo_population;
    for (int i = 0; i < p.count; ++i) {
        Rng rng(seed, EntityKey{EntityKind::kPopulation, static_cast<std::uint32_t>(i)});
        NgoParams n = s.ngo_defaults;
        n.name = fmt::format("ngo_{:03d}", i);
        n.implementer =
            p.implementers > 0 ? fmt::format("implementer_{:03d}", i % p.implementers) : n.name;
        n.engages_business = rng.uniform(0, 0) < p.engages_business_prob;
        n.dedicated_fte = rng.uniform(0, 1) < p.dedicated_staff_prob ? p.dedicated_fte : 0.0;
        n.part_time_staff = static_cast<double>(rng.poisson(0, 2, p.part_time_staff_mean));
        n.trained = rng.uniform(0, 3) < p.trained_prob;
        n.approach =
            rng.uniform(0, 4) < p.scrutiny_prob ? Approach::kScrutiny : Approach::kCoCreation;
        n.framing = rng.uniform(0, 5) < p.trafficking_framing_prob ? Framing::kTrafficking
                                                                   : Framing::kSafeMigration;
        n.handover = rng.uniform(0, 6) < p.handover_prob;
        out.push_back(std::move(n));
    }
    (void)kInf;
    (void)kBig;
    return out;
}

const char* field_type_name(FieldType t) {
    switch (t) {
        case FieldType::kReal:
            return "real";
        case FieldType::kInteger:
            return "integer";
        case FieldType::kBoolean:
            return "boolean";
        case FieldType::kChoice:
            return "choice";
        case FieldType::kText:
            return "text";
    }
    return "";
}

}  // namespace pse
