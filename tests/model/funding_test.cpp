// Science tests of the funding horizon (003 Learnings 2–3; 000 Introduction & Overview): what
// happens to engagements at the project end with and without handover, the horizon willingness
// formula, budget cuts, follow-on extensions, and money committed only at decision months.
//
// Tolerances: known answers 1e-12 absolute (closed forms of the same arithmetic).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include "support/fixtures.h"

namespace pse {
namespace {

constexpr double kTol = 1e-12;

Scenario default_scenario() {
    return load_scenario(test::source_dir() / "scenarios" / "default.toml").scenario;
}

double series(const RunOutput& o, int week, Series k) {
    return o.series[static_cast<std::size_t>(week) * kSeriesCount + static_cast<int>(k)];
}
double logistic(double x) {
    return 1.0 / (1.0 + std::exp(-x));
}

struct EndTally {
    int pre = 0, post = 0, implementation = 0, sustained = 0, supported = 0, dissolved = 0,
        dropped = 0;
    double max_after_end = 0;
};

/// Run the scenario for the seeds and tally the project-end events; checks the invariants that
/// hold for every setting (events only at the end week; pre-agreement ones always drop).
EndTally run_and_tally(const Scenario& s, int seeds) {
    EndTally t;
    for (std::uint64_t seed = 1; seed <= static_cast<std::uint64_t>(seeds); ++seed) {
        Model m(s, seed);
        const RunOutput out = m.run();
        const int end = m.ngo_states()[0].end_week;
        for (const auto& e : out.events) {
            if (e.type != EventType::kProjectEnd) continue;
            EXPECT_EQ(e.week, end);
            if (!is_post_agreement(e.from)) {
                ++t.pre;
                EXPECT_EQ(e.to, Stage::kDropped) << stage_name(e.from);
            } else {
                ++t.post;
                t.implementation += e.from == Stage::kImplementation;
            }
            t.sustained += e.to == Stage::kSustained;
            t.supported += e.to == Stage::kSupported;
            t.dissolved += e.to == Stage::kDissolved;
            t.dropped += e.to == Stage::kDropped;
        }
        // After the end nothing is in a project-dependent stage: only sustained / supported remain.
        for (const auto& r : m.relationships())
            EXPECT_TRUE(!is_active(r.stage) || r.stage == Stage::kSustained ||
                        r.stage == Stage::kSupported)
                << stage_name(r.stage);
        for (int w = end; w < out.weeks; ++w) {
            t.max_after_end =
                std::max(t.max_after_end, series(out, w, Series::kPartnershipsAfterEnd));
            EXPECT_EQ(series(out, w, Series::kPartnershipsAfterEnd),
                      series(out, w, Series::kPartnershipsActive));
            EXPECT_EQ(series(out, w, Series::kStaffHours), 0.0);
        }
    }
    return t;
}

// ---------------------------------------------------------------------------------------------

TEST(Funding, ProjectEndWithoutHandoverStopsEverythingWhenNothingContinues) {
    Scenario s = default_scenario();
    s.ngo_defaults.handover = false;
    s.pipeline.continue_prob = 0;
    s.ngo_defaults.ws2_targets_per_year = 12;  // more WS2 partnerships at the end
    const EndTally t = run_and_tally(s, 6);
    EXPECT_GT(t.pre, 0);
    EXPECT_GT(t.post, 0);  // not vacuous: some partnerships were live at the end
    EXPECT_EQ(t.sustained, 0);
    EXPECT_EQ(t.supported, 0);
    EXPECT_EQ(t.dissolved, t.post);
    EXPECT_EQ(t.max_after_end, 0.0);  // partnerships_after_end is 0 in every week
}

TEST(Funding, ProjectEndContinuationFollowsContinueProb) {
    // continue_prob = 1: every implementing partnership is sustained (factor 1), every placing WS2
    // partnership is supported; pre-implementation WS1 continue at rate 0.5 * continue_prob.
    Scenario s = default_scenario();
    s.ngo_defaults.handover = false;
    s.pipeline.continue_prob = 1;
    s.pipeline.sustained_exit_per_year = 0;
    const EndTally t = run_and_tally(s, 6);
    EXPECT_GT(t.implementation, 0);
    EXPECT_GE(t.sustained, t.implementation);
    EXPECT_GT(t.max_after_end, 0.0);
    // Per-event check of the implementation rule.
    for (std::uint64_t seed = 1; seed <= 6; ++seed)
        for (const auto& e : run_model(s, seed).events)
            if (e.type == EventType::kProjectEnd && e.from == Stage::kImplementation) {
                EXPECT_EQ(e.to, Stage::kSustained);
            }
}

TEST(Funding, ProjectEndRatesByStageKnownAnswer) {
    // Isolated end_project: ~2000 engagements placed by hand in six stages; the project ends in
    // week 0. Pre-agreement -> dropped; implementation -> sustained with probability pc;
    // co-creation with pc/2; WS2 placed -> supported with pc; WS2 training -> dissolved.
    // pc = continue_prob (0.3) without handover, continue_prob_handover (0.8) with it.
    // Rates are checked within 4 binomial sd (about +-0.06 for ~330 engagements per stage).
    const Stage stages[] = {Stage::kIdentified,     Stage::kNegotiation, Stage::kCoCreation,
                            Stage::kImplementation, Stage::kPlaced,      Stage::kTraining};
    for (bool handover : {false, true}) {
        SCOPED_TRACE(handover);
        Scenario s = test::small_scenario();
        s.ecosystem.supplier_count = 2000;
        s.ngo_defaults.end_week = 0;
        s.ngo_defaults.handover = handover;
        s.pipeline.continue_prob = 0.3;
        s.pipeline.continue_prob_handover = 0.8;
        const double pc = handover ? 0.8 : 0.3;
        s.pipeline.handover_trust_slope =
            0;  // isolate the base rates (7.2): no trust, contribution or owner terms
        s.pipeline.handover_contribution_slope = 0;
        s.pipeline.handover_owner_bonus = 0;
        Model m(s, 44);
        const std::uint32_t C = m.network().company_count();
        for (std::uint32_t c = 0; c < C; ++c) {
            const Stage st = stages[c % 6];
            const auto id = m.relationship(0, c);
            m.start_engagement(id, is_ws2(st) ? Stream::kSurvivorEmployment : Stream::kPrevention,
                               false);
            m.relationships_mut()[id].stage = st;
            m.relationships_mut()[id].handover_work = 1.0;  // the plan received all its hours
        }
        m.phase_funding();  // week 0 >= end_week: the project ends now
        std::map<Stage, std::map<Stage, double>> to;
        std::map<Stage, double> n;
        for (const auto& e : m.events()) {
            if (e.type != EventType::kProjectEnd) continue;
            to[e.from][e.to] += 1;
        }
        for (const auto& r : m.relationships()) n[stages[r.company % 6]] += 1;
        auto rate = [&](Stage from, Stage dest) { return to[from][dest] / n[from]; };
        auto tol = [&](Stage from, double p) {
            return 4.0 * std::sqrt(p * (1.0 - p) / n[from]) + 1e-12;
        };
        EXPECT_EQ(rate(Stage::kIdentified, Stage::kDropped), 1.0);
        EXPECT_EQ(rate(Stage::kNegotiation, Stage::kDropped), 1.0);
        EXPECT_NEAR(rate(Stage::kImplementation, Stage::kSustained), pc,
                    tol(Stage::kImplementation, pc));
        EXPECT_NEAR(rate(Stage::kCoCreation, Stage::kSustained), pc / 2,
                    tol(Stage::kCoCreation, pc / 2));
        EXPECT_NEAR(rate(Stage::kPlaced, Stage::kSupported), pc, tol(Stage::kPlaced, pc));
        EXPECT_EQ(rate(Stage::kTraining, Stage::kDissolved), 1.0);
        for (Stage st : {Stage::kCoCreation, Stage::kImplementation})
            EXPECT_EQ(rate(st, Stage::kSustained) + rate(st, Stage::kDissolved), 1.0);
        EXPECT_EQ(rate(Stage::kPlaced, Stage::kSupported) + rate(Stage::kPlaced, Stage::kDissolved),
                  1.0);
        // Only continued partnerships remain active.
        for (const auto& st : m.ngo_states())
            for (auto id : st.active_rels) {
                const Stage sg = m.relationships()[id].stage;
                EXPECT_TRUE(sg == Stage::kSustained || sg == Stage::kSupported) << stage_name(sg);
            }
    }
}

TEST(Funding, ContinuedPartnershipsPersistOnlyByTheirExitHazard) {
    // With sustained_exit_per_year = 0 nothing ends after the project: partnerships_after_end is
    // constant from the end week to the horizon; with a high exit rate it falls.
    Scenario s = default_scenario();
    s.pipeline.continue_prob = 1;
    s.ngo_defaults.work_stream_2 = false;  // WS2 "supported" has no post-end exit hazard
    s.pipeline.sustained_exit_per_year = 0;
    double total = 0;
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        const auto out = run_model(s, seed);
        const double at_end = series(out, 260, Series::kPartnershipsAfterEnd);
        total += at_end;
        for (int w = 260; w < out.weeks; ++w)
            ASSERT_EQ(series(out, w, Series::kPartnershipsAfterEnd), at_end);
    }
    ASSERT_GT(total, 0.0);
    s.pipeline.sustained_exit_per_year = 52;  // weekly hazard 1
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        const auto out = run_model(s, seed);
        EXPECT_EQ(series(out, out.weeks - 1, Series::kPartnershipsAfterEnd), 0.0);
    }
}

TEST(Funding, HandoverLetsImplementingPartnershipsContinue) {
    Scenario s = default_scenario();
    s.ngo_defaults.handover = true;
    s.pipeline.continue_prob_handover = 1;
    s.pipeline.continue_prob = 1;  // q = 1 whatever planning effort was received
    const EndTally t = run_and_tally(s, 6);
    EXPECT_GT(t.implementation, 0);
    EXPECT_GT(t.max_after_end, 0.0);  // partnerships_after_end > 0 in some seed
    for (std::uint64_t seed = 1; seed <= 6; ++seed)
        for (const auto& e : run_model(s, seed).events)
            if (e.type == EventType::kProjectEnd && e.from == Stage::kImplementation) {
                EXPECT_EQ(e.to, Stage::kSustained);
            }
}

TEST(Funding, HandoverRaisesContinuationOverNoHandover) {
    // Same seeds, default continuation rates (0.1 vs 0.6): more partnerships continue with
    // handover.
    Scenario no = default_scenario(), yes = default_scenario();
    no.ngo_defaults.handover = false;
    yes.ngo_defaults.handover = true;
    double after_no = 0, after_yes = 0;
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
        after_no += series(run_model(no, seed), 261, Series::kPartnershipsAfterEnd);
        after_yes += series(run_model(yes, seed), 261, Series::kPartnershipsAfterEnd);
    }
    EXPECT_GT(after_yes, after_no);
}

TEST(Funding, HorizonWillingnessKnownAnswer) {
    // w = logistic((R - E) / s) with R = end_week - week; w + kappa(1 - w) with handover.
    Scenario s = test::small_scenario();  // end_week 130
    NgoParams plain = s.ngo_defaults, hand = s.ngo_defaults;
    plain.name = "plain";
    hand.name = "handover";
    hand.handover = true;
    s.ngos = {plain, hand};
    Model m(s, 3);
    const double scale = s.pipeline.horizon_scale_weeks;
    const double E[] = {26, 104, 130, 300};
    for (std::uint32_t c = 0; c < 4; ++c) m.companies_mut().ttv_weeks[c] = E[c];
    for (int k = 0; k < 40; ++k) {
        const double R = 130 - m.week();
        for (std::uint32_t c = 0; c < 4; ++c) {
            ASSERT_NEAR(m.horizon_willingness(0, c), logistic((R - E[c]) / scale), kTol)
                << "week " << m.week();
            const double w0 = logistic((R - E[c]) / scale), k = s.pipeline.handover_credibility;
            ASSERT_NEAR(m.horizon_willingness(1, c), w0 + k * (1.0 - w0),
                        kTol);  // plan offsets, not removes
        }
        m.step();
    }
    m.companies_mut().ttv_weeks[0] = 130 - m.week();
    EXPECT_NEAR(m.horizon_willingness(0, 0), 0.5, kTol);  // R == E
}

TEST(Funding, BudgetCutReducesStaffHoursToKnownValue) {
    // Budget 60k, cut to 50% every year, 1 FTE costing 60k: budget_factor 0.5 -> 20 h/week.
    // With a budget that still covers the cost after the cut, hours are unchanged (40).
    for (double budget : {60000.0, 200000.0}) {
        Scenario s = test::small_scenario();
        auto& n = s.ngo_defaults;
        n.dedicated_fte = 1;
        n.part_time_staff = 0;
        n.cost_per_fte_year = 60000;
        n.budget_usd_per_year = budget;
        n.budget_cv = 0;
        n.budget_cut_prob = 1;
        n.budget_cut_factor = 0.5;
        Model m(s, 2);
        const double cut = budget * 0.5;
        const double expected = 40.0 * std::min(1.0, cut / 60000.0);
        int cuts = 0;
        for (int w = 0; w < 120; ++w) {
            m.step();
            ASSERT_NEAR(m.ngo_states()[0].staff_hours, expected, kTol) << "week " << w;
            ASSERT_NEAR(m.ngo_states()[0].budget_usd, cut, 1e-6)
                << "week " << w;  // USD, 1e-6 absolute
        }
        for (const auto& e : m.events()) cuts += e.type == EventType::kBudgetCut;
        EXPECT_EQ(cuts, 3) << "one cut per project year (weeks 0, 52, 104)";
    }
}

TEST(Funding, NothingHappensOutsideTheProjectWindow) {
    // Project from week 40 to 120 (horizon 156): no staff, budget or NGO events before the start;
    // budget years are counted from the start (cuts at weeks 40 and 92 with cut_prob 1).
    Scenario s = test::small_scenario();
    s.ngo_defaults.start_week = 40;
    s.ngo_defaults.end_week = 120;
    s.ngo_defaults.budget_cut_prob = 1;
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
        const auto out = run_model(s, seed);
        for (int w = 0; w < out.weeks; ++w) {
            const bool running = w >= 40 && w < 120;
            EXPECT_EQ(series(out, w, Series::kStaffHours) > 0, running) << "week " << w;
            EXPECT_EQ(series(out, w, Series::kBudgetUsd) > 0, running) << "week " << w;
        }
        std::vector<int> cuts;
        for (const auto& e : out.events) {
            if (e.ngo == 0) {
                EXPECT_GE(e.week, 40);
            }
            if (e.type == EventType::kBudgetCut) cuts.push_back(e.week);
        }
        EXPECT_EQ(cuts, (std::vector<int>{40, 92}));
        EXPECT_GT(series(out, 119, Series::kEngagementsActive), 0.0);
    }
}

TEST(Funding, FollowOnExtendsTheProject) {
    Scenario s = test::small_scenario();  // end 130, horizon 156
    s.ngo_defaults.follow_on_prob = 1;
    s.ngo_defaults.follow_on_weeks = 10;
    Model m(s, 5);
    const auto out = m.run();
    EXPECT_EQ(m.ngo_states()[0].end_week, 140);
    int follow = 0;
    for (const auto& e : out.events) {
        follow += e.type == EventType::kFollowOn;
        if (e.type == EventType::kProjectEnd) {
            EXPECT_EQ(e.week, 140);
        }
        if (e.type == EventType::kFollowOn) {
            EXPECT_EQ(e.week, 130 - 26);
        }
    }
    EXPECT_EQ(follow, 1);
    EXPECT_GT(series(out, 135, Series::kStaffHours), 0.0);
    EXPECT_EQ(series(out, 140, Series::kStaffHours), 0.0);
}

TEST(Funding, MoneyIsCommittedOnlyInTheDecisionMonth) {
    // Every company decides in March: cumulative resources only rise in March weeks.
    Scenario s = default_scenario();
    s.company.decision_month = 3;
    double total = 0;
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        const auto out = run_model(s, seed);
        double prev = 0;
        for (int w = 0; w < out.weeks; ++w) {
            const double v = series(out, w, Series::kResourcesCommittedUsd);
            if (v != prev) {
                EXPECT_EQ(Model::month_of(w), 3) << "seed " << seed << " week " << w;
            }
            EXPECT_GE(v, prev);
            prev = v;
        }
        total += prev;
    }
    EXPECT_GT(total, 0.0);
}

TEST(Funding, CompanyCannotCommitMoneyBeforeItsDecisionMonth) {
    // Per-company decision months (drawn): step the default scenario and check that any
    // relationship whose committed money changes this week belongs to a company in its month.
    const Scenario s = default_scenario();
    int commitments = 0;
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
        Model m(s, seed);
        std::vector<double> before;
        while (m.week() < s.weeks) {
            before.clear();
            for (const auto& r : m.relationships()) before.push_back(r.resources_usd);
            const int w = m.week();
            m.step();
            for (std::size_t i = 0; i < m.relationships().size(); ++i) {
                const auto& r = m.relationships()[i];
                const double b = i < before.size() ? before[i] : 0.0;
                if (r.resources_usd == b) continue;
                ++commitments;
                EXPECT_EQ(Model::month_of(w), m.companies().decision_month[r.company])
                    << "week " << w;
                EXPECT_EQ(r.agreement_week, w);
            }
        }
    }
    EXPECT_GT(commitments, 5);
}

}  // namespace
}  // namespace pse
