// pse-sim command line: a thin front end over the pse library. Maps library exceptions to
// messages and exit codes: 0 ok, 1 runtime/I-O failure, 2 bad input, 130 interrupted.
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <hdf5.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <toml++/toml.h>
#include <CLI/CLI.hpp>

#include "pse/effects.h"
#include "pse/errors.h"
#include "pse/experiment.h"
#include "pse/metrics.h"
#include "pse/report.h"
#include "pse/results.h"
#include "pse/runner.h"
#include "pse/scenario_loader.h"
#include "pse/sweep.h"
#include "pse/version.h"
#ifdef PSE_HAVE_MPI
#include "pse/mpi_sweep.h"
#endif

namespace {

std::atomic<bool> g_stop{false};
/// SIGINT, SIGTERM, SIGHUP: the first asks for a clean stop (finished runs are saved, exit 130);
/// a second one forces the process to quit at once (exit 130; saved shards are kept, runs in
/// progress are lost), e.g. when a second Ctrl-C is pressed.
extern "C" void on_signal(int) {
    if (g_stop.exchange(true)) {
        constexpr char msg[] =
            "\nforced to quit; runs saved so far are kept (rerun with --resume)\n";
        (void)!write(2, msg, sizeof msg - 1);
        _exit(130);
    }
}

std::string command_line(int argc, char** argv) {
    std::string s;
    for (int i = 0; i < argc; ++i) s += (i ? " " : "") + std::string(argv[i]);
    return s;
}

/// Progress bar with rate and ETA on stderr; silent unless stderr is a terminal, not quiet, and
/// the work has taken more than two seconds.
class Progress {
  public:
    explicit Progress(bool enabled)
        : enabled_(enabled && isatty(2)), t0_(std::chrono::steady_clock::now()) {}
    void update(std::int64_t done, std::int64_t failed, std::int64_t total) {
        if (!enabled_) return;
        const double el =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
        if (el < 2.0 && done + failed < total) return;
        if (el - last_ < 0.2 && done + failed < total) return;
        last_ = el;
        const std::int64_t n = done + failed;
        const double rate = static_cast<double>(n) / std::max(el, 1e-9);
        const double eta = rate > 0 ? static_cast<double>(total - n) / rate : 0;
        const int width = 30;
        const int fill = total > 0 ? static_cast<int>(width * n / total) : width;
        fmt::print(stderr, "\r[{}{}] {}/{} runs{}  {:.1f} runs/s  ETA {:.0f}s   ",
                   std::string(fill, '='), std::string(width - fill, ' '), n, total,
                   failed ? fmt::format(" ({} failed)", failed) : "", rate, eta);
        drawn_ = true;
    }
    void finish() {
        if (drawn_) fmt::print(stderr, "\n");
    }

  private:
    bool enabled_;
    std::chrono::steady_clock::time_point t0_;
    double last_ = -1;
    bool drawn_ = false;
};

/// Command-line number check with a readable message (CLI11's PositiveNumber and
/// NonNegativeNumber print their range as "0.000000 to 1797693134862315708...").
CLI::Validator at_least(double min, const std::string& what) {
    return CLI::Validator(
        [min, what](std::string& in) -> std::string {
            try {
                std::size_t used = 0;
                const double v = std::stod(in, &used);
                if (used == in.size() && std::isfinite(v) && v >= min) return {};
            } catch (const std::exception&) {
            }
            return "must be " + what + ", got " + in;
        },
        what);
}

/// Strict integer option check: only digits (no sign, exponent, hex, fraction or trailing text)
/// and within [min, max]; CLI11 alone accepts 0x10 and clamps 99999999999999999999 to INT64_MAX.
CLI::Validator whole_number(std::int64_t min, std::int64_t max, const std::string& what) {
    return CLI::Validator(
        [min, max, what](std::string& in) -> std::string {
            std::int64_t v = 0;
            const auto* end = in.data() + in.size();
            const auto [p, ec] = std::from_chars(in.data(), end, v);
            const bool digits =
                !in.empty() && in.find_first_not_of("0123456789") == std::string::npos;
            if (!digits)
                return "must be " + what + ", got " + in +
                       " (write a whole number with digits only)";
            if (ec != std::errc() || p != end || v > max)
                return fmt::format("must be at most {}, got {}", max, in);
            if (v < min) return "must be " + what + ", got " + in;
            return {};
        },
        what);
}

int report_input_error(const pse::InputError& e) {
    for (const auto& p : e.problems()) fmt::print(stderr, "error: {}\n", p.format());
    if (e.problems().size() > 1)
        fmt::print(stderr, "{} problems found; nothing was run.\n", e.problems().size());
    return 2;
}

struct RunArgs {
    std::string input;
    std::string output;
    std::int64_t replications = 10;
    std::int64_t seed = -1;
    std::vector<std::string> sets;
    bool overwrite = false;
    bool resume = false;
    bool yes = false;
    int threads = 0;
    std::int64_t checkpoint_runs = 256;
    double checkpoint_seconds = 2.0;
    std::string network = "none";  ///< --network run selection
};

constexpr std::int64_t kConfirmRuns = 100000;  // larger sweeps need --yes

/// Refuse more than kConfirmRuns runs without --yes. Throws InputError.
void check_run_count(const pse::Experiment& e, const RunArgs& a) {
    if (e.n_runs() > kConfirmRuns && !a.yes)
        throw pse::InputError(
            pse::InputProblem{a.input, 0, 0, e.design == pse::Design::kSingle ? "" : "experiment",
                              fmt::format("this asks for {} runs ({} design points x {} "
                                          "replications); pass --yes to run that many",
                                          e.n_runs(), e.points.size(), e.replications)});
}

/// Print the errors of the failed runs recorded in a results file (at most 20, then a count).
void report_failed_runs(const std::string& output) {
    const auto r = pse::read_results(output, false);
    std::int64_t shown = 0, failed = 0;
    for (std::size_t i = 0; i < r.status.size(); ++i)
        if (r.status[i] == static_cast<std::int8_t>(pse::RunStatus::kFailed)) {
            ++failed;
            if (shown++ < 20)
                spdlog::error("run {} (seed {}): {}", r.run_id[i], r.seed[i], r.error[i]);
        }
    if (failed > 20)
        spdlog::error("... and {} more failed run(s) (see /runs/error in {})", failed - 20, output);
    if (failed > 0)
        spdlog::error(
            "{} run(s) failed; they are recorded as failed in {} (a --resume of an interrupted "
            "sweep runs "
            "failed runs again)",
            failed, output);
}

/// ", N reused, M run again" for the summary line.
std::string reuse_note(const pse::SweepResult& res) {
    std::string s;
    if (res.reused) s += fmt::format(", {} reused", res.reused);
    if (res.retried) s += fmt::format(", {} failed before and run again", res.retried);
    return s;
}

/// Sweep settings common to the single-process and the MPI path. `network_runs`: the parsed
/// --network selection.
pse::SweepOptions sweep_options(const RunArgs& a, const std::string& output,
                                const std::string& cmdline,
                                std::vector<std::int64_t> network_runs) {
    pse::SweepOptions so;
    so.target = output;
    so.overwrite = a.overwrite;
    so.resume = a.resume;
    so.threads = a.threads;
    // More threads than the machine has only adds waiting (oneTBB ignores them with a raw warning):
    // use the hardware threads and say so. Results do not depend on the thread count.
    if (const int hw = static_cast<int>(std::thread::hardware_concurrency());
        hw > 0 && a.threads > hw) {
        spdlog::warn("-t {}: this machine has {} hardware thread(s); using {}", a.threads, hw, hw);
        so.threads = hw;
    }
    so.flush_runs = std::max<std::int64_t>(1, a.checkpoint_runs);
    so.flush_seconds = a.checkpoint_seconds;
    so.stop = &g_stop;
    so.command_line = cmdline;
    so.network_runs = std::move(network_runs);
    return so;
}

/// Shared by `run` (a scenario) and `sweep` (an experiment): stream runs to shards, merge,
/// print a summary per design point.
int execute_experiment(pse::Experiment e, const RunArgs& a, bool quiet, const std::string& cmdline,
                       const std::string& default_output) {
    check_run_count(e, a);
    const std::string output = a.output.empty() ? default_output : a.output;
    if (a.output.empty())
        std::filesystem::create_directories(std::filesystem::path(output).parent_path());
    spdlog::info(
        "'{}': {} design point(s) x {} replication(s) = {} runs of {} weeks, master seed {}",
        e.name, e.points.size(), e.replications, e.n_runs(), e.base.weeks, e.master_seed);
    Progress progress(!quiet);
    pse::SweepOptions so =
        sweep_options(a, output, cmdline, pse::parse_run_selection(a.network, e.n_runs()));
    so.on_progress = [&](auto d, auto f, auto t) { progress.update(d, f, t); };
    std::vector<std::vector<std::vector<double>>> summaries(e.points.size());
    so.on_record = [&](const pse::RunRecord& rec) {
        if (rec.status == pse::RunStatus::kDone)
            summaries[static_cast<std::size_t>(rec.design_point)].push_back(rec.output.summary);
    };
    pse::SweepResult res;
    try {
        res = pse::run_sweep(e, so);
    } catch (const pse::IoError&) {  // the message says where finished runs are kept, if any
        progress.finish();
        throw;
    }
    progress.finish();
    if (res.reused > 0)
        spdlog::info("resumed: {} finished run(s) reused from {}", res.reused,
                     res.parts_dir.string());
    if (!res.complete) {
        fmt::print(stderr,
                   "interrupted: {} run(s) finished and kept in '{}'; rerun the same command with "
                   "--resume to finish\n",
                   res.tally.done + res.tally.failed + res.reused, res.parts_dir.string());
        return 130;
    }
    // Failures are counted from the file, not from this process: runs that failed before an
    // interruption and were not run again must not end in "0 failed" and exit 0 (issue 20).
    if (res.file.failed > 0) report_failed_runs(output);
    if (!quiet) {
        if (res.reused > 0) {
            std::cout << pse::summary_table_from_file(output);
        } else {
            const auto cols = pse::design_columns(e);
            const std::size_t show = std::min<std::size_t>(e.points.size(), 12);
            for (std::size_t d = 0; d < show; ++d) {
                std::string title = e.points.size() == 1 ? "Scenario '" + e.name + "'"
                                                         : fmt::format("Design point {}", d);
                if (!e.labels[d].empty()) title += " (" + e.labels[d] + ")";
                for (const auto& st : e.points[d])
                    title += "  " + st.key + "=" + pse::to_toml(st.value);
                std::cout << pse::summary_table(title, summaries[d]) << "\n";
            }
            if (show < e.points.size())
                std::cout << fmt::format("... and {} more design points (see `pse-sim info {}`)\n",
                                         e.points.size() - show, output);
        }
        std::cout << fmt::format("{} run(s) done, {} failed{}, {:.2f} s wall; results in {}\n",
                                 res.file.done, res.file.failed, reuse_note(res),
                                 res.tally.wall_seconds, output);
    }
    return res.file.failed > 0 ? 1 : 0;
}

/// True if the file (with its bases) has an [experiment] table. Throws InputError like the loader.
bool is_experiment_file(const std::string& file) {
    return pse::load_merged_table(file, nullptr, nullptr).contains("experiment");
}

/// What `run` or `sweep` runs, and its default output path. Throws InputError (bad input).
struct Loaded {
    pse::Experiment experiment;
    std::string default_output;
};

/// `run`: a scenario file, replicated. Throws InputError.
Loaded load_for_run(const RunArgs& a) {
    if (is_experiment_file(a.input))
        throw pse::InputError(pse::InputProblem{
            a.input, 0, 0, "experiment",
            "this is an experiment file; run it with `pse-sim sweep " + a.input + "`"});
    pse::LoadOptions lo;
    lo.overrides = a.sets;
    auto loaded = pse::load_scenario(a.input, lo);
    if (a.seed >= 0) loaded.scenario.seed = static_cast<std::uint64_t>(a.seed);
    if (a.replications < 1)
        throw pse::InputError(pse::InputProblem{"--replications", 0, 0, "", "must be at least 1"});
    return {pse::single_experiment(loaded, a.replications),
            "results/" + loaded.scenario.name + ".h5"};
}

/// `sweep`: an experiment file. Throws InputError.
Loaded load_for_sweep(const RunArgs& a) {
    auto e = pse::load_experiment(a.input, a.sets, a.yes ? -1 : kConfirmRuns);
    if (a.seed >= 0) e.master_seed = static_cast<std::uint64_t>(a.seed);
    const std::string name = e.name;
    return {std::move(e), "results/" + name + ".h5"};
}

int cmd_run(const RunArgs& a, bool quiet, const std::string& cmdline) {
    auto l = load_for_run(a);
    return execute_experiment(std::move(l.experiment), a, quiet, cmdline, l.default_output);
}

/// `effects`: one-at-a-time lever effects with paired replications (sim/pse/effects.h).
struct EffectsArgs {
    std::string input, csv, output;
    std::int64_t replications = 40, seed = -1, confirm = 0;
    int threads = 0;
    std::vector<std::string> only, sets;
    bool markdown = false;
};

int cmd_effects(const EffectsArgs& a, bool quiet) {
    if (is_experiment_file(a.input))
        throw pse::InputError(pse::InputProblem{
            a.input, 0, 0, "experiment",
            "this is an experiment file; `pse-sim effects` takes a scenario file"});
    pse::LoadOptions lo;
    lo.overrides = a.sets;
    const auto loaded = pse::load_scenario(a.input, lo);
    pse::EffectsOptions eo;
    eo.replications = a.replications;
    eo.confirm_replications = a.confirm;
    if (a.confirm != 0 && a.confirm <= a.replications)
        throw pse::InputError(pse::InputProblem{"--confirm", 0, 0, std::to_string(a.confirm),
                                                "must exceed --replications (" +
                                                    std::to_string(a.replications) +
                                                    ") or be 0 (no confirmation pass)"});
    eo.master_seed = a.seed >= 0 ? static_cast<std::uint64_t>(a.seed) : loaded.scenario.seed;
    eo.only = a.only;
    eo.runner.threads = a.threads;
    eo.runner.stop = &g_stop;
    (void)pse::plan_levers(loaded.scenario, a.only);  // bad --only patterns fail before any run
    for (const auto* f : {&a.csv, &a.output})
        if (!f->empty() && std::filesystem::path(*f).extension() != ".csv")
            throw pse::InputError(
                pse::InputProblem{*f, 0, 0, "", "effects results are written as CSV (.csv)"});
    Progress progress(!quiet);
    eo.runner.on_progress = [&progress](std::int64_t d, std::int64_t f, std::int64_t n) {
        progress.update(d, f, n);
    };
    const auto r = pse::run_effects(loaded.scenario, eo);
    progress.finish();
    if (r.stopped) {
        fmt::print(stderr, "interrupted: no results written\n");
        return 130;
    }
    const auto csv = pse::effects_csv(r);
    for (const auto* f : {&a.csv, &a.output})
        if (!f->empty()) {
            std::ofstream os(*f);
            os << csv;
            if (!os) throw pse::IoError("cannot write " + *f);
        }
    std::cout << pse::effects_report(r, a.markdown);
    if (!quiet)
        spdlog::info("{} runs ({} levers) in {:.1f} s", r.runs, r.levers.size(), r.wall_seconds);
    return 0;
}

int cmd_sweep(const RunArgs& a, bool quiet, const std::string& cmdline) {
    auto l = load_for_sweep(a);
    return execute_experiment(std::move(l.experiment), a, quiet, cmdline, l.default_output);
}

/// Processes started by an MPI launcher, from the environment it sets: Open MPI's mpirun
/// (OMPI_COMM_WORLD_SIZE) or a PMI launcher such as Slurm's srun (PMI_SIZE); 0 when not launched
/// by one; -1 when launched by a PMIx launcher that does not say (PMIX_RANK only).
int launched_size() {
    for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
        if (const char* v = std::getenv(var); v && *v) return std::atoi(v);
    if (const char* v = std::getenv("PMIX_RANK"); v && *v) return -1;
    return 0;
}

/// This process's rank as the launcher set it (0 when not launched by one).
int launched_rank() {
    for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"})
        if (const char* v = std::getenv(var); v && *v) return std::atoi(v);
    return 0;
}

#ifdef PSE_HAVE_MPI
/// Print an error caught while loading, as the single-process CLI would. Returns its exit code.
int report_exception(const std::exception_ptr& ep) {
    try {
        std::rethrow_exception(ep);
    } catch (const pse::InputError& e) {
        return report_input_error(e);
    } catch (const std::exception& e) {
        fmt::print(stderr, "error: {}\n", e.what());
    }
    return 1;
}

/// `run`/`sweep` under an MPI launcher (docs: README "Running on a cluster"). Every rank loads
/// the input; problems are reported once (by rank 0, or by the rank that alone has them) and end
/// every rank with the same exit code. Rank 0 prints the progress and the summary.
int cmd_mpi(bool sweep, const RunArgs& a, bool quiet, const std::string& cmdline, int* argc,
            char*** argv) {
    pse::MpiSession mpi(argc, argv);
    if (mpi.size() == 1) return sweep ? cmd_sweep(a, quiet, cmdline) : cmd_run(a, quiet, cmdline);
    const bool lead = mpi.rank() == 0;
    if (!lead) spdlog::set_level(spdlog::level::err);
    try {
        std::optional<Loaded> l;
        std::string output;
        std::vector<std::int64_t> network_runs;
        int code = 0;
        std::exception_ptr ep;
        try {
            l = sweep ? load_for_sweep(a) : load_for_run(a);
            check_run_count(l->experiment, a);
            network_runs = pse::parse_run_selection(a.network, l->experiment.n_runs());
            output = a.output.empty() ? l->default_output : a.output;
            if (lead && a.output.empty())
                std::filesystem::create_directories(std::filesystem::path(output).parent_path());
        } catch (const pse::InputError&) {
            code = 2;
            ep = std::current_exception();
        } catch (const std::exception&) {
            code = 1;
            ep = std::current_exception();
        }
        if (const auto ag = mpi.agree(code); ag.max_code != 0) {
            if (code != 0 && (lead || ag.rank0_code == 0)) report_exception(ep);
            return ag.max_code;
        }
        const pse::Experiment& e = l->experiment;
        if (lead)
            spdlog::info(
                "'{}': {} design point(s) x {} replication(s) = {} runs of {} weeks, master seed "
                "{}",
                e.name, e.points.size(), e.replications, e.n_runs(), e.base.weeks, e.master_seed);
        Progress progress(lead && !quiet);
        const bool log_progress = lead && !quiet && !isatty(2);  // batch jobs: a line every 10 s
        const auto t0 = std::chrono::steady_clock::now();
        auto last_log = t0;
        pse::SweepOptions so = sweep_options(a, output, cmdline, std::move(network_runs));
        so.on_progress = [&](std::int64_t d, std::int64_t f, std::int64_t t) {
            progress.update(d, f, t);
            const auto now = std::chrono::steady_clock::now();
            if (log_progress && now - last_log > std::chrono::seconds(10)) {
                last_log = now;
                const double el = std::chrono::duration<double>(now - t0).count();
                spdlog::info("{}/{} runs done ({:.1f} runs/s)", d + f, t,
                             static_cast<double>(d + f) / std::max(el, 1e-9));
            }
        };
        pse::SweepResult res;
        pse::MpiSweepStats stats;
        try {
            res = pse::run_sweep_mpi(e, so, mpi, &stats);
        } catch (const pse::MpiPeerError& pe) {
            progress.finish();
            return pe.exit_code();  // the rank that failed said why
        } catch (const pse::IoError& err) {
            progress.finish();
            fmt::print(stderr, "error: {}\n", err.what());
            return 1;
        }
        progress.finish();
        if (!res.complete) {
            if (lead)
                fmt::print(stderr,
                           "interrupted: {} run(s) finished and kept in '{}'; rerun the same "
                           "command with --resume to "
                           "finish\n",
                           res.tally.done + res.tally.failed + res.reused, res.parts_dir.string());
            return 130;
        }
        int rc = 0;
        if (lead) {
            if (res.file.failed > 0) {  // counted from the file (issue 20)
                report_failed_runs(output);
                rc = 1;
            }
            if (res.reused > 0)
                spdlog::info("resumed: {} finished run(s) reused from {}", res.reused,
                             res.parts_dir.string());
            if (!quiet) {
                std::cout << pse::summary_table_from_file(output);
                std::string per_rank;
                for (std::size_t r = 0; r < stats.runs.size(); ++r)
                    per_rank += fmt::format("{}{}", r ? ", " : "", stats.runs[r]);
                std::cout << fmt::format(
                    "{} run(s) done, {} failed{}, {:.2f} s wall on {} MPI ranks (runs per rank: "
                    "{}); "
                    "results in {}\n",
                    res.file.done, res.file.failed, reuse_note(res), res.tally.wall_seconds,
                    mpi.size(), per_rank, output);
            }
        }
        return mpi.agree(rc).max_code;  // every rank ends with rank 0's verdict
    } catch (const std::exception& err) {
        // Outside the coordinated protocol (a bug, out of memory): end the whole job, never hang.
        fmt::print(stderr, "error: rank {} on {}: {}\n", mpi.rank(), mpi.host(), err.what());
        mpi.abort(1);
    }
}
#endif

int cmd_validate(const std::vector<std::string>& files) {
    int rc = 0;
    for (const auto& f : files) {
        try {
            if (is_experiment_file(f)) {
                const auto e = pse::load_experiment(f, {}, kConfirmRuns);
                fmt::print(
                    "{}: ok (experiment '{}', {} design point(s) x {} replication(s) = {} runs of "
                    "{} weeks)\n",
                    f, e.name, e.points.size(), e.replications, e.n_runs(), e.base.weeks);
                continue;
            }
            auto l = pse::load_scenario(f);
            fmt::print("{}: ok (scenario '{}', {} weeks)\n", f, l.scenario.name, l.scenario.weeks);
        } catch (const pse::InputError& e) {
            report_input_error(e);
            rc = 2;
        }
    }
    return rc;
}

int cmd_params() {
    // Markdown reference generated from the field tables (docs/SCENARIOS.md parameter section).
    fmt::print(
        "| key | type | default | unit | range | description | source "
        "|\n|---|---|---|---|---|---|---|\n");
    const pse::Scenario def;
    const auto type_of = pse::field_type_name;
    auto range_of = [](const auto& f) -> std::string {
        if (f.type == pse::FieldType::kReal || f.type == pse::FieldType::kInteger)
            return fmt::format("[{}, {}]", f.min, f.max);
        if (f.type == pse::FieldType::kChoice) {
            std::string s;
            for (const auto& c : f.choices) s += (s.empty() ? "" : ", ") + c;
            return s;
        }
        return "";
    };
    for (const auto& f : pse::scenario_fields())
        fmt::print("| `{}` | {} | `{}` | {} | {} | {} | {} |\n", f.key, type_of(f.type),
                   pse::to_toml(f.get(def)), f.unit, range_of(f), f.doc, f.source);
    for (const auto& f : pse::ngo_fields())
        fmt::print("| `ngo_defaults.{}` / `[[ngo]] {}` | {} | `{}` | {} | {} | {} | {} |\n", f.key,
                   f.key, type_of(f.type), pse::to_toml(f.get(def.ngo_defaults)), f.unit,
                   range_of(f), f.doc, f.source);
    return 0;
}

/// `pse-sim params --experiment`: the [experiment] keys (docs/SCENARIOS.md "Experiment keys"),
/// generated from pse::experiment_fields(), the table the experiment loader reads.
int cmd_params_experiment() {
    fmt::print("| experiment key | type | default | description |\n|---|---|---|---|\n");
    const pse::Experiment def;
    for (const auto& f : pse::experiment_fields()) {
        const auto dot = f.key.find('.');
        std::string key;
        if (f.shape == pse::KeyShape::kTables)
            key = "`[[experiment." + f.key + "]]`";
        else if (dot == std::string::npos)
            key = "`experiment." + f.key + "`";
        else if (f.key.rfind("lever.", 0) == 0)
            key = fmt::format("`…lever.{0}`, `…uncertainty.{0}`", f.key.substr(dot + 1));
        else
            key = "`…" + f.key + "`";
        std::string type;
        switch (f.shape) {
            case pse::KeyShape::kTables:
                type = "table, repeatable";
                break;
            case pse::KeyShape::kArray:
                type = "array";
                break;
            case pse::KeyShape::kInlineTable:
                type = "inline table";
                break;
            case pse::KeyShape::kValue:
                type = f.type == pse::FieldType::kReal ? std::string("number")
                                                       : pse::field_type_name(f.type);
                if (f.type == pse::FieldType::kInteger)
                    type += f.max >= 1e8 ? fmt::format(" ≥ {}", f.min)
                                         : fmt::format(" {}–{}", f.min, f.max);
                break;
        }
        const std::string deflt = !f.default_doc.empty() ? f.default_doc
                                  : f.get                ? "`" + pse::to_toml(f.get(def)) + "`"
                                                         : "—";
        fmt::print("| {} | {} | {} | {} |\n", key, type, deflt, f.doc);
    }
    return 0;
}

/// True if `key` matches `pattern`, where * stands for one dotted segment (no '.').
bool key_matches(std::string_view pattern, std::string_view key) {
    while (!pattern.empty()) {
        if (pattern.front() == '*') {
            const auto dot = key.find('.');
            pattern.remove_prefix(1);
            key.remove_prefix(dot == std::string_view::npos ? key.size() : dot);
            continue;
        }
        if (key.empty() || key.front() != pattern.front()) return false;
        pattern.remove_prefix(1);
        key.remove_prefix(1);
    }
    return key.empty();
}

/// `pse-sim params --odd KEYS`: the parameter rows docs/ODD.md shows (generated, so that its
/// numbers are the defaults; tests/integration/docs_test.cpp checks every block). Exit 2 on a key
/// that matches nothing.
int cmd_params_odd(const std::string& list) {
    const pse::Scenario def;
    if (list == "@stages") {  // the per-stage table of docs/ODD.md 7.5
        std::string out =
            "| stage | effort_hours (h/wk) | mean_weeks | drop_per_week |\n|---|---|---|---|\n";
        for (int k = 1; k < pse::kStageCount; ++k) {
            const auto st = static_cast<pse::Stage>(k);
            if (pse::is_terminal(st)) continue;
            const auto& sp = def.pipeline.stage[static_cast<std::size_t>(k)];
            out += fmt::format("| {} | {} | {} | {} |\n", pse::stage_name(st), sp.effort_hours,
                               sp.mean_weeks, sp.drop_per_week);
        }
        fmt::print("{}", out);
        return 0;
    }
    std::vector<std::tuple<std::string, std::string, std::string, std::string>>
        rows;  // key, default, unit, source
    for (const auto& f : pse::scenario_fields())
        rows.emplace_back(f.key, pse::to_toml(f.get(def)), f.unit, f.source);
    for (const auto& f : pse::ngo_fields())
        rows.emplace_back("ngo_defaults." + f.key, pse::to_toml(f.get(def.ngo_defaults)), f.unit,
                          f.source);
    auto source_text = [](std::string s) {
        if (s.rfind("assumption", 0) == 0) s = "**ASSUMPTION**" + s.substr(10);
        for (std::size_t p; (p = s.find("; assumption")) != std::string::npos;)
            s.replace(p, 12, "; **ASSUMPTION**");
        return s.empty() ? std::string("–") : s;
    };
    std::string out = "| key | default | unit | source |\n|---|---|---|---|\n";
    std::size_t start = 0;
    while (start <= list.size()) {
        const auto comma = list.find(',', start);
        const std::string pattern =
            list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        start = comma == std::string::npos ? list.size() + 1 : comma + 1;
        if (pattern.empty()) continue;
        bool any = false;
        for (const auto& [key, value, unit, source] : rows)
            if (key_matches(pattern, key)) {
                out += fmt::format("| `{}` | `{}` | {} | {} |\n", key, value,
                                   unit.empty() ? "–" : unit, source_text(source));
                any = true;
            }
        if (!any) {
            fmt::print(stderr,
                       "error: --odd: no parameter key matches '{}' (see `pse-sim params`)\n",
                       pattern);
            return 2;
        }
    }
    fmt::print("{}", out);
    return 0;
}

/// Hand over to a Python package in analysis/ with Debian's python3:
/// `python3 -m <package> <command> args...`, with PSE_SIM set to this binary. `module_dir`, if
/// not empty, is put on PYTHONPATH after analysis/ (the pse_sim extension module of this build).
int exec_python(const std::string& package, const std::string& command,
                const std::vector<std::string>& args, const std::string& module_dir = "") {
    const char* env_dir = std::getenv("PSE_ANALYSIS_DIR");
    const std::string dir = env_dir ? env_dir : PSE_ANALYSIS_DIR;
    const char* env_py = std::getenv("PSE_PYTHON");
    const std::string python = env_py ? env_py : "/usr/bin/python3";
    if (!std::filesystem::exists(std::filesystem::path(dir) / package / "__main__.py"))
        throw pse::IoError(package + " package not found in '" + dir +
                           "' (set PSE_ANALYSIS_DIR to the analysis/ folder)");
    if (access(python.c_str(), X_OK) != 0)
        throw pse::IoError(
            python +
            " not found: the report needs Debian's python3 with python3-h5py, -numpy, -pandas, "
            "-matplotlib and -scipy (scripts/install-deps installs them)");
    const std::string path = module_dir.empty() ? dir : dir + ":" + module_dir;
    setenv("PYTHONPATH", path.c_str(), 1);
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec && !std::getenv("PSE_SIM")) setenv("PSE_SIM", self.c_str(), 1);
    std::vector<std::string> argv_s = {python, "-m", package, command};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::fflush(stdout);
    execv(python.c_str(), argv.data());
    throw pse::IoError("cannot start " + python + ": " + std::strerror(errno));
}

int exec_analysis(const std::string& command, const std::vector<std::string>& args) {
    return exec_python("pse_analysis", command, args);
}

/// `serve`: the what-if web app (analysis/pse_web) on the pse_sim module of this build.
int cmd_serve(const std::vector<std::string>& args) {
    const char* env_mod = std::getenv("PSE_PYTHON_MODULE_DIR");
    const std::string mod = env_mod ? env_mod : PSE_PYTHON_MODULE_DIR;
    if (!std::filesystem::exists(std::filesystem::path(mod) / "pse_sim" / "__init__.py"))
        throw pse::IoError(
            "the web app needs the pse_sim Python module, which this build does not have ('" + mod +
            "/pse_sim' is missing): install pybind11-dev and python3-dev (scripts/install-deps) "
            "and "
            "rebuild (cmake --preset release && cmake --build --preset release)");
    if (!std::getenv("PSE_SCENARIOS_DIR")) setenv("PSE_SCENARIOS_DIR", PSE_SCENARIOS_DIR, 1);
    return exec_python("pse_web", "serve", args, mod);
}

int cmd_info(const std::string& file) {
    const auto r = pse::read_results(file, true);
    std::int64_t done = 0, failed = 0;
    for (auto s : r.status) {
        done += s == static_cast<std::int8_t>(pse::RunStatus::kDone);
        failed += s == static_cast<std::int8_t>(pse::RunStatus::kFailed);
    }
    fmt::print("file:            {}\n", file);
    fmt::print("scenario:        {}\n", r.attrs.at("scenario_name"));
    fmt::print("created (UTC):   {} by pse-sim {} ({})\n", r.attrs.at("created_utc"),
               r.attrs.at("pse_sim_version"), r.attrs.at("git_commit"));
    fmt::print("command:         {}\n", r.attrs.at("command_line"));
    fmt::print("design points:   {}   replications: {}   runs: {} ({} done, {} failed)\n",
               r.attrs.at("n_design_points"), r.attrs.at("replications"), r.n_runs, done, failed);
    fmt::print("time span:       {} weeks ({:.1f} years)\n", r.weeks, r.weeks / 52.0);
    if (!r.design_keys.empty()) {
        fmt::print("varied:          ");
        for (const auto& k : r.design_keys) fmt::print("{} ", k);
        fmt::print("\n");
    }
    fmt::print("events:          {}\n", r.n_events);
    if (r.n_network_runs > 0) {
        const auto net = pse::read_network(file);
        std::string ids;
        const auto runs = net.runs();
        for (std::size_t i = 0; i < runs.size() && i < 20; ++i)
            ids += (i ? "," : "") + std::to_string(runs[i]);
        if (runs.size() > 20) ids += ",...";
        fmt::print(
            "network:         stored for {} run(s) ({}): {} vertices, {} edges in /network\n",
            runs.size(), ids, net.vertex.size(), net.source.size());
    }
    for (const auto& spec : pse::kTableSpecs) {
        const auto it = r.tables.find(std::string(spec.name));
        if (it == r.tables.end()) continue;
        fmt::print("table /{:<13} {} rows: {}\n", std::string(spec.name) + ":",
                   it->second.at("run").size(), spec.description);
    }
    fmt::print("series [run x week]:\n");
    for (const auto& s : pse::kSeriesSpecs)
        fmt::print("  {:<26} {:<24} {}\n", s.name, s.unit, s.kind);
    std::cout << pse::summary_table_from_file(file);
    return 0;
}

/// What differs between the `run` and `sweep` option declarations (their help texts).
struct RunTexts {
    const char* input_name;  ///< positional argument: "scenario" / "experiment"
    const char* input_help;
    const char* name_of;  ///< the default output is results/<name_of>.h5
    const char* seed_help;
    const char* set_help;
    const char* noun;      ///< "run" / "sweep" (for --resume)
    const char* yes_what;  ///< what --yes confirms
};

/// Declare the options `run` and `sweep` share on `cmd`, writing into `a`.
void add_run_options(CLI::App* cmd, RunArgs& a, const RunTexts& t) {
    cmd->add_option(t.input_name, a.input, t.input_help)->required();
    cmd->add_option("-o,--output", a.output,
                    fmt::format("Results file (HDF5); default results/<{}>.h5", t.name_of));
    cmd->add_option("--seed", a.seed, t.seed_help)->check(whole_number(0, INT64_MAX, "0 or more"));
    cmd->add_option("--set", a.sets, t.set_help);
    cmd->add_flag("--overwrite", a.overwrite, "Replace an existing results file");
    cmd->add_option(
        "--network", a.network,
        "Also store the generated organisation network (edge list with types) of these runs, "
        "e.g. 0,5-7 or all");
    cmd->add_flag(
        "--resume", a.resume,
        fmt::format("Continue an interrupted {} from <output>.parts (finished runs are kept)",
                    t.noun));
    cmd->add_flag("--yes", a.yes, fmt::format("Confirm {}", t.yes_what));
    cmd->add_option("-t,--threads", a.threads, "Worker threads (0 = all cores)")
        ->capture_default_str()
        ->check(whole_number(0, 100000, "0 or more"));
    cmd->add_option("--checkpoint-runs", a.checkpoint_runs,
                    "Save finished runs to <output>.parts at least every N runs")
        ->capture_default_str()
        ->check(whole_number(1, INT64_MAX, "1 or more"));
    cmd->add_option("--checkpoint-seconds", a.checkpoint_seconds,
                    "... and at least every S seconds")
        ->capture_default_str()
        ->check(at_least(0, "0 or more"));
}

}  // namespace

int main(int argc, char** argv) {
    // HDF5 1.10 crashes in its atexit clean-up (H5F__close_cb) when closing a file failed, e.g.
    // on a full disk; every file is closed explicitly (RAII), so skip that clean-up (issue 10).
    H5dont_atexit();
    const std::string cmdline = command_line(argc, argv);
    CLI::App app{
        "pse-sim: agent-based simulator of private sector engagement (PSE) in counter-trafficking "
        "(CTIP) work"};
    app.set_version_flag("--version",
                         fmt::format("pse-sim {} (commit {})", pse::kVersion, pse::kGitCommit));
    app.require_subcommand(1);
    app.fallthrough();  // -q/-v are accepted after the subcommand too
    bool verbose = false, quiet = false;
    app.add_flag("-v,--verbose", verbose, "Log more detail (debug level) to stderr");
    app.add_flag("-q,--quiet", quiet, "Only print errors");

    RunArgs ra;
    auto* run = app.add_subcommand(
        "run", "Run a scenario (replications in parallel) and write an HDF5 results file");
    add_run_options(
        run, ra,
        RunTexts{"scenario", "Scenario file (TOML), e.g. scenarios/default.toml", "scenario name",
                 "Override the scenario's run.seed (master seed of the replications)",
                 "Override a parameter: key=value (e.g. ngo[*].dedicated_fte=2); repeatable", "run",
                 "runs of more than 100000 replications"});
    run->add_option("-r,--replications", ra.replications,
                    "Replications (independent seeds derived from the scenario seed)")
        ->capture_default_str()
        ->check(whole_number(1, 100000000, "at least 1"));

    RunArgs sa;
    auto* sweep = app.add_subcommand(
        "sweep", "Run an experiment (design points x replications) in parallel into one HDF5 file");
    add_run_options(
        sweep, sa,
        RunTexts{"experiment",
                 "Experiment file (TOML with an [experiment] table), e.g. scenarios/staffing.toml",
                 "experiment name", "Override the experiment's master seed",
                 "Override a parameter or experiment key: key=value; repeatable", "sweep",
                 "sweeps of more than 100000 runs"});

    EffectsArgs ea;
    auto* effects = app.add_subcommand("effects",
                                       "Run every lever and shock one at a time with paired "
                                       "replications; print effects per work stream");
    effects->add_option("scenario", ea.input, "Scenario file (TOML), e.g. scenarios/default.toml")
        ->required();
    effects
        ->add_option("-r,--replications", ea.replications,
                     "Paired replications per arm (same seeds for baseline and arm)")
        ->capture_default_str()
        ->check(whole_number(2, 100000000, "at least 2 (paired intervals)"));
    effects
        ->add_option("--seed", ea.seed,
                     "Override the scenario's run.seed (master seed of the replications)")
        ->check(whole_number(0, INT64_MAX, "0 or more"));
    effects
        ->add_option(
            "--confirm", ea.confirm,
            "Rerun levers that do not act with this many paired replications (0 = no second pass)")
        ->check(whole_number(0, 100000000, "0 or more"));
    effects->add_option("--only", ea.only,
                        "Only levers matching KEY (glob: * and ?; e.g. ngo[*].dedicated_fte, "
                        "shocks.*); repeatable");
    effects->add_option("--set", ea.sets,
                        "Override a parameter of the baseline: key=value; repeatable");
    effects->add_option("--csv", ea.csv,
                        "Also write the results as CSV (one row per lever x arm x metric)");
    effects->add_option("-o,--output", ea.output, "Results file (CSV; same content as --csv)");
    effects->add_flag("--markdown", ea.markdown,
                      "Print Markdown tables (as docs/ODD.md 7.13 shows them)");
    effects->add_option("-t,--threads", ea.threads, "Worker threads (0 = all cores)")
        ->capture_default_str()
        ->check(whole_number(0, 100000, "0 or more"));

    std::string export_file, export_dir;
    auto* exp = app.add_subcommand(
        "export", "Write a results file's tables and series as CSV files (for spreadsheets)");
    exp->add_option("file", export_file, "Results file (HDF5)")->required();
    exp->add_option("--csv", export_dir, "Output folder (created if missing)")->required();

    std::vector<std::string> vfiles;
    auto* validate = app.add_subcommand(
        "validate", "Check scenario files without running them (exit 2 on problems)");
    validate->add_option("files", vfiles, "Scenario files")->required();

    std::string show_file;
    std::vector<std::string> show_sets;
    auto* show = app.add_subcommand(
        "show", "Print the fully resolved scenario (bases, overrides and defaults applied)");
    show->add_option("file", show_file, "Scenario file")->required();
    show->add_option("--set", show_sets, "Override a parameter: key=value; repeatable");

    auto* params = app.add_subcommand("params", "Print the parameter reference (Markdown table)");
    std::string odd_keys;
    bool experiment_keys = false;
    params->add_flag("--experiment", experiment_keys,
                     "Print the [experiment] keys instead (docs/SCENARIOS.md)");
    bool params_csv = false;
    auto* csv_flag = params->add_flag(
        "--csv", params_csv,
        "Print the scenario field table as CSV (key, table, field, type, default, min, max, "
        "choices, unit, lever, description, source; the form the Python analysis reads)");
    params
        ->add_option("--odd", odd_keys,
                     "Only these keys, comma-separated, as docs/ODD.md shows them (key, default, "
                     "unit, source); "
                     "NGO keys as ngo_defaults.KEY; * matches one key segment, e.g. "
                     "pipeline.*.effort_hours; "
                     "@stages prints the per-stage table")
        ->excludes(csv_flag);
    csv_flag->excludes(params->get_option("--experiment"));
    auto* outputs = app.add_subcommand(
        "outputs",
        "Print the output reference (series, summary metrics, events, tables; Markdown)");

    auto* report =
        app.add_subcommand("report",
                           "Write an HTML report (figures, tables, plain-language summary) of "
                           "results file(s) with the Python analysis package");
    report->footer(
        "Arguments: RESULTS.h5 [MORE.h5 ...] -o DIR [--embed] [--baseline N] ... (all passed to "
        "the "
        "analysis package; `pse-sim report --help` lists them)");
    report->set_help_flag();  // --help goes to the analysis package, which lists the report's own
                              // options
    report->prefix_command();
    report->fallthrough(false);  // pass every argument on to the analysis package

    auto* vmodel = app.add_subcommand("validate-model",
                                      "Run the validation scenarios and compare the model with the "
                                      "field evidence (docs/VALIDATION.md)");
    vmodel->footer(
        "Arguments are passed to the analysis package: [--quick] [--set key=value ...] [-o DIR]\n"
        "(`pse-sim validate-model -- --help` shows them all). Exit code 1 if a target is missed.");
    vmodel->prefix_command();
    vmodel->fallthrough(false);
    auto* calib = app.add_subcommand(
        "calibrate", "Calibrate uncertain parameters to the validation targets (ABC rejection)");
    calib->footer("Arguments are passed to the analysis package (`pse-sim calibrate -- --help`).");
    calib->prefix_command();
    calib->fallthrough(false);

    auto* serve = app.add_subcommand("serve",
                                     "Start the what-if page: a local web app to run and compare "
                                     "scenarios in the browser (prints the URL)");
    serve->footer(
        "Options (passed to the web app, analysis/pse_web):\n"
        "  --port N                 port (default 8050; 0 = any free port)\n"
        "  --host ADDR              address to listen on (default 127.0.0.1: this machine only); "
        "any other\n"
        "                           address makes the server print a random access token and "
        "refuse\n"
        "                           requests without it\n"
        "  --require-token          require the token on 127.0.0.1 too\n"
        "  -o, --output DIR         folder results are written to (default results/web)\n"
        "  --scenarios DIR          bundled scenarios offered on the page (default: the "
        "repository's)\n"
        "  --threads N              threads per job (0 = all cores)\n"
        "  --max-replications N     (100)   --max-weeks N (1040)   --max-organisations N (20000)\n"
        "  --max-waiting N          jobs that may wait for a free slot (8)\n"
        "  --job-time-limit S       seconds per job (60)");
    serve->prefix_command();
    serve->fallthrough(false);

    std::string info_file;
    auto* info = app.add_subcommand("info", "Describe a results file");
    info->add_option("file", info_file, "Results file (HDF5)")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (launched_rank() > 0)
            return e.get_exit_code() == 0 ? 0 : 2;  // under mpirun: rank 0 says it
        const int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    auto logger = spdlog::stderr_color_mt("pse");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%^%l%$: %v");
    spdlog::set_level(quiet     ? spdlog::level::err
                      : verbose ? spdlog::level::debug
                                : spdlog::level::info);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGHUP, on_signal);  // a closed terminal or ssh session: stop cleanly, like SIGTERM
    try {
        if ((*run || *sweep) && launched_size() != 0 && launched_size() != 1) {
#ifdef PSE_HAVE_MPI
            return cmd_mpi(static_cast<bool>(*sweep), *sweep ? sa : ra, quiet, cmdline, &argc,
                           &argv);
#else
            if (launched_rank() == 0)
                fmt::print(stderr,
                           "error: started by an MPI launcher with several processes, but this "
                           "pse-sim was built "
                           "without MPI; run it without mpirun, or install libopenmpi-dev "
                           "(scripts/install-deps "
                           "--mpi) and rebuild\n");
            return 2;
#endif
        }
        if (*run) return cmd_run(ra, quiet, cmdline);
        if (*sweep) return cmd_sweep(sa, quiet, cmdline);
        if (*effects) return cmd_effects(ea, quiet);
        if (*exp) {
            const auto files = pse::export_csv(export_file, export_dir);
            if (!quiet) fmt::print("wrote {} CSV files to {}\n", files, export_dir);
            return 0;
        }
        if (*validate) return cmd_validate(vfiles);
        if (*show) {
            pse::LoadOptions lo;
            lo.overrides = show_sets;
            lo.extra_tables = {"experiment"};  // an experiment file: show its base scenario
            std::cout << pse::dump_scenario(pse::load_scenario(show_file, lo).scenario);
            return 0;
        }
        if (*params) {
            if (params_csv) {
                std::cout << pse::parameter_table_csv();
                return 0;
            }
            return experiment_keys    ? cmd_params_experiment()
                   : odd_keys.empty() ? cmd_params()
                                      : cmd_params_odd(odd_keys);
        }
        if (*outputs) {
            std::cout << pse::output_reference_markdown();
            return 0;
        }
        for (auto* sub : {vmodel, calib})
            if (*sub) {
                auto args = sub->remaining();
                if (!args.empty() && args.front() == "--") args.erase(args.begin());
                return exec_analysis(sub->get_name(), args);
            }
        if (*report) {
            auto args = report->remaining();
            if (!args.empty() && args.front() == "--") args.erase(args.begin());
            if (args.empty()) {
                fmt::print(
                    stderr,
                    "error: report needs a results file and -o DIR (see pse-sim report --help)\n");
                return 2;
            }
            return exec_analysis("report", args);
        }
        if (*serve) {
            auto args = serve->remaining();
            if (!args.empty() && args.front() == "--") args.erase(args.begin());
            return cmd_serve(args);
        }
        if (*info) return cmd_info(info_file);
    } catch (const pse::InputError& e) {
        return report_input_error(e);
    } catch (const pse::IoError& e) {
        fmt::print(stderr, "error: {}\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        fmt::print(stderr, "error: {}\n", e.what());
        return 1;
    }
    return 0;
}
