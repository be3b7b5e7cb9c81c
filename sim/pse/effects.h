#pragma once
/// One-at-a-time lever effects with paired replications (`pse-sim effects FILE`; docs/ODD.md 7.13).
///
/// Levers come from the field table (params.cpp): every field with `lever == true` that is not
/// text. Arms (test values) follow FieldSpec::test_values when declared, else the default rule:
///   boolean  -> the other value;
///   choice   -> every other value;
///   real     -> default x 0.5 and default x 1.5, clipped to the field's [min, max];
///   integer  -> the same, rounded to the nearest integer;
/// arms equal to the default are dropped (a zero default without declared test values has no arm
/// and is listed as untested). NGO fields are set on every NGO ("ngo[*].KEY"); their default is
/// the first NGO's value ([ngo_defaults] when the scenario has no [[ngo]] entry).
/// FieldSpec::test_context settings are applied to an arm and to its own baseline (a shock's size
/// is tested with the shock on).
///
/// Pairing: replication r of the baseline and of every arm uses the same seed
/// (derive_seed(master, 0, r), common random numbers), so each arm's effect on a metric is the
/// mean of the paired differences d_r = arm_r - baseline_r, with the 95% interval
/// mean +- t(0.975, n-1) sd / sqrt(n) over the n replications where both values are finite.
/// A lever is "inert" when every interval of every arm and metric contains 0.
/// Results are identical for any thread count.
#include <cstdint>
#include <string>
#include <vector>

#include "pse/experiment.h"
#include "pse/params.h"
#include "pse/runner.h"

namespace pse {

/// A metric the effects table reports: a per-run summary metric (metrics.h) by name.
struct EffectMetric {
    std::string stream;  ///< "WS1 prevention" or "WS2 survivor employment"
    std::string kind;    ///< "indicator" or "outcome"
    std::string name;    ///< summary metric name (kSummarySpecs)
    std::string unit;    ///< its unit
    int index = 0;       ///< index into RunOutput::summary
};

/// The metrics reported, in order: WS1 indicators (engagements_initiated, agreements_ws1,
/// actions_{low,medium,high}_ws1), WS1 outcomes (workers_reached, vulnerability_reduction,
/// suppliers_improved, partnerships_at_end, partnerships_end_plus_52 and every summary metric
/// whose name contains "attributable"), WS2 indicators (agreements_ws2) and WS2 outcomes
/// (survivors_placed, survivors_employed, attributable survivor metrics). Names absent from the
/// summary list are skipped.
std::vector<EffectMetric> effect_metrics();

/// One arm of a lever: the setting tried and the settings of its context.
struct LeverArm {
    std::string key;   ///< lever key as in --set ("trust.gain_rate", "ngo[*].handover")
    FieldValue value;  ///< value tried
    std::vector<Setting>
        context;  ///< applied to this arm and its baseline (FieldSpec::test_context)
};

/// A lever and its arms (empty arms: nothing to test at the rule, see `note`).
struct LeverPlan {
    std::string key;
    std::string default_value;  ///< TOML text of the scenario's value
    std::vector<LeverArm> arms;
    std::string note;  ///< why an arm is missing (invalid value, zero default, ...)
};

/// The levers of scenario s (field-table order: scenario fields, then NGO fields), restricted to
/// keys matching one of `only` (glob patterns with * and ?; "ngo_defaults.KEY" means
/// "ngo[*].KEY"; empty = all). Throws InputError for a pattern that matches no lever (naming
/// the nearest key, or saying the key is not a lever).
std::vector<LeverPlan> plan_levers(const Scenario& s, const std::vector<std::string>& only = {});

/// Options of run_effects().
struct EffectsOptions {
    std::int64_t replications = 40;  ///< paired replications per arm, >= 2
    std::uint64_t master_seed = 0;   ///< seeds of the replications (see the file comment)
    std::vector<std::string> only;   ///< lever patterns (plan_levers)
    RunnerOptions runner;            ///< threads, progress, stop flag (do not change results)
};

/// Effect of one arm on one metric (units of the metric).
struct MetricEffect {
    double baseline_mean = 0;  ///< mean of the baseline over the paired replications
    double arm_mean = 0;       ///< mean of the arm over the paired replications
    double diff = 0;           ///< mean paired difference arm - baseline
    double lo = 0, hi = 0;     ///< 95% t interval of the mean difference (NaN if n < 2)
    std::int64_t n = 0;        ///< replications with both values finite
    bool significant = false;  ///< the interval excludes 0
};

struct ArmResult {
    LeverArm arm;
    std::vector<MetricEffect> effects;  ///< one per effect_metrics() entry
    std::string error;                  ///< non-empty: a run of this arm failed (effects empty)
};

struct LeverResult {
    LeverPlan plan;
    std::vector<ArmResult> arms;
    bool inert = false;  ///< has arms, none failed, and no effect of any arm is significant
};

struct EffectsResult {
    std::string scenario_name;
    std::vector<EffectMetric> metrics;
    std::vector<LeverResult> levers;
    std::int64_t replications = 0;
    std::uint64_t master_seed = 0;
    std::int64_t runs = 0;
    double wall_seconds = 0;
    bool stopped = false;  ///< the stop flag was set; results are incomplete
};

/// Run the baseline(s) and every arm of every lever with paired replications. Throws InputError
/// if replications < 2 or a pattern matches no lever, ModelError if a baseline run fails.
EffectsResult run_effects(const Scenario& s, const EffectsOptions& opts);

/// CSV, one row per lever x arm x metric: lever, value, context, default, stream, kind, metric,
/// unit, n, baseline_mean, arm_mean, difference, ci_low, ci_high, significant, inert, error.
std::string effects_csv(const EffectsResult& r);

/// Human-readable tables, one per work stream (rows: lever arms; cells: difference and 95%
/// interval, * when significant), then the inert and untested levers. markdown = pipe tables.
std::string effects_report(const EffectsResult& r, bool markdown);

}  // namespace pse
