// Documentation as data: the parameter reference in docs/SCENARIOS.md and the metric tables in
// docs/OUTPUT.md must match what the code declares, so the docs cannot drift.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "pse/metrics.h"
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
    for (const auto& s : pse::kSeriesSpecs) EXPECT_NE(doc.find("`" + std::string(s.name) + "`"), std::string::npos) << s.name;
    for (const auto& s : pse::kSummarySpecs) EXPECT_NE(doc.find("`" + std::string(s.name) + "`"), std::string::npos) << s.name;
}

TEST(Docs, OddDescribesEveryParameterTable) {
    // Every parameter table (top-level section) is described in docs/ODD.md.
    const std::string odd = read_file(pse::test::source_dir() / "docs" / "ODD.md");
    for (const char* section : {"run.", "ecosystem.", "company.", "trust.", "pipeline.", "outcomes.", "ws2.", "shocks.",
                                "ngo_population."})
        EXPECT_NE(odd.find(section), std::string::npos) << section;
}
