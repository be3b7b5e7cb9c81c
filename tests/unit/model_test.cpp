// sim/pse/model.cpp: what one step (Model::step(), the ordered phases) guarantees, checked after
// every week of short runs: the week advances by one, events are stamped with the week that made
// them, the active lists hold exactly the non-terminal relationships, staff effort stays within
// the hours and skill of each NGO, and the week's series row is written (and only it).
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

#include "pse/errors.h"
#include "pse/model.h"
#include "pse/stages.h"
#include "support/fixtures.h"

namespace pse {
namespace {

constexpr double kTol = 1e-9;

TEST(Model, OneStepInvariantsHoldEveryWeek) {
    Scenario s = test::small_scenario();
    s.weeks = 80;
    s.ngo_defaults.targets_per_month = 6;
    std::size_t events_seen = 0, weeks_with_effort = 0;
    for (const std::uint64_t seed : {1u, 2u, 3u}) {
        SCOPED_TRACE(seed);
        Model m(s, seed);
        ASSERT_EQ(m.week(), 0);
        for (int w = 0; w < s.weeks; ++w) {
            const auto events_before = m.events().size();
            m.step();
            ASSERT_EQ(m.week(), w + 1);
            for (std::size_t i = events_before; i < m.events().size(); ++i) {
                ASSERT_EQ(m.events()[i].week, w) << "event " << i;
                ++events_seen;
            }
            std::set<std::uint32_t> listed;
            for (std::uint32_t n = 0; n < m.ngo_states().size(); ++n) {
                const auto& ns = m.ngo_states()[n];
                double effort = 0;
                for (const auto id : ns.active_rels) {
                    ASSERT_TRUE(listed.insert(id).second)
                        << "relationship " << id << " listed twice";
                    const auto& r = m.relationships()[id];
                    ASSERT_EQ(r.ngo, n);
                    ASSERT_FALSE(is_terminal(r.stage))
                        << "ended relationship " << id << " still active in week " << w;
                    ASSERT_GE(r.effort, 0.0);
                    effort += r.effort;
                }
                ASSERT_LE(effort, ns.staff_hours * ns.skill + kTol) << "ngo " << n << " week " << w;
                weeks_with_effort += effort > 0;
            }
            for (std::uint32_t id = 0; id < m.relationships().size(); ++id) {
                const auto& r = m.relationships()[id];
                if (r.stage != Stage::kNone && !is_terminal(r.stage)) {
                    ASSERT_TRUE(listed.count(id))
                        << "active relationship " << id << " in no NGO's list, week " << w;
                }
            }
            // This week's series row is written (staff hours of a running project are > 0); the
            // next week's is still empty.
            const auto& series = m.output().series;
            const auto row = [&](int week, Series k) {
                return series[static_cast<std::size_t>(week) * kSeriesCount +
                              static_cast<std::size_t>(k)];
            };
            if (w < s.ngo_defaults.end_week) {
                ASSERT_GT(row(w, Series::kStaffHours), 0.0) << "week " << w;
            }
            if (w + 1 < s.weeks) {
                ASSERT_EQ(row(w + 1, Series::kStaffHours), 0.0) << "week " << w + 1;
            }
        }
    }
    EXPECT_GT(events_seen, 50u);         // not vacuous: the runs did things
    EXPECT_GT(weeks_with_effort, 100u);  // and staff worked on engagements
}

/// Element-wise equal, NaN equal to NaN.
bool same_doubles(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
    return true;
}

TEST(Model, SteppingMatchesRun) {
    // run() is step() to the end plus the summary: the series of a stepped model equal run()'s,
    // and a step past the horizon is refused. (Moved from tests/model/determinism_test.cpp.)
    const Scenario s = test::small_scenario();
    Model m(s, 12);
    while (m.week() < s.weeks) m.step();
    const auto ref = run_model(s, 12);
    EXPECT_EQ(ref.weeks, s.weeks);
    EXPECT_EQ(ref.series.size(), static_cast<std::size_t>(s.weeks) * kSeriesCount);
    EXPECT_TRUE(same_doubles(m.output().series, ref.series));
    EXPECT_TRUE(same_doubles(m.output().pipeline, ref.pipeline));
    EXPECT_EQ(m.output().events.size(), ref.events.size());
    EXPECT_GT(ref.events.size(), 0u);
    EXPECT_THROW(m.step(), ModelError);
}

}  // namespace
}  // namespace pse
