// Documentation as data: the parameter reference in docs/SCENARIOS.md and the metric tables in
// docs/OUTPUT.md must match what the code declares, so the docs cannot drift.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "pse/metrics.h"
#include "pse/params.h"
#include "support/fixtures.h"

namespace {

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string run_capture(const std::string& cmd) {
    std::string out;
    FILE* f = popen(cmd.c_str(), "r");
    if (!f) return out;
    char buf[4096];
    while (auto n = fread(buf, 1, sizeof buf, f)) out.append(buf, n);
    pclose(f);
    return out;
}

}  // namespace

TEST(Docs, ScenarioReferenceMatchesFieldTable) {
    const std::string doc = read_file(pse::test::source_dir() / "docs" / "SCENARIOS.md");
    const std::string generated = run_capture(pse::test::cli() + " params");
    ASSERT_FALSE(generated.empty());
    EXPECT_NE(doc.find(generated), std::string::npos)
        << "docs/SCENARIOS.md is out of date: regenerate its parameter table with `pse-sim params`";
}

TEST(Docs, OutputDocumentsEveryMetric) {
    const std::string doc = read_file(pse::test::source_dir() / "docs" / "OUTPUT.md");
    auto quoted = [](std::string_view name) {
        std::string q = "`";
        q.append(name);
        q.push_back('`');
        return q;
    };
    for (const auto& s : pse::kSeriesSpecs) EXPECT_NE(doc.find(quoted(s.name)), std::string::npos) << s.name;
    for (const auto& s : pse::kSummarySpecs) EXPECT_NE(doc.find(quoted(s.name)), std::string::npos) << s.name;
}

TEST(Docs, OddDescribesEveryParameter) {
    // docs/ODD.md names every parameter (its last key component; stage tables cover the
    // per-stage keys), so no mechanism's parameter goes undocumented.
    const std::string odd = read_file(pse::test::source_dir() / "docs" / "ODD.md");
    ASSERT_FALSE(odd.empty());
    auto leaf = [](const std::string& key) { return key.substr(key.rfind('.') + 1); };
    for (const auto& f : pse::scenario_fields())
        EXPECT_NE(odd.find(leaf(f.key)), std::string::npos) << f.key << " is not described in docs/ODD.md";
    for (const auto& f : pse::ngo_fields())
        EXPECT_NE(odd.find(f.key), std::string::npos) << "ngo." << f.key << " is not described in docs/ODD.md";
}
