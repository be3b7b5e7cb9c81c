// Experiments: design generators (counts, bounds, stratification), loading and validation,
// settings, seeds, design columns.
#include <gtest/gtest.h>

#include <cmath>

#include <fstream>
#include <set>

#include "pse/errors.h"
#include "pse/experiment.h"
#include "pse/runner.h"
#include "support/fixtures.h"

namespace {

std::filesystem::path write_file(const std::string& name, const std::string& text) {
    const auto dir = pse::test::temp_dir("experiment");
    const auto p = dir / name;
    std::ofstream(p) << text;
    return p;
}

const char* kBase = R"(
[run]
name = "base"
weeks = 52
[ecosystem]
mnc_count = 5
supplier_count = 20
)";

}  // namespace

TEST(LatinHypercube, EveryStratumHitOncePerColumn) {
    const std::size_t n = 50, k = 4;
    const auto x = pse::latin_hypercube(n, k, 42);
    ASSERT_EQ(x.size(), n);
    for (std::size_t j = 0; j < k; ++j) {
        std::set<std::size_t> strata;
        for (const auto& row : x) {
            ASSERT_GE(row[j], 0.0);
            ASSERT_LT(row[j], 1.0);
            strata.insert(static_cast<std::size_t>(row[j] * n));
        }
        EXPECT_EQ(strata.size(), n) << "column " << j << " is not stratified";
    }
    EXPECT_EQ(pse::latin_hypercube(n, k, 42), x);  // deterministic
    EXPECT_NE(pse::latin_hypercube(n, k, 43), x);  // seed matters
}

TEST(Saltelli, BlockStructureAndStratification) {
    const std::size_t n = 64, k = 3;
    const auto x = pse::saltelli(n, k, 23);
    ASSERT_EQ(x.size(), n * (k + 2));
    for (std::size_t j = 0; j < n; ++j) {
        const auto& A = x[j * (k + 2)];
        const auto& B = x[j * (k + 2) + 1];
        for (std::size_t i = 0; i < k; ++i) {
            const auto& AB = x[j * (k + 2) + 2 + i];
            for (std::size_t c = 0; c < k; ++c) EXPECT_EQ(AB[c], c == i ? B[c] : A[c]);
        }
    }
    // Owen scrambling keeps the net property: the first 64 points hit each of the 64 equal
    // intervals of every one of the 2k coordinates exactly once (A: dims 0..k-1, B: k..2k-1).
    for (std::size_t d = 0; d < 2 * k; ++d) {
        std::set<std::size_t> strata;
        for (std::size_t j = 0; j < n; ++j) {
            const double u = d < k ? x[j * (k + 2)][d] : x[j * (k + 2) + 1][d - k];
            ASSERT_GE(u, 0.0);
            ASSERT_LT(u, 1.0);
            strata.insert(static_cast<std::size_t>(u * n));
        }
        EXPECT_EQ(strata.size(), n) << "dimension " << d << " is not stratified";
    }
    EXPECT_EQ(pse::saltelli(n, k, 23), x);  // deterministic
    EXPECT_NE(pse::saltelli(n, k, 24), x);  // the seed changes the scrambling
}

TEST(Saltelli, NoDuplicatePoints) {
    // The unscrambled sequence made blocks j = 0 and j = 1 all-identical (A = B); scrambled, every
    // point of a large design is distinct. (With k = 1, AB^(1) is B by construction.)
    for (const std::size_t k : {2u, 5u, 8u}) {
        const auto x = pse::saltelli(512, k, 7);
        const std::set<std::vector<double>> distinct(x.begin(), x.end());
        EXPECT_EQ(distinct.size(), x.size()) << "k = " << k;
    }
}

TEST(Saltelli, RecoversIshigamiIndices) {
    // Ishigami function (a = 7, b = 0.1) on [-pi, pi]^3, analytic first-order indices
    // S1 = (0.3139, 0.4424, 0) and total indices ST = (0.5576, 0.4424, 0.2437) (Ishigami & Homma
    // 1990). Estimators as in analysis/pse_analysis/stats.py: Saltelli 2010 (S1), Jansen 1999 (ST).
    // Tolerance 0.03 at N = 8192 base samples.
    const std::size_t n = 8192, k = 3;
    const auto x = pse::saltelli(n, k, 1);
    const double pi = 3.14159265358979323846;
    auto f = [&](const std::vector<double>& u) {
        const double a = -pi + 2 * pi * u[0], b = -pi + 2 * pi * u[1], c = -pi + 2 * pi * u[2];
        return std::sin(a) + 7 * std::sin(b) * std::sin(b) + 0.1 * std::pow(c, 4) * std::sin(a);
    };
    std::vector<double> fa(n), fb(n), fab(n * k);
    for (std::size_t j = 0; j < n; ++j) {
        fa[j] = f(x[j * (k + 2)]);
        fb[j] = f(x[j * (k + 2) + 1]);
        for (std::size_t i = 0; i < k; ++i) fab[j * k + i] = f(x[j * (k + 2) + 2 + i]);
    }
    double m = 0, v = 0;
    for (std::size_t j = 0; j < n; ++j) m += fa[j] + fb[j];
    m /= 2.0 * n;
    for (std::size_t j = 0; j < n; ++j) v += (fa[j] - m) * (fa[j] - m) + (fb[j] - m) * (fb[j] - m);
    v /= 2.0 * n - 1;
    const double s1_true[] = {0.3139, 0.4424, 0.0}, st_true[] = {0.5576, 0.4424, 0.2437};
    for (std::size_t i = 0; i < k; ++i) {
        double s1 = 0, st = 0;
        for (std::size_t j = 0; j < n; ++j) {
            s1 += fb[j] * (fab[j * k + i] - fa[j]);
            st += (fa[j] - fab[j * k + i]) * (fa[j] - fab[j * k + i]);
        }
        EXPECT_NEAR(s1 / n / v, s1_true[i], 0.03) << "S1 of x" << i + 1;
        EXPECT_NEAR(st / (2.0 * n) / v, st_true[i], 0.03) << "ST of x" << i + 1;
    }
}

TEST(Experiment, NoBundledDesignHasDuplicatePoints) {
    int checked = 0;
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(pse::test::source_dir() / "scenarios")) {
        if (entry.path().extension() != ".toml") continue;
        std::ifstream in(entry.path());
        const std::string text((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
        if (text.find("\n[experiment]") == std::string::npos) continue;
        const auto e = pse::load_experiment(entry.path(), {}, -1);
        const auto cols = pse::design_columns(e);
        // A point that does not set a factor has NaN in its column; NaN compares neither less nor
        // greater, so it is keyed as (unset, 0) to keep the ordering strict.
        std::set<std::vector<std::pair<bool, double>>> rows;
        for (std::size_t d = 0; d < e.points.size(); ++d) {
            std::vector<std::pair<bool, double>> row;
            for (const auto& c : cols) {
                const double v = c.values[d];
                row.emplace_back(std::isnan(v), std::isnan(v) ? 0.0 : v);
            }
            EXPECT_TRUE(rows.insert(row).second)
                << entry.path().filename() << ": design point " << d << " repeats an earlier one";
        }
        ++checked;
    }
    EXPECT_GE(checked, 9) << "bundled experiment files found";
}

TEST(Morris, TrajectoriesChangeOneFactorByDelta) {
    const std::size_t r = 10, k = 4;
    const int p = 4;
    const double delta = p / (2.0 * (p - 1));
    const auto x = pse::morris(r, k, p, 5);
    ASSERT_EQ(x.size(), r * (k + 1));
    for (std::size_t t = 0; t < r; ++t) {
        std::set<std::size_t> moved;
        for (std::size_t m = 1; m <= k; ++m) {
            const auto& a = x[t * (k + 1) + m - 1];
            const auto& b = x[t * (k + 1) + m];
            int changed = 0;
            for (std::size_t i = 0; i < k; ++i) {
                EXPECT_GE(b[i], 0.0);
                EXPECT_LE(b[i], 1.0);
                if (a[i] != b[i]) {
                    ++changed;
                    moved.insert(i);
                    EXPECT_NEAR(std::abs(b[i] - a[i]), delta, 1e-12);
                }
            }
            EXPECT_EQ(changed, 1);
        }
        EXPECT_EQ(moved.size(), k) << "each factor moves once per trajectory";
    }
}

TEST(Experiment, GridCountsOrderAndSeeds) {
    const auto base = write_file("base.toml", kBase);
    const auto f = write_file("grid.toml", R"(extends = "base.toml"
[experiment]
design = "grid"
replications = 3
seed = 99
[[experiment.lever]]
key = "ngo[*].dedicated_fte"
values = [0.0, 1.0, 2.0]
[[experiment.uncertainty]]
key = "trust.gain_rate"
values = [0.03, 0.05]
)");
    const auto e = pse::load_experiment(f);
    EXPECT_EQ(e.design, pse::Design::kGrid);
    ASSERT_EQ(e.points.size(), 6u);
    EXPECT_EQ(e.n_runs(), 18);
    EXPECT_EQ(e.master_seed, 99u);
    // First factor slowest.
    EXPECT_DOUBLE_EQ(pse::scenario_at(e, 0).ngo_defaults.dedicated_fte, 0.0);
    EXPECT_DOUBLE_EQ(pse::scenario_at(e, 1).ngo_defaults.dedicated_fte, 0.0);
    EXPECT_DOUBLE_EQ(pse::scenario_at(e, 2).ngo_defaults.dedicated_fte, 1.0);
    EXPECT_DOUBLE_EQ(pse::scenario_at(e, 1).trust.gain_rate, 0.05);
    EXPECT_EQ(pse::scenario_at(e, 5).weeks, 52);  // base kept
    const auto cols = pse::design_columns(e);
    ASSERT_EQ(cols.size(), 2u);
    EXPECT_EQ(cols[0].role, "lever");
    EXPECT_EQ(cols[1].role, "uncertainty");
    EXPECT_EQ(cols[0].values, (std::vector<double>{0, 0, 1, 1, 2, 2}));
    // Common random numbers: replication r has the same seed at every design point.
    EXPECT_EQ(pse::experiment_seed(e, 0, 1), pse::experiment_seed(e, 5, 1));
    EXPECT_NE(pse::experiment_seed(e, 0, 1), pse::experiment_seed(e, 0, 2));
    auto e2 = e;
    e2.common_random_numbers = false;
    EXPECT_NE(pse::experiment_seed(e2, 0, 1), pse::experiment_seed(e2, 5, 1));
}

TEST(Experiment, LhsSobolMorrisRespectBoundsAndIntegers) {
    write_file("base.toml", kBase);
    for (const std::string method : {"lhs", "sobol", "morris"}) {
        const auto f = write_file(
            method + ".toml",
            "extends = \"base.toml\"\n[experiment]\ndesign = \"" + method +
                "\"\nsamples = 8\nreplications = 1\n"
                "[[experiment.uncertainty]]\nkey = \"trust.gain_rate\"\nmin = 0.02\nmax = 0.08\n"
                "[[experiment.lever]]\nkey = \"ngo[*].max_pipeline\"\nmin = 2\nmax = 10\n");
        const auto e = pse::load_experiment(f);
        const std::size_t expect = method == "lhs" ? 8 : method == "sobol" ? 8 * 4 : 8 * 3;
        ASSERT_EQ(e.points.size(), expect) << method;
        for (std::size_t d = 0; d < e.points.size(); ++d) {
            const auto s = pse::scenario_at(e, d);
            EXPECT_GE(s.trust.gain_rate, 0.02);
            EXPECT_LE(s.trust.gain_rate, 0.08);
            EXPECT_GE(s.ngo_defaults.max_pipeline, 2);
            EXPECT_LE(s.ngo_defaults.max_pipeline, 10);
        }
    }
}

TEST(Experiment, ListDesignWithLabelsAndChoices) {
    write_file("base.toml", kBase);
    const auto f = write_file("list.toml", R"(extends = "base.toml"
[experiment]
design = "list"
replications = 2
[[experiment.point]]
label = "scrutiny"
set = { "ngo[*].approach" = "scrutiny", "ngo[*].handover" = true }
[[experiment.point]]
label = "co-creation"
set = { "ngo[*].approach" = "co_creation" }
)");
    const auto e = pse::load_experiment(f);
    ASSERT_EQ(e.points.size(), 2u);
    EXPECT_EQ(e.labels[0], "scrutiny");
    EXPECT_EQ(pse::scenario_at(e, 0).ngo_defaults.approach, pse::Approach::kScrutiny);
    EXPECT_TRUE(pse::scenario_at(e, 0).ngo_defaults.handover);
    EXPECT_FALSE(pse::scenario_at(e, 1).ngo_defaults.handover);
    const auto cols = pse::design_columns(e);
    ASSERT_EQ(cols.size(), 2u);
    EXPECT_EQ(cols[0].labels, (std::vector<std::string>{"scrutiny", "co_creation"}));
}

TEST(Experiment, InputErrorsNameFileLineAndKey) {
    write_file("base.toml", kBase);
    auto expect_error = [](const std::filesystem::path& f, const std::string& key_part,
                           const std::string& msg_part) {
        try {
            (void)pse::load_experiment(f);
            ADD_FAILURE() << "no error for " << f;
        } catch (const pse::InputError& e) {
            bool found = false;
            for (const auto& p : e.problems())
                if (p.key.find(key_part) != std::string::npos &&
                    p.message.find(msg_part) != std::string::npos) {
                    found = true;
                    EXPECT_FALSE(p.file.empty());
                }
            EXPECT_TRUE(found) << e.what();
        }
    };
    expect_error(write_file("e1.toml", "extends = \"base.toml\"\n[experiment]\nreplications = 0\n"),
                 "experiment.replications", "out of range");
    expect_error(
        write_file("e2.toml", "extends = \"base.toml\"\n[experiment]\ndesign = \"grid\"\n"),
        "experiment.design", "needs at least one");
    expect_error(
        write_file(
            "e3.toml",
            "extends = \"base.toml\"\n[experiment]\ndesign = \"grid\"\n[[experiment.lever]]\n"
            "key = \"ngo[*].dedicated_ft\"\nvalues = [1.0]\n"),
        "key", "did you mean");
    expect_error(
        write_file(
            "e4.toml",
            "extends = \"base.toml\"\n[experiment]\ndesign = \"grid\"\n[[experiment.lever]]\n"
            "key = \"ngo[*].part_time_share\"\nvalues = [0.5, 1.5]\n"),
        "values", "out of range");
    expect_error(
        write_file("e5.toml", "extends = \"base.toml\"\n[experiment]\ndesign = \"latin\"\n"),
        "experiment.design", "not one of");
    expect_error(write_file("e6.toml", "extends = \"base.toml\"\n[experiment]\nreplicatons = 3\n"),
                 "experiment.replicatons", "did you mean 'experiment.replications'");
    expect_error(
        write_file("e7.toml",
                   "extends = \"base.toml\"\n[ngo_defaults]\nstart_week = 30\n[experiment]\n"
                   "design = \"lhs\"\nsamples = 4\n"
                   "[[experiment.lever]]\nkey = \"ngo[*].end_week\"\nmin = 10\nmax = 40\n"),
        "end_week", "design point");  // end <= start at the low end: inconsistent design point
    expect_error(write_file("e8.toml", kBase), "experiment", "no [experiment] table");
}

// Design-level problems point at the factor's table (or the design key), with a line number.
TEST(Experiment, DesignProblemsNameTheFactorsLine) {
    write_file("base.toml", kBase);
    // Loading `text` gives exactly one problem, at `line`, about `key`, whose message starts with
    // `msg`.
    auto expect_one = [](const std::string& name, const std::string& text, int line,
                         const std::string& key, const std::string& msg) {
        SCOPED_TRACE(name);
        std::vector<pse::InputProblem> p;
        try {
            (void)pse::load_experiment(
                write_file(name, "extends = \"base.toml\"\n[experiment]\n" + text));
        } catch (const pse::InputError& e) {
            p = e.problems();
        }
        ASSERT_EQ(p.size(), 1u);
        EXPECT_EQ(p[0].line, line);
        EXPECT_EQ(p[0].key, key);
        EXPECT_EQ(p[0].message.substr(0, msg.size()), msg);
    };
    // Grid factor without values: line 4 is its [[experiment.lever]] header.
    expect_one("g1.toml",
               "design = \"grid\"\n[[experiment.lever]]\nkey = \"trust.gain_rate\"\nmin = "
               "0.01\nmax = 0.1\n",
               4, "experiment.lever[0]",
               "design 'grid' needs values = [...] for 'trust.gain_rate'");
    // Sampling design with a factor that has values but no range (was silently a constant 0).
    expect_one("g2.toml",
               "design = \"lhs\"\nsamples = 3\n[[experiment.uncertainty]]\nkey = "
               "\"trust.gain_rate\"\nmin = 0.01\n"
               "max = 0.1\n[[experiment.lever]]\nkey = \"ngo[*].dedicated_fte\"\nvalues = [1, 2]\n",
               9, "experiment.lever[0]",
               "design 'lhs' needs min and max for 'ngo[*].dedicated_fte'");
    // A design with no factors: the line of `design`.
    expect_one("g3.toml", "replications = 2\ndesign = \"sobol\"\nsamples = 8\n", 4,
               "experiment.design", "design 'sobol' needs at least one");
}

// A factor without what its design needs is reported together with every other problem (not
// only after the others are fixed).
TEST(Experiment, FactorProblemsAreReportedAllAtOnce) {
    write_file("base.toml", kBase);
    const auto f =
        write_file("all.toml",
                   "extends = \"base.toml\"\n[experiment]\ndesign = \"grid\"\n"
                   "[[experiment.lever]]\nkey = \"ngo[*].dedicated_fte\"\n"  // 4-5: no values
                   "[[experiment.lever]]\nkey = \"ngo[*].dedicated_ft\"\nvalues = [1]\n"  // 6-8
                   "[[experiment.uncertainty]]\nkey = \"trust.gain_rate\"\nvalues = [\"x\"]\n");
    try {
        (void)pse::load_experiment(f);
        FAIL() << "accepted";
    } catch (const pse::InputError& e) {
        const auto& p = e.problems();
        ASSERT_EQ(p.size(), 3u) << e.what();
        EXPECT_EQ(p[0].line, 4);
        EXPECT_EQ(p[0].message, "design 'grid' needs values = [...] for 'ngo[*].dedicated_fte'");
        EXPECT_EQ(p[1].line, 7);
        EXPECT_NE(p[1].message.find("did you mean 'ngo[*].dedicated_fte'"), std::string::npos);
        EXPECT_EQ(p[2].line, 11);
    }
}

TEST(Experiment, ApplySettingChecksTypeAndRange) {
    pse::Scenario s;
    pse::apply_setting(s, {"ngo_defaults.dedicated_fte", 2.0});
    EXPECT_DOUBLE_EQ(s.ngo_defaults.dedicated_fte, 2.0);
    pse::apply_setting(s, {"run.weeks", std::int64_t{100}});
    EXPECT_EQ(s.weeks, 100);
    EXPECT_THROW(pse::apply_setting(s, {"run.weeks", 10.5}), pse::InputError);
    EXPECT_THROW(pse::apply_setting(s, {"trust.gain_rate", std::string("fast")}), pse::InputError);
    EXPECT_THROW(pse::apply_setting(s, {"trust.gain_rate", 2.0}), pse::InputError);
    EXPECT_THROW(pse::apply_setting(s, {"ngo[3].dedicated_fte", 1.0}), pse::InputError);
    EXPECT_THROW(pse::apply_setting(s, {"no.such_key", 1.0}), pse::InputError);
}

// --- Posterior integration ([experiment] posterior) ------------------------------------------

namespace {
const char* kDraws =
    "# three accepted draws\n"
    "draw,trust.gain_rate,pipeline.continue_prob,distance\n"
    "0,0.030,0.20,1.5\n"
    "1,0.040,0.25,0.7\n"
    "2,0.050,0.30,0.9\n";

std::string posterior_experiment(const std::string& extra) {
    return std::string(kBase) +
           "[experiment]\ndesign = \"grid\"\nreplications = 2\nposterior = \"draws.csv\"\n" +
           extra + "[[experiment.lever]]\nkey = \"ngo[*].dedicated_fte\"\nvalues = [0.0, 1.0]\n";
}

std::string first_problem(const std::filesystem::path& file) {
    try {
        (void)pse::load_experiment(file);
    } catch (const pse::InputError& e) {
        return e.problems().front().format();
    }
    return "no error";
}
}  // namespace

TEST(Experiment, PosteriorCrossesEveryDesignPointWithEveryDraw) {
    write_file("draws.csv", kDraws);
    const auto e = pse::load_experiment(write_file("post.toml", posterior_experiment("")));
    ASSERT_EQ(e.posterior_draws, 3);
    ASSERT_EQ(e.points.size(), 6u);  // 2 lever points x 3 worlds, point p * K + k
    EXPECT_EQ(e.n_runs(), 12);
    for (std::size_t d = 0; d < 6; ++d) {
        const auto s = pse::scenario_at(e, d);
        EXPECT_DOUBLE_EQ(s.ngo_defaults.dedicated_fte, d < 3 ? 0.0 : 1.0) << d;
        EXPECT_DOUBLE_EQ(s.trust.gain_rate, 0.030 + 0.010 * static_cast<double>(d % 3)) << d;
        EXPECT_DOUBLE_EQ(s.pipeline.continue_prob, 0.20 + 0.05 * static_cast<double>(d % 3)) << d;
    }
    // The draw columns are uncertainties of the results file; draw and distance are not parameters.
    std::set<std::string> keys;
    for (const auto& c : pse::design_columns(e)) keys.insert(c.key + ":" + c.role);
    EXPECT_EQ(keys,
              (std::set<std::string>{"ngo[*].dedicated_fte:lever", "trust.gain_rate:uncertainty",
                                     "pipeline.continue_prob:uncertainty"}));
    EXPECT_EQ(e.files.back().substr(e.files.back().size() - 9),
              "draws.csv");  // an input of the file
    // posterior_draws = 2 takes rows spread over the file: the first and the last.
    const auto two = pse::load_experiment(
        write_file("post2.toml", posterior_experiment("posterior_draws = 2\n")));
    ASSERT_EQ(two.points.size(), 4u);
    EXPECT_DOUBLE_EQ(pse::scenario_at(two, 1).trust.gain_rate, 0.050);
}

TEST(Experiment, PosteriorProblemsNameFileLineAndKey) {
    write_file("draws.csv", kDraws);
    const auto p1 =
        first_problem(write_file("p1.toml", posterior_experiment("posterior_draws = 4\n")));
    EXPECT_NE(p1.find("key 'experiment.posterior_draws': expected an integer in [1, 3]"),
              std::string::npos)
        << p1;
    write_file("bad.csv", "trust.gain_rate\n0.03\nfast\n");
    auto text = posterior_experiment("");
    text.replace(text.find("draws.csv"), 9, "bad.csv");
    const auto bad = first_problem(write_file("p2.toml", text));
    EXPECT_NE(bad.find("bad.csv:3:1: key 'trust.gain_rate': 'fast' is not a number"),
              std::string::npos)
        << bad;
    text.replace(text.find("bad.csv"), 7, "none.csv");
    EXPECT_NE(first_problem(write_file("p3.toml", text)).find("cannot read"), std::string::npos);
    write_file("lever.csv", "ngo[*].dedicated_fte\n1.0\n");
    text.replace(text.find("none.csv"), 8, "lever.csv");
    EXPECT_NE(first_problem(write_file("p4.toml", text)).find("vary each parameter once"),
              std::string::npos);
    const auto orphan = first_problem(write_file(
        "p5.toml", std::string(kBase) + "[experiment]\ndesign = \"grid\"\nposterior_draws = 3\n"
                                        "[[experiment.lever]]\nkey = \"ngo[*].dedicated_fte\"\n"
                                        "values = [0.0, 1.0]\n"));
    EXPECT_NE(orphan.find("posterior_draws needs experiment.posterior"), std::string::npos)
        << orphan;
    write_file("unknown.csv", "trust.gain_rat\n0.03\n");
    text.replace(text.find("lever.csv"), 9, "unknown.csv");
    const auto unknown = first_problem(write_file("p6.toml", text));
    EXPECT_NE(unknown.find("trust.gain_rat"), std::string::npos) << unknown;
}

TEST(Experiment, PosteriorFileProblemsPointIntoTheDrawsFile) {
    // Problems of the draws themselves are reported at the draws file's line and column: a
    // duplicated column, a trailing comma, a value out of the parameter's range; quotes around
    // header names (as R's write.csv writes them), CRLF line ends and a byte-order mark are read.
    write_file("draws.csv", kDraws);
    auto text = posterior_experiment("");
    const auto with = [&](const std::string& file, const std::string& csv) {
        write_file(file, csv);
        auto t = text;
        t.replace(t.find("draws.csv"), 9, file);
        return first_problem(write_file("p_" + file + ".toml", t));
    };
    const auto dup = with("dup.csv", "trust.gain_rate,trust.gain_rate\n0.03,0.04\n");
    EXPECT_NE(
        dup.find("dup.csv:1:2: key 'trust.gain_rate': column 'trust.gain_rate' appears twice"),
        std::string::npos)
        << dup;
    const auto comma = with("comma.csv", "trust.gain_rate,pipeline.continue_prob\n0.03,0.2,\n");
    EXPECT_NE(
        comma.find(
            "comma.csv:2: key 'experiment.posterior': 3 values, but the header names 2 columns"),
        std::string::npos)
        << comma;
    const auto range = with("range.csv", "draw,trust.gain_rate\n0,0.03\n1,7.5\n");
    EXPECT_NE(range.find("range.csv:3:2: key 'trust.gain_rate'"), std::string::npos) << range;
    EXPECT_NE(range.find("out of range"), std::string::npos) << range;
    const auto quoted =
        with("quoted.csv", "\xEF\xBB\xBF\"draw\",\"trust.gain_rate\"\r\n0,0.03\r\n1,0.04\r\n");
    EXPECT_EQ(quoted, "no error");
    // Crossing a sampling design would break its structure: refused.
    std::string morris =
        std::string(kBase) +
        "[experiment]\ndesign = \"morris\"\nsamples = 2\nposterior = \"draws.csv\"\n"
        "[[experiment.uncertainty]]\nkey = \"company.turnover_per_year\"\nmin = 0.1\nmax = 0.3\n";
    const auto m = first_problem(write_file("p_morris.toml", morris));
    EXPECT_NE(m.find("posterior draws can cross a single, grid or list design, not 'morris'"),
              std::string::npos)
        << m;
}
