// Unit tests of sim/pse/keys.cpp: the parameter key grammar (scenario keys, ngo_defaults.x,
// ngo[*].x, ngo[i].x), the one value validator (check_value), set_parameter / get_parameter,
// and the field table enumerated against everything that lists keys: the scenario loader
// (file and --set), `pse-sim show` (dump_scenario), the parameter reference (`pse-sim params`,
// which docs/SCENARIOS.md must equal: Docs.ScenarioReferenceMatchesFieldTable) and the
// experiment loader with its key table (`pse-sim params --experiment`, checked by
// Docs.ScenariosDocumentsEveryExperimentKeyAndEachDesignExampleLoads).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <sstream>
#include <string>

#include "pse/experiment.h"
#include "pse/keys.h"
#include "pse/scenario_loader.h"
#include "support/fixtures.h"

namespace {

using pse::FieldValue;

std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const pse::InputError& e) {
        return e.problems().front().message;
    }
    return "(no error)";
}

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

// --- grammar ---

TEST(KeysUnit, ParsesEveryFormOfTheGrammar) {
    const auto a = pse::parse_key("trust.gain_rate");
    EXPECT_EQ(a.target, pse::KeyTarget::kScenario);
    ASSERT_NE(a.scenario_field, nullptr);
    EXPECT_EQ(a.info().key, "trust.gain_rate");
    const auto b = pse::parse_key("ngo_defaults.dedicated_fte");
    EXPECT_EQ(b.target, pse::KeyTarget::kNgoDefaults);
    EXPECT_EQ(b.info().key, "dedicated_fte");
    const auto c = pse::parse_key("ngo[*].trained");
    EXPECT_EQ(c.target, pse::KeyTarget::kNgoAll);
    const auto d = pse::parse_key("ngo[12].end_week");
    EXPECT_EQ(d.target, pse::KeyTarget::kNgoEntry);
    EXPECT_EQ(d.index, 12u);
    for (const char* k :
         {"trust.gain_rate", "ngo_defaults.dedicated_fte", "ngo[*].trained", "ngo[12].end_week"})
        EXPECT_EQ(pse::parse_key(k).text(), k);
}

TEST(KeysUnit, RefusesMalformedIndicesWithTheReason) {
    for (const char* k : {"ngo[-1].trained", "ngo[+0].trained", "ngo[1x].trained", "ngo[].trained",
                          "ngo[1234567890].trained"})
        EXPECT_TRUE(
            contains(message_of([&] { pse::parse_key(k); }), "must be a number (0, 1, ...) or *"))
            << k;
    for (const char* k : {"ngo[*]", "ngo[0].", "ngo[0]trained", "ngo[0"})
        EXPECT_TRUE(contains(message_of([&] { pse::parse_key(k); }), "malformed key")) << k;
    // split_key accepts an unknown field (the loader reports it with the file's other problems).
    EXPECT_FALSE(pse::split_key("ngo[*].no_such").known());
    EXPECT_EQ(pse::split_key("ngo[*].no_such").target, pse::KeyTarget::kNgoAll);
    EXPECT_FALSE(pse::find_key("ngo[x].trained").has_value());
    EXPECT_FALSE(pse::find_key("trust.no_such").has_value());
}

TEST(KeysUnit, UnknownKeysGetTheClosestSettableKey) {
    EXPECT_EQ(message_of([] { pse::parse_key("trust.gain_rat"); }),
              "unknown parameter; did you mean 'trust.gain_rate'?");
    EXPECT_EQ(message_of([] { pse::parse_key("ngo[*].dedicated_ft"); }),
              "unknown parameter; did you mean 'ngo[*].dedicated_fte'?");
    EXPECT_EQ(message_of([] { pse::parse_key("ngo_defaults.dedicated_ft"); }),
              "unknown parameter; did you mean 'ngo[*].dedicated_fte'?");
    EXPECT_EQ(message_of([] { pse::parse_key("completely.unrelated_thing"); }),
              "unknown parameter");
    EXPECT_EQ(pse::defaults_key("ngo[*].trained"), "ngo_defaults.trained");
    EXPECT_EQ(pse::every_ngo_key("ngo_defaults.trained"), "ngo[*].trained");
    EXPECT_EQ(pse::every_ngo_key("trust.gain_rate"), "trust.gain_rate");
}

// --- the one validator ---

TEST(KeysUnit, CheckValueKnownAnswers) {
    const auto& gain =
        pse::parse_key("trust.gain_rate").info();  // real in [gain.min, gain.max], unit 1/week
    FieldValue v = std::int64_t{0};
    EXPECT_EQ(pse::check_value(gain, "trust.gain_rate", v), "");
    EXPECT_TRUE(std::holds_alternative<double>(v)) << "an integer for a real field becomes a real";
    v = gain.max;  // bounds are inclusive
    EXPECT_EQ(pse::check_value(gain, "trust.gain_rate", v), "");
    v = std::nextafter(gain.max, 2 * gain.max + 1);
    EXPECT_TRUE(contains(pse::check_value(gain, "trust.gain_rate", v), "is out of range"));
    v = std::numeric_limits<double>::quiet_NaN();
    EXPECT_EQ(pse::check_value(gain, "trust.gain_rate", v),
              "value must be finite (got nan or inf)");
    v = true;
    EXPECT_EQ(pse::check_value(gain, "trust.gain_rate", v),
              "expected a number (1/week), got a boolean");

    const auto& weeks = pse::parse_key("run.weeks").info();
    v = 10.5;
    EXPECT_EQ(pse::check_value(weeks, "run.weeks", v), "expected an integer, got the number 10.5");
    v = 2.0;  // the same rule as in a scenario file: a real is not an integer
    EXPECT_EQ(pse::check_value(weeks, "run.weeks", v), "expected an integer, got the number 2");
    v = std::int64_t{0};
    EXPECT_EQ(pse::check_value(weeks, "run.weeks", v),
              fmt::format("value 0 is out of range [{}, {}] weeks", weeks.min, weeks.max));
    v = std::string("ten");
    EXPECT_EQ(pse::check_value(weeks, "run.weeks", v), "expected an integer, got a string");

    const auto& approach = pse::parse_key("ngo[*].approach").info();
    v = std::string("charm");
    EXPECT_TRUE(
        contains(pse::check_value(approach, "ngo[*].approach", v), "\"charm\" is not one of \""));
    v = approach.choices.back();
    EXPECT_EQ(pse::check_value(approach, "ngo[*].approach", v), "");

    const auto& name = pse::parse_key("run.name").info();
    v = std::string("a/b");
    EXPECT_TRUE(contains(pse::check_value(name, "run.name", v), "cannot contain '/'"));
    v = std::string("tab\there");
    EXPECT_TRUE(contains(pse::check_value(name, "run.description", v), "")) << "tabs are allowed";
    v = std::string("bell\a");
    EXPECT_TRUE(contains(pse::check_value(name, "run.description", v), "control character U+0007"));
    v = std::string("x\xE2\x80\xAEy");
    EXPECT_TRUE(contains(pse::check_value(name, "run.description", v),
                         "bidirectional control character U+202E"));
}

TEST(KeysUnit, SetParameterAddressesWhatTheKeySays) {
    pse::Scenario s;
    s.ngos.assign(3, s.ngo_defaults);
    pse::set_parameter(s, "ngo[1].dedicated_fte", 2.0);
    EXPECT_EQ(s.ngos[1].dedicated_fte, 2.0);
    EXPECT_NE(s.ngos[0].dedicated_fte, 2.0);
    EXPECT_NE(s.ngo_defaults.dedicated_fte, 2.0);
    pse::set_parameter(s, "ngo_defaults.dedicated_fte", 0.5);
    EXPECT_EQ(s.ngo_defaults.dedicated_fte, 0.5);
    EXPECT_NE(s.ngos[0].dedicated_fte, 0.5) << "ngo_defaults.x leaves explicit entries alone";
    pse::set_parameter(s, "ngo[*].dedicated_fte", 1.5);
    EXPECT_EQ(s.ngo_defaults.dedicated_fte, 1.5);
    for (const auto& n : s.ngos) EXPECT_EQ(n.dedicated_fte, 1.5);
    EXPECT_EQ(std::get<double>(pse::get_parameter(s, "ngo[2].dedicated_fte")), 1.5);
    EXPECT_EQ(message_of([&] { pse::set_parameter(s, "ngo[3].dedicated_fte", 1.0); }),
              "there is no ngo[3] in the scenario");
    EXPECT_TRUE(contains(message_of([&] { pse::set_parameter(s, "trust.gain_rate", 5.0); }),
                         "out of range"));
    pse::set_parameter(s, "run.weeks", std::int64_t{100});
    EXPECT_EQ(s.weeks, 100);
}

// --- the field table enumerated against everything that lists keys ---

/// Every field key as a scenario file writes it: scenario keys, then ngo_defaults.<key>.
std::vector<std::string> file_keys() {
    std::vector<std::string> out;
    for (const auto& f : pse::scenario_fields()) out.push_back(f.key);
    for (const auto& f : pse::ngo_fields()) out.push_back("ngo_defaults." + f.key);
    return out;
}

TEST(FieldTable, EveryKeyLoadsFromAFileAndFromSet) {
    // One file setting every key to its default: dotted keys at the top level, then every NGO
    // key in [ngo_defaults] and in one [[ngo]] entry. It must load with no problem, and each
    // value must be the default (change_every_field in scenario_loader_test.cpp shows that each
    // key sets its own field).
    const pse::Scenario def;
    std::string text;
    for (const auto& f : pse::scenario_fields())
        text += f.key + " = " + pse::to_toml(f.get(def)) + "\n";
    for (const char* table : {"[ngo_defaults]\n", "[[ngo]]\n"}) {
        text += table;
        for (const auto& f : pse::ngo_fields())
            text += f.key + " = " + pse::to_toml(f.get(def.ngo_defaults)) + "\n";
    }
    const auto loaded = pse::load_scenario_text(text, "every_key.toml");
    EXPECT_EQ(pse::dump_scenario(loaded.scenario), pse::dump_scenario([&] {
                  pse::Scenario s;
                  s.ngos.push_back(s.ngo_defaults);
                  return s;
              }()));
    // And every key through --set in each form of the grammar.
    std::size_t n = 0;
    for (const auto& key : pse::settable_keys()) {
        const auto k = pse::parse_key(key);
        const FieldValue v =
            k.scenario_field ? k.scenario_field->get(def) : k.ngo_field->get(def.ngo_defaults);
        std::vector<std::string> forms = {key};
        if (!k.scenario_field) forms = {key, pse::defaults_key(key), "ngo[0]." + k.ngo_field->key};
        for (const auto& form : forms) {
            pse::LoadOptions o;
            o.overrides = {form + "=" + pse::to_toml(v)};
            EXPECT_NO_THROW(pse::load_scenario_text("[[ngo]]\n", "set.toml", o)) << form;
            ++n;
        }
    }
    EXPECT_EQ(n, pse::scenario_fields().size() + 3 * pse::ngo_fields().size());
}

TEST(FieldTable, ShowListsExactlyTheFieldTable) {
    // `pse-sim show` prints dump_scenario: [table] headers and `leaf = value` lines.
    std::istringstream in(pse::dump_scenario(pse::Scenario{}));
    std::vector<std::string> shown;
    std::string table, line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        if (line.front() == '[') {
            table = line.substr(1, line.size() - 2);
            continue;
        }
        shown.push_back(table + "." + line.substr(0, line.find(" = ")));
    }
    EXPECT_EQ(shown, file_keys());
}

TEST(FieldTable, ParameterReferenceHasOneRowPerKey) {
    // docs/SCENARIOS.md holds `pse-sim params` (Docs.ScenarioReferenceMatchesFieldTable): its
    // rows, in order, are the field table.
    const std::string doc = pse::test::read_all(pse::test::source_dir() / "docs" / "SCENARIOS.md");
    const auto start = doc.find("| key | type | default |");
    ASSERT_NE(start, std::string::npos);
    std::istringstream in(doc.substr(start));
    std::vector<std::string> rows;
    std::string line;
    std::getline(in, line);
    std::getline(in, line);  // header and separator
    while (std::getline(in, line) && line.rfind("| `", 0) == 0)
        rows.push_back(line.substr(3, line.find('`', 3) - 3));
    EXPECT_EQ(rows, file_keys());
}

TEST(FieldTable, ExperimentLoaderAcceptsExactlyItsKeyTable) {
    const auto dir = pse::test::fresh_dir("keys", "experiment");
    std::ofstream(dir / "base.toml")
        << "[run]\nname = \"base\"\nweeks = 60\n[ecosystem]\nmnc_count = 3\nsupplier_count = 10\n";
    // Every value key of [experiment] and of a factor table, given a valid value.
    std::string ex = "extends = \"base.toml\"\n[experiment]\n";
    std::string factor = "[[experiment.lever]]\n";
    std::size_t value_rows = 0;
    for (const auto& f : pse::experiment_fields()) {
        if (f.shape != pse::KeyShape::kValue) continue;
        ++value_rows;
        std::string v;
        if (f.key == "design")
            v = "\"lhs\"";
        else if (f.key == "posterior")
            continue;  // needs a draws file; ExperimentUnit tests it
        else if (f.key == "posterior_draws" || f.key == "point.label")
            continue;  // need posterior / a list design
        else if (f.key == "lever.key")
            v = "\"trust.gain_rate\"";
        else if (f.key == "lever.min")
            v = "0.02";
        else if (f.key == "lever.max")
            v = "0.05";
        else if (f.type == pse::FieldType::kText)
            v = "\"x\"";
        else if (f.type == pse::FieldType::kBoolean)
            v = "true";
        else
            v = fmt::format("{}", std::max(f.min, 2.0));
        (f.key.rfind("lever.", 0) == 0 ? factor : ex) +=
            f.key.substr(f.key.rfind("lever.", 0) == 0 ? 6 : 0) + " = " + v + "\n";
    }
    EXPECT_GE(value_rows, 12u);
    std::ofstream(dir / "ok.toml") << ex << factor;
    const auto e = pse::load_experiment(dir / "ok.toml");
    EXPECT_EQ(e.design, pse::Design::kLhs);
    EXPECT_EQ(e.name, "x");
    EXPECT_EQ(e.description, "x");
    EXPECT_EQ(e.replications, 2);
    EXPECT_EQ(e.master_seed, 2u);
    EXPECT_EQ(e.samples, 2);
    EXPECT_EQ(e.points.size(), 2u);
    ASSERT_EQ(e.factors.size(), 1u);
    EXPECT_EQ(e.factors[0].min, 0.02);
    EXPECT_EQ(e.factors[0].max, 0.05);
    EXPECT_TRUE(e.factors[0].integer);
    // A key in no row is refused, at every level, naming the keys that are allowed.
    std::ofstream(dir / "bad.toml")
        << "extends = \"base.toml\"\n[experiment]\ndesign = \"list\"\nreplicatons = 2\n"
        << "[[experiment.point]]\nset = { \"trust.gain_rate\" = 0.05 }\nlable = \"x\"\n"
        << "[[experiment.uncertainty]]\nkey = \"trust.loss_ratio\"\nvalue = [1.0]\n";
    try {
        pse::load_experiment(dir / "bad.toml");
        ADD_FAILURE() << "loaded";
    } catch (const pse::InputError& err) {
        std::set<std::string> keys;
        for (const auto& p : err.problems()) keys.insert(p.key + ": " + p.message);
        EXPECT_TRUE(keys.count(
            "experiment.replicatons: unknown key; did you mean 'experiment.replications'?"))
            << err.what();
        EXPECT_TRUE(keys.count(
            "experiment.point[0].lable: unknown key; did you mean 'experiment.point[0].label'?"))
            << err.what();
        EXPECT_TRUE(
            keys.count("experiment.uncertainty[0].value: unknown key; did you mean "
                       "'experiment.uncertainty[0].values'?"))
            << err.what();
    }
    // The documented key table (docs/SCENARIOS.md) names every row.
    const std::string doc = pse::test::read_all(pse::test::source_dir() / "docs" / "SCENARIOS.md");
    for (const auto& f : pse::experiment_fields()) {
        const auto dot = f.key.find('.');
        const std::string shown = f.shape == pse::KeyShape::kTables
                                      ? "`[[experiment." + f.key + "]]`"
                                  : dot == std::string::npos ? "`experiment." + f.key + "`"
                                                             : "`…" + f.key + "`";
        EXPECT_NE(doc.find("| " + shown), std::string::npos)
            << shown << " is not in docs/SCENARIOS.md";
    }
    std::filesystem::remove_all(dir);
}

}  // namespace

namespace {
/// Cells of one RFC 4180 CSV line (quoted cells with doubled quotes; no newlines inside cells).
std::vector<std::string> csv_cells(const std::string& line) {
    std::vector<std::string> cells(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
            cells.back() += '"';
            ++i;
        } else if (c == '"') {
            quoted = !quoted;
        } else if (c == ',' && !quoted) {
            cells.emplace_back();
        } else {
            cells.back() += c;
        }
    }
    return cells;
}
}  // namespace

TEST(FieldTable, ParameterCsvHasOneRowPerSettableKeyWithItsRange) {
    // `pse-sim params --csv` (what the Python analysis reads: analysis/pse_analysis/keys.py).
    std::istringstream in(pse::parameter_table_csv());
    std::string line;
    std::getline(in, line);
    ASSERT_EQ(line, "key,table,field,type,default,min,max,choices,unit,lever,description,source");
    std::vector<std::string> keys;
    const pse::Scenario def;
    while (std::getline(in, line)) {
        const auto c = csv_cells(line);
        ASSERT_EQ(c.size(), 12U) << line;
        keys.push_back(c[0]);
        const pse::FieldInfo* info = &pse::parse_key(c[0]).info();
        EXPECT_EQ(c[3], pse::field_type_name(info->type)) << c[0];
        EXPECT_EQ(c[4], pse::to_toml(pse::get_parameter(def, c[0]))) << c[0];
        // The (table, field) pair is where a scenario file holds the key.
        const std::string file_key = c[1].empty() ? c[2] : c[1] + "." + c[2];
        EXPECT_EQ(file_key, pse::defaults_key(c[0])) << c[0];
        if (info->type == pse::FieldType::kReal || info->type == pse::FieldType::kInteger) {
            EXPECT_EQ(std::stod(c[5]), info->min) << c[0];
            EXPECT_EQ(std::stod(c[6]), info->max) << c[0];
        } else {
            EXPECT_EQ(c[5] + c[6], "") << c[0];
        }
        EXPECT_EQ(c[9], info->lever ? "true" : "false") << c[0];
        EXPECT_EQ(c[10], info->doc) << c[0];
        EXPECT_EQ(c[11], info->source) << c[0];
    }
    EXPECT_EQ(keys, pse::settable_keys());
}

TEST(FieldTable, CsvFieldQuotesOnlyWhatNeedsIt) {
    EXPECT_EQ(pse::csv_field("plain text"), "plain text");
    EXPECT_EQ(pse::csv_field("a, b"), "\"a, b\"");
    EXPECT_EQ(pse::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    EXPECT_EQ(pse::csv_field("two\nlines"), "\"two\nlines\"");
    EXPECT_EQ(csv_cells(pse::csv_field("x, \"y\"") + ",z"),
              (std::vector<std::string>{"x, \"y\"", "z"}));
}

// ---------------------------------------------------------------------------------------------
// suggest_key

TEST(SuggestKey, FindsClosestKey) {
    std::vector<std::string> keys;
    for (const auto& f : pse::scenario_fields()) keys.push_back(f.key);
    EXPECT_EQ(pse::suggest_key("trust.gain_rat", keys), "trust.gain_rate");
    EXPECT_EQ(pse::suggest_key("trust.gian_rate", keys), "trust.gain_rate");
    EXPECT_EQ(pse::suggest_key("ecosystem.mnc_cont", keys), "ecosystem.mnc_count");
    EXPECT_EQ(pse::suggest_key("trust.gain_rate", keys), "trust.gain_rate");  // exact
}

TEST(SuggestKey, BareLastComponentMatches) {
    std::vector<std::string> keys;
    for (const auto& f : pse::scenario_fields()) keys.push_back(f.key);
    EXPECT_EQ(pse::suggest_key("gain_rate", keys), "trust.gain_rate");
    EXPECT_EQ(pse::suggest_key("supplier_cont", keys), "ecosystem.supplier_count");
}

TEST(SuggestKey, NothingCloseGivesEmpty) {
    const std::vector<std::string> keys = {"trust.gain_rate", "run.weeks"};
    EXPECT_EQ(pse::suggest_key("completely_unrelated_name", keys), "");
    EXPECT_EQ(pse::suggest_key("xyz", {"abc"}), "");
    EXPECT_EQ(pse::suggest_key("abc", {}), "");
    EXPECT_EQ(pse::suggest_key("abd", {"abc"}), "abc");
    // Picks the nearest of several.
    EXPECT_EQ(pse::suggest_key("weeks", {"run.week", "run.weeks"}), "run.weeks");
}

TEST(SuggestKey, PrefersTheEveryNgoFormOnATie) {
    // A bare field name that is both an NGO field and another table's field: the NGO key the
    // README writes is suggested (ngo_population.dedicated_fte is as close but a different key).
    EXPECT_EQ(pse::suggest_key("dedicated_fte",
                               {"ngo_population.dedicated_fte", "ngo_defaults.dedicated_fte"}),
              "ngo_defaults.dedicated_fte");
    EXPECT_EQ(
        pse::suggest_key("dedicated_fte", {"ngo_population.dedicated_fte", "ngo[*].dedicated_fte"}),
        "ngo[*].dedicated_fte");
    // Closer still wins: a nearer non-NGO key (distance 1 on its last part) beats a farther NGO
    // key (distance 2), whichever comes first.
    EXPECT_EQ(pse::suggest_key("count", {"ngo_defaults.counts", "ngo_population.count"}),
              "ngo_population.count");
    EXPECT_EQ(pse::suggest_key("count", {"ngo_population.count", "ngo_defaults.counts"}),
              "ngo_population.count");
    // Through the loader: --set with the bare name suggests the ngo_defaults form.
    try {
        pse::LoadOptions lo;
        lo.overrides = {"dedicated_fte=2"};
        (void)pse::load_scenario(pse::test::source_dir() / "scenarios" / "default.toml", lo);
        ADD_FAILURE() << "an unknown --set key was accepted";
    } catch (const pse::InputError& e) {
        EXPECT_NE(std::string(e.what()).find("did you mean 'ngo_defaults.dedicated_fte'"),
                  std::string::npos)
            << e.what();
    }
}
