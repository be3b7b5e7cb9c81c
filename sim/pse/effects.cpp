#include "pse/effects.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>
#include <boost/math/distributions/students_t.hpp>

#include "pse/errors.h"
#include "pse/metrics.h"
#include "pse/scenario_loader.h"

namespace pse {
namespace {

constexpr double kEffNaN = std::numeric_limits<double>::quiet_NaN();
/// Familywise error rate of the verdict "acts" per lever (the usual 5% convention).
constexpr double kFamilywiseAlpha = 0.05;

bool glob(std::string_view p, std::string_view s) {
    // Iterative wildcard match: * any run, ? one character.
    std::size_t i = 0, j = 0, star = std::string_view::npos, mark = 0;
    while (j < s.size()) {
        if (i < p.size() && (p[i] == '?' || p[i] == s[j])) {
            ++i;
            ++j;
        } else if (i < p.size() && p[i] == '*') {
            star = i++;
            mark = j;
        } else if (star != std::string_view::npos) {
            i = star + 1;
            j = ++mark;
        } else {
            return false;
        }
    }
    while (i < p.size() && p[i] == '*') ++i;
    return i == p.size();
}

int summary_index(std::string_view name) {
    for (int i = 0; i < kSummaryCount; ++i)
        if (kSummarySpecs[static_cast<std::size_t>(i)].name == name) return i;
    return -1;
}

/// Arms of one field at the value v (the rule in effects.h).
template <class T>
std::vector<FieldValue> arms_of(const FieldSpec<T>& f, const FieldValue& v) {
    std::vector<FieldValue> out;
    if (!f.test_values.empty()) {
        out = f.test_values;
    } else if (f.type == FieldType::kBoolean) {
        out.push_back(!std::get<bool>(v));
    } else if (f.type == FieldType::kChoice) {
        for (const auto& c : f.choices)
            if (c != std::get<std::string>(v)) out.push_back(c);
    } else if (f.type == FieldType::kReal) {
        const double d = std::get<double>(v);
        for (double m : {0.5, 1.5}) out.push_back(std::clamp(d * m, f.min, f.max));
    } else if (f.type == FieldType::kInteger) {
        const double d = static_cast<double>(std::get<std::int64_t>(v));
        for (double m : {0.5, 1.5})
            out.push_back(static_cast<std::int64_t>(std::llround(std::clamp(d * m, f.min, f.max))));
    }
    std::vector<FieldValue> uniq;
    for (auto& a : out)
        if (!(a == v) && std::find(uniq.begin(), uniq.end(), a) == uniq.end()) uniq.push_back(a);
    return uniq;
}

std::string value_text(const FieldValue& v) {
    if (const auto* d = std::get_if<double>(&v)) return fmt::format("{:.6g}", *d);
    return to_toml(v);
}

std::string context_text(const std::vector<Setting>& c) {
    std::string s;
    for (const auto& x : c) s += (s.empty() ? "" : "; ") + x.key + "=" + to_toml(x.value);
    return s;
}

/// Apply settings and validate; returns an empty string or the problem.
std::string try_apply(Scenario& s, const std::vector<Setting>& settings) {
    try {
        for (const auto& x : settings) apply_setting(s, x, "pse-sim effects");
        check_scenario(s, "pse-sim effects");
    } catch (const InputError& e) {
        std::string m;
        for (const auto& p : e.problems()) m += (m.empty() ? "" : "; ") + p.key + ": " + p.message;
        return m;
    }
    return {};
}

}  // namespace

std::vector<EffectMetric> effect_metrics() {
    const std::string ws1 = "WS1 prevention", ws2 = "WS2 survivor employment";
    struct Want {
        const std::string* stream;
        const char* kind;
        std::string name;
    };
    std::vector<Want> want;
    for (const char* n : {"engagements_initiated", "agreements_ws1", "actions_low_ws1",
                          "actions_medium_ws1", "actions_high_ws1"})
        want.push_back({&ws1, "indicator", n});
    for (const char* n : {"workers_reached", "vulnerability_reduction", "suppliers_improved",
                          "partnerships_at_end", "partnerships_end_plus_52"})
        want.push_back({&ws1, "outcome", n});
    for (const auto& m : kSummarySpecs) {
        const std::string n(m.name);
        if (n.find("attributable") != std::string::npos && n.find("survivor") == std::string::npos)
            want.push_back({&ws1, "outcome", n});
    }
    for (const char* n : {"first_meetings_declined", "mean_trust", "median_weeks_to_agreement",
                          "partnerships_dissolved", "partnerships_handed_over", "resources_usd",
                          "suppliers_reverted"})
        want.push_back({&ws1, "process", n});
    want.push_back({&ws2, "indicator", "agreements_ws2"});
    for (const char* n : {"survivors_placed", "survivors_employed"})
        want.push_back({&ws2, "outcome", n});
    for (const auto& m : kSummarySpecs) {
        const std::string n(m.name);
        if (n.find("attributable") != std::string::npos && n.find("survivor") != std::string::npos)
            want.push_back({&ws2, "outcome", n});
    }
    want.push_back({&ws2, "process", "ws2_partnerships"});
    std::vector<EffectMetric> out;
    for (const auto& w : want) {
        const int i = summary_index(w.name);
        if (i < 0) continue;  // not in this build's summary list
        out.push_back({*w.stream, w.kind, w.name,
                       std::string(kSummarySpecs[static_cast<std::size_t>(i)].unit), i});
    }
    return out;
}

std::vector<LeverPlan> plan_levers(const Scenario& s, const std::vector<std::string>& only) {
    std::vector<std::string> pats;
    for (const auto& p : only) pats.push_back(every_ngo_key(p));
    std::vector<bool> used(pats.size(), false);
    std::vector<std::string> lever_keys, non_levers;
    std::vector<LeverPlan> out;
    auto wanted = [&](const std::string& key) {
        if (pats.empty()) return true;
        bool hit = false;
        for (std::size_t i = 0; i < pats.size(); ++i)
            if (pats[i] == key || glob(pats[i], key)) used[i] = hit = true;
        return hit;
    };
    auto add = [&](const auto& f, const FieldValue& v, const std::string& key) {
        if (f.type == FieldType::kText || !f.lever) {
            non_levers.push_back(key);
            return;
        }
        lever_keys.push_back(key);
        if (!wanted(key)) return;
        LeverPlan lp;
        lp.key = key;
        lp.default_value = to_toml(v);
        std::vector<Setting> ctx;
        for (const auto& [k, cv] : f.test_context) ctx.push_back({k, cv});
        for (auto& a : arms_of(f, v)) {
            LeverArm arm{key, a, ctx};
            Scenario t = s;
            auto c = ctx;
            c.push_back({key, a});
            const auto problem = try_apply(t, c);
            if (!problem.empty()) {
                lp.note += (lp.note.empty() ? "" : "; ") +
                           fmt::format("{} skipped ({})", to_toml(a), problem);
                continue;
            }
            lp.arms.push_back(std::move(arm));
        }
        if (lp.arms.empty() && lp.note.empty())
            lp.note = "no test value (the rule leaves the default unchanged)";
        out.push_back(std::move(lp));
    };
    for (const auto& f : scenario_fields()) add(f, f.get(s), f.key);
    const NgoParams& first = s.ngos.empty() ? s.ngo_defaults : s.ngos.front();
    for (const auto& f : ngo_fields()) add(f, f.get(first), ngo_all_key(f.key));
    std::vector<InputProblem> problems;
    for (std::size_t i = 0; i < pats.size(); ++i) {
        if (used[i]) continue;
        bool non_lever = false;
        for (const auto& k : non_levers) non_lever = non_lever || glob(pats[i], k);
        std::string msg =
            non_lever ? "not a lever (a run control, output or text field; see docs/ODD.md 7.13)"
                      : "matches no lever of the scenario schema";
        if (!non_lever) {
            const auto near = suggest_key(pats[i], lever_keys);
            if (!near.empty()) msg += "; did you mean '" + near + "'?";
        }
        problems.push_back({"--only", 0, 0, only[i], msg});
    }
    if (!problems.empty()) throw InputError(std::move(problems));
    return out;
}

const char* verdict_label(LeverVerdict v) {
    switch (v) {
        case LeverVerdict::kActs:
            return "acts";
        case LeverVerdict::kNotDetected:
            return "not detected";
        case LeverVerdict::kNoEffect:
            return "no effect";
        case LeverVerdict::kFailed:
            return "failed";
        case LeverVerdict::kUntested:
            return "untested";
    }
    return "untested";
}

namespace {

/// Paired effect of one arm on one metric from the per-replication values (NaN = missing).
MetricEffect paired_effect(const std::vector<double>& base, const std::vector<double>& arm) {
    MetricEffect e;
    double sb = 0, sa = 0, sd = 0;
    std::vector<double> diffs;
    for (std::size_t r = 0; r < base.size(); ++r) {
        const double b = base[r], a = arm[r];
        const bool same = a == b || (std::isnan(a) && std::isnan(b));
        e.identical = e.identical && same;
        if (!std::isfinite(a) || !std::isfinite(b)) continue;
        sb += b;
        sa += a;
        sd += a - b;
        diffs.push_back(a - b);
    }
    e.n = static_cast<std::int64_t>(diffs.size());
    if (e.n == 0) {
        e.baseline_mean = e.arm_mean = e.diff = e.lo = e.hi = e.se = kEffNaN;
        return e;
    }
    const double n = static_cast<double>(e.n);
    e.baseline_mean = sb / n;
    e.arm_mean = sa / n;
    e.diff = sd / n;
    if (e.n < 2) {
        e.lo = e.hi = e.se = kEffNaN;
        return e;
    }
    double ss = 0;
    for (double x : diffs) ss += (x - e.diff) * (x - e.diff);
    e.se = std::sqrt(ss / (n - 1) / n);
    const double t = boost::math::quantile(boost::math::students_t(n - 1), 0.975);
    e.lo = e.diff - t * e.se;
    e.hi = e.diff + t * e.se;
    e.significant = e.lo > 0 || e.hi < 0;
    return e;
}

}  // namespace

/// Sign-flip max-t p-value (effects.h): diffs[m][r] = paired difference of metric m in
/// replication r (NaN = missing). Metrics whose differences are all 0 or that have fewer than 2
/// finite pairs do not enter. Deterministic: the flips come from a fixed-seed splitmix64.
double sign_flip_max_t(const std::vector<std::vector<double>>& diffs) {
    constexpr int kFlips = 1999;
    constexpr std::size_t kExactMaxReplications = 10;
    constexpr std::uint64_t kFlipSeed = 0x9E3779B97F4A7C15ULL;  // any fixed seed (reproducibility)
    struct Col {
        std::vector<std::size_t> reps;
        std::vector<double> d;
        double ss = 0;
    };
    std::vector<Col> cols;
    std::size_t R = 0;
    for (const auto& v : diffs) R = std::max(R, v.size());
    // A metric finite in only a few replications (e.g. a median of runs with an agreement) would
    // give |t| = inf under many flips and mask the others: it enters only with at least
    // max(3, R/2) finite pairs.
    const std::size_t min_pairs = std::max<std::size_t>(3, (R + 1) / 2);
    for (const auto& v : diffs) {
        Col c;
        bool any = false;
        for (std::size_t r = 0; r < v.size(); ++r)
            if (std::isfinite(v[r])) {
                c.reps.push_back(r);
                c.d.push_back(v[r]);
                c.ss += v[r] * v[r];
                any = any || v[r] != 0;
            }
        if (any && c.d.size() >= min_pairs) cols.push_back(std::move(c));
    }
    if (cols.empty()) return 1.0;
    auto max_t = [&](const std::vector<double>& sign) {
        double best = 0;
        for (const auto& c : cols) {
            const double n = static_cast<double>(c.d.size());
            double sum = 0;
            for (std::size_t i = 0; i < c.d.size(); ++i) sum += sign[c.reps[i]] * c.d[i];
            const double mean = sum / n;
            const double var = std::max(0.0, (c.ss - n * mean * mean) / (n - 1));
            const double t = var > 0     ? std::abs(mean) / std::sqrt(var / n)
                             : mean != 0 ? std::numeric_limits<double>::infinity()
                                         : 0.0;
            best = std::max(best, t);
        }
        return best;
    };
    std::vector<double> sign(R, 1.0);
    const double observed = max_t(sign);
    std::uint64_t state = kFlipSeed;
    auto next = [&state] {  // splitmix64
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    };
    if (R <= kExactMaxReplications) {  // 2^R <= 1024 sign vectors: enumerate them all (exact p)
        const std::uint64_t total = std::uint64_t{1} << R;
        std::uint64_t at_least = 0;
        for (std::uint64_t bits = 0; bits < total; ++bits) {
            for (std::size_t k = 0; k < R; ++k) sign[k] = (bits >> k) & 1U ? -1.0 : 1.0;
            if (max_t(sign) >= observed) ++at_least;
        }
        return static_cast<double>(at_least) / static_cast<double>(total);
    }
    int at_least = 0;
    for (int b = 0; b < kFlips; ++b) {
        for (std::size_t r = 0; r < R; r += 64) {
            const std::uint64_t bits = next();
            for (std::size_t k = 0; k < 64 && r + k < R; ++k)
                sign[r + k] = (bits >> k) & 1U ? 1.0 : -1.0;
        }
        if (max_t(sign) >= observed) ++at_least;
    }
    return (1.0 + at_least) / (1.0 + kFlips);
}

namespace {

/// Familywise verdict of a lever from its arms (file comment of effects.h).
LeverVerdict judge(const std::vector<ArmResult>& arms, double alpha) {
    if (arms.empty()) return LeverVerdict::kUntested;
    bool identical = true;
    for (const auto& a : arms) {
        if (!a.error.empty() || a.effects.empty()) return LeverVerdict::kFailed;
        for (const auto& e : a.effects) identical = identical && e.identical;
    }
    if (identical) return LeverVerdict::kNoEffect;
    for (const auto& a : arms)
        if (a.p_familywise <= alpha / static_cast<double>(arms.size())) return LeverVerdict::kActs;
    return LeverVerdict::kNotDetected;
}

struct PassResult {
    std::vector<std::vector<ArmResult>> arms;  ///< per lever of `which`
    std::int64_t runs = 0;
    double wall_seconds = 0;
    bool stopped = false;
};

/// Runs the baselines and the arms of the levers plans[which[i]] with `reps` paired replications.
PassResult run_pass(const Scenario& base, const std::vector<LeverPlan>& plans,
                    const std::vector<std::size_t>& which, std::int64_t reps,
                    const std::vector<EffectMetric>& metrics, const EffectsOptions& opts) {
    RunPlan plan;
    plan.replications = reps;
    plan.master_seed = opts.master_seed;
    plan.common_random_numbers = true;
    // Design points: baselines (one per distinct context; the plain one first), then every arm.
    std::map<std::string, std::size_t> baseline_of;
    plan.design_points.push_back(base);
    baseline_of[""] = 0;
    struct ArmRef {
        std::size_t lever, arm, point, baseline;
    };
    std::vector<ArmRef> refs;
    for (std::size_t w = 0; w < which.size(); ++w) {
        const auto& lp = plans[which[w]];
        for (std::size_t ai = 0; ai < lp.arms.size(); ++ai) {
            const auto& a = lp.arms[ai];
            const std::string ctx = context_text(a.context);
            auto it = baseline_of.find(ctx);
            if (it == baseline_of.end()) {
                Scenario b = base;
                try_apply(b, a.context);
                plan.design_points.push_back(std::move(b));
                it = baseline_of.emplace(ctx, plan.design_points.size() - 1).first;
            }
            Scenario t = base;
            auto c = a.context;
            c.push_back({a.key, a.value});
            try_apply(t, c);  // checked by plan_levers
            plan.design_points.push_back(std::move(t));
            refs.push_back({w, ai, plan.design_points.size() - 1, it->second});
        }
    }
    const auto n_points = plan.design_points.size();
    const auto nm = metrics.size();
    const auto R = static_cast<std::size_t>(reps);
    std::vector<double> values(n_points * R * nm, kEffNaN);
    std::vector<std::string> errors(n_points);
    const auto tally = execute(plan, opts.runner, [&](RunRecord&& rec) {
        const auto d = static_cast<std::size_t>(rec.design_point),
                   r = static_cast<std::size_t>(rec.replication);
        if (rec.status != RunStatus::kDone) {
            if (errors[d].empty()) errors[d] = rec.error.empty() ? "run failed" : rec.error;
            return;
        }
        for (std::size_t m = 0; m < nm; ++m)
            values[(d * R + r) * nm + m] =
                rec.output.summary[static_cast<std::size_t>(metrics[m].index)];
    });
    PassResult out;
    out.runs = tally.done + tally.failed;
    out.wall_seconds = tally.wall_seconds;
    out.stopped = tally.stopped;
    for (const auto& [ctx, b] : baseline_of)
        if (!errors[b].empty())
            throw ModelError("baseline run failed" + (ctx.empty() ? "" : " (" + ctx + ")") + ": " +
                             errors[b]);
    out.arms.resize(which.size());
    auto column = [&](std::size_t point, std::size_t m) {
        std::vector<double> v(R);
        for (std::size_t r = 0; r < R; ++r) v[r] = values[(point * R + r) * nm + m];
        return v;
    };
    for (const auto& ref : refs) {
        ArmResult ar;
        ar.arm = plans[which[ref.lever]].arms[ref.arm];
        ar.error = errors[ref.point];
        if (ar.error.empty() && !out.stopped) {
            std::vector<std::vector<double>> diffs(nm);
            for (std::size_t m = 0; m < nm; ++m) {
                const auto b = column(ref.baseline, m), a = column(ref.point, m);
                ar.effects.push_back(paired_effect(b, a));
                diffs[m].resize(R);
                for (std::size_t r = 0; r < R; ++r) diffs[m][r] = a[r] - b[r];  // NaN if either is
            }
            ar.p_familywise = sign_flip_max_t(diffs);
        }
        out.arms[ref.lever].push_back(std::move(ar));
    }
    return out;
}

}  // namespace

EffectsResult run_effects(const Scenario& s, const EffectsOptions& opts) {
    if (opts.replications < 2)
        throw InputError(InputProblem{"--replications", 0, 0, "replications",
                                      "paired intervals need at least 2 replications"});
    if (opts.confirm_replications != 0 && opts.confirm_replications <= opts.replications)
        throw InputError(
            InputProblem{"--confirm", 0, 0, "confirm",
                         "the confirmation pass needs more replications than the first "
                         "pass (or 0 for none)"});
    EffectsResult res;
    res.scenario_name = s.name;
    res.metrics = effect_metrics();
    res.replications = opts.replications;
    res.confirm_replications = opts.confirm_replications;
    res.master_seed = opts.master_seed;
    const auto plans = plan_levers(s, opts.only);

    Scenario base = s;
    base.record_events = false;  // output only: the summaries do not depend on it
    // The chance of calling a lever without any effect "acting" is at most kFamilywiseAlpha: with a
    // confirmation pass each pass gets half of it (union bound; the passes share seeds 0..R-1).
    const bool confirm = opts.confirm_replications > opts.replications;
    const double first_alpha = confirm ? kFamilywiseAlpha / 2 : kFamilywiseAlpha;
    std::vector<std::size_t> all(plans.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    auto first = run_pass(base, plans, all, opts.replications, res.metrics, opts);
    res.runs = first.runs;
    res.wall_seconds = first.wall_seconds;
    res.stopped = first.stopped;
    for (std::size_t i = 0; i < plans.size(); ++i) {
        LeverResult l{plans[i], std::move(first.arms[i])};
        l.replications = opts.replications;
        if (!res.stopped) l.verdict = judge(l.arms, first_alpha);
        res.levers.push_back(std::move(l));
    }
    if (!res.stopped && opts.confirm_replications > opts.replications) {
        std::vector<std::size_t> again;
        for (std::size_t i = 0; i < res.levers.size(); ++i)
            if (res.levers[i].verdict == LeverVerdict::kNotDetected ||
                res.levers[i].verdict == LeverVerdict::kNoEffect)
                again.push_back(i);
        if (!again.empty()) {
            auto second =
                run_pass(base, plans, again, opts.confirm_replications, res.metrics, opts);
            res.runs += second.runs;
            res.wall_seconds += second.wall_seconds;
            res.stopped = second.stopped;
            if (!res.stopped)
                for (std::size_t w = 0; w < again.size(); ++w) {
                    auto& l = res.levers[again[w]];
                    l.arms = std::move(second.arms[w]);
                    l.replications = opts.confirm_replications;
                    l.verdict = judge(l.arms, kFamilywiseAlpha / 2);
                }
        }
    }
    for (auto& l : res.levers) l.inert = l.verdict == LeverVerdict::kNoEffect;
    return res;
}

namespace {
std::string num(double x) {
    if (std::isnan(x)) return "nan";
    return fmt::format("{:.6g}", x);
}
}  // namespace

std::string effects_csv(const EffectsResult& r) {
    std::string out =
        "lever,value,context,default,stream,kind,metric,unit,n,baseline_mean,arm_mean,difference,"
        "ci_low,ci_high,"
        "significant,inert,verdict,p_familywise,error\n";
    for (const auto& l : r.levers)
        for (const auto& a : l.arms)
            for (std::size_t m = 0; m < r.metrics.size(); ++m) {
                const auto& mt = r.metrics[m];
                MetricEffect e{kEffNaN, kEffNaN, kEffNaN, kEffNaN, kEffNaN, kEffNaN, 0, false};
                if (m < a.effects.size()) e = a.effects[m];
                out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                                   csv_field(l.plan.key), csv_field(to_toml(a.arm.value)),
                                   csv_field(context_text(a.arm.context)),
                                   csv_field(l.plan.default_value), csv_field(mt.stream), mt.kind,
                                   mt.name, csv_field(mt.unit), e.n, num(e.baseline_mean),
                                   num(e.arm_mean), num(e.diff), num(e.lo), num(e.hi),
                                   e.significant ? 1 : 0, l.inert ? 1 : 0, verdict_label(l.verdict),
                                   num(a.p_familywise), csv_field(a.error));
            }
    return out;
}

std::string effects_report(const EffectsResult& r, bool markdown) {
    auto cell = [](const MetricEffect& e) {
        if (std::isnan(e.diff)) return std::string("n/a");
        if (e.diff == 0 && e.lo == 0 && e.hi == 0) return std::string("0");
        return fmt::format("{:+.3g} [{:.3g}, {:.3g}]{}", e.diff, e.lo, e.hi,
                           e.significant ? "*" : "");
    };
    std::string out;
    std::vector<std::string> streams;
    for (const auto& m : r.metrics)
        if (std::find(streams.begin(), streams.end(), m.stream) == streams.end())
            streams.push_back(m.stream);
    for (const auto& st : streams) {
        std::vector<std::size_t> cols;
        for (std::size_t m = 0; m < r.metrics.size(); ++m)
            if (r.metrics[m].stream == st) cols.push_back(m);
        std::vector<std::vector<std::string>> rows;
        std::vector<std::string> head = {"lever", "default", "arm"};
        for (auto m : cols)
            head.push_back(r.metrics[m].name + (r.metrics[m].kind == "indicator" ? " (i)"
                                                : r.metrics[m].kind == "process" ? " (p)"
                                                                                 : " (o)"));
        rows.push_back(head);
        for (const auto& l : r.levers)
            for (const auto& a : l.arms) {
                std::string label = l.plan.key;
                label += fmt::format(" ({})", verdict_label(l.verdict));
                if (l.replications != r.replications)
                    label += fmt::format(" [n={}]", l.replications);
                std::vector<std::string> row = {label, l.plan.default_value,
                                                value_text(a.arm.value)};
                for (auto m : cols)
                    row.push_back(a.effects.empty() ? "failed" : cell(a.effects[m]));
                rows.push_back(std::move(row));
            }
        out += markdown ? fmt::format("**{}**\n\n", st) : fmt::format("{}\n", st);
        std::vector<std::size_t> w(head.size(), 0);
        for (const auto& row : rows)
            for (std::size_t c = 0; c < row.size(); ++c) w[c] = std::max(w[c], row[c].size());
        for (std::size_t i = 0; i < rows.size(); ++i) {
            std::string line;
            for (std::size_t c = 0; c < rows[i].size(); ++c)
                line +=
                    markdown ? "| " + rows[i][c] + " " : fmt::format("{:<{}}  ", rows[i][c], w[c]);
            if (markdown) line += "|";
            while (!line.empty() && line.back() == ' ') line.pop_back();
            out += line + "\n";
            if (i == 0 && markdown) {
                std::string sep;
                for (std::size_t c = 0; c < rows[i].size(); ++c) sep += c < 3 ? "|---" : "|--:";
                out += sep + "|\n";
            }
        }
        out += "\n";
    }
    std::string none, undetected, untested;
    auto add = [&](std::string& list, const std::string& s) {
        list += (list.empty() ? "" : ", ") + (markdown ? "`" + s + "`" : s);
    };
    for (const auto& l : r.levers) {
        if (l.verdict == LeverVerdict::kNoEffect) add(none, l.plan.key);
        if (l.verdict == LeverVerdict::kNotDetected) add(undetected, l.plan.key);
        if (l.arms.empty()) add(untested, l.plan.key + " (" + l.plan.note + ")");
    }
    const std::string n_final = r.confirm_replications > r.replications
                                    ? fmt::format("{}", r.confirm_replications)
                                    : fmt::format("{}", r.replications);
    // The smallest p a sign-flip test can give with R replications is 2 / 2^R (all signs + or -).
    const double level =
        kFamilywiseAlpha / (r.confirm_replications > r.replications ? 2.0 : 1.0) / 2.0;
    if (std::ldexp(2.0, -static_cast<int>(std::min<std::int64_t>(r.replications, 60))) > level)
        out += fmt::format(
            "{}Warning: with {} replications no lever can be shown to act (the test's "
            "smallest p-value is 2/2^{}); use at least 8.\n",
            markdown ? "\n" : "", r.replications, r.replications);
    out += fmt::format(
        "No effect (every reported metric identical to the baseline's in all {} replications): "
        "{}\n",
        n_final, none.empty() ? "none" : none);
    out += fmt::format(
        "{}Not detected (outputs differ, no familywise-significant effect at {} "
        "replications): {}\n",
        markdown ? "\n" : "", n_final, undetected.empty() ? "none" : undetected);
    if (!untested.empty())
        out += fmt::format("{}Untested levers: {}\n", markdown ? "\n" : "", untested);
    out += fmt::format(
        "{}{} replications per arm, paired (common random numbers, master seed {}){}; (i) "
        "indicator, "
        "(o) outcome, (p) process; cells: mean paired difference arm - baseline [95% t interval], "
        "* = this cell's own 95% interval excludes 0 (per cell, not familywise); the verdict after "
        "each key is the lever's, over all work streams: it acts when an arm is significant at the "
        "familywise 5% level (sign-flip max-t test over its metrics, Bonferroni over arms; within "
        "a "
        "lever, not across levers).\n",
        markdown ? "\n" : "", r.replications, r.master_seed,
        r.confirm_replications > r.replications
            ? fmt::format("; levers that did not act were rerun with {} ([n=...] after the key)",
                          r.confirm_replications)
            : std::string());
    return out;
}

}  // namespace pse
