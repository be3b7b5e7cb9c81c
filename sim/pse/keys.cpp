#include "pse/keys.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace pse {
namespace {

constexpr std::string_view kDefaultsPrefix = "ngo_defaults.";
constexpr std::string_view kEveryNgoPrefix = "ngo[*].";
/// Longest [[ngo]] index accepted (digits): more than the 60000 NGOs a scenario may hold
/// (check_consistency) and short enough never to overflow std::size_t.
constexpr std::size_t kMaxIndexDigits = 9;
/// run.name / experiment.name: the default output is results/NAME.h5 (docs/BAD_INPUT.md).
constexpr std::size_t kMaxNameBytes = 200;
/// Unknown keys longer than this are shortened in messages (docs/BAD_INPUT.md).
constexpr std::size_t kMaxShownKey = 80;

template <class T>
const FieldSpec<T>* find_field(const std::vector<FieldSpec<T>>& fields, std::string_view key) {
    const auto it =
        std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.key == key; });
    return it == fields.end() ? nullptr : &*it;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min(
                {prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

/// The grammar itself. On a malformed key returns nullopt and sets `why`.
std::optional<ParamKey> split(const std::string& key, std::string& why) {
    ParamKey k;
    k.field = key;
    if (key.rfind(kDefaultsPrefix, 0) == 0) {
        k.target = KeyTarget::kNgoDefaults;
        k.field = key.substr(kDefaultsPrefix.size());
    } else if (key.rfind("ngo[", 0) == 0) {
        const auto close = key.find(']');
        if (close == std::string::npos || close + 2 >= key.size() || key[close + 1] != '.') {
            why = "malformed key: write ngo[*].KEY or ngo[i].KEY";
            return std::nullopt;
        }
        const std::string idx = key.substr(4, close - 4);
        k.field = key.substr(close + 2);
        if (idx == "*") {
            k.target = KeyTarget::kNgoAll;
        } else {
            // Digits only: std::stoul accepts "-1" (as 18446744073709551615), "+0" and "1x".
            if (idx.empty() || idx.size() > kMaxIndexDigits ||
                idx.find_first_not_of("0123456789") != std::string::npos) {
                why = "array index '" + idx + "' must be a number (0, 1, ...) or *";
                return std::nullopt;
            }
            k.target = KeyTarget::kNgoEntry;
            k.index = std::stoul(idx);
        }
    }
    if (k.target == KeyTarget::kScenario)
        k.scenario_field = find_field(scenario_fields(), k.field);
    else
        k.ngo_field = find_field(ngo_fields(), k.field);
    return k;
}

}  // namespace

const FieldInfo& ParamKey::info() const {
    if (scenario_field) return *scenario_field;
    return *ngo_field;
}

std::string ParamKey::text() const {
    switch (target) {
        case KeyTarget::kScenario:
            return field;
        case KeyTarget::kNgoDefaults:
            return std::string(kDefaultsPrefix) + field;
        case KeyTarget::kNgoAll:
            return std::string(kEveryNgoPrefix) + field;
        case KeyTarget::kNgoEntry:
            return fmt::format("ngo[{}].{}", index, field);
    }
    return {};
}

ParamKey split_key(const std::string& key, const std::string& where) {
    std::string why;
    if (auto k = split(key, why)) return *k;
    throw InputError(InputProblem{where, 0, 0, shown_key(key), why});
}

ParamKey parse_key(const std::string& key, const std::string& where) {
    ParamKey k = split_key(key, where);
    if (k.known()) return k;
    const auto sug = suggest_key(every_ngo_key(key), settable_keys());
    throw InputError(InputProblem{
        where, 0, 0, shown_key(key),
        "unknown parameter" + (sug.empty() ? std::string() : "; did you mean '" + sug + "'?")});
}

std::optional<ParamKey> find_key(const std::string& key) {
    std::string why;
    auto k = split(key, why);
    if (!k || !k->known()) return std::nullopt;
    return k;
}

const std::vector<std::string>& settable_keys() {
    static const std::vector<std::string> keys = [] {
        std::vector<std::string> out;
        for (const auto& f : scenario_fields()) out.push_back(f.key);
        for (const auto& f : ngo_fields()) out.push_back(ngo_all_key(f.key));
        return out;
    }();
    return keys;
}

std::string ngo_all_key(const std::string& field) {
    return std::string(kEveryNgoPrefix) + field;
}

std::string defaults_key(const std::string& key) {
    if (key.rfind(kEveryNgoPrefix, 0) == 0)
        return std::string(kDefaultsPrefix) + key.substr(kEveryNgoPrefix.size());
    return key;
}

std::string every_ngo_key(const std::string& key) {
    if (key.rfind(kDefaultsPrefix, 0) == 0)
        return std::string(kEveryNgoPrefix) + key.substr(kDefaultsPrefix.size());
    return key;
}

const char* value_type_name(const FieldValue& v) {
    if (std::holds_alternative<double>(v)) return "a number";
    if (std::holds_alternative<std::int64_t>(v)) return "an integer";
    if (std::holds_alternative<bool>(v)) return "a boolean";
    return "a string";
}

std::string expected_text(const FieldInfo& f) {
    switch (f.type) {
        case FieldType::kReal:
            return "a number (" + (f.unit.empty() ? std::string("real") : f.unit) + ")";
        case FieldType::kInteger:
            return "an integer";
        case FieldType::kBoolean:
            return "true or false";
        case FieldType::kChoice:
        case FieldType::kText:
            return "a string";
    }
    return "a value";
}

namespace {

/// Why text `s` cannot be the value of text key `key`, or "" if it can: control characters
/// (other than tab and newline) garble terminal output and names in results files, so they are
/// refused with their code point, as are bidirectional controls; run and experiment names must
/// also make a file name (name_problem).
std::string text_problem(const std::string& key, const std::string& s) {
    const auto bad = std::find_if(s.begin(), s.end(), [](char ch) {
        const auto u = static_cast<unsigned char>(ch);
        return (u < 0x20 && u != '\t' && u != '\n') || u == 0x7f;
    });
    if (bad != s.end())
        return fmt::format(
            "text contains the control character U+{:04X}; only printable text, tabs "
            "and newlines are allowed",
            static_cast<unsigned>(static_cast<unsigned char>(*bad)));
    if (const auto bidi = bidi_control_in(s); !bidi.empty())
        return "text contains the bidirectional control character " + bidi +
               ", which makes text display differently from what it is";
    if (key == "run.name" || key == "experiment.name") return name_problem(s);
    return "";
}

}  // namespace

std::string check_value(const FieldInfo& f, const std::string& key, FieldValue& v) {
    const std::string unit = f.unit.empty() ? "" : " " + f.unit;
    auto out_of_range = [&](double x) -> std::string {
        if (x < f.min || x > f.max)
            return fmt::format("value {} is out of range [{}, {}]{}", x, f.min, f.max, unit);
        return "";
    };
    switch (f.type) {
        case FieldType::kReal: {
            if (std::holds_alternative<std::int64_t>(v))
                v = static_cast<double>(std::get<std::int64_t>(v));
            if (!std::holds_alternative<double>(v))
                return "expected " + expected_text(f) + ", got " + value_type_name(v);
            const double x = std::get<double>(v);
            if (!std::isfinite(x)) return "value must be finite (got nan or inf)";
            return out_of_range(x);
        }
        case FieldType::kInteger: {
            if (std::holds_alternative<double>(v)) {
                const double x = std::get<double>(v);
                if (!std::isfinite(x)) return "value must be finite (got nan or inf)";
                return "expected an integer, got the number " + fmt::format("{}", x);
            }
            if (!std::holds_alternative<std::int64_t>(v))
                return "expected " + expected_text(f) + ", got " + value_type_name(v);
            const auto x = std::get<std::int64_t>(v);
            if (static_cast<double>(x) < f.min || static_cast<double>(x) > f.max)
                return fmt::format("value {} is out of range [{}, {}]{}", x, f.min, f.max, unit);
            return "";
        }
        case FieldType::kBoolean:
            if (!std::holds_alternative<bool>(v))
                return "expected " + expected_text(f) + ", got " + value_type_name(v);
            return "";
        case FieldType::kText:
            if (!std::holds_alternative<std::string>(v))
                return "expected " + expected_text(f) + ", got " + value_type_name(v);
            return text_problem(key, std::get<std::string>(v));
        case FieldType::kChoice: {
            if (!std::holds_alternative<std::string>(v))
                return "expected " + expected_text(f) + ", got " + value_type_name(v);
            const auto& s = std::get<std::string>(v);
            if (std::find(f.choices.begin(), f.choices.end(), s) != f.choices.end()) return "";
            std::string all;
            for (const auto& c : f.choices) all += (all.empty() ? "" : ", ") + ("\"" + c + "\"");
            return fmt::format("\"{}\" is not one of {}", s, all);
        }
    }
    return "unknown field type";
}

void set_parameter(Scenario& s, const std::string& key, FieldValue value,
                   const std::string& where) {
    const ParamKey k = parse_key(key, where);
    if (const auto why = check_value(k.info(), key, value); !why.empty())
        throw InputError(InputProblem{where, 0, 0, shown_key(key), why});
    switch (k.target) {
        case KeyTarget::kScenario:
            k.scenario_field->set(s, value);
            return;
        case KeyTarget::kNgoDefaults:
            k.ngo_field->set(s.ngo_defaults, value);
            return;
        case KeyTarget::kNgoAll:
            k.ngo_field->set(s.ngo_defaults, value);
            for (auto& n : s.ngos) k.ngo_field->set(n, value);
            return;
        case KeyTarget::kNgoEntry:
            if (k.index >= s.ngos.size())
                throw InputError(
                    InputProblem{where, 0, 0, shown_key(key),
                                 fmt::format("there is no ngo[{}] in the scenario", k.index)});
            k.ngo_field->set(s.ngos[k.index], value);
            return;
    }
}

FieldValue get_parameter(const Scenario& s, const std::string& key) {
    const ParamKey k = parse_key(key);
    switch (k.target) {
        case KeyTarget::kScenario:
            return k.scenario_field->get(s);
        case KeyTarget::kNgoDefaults:
        case KeyTarget::kNgoAll:
            return k.ngo_field->get(s.ngo_defaults);
        case KeyTarget::kNgoEntry:
            if (k.index >= s.ngos.size())
                throw InputError(
                    InputProblem{"", 0, 0, shown_key(key),
                                 fmt::format("there is no ngo[{}] in the scenario", k.index)});
            return k.ngo_field->get(s.ngos[k.index]);
    }
    return {};
}

namespace {
/// One CSV row of parameter_table_csv() for field `f` with default `def`.
std::string parameter_row(const std::string& key, const std::string& table, const FieldInfo& f,
                          const FieldValue& def) {
    const bool numeric = f.type == FieldType::kReal || f.type == FieldType::kInteger;
    std::string choices;
    for (const auto& c : f.choices) choices += (choices.empty() ? "" : "|") + c;
    const auto dot = f.key.rfind('.');
    const std::string sub_table = dot == std::string::npos ? "" : f.key.substr(0, dot);
    const std::string field = dot == std::string::npos ? f.key : f.key.substr(dot + 1);
    const std::string full_table =
        table.empty() ? sub_table : (sub_table.empty() ? table : table + "." + sub_table);
    return fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(key),
                       csv_field(full_table), csv_field(field), field_type_name(f.type),
                       csv_field(to_toml(def)), numeric ? fmt::format("{}", f.min) : "",
                       numeric ? fmt::format("{}", f.max) : "", csv_field(choices),
                       csv_field(f.unit), f.lever ? "true" : "false", csv_field(f.doc),
                       csv_field(f.source));
}
}  // namespace

std::string parameter_table_csv() {
    std::string out =
        "key,table,field,type,default,min,max,choices,unit,lever,description,source\n";
    const Scenario def;
    for (const auto& f : scenario_fields()) out += parameter_row(f.key, "", f, f.get(def));
    for (const auto& f : ngo_fields())
        out += parameter_row(ngo_all_key(f.key), "ngo_defaults", f, f.get(def.ngo_defaults));
    return out;
}

std::string shown_key(const std::string& key) {
    if (key.size() <= kMaxShownKey) return key;
    return key.substr(0, kMaxShownKey) + fmt::format("... ({} characters)", key.size());
}

namespace {
/// True for a key that sets a field of every NGO (ngo_defaults.KEY or ngo[*].KEY).
bool sets_every_ngo(const std::string& key) {
    return key.starts_with(kDefaultsPrefix) || key.starts_with(kEveryNgoPrefix);
}
}  // namespace

std::string suggest_key(const std::string& key, const std::vector<std::string>& candidates) {
    if (key.size() > 2 * kMaxShownKey)
        return {};  // nothing is close, and the edit distance would be slow
    std::string best;
    std::size_t best_d = std::max<std::size_t>(2, key.size() / 3) + 1;
    for (const auto& c : candidates) {
        // compare against the full key and against its last component
        std::size_t d = edit_distance(key, c);
        const auto dot = c.rfind('.');
        if (dot != std::string::npos && key.find('.') == std::string::npos)
            d = std::min(d, edit_distance(key, c.substr(dot + 1)) + 1);
        // On a tie the NGO key written the way the README and docs/SCENARIOS.md write it
        // (ngo_defaults.KEY or ngo[*].KEY) wins over another table's field of the same name.
        if (d < best_d ||
            (d == best_d && !best.empty() && sets_every_ngo(c) && !sets_every_ngo(best))) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

std::string name_problem(const std::string& name) {
    const std::string why =
        " (a name is a label, not a path: it names the results file results/NAME.h5)";
    if (name.empty()) return "a name cannot be empty" + why;
    if (name.find('/') != std::string::npos) return "a name cannot contain '/'" + why;
    if (name.front() == '.') return "a name cannot start with '.'" + why;
    if (name.size() > kMaxNameBytes)
        return fmt::format("a name is at most {} bytes long, this one has {}", kMaxNameBytes,
                           name.size()) +
               why;
    return "";
}

std::string bidi_control_in(const std::string& text) {
    for (std::size_t i = 0; i + 2 < text.size(); ++i) {
        const auto a = static_cast<unsigned char>(text[i]),
                   b = static_cast<unsigned char>(text[i + 1]),
                   c = static_cast<unsigned char>(text[i + 2]);
        if (a != 0xE2) continue;
        if ((b == 0x80 && c >= 0xAA && c <= 0xAE) || (b == 0x81 && c >= 0xA6 && c <= 0xA9)) {
            const unsigned cp = ((a & 0x0Fu) << 12) | ((b & 0x3Fu) << 6) | (c & 0x3Fu);
            return fmt::format("U+{:04X}", cp);
        }
    }
    return "";
}

}  // namespace pse
