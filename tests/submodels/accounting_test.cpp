// Tests of submodel 7.11, outcome accounting (sim/pse/submodels/accounting.cpp): the per-run
// tables, the per-work-stream split, supply-chain access events and the caseload.
//
// Invariants over several scenarios and seeds; tolerances: sums of doubles 1e-9 relative.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "pse/report.h"
#include "pse/results.h"
#include "pse/submodels/accounting.h"
#include "support/cli_run.h"
#include "support/fixtures.h"

namespace pse {
namespace {

Scenario bundled(const char* name) {
    return load_scenario(test::source_dir() / "scenarios" / name).scenario;
}

double series(const RunOutput& o, int week, Series k) {
    return o.series[static_cast<std::size_t>(week) * kSeriesCount + static_cast<int>(k)];
}
double summary(const RunOutput& o, Summary k) {
    return o.summary[static_cast<int>(k)];
}

/// Column c of table t as a vector (one value per row).
std::vector<double> column(const RunOutput& o, Table t, int c) {
    const auto& spec = kTableSpecs[static_cast<int>(t)];
    const auto& v = o.tables[static_cast<int>(t)];
    std::vector<double> out;
    for (std::size_t i = static_cast<std::size_t>(c); i < v.size();
         i += static_cast<std::size_t>(spec.column_count))
        out.push_back(v[i]);
    return out;
}
double sum(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s;
}
int pcol(PartnershipCol c) {
    return static_cast<int>(c);
}

class Accounting : public ::testing::TestWithParam<const char*> {};

TEST_P(Accounting, PartnershipOutcomesSumToRunTotals) {
    const Scenario s = bundled(GetParam());
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        const RunOutput o = run_model(s, seed);
        const auto near = [](double a, double b) {
            return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b));
        };
        const double workers =
            sum(column(o, Table::kPartnerships, pcol(PartnershipCol::kWorkersReached))) +
            summary(o, Summary::kWorkersReachedUnattributed);
        EXPECT_TRUE(near(workers, summary(o, Summary::kWorkersReached)))
            << workers << " seed " << seed;
        const double vuln =
            sum(column(o, Table::kPartnerships, pcol(PartnershipCol::kVulnerabilityReduction))) +
            summary(o, Summary::kVulnerabilityReductionUnattributed);
        EXPECT_TRUE(near(vuln, summary(o, Summary::kVulnerabilityReduction)))
            << vuln << " seed " << seed;
        EXPECT_EQ(sum(column(o, Table::kPartnerships, pcol(PartnershipCol::kSuppliersImproved))) +
                      summary(o, Summary::kSuppliersImprovedUnattributed),
                  summary(o, Summary::kSuppliersImproved));
        EXPECT_EQ(sum(column(o, Table::kPartnerships, pcol(PartnershipCol::kSurvivorsPlaced))),
                  summary(o, Summary::kSurvivorsPlaced));
        EXPECT_TRUE(near(sum(column(o, Table::kPartnerships, pcol(PartnershipCol::kResourcesUsd))),
                         summary(o, Summary::kResourcesUsd)));
        // Every agreement is in the table (an agreement needs a first meeting first).
        double agreed = 0;
        for (double w : column(o, Table::kPartnerships, pcol(PartnershipCol::kAgreementWeek)))
            agreed += !std::isnan(w);
        EXPECT_EQ(agreed,
                  summary(o, Summary::kAgreementsWs1) + summary(o, Summary::kWs2Partnerships));
        // Per-NGO agreements sum to the run's.
        EXPECT_EQ(sum(column(o, Table::kNgos, static_cast<int>(NgoCol::kAgreements))),
                  summary(o, Summary::kAgreements));
        // Attributable = with-project minus counterfactual (same run, same draws).
        EXPECT_TRUE(near(summary(o, Summary::kWorkersReachedAttributable),
                         summary(o, Summary::kWorkersReached) -
                             summary(o, Summary::kWorkersReachedCounterfactual)));
        EXPECT_EQ(summary(o, Summary::kSuppliersImprovedAttributable),
                  summary(o, Summary::kSuppliersImproved) -
                      summary(o, Summary::kSuppliersImprovedCounterfactual));
        EXPECT_TRUE(near(summary(o, Summary::kVulnerabilityReductionAttributable),
                         summary(o, Summary::kVulnerabilityReduction) -
                             summary(o, Summary::kVulnerabilityReductionCounterfactual)));
    }
}

TEST_P(Accounting, WorkStreamsPartitionTheIndicators) {
    const Scenario s = bundled(GetParam());
    const RunOutput o = run_model(s, 7);
    for (int w = 0; w < o.weeks; ++w) {
        EXPECT_EQ(series(o, w, Series::kAgreementsWs1) + series(o, w, Series::kAgreementsWs2),
                  series(o, w, Series::kAgreementsSigned));
        EXPECT_EQ(series(o, w, Series::kActionsLowWs1) + series(o, w, Series::kActionsLowWs2),
                  series(o, w, Series::kActionsLow));
        EXPECT_EQ(series(o, w, Series::kActionsMediumWs1) + series(o, w, Series::kActionsMediumWs2),
                  series(o, w, Series::kActionsMedium));
        EXPECT_EQ(series(o, w, Series::kActionsHighWs1) + series(o, w, Series::kActionsHighWs2),
                  series(o, w, Series::kActionsHigh));
    }
    EXPECT_EQ(summary(o, Summary::kAgreementsWs1) + summary(o, Summary::kAgreementsWs2),
              summary(o, Summary::kAgreements));
    EXPECT_EQ(summary(o, Summary::kAgreementsWs2), summary(o, Summary::kWs2Partnerships));
}

TEST_P(Accounting, AccessEventsMatchTheAccessSeries) {
    const Scenario s = bundled(GetParam());
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
        const RunOutput o = run_model(s, seed);
        std::vector<double> net(static_cast<std::size_t>(o.weeks), 0.0);
        double opened = 0;
        for (const auto& e : o.events) {
            if (e.type == EventType::kAccessOpened)
                net[static_cast<std::size_t>(e.week)] += 1, opened += 1;
            if (e.type == EventType::kAccessClosed) net[static_cast<std::size_t>(e.week)] -= 1;
        }
        double open = 0;
        for (int w = 0; w < o.weeks; ++w) {
            open += net[static_cast<std::size_t>(w)];
            ASSERT_EQ(open, series(o, w, Series::kSupplyChainsOpen))
                << "week " << w << " seed " << seed;
        }
        EXPECT_EQ(opened, summary(o, Summary::kSupplyChainsOpened));
    }
}

TEST_P(Accounting, ProcessMetricsMatchTheEvents) {
    // partnerships_dissolved = dissolved events (a project-end dissolution is a project_end event);
    // partnerships_handed_over = project_end events into sustained or supported; declined first
    // meetings are among the drops from `identified`; mean trust is a trust.
    const Scenario s = bundled(GetParam());
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
        const RunOutput o = run_model(s, seed);
        double dissolved = 0, handed = 0, dropped_identified = 0;
        for (const auto& e : o.events) {
            dissolved += e.type == EventType::kDissolved;
            handed += e.type == EventType::kProjectEnd &&
                      (e.to == Stage::kSustained || e.to == Stage::kSupported);
            dropped_identified += e.type == EventType::kDropped && e.from == Stage::kIdentified;
        }
        EXPECT_EQ(summary(o, Summary::kPartnershipsDissolved), dissolved) << "seed " << seed;
        EXPECT_EQ(summary(o, Summary::kPartnershipsHandedOver), handed) << "seed " << seed;
        EXPECT_LE(summary(o, Summary::kFirstMeetingsDeclined), dropped_identified)
            << "seed " << seed;
        const double t = summary(o, Summary::kMeanTrust);
        if (!std::isnan(t)) {
            EXPECT_GE(t, 0.0);
            EXPECT_LE(t, 1.0);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Bundled, Accounting,
                         ::testing::Values("default.toml", "survey_population.toml",
                                           "sister_projects.toml", "scrutiny_trafficking.toml",
                                           "handover.toml"));

TEST(AccountingUnit, WithoutAnyProjectAttributableOutcomesAreExactlyZero) {
    // No NGO engages business: the with-project world is the counterfactual, draw for draw,
    // while the background hazard still improves (and reverts) suppliers.
    Scenario s = bundled("default.toml");
    s.ngo_defaults.engages_business = false;
    for (auto& n : s.ngos) n.engages_business = false;
    s.outcomes.cascade_base = 0.002;
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
        const RunOutput o = run_model(s, seed);
        EXPECT_EQ(summary(o, Summary::kAgreements), 0.0);
        EXPECT_GT(summary(o, Summary::kSuppliersImprovedCounterfactual), 0.0) << seed;
        EXPECT_EQ(summary(o, Summary::kWorkersReachedAttributable), 0.0) << seed;
        EXPECT_EQ(summary(o, Summary::kVulnerabilityReductionAttributable), 0.0) << seed;
        EXPECT_EQ(summary(o, Summary::kSuppliersImprovedAttributable), 0.0) << seed;
        for (int w = 0; w < o.weeks; ++w) {
            ASSERT_EQ(series(o, w, Series::kWorkersReached),
                      series(o, w, Series::kWorkersReachedCounterfactual))
                << w;
            ASSERT_EQ(series(o, w, Series::kSuppliersImproved),
                      series(o, w, Series::kSuppliersImprovedCounterfactual))
                << w;
        }
    }
}

TEST(Accounting, EveryEndedPartnershipHasACauseAndAHow) {
    const RunOutput o = run_model(bundled("default.toml"), 3);
    const auto how = column(o, Table::kPartnerships, pcol(PartnershipCol::kHow));
    const auto cause = column(o, Table::kPartnerships, pcol(PartnershipCol::kEndCause));
    const auto end = column(o, Table::kPartnerships, pcol(PartnershipCol::kEndWeek));
    const auto final_stage = column(o, Table::kPartnerships, pcol(PartnershipCol::kFinalStage));
    ASSERT_GT(how.size(), 10u);
    int dropped = 0;
    for (std::size_t i = 0; i < how.size(); ++i) {
        const bool ended = is_terminal(static_cast<Stage>(final_stage[i]));
        EXPECT_EQ(ended, !std::isnan(end[i]));
        if (ended) {
            EXPECT_NE(cause[i], static_cast<double>(EndCause::kNone)) << "row " << i;
            EXPECT_TRUE(how[i] >= 1 && how[i] <= 3) << "row " << i;
        } else {
            EXPECT_EQ(cause[i], static_cast<double>(EndCause::kNone));
            EXPECT_TRUE(how[i] == 0 || how[i] == 4);
        }
        if (how[i] == 3) {
            EXPECT_EQ(cause[i], static_cast<double>(EndCause::kProjectEnd));
        }
        dropped += how[i] == 1;
    }
    EXPECT_GT(dropped, 0);
}

TEST(Accounting, CaseloadCountsWorkedEngagements) {
    // One NGO: engagements worked per FTE = engagements worked / (dedicated + part-time share).
    Model m(bundled("default.toml"), 5);
    const RunOutput o = m.run();
    ASSERT_EQ(m.ngo_params().size(), 1u);
    const auto& p = m.ngo_params()[0];
    const double fte = p.dedicated_fte + p.part_time_staff * p.part_time_share;
    double worked_weeks = 0;
    int staffed = 0;
    for (int w = 0; w < o.weeks; ++w) {
        const double per_fte = series(o, w, Series::kEngagementsWorkedPerFte);
        if (!std::isnan(per_fte)) {
            EXPECT_DOUBLE_EQ(per_fte, series(o, w, Series::kEngagementsWorked) / fte);
            ++staffed;
        }
        worked_weeks += series(o, w, Series::kEngagementsWorked);
    }
    EXPECT_EQ(staffed, std::min(o.weeks, m.ngo_states()[0].end_week) - p.start_week);
    const int worked_col = static_cast<int>(StageCol::kWorkedWeeks);
    EXPECT_EQ(sum(column(o, Table::kStages, worked_col)), worked_weeks);
    EXPECT_LE(sum(column(o, Table::kPartnerships, pcol(PartnershipCol::kWeeksWorked))),
              worked_weeks);
    EXPECT_GT(worked_weeks, 0);
}

TEST(Accounting, ExportWritesTheTablesWithNames) {
    const auto dir = test::temp_dir("accounting_export");
    const auto file = dir / "d.h5";
    const auto r =
        test::run_cli({"-q", "run", (test::source_dir() / "scenarios" / "default.toml").string(),
                       "-r", "2", "--overwrite", "-o", file.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto data = read_results(file, false);
    ASSERT_EQ(data.tables.count("partnerships"), 1u);
    EXPECT_EQ(data.tables.at("ngos").at("run").size(), 2u);  // one NGO, two runs
    ASSERT_GT(export_csv(file, dir / "csv"), 0);
    const std::string csv = test::read_all(dir / "csv" / "partnerships.csv");
    EXPECT_EQ(csv.rfind("run,ngo,company,org,company_kind,", 0), 0u) << csv.substr(0, 80);
    EXPECT_NE(csv.find(",mnc,"), std::string::npos);
    EXPECT_NE(csv.find(",prevention,"), std::string::npos);
}

}  // namespace
}  // namespace pse
