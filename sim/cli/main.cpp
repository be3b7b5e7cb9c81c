// pse-sim command line: a thin front end over the pse library. Maps library exceptions to
// messages and exit codes: 0 ok, 1 runtime/I-O failure, 2 bad input, 130 interrupted.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "pse/errors.h"
#include "pse/metrics.h"
#include "pse/report.h"
#include "pse/results.h"
#include "pse/runner.h"
#include "pse/scenario_loader.h"
#include "pse/version.h"

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop = true; }

std::string command_line(int argc, char** argv) {
    std::string s;
    for (int i = 0; i < argc; ++i) s += (i ? " " : "") + std::string(argv[i]);
    return s;
}

/// Progress bar with rate and ETA on stderr; silent unless stderr is a terminal, not quiet, and
/// the work has taken more than two seconds.
class Progress {
public:
    explicit Progress(bool enabled) : enabled_(enabled && isatty(2)), t0_(std::chrono::steady_clock::now()) {}
    void update(std::int64_t done, std::int64_t failed, std::int64_t total) {
        if (!enabled_) return;
        const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
        if (el < 2.0 && done + failed < total) return;
        if (el - last_ < 0.2 && done + failed < total) return;
        last_ = el;
        const std::int64_t n = done + failed;
        const double rate = n / std::max(el, 1e-9);
        const double eta = rate > 0 ? (total - n) / rate : 0;
        const int width = 30;
        const int fill = total > 0 ? static_cast<int>(width * n / total) : width;
        fmt::print(stderr, "\r[{}{}] {}/{} runs{}  {:.1f} runs/s  ETA {:.0f}s   ", std::string(fill, '='),
                   std::string(width - fill, ' '), n, total, failed ? fmt::format(" ({} failed)", failed) : "", rate, eta);
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

int report_input_error(const pse::InputError& e) {
    for (const auto& p : e.problems()) fmt::print(stderr, "error: {}\n", p.format());
    if (e.problems().size() > 1) fmt::print(stderr, "{} problems found; nothing was run.\n", e.problems().size());
    return 2;
}

struct RunArgs {
    std::string scenario;
    std::string output;
    std::int64_t replications = 10;
    std::int64_t seed = -1;
    std::vector<std::string> sets;
    bool overwrite = false;
    int threads = 0;
};

int cmd_run(const RunArgs& a, bool quiet, const std::string& cmdline) {
    pse::LoadOptions lo;
    lo.overrides = a.sets;
    auto loaded = pse::load_scenario(a.scenario, lo);
    auto& s = loaded.scenario;
    if (a.seed >= 0) s.seed = static_cast<std::uint64_t>(a.seed);
    if (a.replications < 1) throw pse::InputError(pse::InputProblem{"--replications", 0, 0, "", "must be at least 1"});
    const std::string output = a.output.empty() ? "results/" + s.name + ".h5" : a.output;
    if (a.output.empty()) std::filesystem::create_directories("results");

    pse::RunPlan plan;
    plan.design_points = {s};
    plan.replications = a.replications;
    plan.master_seed = s.seed;
    pse::ResultsMeta meta;
    meta.scenario_name = s.name;
    meta.command_line = cmdline;
    meta.file_names = loaded.files;
    meta.file_texts = loaded.texts;
    meta.resolved = {pse::dump_scenario(s)};
    meta.n_runs = plan.n_runs();
    meta.n_design_points = 1;
    meta.replications = plan.replications;
    meta.weeks = s.weeks;
    pse::ResultsWriter writer(output, meta, a.overwrite);

    spdlog::info("scenario '{}': {} weeks, {} replication(s), seed {}", s.name, s.weeks, a.replications, s.seed);
    std::vector<std::vector<double>> summaries;
    Progress progress(!quiet);
    pse::RunnerOptions ro;
    ro.threads = a.threads;
    ro.stop = &g_stop;
    ro.on_progress = [&](auto d, auto f, auto t) { progress.update(d, f, t); };
    std::vector<std::string> errors;
    const auto tally = pse::execute(plan, ro, [&](pse::RunRecord&& rec) {
        if (rec.status == pse::RunStatus::kDone) summaries.push_back(rec.output.summary);
        else errors.push_back(fmt::format("run {} (seed {}): {}", rec.run_id, rec.seed, rec.error));
        writer.write_run(std::move(rec));
    });
    progress.finish();
    if (tally.stopped) {
        fmt::print(stderr, "interrupted after {} of {} runs; no results written ('{}' untouched)\n", tally.done,
                   plan.n_runs(), output);
        return 130;
    }
    writer.finalize();
    for (const auto& e : errors) spdlog::error("{}", e);
    if (!quiet) {
        std::cout << pse::summary_table("Scenario '" + s.name + "'", summaries);
        std::cout << fmt::format("{} run(s) done, {} failed, {:.2f} s wall; results in {}\n", tally.done, tally.failed,
                                 tally.wall_seconds, output);
    }
    return tally.failed > 0 ? 1 : 0;
}

int cmd_validate(const std::vector<std::string>& files) {
    int rc = 0;
    for (const auto& f : files) {
        try {
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
    fmt::print("| key | type | default | unit | range | description | source |\n|---|---|---|---|---|---|---|\n");
    const pse::Scenario def;
    auto type_of = [](pse::FieldType t) {
        switch (t) {
            case pse::FieldType::kReal: return "real";
            case pse::FieldType::kInteger: return "integer";
            case pse::FieldType::kBoolean: return "boolean";
            case pse::FieldType::kChoice: return "choice";
            case pse::FieldType::kText: return "text";
        }
        return "";
    };
    auto range_of = [](const auto& f) -> std::string {
        if (f.type == pse::FieldType::kReal || f.type == pse::FieldType::kInteger) return fmt::format("[{}, {}]", f.min, f.max);
        if (f.type == pse::FieldType::kChoice) {
            std::string s;
            for (const auto& c : f.choices) s += (s.empty() ? "" : ", ") + c;
            return s;
        }
        return "";
    };
    for (const auto& f : pse::scenario_fields())
        fmt::print("| `{}` | {} | `{}` | {} | {} | {} | {} |\n", f.key, type_of(f.type), pse::to_toml(f.get(def)), f.unit,
                   range_of(f), f.doc, f.source);
    for (const auto& f : pse::ngo_fields())
        fmt::print("| `ngo_defaults.{}` / `[[ngo]] {}` | {} | `{}` | {} | {} | {} | {} |\n", f.key, f.key, type_of(f.type),
                   pse::to_toml(f.get(def.ngo_defaults)), f.unit, range_of(f), f.doc, f.source);
    return 0;
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
    fmt::print("created (UTC):   {} by pse-sim {} ({})\n", r.attrs.at("created_utc"), r.attrs.at("pse_sim_version"),
               r.attrs.at("git_commit"));
    fmt::print("command:         {}\n", r.attrs.at("command_line"));
    fmt::print("design points:   {}   replications: {}   runs: {} ({} done, {} failed)\n", r.attrs.at("n_design_points"),
               r.attrs.at("replications"), r.n_runs, done, failed);
    fmt::print("time span:       {} weeks ({:.1f} years)\n", r.weeks, r.weeks / 52.0);
    if (!r.design_keys.empty()) {
        fmt::print("varied:          ");
        for (const auto& k : r.design_keys) fmt::print("{} ", k);
        fmt::print("\n");
    }
    fmt::print("events:          {}\n", r.n_events);
    fmt::print("series [run x week]:\n");
    for (const auto& s : pse::kSeriesSpecs) fmt::print("  {:<26} {:<24} {}\n", s.name, s.unit, s.kind);
    std::vector<std::vector<double>> summaries;
    for (std::int64_t i = 0; i < r.n_runs; ++i) {
        if (r.status[i] != static_cast<std::int8_t>(pse::RunStatus::kDone)) continue;
        std::vector<double> row;
        for (const auto& s : pse::kSummarySpecs) row.push_back(r.summary.at(std::string(s.name))[i]);
        summaries.push_back(row);
    }
    std::cout << pse::summary_table("All runs", summaries);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string cmdline = command_line(argc, argv);
    CLI::App app{"pse-sim: agent-based simulator of private sector engagement (PSE) in counter-trafficking (CTIP) work"};
    app.set_version_flag("--version", fmt::format("pse-sim {} (commit {})", pse::kVersion, pse::kGitCommit));
    app.require_subcommand(1);
    bool verbose = false, quiet = false;
    app.add_flag("-v,--verbose", verbose, "Log more detail (debug level) to stderr");
    app.add_flag("-q,--quiet", quiet, "Only print errors");

    RunArgs ra;
    auto* run = app.add_subcommand("run", "Run a scenario (replications in parallel) and write an HDF5 results file");
    run->add_option("scenario", ra.scenario, "Scenario file (TOML), e.g. scenarios/default.toml")->required();
    run->add_option("-o,--output", ra.output, "Results file (HDF5); default results/<scenario name>.h5");
    run->add_option("-r,--replications", ra.replications, "Replications (independent seeds derived from the scenario seed)")
        ->capture_default_str();
    run->add_option("--seed", ra.seed, "Override the scenario's run.seed (master seed of the replications)");
    run->add_option("--set", ra.sets, "Override a parameter: key=value (e.g. ngo[*].dedicated_fte=2); repeatable");
    run->add_flag("--overwrite", ra.overwrite, "Replace an existing results file");
    run->add_option("-t,--threads", ra.threads, "Worker threads (0 = all cores)")->capture_default_str();

    std::vector<std::string> vfiles;
    auto* validate = app.add_subcommand("validate", "Check scenario files without running them (exit 2 on problems)");
    validate->add_option("files", vfiles, "Scenario files")->required();

    std::string show_file;
    std::vector<std::string> show_sets;
    auto* show = app.add_subcommand("show", "Print the fully resolved scenario (bases, overrides and defaults applied)");
    show->add_option("file", show_file, "Scenario file")->required();
    show->add_option("--set", show_sets, "Override a parameter: key=value; repeatable");

    auto* params = app.add_subcommand("params", "Print the parameter reference (Markdown table)");

    std::string info_file;
    auto* info = app.add_subcommand("info", "Describe a results file");
    info->add_option("file", info_file, "Results file (HDF5)")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    auto logger = spdlog::stderr_color_mt("pse");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%^%l%$: %v");
    spdlog::set_level(quiet ? spdlog::level::err : verbose ? spdlog::level::debug : spdlog::level::info);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    try {
        if (*run) return cmd_run(ra, quiet, cmdline);
        if (*validate) return cmd_validate(vfiles);
        if (*show) {
            pse::LoadOptions lo;
            lo.overrides = show_sets;
            std::cout << pse::dump_scenario(pse::load_scenario(show_file, lo).scenario);
            return 0;
        }
        if (*params) return cmd_params();
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
