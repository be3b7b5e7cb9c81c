// Documentation as data: the parameter reference in docs/SCENARIOS.md and the metric tables in
// docs/OUTPUT.md must match what the code declares, so the docs cannot drift.
#include <gtest/gtest.h>

#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>

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

TEST(Docs, OutputReferenceIsGeneratedFromTheSchema) {
    const std::string doc = read_file(pse::test::source_dir() / "docs" / "OUTPUT.md");
    const std::string generated = run_capture(pse::test::cli() + " outputs");
    ASSERT_NE(generated.find("## Table `/partnerships/<column>`"), std::string::npos);
    EXPECT_NE(doc.find(generated), std::string::npos)
        << "docs/OUTPUT.md is out of date: regenerate its reference part with `pse-sim outputs`";
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

TEST(Cli, ReportWritesHtmlThroughTheAnalysisPackage) {
    // `pse-sim report` hands its arguments to analysis/pse_analysis (README "Report").
    if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "issue 6: /usr/bin/python3 missing";
    const auto dir = pse::test::temp_dir("report_cli");
    const auto toml = dir / "tiny.toml";
    {
        std::ofstream(toml) << "[run]\nname = \"tiny\"\nweeks = 52\n[ecosystem]\nmnc_count = 10\nsupplier_count = 50\n";
    }
    const std::string h5 = (dir / "tiny.h5").string(), out = (dir / "report").string();
    ASSERT_EQ(std::system((pse::test::cli() + " -q run " + toml.string() + " -o " + h5 + " -r 2 --overwrite").c_str()), 0);
    const int st = std::system((pse::test::cli() + " report " + h5 + " -o " + out + " >/dev/null 2>&1").c_str());
    ASSERT_TRUE(WIFEXITED(st));
    EXPECT_EQ(WEXITSTATUS(st), 0);
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(out) / "index.html"));
}
