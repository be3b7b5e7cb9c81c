#include <gtest/gtest.h>

#include "support/cli_run.h"
#include "support/fixtures.h"

// Integration tests of the pse-sim command line (sim/cli/main.cpp), run as a child process on
// tiny scenarios in temporary folders: options, exit codes (0 ok, 1 runtime/I-O, 2 bad input),
// output files, no overwriting without --overwrite, nothing half-written left behind.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "pse/errors.h"
#include "pse/results.h"
#include "pse/version.h"

namespace pse {
namespace {

namespace fs = std::filesystem;

using test::read_all;
using test::write_all;

fs::path fresh_dir(const std::string& name) {
    return test::fresh_dir("cli", name);
}
using test::list_dir;

using test::run_cli;

/// Element-wise equal, NaN equal to NaN (series such as mean_trust are NaN in weeks without data).
bool same_values(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
    return true;
}

bool has(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

std::string q(const fs::path& p) {
    std::string s(
        1,
        '\'');  // built by appending: GCC 12 warns (-Wrestrict, a false positive) on "'" + string
    s.append(p.string()).push_back('\'');
    return s;
}

const char* const kTiny = test::kTinyScenario;

fs::path tiny_in(const fs::path& dir) {
    const auto f = dir / "tiny.toml";
    write_all(f, kTiny);
    return f;
}

// ---------------------------------------------------------------------------------------------
// Version and help

TEST(Cli, VersionPrintsVersionAndCommit) {
    const auto dir = fresh_dir("version");
    const auto r = run_cli("--version");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(has(r.out, std::string("pse-sim ") + kVersion)) << r.out;
    EXPECT_TRUE(has(r.out, kGitCommit)) << r.out;
}

TEST(Cli, HelpMentionsEverySubcommandAndOption) {
    const auto dir = fresh_dir("help");
    const auto r = run_cli("--help");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (const char* word : {"run", "sweep", "export", "validate", "show", "params", "info",
                             "--verbose", "-v", "--quiet", "-q", "--version", "--help"})
        EXPECT_TRUE(has(r.out, word)) << "--help lacks " << word << "\n" << r.out;
}

TEST(Cli, RunHelpMentionsEveryOption) {
    const auto dir = fresh_dir("runhelp");
    const auto r = run_cli("run --help");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (const char* word : {"scenario", "-o", "--output", "-r", "--replications", "--seed",
                             "--set", "--overwrite", "--resume", "-t", "--threads", "--help"})
        EXPECT_TRUE(has(r.out, word)) << "run --help lacks " << word << "\n" << r.out;
}

TEST(Cli, OtherSubcommandHelps) {
    const auto dir = fresh_dir("subhelp");
    for (const std::string sub : {"validate", "show", "params", "info"}) {
        const auto r = run_cli(sub + " --help");
        EXPECT_EQ(r.exit_code, 0) << sub << ": " << r.err;
        EXPECT_FALSE(r.out.empty()) << sub;
    }
    EXPECT_TRUE(has(run_cli("show --help").out, "--set"));
}

TEST(Cli, UsageErrorsExit2) {
    const auto dir = fresh_dir("usage");
    EXPECT_EQ(run_cli("").exit_code, 2);            // no subcommand
    EXPECT_EQ(run_cli("frobnicate").exit_code, 2);  // unknown subcommand
    EXPECT_EQ(run_cli("run").exit_code, 2);         // missing scenario
    EXPECT_EQ(run_cli("run x.toml --no-such-flag").exit_code, 2);
    EXPECT_EQ(run_cli("run x.toml -r many").exit_code, 2);  // not a number
    EXPECT_TRUE(list_dir(dir).empty());
}

// ---------------------------------------------------------------------------------------------
// run

TEST(Cli, RunWritesResultsAndPrintsSummary) {
    const auto dir = fresh_dir("run");
    const auto scen = tiny_in(dir);
    const auto out = dir / "tiny.h5";
    const auto r = run_cli("run " + q(scen) + " -o " + q(out) + " -r 3 -t 2");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(fs::exists(out));
    EXPECT_TRUE(has(r.out, "Scenario 'tiny'")) << r.out;
    EXPECT_TRUE(has(r.out, "Agreements signed")) << r.out;
    EXPECT_TRUE(has(r.out, "Engagements initiated")) << r.out;
    EXPECT_TRUE(has(r.out, "3 run(s) done, 0 failed")) << r.out;
    EXPECT_TRUE(has(r.out, out.string())) << r.out;
    const auto data = read_results(out);
    EXPECT_EQ(data.n_runs, 3);
    EXPECT_EQ(data.weeks, 52);
    EXPECT_EQ(data.attrs.at("scenario_name"), "tiny");
    EXPECT_EQ(data.attrs.at("replications"), "3");
    EXPECT_TRUE(has(data.attrs.at("command_line"), "run")) << data.attrs.at("command_line");
    for (auto s : data.status) EXPECT_EQ(s, static_cast<std::int8_t>(RunStatus::kDone));
    EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"tiny.h5", "tiny.toml"}));  // no temp files
}

TEST(Cli, RunIsReproducibleAndSeedOverrideChangesIt) {
    const auto dir = fresh_dir("repro");
    const auto scen = tiny_in(dir);
    ASSERT_EQ(run_cli("-q run " + q(scen) + " -r 2 -o " + q(dir / "a.h5")).exit_code, 0);
    ASSERT_EQ(run_cli("-q run " + q(scen) + " -r 2 -t 1 -o " + q(dir / "b.h5")).exit_code, 0);
    ASSERT_EQ(run_cli("-q run " + q(scen) + " -r 2 --seed 8 -o " + q(dir / "c.h5")).exit_code, 0);
    const auto a = read_results(dir / "a.h5"), b = read_results(dir / "b.h5"),
               c = read_results(dir / "c.h5");
    EXPECT_EQ(a.seed, b.seed);
    EXPECT_EQ(a.series.at("engagements_active"), b.series.at("engagements_active"));
    EXPECT_EQ(a.series.at("staff_hours"), b.series.at("staff_hours"));
    EXPECT_NE(a.seed, c.seed);
}

TEST(Cli, QuietPrintsNothingOnSuccess) {
    const auto dir = fresh_dir("quiet");
    const auto scen = tiny_in(dir);
    const auto r = run_cli("-q run " + q(scen) + " -r 1 -o " + q(dir / "q.h5"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_TRUE(r.err.empty()) << r.err;
    EXPECT_TRUE(fs::exists(dir / "q.h5"));
}

TEST(Cli, GlobalFlagsAfterTheSubcommand) {
    // Users naturally write `pse-sim run FILE -q`; the flags are global, so they must also work
    // there.
    const auto dir = fresh_dir("flags_after");
    const auto scen = tiny_in(dir);
    const auto before = run_cli("-q run " + q(scen) + " -r 1 -o " + q(dir / "a.h5"));
    ASSERT_EQ(before.exit_code, 0) << before.err;
    const auto after = run_cli("run " + q(scen) + " -r 1 -o " + q(dir / "b.h5") + " -q");
    EXPECT_EQ(after.exit_code, 0) << after.err;
    EXPECT_TRUE(after.out.empty()) << after.out;
}

TEST(Cli, RunSetOverridesReachTheResults) {
    const auto dir = fresh_dir("set");
    const auto scen = tiny_in(dir);
    const auto out = dir / "set.h5";
    const auto r = run_cli("-q run " + q(scen) + " -r 1 -o " + q(out) +
                           " --set run.name=renamed --set 'ngo[*].dedicated_fte=0'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_results(out, false).attrs.at("scenario_name"), "renamed");
}

TEST(Cli, BadScenarioExit2WithFileLineKey) {
    const auto dir = fresh_dir("bad");
    const auto scen = dir / "bad.toml";
    write_all(scen, std::string(kTiny) + "\n[trust]\ngain_rat = 0.1\n");
    const int line =
        static_cast<int>(std::count(kTiny, kTiny + std::char_traits<char>::length(kTiny), '\n')) +
        3;
    const auto r = run_cli("run " + q(scen) + " -o " + q(dir / "bad.h5"));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(has(r.err, scen.string() + ":" + std::to_string(line) + ":")) << r.err;
    EXPECT_TRUE(has(r.err, "trust.gain_rat")) << r.err;
    EXPECT_TRUE(has(r.err, "did you mean 'trust.gain_rate'")) << r.err;
    EXPECT_FALSE(fs::exists(dir / "bad.h5"));
    EXPECT_EQ(list_dir(dir), std::vector<std::string>{"bad.toml"});
}

TEST(Cli, EachClassOfBadInputExits2) {
    const auto dir = fresh_dir("badclasses");
    struct Case {
        std::string name, text, expect;
    };
    const std::vector<Case> cases = {
        {"syntax", "[run]\nweeks = = 3\n", ":2:"},
        {"unknown", "[run]\nwekes = 3\n", "run.wekes"},
        {"type", "[trust]\ngain_rate = \"fast\"\n", "trust.gain_rate"},
        {"range", "[ngo_defaults]\npart_time_share = 1.5\n", "ngo_defaults.part_time_share"},
        {"nan", "[trust]\ngain_rate = nan\n", "trust.gain_rate"},
        {"float_int", "[run]\nweeks = 52.5\n", "run.weeks"},
        {"date", "[trust]\ngain_rate = 2024-01-01\n", "trust.gain_rate"},
        {"end_before_start", "[ngo_defaults]\nstart_week = 100\nend_week = 50\n",
         "ngo_defaults.end_week"},
    };
    for (const auto& c : cases) {
        const auto f = dir / (c.name + ".toml");
        write_all(f, c.text);
        const auto r = run_cli("run " + q(f) + " -o " + q(dir / (c.name + ".h5")));
        EXPECT_EQ(r.exit_code, 2) << c.name << ": " << r.err;
        EXPECT_TRUE(has(r.err, f.string() + ":")) << c.name << ": " << r.err;
        EXPECT_TRUE(has(r.err, c.expect)) << c.name << ": " << r.err;
        EXPECT_FALSE(fs::exists(dir / (c.name + ".h5"))) << c.name;
    }
}

TEST(Cli, MultipleProblemsAllReported) {
    const auto dir = fresh_dir("multi");
    const auto f = dir / "multi.toml";
    write_all(f, "[run]\nweeks = \"x\"\n[trust]\ngain_rate = -1\ndecay_rate = inf\n");
    const auto r = run_cli("validate " + q(f));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(has(r.err, "run.weeks")) << r.err;
    EXPECT_TRUE(has(r.err, "trust.gain_rate")) << r.err;
    EXPECT_TRUE(has(r.err, "trust.decay_rate")) << r.err;
    EXPECT_TRUE(has(r.err, "3 problems found")) << r.err;
}

TEST(Cli, MissingScenarioExit2) {
    const auto dir = fresh_dir("missing");
    const auto r = run_cli("run " + q(dir / "nope.toml") + " -o " + q(dir / "out.h5"));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(has(r.err, (dir / "nope.toml").string())) << r.err;
    EXPECT_TRUE(has(r.err, "not found")) << r.err;
    EXPECT_TRUE(list_dir(dir).empty());
}

TEST(Cli, BadOverrideAndReplicationsExit2) {
    const auto dir = fresh_dir("badset");
    const auto scen = tiny_in(dir);
    auto r = run_cli("run " + q(scen) + " -o " + q(dir / "o.h5") + " --set trust.gain_rate=7");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    // The problem is the --set value, not the file: say so (the value has no line in the file).
    EXPECT_TRUE(has(
        r.err, "error: --set trust.gain_rate=7: key 'trust.gain_rate': value 7 is out of range"))
        << r.err;
    r = run_cli("run " + q(scen) + " -o " + q(dir / "o.h5") +
                " --set trust.gain_rat=0.1 --set 'ngo[*].dedicated_fte=x'");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(has(r.err,
                    "error: --set trust.gain_rat=0.1: key 'trust.gain_rat': unknown key; did you "
                    "mean 'trust.gain_rate'?"))
        << r.err;
    EXPECT_TRUE(has(r.err, "error: --set ngo[*].dedicated_fte=x: key 'ngo_defaults.dedicated_fte'"))
        << r.err;
    EXPECT_FALSE(has(r.err, "tiny.toml")) << r.err;
    r = run_cli("run " + q(scen) + " -o " + q(dir / "o.h5") + " --set novalue");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    r = run_cli("run " + q(scen) + " -o " + q(dir / "o.h5") + " -r 0");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(has(r.err, "--replications")) << r.err;
    EXPECT_EQ(list_dir(dir), std::vector<std::string>{"tiny.toml"});
}

TEST(Cli, ExistingOutputNeedsOverwrite) {
    const auto dir = fresh_dir("overwrite");
    const auto scen = tiny_in(dir);
    const auto out = dir / "out.h5";
    write_all(out, "previous results\n");
    auto r = run_cli("run " + q(scen) + " -r 1 -o " + q(out));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(has(r.err, "already exists")) << r.err;
    EXPECT_TRUE(has(r.err, "--overwrite")) << r.err;
    EXPECT_EQ(read_all(out), "previous results\n");
    EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"out.h5", "tiny.toml"}));

    r = run_cli("run " + q(scen) + " -r 1 -o " + q(out) + " --overwrite");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(read_all(out), "previous results\n");
    EXPECT_EQ(read_results(out).n_runs, 1);
    EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"out.h5", "tiny.toml"}));
}

TEST(Cli, FailedRunLeavesNothingBehind) {
    const auto dir = fresh_dir("failed");
    const auto scen = tiny_in(dir);
    // Output folder missing: I/O failure, exit 1, nothing created.
    auto r = run_cli("run " + q(scen) + " -r 1 -o " + q(dir / "nodir" / "out.h5"));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(has(r.err, "does not exist")) << r.err;
    EXPECT_FALSE(fs::exists(dir / "nodir"));
    // Invalid input after the file was read (memory of a huge ecosystem): exit 2, nothing written.
    r = run_cli("run " + q(scen) + " -r 1 -o " + q(dir / "huge.h5") +
                " --set ecosystem.supplier_count=100000000 --set ecosystem.mnc_count=10000000");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(has(r.err, "GiB")) << r.err;
    // Output path ending in a separator (names a folder).
    r = run_cli("run " + q(scen) + " -r 1 -o " + q(dir.string() + "/"));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(list_dir(dir), std::vector<std::string>{"tiny.toml"});
}

TEST(Cli, OutputThatIsAnExistingFolder) {
    const auto dir = fresh_dir("outfolder");
    const auto scen = tiny_in(dir);
    fs::create_directories(dir / "sub");
    const auto r = run_cli("run " + q(scen) + " -r 1 -o " + q(dir / "sub") + " --overwrite");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(fs::is_directory(dir / "sub"));
    EXPECT_TRUE(list_dir(dir / "sub").empty());
    // Refused before any run: no parts folder, no temporary file.
    EXPECT_TRUE(has(r.err, "folder")) << r.err;
    EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"sub", "tiny.toml"}));
}

TEST(Cli, InterruptedRunExits130AndKeepsOnlyCompleteShards) {
    // Start a long run (50000 replications on one thread), wait until its parts folder exists
    // (the signal handler is installed by then), send SIGINT, and expect a clean stop: exit 130,
    // no results file and no temporary file beside it, only complete shards kept for --resume.
    const auto dir = fresh_dir("interrupt");
    const auto out = dir / "long.h5";
    const auto parts = dir / "long.h5.parts";
    const std::string scen = (test::source_dir() / "scenarios" / "default.toml").string();
    auto child = test::spawn_cli({"-q", "run", scen, "-r", "50000", "-t", "1", "-o", out.string()});
    ASSERT_GT(child.pid(), 0);

    // Wait (up to 60 s) for the parts folder; stop early if the process exits by itself.
    for (int i = 0; i < 6000 && !fs::exists(parts) && child.running(); ++i) usleep(10000);
    if (child.running()) {
        EXPECT_TRUE(fs::exists(parts)) << "no parts folder appeared";
        child.signal(SIGINT);
        // Wait (up to 60 s) for a clean exit; kill it if it hangs.
        for (int i = 0; i < 6000 && child.running(); ++i) usleep(10000);
        if (child.running()) {
            child.signal(SIGKILL);
            (void)child.wait();
            FAIL() << "pse-sim did not stop within 60 s of SIGINT";
        }
    }
    const auto ended = child.wait();
    const std::string& err = ended.err;
    ASSERT_NE(ended.exit_code, -1) << "terminated by a signal instead of exiting";
    EXPECT_EQ(ended.exit_code, 130) << err;
    EXPECT_TRUE(has(err, "interrupted")) << err;
    EXPECT_TRUE(has(err, "--resume")) << err;
    EXPECT_FALSE(fs::exists(out));
    EXPECT_EQ(list_dir(dir),
              std::vector<std::string>{"long.h5.parts"});  // no temporary results file
    for (const auto& name : list_dir(parts)) {
        const bool shard = name.rfind("part-", 0) == 0 && fs::path(name).extension() == ".h5";
        EXPECT_TRUE(name == "manifest.txt" || shard)
            << "unexpected file in the parts folder: " << name;
    }
    // Without --resume the same command refuses to start over silently.
    const auto again = run_cli("-q run '" + scen + "' -r 50000 -t 1 -o " + q(out));
    EXPECT_EQ(again.exit_code, 1) << again.err;
    EXPECT_TRUE(has(again.err, "--resume")) << again.err;
    EXPECT_FALSE(fs::exists(out));
}

TEST(Cli, ResumeWithoutPartsIsAFreshRun) {
    // --resume with nothing to resume runs everything; the file equals a plain run's, and the
    // parts folder is removed after the merge.
    const auto dir = fresh_dir("resume");
    const auto scen = tiny_in(dir);
    ASSERT_EQ(run_cli("-q run " + q(scen) + " -r 4 -o " + q(dir / "fresh.h5")).exit_code, 0);
    const auto r = run_cli("-q run " + q(scen) + " -r 4 -o " + q(dir / "resumed.h5") + " --resume");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(list_dir(dir), (std::vector<std::string>{"fresh.h5", "resumed.h5", "tiny.toml"}));
    const auto a = read_results(dir / "fresh.h5"), b = read_results(dir / "resumed.h5");
    EXPECT_EQ(a.seed, b.seed);
    EXPECT_EQ(a.series.at("engagements_active"), b.series.at("engagements_active"));
    EXPECT_TRUE(same_values(a.series.at("mean_trust"), b.series.at("mean_trust")));
    EXPECT_EQ(a.n_events, b.n_events);
}

// ---------------------------------------------------------------------------------------------
// tests/support/cli_run.h itself: every CLI test depends on it reporting what the child did.

TEST(CliRun, SplitWordsAsShWould) {
    EXPECT_EQ(test::split_words("  a 'b c'  \"d \\\"e\" f\\ g '' x'y'z "),
              (std::vector<std::string>{"a", "b c", "d \"e", "f g", "", "xyz"}));
    EXPECT_TRUE(test::split_words("   ").empty());
    EXPECT_THROW((void)test::split_words("run 'open"), std::invalid_argument);
    EXPECT_THROW((void)test::split_words("run \"open"), std::invalid_argument);
    EXPECT_EQ(test::shell_quote("it's"), "'it'\\''s'");
}

TEST(CliRun, ReportsExitCodeOutputEnvironmentFolderAndTimeout) {
    const auto dir = fresh_dir("cli_run");
    auto r = test::run_program("/bin/sh",
                               {"-c", "echo out; echo err >&2; echo \"$PSE_X\"; pwd; cat; exit 3"},
                               {.cwd = dir, .env = {{"PSE_X", "y z"}}, .timeout_seconds = 60});
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_EQ(r.signal, 0);
    EXPECT_FALSE(r.timed_out);
    std::string want = "out\ny z\n";
    want.append(fs::canonical(dir).string()).push_back('\n');
    EXPECT_EQ(r.out, want);  // and stdin is empty (/dev/null): cat printed nothing
    EXPECT_EQ(r.err, "err\n");
    r = test::run_program("/bin/sh", {"-c", "sleep 60"}, {.timeout_seconds = 0.5});
    EXPECT_TRUE(r.timed_out);
    EXPECT_EQ(r.exit_code, -1);
    EXPECT_EQ(r.signal, SIGKILL);
    r = test::run_program("/bin/sh", {"-c", "head -c 4096 /dev/zero > big; echo $?"},
                          {.cwd = dir, .file_size_limit = 1024});
    EXPECT_NE(r.out, "0\n") << "the write past the limit succeeded";
    EXPECT_LE(fs::file_size(dir / "big"), 1024u);
    EXPECT_EQ(test::run_cli("--version").exit_code, 0);
}

TEST(CliRun, SpawnedChildIsSignalledAndReaped) {
    auto p = test::spawn_program("/bin/sh", {"-c", "echo started; exec sleep 60"});
    ASSERT_GT(p.pid(), 0);
    EXPECT_TRUE(p.running());
    p.signal(SIGTERM);
    const auto r = p.wait();
    EXPECT_EQ(r.signal, SIGTERM);
    EXPECT_EQ(r.exit_code, -1);
    EXPECT_FALSE(p.running());
}

TEST(Cli, EffectsRefusesBadInputWithExit2) {
    // `pse-sim effects` with a missing file, too few replications for the paired test, or an
    // unknown lever: exit 2 (the library's InputError; Effects.BadInputIsRefused).
    const std::string def = (test::source_dir() / "scenarios" / "default.toml").string();
    EXPECT_EQ(run_cli({"effects", "/no/such/file.toml"}).exit_code, 2);
    EXPECT_EQ(run_cli({"effects", def, "-r", "1"}).exit_code, 2);
    EXPECT_EQ(run_cli({"effects", def, "--only", "bogus.key"}).exit_code, 2);
}

TEST(Cli, DefaultOutputPathUnderResults) {
    const auto dir = fresh_dir("defaultout");
    tiny_in(dir);
    const auto r = run_cli({"-q", "run", "tiny.toml", "-r", "1"}, {.cwd = dir});
    ASSERT_NE(r.exit_code, -1);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_TRUE(fs::exists(dir / "results" / "tiny.h5"));
    EXPECT_EQ(read_results(dir / "results" / "tiny.h5", false).attrs.at("scenario_name"), "tiny");
}

// ---------------------------------------------------------------------------------------------
// validate, show, params, info

TEST(Cli, ValidateExitCodes) {
    const auto dir = fresh_dir("validate");
    const auto good = tiny_in(dir);
    const auto bad = dir / "bad.toml";
    write_all(bad, "[ngo_defaults]\npart_time_share = 1.5\n");
    auto r = run_cli("validate " + q(good));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(has(r.out, "ok")) << r.out;
    EXPECT_TRUE(has(r.out, "'tiny'")) << r.out;
    EXPECT_TRUE(has(r.out, "52 weeks")) << r.out;

    r = run_cli("validate " + q(bad));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(has(r.err, bad.string() + ":2:")) << r.err;
    EXPECT_TRUE(has(r.err, "ngo_defaults.part_time_share")) << r.err;

    // Several files: every file is checked; one bad file makes the exit code 2.
    r = run_cli("validate " + q(good) + " " + q(bad) + " " + q(dir / "missing.toml"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(has(r.out, good.string() + ": ok")) << r.out;
    EXPECT_TRUE(has(r.err, "part_time_share")) << r.err;
    EXPECT_TRUE(has(r.err, "missing.toml")) << r.err;

    r = run_cli("validate " + q(test::source_dir() / "scenarios" / "default.toml"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(Cli, ShowOutputParsesBack) {
    const auto dir = fresh_dir("show");
    const auto scen = tiny_in(dir);
    auto r =
        run_cli("show " + q(scen) + " --set trust.gain_rate=0.0625 --set 'ngo[*].dedicated_fte=2'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto shown = dir / "shown.toml";
    write_all(shown, r.out);
    const auto v = run_cli("validate " + q(shown));
    EXPECT_EQ(v.exit_code, 0) << v.err;
    // The shown scenario equals the original with the overrides, field by field.
    LoadOptions lo;
    lo.overrides = {"trust.gain_rate=0.0625", "ngo[*].dedicated_fte=2"};
    const auto a = load_scenario(scen, lo).scenario;
    const auto b = load_scenario(shown).scenario;
    for (const auto& f : scenario_fields()) EXPECT_EQ(f.get(a), f.get(b)) << f.key;
    for (const auto& f : ngo_fields())
        EXPECT_EQ(f.get(a.ngo_defaults), f.get(b.ngo_defaults)) << f.key;
    EXPECT_EQ(b.trust.gain_rate, 0.0625);
    EXPECT_EQ(b.ngo_defaults.dedicated_fte, 2.0);
    EXPECT_EQ(b.weeks, 52);
    // Showing the shown text is a fixed point.
    r = run_cli("show " + q(shown));
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, read_all(shown));
}

TEST(Cli, ShowBadScenarioExit2) {
    const auto dir = fresh_dir("showbad");
    const auto scen = tiny_in(dir);
    const auto r = run_cli("show " + q(scen) + " --set run.weeks=0");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(has(r.err, "run.weeks")) << r.err;
}

TEST(Cli, ParamsListsEveryField) {
    const auto dir = fresh_dir("params");
    const auto r = run_cli("params");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& f : scenario_fields()) EXPECT_TRUE(has(r.out, "`" + f.key + "`")) << f.key;
    for (const auto& f : ngo_fields())
        EXPECT_TRUE(has(r.out, "`ngo_defaults." + f.key + "`")) << f.key;
}

TEST(Cli, InfoDescribesResults) {
    const auto dir = fresh_dir("info");
    const auto scen = tiny_in(dir);
    const auto out = dir / "info.h5";
    ASSERT_EQ(run_cli("-q run " + q(scen) + " -r 2 -o " + q(out)).exit_code, 0);
    const auto r = run_cli("info " + q(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(has(r.out, "scenario:        tiny")) << r.out;
    EXPECT_TRUE(has(r.out, "runs: 2 (2 done, 0 failed)")) << r.out;
    EXPECT_TRUE(has(r.out, "replications: 2")) << r.out;
    EXPECT_TRUE(has(r.out, "52 weeks")) << r.out;
    EXPECT_TRUE(has(r.out, "agreements_signed")) << r.out;
    EXPECT_TRUE(has(r.out, std::string("pse-sim ") + kVersion)) << r.out;
}

TEST(Cli, InfoOnBadFilesExit1) {
    const auto dir = fresh_dir("infobad");
    write_all(dir / "text.h5", "not hdf5\n");
    auto r = run_cli("info " + q(dir / "text.h5"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(has(r.err, "not an HDF5 file")) << r.err;
    r = run_cli("info " + q(dir / "missing.h5"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(has(r.err, "not found")) << r.err;
}

}  // namespace
}  // namespace pse
