#pragma once
// Shared test fixtures: small scenarios and helpers. Paths come from CMake definitions.
#include <unistd.h>

#include <filesystem>
#include <string>

#include "pse/model.h"
#include "pse/params.h"
#include "pse/scenario_loader.h"

namespace pse::test {

/// Repository root (for scenarios/ and tests/data/).
inline std::filesystem::path source_dir() { return PSE_SOURCE_DIR; }
/// Path of the built pse-sim executable.
inline std::string cli() { return PSE_CLI; }

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
inline std::filesystem::path temp_dir(const std::string& name) {
    auto d = std::filesystem::temp_directory_path() / ("pse_test_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
}

}  // namespace pse::test
