#pragma once
// Shared test fixtures: small scenarios and helpers. Paths come from CMake definitions.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "pse/model.h"
#include "pse/params.h"
#include "pse/results.h"
#include "pse/scenario_loader.h"

namespace pse::test {

/// Repository root (for scenarios/ and tests/data/).
inline std::filesystem::path source_dir() {
    return PSE_SOURCE_DIR;
}
/// Path of the built pse-sim executable.
inline std::string cli() {
    return PSE_CLI;
}

/// A small, fast ecosystem: 1 NGO, 20 MNCs, 200 suppliers, 2 agencies, 1 association, 3 years.
inline Scenario small_scenario() {
    Scenario s;
    s.name = "small";
    s.weeks = 156;
    s.ecosystem.mnc_count = 20;
    s.ecosystem.supplier_count = 200;
    s.ecosystem.government_count = 2;
    s.ecosystem.association_count = 1;
    s.ngo_defaults.end_week = 130;
    return s;
}

/// Unique temporary directory for a test (removed by the caller if wanted).
/// File metadata of a results file of `n_runs` runs of `weeks` weeks, one design point with
/// n_runs replications (for writing results files directly in tests).
inline ResultsMeta results_meta(const std::string& name, std::int64_t n_runs, int weeks) {
    ResultsMeta meta;
    meta.scenario_name = name;
    meta.resolved = {"[run]\n"};
    meta.n_runs = n_runs;
    meta.replications = n_runs;
    meta.weeks = weeks;
    return meta;
}

inline std::filesystem::path temp_dir(const std::string& name) {
    auto d = std::filesystem::temp_directory_path() /
             ("pse_test_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
}

/// Fresh, empty temporary folder for one test: `<prefix>_<name>` under temp_dir (emptied first).
inline std::filesystem::path fresh_dir(const std::string& prefix, const std::string& name) {
    std::string leaf = prefix;
    leaf.append("_").append(name);
    auto d = temp_dir(leaf);
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}

/// Sorted file names in a folder (to check that nothing was left behind).
inline std::vector<std::string> list_dir(const std::filesystem::path& d) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(d))
        out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

/// Whole file as bytes ("" if it cannot be read).
inline std::string read_all(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Replace a file's contents with `text` (bytes).
inline void write_all(const std::filesystem::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
}

/// A tiny, fast scenario (well under a second for a few replications) for CLI tests.
inline constexpr const char* kTinyScenario = R"([run]
name = "tiny"
weeks = 52
seed = 7
[ecosystem]
mnc_count = 10
supplier_count = 50
government_count = 1
association_count = 1
[ngo_defaults]
end_week = 40
)";

}  // namespace pse::test
