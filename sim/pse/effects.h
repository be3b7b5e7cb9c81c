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
///
/// Verdict of a lever (LeverVerdict), over all its arms and reported metrics:
///   acts         - the arms' paired differences are significant at the familywise 5% level:
///                  per arm, a sign-flip max-t test over its metrics (Westfall & Young 1993:
///                  under "no effect" each replication's difference vector is symmetric about 0,
///                  so flipping the sign of whole replications gives the null distribution of
///                  the largest |t| across the correlated metrics; all 2^R flips for R <= 10
///                  replications, else 1999 flips from a fixed seed; a metric enters with at
///                  least max(3, R/2) finite pairs),
///                  Bonferroni over the lever's arms: p_arm <= 0.05 / arms. The chance of calling
///                  a lever without any effect "acting" is then at most 5%;
///   not detected - the outputs differ from the baseline's but no arm passes that test;
///   no effect    - every paired difference of every reported metric is exactly 0 (or both values
///                  NaN) in every replication: the lever changed nothing in these runs ("inert").
/// The 5% holds within a lever, not across the levers of a table. With
/// EffectsOptions::confirm_replications = N > replications, every lever that does not act after
/// the first pass is run again with N replications (the same seeds 0..N-1) and judged on those;
/// each pass is then judged at 2.5%, so the 5% still holds (union bound). Results are identical
/// for any thread count.
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
    std::string kind;    ///< "indicator", "outcome" or "process" (an intermediate quantity)
    std::string name;    ///< summary metric name (kSummarySpecs)
    std::string unit;    ///< its unit
    int index = 0;       ///< index into RunOutput::summary
};

/// The metrics reported, in order: WS1 indicators (engagements_initiated, agreements_ws1,
/// actions_{low,medium,high}_ws1), WS1 outcomes (workers_reached, vulnerability_reduction,
/// suppliers_improved, partnerships_at_end, partnerships_end_plus_52 and every summary metric
/// whose name contains "attributable"), WS2 indicators (agreements_ws2) and WS2 outcomes
/// (survivors_placed, survivors_employed, attributable survivor metrics). Process metrics follow
/// their stream's outcomes (WS1: first_meetings_declined, mean_trust, median_weeks_to_agreement,
/// partnerships_dissolved, partnerships_handed_over, resources_usd, suppliers_reverted; WS2:
/// ws2_partnerships): they register a mechanism (acceptance, trust, dissolution, handover, money,
/// reversion) before its effect reaches the indicators. Names absent from the summary list are
/// skipped.
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
    /// > replications: levers that do not act after the first pass are rerun with this many
    /// paired replications (0 = no second pass).
    std::int64_t confirm_replications = 0;
    RunnerOptions runner;  ///< threads, progress, stop flag (do not change results)
};

/// Effect of one arm on one metric (units of the metric).
struct MetricEffect {
    double baseline_mean = 0;  ///< mean of the baseline over the paired replications
    double arm_mean = 0;       ///< mean of the arm over the paired replications
    double diff = 0;           ///< mean paired difference arm - baseline
    double lo = 0, hi = 0;     ///< 95% t interval of the mean difference (NaN if n < 2)
    double se = 0;             ///< standard error of the mean difference (NaN if n < 2)
    std::int64_t n = 0;        ///< replications with both values finite
    bool significant = false;  ///< the 95% interval excludes 0 (per cell, not familywise)
    bool identical = true;     ///< every paired difference is exactly 0 (or both values NaN)
};

/// What the paired runs say about a lever (see the file comment).
enum class LeverVerdict { kActs, kNotDetected, kNoEffect, kFailed, kUntested };

/// Familywise p-value in (0, 1] of "no effect" for one arm: diffs[m][r] is the paired difference
/// arm - baseline of metric m in replication r (NaN = missing). A sign-flip max-t test (Westfall
/// & Young 1993): T = max over metrics of |mean| / (sd / sqrt(n)); 1999 random sign flips of whole
/// replications (fixed-seed splitmix64, so the value is reproducible) give its null
/// distribution; p = (1 + #{T_flip >= T}) / 2000; with R <= 10 replications every one of the 2^R
/// sign vectors is enumerated and p = #{T_s >= T} / 2^R (exact; at least 2 / 2^R). Metrics
/// whose differences are all 0 or that have fewer than max(3, R/2) finite values do not enter;
/// with none left p = 1.
double sign_flip_max_t(const std::vector<std::vector<double>>& diffs);

/// Plain-words label of a verdict: "acts", "not detected", "no effect", "failed", "untested".
const char* verdict_label(LeverVerdict v);

struct ArmResult {
    LeverArm arm;
    std::vector<MetricEffect> effects;  ///< one per effect_metrics() entry
    double p_familywise = 1.0;          ///< sign-flip max-t p-value over the metrics (file comment)
    std::string error;                  ///< non-empty: a run of this arm failed (effects empty)
};

struct LeverResult {
    LeverPlan plan;
    std::vector<ArmResult> arms;
    LeverVerdict verdict = LeverVerdict::kUntested;
    bool inert = false;             ///< verdict == kNoEffect: the lever changed nothing
    std::int64_t replications = 0;  ///< paired replications the verdict rests on
};

struct EffectsResult {
    std::string scenario_name;
    std::vector<EffectMetric> metrics;
    std::vector<LeverResult> levers;
    std::int64_t replications = 0;          ///< paired replications of the first pass
    std::int64_t confirm_replications = 0;  ///< of the confirmation pass (0 = none)
    std::uint64_t master_seed = 0;
    std::int64_t runs = 0;
    double wall_seconds = 0;
    bool stopped = false;  ///< the stop flag was set; results are incomplete
};

/// Run the baseline(s) and every arm of every lever with paired replications. Throws InputError
/// if replications < 2 or a pattern matches no lever, ModelError if a baseline run fails.
EffectsResult run_effects(const Scenario& s, const EffectsOptions& opts);

/// CSV, one row per lever x arm x metric: lever, value, context, default, stream, kind, metric,
/// unit, n, baseline_mean, arm_mean, difference, ci_low, ci_high, significant, inert, verdict,
/// p_familywise (the arm's sign-flip p-value), error.
std::string effects_csv(const EffectsResult& r);

/// Human-readable tables, one per work stream (rows: lever arms; cells: difference and 95%
/// interval, * when the 95% interval excludes 0), the verdict after each lever's key, then the
/// levers with no effect, not detected and untested. markdown = pipe tables.
std::string effects_report(const EffectsResult& r, bool markdown);

}  // namespace pse
