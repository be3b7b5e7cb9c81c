#pragma once
/// Parameter keys and values, in one place: the grammar by which a scenario file, `--set`, an
/// experiment's factors and points, a posterior draws file's header, `pse-sim effects --only`,
/// the Python API and the web app name a row of the field table (pse/params.h), and the one
/// validator every value passes before it is set.
///
/// Key grammar (docs/SCENARIOS.md, "Setting parameters"):
///
///   trust.gain_rate        a scenario field: a key of scenario_fields()
///   ngo_defaults.trained   the NGO defaults only ([ngo_defaults]): a key of ngo_fields()
///   ngo[*].trained         the NGO defaults and every explicit [[ngo]] entry
///   ngo[2].trained         explicit [[ngo]] entry 2 (0-based; digits only, at most 9)
///
/// Values: a FieldValue (real, integer, boolean or string). check_value() is the only place
/// that decides whether a value is valid for a field (type, finiteness, range, allowed choice,
/// text without control characters, run.name usable as a file name); the scenario loader, the
/// experiment loader, `pse-sim effects` and the Python API all call it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pse/errors.h"
#include "pse/params.h"

namespace pse {

/// Which object a key addresses.
enum class KeyTarget : std::uint8_t {
    kScenario,     ///< "trust.gain_rate": the scenario itself
    kNgoDefaults,  ///< "ngo_defaults.x": [ngo_defaults] only
    kNgoAll,       ///< "ngo[*].x": [ngo_defaults] and every [[ngo]] entry
    kNgoEntry,     ///< "ngo[i].x": [[ngo]] entry i
};

/// A parsed parameter key: its target, the entry index (kNgoEntry), the field's key within its
/// table and, when the field is known, its field table row.
struct ParamKey {
    KeyTarget target = KeyTarget::kScenario;
    std::size_t index = 0;                                ///< kNgoEntry only
    std::string field;                                    ///< "trust.gain_rate", "trained"
    const FieldSpec<Scenario>* scenario_field = nullptr;  ///< kScenario
    const FieldSpec<NgoParams>* ngo_field = nullptr;      ///< the NGO targets
    /// true when `field` is a row of the field table (parse_key guarantees it).
    [[nodiscard]] bool known() const { return scenario_field || ngo_field; }
    /// The field table row (type, range, unit, doc, source) the key names. Requires known().
    [[nodiscard]] const FieldInfo& info() const;
    /// The key written out again: "trust.gain_rate", "ngo_defaults.x", "ngo[*].x", "ngo[3].x".
    [[nodiscard]] std::string text() const;
};

/// Split a key by the grammar without requiring a known field (the scenario loader places an
/// override first and reports unknown keys with every other problem). Throws InputError
/// (file `where`) for a malformed "ngo[...]" part only.
ParamKey split_key(const std::string& key, const std::string& where = "");

/// Parse a parameter key. Throws InputError (file `where`, the key, a message) for a malformed
/// key ("ngo[x].y", "ngo[*]" without a field, a sign or more than 9 digits in the index) and
/// for an unknown one, with the closest known key as a suggestion.
ParamKey parse_key(const std::string& key, const std::string& where = "");

/// Like parse_key, but nullopt instead of an error.
std::optional<ParamKey> find_key(const std::string& key);

/// The keys `--set` and experiments accept for every field: the scenario keys, then
/// "ngo[*].<key>" for each NGO field (the form results files, `pse-sim effects` and the
/// Python API use). Used for suggestions and for enumerations.
const std::vector<std::string>& settable_keys();

/// "ngo[*].<field>": the key that sets NGO field `field` on every project.
std::string ngo_all_key(const std::string& field);

/// "ngo_defaults.x" for "ngo[*].x" (the loader reports problems of [ngo_defaults] under that
/// name), else `key` unchanged.
std::string defaults_key(const std::string& key);

/// "ngo[*].x" for "ngo_defaults.x" (the key `pse-sim effects` and results files use), else `key`.
std::string every_ngo_key(const std::string& key);

/// Check `v` against field `f` and normalise it in place (an integer given for a real field
/// becomes a real). Returns "" when the value is valid, else the message for the user, e.g.
/// "expected a number (1/week), got a boolean", "value 2 is out of range [0, 1]",
/// "\"charm\" is not one of \"scrutiny\", \"partnership\"". `key` is the key as the user wrote
/// it (run.name is also checked with name_problem()). The only value validator of pse-sim.
std::string check_value(const FieldInfo& f, const std::string& key, FieldValue& v);

/// What a field expects, as messages say it: "a number (1/week)", "an integer", "true or false",
/// "a string". check_value's type messages are "expected " + this + ", got " + the given type.
std::string expected_text(const FieldInfo& f);

/// How a FieldValue's type reads in messages: "a number", "an integer", "a boolean", "a string".
const char* value_type_name(const FieldValue& v);

/// Set one parameter on a scenario: parse `key`, check `value` (check_value) and set it on the
/// object(s) the key addresses. Throws InputError (file `where`, the key, the message) for an
/// unknown or malformed key, an invalid value, or an entry index past the scenario's [[ngo]]
/// entries.
void set_parameter(Scenario& s, const std::string& key, FieldValue value,
                   const std::string& where = "");

/// Value of one parameter by key; for "ngo[*].x" the [ngo_defaults] value. Throws InputError
/// for an unknown key or an entry index past the scenario's [[ngo]] entries.
FieldValue get_parameter(const Scenario& s, const std::string& key);

/// The parameter field table as CSV (`pse-sim params --csv`; the form the Python analysis
/// reads): a header line, then one row per settable key in settable_keys() order, columns
///   key      the key as --set and experiments take it (NGO fields as "ngo[*].x")
///   table    the TOML table that holds it in a scenario file ("ngo_defaults" for NGO fields)
///   field    its name inside that table
///   type     real, integer, boolean, choice or text (field_type_name)
///   default  the default value as TOML text
///   min, max the valid range of a real or integer field (empty otherwise)
///   choices  a choice field's values separated by '|' (empty otherwise)
///   unit, lever (true/false: a program design decision), description, source
std::string parameter_table_csv();

/// `key` for a message: keys longer than 80 characters are shortened, with their length.
std::string shown_key(const std::string& key);

/// Closest key among `candidates` by edit distance (also against a candidate's last component
/// when `key` has no dot), or "" if none is close. Of equally close candidates the first wins,
/// except that an every-NGO key (ngo_defaults.KEY, ngo[*].KEY) wins over other tables' fields.
std::string suggest_key(const std::string& key, const std::vector<std::string>& candidates);

/// Why `name` (run.name or experiment.name) cannot name a results file, or "" if it can. A name
/// is a label, not a path: the default output of `run`/`sweep` is results/NAME.h5, so a name must
/// not be empty, contain '/', start with '.', or be longer than 200 bytes (docs/BAD_INPUT.md).
std::string name_problem(const std::string& name);

/// The first bidirectional-override or isolate character (U+202A..U+202E, U+2066..U+2069) in UTF-8
/// `text` as "U+XXXX", or "" if there is none. Such characters make a name display differently from
/// what it is, so text values refuse them.
std::string bidi_control_in(const std::string& text);

}  // namespace pse
