// sim/pse/report.cpp: statistics over replications (known answers), the summary table and the
// output reference generated from the schema.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "pse/metrics.h"
#include "pse/report.h"

namespace pse {
namespace {

TEST(Report, DescribeKnownAnswerWithLinearQuantiles) {
    // 1..5 in any order: mean 3; quantile q at position q * (n - 1) = 4q, interpolated linearly.
    const auto s = describe({5, 1, 4, 2, 3});
    EXPECT_EQ(s.n, 5u);
    EXPECT_DOUBLE_EQ(s.mean, 3.0);
    EXPECT_DOUBLE_EQ(s.p50, 3.0);
    EXPECT_DOUBLE_EQ(s.p05, 1.2);
    EXPECT_DOUBLE_EQ(s.p95, 4.8);
}

TEST(Report, DescribeIgnoresValuesThatAreNotFinite) {
    const double nan = std::numeric_limits<double>::quiet_NaN(),
                 inf = std::numeric_limits<double>::infinity();
    const auto s = describe({nan, 2, inf, 4, nan});
    EXPECT_EQ(s.n, 2u);
    EXPECT_DOUBLE_EQ(s.mean, 3.0);
    EXPECT_DOUBLE_EQ(s.p50, 3.0);
    EXPECT_DOUBLE_EQ(s.p05, 2.1);
    const auto none = describe({nan, nan});
    EXPECT_EQ(none.n, 0u);
    EXPECT_EQ(describe({}).n, 0u);
    const auto one = describe({7});
    EXPECT_EQ(one.n, 1u);
    EXPECT_DOUBLE_EQ(one.p05, 7.0);
    EXPECT_DOUBLE_EQ(one.p95, 7.0);
}

TEST(Report, SummaryTableRowsAreMeanAnd5And95PercentOfTheRuns) {
    // Agreements 1, 2, 3 over three runs: mean 2.0, 5% 1.1, 95% 2.9 (one decimal); the share
    // reaching agreement in percent; a metric with no finite value is n/a; the title names the
    // replications.
    std::vector<std::vector<double>> runs(3, std::vector<double>(kSummaryCount, 0.0));
    for (std::size_t r = 0; r < 3; ++r) {
        runs[r][static_cast<int>(Summary::kAgreements)] = static_cast<double>(r) + 1.0;
        runs[r][static_cast<int>(Summary::kShareReachingAgreement)] = 0.25;
        runs[r][static_cast<int>(Summary::kMedianWeeksToAgreement)] =
            std::numeric_limits<double>::quiet_NaN();
    }
    const std::string t = summary_table("Scenario 'x'", runs);
    EXPECT_EQ(t.rfind("Scenario 'x'  (3 replications)\n", 0), 0u) << t;
    auto row = [&](const std::string& label) {
        std::string needle = "  ";
        needle += label;
        const auto at = t.find(needle);
        return at == std::string::npos ? std::string() : t.substr(at, t.find('\n', at) - at);
    };
    const std::string agreements = row("Agreements signed, WS1 + WS2 [indicator]");
    EXPECT_NE(agreements.find(" 2.0 "), std::string::npos) << agreements;
    EXPECT_NE(agreements.find(" 1.1 "), std::string::npos) << agreements;
    EXPECT_TRUE(agreements.ends_with(" 2.9")) << agreements;
    EXPECT_TRUE(row("WS1 engagements reaching agreement").ends_with(" 25%")) << t;
    EXPECT_TRUE(row("Median weeks contact -> agreement").ends_with(" n/a")) << t;
    EXPECT_EQ(summary_table("one", {std::vector<double>(kSummaryCount, 0.0)})
                  .rfind("one  (1 replication)\n", 0),
              0u);
}

/// `name` in backticks, as the reference writes it.
std::string code(std::string_view name) {
    std::string q(1, '`');
    q.append(name);
    q.push_back('`');
    return q;
}

TEST(Report, OutputReferenceListsEverySeriesAndSummaryMetric) {
    const std::string ref = output_reference_markdown();
    std::size_t n = 0;
    for (const auto& s : kSeriesSpecs) {
        EXPECT_NE(ref.find(code(s.name)), std::string::npos) << s.name;
        ++n;
    }
    for (const auto& s : kSummarySpecs) {
        EXPECT_NE(ref.find(code(s.name)), std::string::npos) << s.name;
        ++n;
    }
    EXPECT_EQ(n, static_cast<std::size_t>(kSeriesCount + kSummaryCount));
}

}  // namespace
}  // namespace pse
