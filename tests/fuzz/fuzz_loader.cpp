// libFuzzer target over the scenario and experiment loaders (docs/BAD_INPUT.md).
//
// Input: TOML text; after the first NUL byte, up to four NUL-separated "key=value" overrides
// (as given to --set). For every input:
//   1. pse::load_scenario_text(text, overrides)   (the `run`/`validate`/`show` path)
//   2. pse::load_experiment(file with text, overrides, 2000 runs at most)   (the `sweep` path)
// Properties checked (a violation aborts, which libFuzzer reports as a crash):
//   - the loaders return or throw pse::InputError; nothing else escapes, nothing crashes, hangs,
//     leaks or has undefined behaviour (AddressSanitizer + UndefinedBehaviorSanitizer);
//   - every problem names a file and has a message;
//   - a loaded scenario round-trips: load(dump(s)) succeeds and dumps to the same text;
//   - a loaded experiment has at least one design point, replications >= 1, and the results-file
//     metadata (design columns, fingerprint) can be built.
// The experiment file lives in a private temporary folder holding copies of scenarios/*.toml, so
// `extends = "default.toml"` in the corpus resolves there. Run with scripts/fuzz.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "pse/errors.h"
#include "pse/experiment.h"
#include "pse/scenario_loader.h"
#include "pse/sweep.h"

namespace {

namespace fs = std::filesystem;

fs::path g_input;  // file the experiment loader reads

[[noreturn]] void violated(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_loader: property violated: %s\n%s\n", what, detail.c_str());
    std::abort();
}

void check_problems(const pse::InputError& e) {
    if (e.problems().empty()) violated("InputError without problems", e.what());
    for (const auto& p : e.problems())
        if (p.file.empty() || p.message.empty())
            violated("problem without file or message", p.format());
}

void scenario_path(const std::string& text, const pse::LoadOptions& opts) {
    pse::LoadedScenario l;
    try {
        l = pse::load_scenario_text(text, "fuzz.toml", opts);
    } catch (const pse::InputError& e) {
        check_problems(e);
        return;
    }
    const std::string dumped = pse::dump_scenario(l.scenario);
    try {
        const auto back = pse::load_scenario_text(dumped, "dumped.toml");
        const std::string again = pse::dump_scenario(back.scenario);
        if (again != dumped)
            violated("dump/load round trip changed the scenario", dumped + "\n---\n" + again);
    } catch (const pse::InputError& e) {
        violated("the dump of a valid scenario does not load",
                 e.problems().front().format() + "\n" + dumped);
    }
}

void experiment_path(const std::string& text, const std::vector<std::string>& overrides) {
    {
        std::ofstream out(g_input, std::ios::binary | std::ios::trunc);
        out << text;
    }
    try {
        const auto e = pse::load_experiment(g_input, overrides, 2000);
        if (e.points.empty() || e.replications < 1)
            violated("experiment without design points or replications", text);
        if (e.labels.size() != e.points.size())
            violated("labels and design points differ in number", text);
        (void)pse::design_columns(e);
        (void)pse::experiment_fingerprint(e);
        (void)pse::make_meta(e, "fuzz");
    } catch (const pse::InputError& e) {
        check_problems(e);
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // Private folder for the experiment file, with the bundled scenarios (targets of `extends`).
    // The working directory is left alone: libFuzzer resolves corpus paths against it.
    const auto dir = fs::temp_directory_path() / ("pse_fuzz_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(fs::path(PSE_SOURCE_DIR) / "scenarios", ec))
        if (entry.path().extension() == ".toml")
            fs::copy_file(entry.path(), dir / entry.path().filename(),
                          fs::copy_options::overwrite_existing, ec);
    g_input = dir / "input.toml";
    std::atexit([] {
        std::error_code ec2;
        fs::remove_all(g_input.parent_path(), ec2);
    });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string all(reinterpret_cast<const char*>(data), size);
    const auto nul = all.find('\0');
    const std::string text = all.substr(0, nul);
    std::vector<std::string> overrides;
    for (auto pos = nul; pos != std::string::npos && overrides.size() < 4;) {
        const auto next = all.find('\0', pos + 1);
        overrides.push_back(
            all.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1));
        pos = next;
    }
    pse::LoadOptions opts;
    opts.overrides = overrides;
    try {
        scenario_path(text, opts);
        experiment_path(text, overrides);
    } catch (const pse::InputError& e) {
        check_problems(e);  // an override can fail outside the collected problems
    } catch (const std::exception& e) {
        violated("an exception other than pse::InputError escaped the loader", e.what());
    }
    return 0;
}
