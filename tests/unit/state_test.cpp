// sim/pse/state.cpp: the helpers every phase shares: probability transforms (known answers),
// set_stage()'s bookkeeping when a relationship ends, emit() and the active lists.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "pse/model.h"
#include "pse/state.h"
#include "support/submodels.h"

namespace pse {
namespace {

TEST(State, TransformsKnownAnswers) {
    EXPECT_DOUBLE_EQ(logistic(0), 0.5);
    EXPECT_DOUBLE_EQ(logistic(std::log(3.0)), 0.75);
    EXPECT_DOUBLE_EQ(logistic(-2) + logistic(2), 1.0);
    EXPECT_DOUBLE_EQ(hazard_to_prob(std::log(2.0)), 0.5);
    EXPECT_DOUBLE_EQ(hazard_to_prob(0), 0.0);
    EXPECT_DOUBLE_EQ(hazard_to_prob(-1), 0.0);  // a negative hazard is no hazard
    EXPECT_DOUBLE_EQ(clamp01(-0.5), 0.0);
    EXPECT_DOUBLE_EQ(clamp01(0.3), 0.3);
    EXPECT_DOUBLE_EQ(clamp01(1.7), 1.0);
    EXPECT_EQ(month_of(0), 1);
    EXPECT_EQ(month_of(51), 12);
    EXPECT_EQ(month_of(52), 1);
    EXPECT_EQ(kWs1, 1u);
    EXPECT_EQ(kWs2, 2u);
}

TEST(State, SetStageToAnEndClosesTheChainAndCountsTheCause) {
    Model m(test::quiet_scenario(), 5);
    const auto id = test::engage(m, 0, 3);
    auto& st = m.state_mut();
    auto& r = st.rels[id];
    r.access = true;
    r.effort = 4;
    const Stage from = r.stage;
    const auto ctx = test::context_at(m, 9);
    const auto events_before = m.events().size();
    set_stage(ctx, st, r, Stage::kDropped, EndCause::kDeclined);
    EXPECT_EQ(r.stage, Stage::kDropped);
    EXPECT_EQ(r.stage_week, 9);
    EXPECT_EQ(r.end_week, 9);
    EXPECT_EQ(r.ended_at, from);
    EXPECT_EQ(r.end_cause, EndCause::kDeclined);
    EXPECT_EQ(r.effort, 0.0) << "an ended relationship holds no staff hours";
    EXPECT_FALSE(r.access);
    ASSERT_EQ(m.events().size(), events_before + 1);
    EXPECT_EQ(m.events().back().type, EventType::kAccessClosed);
    EXPECT_EQ(m.events().back().week, 9);
    EXPECT_EQ(st.counters.declined, 1.0);
    EXPECT_EQ(st.counters.dissolved, 0.0);
}

TEST(State, SetStageWithinThePipelineKeepsTheRelationshipOpen) {
    Model m(test::quiet_scenario(), 5);
    const auto id = test::engage(m, 0, 4);
    auto& st = m.state_mut();
    auto& r = st.rels[id];
    r.access = true;
    r.effort = 2;
    const auto events_before = m.events().size();
    set_stage(test::context_at(m, 3), st, r, Stage::kFirstMeeting);
    EXPECT_EQ(r.stage, Stage::kFirstMeeting);
    EXPECT_EQ(r.stage_week, 3);
    EXPECT_TRUE(r.access);
    EXPECT_EQ(r.effort, 2.0);
    EXPECT_EQ(r.end_cause, EndCause::kNone);
    EXPECT_EQ(m.events().size(), events_before);
}

TEST(State, EmitRecordsOnlyWhenTheScenarioRecordsEvents) {
    for (const bool record : {true, false}) {
        auto s = test::quiet_scenario();
        s.record_events = record;
        Model m(s, 2);
        const auto before = m.events().size();
        emit(test::context_at(m, 4), m.state_mut(), 0, std::int64_t{17}, EventType::kAccessClosed);
        ASSERT_EQ(m.events().size(), before + (record ? 1 : 0)) << record;
        if (record) {
            EXPECT_EQ(m.events().back().week, 4);
            EXPECT_EQ(m.events().back().ngo, 0);
            EXPECT_EQ(m.events().back().org, 17);
        }
    }
}

TEST(State, DropTerminalLeavesOnlyActiveRelationshipsInOrder) {
    auto s = test::quiet_scenario();
    NgoParams a = s.ngo_defaults, b = s.ngo_defaults;
    a.name = "a";
    b.name = "b";
    s.ngos = {a, b};
    Model m(s, 8);
    std::vector<std::uint32_t> ids;
    for (std::uint32_t c = 0; c < 4; ++c)
        ids.push_back(test::engage(m, c % 2, c));  // NGO 0: c 0, 2; NGO 1: c 1, 3
    auto& st = m.state_mut();
    EXPECT_EQ(active_relationships(st),
              (std::vector<std::uint32_t>{ids[0], ids[2], ids[1], ids[3]}));
    set_stage(m.context(), st, st.rels[ids[2]], Stage::kDropped, EndCause::kTrust);
    drop_terminal(st);
    EXPECT_EQ(st.ngo_state[0].active_rels, (std::vector<std::uint32_t>{ids[0]}));
    EXPECT_EQ(active_relationships(st), (std::vector<std::uint32_t>{ids[0], ids[1], ids[3]}));
}

}  // namespace
}  // namespace pse
