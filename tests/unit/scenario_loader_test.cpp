#include <gtest/gtest.h>

#include "support/fixtures.h"

// Unit tests of pse/scenario_loader.{h,cpp}: loading, validation (every class of bad input),
// `extends`, overrides, dump/parse round trip, NGO defaults inheritance and the memory guard.
#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "pse/errors.h"

namespace pse {
namespace {

namespace fs = std::filesystem;

/// Run `fn`, which must throw InputError; return it (fails the test otherwise).
InputError input_error(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const InputError& e) {
        return e;
    } catch (const std::exception& e) {
        ADD_FAILURE() << "expected InputError, got another exception: " << e.what();
        return InputError(std::vector<InputProblem>{});
    }
    ADD_FAILURE() << "expected InputError, nothing was thrown";
    return InputError(std::vector<InputProblem>{});
}

InputError text_error(const std::string& text, const LoadOptions& opts = {}) {
    return input_error([&] { (void)load_scenario_text(text, "bad.toml", opts); });
}

/// The problem about `key`, or nullptr.
const InputProblem* problem_for(const InputError& e, const std::string& key) {
    for (const auto& p : e.problems())
        if (p.key == key) return &p;
    return nullptr;
}

std::string describe(const InputError& e) {
    std::string s;
    for (const auto& p : e.problems()) s += "\n  " + p.format();
    return s.empty() ? "\n  (no problems)" : s;
}

bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

void write_file(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
}

/// Every field of two scenarios equal, compared through the field tables (exact, bitwise for
/// reals).
void expect_same_scenario(const Scenario& a, const Scenario& b) {
    for (const auto& f : scenario_fields()) EXPECT_EQ(f.get(a), f.get(b)) << "field " << f.key;
    for (const auto& f : ngo_fields())
        EXPECT_EQ(f.get(a.ngo_defaults), f.get(b.ngo_defaults)) << "field ngo_defaults." << f.key;
    ASSERT_EQ(a.ngos.size(), b.ngos.size());
    for (std::size_t i = 0; i < a.ngos.size(); ++i)
        for (const auto& f : ngo_fields())
            EXPECT_EQ(f.get(a.ngos[i]), f.get(b.ngos[i])) << "field ngo[" << i << "]." << f.key;
}

fs::path data(const std::string& name) {
    return test::source_dir() / "tests" / "data" / name;
}

// ---------------------------------------------------------------------------------------------
// Valid input

TEST(ScenarioLoader, DefaultScenarioLoads) {
    const auto file = test::source_dir() / "scenarios" / "default.toml";
    const auto l = load_scenario(file);
    EXPECT_EQ(l.scenario.name, "default");
    EXPECT_EQ(l.scenario.weeks, 416);
    EXPECT_EQ(l.scenario.seed, 20260101u);
    EXPECT_EQ(l.scenario.ecosystem.mnc_count, 100);
    EXPECT_EQ(l.scenario.ecosystem.supplier_count, 2000);
    EXPECT_EQ(l.scenario.ecosystem.government_count, 4);
    EXPECT_EQ(l.scenario.ecosystem.association_count, 3);
    EXPECT_DOUBLE_EQ(l.scenario.ecosystem.sensitive_sector_share, 0.25);
    EXPECT_EQ(l.scenario.ngo_defaults.name, "CTIP Thailand");
    EXPECT_DOUBLE_EQ(l.scenario.ngo_defaults.dedicated_fte, 1.0);
    EXPECT_DOUBLE_EQ(l.scenario.ngo_defaults.part_time_share, 0.1);
    EXPECT_EQ(l.scenario.ngo_defaults.approach, Approach::kCoCreation);
    EXPECT_EQ(l.scenario.ngo_defaults.framing, Framing::kSafeMigration);
    EXPECT_EQ(l.scenario.ngo_defaults.end_week, 260);
    EXPECT_EQ(l.path, file.string());
    ASSERT_EQ(l.files.size(), 1u);
    ASSERT_EQ(l.texts.size(), 1u);
    EXPECT_TRUE(contains(l.texts[0], "[ngo_defaults]"));
}

TEST(ScenarioLoader, EmptyTextGivesDefaults) {
    const auto l = load_scenario_text("", "empty.toml");
    expect_same_scenario(l.scenario, Scenario{});
    EXPECT_EQ(l.path, "empty.toml");
}

TEST(ScenarioLoader, ValuesOfEveryTypeAreRead) {
    const auto l = load_scenario_text(R"(
[run]
name = "typed"
weeks = 200
record_events = false
[trust]
gain_rate = 0.0625
[ecosystem]
mnc_count = 7
suppliers_per_mnc_min = 3     # integer literal accepted for a real field
[ngo_defaults]
approach = "scrutiny"
allocation = "equal_share"
trained = false
end_week = 150
)",
                                      "typed.toml");
    const auto& s = l.scenario;
    EXPECT_EQ(s.name, "typed");
    EXPECT_EQ(s.weeks, 200);
    EXPECT_FALSE(s.record_events);
    EXPECT_EQ(s.trust.gain_rate, 0.0625);
    EXPECT_EQ(s.ecosystem.mnc_count, 7);
    EXPECT_EQ(s.ecosystem.suppliers_per_mnc_min, 3.0);
    EXPECT_EQ(s.ngo_defaults.approach, Approach::kScrutiny);
    EXPECT_EQ(s.ngo_defaults.allocation, AllocationPolicy::kEqualShare);
    EXPECT_FALSE(s.ngo_defaults.trained);
    EXPECT_EQ(s.ngo_defaults.end_week, 150);
}

// ---------------------------------------------------------------------------------------------
// Each class of invalid input

TEST(ScenarioLoader, MissingFileNamesTheFile) {
    const auto path = test::temp_dir("loader_missing") / "no_such_scenario.toml";
    const auto e = input_error([&] { (void)load_scenario(path); });
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    EXPECT_EQ(e.problems()[0].file, path.string());
    EXPECT_TRUE(contains(e.problems()[0].message, "not found")) << describe(e);
    EXPECT_TRUE(contains(e.what(), path.string()));
}

TEST(ScenarioLoader, DirectoryInsteadOfFile) {
    const auto dir = test::temp_dir("loader_dir");
    const auto e = input_error([&] { (void)load_scenario(dir); });
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    EXPECT_EQ(e.problems()[0].file, dir.string());
}

TEST(ScenarioLoader, SyntaxErrorGivesFileLineColumn) {
    const auto dir = test::temp_dir("loader_syntax");
    const auto file = dir / "syntax.toml";
    write_file(file, "[run]\nname = \"x\"\nweeks = = 52\n");
    const auto e = input_error([&] { (void)load_scenario(file); });
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    const auto& p = e.problems()[0];
    EXPECT_EQ(p.file, file.string());
    EXPECT_EQ(p.line, 3);
    EXPECT_GT(p.column, 0);
    EXPECT_TRUE(p.key.empty());
    EXPECT_TRUE(contains(p.message, "syntax")) << p.message;
    // The formatted message starts with file:line:column.
    EXPECT_EQ(p.format().rfind(file.string() + ":3:" + std::to_string(p.column) + ": ", 0), 0u)
        << p.format();
}

TEST(ScenarioLoader, UnterminatedTableIsASyntaxError) {
    const auto e = text_error("[run\nweeks = 3\n");
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    EXPECT_EQ(e.problems()[0].file, "bad.toml");
    EXPECT_EQ(e.problems()[0].line, 1);
}

TEST(ScenarioLoader, NulBytesAreRejected) {
    const auto e = text_error(std::string("[run]\nname = \"a\0b\"\n", 19));
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    EXPECT_TRUE(contains(e.problems()[0].message, "NUL"));
}

TEST(ScenarioLoader, UnknownKeySuggestsTheClosest) {
    const auto e = text_error("[run]\nweeks = 52\n\n[trust]\ngain_rat = 0.1\n");
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    const auto& p = e.problems()[0];
    EXPECT_EQ(p.key, "trust.gain_rat");
    EXPECT_EQ(p.file, "bad.toml");
    EXPECT_EQ(p.line, 5);
    EXPECT_GT(p.column, 0);
    EXPECT_TRUE(contains(p.message, "unknown key")) << p.message;
    EXPECT_TRUE(contains(p.message, "did you mean 'trust.gain_rate'")) << p.message;
}

TEST(ScenarioLoader, UnknownNgoKeySuggestsWithPrefix) {
    const auto e = text_error("[ngo_defaults]\ndedicated_ftee = 2\n\n[[ngo]]\nnam = \"x\"\n");
    ASSERT_EQ(e.problems().size(), 2u) << describe(e);
    const auto* d = problem_for(e, "ngo_defaults.dedicated_ftee");
    ASSERT_NE(d, nullptr) << describe(e);
    EXPECT_EQ(d->line, 2);
    EXPECT_TRUE(contains(d->message, "did you mean 'ngo_defaults.dedicated_fte'")) << d->message;
    const auto* n = problem_for(e, "ngo[0].nam");
    ASSERT_NE(n, nullptr) << describe(e);
    EXPECT_EQ(n->line, 5);
    EXPECT_TRUE(contains(n->message, "did you mean 'ngo[0].name'")) << n->message;
}

TEST(ScenarioLoader, UnknownKeyFarFromAnyGivesNoSuggestion) {
    const auto e = text_error("[run]\nzzzzqqqqxxxx_unrelated = 1\n");
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    EXPECT_EQ(e.problems()[0].key, "run.zzzzqqqqxxxx_unrelated");
    EXPECT_TRUE(contains(e.problems()[0].message, "unknown key"));
    EXPECT_FALSE(contains(e.problems()[0].message, "did you mean")) << e.problems()[0].message;
}

TEST(ScenarioLoader, ExtraTablesAreIgnoredOnlyWhenListed) {
    const std::string text = "[experiment]\nreplications = 3\n";
    const auto e = text_error(text);
    EXPECT_NE(problem_for(e, "experiment.replications"), nullptr) << describe(e);
    LoadOptions o;
    o.extra_tables = {"experiment"};
    EXPECT_NO_THROW((void)load_scenario_text(text, "x.toml", o));
}

TEST(ScenarioLoader, WrongTypeStringWhereNumberBelongs) {
    const auto e = text_error("[trust]\ngain_rate = \"fast\"\n");
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    const auto& p = e.problems()[0];
    EXPECT_EQ(p.key, "trust.gain_rate");
    EXPECT_EQ(p.file, "bad.toml");
    EXPECT_EQ(p.line, 2);
    EXPECT_TRUE(contains(p.message, "expected a number")) << p.message;
    EXPECT_TRUE(contains(p.message, "a string")) << p.message;
}

TEST(ScenarioLoader, WrongTypeForBooleanChoiceAndText) {
    const auto e = text_error(
        "[run]\nrecord_events = 1\nname = 5\n[ngo_defaults]\napproach = 3\nframing = "
        "\"smuggling\"\n");
    ASSERT_EQ(e.problems().size(), 4u) << describe(e);
    const auto* b = problem_for(e, "run.record_events");
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->line, 2);
    EXPECT_TRUE(contains(b->message, "true or false")) << b->message;
    const auto* t = problem_for(e, "run.name");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->line, 3);
    EXPECT_TRUE(contains(t->message, "expected a string")) << t->message;
    const auto* c = problem_for(e, "ngo_defaults.approach");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->line, 5);
    const auto* f = problem_for(e, "ngo_defaults.framing");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->line, 6);
    EXPECT_TRUE(contains(f->message, "\"safe_migration\"")) << f->message;
    EXPECT_TRUE(contains(f->message, "\"trafficking\"")) << f->message;
}

TEST(ScenarioLoader, OutOfRangeValueNamesKeyAndRange) {
    const auto e = text_error("[ngo_defaults]\npart_time_share = 1.5\n");
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    const auto& p = e.problems()[0];
    EXPECT_EQ(p.key, "ngo_defaults.part_time_share");
    EXPECT_EQ(p.line, 2);
    EXPECT_TRUE(contains(p.message, "out of range")) << p.message;
    EXPECT_TRUE(contains(p.message, "1.5")) << p.message;
    EXPECT_TRUE(contains(p.message, "[0, 1]")) << p.message;
}

TEST(ScenarioLoader, OutOfRangeIntegerAndNegativeReal) {
    const auto e = text_error("[run]\nweeks = 0\n[trust]\ngain_rate = -0.1\n");
    ASSERT_EQ(e.problems().size(), 2u) << describe(e);
    ASSERT_NE(problem_for(e, "run.weeks"), nullptr) << describe(e);
    EXPECT_EQ(problem_for(e, "run.weeks")->line, 2);
    ASSERT_NE(problem_for(e, "trust.gain_rate"), nullptr) << describe(e);
    EXPECT_EQ(problem_for(e, "trust.gain_rate")->line, 4);
}

TEST(ScenarioLoader, RangeBoundsAreInclusive) {
    const auto l = load_scenario_text(
        "[ngo_defaults]\npart_time_share = 1.0\nswitching_overhead = 0.0\n", "ok.toml");
    EXPECT_EQ(l.scenario.ngo_defaults.part_time_share, 1.0);
    EXPECT_EQ(l.scenario.ngo_defaults.switching_overhead, 0.0);
}

TEST(ScenarioLoader, NanAndInfAreRejected) {
    const auto e = text_error(
        "[trust]\ngain_rate = nan\ndecay_rate = inf\nloss_ratio = -inf\n[run]\nweeks = nan\n");
    ASSERT_EQ(e.problems().size(), 4u) << describe(e);
    for (const auto& [key, line] : std::vector<std::pair<std::string, int>>{{"trust.gain_rate", 2},
                                                                            {"trust.decay_rate", 3},
                                                                            {"trust.loss_ratio", 4},
                                                                            {"run.weeks", 6}}) {
        const auto* p = problem_for(e, key);
        ASSERT_NE(p, nullptr) << key << describe(e);
        EXPECT_EQ(p->line, line) << key;
        EXPECT_EQ(p->file, "bad.toml");
        EXPECT_TRUE(contains(p->message, "finite")) << key << ": " << p->message;
    }
}

TEST(ScenarioLoader, IntegerFieldGivenAFloat) {
    const auto e = text_error("[run]\nweeks = 52.5\n[ecosystem]\nmnc_count = 10.0\n");
    ASSERT_EQ(e.problems().size(), 2u) << describe(e);
    const auto* w = problem_for(e, "run.weeks");
    ASSERT_NE(w, nullptr) << describe(e);
    EXPECT_EQ(w->line, 2);
    EXPECT_TRUE(contains(w->message, "expected an integer")) << w->message;
    EXPECT_TRUE(contains(w->message, "52.5")) << w->message;
    const auto* m = problem_for(e, "ecosystem.mnc_count");
    ASSERT_NE(m, nullptr) << describe(e);
    EXPECT_EQ(m->line, 4);
}

TEST(ScenarioLoader, DateWhereANumberBelongs) {
    const auto e =
        text_error("[trust]\ngain_rate = 2024-01-01\n[run]\nweeks = 2024-01-01T10:00:00Z\n");
    ASSERT_EQ(e.problems().size(), 2u) << describe(e);
    const auto* g = problem_for(e, "trust.gain_rate");
    ASSERT_NE(g, nullptr) << describe(e);
    EXPECT_EQ(g->line, 2);
    EXPECT_TRUE(contains(g->message, "a date")) << g->message;
    const auto* w = problem_for(e, "run.weeks");
    ASSERT_NE(w, nullptr) << describe(e);
    EXPECT_EQ(w->line, 4);
    EXPECT_TRUE(contains(w->message, "a date-time")) << w->message;
}

TEST(ScenarioLoader, ArrayOrTableWhereAValueBelongs) {
    const auto e = text_error("[trust]\ngain_rate = [0.1, 0.2]\n[run.weeks]\nx = 1\n");
    EXPECT_NE(problem_for(e, "trust.gain_rate"), nullptr) << describe(e);
    // [run.weeks] is a table: its entries are unknown keys.
    EXPECT_NE(problem_for(e, "run.weeks.x"), nullptr) << describe(e);
}

TEST(ScenarioLoader, EndBeforeStartIsInconsistent) {
    const auto e = text_error("[ngo_defaults]\nstart_week = 100\nend_week = 50\n");
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    const auto& p = e.problems()[0];
    EXPECT_EQ(p.key, "ngo_defaults.end_week");
    EXPECT_EQ(p.file, "bad.toml");
    EXPECT_EQ(p.line, 3);
    EXPECT_TRUE(contains(p.message, "50")) << p.message;
    EXPECT_TRUE(contains(p.message, "100")) << p.message;
}

TEST(ScenarioLoader, EndEqualToStartIsInconsistent) {
    const auto e = text_error("[ngo_defaults]\nstart_week = 10\nend_week = 10\n");
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    EXPECT_EQ(e.problems()[0].key, "ngo_defaults.end_week");
    EXPECT_EQ(e.problems()[0].line, 3);
}

TEST(ScenarioLoader, InconsistencyInAnNgoEntryNamesTheEntry) {
    const auto e = text_error(
        "[[ngo]]\nname = \"a\"\n\n[[ngo]]\nname = \"b\"\nstart_week = 300\nend_week = 200\n");
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    EXPECT_EQ(e.problems()[0].key, "ngo[1].end_week");
    EXPECT_EQ(e.problems()[0].line, 7);
}

TEST(ScenarioLoader, ProjectStartingAfterHorizonIsInconsistent) {
    const auto e =
        text_error("[run]\nweeks = 52\n[ngo_defaults]\nstart_week = 60\nend_week = 100\n");
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    EXPECT_EQ(e.problems()[0].key, "ngo_defaults.start_week");
    EXPECT_EQ(e.problems()[0].line, 4);
}

TEST(ScenarioLoader, StallLengthWithoutStallIsInconsistent) {
    const auto e = text_error("[shocks]\nws2_stall_weeks = 10\n");
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    EXPECT_EQ(e.problems()[0].key, "shocks.ws2_stall_weeks");
    EXPECT_EQ(e.problems()[0].line, 2);
}

TEST(ScenarioLoader, MultipleProblemsAreReportedTogether) {
    const auto e = text_error(R"([run]
weeks = "long"
seed = 1.5
[trust]
gain_rat = 0.1
decay_rate = nan
[ngo_defaults]
part_time_share = 1.5
dedicated_fte = -1
[[ngo]]
approach = "friendly"
)");
    EXPECT_EQ(e.problems().size(), 7u) << describe(e);
    const std::vector<std::pair<std::string, int>> expected = {{"run.weeks", 2},
                                                               {"run.seed", 3},
                                                               {"trust.gain_rat", 5},
                                                               {"trust.decay_rate", 6},
                                                               {"ngo_defaults.part_time_share", 8},
                                                               {"ngo_defaults.dedicated_fte", 9},
                                                               {"ngo[0].approach", 11}};
    for (const auto& [key, line] : expected) {
        const auto* p = problem_for(e, key);
        ASSERT_NE(p, nullptr) << key << describe(e);
        EXPECT_EQ(p->line, line) << key;
        EXPECT_EQ(p->file, "bad.toml") << key;
    }
    // what() lists every problem, one per line.
    const std::string what = e.what();
    EXPECT_EQ(std::count(what.begin(), what.end(), '\n'), 6);
}

TEST(ScenarioLoader, ProblemFormatHasFileLineColumnKey) {
    const InputProblem p{"a.toml", 3, 7, "trust.gain_rate", "bad"};
    EXPECT_EQ(p.format(), "a.toml:3:7: key 'trust.gain_rate': bad");
    EXPECT_EQ((InputProblem{"a.toml", 0, 0, "", "file not found"}).format(),
              "a.toml: file not found");
    EXPECT_EQ((InputProblem{"a.toml", 3, 0, "k", "m"}).format(), "a.toml:3: key 'k': m");
}

// ---------------------------------------------------------------------------------------------
// extends

TEST(ScenarioLoader, ExtendsChildWinsBaseKept) {
    const auto l = load_scenario(data("extends_child.toml"));
    const auto& s = l.scenario;
    EXPECT_EQ(s.name, "child");             // overridden by the child
    EXPECT_EQ(s.trust.gain_rate, 0.07);     // overridden by the child
    EXPECT_EQ(s.description, "base file");  // same table, kept from the base
    EXPECT_EQ(s.weeks, 104);
    EXPECT_EQ(s.seed, 11u);
    EXPECT_EQ(s.trust.decay_rate, 0.02);
    EXPECT_EQ(s.ecosystem.mnc_count, 30);
    EXPECT_EQ(s.ecosystem.supplier_count, 300);
    EXPECT_EQ(s.ngo_defaults.dedicated_fte, 2.5);
    EXPECT_EQ(s.ngo_defaults.end_week, 90);
    EXPECT_EQ(s.trust.loss_ratio, Scenario{}.trust.loss_ratio);  // in neither: default
    ASSERT_EQ(l.files.size(), 2u);
    EXPECT_EQ(fs::path(l.files[0]).filename(), "extends_child.toml");
    EXPECT_EQ(fs::path(l.files[1]).filename(), "extends_base.toml");
    ASSERT_EQ(l.texts.size(), 2u);
    EXPECT_TRUE(contains(l.texts[1], "name = \"base\""));
}

TEST(ScenarioLoader, ExtendsCycleIsDetected) {
    const auto e = input_error([] { (void)load_scenario(data("extends_cycle_a.toml")); });
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    EXPECT_EQ(e.problems()[0].key, "extends");
    EXPECT_TRUE(contains(e.problems()[0].message, "cycle")) << describe(e);
    EXPECT_TRUE(contains(e.problems()[0].file, "extends_cycle_")) << describe(e);
}

TEST(ScenarioLoader, ExtendsSelfIsACycle) {
    const auto dir = test::temp_dir("loader_self");
    write_file(dir / "self.toml", "extends = \"self.toml\"\n");
    const auto e = input_error([&] { (void)load_scenario(dir / "self.toml"); });
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    EXPECT_TRUE(contains(e.problems()[0].message, "cycle")) << describe(e);
}

TEST(ScenarioLoader, ExtendsMissingBaseNamesTheBase) {
    const auto dir = test::temp_dir("loader_missing_base");
    write_file(dir / "child.toml", "extends = \"nope.toml\"\n[run]\nweeks = 10\n");
    const auto e = input_error([&] { (void)load_scenario(dir / "child.toml"); });
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    // Reported at the `extends` line of the file that asks for it, naming the missing base.
    EXPECT_EQ(fs::path(e.problems()[0].file).filename(), "child.toml") << describe(e);
    EXPECT_EQ(e.problems()[0].line, 1);
    EXPECT_EQ(e.problems()[0].key, "extends");
    EXPECT_TRUE(contains(e.problems()[0].message, "base file '")) << describe(e);
    EXPECT_TRUE(contains(e.problems()[0].message, "nope.toml' not found")) << describe(e);
}

TEST(ScenarioLoader, ProblemInBaseNamesTheBaseFileAndLine) {
    const auto dir = test::temp_dir("loader_bad_base");
    write_file(dir / "base.toml", "[run]\nweeks = 52\n\n[trust]\ngain_rate = 3.0\n");
    write_file(dir / "child.toml", "extends = \"base.toml\"\n[run]\nname = \"c\"\n");
    const auto e = input_error([&] { (void)load_scenario(dir / "child.toml"); });
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    EXPECT_EQ(e.problems()[0].key, "trust.gain_rate");
    EXPECT_EQ(fs::path(e.problems()[0].file).filename(), "base.toml") << describe(e);
    EXPECT_EQ(e.problems()[0].line, 5);
}

TEST(ScenarioLoader, ExtendsMustBeAString) {
    const auto dir = test::temp_dir("loader_ext_type");
    write_file(dir / "x.toml", "extends = 3\n");
    const auto e = input_error([&] { (void)load_scenario(dir / "x.toml"); });
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    EXPECT_EQ(e.problems()[0].key, "extends");
    EXPECT_EQ(e.problems()[0].line, 1);
}

TEST(ScenarioLoader, ExtendsChainOfThree) {
    const auto dir = test::temp_dir("loader_chain");
    write_file(dir / "a.toml", "[run]\nweeks = 100\nseed = 1\n[trust]\ngain_rate = 0.01\n");
    write_file(dir / "b.toml", "extends = \"a.toml\"\n[run]\nseed = 2\n");
    write_file(dir / "c.toml", "extends = \"b.toml\"\n[trust]\ngain_rate = 0.03\n");
    const auto l = load_scenario(dir / "c.toml");
    EXPECT_EQ(l.scenario.weeks, 100);
    EXPECT_EQ(l.scenario.seed, 2u);
    EXPECT_EQ(l.scenario.trust.gain_rate, 0.03);
    EXPECT_EQ(l.files.size(), 3u);
}

// ---------------------------------------------------------------------------------------------
// Overrides

TEST(ScenarioLoader, OverridesApplyLast) {
    LoadOptions o;
    o.overrides = {"ngo[*].dedicated_fte=2", "ngo_defaults.approach=scrutiny",
                   "trust.gain_rate = 0.09", "run.weeks=100",
                   "run.name=\"over\"",      "ngo[1].trained=false"};
    const auto l = load_scenario_text(R"([run]
weeks = 52
[trust]
gain_rate = 0.01
[ngo_defaults]
dedicated_fte = 0.5
[[ngo]]
name = "a"
dedicated_fte = 3
[[ngo]]
name = "b"
approach = "co_creation"
)",
                                      "ov.toml", o);
    const auto& s = l.scenario;
    EXPECT_EQ(s.weeks, 100);
    EXPECT_EQ(s.name, "over");
    EXPECT_EQ(s.trust.gain_rate, 0.09);
    EXPECT_EQ(s.ngo_defaults.dedicated_fte, 2.0);
    EXPECT_EQ(s.ngo_defaults.approach, Approach::kScrutiny);
    ASSERT_EQ(s.ngos.size(), 2u);
    EXPECT_EQ(s.ngos[0].dedicated_fte, 2.0);  // ngo[*] reaches every entry
    EXPECT_EQ(s.ngos[1].dedicated_fte, 2.0);
    EXPECT_EQ(s.ngos[0].approach, Approach::kScrutiny);    // inherited from the overridden defaults
    EXPECT_EQ(s.ngos[1].approach, Approach::kCoCreation);  // explicit in the entry
    EXPECT_TRUE(s.ngos[0].trained);
    EXPECT_FALSE(s.ngos[1].trained);
}

TEST(ScenarioLoader, OverridesOnAFile) {
    LoadOptions o;
    o.overrides = {"ngo[*].dedicated_fte=2", "ngo_defaults.approach=scrutiny"};
    const auto l = load_scenario(test::source_dir() / "scenarios" / "default.toml", o);
    EXPECT_EQ(l.scenario.ngo_defaults.dedicated_fte, 2.0);
    EXPECT_EQ(l.scenario.ngo_defaults.approach, Approach::kScrutiny);
    EXPECT_EQ(l.scenario.weeks, 416);  // untouched
}

TEST(ScenarioLoader, BadOverridesAreInputErrors) {
    for (const std::string bad : {"noequals", "=3", "trust..gain_rate=1", "ngo[x].dedicated_fte=1",
                                  "ngo[5].trained=true"}) {
        LoadOptions o;
        o.overrides = {bad};
        const auto e = text_error("", o);
        ASSERT_EQ(e.problems().size(), 1u) << bad << describe(e);
        EXPECT_EQ(e.problems()[0].file, "--set") << bad;
    }
}

TEST(ScenarioLoader, OverrideWithBadValueIsValidated) {
    LoadOptions o;
    o.overrides = {"ngo_defaults.part_time_share=1.5", "trust.gain_rat=0.1",
                   "ngo_defaults.approach=friendly"};
    const auto e = text_error("", o);
    EXPECT_EQ(e.problems().size(), 3u) << describe(e);
    EXPECT_NE(problem_for(e, "ngo_defaults.part_time_share"), nullptr) << describe(e);
    ASSERT_NE(problem_for(e, "trust.gain_rat"), nullptr) << describe(e);
    EXPECT_TRUE(contains(problem_for(e, "trust.gain_rat")->message, "trust.gain_rate"));
    EXPECT_NE(problem_for(e, "ngo_defaults.approach"), nullptr) << describe(e);
}

TEST(ScenarioLoader, ApplyOverrideEditsTheTable) {
    toml::table t = toml::parse("[trust]\ngain_rate = 0.1\n[[ngo]]\nname = \"a\"\n");
    apply_override(t, "trust.gain_rate=0.25");
    apply_override(t, "new_table.sub.key=7");
    apply_override(t, "ngo[0].name=bare");
    apply_override(t, "ngo[*].handover=true");
    EXPECT_EQ(t["trust"]["gain_rate"].value<double>(), 0.25);
    EXPECT_EQ(t["new_table"]["sub"]["key"].value<std::int64_t>(), 7);
    EXPECT_EQ(t["ngo"][0]["name"].value<std::string>(), "bare");
    EXPECT_EQ(t["ngo"][0]["handover"].value<bool>(), true);
    EXPECT_EQ(t["ngo_defaults"]["handover"].value<bool>(), true);
    EXPECT_THROW(apply_override(t, "trust.gain_rate.deeper=1"),
                 InputError);  // gain_rate is not a table
}

// ---------------------------------------------------------------------------------------------
// [[ngo]] entries inherit [ngo_defaults]

TEST(ScenarioLoader, NgoEntriesInheritDefaults) {
    // [[ngo]] written before [ngo_defaults]: order in the file must not matter.
    const auto l = load_scenario_text(R"([[ngo]]
name = "first"

[[ngo]]
name = "second"
dedicated_fte = 0.5
framing = "safe_migration"

[ngo_defaults]
dedicated_fte = 3.0
trained = false
framing = "trafficking"
budget_usd_per_year = 90000
)",
                                      "inherit.toml");
    const auto& s = l.scenario;
    ASSERT_EQ(s.ngos.size(), 2u);
    EXPECT_EQ(s.ngos[0].name, "first");
    EXPECT_EQ(s.ngos[0].dedicated_fte, 3.0);
    EXPECT_FALSE(s.ngos[0].trained);
    EXPECT_EQ(s.ngos[0].framing, Framing::kTrafficking);
    EXPECT_EQ(s.ngos[0].budget_usd_per_year, 90000.0);
    EXPECT_EQ(s.ngos[1].name, "second");
    EXPECT_EQ(s.ngos[1].dedicated_fte, 0.5);
    EXPECT_FALSE(s.ngos[1].trained);
    EXPECT_EQ(s.ngos[1].framing, Framing::kSafeMigration);
    EXPECT_EQ(s.ngos[1].budget_usd_per_year, 90000.0);
    // Fields set nowhere keep the built-in defaults.
    EXPECT_EQ(s.ngos[1].part_time_staff, NgoParams{}.part_time_staff);
    // resolve_ngos returns the explicit entries.
    const auto r = resolve_ngos(s, 1);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].name, "first");
}

TEST(ScenarioLoader, NgoMustBeAnArrayOfTables) {
    const auto e = text_error("ngo = 3\n");
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    EXPECT_EQ(e.problems()[0].key, "ngo");
    EXPECT_EQ(e.problems()[0].line, 1);
}

// ---------------------------------------------------------------------------------------------
// dump / parse round trip

TEST(ScenarioLoader, RoundTripDefault) {
    const auto file = test::source_dir() / "scenarios" / "default.toml";
    const auto a = load_scenario(file).scenario;
    const std::string text = dump_scenario(a);
    const auto b = load_scenario_text(text, "dumped.toml").scenario;
    expect_same_scenario(a, b);
    EXPECT_EQ(dump_scenario(b), text);
    // The built-in defaults too.
    const Scenario d;
    expect_same_scenario(d, load_scenario_text(dump_scenario(d), "d.toml").scenario);
}

/// A value of `f` different from `cur`, inside the field's range (and consistent with the
/// cross-field checks when applied to every field at once).
template <class T>
FieldValue other_value(const FieldSpec<T>& f, const FieldValue& cur) {
    switch (f.type) {
        case FieldType::kReal: {
            const double x = std::get<double>(cur);
            // an awkward fraction of the room to the bound: exercises full-precision printing
            const double frac = 0.1234567890123457;
            const double y = f.max > x ? x + (f.max - x) * frac : x - (x - f.min) * frac;
            return y;
        }
        case FieldType::kInteger: {
            const auto x = std::get<std::int64_t>(cur);
            return static_cast<double>(x + 1) <= f.max ? x + 1 : x - 1;
        }
        case FieldType::kBoolean:
            return !std::get<bool>(cur);
        case FieldType::kChoice: {
            const auto& s = std::get<std::string>(cur);
            const auto it = std::find(f.choices.begin(), f.choices.end(), s);
            const auto i = static_cast<std::size_t>(it - f.choices.begin());
            return f.choices[(i + 1) % f.choices.size()];
        }
        case FieldType::kText:
            return std::get<std::string>(cur) +
                   " \"quoted\" back\\slash\ttab\nnew line, unicode: \u00e9\u03a9 'single'";
    }
    return cur;
}

template <class T>
void change_every_field(const std::vector<FieldSpec<T>>& fields, T& target) {
    for (const auto& f : fields) {
        const auto v = other_value(f, f.get(target));
        ASSERT_NE(v, f.get(target)) << f.key;
        f.set(target, v);
        ASSERT_EQ(f.get(target), v) << f.key;
    }
}

TEST(ScenarioLoader, RoundTripNonDefaultEveryField) {
    Scenario s;
    change_every_field(scenario_fields(), s);
    change_every_field(ngo_fields(), s.ngo_defaults);
    NgoParams n1 = s.ngo_defaults, n2;
    change_every_field(ngo_fields(), n2);
    n1.name = "first";
    n2.name = "second";
    n2.dedicated_fte = 1e-7;            // tiny
    n2.budget_usd_per_year = 1.5e9;     // large, integral
    n2.cost_per_fte_year = 12345678.9;  // large, fractional
    s.ngos = {n1, n2};
    // sanity: every scenario field now differs from its default
    const Scenario def;
    for (const auto& f : scenario_fields()) EXPECT_NE(f.get(s), f.get(def)) << f.key;
    for (const auto& f : ngo_fields())
        EXPECT_NE(f.get(s.ngo_defaults), f.get(def.ngo_defaults)) << f.key;

    const std::string text = dump_scenario(s);
    LoadedScenario back;
    try {
        back = load_scenario_text(text, "dumped.toml");
    } catch (const InputError& e) {
        FAIL() << "dumped scenario does not load:" << describe(e) << "\n--- text ---\n" << text;
    }
    expect_same_scenario(s, back.scenario);
    EXPECT_EQ(dump_scenario(back.scenario), text);
}

TEST(ScenarioLoader, RoundTripTextWithEscapes) {
    // Every string TOML escapes allow in a text field survives dump -> parse.
    const auto a = load_scenario_text(R"([run]
name = "tab\there \u00e9\u03a9 \"q\" \\back"
description = "line 1\nline 2\twith tab, quote\", slash\\, literal \\n, unicode \u00E9\U0001F600"
[ngo_defaults]
implementer = 'literal \n stays, "double" ok'
)",
                                      "esc.toml")
                       .scenario;
    EXPECT_EQ(a.name, "tab\there \u00e9\u03a9 \"q\" \\back");
    EXPECT_EQ(a.description,
              "line 1\nline 2\twith tab, quote\", slash\\, literal \\n, unicode \u00E9\U0001F600");
    EXPECT_EQ(a.ngo_defaults.implementer, "literal \\n stays, \"double\" ok");
    const std::string text = dump_scenario(a);
    LoadedScenario b;
    try {
        b = load_scenario_text(text, "dumped.toml");
    } catch (const InputError& e) {
        FAIL() << "dumped scenario does not load:" << describe(e) << "\n--- text ---\n" << text;
    }
    EXPECT_EQ(b.scenario.name, a.name);
    EXPECT_EQ(b.scenario.description, a.description);
    EXPECT_EQ(b.scenario.ngo_defaults.implementer, a.ngo_defaults.implementer);
}

TEST(ScenarioLoader, ControlCharactersInTextAreRejected) {
    // Other control characters would make `show` output and stored resolved scenarios invalid TOML.
    const auto e = text_error(
        "[run]\nname = \"ok\"\ndescription = \"cr\\r\\nlf\"\n[ngo_defaults]\nname = "
        "\"bell\\u0007\"\n");
    ASSERT_EQ(e.problems().size(), 2u) << describe(e);
    const auto* d = problem_for(e, "run.description");
    ASSERT_NE(d, nullptr) << describe(e);
    EXPECT_EQ(d->line, 3);
    EXPECT_TRUE(contains(d->message, "U+000D")) << d->message;
    const auto* n = problem_for(e, "ngo_defaults.name");
    ASSERT_NE(n, nullptr) << describe(e);
    EXPECT_EQ(n->line, 5);
    EXPECT_TRUE(contains(n->message, "U+0007")) << n->message;
}

TEST(ScenarioLoader, ToTomlEscapesEveryControlCharacter) {
    // to_toml itself must produce valid TOML for any string, control characters included.
    std::string all;
    for (int c = 1; c < 0x20; ++c) all += static_cast<char>(c);
    all += "\x7f \"quoted\" back\\slash \u00e9";
    const std::string rendered = to_toml(FieldValue{all});
    toml::table t;
    try {
        t = toml::parse("v = " + rendered);
    } catch (const toml::parse_error& e) {
        FAIL() << "to_toml output is not valid TOML: " << e.description() << "\n" << rendered;
    }
    EXPECT_EQ(t["v"].value<std::string>(), all);
    // Other value types.
    EXPECT_EQ(to_toml(FieldValue{2.0}), "2.0");
    EXPECT_EQ(to_toml(FieldValue{0.1}), "0.1");
    EXPECT_EQ(to_toml(FieldValue{std::int64_t{-3}}), "-3");
    EXPECT_EQ(to_toml(FieldValue{true}), "true");
    EXPECT_EQ(toml::parse("v = " + to_toml(FieldValue{1.0 / 3.0}))["v"].value<double>(), 1.0 / 3.0);
    EXPECT_EQ(toml::parse("v = " + to_toml(FieldValue{1e-7}))["v"].value<double>(), 1e-7);
    EXPECT_EQ(toml::parse("v = " + to_toml(FieldValue{1e20}))["v"].value<double>(), 1e20);
}

// ---------------------------------------------------------------------------------------------
// Memory guard

TEST(ScenarioLoader, MemoryLimitRefusesLargeScenario) {
    LoadOptions o;
    o.memory_limit_bytes = 1024;  // 1 KiB: any scenario exceeds it
    const auto e = text_error("[ecosystem]\nsupplier_count = 500\n", o);
    ASSERT_EQ(e.problems().size(), 1u) << describe(e);
    EXPECT_EQ(e.problems()[0].key, "ecosystem.supplier_count");
    EXPECT_EQ(e.problems()[0].line, 2);
    EXPECT_TRUE(contains(e.problems()[0].message, "GiB")) << describe(e);
    // Under the default limit the same text loads.
    EXPECT_NO_THROW((void)load_scenario_text("[ecosystem]\nsupplier_count = 500\n", "ok.toml"));
}

TEST(ScenarioLoader, MemoryEstimateGrowsWithSize) {
    Scenario small = test::small_scenario();
    Scenario big = small;
    big.ecosystem.supplier_count *= 10;
    big.ecosystem.mnc_count *= 10;
    const double a = estimate_memory_bytes(small), b = estimate_memory_bytes(big);
    EXPECT_GT(a, 0);
    EXPECT_GT(b, 2 * a);
    // The default scenario is far below the default 16 GiB limit.
    EXPECT_LT(estimate_memory_bytes(Scenario{}), LoadOptions{}.memory_limit_bytes / 100);
    // A huge ecosystem is above it.
    Scenario huge;
    huge.ecosystem.mnc_count = 10'000'000;
    huge.ecosystem.supplier_count = 100'000'000;
    EXPECT_GT(estimate_memory_bytes(huge), LoadOptions{}.memory_limit_bytes);
}

}  // namespace
}  // namespace pse

// Issue 7: the built-in defaults are the calibrated parameter set. scenarios/calibrated.toml
// (the calibration's record, extending default.toml) must therefore resolve to exactly the same
// scenario as default.toml, and scenarios/uncalibrated.toml must differ in the eight calibrated
// parameters only.
TEST(ScenarioLoader, BuiltInDefaultsAreTheCalibratedValues) {
    const auto dir = pse::test::source_dir() / "scenarios";
    auto def = pse::load_scenario(dir / "default.toml").scenario;
    auto cal = pse::load_scenario(dir / "calibrated.toml").scenario;
    auto unc = pse::load_scenario(dir / "uncalibrated.toml").scenario;
    for (auto* s : {&cal, &unc}) {
        s->name = def.name;
        s->description = def.description;
    }
    EXPECT_EQ(pse::dump_scenario(cal), pse::dump_scenario(def));
    const auto a = pse::dump_scenario(def), b = pse::dump_scenario(unc);
    std::istringstream ia(a), ib(b);
    std::string la, lb;
    int differing = 0;
    while (std::getline(ia, la) && std::getline(ib, lb)) differing += la != lb;
    EXPECT_EQ(differing, 9)
        << b;  // the 9 calibrated parameters (analysis/pse_analysis/calibrate.py FACTORS)
    EXPECT_DOUBLE_EQ(def.trust.gain_rate, 0.0449);
    EXPECT_DOUBLE_EQ(unc.trust.gain_rate, 0.04);
}
