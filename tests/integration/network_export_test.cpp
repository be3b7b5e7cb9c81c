// The optional /network tables (docs/OUTPUT.md, "Layout"): the generated organisation network of
// selected runs, stored on request (--network) and read back exactly; the run-selection syntax;
// CSV export.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <set>
#include <tuple>

#include "pse/errors.h"
#include "pse/experiment.h"
#include "pse/results.h"
#include "pse/runner.h"
#include "pse/sweep.h"
#include "support/cli_run.h"
#include "support/fixtures.h"

namespace {

std::filesystem::path write_experiment(const std::filesystem::path& dir) {
    const auto p = dir / "exp.toml";
    std::ofstream(p)
        << "[run]\nname = \"network_test\"\nweeks = 52\n[ecosystem]\nmnc_count = "
           "12\nsupplier_count = 90\n"
        << "[experiment]\ndesign = \"grid\"\nreplications = 3\nseed = 11\n"
        << "[[experiment.lever]]\nkey = \"ecosystem.supplier_count\"\nvalues = [90, 140]\n";
    return p;
}

using EdgeSet = std::multiset<std::tuple<std::uint32_t, std::uint32_t, std::uint8_t>>;

EdgeSet edges_of(const pse::Network& net) {
    EdgeSet out;
    for (const auto& e : boost::make_iterator_range(boost::edges(net.graph))) {
        const auto a = static_cast<std::uint32_t>(boost::source(e, net.graph));
        const auto b = static_cast<std::uint32_t>(boost::target(e, net.graph));
        out.emplace(std::min(a, b), std::max(a, b), static_cast<std::uint8_t>(net.graph[e].kind));
    }
    return out;
}

EdgeSet edges_of(const pse::NetworkTable& t, std::int64_t run) {
    EdgeSet out;
    for (std::size_t i = 0; i < t.source.size(); ++i)
        if (t.edge_run[i] == run) out.emplace(t.source[i], t.target[i], t.edge_kind[i]);
    return out;
}

}  // namespace

TEST(NetworkExport, RunSelectionSyntax) {
    using pse::parse_run_selection;
    EXPECT_EQ(parse_run_selection("0,5-7,2,6", 10), (std::vector<std::int64_t>{0, 2, 5, 6, 7}));
    EXPECT_EQ(parse_run_selection("all", 3), (std::vector<std::int64_t>{0, 1, 2}));
    EXPECT_TRUE(parse_run_selection("none", 3).empty());
    for (const char* bad :
         {"", "3", "x", "1-", "-1", "2-1", "1,,2", "0.5", "1-99", "1-2-3", "all,1"}) {
        try {
            (void)parse_run_selection(bad, 3);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const pse::InputError& e) {
            EXPECT_EQ(e.problems().at(0).file, "--network") << bad;
            // The message quotes the offending item itself (not an empty part of it).
            const std::string msg = e.problems().at(0).message;
            if (std::string(bad) == "-1") {
                EXPECT_EQ(msg, "'-1' is not a run id or range (expected e.g. 0,5-7, all or none)");
            }
            if (std::string(bad).empty()) {
                EXPECT_EQ(msg, "empty run selection (expected e.g. 0,5-7, all or none)");
            }
            EXPECT_EQ(msg.find("''"), std::string::npos) << msg;
        }
    }
}

TEST(NetworkExport, StoredNetworkEqualsTheGeneratedGraphOfThatRun) {
    const auto dir = pse::test::fresh_dir("network", "stored");
    const auto exp = write_experiment(dir);
    const auto out = dir / "r.h5";
    // Runs 1 (design point 0) and 4 (design point 1: 140 suppliers), replications differ in seed.
    ASSERT_EQ(
        pse::test::run_cli("-q sweep " + exp.string() + " -o " + out.string() + " --network 4,1")
            .exit_code,
        0);
    const auto e = pse::load_experiment(exp);
    const auto t = pse::read_network(out);
    EXPECT_EQ(t.runs(), (std::vector<std::int64_t>{1, 4}));
    EXPECT_EQ(pse::read_results(out, false).n_network_runs, 2u);
    EXPECT_TRUE(std::is_sorted(t.edge_run.begin(), t.edge_run.end()));
    for (const std::int64_t id : {1, 4}) {
        const auto d = id / e.replications, r = id % e.replications;
        const pse::Model model(pse::scenario_at(e, static_cast<std::size_t>(d)),
                               pse::experiment_seed(e, d, r));
        const auto& net = model.network();
        EXPECT_EQ(edges_of(t, id), edges_of(net)) << "run " << id;
        std::size_t vertices = 0, suppliers = 0;
        for (std::size_t i = 0; i < t.vertex.size(); ++i)
            if (t.vertex_run[i] == id) {
                ASSERT_EQ(t.vertex_kind[i], static_cast<std::uint8_t>(net.graph[t.vertex[i]].kind));
                ++vertices;
                suppliers += t.vertex_kind[i] == static_cast<std::uint8_t>(pse::OrgKind::kSupplier);
            }
        EXPECT_EQ(vertices, boost::num_vertices(net.graph));
        EXPECT_EQ(suppliers, d == 0 ? 90u : 140u);
    }
    // Different replications of one design point have different supply chains (seeded).
    EXPECT_NE(edges_of(t, 1), edges_of(t, 0));
    // Without --network the group is absent and read_network is empty.
    ASSERT_EQ(pse::test::run_cli("-q sweep " + exp.string() + " -o " + (dir / "plain.h5").string())
                  .exit_code,
              0);
    EXPECT_TRUE(pse::read_network(dir / "plain.h5").source.empty());
    EXPECT_EQ(pse::read_results(dir / "plain.h5", false).n_network_runs, 0u);
}

TEST(NetworkExport, ResumedSweepStoresTheSameNetwork) {
    const auto dir = pse::test::fresh_dir("network", "resume");
    const auto exp = write_experiment(dir);
    ASSERT_EQ(pse::test::run_cli("-q sweep " + exp.string() + " -o " + (dir / "full.h5").string() +
                                 " --network all")
                  .exit_code,
              0);
    // An interrupted sweep, made deterministic: a parts folder holding a shard of runs 0 and 1
    // (as a killed sweep leaves it), then --resume.
    const auto e = pse::load_experiment(exp);
    const auto target = dir / "resumed.h5";
    const std::filesystem::path parts = target.string() + ".parts";
    std::filesystem::create_directories(parts);
    std::ofstream(parts / "manifest.txt") << pse::experiment_fingerprint(e) << "\n"
                                          << e.name << "\n";
    std::vector<pse::RunRecord> first;
    pse::RunnerOptions ro;
    ro.threads = 1;
    (void)pse::execute(e, {0, 1}, ro, [&](pse::RunRecord&& r) { first.push_back(std::move(r)); });
    pse::write_shard(parts / "part-000000.h5", first, e.base.weeks, pse::experiment_fingerprint(e));
    pse::SweepOptions so;
    so.target = target;
    so.resume = true;
    so.network_runs = pse::parse_run_selection("all", e.n_runs());
    const auto done = pse::run_sweep(e, so);
    ASSERT_TRUE(done.complete);
    EXPECT_EQ(done.reused, 2);
    const auto a = pse::read_network(dir / "full.h5"), b = pse::read_network(dir / "resumed.h5");
    EXPECT_EQ(a.runs(), (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5}));
    EXPECT_EQ(a.edge_run, b.edge_run);
    EXPECT_EQ(a.source, b.source);
    EXPECT_EQ(a.target, b.target);
    EXPECT_EQ(a.edge_kind, b.edge_kind);
    EXPECT_EQ(a.vertex_kind, b.vertex_kind);
}

TEST(NetworkExport, CsvExportAndBadSelection) {
    const auto dir = pse::test::fresh_dir("network", "csv");
    const auto exp = write_experiment(dir);
    const auto out = dir / "r.h5";
    // A run id outside the sweep is refused before any work (exit 2, no file, no parts).
    EXPECT_EQ(
        pse::test::run_cli("-q sweep " + exp.string() + " -o " + out.string() + " --network 6")
            .exit_code,
        2);
    EXPECT_EQ(pse::test::list_dir(dir), (std::vector<std::string>{"exp.toml"}));
    ASSERT_EQ(
        pse::test::run_cli("-q sweep " + exp.string() + " -o " + out.string() + " --network 0")
            .exit_code,
        0);
    ASSERT_EQ(pse::test::run_cli("-q export " + out.string() + " --csv " + (dir / "csv").string())
                  .exit_code,
              0);
    std::ifstream edges(dir / "csv" / "network_edges.csv"),
        vertices(dir / "csv" / "network_vertices.csv");
    std::string line;
    std::getline(edges, line);
    EXPECT_EQ(line, "run,source,target,kind");
    const auto t = pse::read_network(out);
    std::size_t rows = 0, supply = 0;
    while (std::getline(edges, line)) {
        ++rows;
        supply += line.ends_with(",supply_chain");
    }
    EXPECT_EQ(rows, t.source.size());
    EXPECT_EQ(supply, static_cast<std::size_t>(
                          std::count(t.edge_kind.begin(), t.edge_kind.end(), std::uint8_t{0})));
    EXPECT_GT(supply, 0u);
    std::getline(vertices, line);
    EXPECT_EQ(line, "run,vertex,kind");
    std::getline(vertices, line);
    EXPECT_EQ(line, "0,0,ngo");
}
