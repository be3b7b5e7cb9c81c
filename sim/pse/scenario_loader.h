#pragma once
/// Loading and validating scenario files (TOML), with `extends` inheritance and key=value
/// overrides.
///
/// Data flow: file text --toml++--> table --(extends: deep-merge onto the base file's table)-->
/// --(overrides)--> field table conversion + range checks + cross-field checks --> Scenario.
/// All problems are collected and thrown together as one InputError (exit code 2 in the CLI);
/// nothing is simulated before a scenario has passed validation.
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "pse/errors.h"
#include "pse/keys.h"
#include "pse/params.h"

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace pse {

/// A loaded scenario with the text it came from.
struct LoadedScenario {
    Scenario scenario;
    std::string path;                ///< file it was loaded from ("<string>" for text)
    std::vector<std::string> files;  ///< every file read (the file, then its bases)
    std::vector<std::string> texts;  ///< the text of each file in `files`
};

/// Options for load_scenario.
struct LoadOptions {
    std::vector<std::string> overrides;  ///< "key=value" strings (TOML values), applied last
    std::set<std::string> extra_tables;  ///< top-level tables to ignore (e.g. "experiment")
    double memory_limit_bytes = 16.0 * (1ULL << 30);  ///< refuse scenarios estimated above this
    /// load_scenario_text() only: folder its `extends` is resolved against (empty = the current
    /// directory). The Python API and the web app (sim/python) set it to the scenario folder.
    std::filesystem::path text_base_dir;
};

/// Load, merge, override and validate a scenario file.
/// Throws InputError listing every problem (missing file, TOML syntax with line:column, unknown key
/// with a suggestion, wrong type, out-of-range or non-finite value, inconsistent combination).
LoadedScenario load_scenario(const std::filesystem::path& file, const LoadOptions& opts = {});

/// Same, from TOML text (`name` is used as the file name in messages; `extends` is resolved
/// relative to opts.text_base_dir, by default the current directory).
LoadedScenario load_scenario_text(const std::string& text, const std::string& name,
                                  const LoadOptions& opts = {});

/// Parse the merged TOML table of a file (following `extends`), without validating the scenario.
/// Used by the experiment loader. Throws InputError.
toml::table load_merged_table(const std::filesystem::path& file, std::vector<std::string>* files,
                              std::vector<std::string>* texts);

/// Convert a merged table to a validated Scenario. Throws InputError.
Scenario scenario_from_table(const toml::table& t, const std::string& file,
                             const LoadOptions& opts);

/// Apply one "key=value" override to a table (keys like "trust.gain_rate", "ngo[0].dedicated_fte",
/// "ngo[*].handover"). Throws InputError on a malformed override.
void apply_override(toml::table& t, const std::string& assignment);

/// The problems of `e`, with those about a key set by one of `overrides` ("key=value", as given
/// to --set) reported against "--set key=value" instead of the file (an overridden value has no
/// line in any file). Keys `ngo[*].x` match problems about `ngo_defaults.x`.
InputError attribute_overrides(const InputError& e, const std::vector<std::string>& overrides);

/// Cross-field consistency checks (project dates, skills, NGO count, memory estimate) of a
/// scenario built in code (e.g. a design point). Throws InputError naming `file` and the key.
void check_scenario(const Scenario& s, const std::string& file, const LoadOptions& opts = {});

/// Fully resolved scenario as TOML text (every field, defaults included). parse(dump(s)) == s.
std::string dump_scenario(const Scenario& s);

/// Rough peak memory a run of the scenario needs (bytes): organisations, edges, relationships.
double estimate_memory_bytes(const Scenario& s);

}  // namespace pse
