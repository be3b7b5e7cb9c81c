#pragma once
/// Experiments: which parameters to vary, how (the design), how many replications, which seed.
///
/// An experiment file is a scenario file (it may `extends` a base scenario and override keys)
/// with an [experiment] table:
///
///   [experiment]
///   name = "staffing"            # default: run.name
///   design = "grid"              # grid | list | lhs | sobol | morris
///   replications = 20
///   seed = 1                     # master seed (default: run.seed)
///   common_random_numbers = true # replication r uses the same streams at every design point
///   samples = 64                 # lhs: design points; sobol: base samples N; morris: trajectories r
///   levels = 4                   # morris: grid levels p
///   [[experiment.lever]]         # what the user controls (staffing, approach, end date, ...)
///   key = "ngo[*].dedicated_fte"
///   values = [0.0, 1.0, 2.0]     # grid; or min/max (+ integer = true) for lhs/sobol/morris
///   [[experiment.uncertainty]]   # what nobody controls (trust rates, turnover, volatility)
///   key = "trust.gain_rate"
///   min = 0.02
///   max = 0.08
///   posterior = "validation/posterior.csv"  # optional: cross every design point with draws of a
///   posterior_draws = 51         #   calibrated posterior (CSV: header of scenario keys, one row
///                                #   per draw; columns draw and distance ignored; '#' comments)
///   [[experiment.point]]         # list design: one table per design point
///   label = "part-time only"
///   set = { "ngo[*].dedicated_fte" = 0.0, "ngo[*].trained" = false }
///
/// Design orderings (relied on by analysis/): grid — Cartesian product, first parameter slowest;
/// sobol — Saltelli blocks of k+2 points per base sample j: A_j, B_j, AB_j^(1..k) (A with column i
/// from B), from an Owen-scrambled 2k-dimensional Sobol sequence (Boost.Random directions,
/// scrambling seeded by the master seed); morris — r trajectories of k+1
/// points, each step changing one parameter by Delta = p / (2(p-1)) of its range (Morris 1991).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "pse/keys.h"
#include "pse/params.h"
#include "pse/results.h"
#include "pse/scenario_loader.h"

namespace pse {

/// One parameter setting of a design point: key (as in --set) and value.
struct Setting {
    std::string key;
    FieldValue value;
};
using DesignPoint = std::vector<Setting>;

/// How an experiment's design points are made ([experiment] design).
enum class Design : std::uint8_t { kSingle, kGrid, kList, kLhs, kSobol, kMorris };
/// The design's name as files and results write it: "single", "grid", "list", "lhs", "sobol", "morris".
const char* design_name(Design d);
/// true for the sampling designs (lhs, sobol, morris), which need min and max for every factor.
bool is_sampling(Design d);

/// Who chooses a factor: the project or donor (a lever) or nobody (an uncertainty).
enum class FactorRole : std::uint8_t { kLever, kUncertainty };
/// "lever" or "uncertainty" (the /design role attribute of results files).
const char* role_name(FactorRole r);

/// A varied parameter.
struct Factor {
    std::string key;
    FactorRole role = FactorRole::kLever;
    std::vector<FieldValue> values;  ///< grid levels (grid design)
    double min = 0, max = 0;         ///< range (lhs, sobol, morris)
    bool has_range = false;          ///< min and max were given (and valid)
    bool integer = false;            ///< round sampled values to integers
    FieldType type = FieldType::kReal;
    /// Where it was declared, for error messages: file, line, column of its [[experiment.lever]] /
    /// [[experiment.uncertainty]] table and its name there (e.g. "experiment.lever[0]"); empty/0
    /// for factors implied by list points.
    std::string file, source;
    int line = 0, column = 0;
};

/// A fully expanded experiment.
struct Experiment {
    std::string name;
    std::string description;  ///< free text; not used by the run
    Design design = Design::kSingle;
    Scenario base;  ///< the scenario every design point starts from
    std::vector<Factor> factors;
    std::vector<DesignPoint> points;  ///< at least one (empty settings = the base scenario)
    std::vector<std::string> labels;  ///< one per point (list designs; else empty strings)
    std::int64_t replications = 10;
    std::uint64_t master_seed = 1;
    bool common_random_numbers = true;
    std::int64_t samples = 0;               ///< lhs points / sobol N / morris r
    int levels = 4;                         ///< morris p
    std::vector<std::string> files, texts;  ///< every input file read, with its text
    /// Posterior integration ([experiment] posterior = "draws.csv"): the number of posterior draws
    /// K each design point of the lever design was crossed with (0 = none). Design point
    /// d = p * K + k is lever point p in world (draw) k; the draws' parameters are uncertainty
    /// factors of the experiment.
    std::int64_t posterior_draws = 0;
    std::string posterior_file;  ///< the draws file as given (relative to the experiment file)
    [[nodiscard]] std::int64_t n_runs() const {
        return static_cast<std::int64_t>(points.size()) * replications;
    }
};

/// Load an experiment file (a scenario file with an [experiment] table) and expand its design.
/// Every design point is validated (each setting's type and range) before anything runs.
/// Throws InputError (file, line, key) for any problem, including zero design points or zero
/// replications, unknown design methods and unknown keys.
/// max_runs >= 0 refuses (InputError, before the design is expanded) an experiment of more runs:
/// the CLI uses it to ask for --yes instead of exhausting memory on a huge request.
Experiment load_experiment(const std::filesystem::path& file,
                           const std::vector<std::string>& overrides = {},
                           std::int64_t max_runs = -1);

/// The scenario of design point d: base with the point's settings applied. Throws InputError if
/// a setting is invalid (load_experiment has already checked every point).
Scenario scenario_at(const Experiment& e, std::size_t d);

/// Set one design point setting on a scenario: set_parameter(s, setting.key, setting.value,
/// where) (pse/keys.h: key grammar, type and range checks). Throws InputError naming the key.
inline void apply_setting(Scenario& s, const Setting& setting, const std::string& where = "") {
    set_parameter(s, setting.key, setting.value, where);
}

/// How an [experiment] key is written in a file.
enum class KeyShape : std::uint8_t {
    kValue,        ///< key = value (checked by check_value against the row's type and range)
    kTables,       ///< [[experiment.KEY]]: repeatable tables
    kArray,        ///< key = [ ... ]
    kInlineTable,  ///< key = { ... }
};

/// One row of the [experiment] field table: every key an experiment file accepts, with its type,
/// range, documentation and (kValue rows of [experiment] itself) how it sets the Experiment.
/// Keys are relative to [experiment]: "replications", "lever" ([[experiment.lever]]), and
/// "lever.min" for a key inside each [[experiment.lever]] and [[experiment.uncertainty]] table
/// (they take the same keys), "point.label" inside [[experiment.point]].
struct ExperimentField : FieldInfo {
    KeyShape shape = KeyShape::kValue;
    /// The default as the documentation shows it, when it is not a value of Experiment{}
    /// (e.g. "the scenario's `run.seed`"); empty = to_toml(get(Experiment{})).
    std::string default_doc;
    std::function<FieldValue(const Experiment&)> get;  ///< kValue rows of [experiment]
    std::function<void(Experiment&, const FieldValue&)> set;
    std::function<void(Factor&, const FieldValue&)> set_factor;  ///< kValue rows of "lever."
};

/// The [experiment] field table (docs/SCENARIOS.md "Experiment keys" is generated from it by
/// `pse-sim params --experiment`); the experiment loader accepts these keys and no others.
const std::vector<ExperimentField>& experiment_fields();

/// Design columns for the results file (numeric encoding: booleans 0/1, choices and text as the
/// index into the factor's distinct values in order of first appearance).
std::vector<DesignColumn> design_columns(const Experiment& e);

// Design generators (pure functions; unit-tested). Values in [0,1]^k unless noted.
/// Latin hypercube: n points, each column a random permutation of strata, jittered within stratum.
std::vector<std::vector<double>> latin_hypercube(std::size_t n, std::size_t k, std::uint64_t seed);
/// Owen-scrambled coordinate: x is a 64-bit Sobol coordinate (value x / 2^64), dim its dimension;
/// returns a value in [0, 1) whose leading 53 binary digits are nested-uniformly scrambled (Owen
/// 1995) with random flips drawn from a hash of (seed, dim, digit, the digits above it).
/// Pure function; the same (x, dim, seed) always gives the same value.
double owen_scramble(std::uint64_t x, std::uint32_t dim, std::uint64_t seed);
/// Saltelli design from an Owen-scrambled Sobol sequence: n base samples x (k + 2) points, ordered
/// A, B, AB^1..AB^k. A_j is dimensions 0..k-1 and B_j dimensions k..2k-1 of point j (j = 0..n-1,
/// the origin included) of the 2k-dimensional Sobol sequence, each coordinate scrambled with
/// owen_scramble(., dim, seed). With distinct scrambles per dimension the points are distinct with
/// probability 1 (the unscrambled sequence repeats the same value in every dimension at j = 0
/// and j = 1, which made whole Saltelli blocks identical), and the first 2^m points still hit
/// each of the 2^m equal intervals of every coordinate exactly once. seed: the experiment's
/// master seed.
std::vector<std::vector<double>> saltelli(std::size_t n, std::size_t k, std::uint64_t seed);
/// Morris trajectories: r trajectories x (k + 1) points on a p-level grid.
std::vector<std::vector<double>> morris(std::size_t r, std::size_t k, int p, std::uint64_t seed);

}  // namespace pse

namespace pse {
/// An experiment of one design point (the scenario itself) with `replications` replications and
/// the scenario's run.seed as master seed: what `pse-sim run` executes.
Experiment single_experiment(const LoadedScenario& loaded, std::int64_t replications);
}  // namespace pse
