// Bad-input table (docs/BAD_INPUT.md): one test per row.
//
// Every row drives the real pse-sim executable as a child process (exit code via WEXITSTATUS,
// stdout/stderr captured) and, where useful, the library directly. Each row checks a clear
// message, a non-zero exit code, and that a results file already at the output path is left
// byte-identical (nothing half-written, no temporary files left behind).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <grp.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "pse/errors.h"
#include "pse/experiment.h"
#include "pse/results.h"
#include "pse/scenario_loader.h"
#include "pse/sweep.h"
#include "support/cli_run.h"
#include "support/fixtures.h"
#include "support/results_compare.h"

namespace pse {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Helpers

constexpr const char* kTiny = pse::test::kTinyScenario;

using Result =
    test::CliResult;  // exit_code, signal, out, err, seconds (for messages only: no timed tests)

using test::read_all;
using test::write_all;

std::vector<fs::path> g_dirs;  // folders of the running test, removed after it unless it failed

void remove_dir(const fs::path& d) {
    std::error_code ec;
    fs::permissions(d, fs::perms::owner_all, fs::perm_options::add, ec);
    for (const auto& e : fs::recursive_directory_iterator(d, ec))
        fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(d, ec);
}

/// Fresh, empty folder for one test.
fs::path fresh_dir(const std::string& name) {
    auto d = test::temp_dir(fmt::format("bad_{}", name));
    remove_dir(d);
    fs::create_directories(d);
    g_dirs.push_back(d);
    return d;
}

/// Every row: its temporary folders are removed afterwards (kept when the row failed, to look at).
class BadInput : public ::testing::Test {
  protected:
    void TearDown() override {
        if (!HasFailure())
            for (const auto& d : g_dirs) remove_dir(d);
        g_dirs.clear();
    }
};

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

std::string q(const fs::path& p) {
    return fmt::format("'{}'", p.string());
}

/// Every row's child output: under the sanitizer builds (scripts/test asan) a report fails the row.
Result checked(Result r) {
    EXPECT_FALSE(contains(r.err, "Sanitizer") || contains(r.err, "runtime error:")) << r.err;
    return r;
}

/// `pse-sim <args>` (args are words as sh splits them: quote paths with q(); no expansion).
Result pse_sim(const std::string& args, const test::CliOptions& o = {}) {
    return checked(test::run_cli(args, o));
}

/// `pse-sim <args>` with a timeout (SIGKILL): a row that would block for ever fails instead.
Result pse_sim_timeout(double seconds, const std::string& args) {
    return pse_sim(args, {.timeout_seconds = seconds});
}

/// Start `pse-sim <argv>` in the background; optionally as another user (uid >= 0).
test::CliProcess spawn(const std::vector<std::string>& args, int uid = -1) {
    return test::spawn_cli(args, {.uid = uid});
}

/// Wait for a spawned pse-sim to end.
Result wait_for(test::CliProcess& p) {
    return checked(p.wait());
}

/// Every file below `dir` (relative names), sorted.
std::vector<std::string> tree(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        out.push_back(fs::relative(e.path(), dir).string());
    std::sort(out.begin(), out.end());
    return out;
}

/// No temporary files (writer temp `.x.h5.tmp-PID`, shard `.tmp`) anywhere below `dir`.
void expect_no_temp_files(const fs::path& dir) {
    for (const auto& name : tree(dir))
        EXPECT_FALSE(contains(name, ".tmp")) << "temporary file left: " << name;
}

/// A valid results file at `path` (tiny scenario, 2 replications); returns its bytes.
std::string make_results(const fs::path& path) {
    const auto dir = path.parent_path();
    const auto scenario = dir / ".make_results.toml";
    write_all(scenario, kTiny);
    const auto r = pse_sim(fmt::format("-q run {} -r 2 -o {} --overwrite", q(scenario), q(path)));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    fs::remove(scenario);
    return read_all(path);
}

/// `pse-sim <args>` with writes limited to `bytes` (RLIMIT_FSIZE, rounded down to whole 512-byte
/// blocks as `ulimit -f` has them): writes past it fail with EFBIG; SIGXFSZ is ignored so the
/// process sees the error instead of being killed. Simulates a full disk.
Result pse_sim_file_limit(std::uintmax_t bytes, const std::string& args) {
    return pse_sim(args, {.file_size_limit = static_cast<std::int64_t>(bytes / 512 * 512)});
}

/// A folder with the tiny scenario (tiny.toml), an existing results file (existing.h5, whose bytes
/// are `before`) and the uninterrupted reference of `run tiny.toml -r 8` (clean.h5): the setting
/// of the tests that interrupt writing and then resume.
struct InterruptSetup {
    fs::path dir, scenario, target, clean;
    std::string before;
};
InterruptSetup interrupt_setup(const fs::path& dir) {
    InterruptSetup s{dir, dir / "tiny.toml", dir / "existing.h5", dir / "clean.h5", {}};
    write_all(s.scenario, kTiny);
    s.before = make_results(s.target);
    EXPECT_EQ(pse_sim(fmt::format("-q run {} -r 8 -o {}", q(s.scenario), q(s.clean))).exit_code, 0);
    return s;
}

/// Write `text` as a scenario, run it onto an existing results file with --overwrite, and check:
/// exit code `code`, every `words` in stderr, the existing file byte-identical, no temp files.
Result refuse_scenario(const std::string& name, const std::string& text, int code,
                       const std::vector<std::string>& words, const std::string& command = "run") {
    const auto dir = fresh_dir(name);
    const auto target = dir / "existing.h5";
    const std::string before = make_results(target);
    const auto input = dir / "input.toml";
    write_all(input, text);
    const auto r = pse_sim(fmt::format("{} {} -o {} --overwrite", command, q(input), q(target)));
    EXPECT_EQ(r.exit_code, code) << r.err;
    for (const auto& w : words)
        EXPECT_TRUE(contains(r.err, w)) << "missing '" << w << "' in:\n" << r.err;
    EXPECT_TRUE(read_all(target) == before) << "the existing results file was changed";
    EXPECT_FALSE(fs::exists(target.string() + ".parts"));
    expect_no_temp_files(dir);
    return r;
}

InputError input_error(const std::function<void()>& f) {
    try {
        f();
    } catch (const InputError& e) {
        return e;
    }
    ADD_FAILURE() << "expected an InputError";
    return InputError(InputProblem{"", 0, 0, "", "none"});
}

using test::expect_same_results;

// ---------------------------------------------------------------------------------------------
// Rows of the table (docs/BAD_INPUT.md), in its order.

TEST_F(BadInput, EmptyFile) {
    const auto r = refuse_scenario("empty", "", 2, {"input.toml", "file is empty"});
    EXPECT_TRUE(r.out.empty());
    refuse_scenario("empty_ws", "\n   \n\t\n", 2, {"file is empty"});
    refuse_scenario("empty_comments", "# only a comment\n# and another\n", 2, {"file is empty"});
    refuse_scenario("empty_sweep_file", "", 2, {"file is empty"}, "sweep");
    // An empty base file is refused too.
    const auto dir = fresh_dir("empty_base");
    write_all(dir / "base.toml", "");
    write_all(dir / "child.toml", "extends = \"base.toml\"\n[run]\nweeks = 10\n");
    const auto v = pse_sim(fmt::format("validate {}", q(dir / "child.toml")));
    EXPECT_EQ(v.exit_code, 2);
    EXPECT_TRUE(contains(v.err, "base.toml: file is empty")) << v.err;
}

TEST_F(BadInput, BinaryGarbage) {
    std::mt19937 gen(10);
    std::string with_nul(4096, '\0');
    for (auto& c : with_nul) c = static_cast<char>(gen() & 0xff);
    refuse_scenario("garbage_nul", with_nul, 2, {"NUL bytes", "not a TOML text file"});
    std::string no_nul(4096, 'x');
    for (auto& c : no_nul) c = static_cast<char>(1 + gen() % 255);
    refuse_scenario("garbage", no_nul, 2, {"input.toml:", "TOML syntax error"});
    refuse_scenario("bad_utf8", "[run]\nname = \"\xff\xfe\xc3\x28\"\n", 2,
                    {"input.toml:2:", "TOML syntax error"});
    // A results file given where a scenario belongs (arguments mixed up), and the reverse.
    const auto dir = fresh_dir("garbage_h5");
    make_results(dir / "r.h5");
    write_all(dir / "tiny.toml", kTiny);
    const auto r = pse_sim(fmt::format("run {} -o {}", q(dir / "r.h5"), q(dir / "out.h5")));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "NUL bytes")) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out.h5"));
    const auto i = pse_sim(fmt::format("info {}", q(dir / "tiny.toml")));
    EXPECT_EQ(i.exit_code, 1);
    EXPECT_TRUE(contains(i.err, "is not an HDF5 file")) << i.err;
}

TEST_F(BadInput, HugeFile) {
    const auto dir = fresh_dir("huge");
    const auto target = dir / "existing.h5";
    const std::string before = make_results(target);
    {  // 17 MiB (sparse, so the test is fast): refused by size before reading
        std::ofstream(dir / "huge.toml") << "[run]\nname = \"huge\"\n";
        fs::resize_file(dir / "huge.toml", 17u << 20);
    }
    const auto r =
        pse_sim(fmt::format("run {} -o {} --overwrite", q(dir / "huge.toml"), q(target)));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "scenario files are limited to 16777216 bytes")) << r.err;
    // Endless inputs whose size is unknown: a device as the scenario, and as a base file.
    const auto z = pse_sim("validate /dev/zero");
    EXPECT_EQ(z.exit_code, 2);
    // Issue 20: refused before it is opened, as every file that is not a regular file.
    EXPECT_TRUE(contains(z.err, "/dev/zero: is a character device, not a regular file")) << z.err;
    write_all(dir / "ext.toml", "extends = \"/dev/zero\"\n");
    const auto e = pse_sim(fmt::format("run {} -o {} --overwrite", q(dir / "ext.toml"), q(target)));
    EXPECT_EQ(e.exit_code, 2);
    EXPECT_TRUE(contains(e.err, "extends must name a regular file")) << e.err;
    EXPECT_TRUE(read_all(target) == before);
    expect_no_temp_files(dir);
}

TEST_F(BadInput, DeeplyNestedTables) {
    const std::size_t n = 10000;
    std::string inline_tables = "a = ", arrays = "a = ", mixed = "a = ";
    for (std::size_t i = 0; i < n; ++i) {
        inline_tables += "{b = ";
        arrays += "[";
        mixed += i % 2 ? "[" : "{b = ";
    }
    inline_tables += "1";
    arrays += "1";
    mixed += "1";
    for (std::size_t i = 0; i < n; ++i) {
        inline_tables += "}";
        arrays += "]";
        mixed += (n - 1 - i) % 2 ? "]" : "}";
    }
    // toml++ stops at 256 nested values (TOML_MAX_NESTED_VALUES): no stack overflow.
    for (const auto* text : {&inline_tables, &arrays, &mixed})
        refuse_scenario("nested", *text + "\n", 2,
                        {"input.toml:1:", "exceeded maximum nested value depth of 256"});
    // toml++ has no limit on dotted keys: a header of 50,000 parts overflowed the stack inside
    // toml::parse (it used to segfault); the loader now refuses keys of more than 16 parts.
    std::string header = "[a", dotted = "a";
    for (int i = 0; i < 50000; ++i) {
        header += ".a";
        dotted += ".a";
    }
    refuse_scenario("dotted_header", header + "]\nx = 1\n", 2,
                    {"input.toml:1:", "50001 parts; at most 16"});
    refuse_scenario("dotted_key", fmt::format("[run]\nname = \"x\"\n{} = 1\n", dotted), 2,
                    {"input.toml:3:", "50001 parts"});
    // The deepest input still accepted by both limits (16-part keys inside 254 inline tables)
    // parses.
    std::string k = "a";
    for (int i = 0; i < 15; ++i) k += ".a";
    std::string worst = fmt::format("[{0}]\n{0} = ", k);
    for (int i = 0; i < 254; ++i) worst += fmt::format("{{{} = ", k);
    worst += "1";
    worst += std::string(254, '}');
    refuse_scenario("worst_allowed", worst + "\n", 2, {"unknown key", "characters)"});
    // Library level, and through --set.
    const auto e = input_error([&] { (void)load_scenario_text(header + "]\n", "deep.toml"); });
    ASSERT_FALSE(e.problems().empty());
    EXPECT_EQ(e.problems()[0].line, 1);
    const auto dir = fresh_dir("nested_set");
    write_all(dir / "tiny.toml", kTiny);
    const auto s = pse_sim(
        fmt::format("show {} --set 'run.name={}=1'", q(dir / "tiny.toml"), dotted.substr(0, 99)));
    EXPECT_EQ(s.exit_code, 2);
    EXPECT_TRUE(contains(s.err, "--set")) << s.err;
}

TEST_F(BadInput, DuplicateKeys) {
    refuse_scenario("dup_key", "[run]\nweeks = 10\nweeks = 20\n", 2,
                    {"input.toml:3:", "cannot redefine existing integer 'weeks'"});
    refuse_scenario("dup_table", "[run]\nweeks = 10\n[run]\nseed = 1\n", 2,
                    {"input.toml:3:", "cannot redefine existing table 'run'"});
    refuse_scenario("dup_dotted", "run.weeks = 10\n[run]\nweeks = 20\n", 2,
                    {"input.toml:", "cannot redefine"});
    refuse_scenario("dup_inline", "ngo_defaults = { end_week = 40, end_week = 50 }\n", 2,
                    {"input.toml:1:", "redefine"});
    const auto e = input_error(
        [] { (void)load_scenario_text("[run]\nweeks = 10\nweeks = 20\n", "dup.toml"); });
    ASSERT_EQ(e.problems().size(), 1u);
    EXPECT_EQ(e.problems()[0].line, 3);
}

TEST_F(BadInput, UnicodeKeys) {
    const auto r = refuse_scenario(
        "unicode", "[run]\n\"wéeks\" = 10\n\"名前\" = \"x\"\n\"🚀\" = 1\n", 2,
        {"input.toml:2:", "key 'run.wéeks': unknown key; did you mean 'run.weeks'?",
         "key 'run.名前': unknown key", "key 'run.🚀': unknown key", "3 problems found"});
    // Unicode in values is fine: the name survives into the results file.
    const auto dir = fresh_dir("unicode_ok");
    std::string text = kTiny;
    text.replace(text.find("\"tiny\""), 6, "\"Ünïcødé 🚀 名前\"");
    write_all(dir / "u.toml", std::string("\xEF\xBB\xBF").append(text));  // with a byte-order mark
    const auto ok =
        pse_sim(fmt::format("-q run {} -r 1 -o {}", q(dir / "u.toml"), q(dir / "u.h5")));
    ASSERT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_EQ(read_results(dir / "u.h5", false).attrs.at("scenario_name"), "Ünïcødé 🚀 名前");
    // Control characters (other than tab and newline) in text garble terminal output: refused.
    refuse_scenario("control", "[run]\nname = \"a\\u0007b\"\n", 2,
                    {"input.toml:2:", "control character U+0007"});
}

TEST_F(BadInput, NonAsciiOutsideStrings) {
    // Fuzzer finding (tests/fuzz/regressions/toml_unreachable_*): toml++ 3.3.0 reaches
    // __builtin_unreachable for some non-ASCII code points outside strings (upstream issues #190,
    // #295). Debian's build answers "not whitespace"; check the CLI gives the right answers.
    const auto reg = test::source_dir() / "tests" / "fuzz" / "regressions";
    const auto dir = fresh_dir("non_ascii");
    for (const char* f :
         {"toml_unreachable_header_u0486.toml", "toml_unreachable_malformed_utf8.toml"}) {
        const auto r = pse_sim(fmt::format("validate {}", q(reg / f)));
        EXPECT_EQ(r.exit_code, 2) << f;
        EXPECT_TRUE(contains(r.err, "TOML syntax error")) << r.err;
    }
    const auto l = load_scenario(reg / "toml_unreachable_ml_string_continuation.toml");
    EXPECT_EQ(l.scenario.description, "Économie");
    refuse_scenario("bare_non_ascii", "[run]\nname = \"x\"\n\xc2\xa7 = 1\n", 2,
                    {"input.toml:3:1:", "TOML syntax error"});
}

TEST_F(BadInput, WrongTypes) {
    const auto r = refuse_scenario(
        "types",
        "[run]\nweeks = \"ten\"\nrecord_events = 1\nseed = 1.5\n[trust]\ngain_rate = true\n"
        "loss_ratio = [2.0]\ndecay_rate = { x = 1 }\n[ngo_defaults]\napproach = 3\n",
        2,
        {"input.toml:2:9: key 'run.weeks': expected an integer, got a string",
         "key 'run.record_events': expected true or false, got an integer",
         "key 'run.seed': expected an integer, got the number 1.5",
         "key 'trust.gain_rate': expected a number (1/week), got a boolean",
         "key 'trust.loss_ratio': expected a number", "got an array",
         "key 'trust.decay_rate.x': unknown key",
         "key 'ngo_defaults.approach': expected a string, got an integer"});
    EXPECT_TRUE(contains(r.err, "problems found; nothing was run")) << r.err;
    refuse_scenario("types_tables", "ngo_defaults = 3\nngo = 5\n", 2,
                    {"key 'ngo_defaults': expected a table", "key 'ngo': expected [[ngo]] tables"});
    refuse_scenario("types_choice", "[ngo_defaults]\napproach = \"charm\"\n", 2,
                    {"\"charm\" is not one of"});
}

TEST_F(BadInput, NanInfNegativeHugeNumbers) {
    refuse_scenario("numbers",
                    "[trust]\ngain_rate = nan\nloss_ratio = +inf\ndecay_rate = "
                    "-inf\n[ecosystem]\nmnc_count = -5\n"
                    "supplier_count = 999999999999\n[company]\nresources_usd_median = "
                    "1e308\n[run]\nweeks = 0\n",
                    2,
                    {"key 'trust.gain_rate': value must be finite (got nan or inf)",
                     "key 'trust.loss_ratio': value must be finite",
                     "key 'trust.decay_rate': value must be finite",
                     "key 'ecosystem.mnc_count': value -5 is out of range [0, 10000000]",
                     "key 'ecosystem.supplier_count': value 999999999999 is out of range",
                     "key 'company.resources_usd_median': value 1e+308 is out of range",
                     "key 'run.weeks': value 0", "7 problems found"});
    refuse_scenario("int_overflow", "[run]\nweeks = 99999999999999999999\n", 2,
                    {"input.toml:2:", "is not representable in 64 bits"});
    refuse_scenario("int_nan", "[run]\nweeks = nan\n", 2,
                    {"key 'run.weeks': value must be finite"});
    // Command-line numbers.
    const auto dir = fresh_dir("numbers_cli");
    write_all(dir / "tiny.toml", kTiny);
    for (const char* opt : {"-r 0", "-r -3", "--seed -5", "-r 1e99", "--checkpoint-runs 0",
                            "--checkpoint-seconds -1"}) {
        const auto r =
            pse_sim(fmt::format("run {} {} -o {}", q(dir / "tiny.toml"), opt, q(dir / "x.h5")));
        EXPECT_EQ(r.exit_code, 2) << opt << "\n" << r.err;
        EXPECT_FALSE(r.err.empty()) << opt;
        EXPECT_FALSE(contains(r.err, "1797693")) << "unreadable range in: " << r.err;
        EXPECT_FALSE(fs::exists(dir / "x.h5")) << opt;
    }
    const auto seed =
        pse_sim(fmt::format("run {} --seed -5 -o {}", q(dir / "tiny.toml"), q(dir / "x.h5")));
    EXPECT_TRUE(contains(seed.err, "--seed: must be 0 or more, got -5")) << seed.err;
    // An experiment's factor ranges.
    refuse_scenario("numbers_exp",
                    "[run]\nname = \"e\"\n[experiment]\ndesign = \"lhs\"\nsamples = 4\n"
                    "[[experiment.uncertainty]]\nkey = \"trust.gain_rate\"\nmin = nan\nmax = 0.5\n",
                    2, {"min': value must be finite (got nan or inf)"}, "sweep");
}

TEST_F(BadInput, DatesWhereNumbersBelong) {
    refuse_scenario(
        "dates",
        "[run]\nweeks = 2024-01-01\nseed = 07:30:00\n[trust]\ngain_rate = 1979-05-27T07:32:00Z\n"
        "[ecosystem]\nmnc_count = 1979-05-27T07:32:00\n",
        2,
        {"input.toml:2:9: key 'run.weeks': expected an integer, got a date",
         "key 'run.seed': expected an integer, got a time",
         "key 'trust.gain_rate': expected a number (1/week), got a date-time",
         "key 'ecosystem.mnc_count': expected an integer, got a date-time", "4 problems found"});
    refuse_scenario(
        "dates_exp",
        "[run]\nname = \"e\"\n[experiment]\ndesign = \"grid\"\nreplications = 2024-01-01\n"
        "[[experiment.lever]]\nkey = \"trust.gain_rate\"\nvalues = [0.02, 2024-01-01]\n",
        2,
        {"experiment.replications': expected an integer",
         "values must be numbers, booleans or strings"},
        "sweep");
}

TEST_F(BadInput, EmptySweep) {
    const std::string head = "[run]\nname = \"e\"\nweeks = 10\n[experiment]\n";
    refuse_scenario("sweep_no_points", head + "design = \"list\"\n", 2,
                    {"design 'list' needs at least one [[experiment.point]]"}, "sweep");
    refuse_scenario(
        "sweep_empty_values",
        head + "design = \"grid\"\n[[experiment.lever]]\nkey = \"trust.gain_rate\"\nvalues = []\n",
        2, {"experiment.lever[0].values", "expected a non-empty array"}, "sweep");
    refuse_scenario("sweep_no_factors", head + "design = \"grid\"\n", 2,
                    {"design 'grid' needs at least one lever"}, "sweep");
    refuse_scenario("sweep_zero_samples",
                    head +
                        "design = \"lhs\"\nsamples = 0\n[[experiment.uncertainty]]\nkey = "
                        "\"trust.gain_rate\"\nmin = 0.02\nmax = 0.08\n",
                    2, {"needs experiment.samples > 0"}, "sweep");
    refuse_scenario("sweep_zero_reps", head + "replications = 0\n", 2,
                    {"key 'experiment.replications': value 0 is out of range [1, 100000000]"},
                    "sweep");
    refuse_scenario("run_zero_reps", kTiny, 2, {"--replications", "must be at least 1"},
                    "run -r 0");
    // A plain scenario given to sweep, and an experiment given to run.
    refuse_scenario("sweep_plain", kTiny, 2, {"no [experiment] table", "pse-sim run"}, "sweep");
    refuse_scenario("run_experiment", head + "replications = 1\n", 2,
                    {"this is an experiment file", "pse-sim sweep"});
}

TEST_F(BadInput, MillionPointSweep) {
    const std::string lhs =
        "[run]\nname = \"m\"\nweeks = 10\n[experiment]\ndesign = \"lhs\"\nsamples = "
        "1000000\nreplications = 1\n"
        "[[experiment.uncertainty]]\nkey = \"trust.gain_rate\"\nmin = 0.02\nmax = 0.08\n";
    auto r = refuse_scenario("million_lhs", lhs, 2, {"this asks for 1000000 runs", "pass --yes"},
                             "sweep");
    std::string values = "[";
    for (int i = 0; i < 1000; ++i) values += fmt::format("{}{}", i ? ", " : "", 0.02 + i * 1e-5);
    values += "]";
    const std::string grid = fmt::format(
        "[run]\nname = \"g\"\nweeks = 10\n[experiment]\ndesign = \"grid\"\nreplications = 1\n"
        "[[experiment.lever]]\nkey = \"trust.gain_rate\"\nvalues = "
        "{0}\n[[experiment.uncertainty]]\nkey = \"trust.decay_rate\"\nvalues = {0}\n",
        values);
    r = refuse_scenario("million_grid", grid, 2,
                        {"this asks for 1000000 runs (1000000 design points", "pass --yes"},
                        "sweep");
    // Confirmed with --yes, designs over 10 million points are still refused (memory).
    const std::string huge =
        "[run]\nname = \"m\"\nweeks = 10\n[experiment]\ndesign = \"sobol\"\nsamples = "
        "10000000\nreplications = 1\n"
        "[[experiment.uncertainty]]\nkey = \"trust.gain_rate\"\nmin = 0.02\nmax = 0.08\n";
    r = refuse_scenario("huge_yes", huge, 2, {"over 10 million"}, "sweep --yes");
    // `run` with a million replications asks for --yes too (run used to have no --yes).
    r = refuse_scenario("million_run", kTiny, 2, {"1000000 runs", "pass --yes"}, "run -r 1000000");
    // Library: refused before expansion.
    const auto dir = fresh_dir("million_lib");
    write_all(dir / "m.toml", lhs);
    const auto e = input_error([&] { (void)load_experiment(dir / "m.toml", {}, 100000); });
    EXPECT_TRUE(contains(e.problems().at(0).message, "pass --yes")) << e.problems().at(0).message;
}

TEST_F(BadInput, OutputInMissingFolder) {
    const auto dir = fresh_dir("missing_folder");
    write_all(dir / "tiny.toml", kTiny);
    const auto target = dir / "no" / "such" / "folder" / "out.h5";
    for (const char* cmd : {"run", "sweep"}) {
        std::string input = (dir / "tiny.toml").string();
        if (std::string(cmd) == "sweep") {
            write_all(dir / "exp.toml", std::string(kTiny) + "[experiment]\nreplications = 2\n");
            input = (dir / "exp.toml").string();
        }
        const auto r = pse_sim(fmt::format("{} '{}' -o {}", cmd, input, q(target)));
        EXPECT_EQ(r.exit_code, 1) << cmd;
        EXPECT_TRUE(contains(
            r.err, fmt::format("output folder '{}' does not exist", target.parent_path().string())))
            << r.err;
    }
    EXPECT_FALSE(fs::exists(dir / "no"));
    // A folder given as the output file.
    const auto f =
        pse_sim(fmt::format("run {} -o {}", q(dir / "tiny.toml"), q(dir.string() + "/")));
    EXPECT_EQ(f.exit_code, 1);
    EXPECT_TRUE(contains(f.err, "names a folder, not a file")) << f.err;
    EXPECT_EQ(tree(dir), (std::vector<std::string>{"exp.toml", "tiny.toml"}));
}

TEST_F(BadInput, OutputInReadOnlyFolder) {
    const auto dir = fresh_dir("read_only");
    write_all(dir / "tiny.toml", kTiny);
    const auto rx = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                    fs::perms::others_read | fs::perms::others_exec;
    fs::permissions(dir, rx);  // readable by the unprivileged child below, whatever the umask
    fs::permissions(dir / "tiny.toml", fs::perms::owner_read | fs::perms::owner_write |
                                           fs::perms::group_read | fs::perms::others_read);
    const auto ro = dir / "ro";
    fs::create_directories(ro);
    const auto target = ro / "existing.h5";
    const std::string before = make_results(target);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                            fs::perms::group_exec | fs::perms::others_read |
                            fs::perms::others_exec);
    // Root ignores permission bits (CI runs tests as root): run the child as 'nobody' instead.
    const bool root = ::geteuid() == 0;
    const int uid = root ? 65534 : -1;
    auto run = [&](const std::vector<std::string>& args) {
        auto child = spawn(args, uid);
        return wait_for(child);
    };
    const auto probe = run({"--version"});
    if (probe.exit_code == 125 || probe.exit_code == 126 || probe.exit_code == 127) {
        fs::permissions(ro, fs::perms::owner_all, fs::perm_options::add);
        GTEST_SKIP() << "running as root and cannot run pse-sim as user 'nobody' (exit "
                     << probe.exit_code
                     << "), so a read-only folder cannot be tested here; run the tests as a "
                        "non-root user, or "
                        "allow root to change user (setuid, not possible in some containers)";
    }
    if (!root) {
        ASSERT_NE(access(ro.c_str(), W_OK), 0);
    }
    for (const auto& out : {ro / "new.h5", target}) {
        const auto r = run(
            {"run", (dir / "tiny.toml").string(), "-r", "2", "-o", out.string(), "--overwrite"});
        EXPECT_EQ(r.exit_code, 1) << r.err;
        EXPECT_TRUE(contains(r.err, fmt::format("output folder '{}' is not writable", ro.string())))
            << r.err;
    }
    EXPECT_TRUE(read_all(target) == before);
    EXPECT_EQ(tree(ro), (std::vector<std::string>{"existing.h5"}));
    // Reading from a read-only folder works.
    const auto info = run({"info", target.string()});
    EXPECT_EQ(info.exit_code, 0) << info.err;
    fs::permissions(ro, fs::perms::owner_all, fs::perm_options::add);
}

TEST_F(BadInput, DiskFullDuringWrite) {
    const auto [dir, scenario, target, fresh, before] = interrupt_setup(fresh_dir("disk_full"));
    ASSERT_TRUE(fs::exists(fresh));
    const auto full_size = fs::file_size(fresh);
    // 1) tiny limit: the first shard cannot be written; 2) half the final size: every shard is
    //    written, the merged results file is not.
    for (const auto bytes : {std::uintmax_t{16 * 512}, full_size / 2}) {
        SCOPED_TRACE(fmt::format("file size limit {} bytes", bytes));
        const auto r = pse_sim_file_limit(
            bytes, fmt::format("run {} -r 8 --checkpoint-runs 1 -o {} --overwrite", q(scenario),
                               q(target)));
        EXPECT_EQ(r.exit_code, 1) << r.err;
        EXPECT_EQ(r.signal, 0) << "killed by a signal (HDF5 used to crash at exit)";
        EXPECT_TRUE(contains(r.err, "is the disk full or the file unwritable?")) << r.err;
        // Issue 20: "finished runs are kept" only when some are.
        EXPECT_TRUE(contains(r.err, "rerun the same command with --resume") ||
                    contains(r.err,
                             "no run had been saved yet; fix the problem (e.g. free disk space) "
                             "and run the same "
                             "command again"))
            << r.err;
        EXPECT_TRUE(read_all(target) == before) << "the existing results file was changed";
        expect_no_temp_files(dir);
        // After freeing space, --resume completes and gives the same results as a clean run.
        const auto res =
            pse_sim(fmt::format("-q run {} -r 8 --checkpoint-runs 1 -o {} --overwrite --resume",
                                q(scenario), q(target)));
        ASSERT_EQ(res.exit_code, 0) << res.err;
        expect_same_results(fresh, target);
        EXPECT_FALSE(fs::exists(target.string() + ".parts"));
        write_all(target, before);  // restore for the next sub-case
    }
    expect_no_temp_files(dir);
}

/// Overwrite the root attribute format_version of a results file (HDF5 C API).
void set_format_version(const fs::path& file, std::int64_t version) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    ASSERT_GE(H5Adelete(f, "format_version"), 0);
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t a =
        H5Acreate2(f, "format_version", H5T_NATIVE_INT64, space, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(a, 0);
    ASSERT_GE(H5Awrite(a, H5T_NATIVE_INT64, &version), 0);
    H5Aclose(a);
    H5Sclose(space);
    H5Fclose(f);
}

TEST_F(BadInput, ResultsFileFromNewerFormat) {
    const auto dir = fresh_dir("newer");
    const auto file = dir / "newer.h5";
    make_results(file);
    set_format_version(file, kFormatVersion + 1);
    const std::string before = read_all(file);
    const auto r = pse_sim(fmt::format("info {}", q(file)));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(
        r.err,
        fmt::format("has results format version {}, newer than this pse-sim understands ({}); "
                    "upgrade pse-sim",
                    kFormatVersion + 1, kFormatVersion)))
        << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    const auto x = pse_sim(fmt::format("export {} --csv {}", q(file), q(dir / "csv")));
    EXPECT_EQ(x.exit_code, 1);
    EXPECT_TRUE(contains(x.err, "newer than this pse-sim understands")) << x.err;
    EXPECT_TRUE(read_all(file) == before) << "reading must not change the file";
    try {
        (void)read_results(file);
        ADD_FAILURE() << "read_results accepted a newer format";
    } catch (const IoError& e) {
        EXPECT_TRUE(contains(e.what(), "upgrade pse-sim")) << e.what();
    }
}

TEST_F(BadInput, DamagedResultsFile) {
    const auto dir = fresh_dir("damaged");
    const auto file = dir / "r.h5";
    const std::string bytes = make_results(file);
    write_all(dir / "truncated.h5", bytes.substr(0, bytes.size() / 2));
    auto r = pse_sim(fmt::format("info {}", q(dir / "truncated.h5")));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.signal, 0);
    EXPECT_TRUE(contains(r.err, "error: ")) << r.err;
    {  // an HDF5 file that is not a results file
        const hid_t f =
            H5Fcreate((dir / "other.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        ASSERT_GE(f, 0);
        H5Fclose(f);
    }
    r = pse_sim(fmt::format("info {}", q(dir / "other.h5")));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, "is an HDF5 file but not a pse-sim results file")) << r.err;
    r = pse_sim(fmt::format("info {}", q(dir / "missing.h5")));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, "not found")) << r.err;
}

TEST_F(BadInput, CtrlCDuringSweep) {
    const auto dir = fresh_dir("ctrl_c");
    const auto target = dir / "existing.h5";
    const std::string before = make_results(target);
    const auto full = dir / "full.h5";
    bool interrupted = false;
    for (int samples : {40, 160, 640}) {  // larger if the machine finished before the signal
        const auto exp = dir / "exp.toml";
        write_all(
            exp,
            fmt::format(
                "[run]\nname = \"ctrl_c\"\nweeks = 104\n[ecosystem]\nmnc_count = "
                "20\nsupplier_count = 200\n"
                "[experiment]\ndesign = \"lhs\"\nsamples = {}\nreplications = 3\nseed = 3\n"
                "[[experiment.uncertainty]]\nkey = \"trust.gain_rate\"\nmin = 0.02\nmax = 0.08\n",
                samples));
        fs::remove_all(target.string() + ".parts");
        write_all(target, before);
        const auto t0 = Clock::now();
        auto child = spawn({"sweep", exp.string(), "-o", target.string(), "--overwrite", "-t", "1",
                            "--checkpoint-runs", "2"});
        ASSERT_GT(child.pid(), 0);
        // Wait until some runs are saved, then press Ctrl-C.
        const auto parts = fs::path(target.string() + ".parts");
        bool saw_shard = false;
        while (Clock::now() - t0 < std::chrono::seconds(30) && !saw_shard) {
            std::error_code ec;
            for (const auto& e : fs::directory_iterator(parts, ec))
                if (e.path().extension() == ".h5") saw_shard = true;
            if (!saw_shard) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        kill(child.pid(), SIGINT);
        const auto r = wait_for(child);
        if (r.exit_code == 0) continue;  // finished before the signal: try a bigger sweep
        ASSERT_TRUE(saw_shard) << r.err;
        EXPECT_EQ(r.exit_code, 130) << r.err;
        EXPECT_TRUE(contains(r.err, "interrupted: ")) << r.err;
        EXPECT_TRUE(contains(r.err, "rerun the same command with --resume")) << r.err;
        EXPECT_TRUE(fs::exists(parts)) << "the finished runs must be kept";
        EXPECT_TRUE(read_all(target) == before)
            << "an interrupted sweep changed the existing results file";
        expect_no_temp_files(dir);
        // Resume: finishes the missing runs; the result equals an uninterrupted run.
        const auto res =
            pse_sim(fmt::format("sweep {} -o {} --overwrite --resume -t 1", q(exp), q(target)));
        ASSERT_EQ(res.exit_code, 0) << res.err;
        EXPECT_TRUE(contains(res.err, "resumed: ")) << res.err;
        EXPECT_FALSE(fs::exists(parts));
        ASSERT_EQ(pse_sim(fmt::format("-q sweep {} -o {} -t 2", q(exp), q(full))).exit_code, 0);
        expect_same_results(full, target);
        expect_no_temp_files(dir);
        interrupted = true;
        break;
    }
    EXPECT_TRUE(interrupted) << "every sweep finished before Ctrl-C arrived";
}

TEST_F(BadInput, DamagedPartsFolder) {
    // Leftovers of an interrupted run (OUTPUT.parts) that were damaged or tampered with: stray
    // files are ignored, unreadable shards recomputed, and a shard with impossible run ids is
    // refused with a message (it used to be written out of bounds during the merge).
    const InterruptSetup setup = interrupt_setup(fresh_dir("damaged_parts"));
    const auto& [dir, scenario, target, clean, before] = setup;
    ASSERT_TRUE(fs::exists(clean));
    const auto args =
        fmt::format("run {} -r 8 --checkpoint-runs 1 -o {} --overwrite", q(scenario), q(target));
    auto interrupted = [&] {  // every run saved, the merge fails (file size limit)
        fs::remove_all(setup.target.string() + ".parts");
        const auto r = pse_sim_file_limit(fs::file_size(setup.clean) / 2, args);
        ASSERT_EQ(r.exit_code, 1) << r.err;
        ASSERT_TRUE(read_all(setup.target) == setup.before);
    };
    const fs::path parts = target.string() + ".parts";
    interrupted();
    write_all(parts / "part-abc.h5", "not a shard");  // stray name: ignored
    write_all(parts / "part-000099.h5", "garbage");   // unreadable: removed, recomputed
    write_all(parts / "part-000000.h5",
              read_all(parts / "part-000000.h5").substr(0, 100));  // truncated
    auto r = pse_sim(fmt::format("{} --resume", args));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "ignoring unreadable shard")) << r.err;
    expect_same_results(clean, target);
    write_all(target, before);

    interrupted();
    std::vector<RunRecord> bogus(1);
    bogus[0].run_id = 999;
    bogus[0].status = RunStatus::kFailed;
    const std::string fingerprint = read_all(parts / "manifest.txt").substr(0, 16);
    write_shard(parts / "part-000050.h5", bogus, 52, fingerprint);
    r = pse_sim(fmt::format("{} --resume", args));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.signal, 0);
    EXPECT_TRUE(contains(r.err, "holds run id 999, outside this experiment's 8 runs (damaged?)"))
        << r.err;
    EXPECT_TRUE(read_all(target) == before);
    expect_no_temp_files(dir);

    // Parts of a different experiment (9 replications instead of 8): one clear instruction, not
    // "delete it" and "rerun with --resume" at once.
    interrupted();
    r = pse_sim(fmt::format("run {} -r 9 -o {} --overwrite --resume", q(scenario), q(target)));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(contains(r.err,
                         "belongs to a different experiment (or a different version of it); delete "
                         "it to start over"))
        << r.err;
    EXPECT_FALSE(contains(r.err, "rerun the same command with --resume")) << r.err;
    EXPECT_TRUE(read_all(target) == before);
    EXPECT_TRUE(fs::exists(parts / "manifest.txt"));  // the other experiment's runs are not touched
}

TEST_F(BadInput, NetworkTooBigForMemory) {
    const std::string big =
        "[run]\nname = \"big\"\n[ecosystem]\nsupplier_count = 100000000\nsuppliers_per_mnc_min = "
        "1000000\n";
    auto r = refuse_scenario(
        "memory", big, 2,
        {"input.toml:4:", "key 'ecosystem.supplier_count': this ecosystem needs an estimated",
         "GiB, above the limit of 16.0 GiB"});
    // One design point of an experiment over the limit refuses the whole sweep before any run.
    r = refuse_scenario(
        "memory_exp",
        "[run]\nname = \"e\"\nweeks = 10\n[experiment]\ndesign = \"grid\"\nreplications = 1\n"
        "[[experiment.lever]]\nkey = \"ecosystem.supplier_count\"\nvalues = [100, 100000000]\n"
        "[[experiment.lever]]\nkey = \"ecosystem.suppliers_per_mnc_min\"\nvalues = [1000000.0]\n",
        2, {"design point 1: this ecosystem needs an estimated"}, "sweep");
    Scenario s;
    s.ecosystem.supplier_count = 100000000;
    s.ecosystem.suppliers_per_mnc_min = 1000000;
    EXPECT_GT(estimate_memory_bytes(s), 16.0 * (1ULL << 30));
    EXPECT_LT(estimate_memory_bytes(Scenario{}), 1e9);
}

TEST_F(BadInput, TooManyProblemsAndLongKeys) {
    // A million unknown keys took 100 s and printed a million lines before the limit; an 8 MB key
    // never finished (edit distance for "did you mean"). No wall-clock assertion (speed belongs in
    // benchmarks, and sanitizer builds are slow): a regression shows as the ctest timeout, and the
    // bounded output below is the observable property.
    std::string many;
    for (int i = 0; i < 200000; ++i) many += fmt::format("k{} = 1\n", i);
    auto r = refuse_scenario("many", many, 2, {"too many problems; stopped after 100"});
    EXPECT_LT(std::count(r.err.begin(), r.err.end(), '\n'), 110);
    r = refuse_scenario("long_key", std::string(4000000, 'a') + " = 1\n", 2,
                        {"... (4000000 characters)': unknown key"});
    EXPECT_LT(r.err.size(), 1000u);
}

TEST_F(BadInput, FuzzRegressions) {
    // Every input the fuzzer (scripts/fuzz) found lives in tests/fuzz/regressions/: each must load
    // or be refused with InputError by the library, and give exit 0 or 2 from `pse-sim validate`.
    const auto reg = test::source_dir() / "tests" / "fuzz" / "regressions";
    const auto dir = fresh_dir("fuzz_regressions");
    std::size_t n = 0;
    for (const auto& entry : fs::directory_iterator(reg)) {
        const auto& p = entry.path();
        SCOPED_TRACE(p.filename().string());
        const std::string text = read_all(p);
        const std::string toml = text.substr(0, text.find('\0'));
        try {
            (void)load_scenario_text(toml, "fuzz.toml");
        } catch (const InputError& e) {
            EXPECT_FALSE(e.problems().empty());
        }
        write_all(dir / "input.toml", toml);
        try {
            (void)load_experiment(dir / "input.toml", {}, 2000);
        } catch (const InputError& e) {
            EXPECT_FALSE(e.problems().empty());
        }
        const auto r = pse_sim(fmt::format("validate {}", q(p)));
        EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 2)
            << "exit " << r.exit_code << " signal " << r.signal << "\n"
            << r.err;
        ++n;
    }
    EXPECT_GE(n, 1u);
}

TEST_F(BadInput, FuzzCorpusHoldsNoCopyOfABundledScenario) {
    // The fuzzer's seeds are the bundled scenarios themselves (scripts/fuzz copies scenarios/*.toml
    // afresh for each run) plus the fuzz-only inputs of tests/fuzz/corpus/. A copy of a scenario
    // committed there drifts from the real one (three had), so none is allowed: by name or bytes.
    const auto corpus = test::source_dir() / "tests" / "fuzz" / "corpus";
    std::map<std::string, std::string> scenarios;  // bytes -> name
    for (const auto& e : fs::directory_iterator(test::source_dir() / "scenarios"))
        if (e.path().extension() == ".toml")
            scenarios.emplace(read_all(e.path()), e.path().filename().string());
    ASSERT_GE(scenarios.size(), 10u) << "scenarios/ not found";
    std::size_t seeds = 0;
    for (const auto& e : fs::directory_iterator(corpus)) {
        const auto name = e.path().filename().string();
        EXPECT_FALSE(fs::exists(test::source_dir() / "scenarios" / name))
            << "tests/fuzz/corpus/" << name << " copies scenarios/" << name
            << ": remove it (scripts/fuzz seeds from scenarios/)";
        const auto same = scenarios.find(read_all(e.path()));
        EXPECT_TRUE(same == scenarios.end())
            << "tests/fuzz/corpus/" << name << " is a copy of scenarios/"
            << (same == scenarios.end() ? "" : same->second);
        ++seeds;
    }
    EXPECT_GT(seeds, 0u) << "tests/fuzz/corpus/ is empty";
}

// ---------------------------------------------------------------------------------------------
// Rows of docs/BAD_INPUT.md added by the second hardening round.

TEST_F(BadInput, DesignChangesRunLength) {
    // A list, grid or LHS point that set run.weeks above the base file's weeks overflowed the
    // shard buffers (sized from the base scenario) in write_shard: `malloc(): invalid size`, or a
    // heap-buffer-overflow under ASan. Now refused before any run, with the factor's location.
    const std::string base =
        "[run]\nname = \"len\"\nweeks = 52\n[ecosystem]\nmnc_count = 10\nsupplier_count = 50\n";
    auto r = refuse_scenario("weeks_list",
                             base +
                                 "[experiment]\ndesign = \"list\"\nreplications = 2\n"
                                 "[[experiment.point]]\nset = { \"run.weeks\" = 52 }\n"
                                 "[[experiment.point]]\nset = { \"run.weeks\" = 104 }\n",
                             2, {"design point 1 sets run.weeks = 104", "base scenario's 52 weeks"},
                             "sweep");
    refuse_scenario("weeks_grid",
                    base +
                        "[experiment]\ndesign = \"grid\"\nreplications = 1\n"
                        "[[experiment.lever]]\nkey = \"run.weeks\"\nvalues = [26, 208]\n",
                    2, {"input.toml:", "experiment.lever[0].key", "sets run.weeks = 26"}, "sweep");
    refuse_scenario("weeks_lhs",
                    base +
                        "[experiment]\ndesign = \"lhs\"\nsamples = 4\nreplications = 1\n"
                        "[[experiment.uncertainty]]\nkey = \"run.weeks\"\nmin = 60\nmax = 300\n",
                    2, {"experiment.uncertainty[0].key", "sets run.weeks"}, "sweep");
    // A run.seed factor gave identical design points (seeds come from experiment.seed).
    refuse_scenario("seed_grid",
                    base +
                        "[experiment]\ndesign = \"grid\"\nreplications = 1\n"
                        "[[experiment.lever]]\nkey = \"run.seed\"\nvalues = [1, 2]\n",
                    2, {"run.seed cannot be varied"}, "sweep");
    // The writer side of the class: a record of another length is refused, never copied.
    const auto dir = fresh_dir("weeks_shard");
    std::vector<RunRecord> recs(1);
    recs[0].status = RunStatus::kDone;
    recs[0].output.weeks = 104;
    recs[0].output.summary.assign(kSummaryCount, 0.0);
    recs[0].output.series.assign(104 * kSeriesCount, 0.0);
    recs[0].output.pipeline.assign(104 * kStageCount, 0.0f);
    EXPECT_THROW(write_shard(dir / "part-000000.h5", recs, 52, "0123456789abcdef"), IoError);
    EXPECT_FALSE(fs::exists(dir / "part-000000.h5"));
    expect_no_temp_files(dir);
}

/// The tiny scenario as `pse-sim run DIR/tiny.toml -r reps` loads it (same fingerprint).
Experiment tiny_run_experiment(const fs::path& scenario, std::int64_t reps) {
    return single_experiment(load_scenario(scenario), reps);
}

/// Every run saved as a shard of `setup.target`.parts (run -r 8 --checkpoint-runs 1), the merge
/// failed (file size limit): the state just before assembly. Returns the shell arguments.
std::string all_runs_saved(const InterruptSetup& setup) {
    const auto args = fmt::format("run {} -r 8 --checkpoint-runs 1 -o {} --overwrite",
                                  q(setup.scenario), q(setup.target));
    fs::remove_all(setup.target.string() + ".parts");
    const auto r = pse_sim_file_limit(fs::file_size(setup.clean) / 2, args);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(read_all(setup.target) == setup.before);
    return args;
}

/// A sweep that takes a few seconds on one thread, saving every 2 runs: `samples` LHS points x 3.
fs::path slow_experiment(const fs::path& dir, int samples) {
    const auto exp = dir / "exp.toml";
    write_all(exp,
              fmt::format(
                  "[run]\nname = \"slow\"\nweeks = 104\n[ecosystem]\nmnc_count = "
                  "20\nsupplier_count = 200\n"
                  "[experiment]\ndesign = \"lhs\"\nsamples = {}\nreplications = 3\nseed = 3\n"
                  "[[experiment.uncertainty]]\nkey = \"trust.gain_rate\"\nmin = 0.02\nmax = 0.08\n",
                  samples));
    return exp;
}

/// Wait (up to 30 s) until `pred` holds or process `pid` has exited; true if `pred` held.
bool wait_until(pid_t pid, const std::function<bool()>& pred) {
    const auto t0 = Clock::now();
    while (Clock::now() - t0 < std::chrono::seconds(30)) {
        if (pred()) return true;
        siginfo_t info{};
        if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            info.si_pid == pid)
            return pred();  // exited (still to be reaped by wait_for)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
}

bool has_shard(const fs::path& parts) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(parts, ec))
        if (e.path().extension() == ".h5") return true;
    return false;
}

TEST_F(BadInput, TwoProcessesOnOneOutput) {
    // Issue 20: a second `sweep ... --resume` (the Slurm script adds --resume on resubmission)
    // started while the first still ran made the first exit 0 with 43 of 1,200 runs "not run".
    // Now the output is locked: the second is refused, naming the first, and the first's file is
    // complete.
    const auto dir = fresh_dir("two_writers");
    const auto target = dir / "out.h5", parts = fs::path(target.string() + ".parts");
    const auto lock = OutputLock::path_for(target);
    bool overlapped = false;
    for (int samples : {40, 160, 640}) {
        const auto exp = slow_experiment(dir, samples);
        fs::remove(target);
        fs::remove_all(parts);
        auto first = spawn(
            {"sweep", exp.string(), "-o", target.string(), "-t", "1", "--checkpoint-runs", "2"});
        ASSERT_GT(first.pid(), 0);
        // Observable state: the first has saved runs (it took the lock before creating the parts
        // folder).
        const bool running = wait_until(first.pid(), [&] { return has_shard(parts); });
        const auto second = pse_sim(fmt::format("sweep {} -o {} --resume -t 1", q(exp), q(target)));
        const auto r1 = wait_for(first);
        ASSERT_EQ(r1.exit_code, 0) << r1.err;
        if (!running || contains(second.err, "already exists"))
            continue;  // the first finished first: a bigger sweep
        EXPECT_EQ(second.exit_code, 1) << second.err;
        EXPECT_TRUE(contains(second.err,
                             fmt::format("another pse-sim process (pid {} on host ", first.pid())))
            << second.err;
        EXPECT_TRUE(contains(second.err, "is writing")) << second.err;
        // The first's file is complete and equals a sweep that ran alone.
        const auto ref = dir / "alone.h5";
        ASSERT_EQ(pse_sim(fmt::format("-q sweep {} -o {} -t 2", q(exp), q(ref))).exit_code, 0);
        expect_same_results(ref, target);
        const auto info = pse_sim(fmt::format("info {}", q(target)));
        EXPECT_TRUE(contains(info.out,
                             fmt::format("runs: {} ({} done, 0 failed)", samples * 3, samples * 3)))
            << info.out;
        EXPECT_FALSE(fs::exists(parts));
        EXPECT_FALSE(fs::exists(lock)) << "the lock file is removed with the lock";
        expect_no_temp_files(dir);
        overlapped = true;
        break;
    }
    EXPECT_TRUE(overlapped) << "every first sweep finished before the second started";

    // The lock itself, in one process (flock locks belong to the open file, so a second lock on
    // the same output conflicts even here): refused while held, free once released.
    const auto t2 = dir / "locked.h5";
    {
        OutputLock held(t2);
        try {
            OutputLock again(t2);
            ADD_FAILURE() << "a second lock on one output was granted";
        } catch (const IoError& e) {
            EXPECT_TRUE(contains(e.what(), fmt::format("pid {} on host ", getpid()))) << e.what();
        }
        SweepOptions so;
        so.target = t2;
        write_all(dir / "tiny.toml", kTiny);
        EXPECT_THROW((void)prepare_sweep(tiny_run_experiment(dir / "tiny.toml", 2), so), IoError);
        EXPECT_FALSE(fs::exists(t2.string() + ".parts"))
            << "a refused sweep created its parts folder";
    }
    EXPECT_FALSE(fs::exists(OutputLock::path_for(t2)));
    OutputLock after(t2);  // free again
}

TEST_F(BadInput, ShardMissingAtAssembly) {
    // Issue 20: a shard that disappeared before assembly gave "1200 run(s) done, 0 failed" and
    // exit 0 for a file with 944 runs. The assembly now checks that every run is there exactly
    // once before the file is renamed into place; otherwise exit 1 and the parts are kept.
    const InterruptSetup setup = interrupt_setup(fresh_dir("shard_missing"));
    const fs::path parts = setup.target.string() + ".parts";
    all_runs_saved(setup);
    const auto victim = parts / "part-000003.h5";
    const auto lost = read_shard_ids(victim);
    ASSERT_FALSE(lost.empty());
    fs::remove(victim);
    SweepOptions so;
    so.target = setup.target;
    so.overwrite = true;
    const Experiment e = tiny_run_experiment(setup.scenario, 8);
    try {
        (void)merge_shards(e, so, parts);
        ADD_FAILURE() << "a merge with a missing shard succeeded";
    } catch (const IoError& err) {
        EXPECT_TRUE(contains(
            err.what(),
            fmt::format("1 of this experiment's 8 runs are in no shard of {} (the first is run {})",
                        q(parts), lost.front())))
            << err.what();
    }
    EXPECT_TRUE(read_all(setup.target) == setup.before);
    EXPECT_TRUE(fs::exists(parts / "manifest.txt"));
    expect_no_temp_files(setup.dir);
    // A run id in two shards (two writers) is refused the same way.
    fs::copy_file(parts / "part-000004.h5", parts / "part-000044.h5");
    try {
        (void)merge_shards(e, so, parts);
        ADD_FAILURE() << "a merge with a run in two shards succeeded";
    } catch (const IoError& err) {
        EXPECT_TRUE(contains(err.what(), "is in two shards")) << err.what();
    }
    EXPECT_TRUE(read_all(setup.target) == setup.before);
    fs::remove(parts / "part-000044.h5");

    // End to end: a shard removed while a fresh sweep runs (by a clean-up job, a user) does not
    // harm the results: a fresh sweep stores each shard's runs into its (temporary) results file
    // as soon as the shard is written, so the file is complete (exit 0, every run done). A
    // resumed sweep assembles from the shards and refuses a missing one (above).
    const auto dir = fresh_dir("shard_missing_cli");
    const auto target = dir / "out.h5";
    const fs::path cparts = target.string() + ".parts";
    const int samples = 40;
    const auto exp = slow_experiment(dir, samples);
    auto child =
        spawn({"sweep", exp.string(), "-o", target.string(), "-t", "1", "--checkpoint-runs", "2"});
    ASSERT_GT(child.pid(), 0);
    wait_until(child.pid(), [&] { return fs::exists(cparts / "part-000000.h5"); });
    std::error_code ec;
    fs::remove(cparts / "part-000000.h5", ec);
    const auto r = wait_for(child);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto info = pse_sim(fmt::format("info {}", q(target)));
    EXPECT_TRUE(contains(info.out, fmt::format("({} done, 0 failed)", samples * 3))) << info.out;
    EXPECT_FALSE(fs::exists(cparts));
    expect_no_temp_files(dir);
    const auto ref = dir / "ref.h5";
    ASSERT_EQ(pse_sim(fmt::format("-q sweep {} -o {} -t 2", q(exp), q(ref))).exit_code, 0);
    expect_same_results(ref, target);
}

TEST_F(BadInput, FailedRunsAfterResume) {
    // Issue 20: runs that failed (std::bad_alloc under a memory limit), then an interruption and
    // --resume, ended with exit 0 and "0 failed" while the file recorded the failures. Now the
    // counts come from the file, and --resume runs failed runs again.
    const InterruptSetup setup = interrupt_setup(fresh_dir("failed_resume"));
    const fs::path parts = setup.target.string() + ".parts";
    const auto args = all_runs_saved(setup);
    const auto victim = parts / "part-000002.h5";
    auto recs = read_shard(victim, 52);
    ASSERT_EQ(recs.size(), 1u);
    const auto failed_id = recs[0].run_id;
    recs[0].status = RunStatus::kFailed;
    recs[0].error = "std::bad_alloc";
    recs[0].output = RunOutput{};
    const std::string fingerprint = read_all(parts / "manifest.txt").substr(0, 16);
    write_shard(victim, recs, 52, fingerprint);
    // The file's counts: 7 done, 1 failed (library).
    {
        const auto copy = setup.dir / "copy.parts";
        fs::copy(parts, copy);
        SweepOptions so;
        so.target = setup.dir / "merged.h5";
        const auto tally = merge_shards(tiny_run_experiment(setup.scenario, 8), so, copy);
        EXPECT_EQ(tally.done, 7);
        EXPECT_EQ(tally.failed, 1);
        const auto r = read_results(so.target, false);
        EXPECT_EQ(r.status[static_cast<std::size_t>(failed_id)],
                  static_cast<std::int8_t>(RunStatus::kFailed));
        const auto info = pse_sim(fmt::format("info {}", q(so.target)));
        EXPECT_TRUE(contains(info.out, "(7 done, 1 failed)")) << info.out;
    }
    // --resume runs the failed run again: the file equals an uninterrupted run's, and says so.
    const auto r = pse_sim(fmt::format("{} --resume", args));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "1 run(s) that failed before will be run again")) << r.err;
    EXPECT_TRUE(contains(r.out, "8 run(s) done, 0 failed, 7 reused, 1 failed before and run again"))
        << r.out;
    expect_same_results(setup.clean, setup.target);
}

TEST_F(BadInput, ShardFromAnotherExperiment) {
    // Issue 20: a shard copied into a parts folder was assembled into the results (run 253 silently
    // from experiment A). Every shard carries its experiment's fingerprint; a foreign one is
    // refused.
    const InterruptSetup setup = interrupt_setup(fresh_dir("foreign_shard"));
    const fs::path parts = setup.target.string() + ".parts";
    const auto args = all_runs_saved(setup);
    auto recs = read_shard(parts / "part-000000.h5", 52);
    write_shard(parts / "part-000077.h5", recs, 52, "ffffffffffffffff");
    auto r = pse_sim(fmt::format("{} --resume", args));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(contains(
        r.err, "part-000077.h5' belongs to a different experiment (fingerprint ffffffffffffffff"))
        << r.err;
    EXPECT_TRUE(read_all(setup.target) == setup.before);
    EXPECT_TRUE(fs::exists(parts / "part-000077.h5")) << "the foreign shard is not deleted";
    // The merge checks it too (a shard that arrives after the start).
    SweepOptions so;
    so.target = setup.target;
    so.overwrite = true;
    EXPECT_THROW((void)merge_shards(tiny_run_experiment(setup.scenario, 8), so, parts), IoError);
    EXPECT_TRUE(read_all(setup.target) == setup.before);
    // Moved away, the resume finishes.
    fs::remove(parts / "part-000077.h5");
    r = pse_sim(fmt::format("{} --resume", args));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_same_results(setup.clean, setup.target);
}

TEST_F(BadInput, OutputNotARegularFile) {
    // Issue 20: `run ... -o /dev/null --overwrite` as root renamed the results over /dev/null.
    // Any existing output that is not a regular file is refused, even with --overwrite (tested on
    // a named pipe and a symbolic link, which any user can make; a device node is the same class).
    const auto dir = fresh_dir("not_regular_out");
    const auto target = dir / "existing.h5";
    const std::string before = make_results(target);
    write_all(dir / "tiny.toml", kTiny);
    const auto fifo = dir / "pipe.h5";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
    auto r = pse_sim_timeout(
        20, fmt::format("run {} -r 2 -o {} --overwrite", q(dir / "tiny.toml"), q(fifo)));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(contains(r.err, "is a named pipe (FIFO), not a results file")) << r.err;
    EXPECT_EQ(fs::symlink_status(fifo).type(), fs::file_type::fifo) << "the pipe was replaced";
    // A symbolic link: decided (docs/BAD_INPUT.md): refused, the link and its file untouched.
    const auto link = dir / "link.h5";
    fs::create_symlink(target, link);
    r = pse_sim(fmt::format("run {} -r 2 -o {} --overwrite", q(dir / "tiny.toml"), q(link)));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(contains(r.err, "is a symbolic link, not a results file")) << r.err;
    EXPECT_TRUE(fs::is_symlink(link));
    EXPECT_TRUE(read_all(target) == before);
    // Reading: `info` on a pipe answers at once instead of blocking in open().
    r = pse_sim_timeout(20, fmt::format("info {}", q(fifo)));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(contains(r.err, "is not a regular file")) << r.err;
    // Export into a folder where a CSV name is a pipe.
    fs::create_directories(dir / "csv");
    ASSERT_EQ(mkfifo((dir / "csv" / "runs.csv").c_str(), 0644), 0);
    r = pse_sim_timeout(20, fmt::format("export {} --csv {}", q(target), q(dir / "csv")));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(contains(r.err, "exists and is not a regular file")) << r.err;
    expect_no_temp_files(dir);
    EXPECT_FALSE(fs::exists(fifo.string() + ".parts"));
}

TEST_F(BadInput, NonRegularInputFiles) {
    // Issue 20: a FIFO given as a scenario, or present in the parts folder, hung the process for
    // ever in open() (and it ignored SIGINT and SIGTERM). Refused before anything opens it.
    const auto dir = fresh_dir("not_regular_in");
    const auto fifo = dir / "pipe.toml";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
    for (const std::string cmd : {"validate", "run", "sweep", "show"}) {
        SCOPED_TRACE(cmd);
        const auto r = pse_sim_timeout(20, fmt::format("{} {}", cmd, q(fifo)));
        EXPECT_EQ(r.exit_code, 2) << r.err << " signal " << r.signal;
        EXPECT_TRUE(
            contains(r.err, "pipe.toml: is a pipe (FIFO), e.g. from <(...), not a regular file"))
            << r.err;
    }
    // A FIFO named like a shard in the parts folder: ignored with a warning, its runs computed.
    const InterruptSetup setup = interrupt_setup(fresh_dir("fifo_shard"));
    const fs::path parts = setup.target.string() + ".parts";
    const auto args = all_runs_saved(setup);
    fs::remove(parts / "part-000001.h5");
    ASSERT_EQ(mkfifo((parts / "part-000001.h5").c_str(), 0644), 0);
    ASSERT_EQ(mkfifo((parts / "manifest.txt.tmp").c_str(), 0644), 0);
    const auto r = pse_sim_timeout(60, fmt::format("{} --resume", args));
    ASSERT_EQ(r.exit_code, 0) << r.err << " signal " << r.signal;
    EXPECT_TRUE(contains(r.err, "part-000001.h5': it is a named pipe (FIFO), not a shard file"))
        << r.err;
    expect_same_results(setup.clean, setup.target);
}

TEST_F(BadInput, NameIsNotAPath) {
    // Issue 20: the default output is results/<run.name>.h5, and name = "../../escape" wrote
    // outside results/, "a/../b" created folders, "" wrote results/.h5. A name is a label.
    const auto dir = fresh_dir("name_path");
    for (const std::string name : {"../../escape", "a/../b", "", ".hidden"}) {
        SCOPED_TRACE(name);
        write_all(dir / "n.toml", fmt::format("[run]\nname = \"{}\"\nweeks = 10\n", name));
        const auto r = pse_sim(fmt::format("validate {}", q(dir / "n.toml")));
        EXPECT_EQ(r.exit_code, 2) << r.err;
        EXPECT_TRUE(contains(r.err, "n.toml:2:8: key 'run.name': a name ")) << r.err;
        EXPECT_TRUE(contains(r.err, "a name is a label, not a path")) << r.err;
        // --set is checked the same way.
        write_all(dir / "ok.toml", "[run]\nname = \"ok\"\nweeks = 10\n");
        const auto s =
            pse_sim(fmt::format("show {} --set 'run.name=\"{}\"'", q(dir / "ok.toml"), name));
        EXPECT_EQ(s.exit_code, 2) << s.err;
    }
    refuse_scenario("name_exp",
                    "[run]\nname = \"fine\"\nweeks = 10\n[experiment]\nname = "
                    "\"x/../../y\"\ndesign = \"grid\"\nreplications = 1\n"
                    "[[experiment.lever]]\nkey = \"trust.gain_rate\"\nvalues = [0.02]\n",
                    2, {"key 'experiment.name': a name cannot contain '/'"}, "sweep");
    // Bidirectional overrides (U+202E) make a name display as something else.
    refuse_scenario("name_bidi", "[run]\nname = \"report\u202Efdp.exe\"\nweeks = 10\n", 2,
                    {"bidirectional control character U+202E"});
    EXPECT_FALSE(fs::exists(dir / "results"));
}

TEST_F(BadInput, StaleTemporaryFiles) {
    // Issue 20: a kill during the final assembly left a hidden .NAME.tmp-PID beside the output,
    // one per kill. The next run or resume of the same output removes them (it holds the output's
    // lock, so no other pse-sim is writing one); temporaries of other outputs are not touched.
    const auto dir = fresh_dir("stale_tmp");
    write_all(dir / "tiny.toml", kTiny);
    write_all(dir / ".out.h5.tmp-4242", "half a results file");
    write_all(dir / ".out.h5.tmp-77", "another");
    write_all(dir / ".other.h5.tmp-1", "someone else's");
    write_all(dir / ".out.h5.tmp-notapid", "not ours");
    const auto r =
        pse_sim(fmt::format("run {} -r 2 -o {}", q(dir / "tiny.toml"), q(dir / "out.h5")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "a temporary file left by an earlier, interrupted run")) << r.err;
    EXPECT_FALSE(fs::exists(dir / ".out.h5.tmp-4242"));
    EXPECT_FALSE(fs::exists(dir / ".out.h5.tmp-77"));
    EXPECT_TRUE(fs::exists(dir / ".other.h5.tmp-1"));
    EXPECT_TRUE(fs::exists(dir / ".out.h5.tmp-notapid"));
}

TEST_F(BadInput, ManifestOnAFullDisk) {
    // Issue 20: an empty manifest.txt written on a full disk without noticing led to a loop:
    // --resume said "belongs to a different experiment", a plain run "rerun with --resume".
    const InterruptSetup setup = interrupt_setup(fresh_dir("manifest_full"));
    const fs::path parts = setup.target.string() + ".parts";
    const auto args = fmt::format("run {} -r 8 --checkpoint-runs 1 -o {} --overwrite",
                                  q(setup.scenario), q(setup.target));
    // Nothing can be written (file size limit 0): the manifest write fails and says so; no parts
    // folder is left. stderr goes through a pipe (not limited by RLIMIT_FSIZE).
    auto r = pse_sim_file_limit(0, args);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(contains(r.err, "manifest.txt': File too large (is the disk full?)")) << r.err;
    EXPECT_FALSE(fs::exists(parts));
    EXPECT_TRUE(read_all(setup.target) == setup.before);
    expect_no_temp_files(setup.dir);
    // An empty manifest (as older versions left it) without shards: --resume starts afresh.
    fs::create_directories(parts);
    write_all(parts / "manifest.txt", "");
    r = pse_sim(args);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(contains(r.err, "had not saved any run yet; rerun with --resume")) << r.err;
    r = pse_sim(fmt::format("{} --resume", args));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_same_results(setup.clean, setup.target);
    // An empty or partial manifest beside shards of this experiment: rewritten, the runs kept.
    write_all(setup.target, setup.before);
    for (const std::string text : {"", "0123456"}) {
        all_runs_saved(setup);
        write_all(parts / "manifest.txt", text);
        r = pse_sim(fmt::format("{} --resume", args));
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_TRUE(contains(r.err, "was empty or incomplete")) << r.err;
        EXPECT_TRUE(contains(r.err, "resumed: 8 finished run(s) reused")) << r.err;
        expect_same_results(setup.clean, setup.target);
        write_all(setup.target, setup.before);
    }
}

TEST_F(BadInput, OutputChecksBeforeTheFirstRun) {
    // Issue 20: the same key as a lever and an uncertainty, or an output name too long for the
    // file system, computed every run and then failed with "HDF5 error ... is the disk full?" and a
    // --resume hint that could never work. Both are found before the first run.
    auto r = refuse_scenario(
        "lever_twice",
        "[run]\nname = \"twice\"\nweeks = 10\n[experiment]\ndesign = \"grid\"\nreplications = 1\n"
        "[[experiment.lever]]\nkey = \"trust.gain_rate\"\nvalues = [0.02, 0.05]\n"
        "[[experiment.uncertainty]]\nkey = \"trust.gain_rate\"\nvalues = [0.03]\n",
        2,
        {"input.toml:",
         "key 'experiment.uncertainty[0].key': 'trust.gain_rate' is already varied by "
         "experiment.lever[0]; vary each parameter once"},
        "sweep");
    const auto dir = fresh_dir("long_name");
    write_all(dir / "tiny.toml", kTiny);
    const auto longname =
        dir / (std::string(242, 'n') + ".h5");  // fits; its temporary file would not
    r = pse_sim(fmt::format("run {} -r 2 -o {}", q(dir / "tiny.toml"), q(longname)));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(contains(r.err, "bytes long; this file system allows names of at most 255 bytes"))
        << r.err;
    EXPECT_FALSE(contains(r.err, "--resume")) << r.err;
    EXPECT_EQ(test::list_dir(dir), std::vector<std::string>{"tiny.toml"});
}

TEST_F(BadInput, StrictNumbersInKeysAndOptions) {
    // Issue 20: `ngo[-1]` was reported as ngo[18446744073709551615]; option values were converted
    // loosely (-r 0x10 ran 16 replications, -r 99999999999999999999 became 9223372036854775807).
    const auto dir = fresh_dir("strict_numbers");
    write_all(dir / "tiny.toml", kTiny);
    const auto tiny = q(dir / "tiny.toml");
    for (const std::string idx : {"-1", "+0", "0x0", " 0", "1x", ""}) {
        SCOPED_TRACE(idx);
        const auto r = pse_sim(fmt::format("show {} --set 'ngo[{}].dedicated_fte=1'", tiny, idx));
        EXPECT_EQ(r.exit_code, 2) << r.err;
        EXPECT_TRUE(contains(r.err, "must be a number (0, 1, ...) or *")) << r.err;
        EXPECT_FALSE(contains(r.err, "18446744073709551615")) << r.err;
    }
    write_all(dir / "exp.toml",
              std::string(kTiny) +
                  "[[ngo]]\nname = \"a\"\n[experiment]\ndesign = \"list\"\nreplications = 1\n"
                  "[[experiment.point]]\nset = { \"ngo[-1].dedicated_fte\" = 1.0 }\n");
    auto r = pse_sim(fmt::format("validate {}", q(dir / "exp.toml")));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, "array index '-1' must be a number")) << r.err;
    const std::vector<std::pair<std::string, std::string>> options = {
        {"-r 1e20",
         "--replications: must be at least 1, got 1e20 (write a whole number with digits only)"},
        {"-r 0x10", "--replications: must be at least 1, got 0x10"},
        {"-r 99999999999999999999",
         "--replications: must be at most 100000000, got 99999999999999999999"},
        {"-r 0", "--replications: must be at least 1, got 0"},
        {"--seed 1e3", "--seed: must be 0 or more, got 1e3"},
        {"--seed -5", "--seed: must be 0 or more, got -5"},
        {"-t 2.5", "--threads: must be 0 or more, got 2.5"},
        {"--checkpoint-runs 99999999999999999999", "--checkpoint-runs: must be at most"},
        {"--checkpoint-seconds inf", "--checkpoint-seconds: must be 0 or more, got inf"},
    };
    for (const auto& [opt, msg] : options) {
        SCOPED_TRACE(opt);
        r = pse_sim(fmt::format("run {} -o {} {}", tiny, q(dir / "o.h5"), opt));
        EXPECT_EQ(r.exit_code, 2) << r.err;
        EXPECT_TRUE(contains(r.err, msg)) << r.err;
        EXPECT_FALSE(fs::exists(dir / "o.h5"));
    }
    // More threads than the machine has: our own note, not oneTBB's raw warning.
    r = pse_sim(fmt::format("run {} -r 2 -o {} -t 1000", tiny, q(dir / "o.h5")));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(contains(r.err, "TBB Warning")) << r.err;
    EXPECT_TRUE(contains(r.err, "-t 1000: this machine has")) << r.err;
}

TEST_F(BadInput, HangUpStopsCleanly) {
    // Issue 20 (rough edge): SIGHUP (a closed terminal or ssh session) ended with 129 and no
    // message; it now stops like SIGTERM: finished runs kept, exit 130, --resume finishes.
    const auto dir = fresh_dir("sighup");
    const auto target = dir / "out.h5";
    const fs::path parts = target.string() + ".parts";
    bool stopped = false;
    for (int samples : {40, 160, 640}) {
        const auto exp = slow_experiment(dir, samples);
        fs::remove(target);
        fs::remove_all(parts);
        auto child = spawn(
            {"sweep", exp.string(), "-o", target.string(), "-t", "1", "--checkpoint-runs", "2"});
        ASSERT_GT(child.pid(), 0);
        wait_until(child.pid(), [&] { return has_shard(parts); });
        kill(child.pid(), SIGHUP);
        const auto r = wait_for(child);
        if (r.exit_code == 0) continue;  // finished before the signal
        EXPECT_EQ(r.signal, 0) << "killed by SIGHUP";
        EXPECT_EQ(r.exit_code, 130) << r.err;
        EXPECT_TRUE(contains(r.err, "interrupted: ")) << r.err;
        EXPECT_FALSE(fs::exists(OutputLock::path_for(target)));
        const auto res = pse_sim(fmt::format("-q sweep {} -o {} --resume -t 2", q(exp), q(target)));
        EXPECT_EQ(res.exit_code, 0) << res.err;
        stopped = true;
        break;
    }
    EXPECT_TRUE(stopped) << "every sweep finished before SIGHUP arrived";
}

}  // namespace
}  // namespace pse
