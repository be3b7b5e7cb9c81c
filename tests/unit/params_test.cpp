// sim/pse/params.cpp: invariants of the field table (every parameter declared once with its
// type, range, unit, doc and source), and the TOML form of its values read back exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "pse/errors.h"
#include "pse/params.h"
#include "pse/scenario_loader.h"

namespace pse {
namespace {

/// The variant alternative a field of this type holds.
std::size_t expected_index(FieldType t) {
    switch (t) {
        case FieldType::kReal:
            return 0;
        case FieldType::kInteger:
            return 1;
        case FieldType::kBoolean:
            return 2;
        case FieldType::kChoice:
        case FieldType::kText:
            return 3;
    }
    return 99;
}

double number(const FieldValue& v) {
    return std::holds_alternative<double>(v) ? std::get<double>(v)
                                             : static_cast<double>(std::get<std::int64_t>(v));
}

/// Checks of one table's rows; `prefix` names them as the documents do.
template <class T>
void check_rows(const std::vector<FieldSpec<T>>& fields, const T& defaults,
                const std::string& prefix, std::set<std::string>& keys) {
    for (const auto& f : fields) {
        const std::string key = prefix + f.key;
        SCOPED_TRACE(key);
        EXPECT_TRUE(keys.insert(key).second) << "declared twice";
        EXPECT_FALSE(f.doc.empty()) << "no doc";
        ASSERT_TRUE(f.get && f.set) << "no accessor";
        const FieldValue v = f.get(defaults);
        ASSERT_EQ(v.index(), expected_index(f.type))
            << "default of another type than declared (" << field_type_name(f.type) << ")";
        if (f.type == FieldType::kReal || f.type == FieldType::kInteger) {
            EXPECT_LE(f.min, f.max) << "empty range";
            const double x = number(v);
            EXPECT_TRUE(std::isfinite(x));
            EXPECT_GE(x, f.min) << "default below its range";
            EXPECT_LE(x, f.max) << "default above its range";
            if (f.type == FieldType::kInteger) {
                EXPECT_EQ(f.min, std::floor(f.min));
                EXPECT_EQ(f.max, std::floor(f.max));
            }
        }
        if (f.type == FieldType::kChoice) {
            ASSERT_GE(f.choices.size(), 2u) << "a choice of fewer than two values";
            const std::set<std::string> unique(f.choices.begin(), f.choices.end());
            EXPECT_EQ(unique.size(), f.choices.size()) << "a choice listed twice";
            EXPECT_TRUE(unique.count(std::get<std::string>(v)))
                << "default '" << std::get<std::string>(v) << "' is not a choice";
        } else {
            EXPECT_TRUE(f.choices.empty())
                << "choices on a " << field_type_name(f.type) << " field";
        }
        // A lever (a parameter `pse-sim effects` perturbs, i.e. one that changes the model) says
        // where its value comes from: a seed section, a paper, or "assumption".
        if (f.lever && f.type != FieldType::kText) {
            EXPECT_FALSE(f.source.empty()) << "lever without a source";
        }
        for (const auto& tv : f.test_values) {
            EXPECT_EQ(tv.index(), v.index()) << "lever test value of another type";
            if (f.type == FieldType::kReal || f.type == FieldType::kInteger) {
                EXPECT_GE(number(tv), f.min);
                EXPECT_LE(number(tv), f.max);
            }
        }
    }
}

TEST(Params, FieldTableRowsAreUniqueTypedAndInsideTheirRanges) {
    const Scenario def;
    std::set<std::string> keys;
    check_rows(scenario_fields(), def, "", keys);
    check_rows(ngo_fields(), def.ngo_defaults, "ngo_defaults.", keys);
    EXPECT_GE(keys.size(), 200u);  // not vacuous: the table is all there
}

/// A value of field f other than `v` (inside its range / among its choices), or v if none.
template <class T>
FieldValue other_value(const FieldSpec<T>& f, const FieldValue& v) {
    switch (f.type) {
        case FieldType::kBoolean:
            return !std::get<bool>(v);
        case FieldType::kChoice:
            for (const auto& c : f.choices)
                if (c != std::get<std::string>(v)) return c;
            return v;
        case FieldType::kText:
            return std::string("a \"quoted\" text with \\ and unicode \u00e9");
        case FieldType::kInteger: {
            const auto x = std::get<std::int64_t>(v);
            return x < static_cast<std::int64_t>(f.max) ? x + 1 : x - 1;
        }
        case FieldType::kReal: {
            const double x = std::get<double>(v);
            const double y = x + (f.max - f.min) / 7.0;  // an inexact binary fraction
            return y <= f.max ? y : x - (x - f.min) / 3.0;
        }
    }
    return v;
}

TEST(Params, ToTomlValuesReadBackExactly) {
    // For every field: a value other than the default, written with to_toml() as `key = value`,
    // loads back to the same value (reals to the last bit). Combinations that break a
    // cross-field rule are refused as input errors, never misread; at most a few of them.
    const Scenario def;
    std::size_t checked = 0, refused = 0;
    auto try_one = [&](const std::string& key, const FieldValue& want, auto get) {
        SCOPED_TRACE(key + " = " + to_toml(want));
        try {
            const auto loaded =
                load_scenario_text(key + " = " + to_toml(want) + "\n", "roundtrip.toml");
            const FieldValue got = get(loaded.scenario);
            EXPECT_EQ(got, want) << "read back as " << to_toml(got);
            ++checked;
        } catch (const InputError& e) {
            ++refused;
            EXPECT_EQ(std::string(e.what()).find("expected"), std::string::npos)
                << "misread: " << e.what();
        }
    };
    for (const auto& f : scenario_fields()) {
        const FieldValue v = other_value(f, f.get(def));
        try_one(f.key, v, [&](const Scenario& s) { return f.get(s); });
    }
    for (const auto& f : ngo_fields()) {
        const FieldValue v = other_value(f, f.get(def.ngo_defaults));
        try_one("ngo_defaults." + f.key, v,
                [&](const Scenario& s) { return f.get(s.ngo_defaults); });
    }
    EXPECT_GE(checked, 200u);
    EXPECT_LE(refused, 12u) << "most single changes should be valid scenarios";
}

TEST(Params, ToTomlKnownAnswers) {
    EXPECT_EQ(to_toml(FieldValue{0.1}), "0.1");
    EXPECT_EQ(to_toml(FieldValue{2.0}), "2.0");
    EXPECT_EQ(to_toml(FieldValue{std::int64_t{416}}), "416");
    EXPECT_EQ(to_toml(FieldValue{true}), "true");
    EXPECT_EQ(to_toml(FieldValue{std::string("a\"b")}), "\"a\\\"b\"");
}

}  // namespace
}  // namespace pse
