#include "pse/experiment.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>
#include <boost/random/sobol.hpp>

#include "pse/errors.h"
#include "pse/rng.h"

namespace pse {
namespace {

constexpr std::size_t kMaxProblems = kMaxProblemsPerFile;
/// Largest design (points) an experiment may expand to: 10 million (docs/BAD_INPUT.md).
constexpr double kMaxDesignPoints = 1e7;
/// Draws-file problems reported before giving up (each names a line and column).
constexpr std::size_t kMaxDrawProblems = 20;
/// Design points whose scenario problems are reported before giving up.
constexpr std::size_t kMaxPointProblems = 20;

struct Loc {
    std::string file;
    int line = 0, column = 0;
};
Loc loc_of(const toml::node& n, const std::string& file) {
    const auto& s = n.source();
    return Loc{s.path ? *s.path : file, static_cast<int>(s.begin.line),
               static_cast<int>(s.begin.column)};
}

std::optional<FieldValue> to_value(const toml::node& n) {
    if (n.is_boolean()) return FieldValue{*n.value<bool>()};
    if (n.is_integer()) return FieldValue{*n.value<std::int64_t>()};
    if (n.is_floating_point()) return FieldValue{*n.value<double>()};
    if (n.is_string()) return FieldValue{*n.value<std::string>()};
    return std::nullopt;
}

double as_number(const FieldValue& v) {
    if (std::holds_alternative<double>(v)) return std::get<double>(v);
    if (std::holds_alternative<std::int64_t>(v))
        return static_cast<double>(std::get<std::int64_t>(v));
    if (std::holds_alternative<bool>(v)) return std::get<bool>(v) ? 1.0 : 0.0;
    return std::numeric_limits<double>::quiet_NaN();
}

constexpr std::array<const char*, 6> kDesignNames = {"single", "grid",  "list",
                                                     "lhs",    "sobol", "morris"};

}  // namespace

const char* design_name(Design d) {
    return kDesignNames.at(static_cast<std::size_t>(d));
}
bool is_sampling(Design d) {
    return d == Design::kLhs || d == Design::kSobol || d == Design::kMorris;
}
const char* role_name(FactorRole r) {
    return r == FactorRole::kLever ? "lever" : "uncertainty";
}

namespace {
std::vector<ExperimentField> build_experiment_fields() {
    using E = Experiment;
    std::vector<ExperimentField> f;
    constexpr double kMaxCount = 1e8;  // replications, samples: far above any machine's budget
    auto value = [&](std::string key, FieldType type, double lo, double hi, std::string doc,
                     std::string default_doc, std::function<FieldValue(const E&)> get,
                     std::function<void(E&, const FieldValue&)> set) {
        ExperimentField r;
        r.key = std::move(key);
        r.type = type;
        r.min = lo;
        r.max = hi;
        r.doc = std::move(doc);
        r.default_doc = std::move(default_doc);
        r.lever = false;
        r.get = std::move(get);
        r.set = std::move(set);
        f.push_back(std::move(r));
        return &f.back();
    };
    auto structural = [&](std::string key, KeyShape shape, FieldType type, std::string doc,
                          std::string default_doc) {
        ExperimentField r;
        r.key = std::move(key);
        r.shape = shape;
        r.type = type;
        r.doc = std::move(doc);
        r.default_doc = std::move(default_doc);
        r.lever = false;
        f.push_back(std::move(r));
        return &f.back();
    };
    auto text = [](auto member) {
        return std::pair{
            std::function<FieldValue(const E&)>(
                [member](const E& e) -> FieldValue { return e.*member; }),
            std::function<void(E&, const FieldValue&)>(
                [member](E& e, const FieldValue& v) { e.*member = std::get<std::string>(v); })};
    };
    auto integer = [](auto member) {
        return std::pair{
            std::function<FieldValue(const E&)>([member](const E& e) -> FieldValue {
                return static_cast<std::int64_t>(e.*member);
            }),
            std::function<void(E&, const FieldValue&)>([member](E& e, const FieldValue& v) {
                using V = std::remove_reference_t<decltype(e.*member)>;
                e.*member = static_cast<V>(std::get<std::int64_t>(v));
            })};
    };
    {
        auto [g, s] = text(&E::name);
        value("name", FieldType::kText, 0, 0,
              "name of the experiment in summaries and the results file",
              "the scenario's `run.name`", g, s);
    }
    {
        auto [g, s] = text(&E::description);
        value("description", FieldType::kText, 0, 0, "free text; not used by the run", "", g, s);
    }
    auto* design = value(
        "design", FieldType::kChoice, 0, 0,
        "`single` (the scenario itself), `grid` (every combination of the factors' `values`), "
        "`list` (the "
        "`[[experiment.point]]` tables), `lhs` (Latin hypercube over the factors' `min`–`max`), "
        "`sobol` (Saltelli "
        "design from an Owen-scrambled Sobol sequence, for Sobol indices), `morris` (Morris "
        "elementary-effect "
        "trajectories)",
        "", [](const E& e) -> FieldValue { return std::string(design_name(e.design)); },
        [](E& e, const FieldValue& v) {
            for (std::size_t i = 0; i < kDesignNames.size(); ++i)
                if (std::get<std::string>(v) == kDesignNames[i]) e.design = static_cast<Design>(i);
        });
    design->choices.assign(kDesignNames.begin(), kDesignNames.end());
    {
        auto [g, s] = integer(&E::replications);
        value("replications", FieldType::kInteger, 1, kMaxCount, "runs per design point", "", g, s);
    }
    {
        auto [g, s] = integer(&E::master_seed);
        value("seed", FieldType::kInteger, 0, static_cast<double>(INT64_MAX),
              "master seed: every run's seed, the LHS and Morris draws and the Sobol scrambling "
              "derive from it",
              "the scenario's `run.seed`", g, s);
    }
    value(
        "common_random_numbers", FieldType::kBoolean, 0, 1,
        "replication *r* gets the same seed at every design point, so differences between design "
        "points are "
        "paired by replication; `false` gives every run its own seed",
        "", [](const E& e) -> FieldValue { return e.common_random_numbers; },
        [](E& e, const FieldValue& v) { e.common_random_numbers = std::get<bool>(v); });
    {
        auto [g, s] = integer(&E::samples);
        value("samples", FieldType::kInteger, 0, kMaxCount,
              "lhs: design points; sobol: base samples N (N·(k+2) design points for k factors); "
              "morris: "
              "trajectories r (r·(k+1) design points)",
              "— (needed by lhs, sobol, morris)", g, s);
    }
    {
        auto [g, s] = integer(&E::levels);
        value("levels", FieldType::kInteger, 2, 1000,
              "morris: grid levels p (steps of p/(2(p−1)) of each range)", "", g, s);
    }
    structural("lever", KeyShape::kTables, FieldType::kText,
               "a factor the project or donor chooses (reported as a lever: the report's answer "
               "compares its "
               "settings)",
               "—");
    structural("uncertainty", KeyShape::kTables, FieldType::kText,
               "a factor nobody chooses (the report's robustness section shows each lever setting "
               "across these); "
               "takes the same keys as `[[experiment.lever]]`",
               "—");
    auto* key = structural(
        "lever.key", KeyShape::kValue, FieldType::kText,
        "the parameter varied: a key of the parameter table, `ngo[*].x` for every project, "
        "`ngo[i].x` for one",
        "— (required)");
    key->set_factor = [](Factor& x, const FieldValue& v) { x.key = std::get<std::string>(v); };
    structural("lever.values", KeyShape::kArray, FieldType::kText,
               "the levels of the factor (numbers, booleans or strings, each checked against the "
               "parameter's type "
               "and range)",
               "— (grid)");
    for (const char* bound : {"min", "max"}) {
        auto* r = structural(std::string("lever.") + bound, KeyShape::kValue, FieldType::kReal,
                             std::string(bound == std::string("min") ? "lower" : "upper") +
                                 " end of the range sampled (lhs, sobol, morris), inside the "
                                 "parameter's valid range",
                             "— (lhs, sobol, morris)");
        r->min = std::numeric_limits<double>::lowest();
        r->max = std::numeric_limits<double>::max();
        const bool lo = bound == std::string("min");
        r->set_factor = [lo](Factor& x, const FieldValue& v) {
            (lo ? x.min : x.max) = std::get<double>(v);
        };
    }
    auto* integral =
        structural("lever.integer", KeyShape::kValue, FieldType::kBoolean,
                   "round sampled values to whole numbers (integer parameters are always rounded)",
                   "`true` for integer parameters, else `false`");
    integral->max = 1;
    integral->set_factor = [](Factor& x, const FieldValue& v) {
        x.integer = x.integer || std::get<bool>(v);
    };
    {
        auto [g, s] = text(&E::posterior_file);
        value("posterior", FieldType::kText, 0, 0,
              "a CSV file of posterior draws (relative to the experiment file; header of scenario "
              "keys, one row per "
              "draw; columns `draw` and `distance` and `#` lines ignored), e.g. "
              "`\"validation/posterior.csv\"` (the "
              "calibration's accepted draws): every design point of the design is run in every "
              "draw (\"plausible "
              "world\"), point *p · K + k* = design point *p* in draw *k*; the drawn parameters "
              "become uncertainties "
              "and `pse-sim report` shows each lever step as a distribution over the worlds "
              "(\"Across plausible "
              "worlds\"); single, grid and list designs only; every cell is checked against its "
              "parameter's type and "
              "range, problems reported at the draws file's line and column",
              "— (none)", g, s);
    }
    value(
        "posterior_draws", FieldType::kInteger, 1, kMaxCount,
        "use K draws spread evenly over the file (the first and the last included); at most the "
        "draws in the file",
        "all draws of the file", [](const E& e) -> FieldValue { return e.posterior_draws; },
        [](E& e, const FieldValue& v) { e.posterior_draws = std::get<std::int64_t>(v); });
    structural("point", KeyShape::kTables, FieldType::kText, "one design point of a `list` design",
               "— (list)");
    structural("point.label", KeyShape::kValue, FieldType::kText,
               "the design point's name in reports", "`\"point i\"`");
    structural("point.set", KeyShape::kInlineTable, FieldType::kText,
               "`{ \"key\" = value, ... }`: the parameters this design point changes",
               "— (required)");
    return f;
}
}  // namespace

const std::vector<ExperimentField>& experiment_fields() {
    static const std::vector<ExperimentField> fields = build_experiment_fields();
    return fields;
}

namespace {
/// Rows `n` evenly spread over `available` (all when n >= available): the rule of
/// analysis/pse_analysis/validation.py select_draws().
std::vector<std::size_t> spread_rows(std::size_t available, std::size_t n) {
    std::vector<std::size_t> out;
    if (n >= available) {
        for (std::size_t i = 0; i < available; ++i) out.push_back(i);
    } else if (n <= 1) {
        out.push_back(0);
    } else {
        for (std::size_t i = 0; i < n; ++i)
            out.push_back(
                static_cast<std::size_t>(std::nearbyint(  // ties to even, like Python's round()
                    static_cast<double>(i) * static_cast<double>(available - 1) /
                    static_cast<double>(n - 1))));
        out.erase(std::unique(out.begin(), out.end()), out.end());
    }
    return out;
}

/// A draws file's cell as a value of column `key`: a CSV number has no integer/real distinction,
/// so a whole number in an integer parameter's column is an integer.
FieldValue cell_value(const std::string& key, double x) {
    const auto k = find_key(key);
    if (k && k->info().type == FieldType::kInteger && x == std::floor(x) && std::abs(x) < 9e15)
        return static_cast<std::int64_t>(x);
    return x;
}

/// [experiment] posterior / posterior_draws: read the draws file (relative to the experiment
/// file), and cross every design point p with every selected draw k (point p * K + k = point p
/// plus the draw's parameter values); each draw column becomes an uncertainty factor. Problems
/// (file, line, column of the key or the CSV cell) are appended to `problems`.
void cross_with_posterior(Experiment& e, const toml::table& ex, const toml::node& pn,
                          const std::string& name, std::vector<InputProblem>& problems) {
    const Loc at = loc_of(pn, name);
    auto fail = [&](const std::string& key, const std::string& msg) {
        problems.push_back(InputProblem{at.file, at.line, at.column, key, msg});
    };
    if (!pn.is_string())
        return fail("experiment.posterior", "expected the path of a CSV file of posterior draws");
    e.posterior_file = *pn.value<std::string>();
    std::filesystem::path path = e.posterior_file;
    if (path.is_relative()) path = std::filesystem::path(name).parent_path() / path;
    std::ifstream in(path);
    if (!in) return fail("experiment.posterior", fmt::format("cannot read '{}'", path.string()));
    std::vector<std::string> header;
    std::vector<std::vector<double>> rows;
    std::string line;
    int lineno = 0, header_line = 0;
    std::vector<int> row_line;
    const auto split =
        [](std::string l) {  // comma-separated cells; surrounding spaces and quotes removed
            while (!l.empty() && (l.back() == '\r' || l.back() == '\n')) l.pop_back();
            std::vector<std::string> out;
            std::size_t start = 0;
            while (true) {
                const auto comma = l.find(',', start);
                std::string cell =
                    l.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
                while (!cell.empty() && cell.back() == ' ') cell.pop_back();
                while (!cell.empty() && cell.front() == ' ') cell.erase(0, 1);
                if (cell.size() >= 2 && cell.front() == '"' && cell.back() == '"')
                    cell = cell.substr(1, cell.size() - 2);
                out.push_back(
                    cell);  // a trailing comma gives an empty last cell (then: not a number)
                if (comma == std::string::npos) break;
                start = comma + 1;
            }
            return out;
        };
    while (std::getline(in, line)) {
        ++lineno;
        if (line.empty() || line[0] == '#' || line.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        if (header.empty() && line.rfind("\xEF\xBB\xBF", 0) == 0)
            line.erase(0, 3);  // a UTF-8 byte-order mark
        const auto cells = split(line);
        if (header.empty()) {
            header = cells;
            for (std::size_t c = 0; c < header.size(); ++c)
                for (std::size_t b = 0; b < c; ++b)
                    if (header[b] == header[c]) {
                        problems.push_back(InputProblem{
                            path.string(), lineno, static_cast<int>(c + 1), header[c],
                            fmt::format("column '{}' appears twice (columns {} and {})", header[c],
                                        b + 1, c + 1)});
                        return;
                    }
            header_line = lineno;
            continue;
        }
        if (cells.size() != header.size()) {
            problems.push_back(
                InputProblem{path.string(), lineno, 0, "experiment.posterior",
                             fmt::format("{} values, but the header names {} columns", cells.size(),
                                         header.size())});
            return;
        }
        std::vector<double> row;
        for (std::size_t c = 0; c < cells.size(); ++c) {
            double v = 0;
            const auto* b = cells[c].data();
            const auto r = std::from_chars(b, b + cells[c].size(), v);
            if (r.ec != std::errc() || r.ptr != b + cells[c].size() || !std::isfinite(v)) {
                problems.push_back(InputProblem{path.string(), lineno, static_cast<int>(c + 1),
                                                header[c],
                                                fmt::format("'{}' is not a number", cells[c])});
                return;
            }
            row.push_back(v);
        }
        rows.push_back(std::move(row));
        row_line.push_back(lineno);
    }
    if (rows.empty())
        return fail("experiment.posterior", fmt::format("'{}' holds no draws", path.string()));
    {  // the draws file is an input of the results file (/inputs), like the scenario files
        std::ifstream again(path, std::ios::binary);
        std::stringstream text;
        text << again.rdbuf();
        e.files.push_back(path.string());
        e.texts.push_back(text.str());
    }
    std::size_t n = rows.size();
    if (const auto* dn = ex.get("posterior_draws")) {
        if (!dn->is_integer() || *dn->value<std::int64_t>() < 1 ||
            *dn->value<std::int64_t>() > static_cast<std::int64_t>(rows.size())) {
            const Loc dl = loc_of(*dn, name);
            problems.push_back(
                InputProblem{dl.file, dl.line, dl.column, "experiment.posterior_draws",
                             fmt::format("expected an integer in [1, {}] (the draws in '{}')",
                                         rows.size(), path.string())});
            return;
        }
        n = static_cast<std::size_t>(*dn->value<std::int64_t>());
    }
    const auto picked = spread_rows(rows.size(), n);
    std::vector<std::size_t> cols;
    for (std::size_t c = 0; c < header.size(); ++c) {
        if (header[c] == "draw" || header[c] == "distance") continue;
        for (const auto& f : e.factors)
            if (f.key == header[c])
                return fail("experiment.posterior",
                            fmt::format("'{}' is varied by {} and by the posterior draws; vary "
                                        "each parameter once",
                                        header[c], f.source.empty() ? "the design" : f.source));
        cols.push_back(c);
    }
    if (cols.empty())
        return fail("experiment.posterior", fmt::format("'{}' names no parameters", path.string()));
    // Every cell a parameter value of its column's key (type, range, known key), reported at the
    // draws file's line and column.
    for (const auto r : picked) {
        Scenario probe = e.base;
        for (const auto c : cols) {
            try {
                apply_setting(probe, Setting{header[c], cell_value(header[c], rows[r][c])});
            } catch (const InputError& err) {
                const auto& first = err.problems().front();
                problems.push_back(InputProblem{
                    path.string(), row_line[r], static_cast<int>(c + 1), header[c],
                    first.message +
                        fmt::format(" (column {} of the header on line {})", c + 1, header_line)});
                if (problems.size() > kMaxDrawProblems) return;
            }
        }
    }
    if (!problems.empty()) return;
    for (const auto c : cols) {
        Factor f;
        f.key = header[c];
        f.role = FactorRole::kUncertainty;
        f.source = "experiment.posterior";
        f.file = at.file;
        f.line = at.line;
        f.column = at.column;
        f.min = f.max = rows[picked.front()][c];
        for (const auto r : picked) {
            f.min = std::min(f.min, rows[r][c]);
            f.max = std::max(f.max, rows[r][c]);
        }
        f.has_range = f.max > f.min;
        e.factors.push_back(std::move(f));
    }
    std::vector<DesignPoint> points;
    std::vector<std::string> labels;
    for (std::size_t p = 0; p < e.points.size(); ++p)
        for (const auto r : picked) {
            DesignPoint dp = e.points[p];
            for (const auto c : cols)
                dp.push_back(Setting{header[c], cell_value(header[c], rows[r][c])});
            points.push_back(std::move(dp));
            labels.push_back(p < e.labels.size() ? e.labels[p] : std::string());
        }
    e.points = std::move(points);
    e.labels = std::move(labels);
    e.posterior_draws = static_cast<std::int64_t>(picked.size());
}
}  // namespace

Scenario scenario_at(const Experiment& e, std::size_t d) {
    Scenario s = e.base;
    for (const auto& st : e.points.at(d))
        apply_setting(s, st, e.files.empty() ? "" : e.files.front());
    return s;
}

std::vector<std::vector<double>> latin_hypercube(std::size_t n, std::size_t k, std::uint64_t seed) {
    std::vector<std::vector<double>> x(n, std::vector<double>(k));
    for (std::size_t j = 0; j < k; ++j) {
        const Rng rng(seed, EntityKey{EntityKind::kSeed, static_cast<std::uint32_t>(j)});
        std::vector<std::size_t> perm(n);
        std::iota(perm.begin(), perm.end(), 0);
        for (std::size_t i = n; i > 1; --i)
            std::swap(perm[i - 1], perm[rng.below(1, static_cast<std::uint32_t>(i), i)]);
        for (std::size_t i = 0; i < n; ++i)
            x[i][j] =
                (static_cast<double>(perm[i]) + rng.uniform(2, static_cast<std::uint32_t>(i))) /
                static_cast<double>(n);
    }
    return x;
}

namespace {
/// SplitMix64 finaliser: a bijective 64-bit mix (Steele et al. 2014), used as the random source of
/// the scrambling below.
std::uint64_t mix64(std::uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
}  // namespace

double owen_scramble(std::uint64_t x, std::uint32_t dim, std::uint64_t seed) {
    // Nested uniform scrambling (Owen 1995) of the leading kBits binary digits: digit b (b = 0 is
    // the most significant) is flipped by a random bit that depends only on (seed, dim, b, the b
    // original digits above it). Equal prefixes get equal flips, so the (t, m, s)-net structure of
    // the sequence is kept, while each point becomes uniform on [0, 1).
    constexpr int kBits = 53;
    const std::uint64_t key = mix64(seed ^ mix64(0x5EED0000ULL + dim));
    std::uint64_t out = 0;
    for (int b = 0; b < kBits; ++b) {
        const std::uint64_t prefix = b == 0 ? 0 : x >> (64 - b);
        const std::uint64_t flip =
            mix64(key ^ mix64((static_cast<std::uint64_t>(b) << 56) ^ prefix)) >> 63;
        const std::uint64_t digit = (x >> (63 - b)) & 1ULL;
        out = (out << 1) | (digit ^ flip);
    }
    return static_cast<double>(out) * 0x1.0p-53;
}

std::vector<std::vector<double>> saltelli(std::size_t n, std::size_t k, std::uint64_t seed) {
    // Points 0..n-1 of the 2k-dimensional Sobol sequence (Joe-Kuo directions, Boost.Random), point
    // 0 being the origin (Boost starts at point 1, so it is added here), each coordinate
    // Owen-scrambled.
    boost::random::sobol gen(2 * k);
    std::vector<std::vector<double>> out;
    out.reserve(n * (k + 2));
    std::vector<double> ab(2 * k);
    for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t d = 0; d < 2 * k; ++d) {
            const std::uint64_t raw = j == 0 ? 0 : static_cast<std::uint64_t>(gen());
            ab[d] = owen_scramble(raw, static_cast<std::uint32_t>(d), seed);
        }
        // Rows of Saltelli's matrices A and B, then A with column i taken from B (A_B^(i)).
        std::vector<double> row_a(ab.begin(), ab.begin() + static_cast<std::ptrdiff_t>(k)),
            row_b(ab.begin() + static_cast<std::ptrdiff_t>(k), ab.end());
        out.push_back(row_a);
        out.push_back(row_b);
        for (std::size_t i = 0; i < k; ++i) {
            auto m = row_a;
            m[i] = row_b[i];
            out.push_back(std::move(m));
        }
    }
    return out;
}

std::vector<std::vector<double>> morris(std::size_t r, std::size_t k, int p, std::uint64_t seed) {
    const double delta = p / (2.0 * (p - 1));
    const int low_levels = p / 2;  // base levels i/(p-1) with i/(p-1) + delta <= 1
    std::vector<std::vector<double>> out;
    out.reserve(r * (k + 1));
    for (std::size_t t = 0; t < r; ++t) {
        const Rng rng(seed, EntityKey{EntityKind::kSeed, static_cast<std::uint32_t>(1000000 + t)});
        std::vector<std::size_t> order(k);
        std::iota(order.begin(), order.end(), 0);
        for (std::size_t i = k; i > 1; --i)
            std::swap(order[i - 1], order[rng.below(3, static_cast<std::uint32_t>(i), i)]);
        std::vector<double> x(k), dir(k);
        for (std::size_t i = 0; i < k; ++i) {
            const double base =
                static_cast<double>(rng.below(4, static_cast<std::uint32_t>(i),
                                              static_cast<std::uint64_t>(low_levels))) /
                (p - 1);
            const bool up = rng.chance(5, static_cast<std::uint32_t>(i), 0.5);
            x[i] = up ? base : base + delta;
            dir[i] = up ? delta : -delta;
        }
        out.push_back(x);
        for (std::size_t m = 0; m < k; ++m) {
            x[order[m]] += dir[order[m]];
            x[order[m]] = std::min(1.0, std::max(0.0, x[order[m]]));
            out.push_back(x);
        }
    }
    return out;
}

namespace {
Experiment load_experiment_impl(const std::filesystem::path& file,
                                const std::vector<std::string>& overrides, std::int64_t max_runs);
}  // namespace

Experiment load_experiment(const std::filesystem::path& file,
                           const std::vector<std::string>& overrides, std::int64_t max_runs) {
    try {
        return load_experiment_impl(file, overrides, max_runs);
    } catch (const InputError& e) {
        throw attribute_overrides(e, overrides);
    }
}

namespace {
Experiment load_experiment_impl(const std::filesystem::path& file,
                                const std::vector<std::string>& overrides, std::int64_t max_runs) {
    Experiment e;
    const std::string name = file.string();
    toml::table t = load_merged_table(file, &e.files, &e.texts);
    for (const auto& o : overrides) apply_override(t, o);
    const toml::node* exn = t.get("experiment");
    if (!exn || !exn->is_table())
        throw InputError(InputProblem{
            name, 0, 0, "experiment",
            "no [experiment] table: this is a plain scenario; run it with `pse-sim run`"});
    LoadOptions lo;
    lo.extra_tables = {"experiment"};
    e.base = scenario_from_table(t, name, lo);
    const toml::table& ex = *exn->as_table();
    std::vector<InputProblem> problems;
    auto problem = [&](const toml::node* n, const std::string& key, const std::string& msg) {
        if (problems.size() >= kMaxProblems) return;
        const Loc l = n ? loc_of(*n, name) : Loc{name, 0, 0};
        problems.push_back(InputProblem{l.file, l.line, l.column, shown_key(key), msg});
    };
    // Every key of [experiment] and of its tables is a row of experiment_fields(); kValue rows
    // are checked by check_value (pse/keys.h) and set through the row.
    const auto& rows = experiment_fields();
    auto row_of = [&](const std::string& key) -> const ExperimentField* {
        for (const auto& r : rows)
            if (r.key == key) return &r;
        return nullptr;
    };
    auto unknown = [&](const toml::node& n, const std::string& prefix, const std::string& full,
                       const std::string& k) {
        std::vector<std::string> cands;
        for (const auto& r : rows)
            if (r.key.rfind(prefix, 0) == 0 && r.key.find('.', prefix.size()) == std::string::npos)
                cands.push_back(r.key.substr(prefix.size()));
        auto sug = suggest_key(k, cands);
        std::string all;
        for (const auto& c : cands) all += (all.empty() ? "" : ", ") + c;
        problem(&n, full,
                "unknown key" + (sug.empty()
                                     ? " (expected " + all + ")"
                                     : "; did you mean '" + full.substr(0, full.size() - k.size()) +
                                           sug + "'?"));
    };
    /// The checked value of node `n` for row `r`, or nullopt (problem recorded).
    auto checked = [&](const toml::node& n, const ExperimentField& r,
                       const std::string& full) -> std::optional<FieldValue> {
        auto v = to_value(n);
        const std::string why = v ? check_value(r, full, *v)
                                  : "expected " + expected_text(r) + ", got " + "a " +
                                        std::string(n.is_table()   ? "table"
                                                    : n.is_array() ? "array"
                                                                   : "date or time");
        if (why.empty()) return v;
        problem(&n, full, why);
        return std::nullopt;
    };
    e.name = e.base.name;
    e.master_seed = e.base.seed;
    for (auto&& [k, v] : ex) {
        const std::string key(k.str());
        const ExperimentField* r = row_of(key);
        if (!r) {
            unknown(v, "", "experiment." + key, key);
            continue;
        }
        if (r->shape != KeyShape::kValue) continue;  // tables: below
        if (auto val = checked(v, *r, "experiment." + key)) r->set(e, *val);
    }
    const Design method = e.design;
    const std::string method_name = design_name(method);

    // Factors.
    for (const FactorRole role : {FactorRole::kLever, FactorRole::kUncertainty}) {
        const std::string role_key = role_name(role);
        const toml::node* arr = ex.get(role_key);
        if (!arr) continue;
        if (!arr->is_array_of_tables()) {
            problem(arr, "experiment." + role_key,
                    "expected [[experiment." + role_key + "]] tables");
            continue;
        }
        std::size_t idx = 0;
        for (const auto& item : *arr->as_array()) {
            const auto& ft = *item.as_table();
            const std::string where = fmt::format("experiment.{}[{}]", role_key, idx++);
            Factor f;
            f.role = role;
            const Loc fl = loc_of(item, name);
            f.file = fl.file;
            f.line = fl.line;
            f.column = fl.column;
            f.source = where;
            const auto* kn = ft.get("key");
            if (!kn || !kn->is_string()) {
                problem(&item, where + ".key", "missing parameter key (string)");
                continue;
            }
            bool table_ok = true;
            for (auto&& [k2, v2] :
                 ft) {  // the keys of a factor table: rows "lever.*" (shared by both roles)
                const std::string sub(k2.str());
                const ExperimentField* r = row_of("lever." + sub);
                if (!r) {
                    unknown(v2, "lever.", where + "." + sub, sub);
                    continue;
                }
                if (r->shape == KeyShape::kValue) {
                    if (auto val = checked(v2, *r, where + "." + sub))
                        r->set_factor(f, *val);
                    else
                        table_ok = false;
                }
            }
            const std::optional<ParamKey> param = find_key(f.key);
            if (!param) {
                const auto sug = suggest_key(every_ngo_key(f.key), settable_keys());
                problem(kn, where + ".key",
                        "unknown parameter '" + f.key + "'" +
                            (sug.empty() ? std::string() : "; did you mean '" + sug + "'?"));
                continue;
            }
            const FieldInfo& spec = param->info();
            f.type = spec.type;
            if (const auto* vn = ft.get("values")) {
                if (!vn->is_array() || vn->as_array()->empty())
                    problem(vn, where + ".values", "expected a non-empty array");
                else
                    for (const auto& x : *vn->as_array()) {
                        auto v = to_value(x);
                        if (!v) {
                            problem(&x, where + ".values",
                                    "values must be numbers, booleans or strings");
                            continue;
                        }
                        Scenario probe = e.base;
                        try {
                            set_parameter(probe, f.key, *v, name);
                        } catch (const InputError& err) {
                            if (problems.size() >= kMaxProblems) continue;
                            const Loc l = loc_of(x, name);
                            problems.push_back(InputProblem{l.file, l.line, l.column,
                                                            where + ".values (" + f.key + ")",
                                                            err.problems().front().message});
                            continue;
                        }
                        f.values.push_back(
                            *v);  // as written (the experiment's fingerprint keeps 2 and 2.0 apart)
                    }
            }
            const auto* mn = ft.get("min");
            const auto* mx = ft.get("max");
            if ((mn || mx) && table_ok) {
                if (!mn || !mx) {
                    problem(mn ? mn : mx, where, "min and max must both be numbers");
                } else {
                    f.has_range = true;
                    if (f.min > f.max)
                        problem(mn, where + ".min", "need min <= max");
                    else if (f.type != FieldType::kReal && f.type != FieldType::kInteger)
                        problem(mn, where + ".min", "min/max ranges need a numeric parameter");
                    else if (f.min < spec.min || f.max > spec.max)
                        problem(mn, where + ".min",
                                fmt::format(
                                    "range [{}, {}] exceeds the parameter's valid range [{}, {}]",
                                    f.min, f.max, spec.min, spec.max));
                }
            }
            f.integer = f.integer || f.type == FieldType::kInteger;
            // What the design needs from each factor, reported with every other problem.
            if (method == Design::kGrid && !ft.get("values"))
                problem(&item, where, "design 'grid' needs values = [...] for '" + f.key + "'");
            if (is_sampling(method) && !mn && !mx)
                problem(&item, where,
                        "design '" + method_name + "' needs min and max for '" + f.key + "'");
            e.factors.push_back(std::move(f));
        }
    }
    // List design points.
    if (const toml::node* pts = ex.get("point")) {
        if (!pts->is_array_of_tables())
            problem(pts, "experiment.point", "expected [[experiment.point]] tables");
        else {
            std::size_t idx = 0;
            std::vector<std::string> keys;
            for (const auto& item : *pts->as_array()) {
                const auto& pt = *item.as_table();
                const std::string where = fmt::format("experiment.point[{}]", idx++);
                DesignPoint p;
                std::string label;
                for (auto&& [k2, v2] : pt) {
                    const std::string sub(k2.str());
                    const ExperimentField* r = row_of("point." + sub);
                    if (!r)
                        unknown(v2, "point.", where + "." + sub, sub);
                    else if (r->shape == KeyShape::kValue)
                        if (auto val = checked(v2, *r, where + "." + sub))
                            label = std::get<std::string>(*val);
                }
                const auto* sn = pt.get("set");
                if (!sn || !sn->is_table()) {
                    problem(&item, where + ".set", "expected set = { key = value, ... }");
                    continue;
                }
                for (auto&& [k, v] : *sn->as_table()) {
                    auto val = to_value(v);
                    const std::string key(k.str());
                    if (!val) {
                        problem(&v, where + ".set." + key, "expected a number, boolean or string");
                        continue;
                    }
                    p.push_back(Setting{key, *val});
                    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
                }
                e.points.push_back(std::move(p));
                e.labels.push_back(label.empty() ? fmt::format("point {}", idx - 1) : label);
            }
            for (const auto& k : keys) {
                Factor f;
                f.key = k;
                f.role = FactorRole::kLever;
                if (auto pk = find_key(k)) f.type = pk->info().type;
                e.factors.push_back(f);
            }
        }
    }
    // A parameter varied twice (as a lever and an uncertainty, or twice in one role) has no single
    // value per design point, and its /design column would be written twice: after every run, as
    // an HDF5 error (issue 20). Refused here, with both places.
    for (std::size_t a = 0; a < e.factors.size(); ++a)
        for (std::size_t b = 0; b < a; ++b)
            if (e.factors[a].key == e.factors[b].key && !e.factors[a].file.empty()) {
                const auto& f = e.factors[a];
                problems.push_back(InputProblem{
                    f.file, f.line, f.column, f.source + ".key",
                    fmt::format(
                        "'{}' is already varied by {}; vary each parameter once", f.key,
                        e.factors[b].source.empty() ? "the list points" : e.factors[b].source)});
                break;
            }
    if (problems.size() >= kMaxProblems)
        problems.push_back(InputProblem{
            name, 0, 0, "", fmt::format("too many problems; stopped after {}", problems.size())});
    if (!problems.empty()) throw InputError(std::move(problems));

    // Refuse oversized requests before expanding anything.
    const std::size_t k = e.factors.size();
    {
        double planned = 1;
        if (method == Design::kList)
            planned = static_cast<double>(e.points.size());
        else if (method == Design::kGrid)
            for (const auto& f : e.factors)
                planned *= static_cast<double>(std::max<std::size_t>(1, f.values.size()));
        else if (method == Design::kLhs)
            planned = static_cast<double>(e.samples);
        else if (method == Design::kSobol)
            planned = static_cast<double>(e.samples) * static_cast<double>(k + 2);
        else if (method == Design::kMorris)
            planned = static_cast<double>(e.samples) * static_cast<double>(k + 1);
        const double runs = planned * static_cast<double>(e.replications);
        if (max_runs >= 0 && runs > static_cast<double>(max_runs))
            throw InputError(InputProblem{
                name, 0, 0, "experiment",
                fmt::format("this asks for {:.0f} runs ({:.0f} design points x {} replications); "
                            "pass --yes to run more than {}",
                            runs, planned, e.replications, max_runs)});
    }
    // Expand the design.
    auto map_unit = [&](const Factor& f, double u) -> FieldValue {
        double v = f.min + u * (f.max - f.min);
        if (f.integer)
            return static_cast<std::int64_t>(std::llround(std::min(f.max, std::max(f.min, v))));
        return v;
    };
    const Loc design_loc = ex.get("design") ? loc_of(*ex.get("design"), name) : loc_of(*exn, name);
    auto need = [&](bool ok, const std::string& msg) {
        if (!ok)
            problems.push_back(InputProblem{design_loc.file, design_loc.line, design_loc.column,
                                            "experiment.design", msg});
    };

    if (method == Design::kSingle) {
        need(k == 0,
             "design 'single' takes no levers or uncertainties; choose grid, lhs, sobol or morris");
        e.points = {{}};
        e.labels = {""};
    } else if (method == Design::kList) {
        need(!e.points.empty(), "design 'list' needs at least one [[experiment.point]]");
    } else if (method == Design::kGrid) {
        need(k > 0, "design 'grid' needs at least one lever or uncertainty with values");
        double total = 1;
        for (const auto& f : e.factors) {
            need(!f.values.empty(),
                 "design 'grid' needs values = [...] for '" + f.key + "'");  // list points
            total *= static_cast<double>(std::max<std::size_t>(1, f.values.size()));
        }
        need(total <= kMaxDesignPoints,
             fmt::format("grid has {:.0f} design points (over 10 million)", total));
        if (problems.empty()) {
            e.points = {{}};
            for (const auto& f : e.factors) {
                std::vector<DesignPoint> next;
                for (const auto& p : e.points)
                    for (const auto& v : f.values) {
                        auto q = p;
                        q.push_back(Setting{f.key, v});
                        next.push_back(std::move(q));
                    }
                e.points.swap(next);
            }
            e.labels.assign(e.points.size(), "");
        }
    } else {
        need(k > 0, "design '" + method_name +
                        "' needs at least one lever or uncertainty with min and max");
        for (const auto& f : e.factors)
            need(f.has_range, "design '" + method_name + "' needs min and max for '" + f.key +
                                  "'");  // list points
        need(e.samples > 0, "design '" + method_name + "' needs experiment.samples > 0");
        if (problems.empty()) {
            std::vector<std::vector<double>> u;
            const auto n = static_cast<std::size_t>(e.samples);
            const double size = method == Design::kLhs ? static_cast<double>(n)
                                : method == Design::kSobol
                                    ? static_cast<double>(n) * static_cast<double>(k + 2)
                                    : static_cast<double>(n) * static_cast<double>(k + 1);
            need(size <= kMaxDesignPoints,
                 fmt::format("design has {:.0f} points (over 10 million)", size));
            if (problems.empty()) {
                if (method == Design::kLhs)
                    u = latin_hypercube(n, k, e.master_seed);
                else if (method == Design::kSobol)
                    u = saltelli(n, k, e.master_seed);
                else
                    u = morris(n, k, e.levels, e.master_seed);
                for (const auto& row : u) {
                    DesignPoint p;
                    for (std::size_t i = 0; i < k; ++i)
                        p.push_back(Setting{e.factors[i].key, map_unit(e.factors[i], row[i])});
                    e.points.push_back(std::move(p));
                }
                e.labels.assign(e.points.size(), "");
            }
        }
    }
    if (!problems.empty()) throw InputError(std::move(problems));
    // Validate every design point (types, ranges, consistency) before anything runs.
    // Every run of an experiment has the base scenario's weeks (the results file and the shards
    // hold series as [run x week]) and its seeds from experiment.seed: a design point that changes
    // run.weeks or run.seed is refused here (issue 20: run.weeks above the base overflowed the
    // shard buffers; run.seed silently gave identical design points).
    auto factor_problem = [&](const std::string& key, const std::string& msg) {
        for (const auto& f : e.factors)
            if (f.key == key && !f.file.empty()) {
                problems.push_back(InputProblem{f.file, f.line, f.column, f.source + ".key", msg});
                return;
            }
        problems.push_back(InputProblem{name, 0, 0, key, msg});
    };
    if (const auto* dn = ex.get("posterior_draws"); dn && !ex.get("posterior")) {
        const Loc dl = loc_of(*dn, name);
        problems.push_back(
            InputProblem{dl.file, dl.line, dl.column, "experiment.posterior_draws",
                         "posterior_draws needs experiment.posterior (the CSV file of draws)"});
    }
    if (const auto* pn = ex.get("posterior"); pn && is_sampling(method)) {
        const Loc pl = loc_of(*pn, name);
        problems.push_back(InputProblem{
            pl.file, pl.line, pl.column, "experiment.posterior",
            fmt::format("posterior draws can cross a single, grid or list design, not "
                        "'{}' (it would break its sampling structure); put the uncertain "
                        "parameters into the {} design instead",
                        method_name, method_name)});
    }
    if (const auto* pn = ex.get("posterior"); pn && problems.empty()) {
        cross_with_posterior(e, ex, *pn, name, problems);
        if (problems.empty() && max_runs >= 0 && e.n_runs() > max_runs)
            throw InputError(InputProblem{
                name, 0, 0, "experiment",
                fmt::format("this asks for {} runs ({} design points x {} posterior draws x {} "
                            "replications); pass --yes to run more than {}",
                            e.n_runs(),
                            static_cast<std::int64_t>(e.points.size()) / e.posterior_draws,
                            e.posterior_draws, e.replications, max_runs)});
    }
    bool weeks_reported = false, seed_reported = false;
    for (std::size_t d = 0; d < e.points.size(); ++d) {
        try {
            Scenario s = scenario_at(e, d);
            if (s.weeks != e.base.weeks && !weeks_reported) {
                weeks_reported = true;
                factor_problem(
                    "run.weeks",
                    fmt::format(
                        "design point {} sets run.weeks = {}, but every run of an experiment has "
                        "the "
                        "base scenario's {} weeks (the results file holds series as run x week); "
                        "set run.weeks in the scenario, or run one experiment per length",
                        d, s.weeks, e.base.weeks));
            }
            if (s.seed != e.base.seed && !seed_reported) {
                seed_reported = true;
                factor_problem(
                    "run.seed",
                    "run.seed cannot be varied: the seeds of an experiment's runs come from "
                    "experiment.seed "
                    "(replication r uses the same random streams at every design point), so every "
                    "design "
                    "point would give the same results; vary the seed with more replications or "
                    "`pse-sim sweep --seed`");
            }
            check_scenario(s, name);
        } catch (const InputError& err) {
            for (auto p : err.problems()) {
                p.message = fmt::format("design point {}: {}", d, p.message);
                problems.push_back(std::move(p));
            }
            if (problems.size() > kMaxPointProblems) break;
        }
    }
    if (!problems.empty()) throw InputError(std::move(problems));
    return e;
}
}  // namespace

std::vector<DesignColumn> design_columns(const Experiment& e) {
    std::vector<DesignColumn> cols;
    for (const auto& f : e.factors) {
        DesignColumn c;
        c.key = f.key;
        c.role = role_name(f.role);
        c.min = f.min;
        c.max = f.max;
        std::vector<std::string> labels;
        for (const auto& p : e.points) {
            double x = std::numeric_limits<double>::quiet_NaN();
            for (const auto& s : p) {
                if (s.key != f.key) continue;
                if (std::holds_alternative<std::string>(s.value)) {
                    const auto& str = std::get<std::string>(s.value);
                    auto it = std::find(labels.begin(), labels.end(), str);
                    if (it == labels.end()) {
                        labels.push_back(str);
                        it = labels.end() - 1;
                    }
                    x = static_cast<double>(it - labels.begin());
                } else {
                    x = as_number(s.value);
                }
            }
            c.values.push_back(x);
        }
        c.labels = labels;
        cols.push_back(std::move(c));
    }
    return cols;
}

}  // namespace pse

namespace pse {
Experiment single_experiment(const LoadedScenario& loaded, std::int64_t replications) {
    Experiment e;
    e.name = loaded.scenario.name;
    e.design = Design::kSingle;
    e.base = loaded.scenario;
    e.points = {{}};
    e.labels = {""};
    e.replications = replications;
    e.master_seed = loaded.scenario.seed;
    e.files = loaded.files;
    e.texts = loaded.texts;
    return e;
}
}  // namespace pse
