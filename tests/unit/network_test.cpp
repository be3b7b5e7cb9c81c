#include <gtest/gtest.h>

#include "support/fixtures.h"

// Unit tests of pse/network.{h,cpp}: vertex layout, supply-chain generation (heavy tail, shared
// suppliers), CSR views, NGO ties, determinism and components.
#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <utility>
#include <vector>

#include "pse/network.h"

namespace pse {
namespace {

constexpr std::uint64_t kSeed = 4242;

Scenario eco(int mncs, int suppliers, int govs = 3, int assocs = 2) {
    Scenario s = test::small_scenario();
    s.ecosystem.mnc_count = mncs;
    s.ecosystem.supplier_count = suppliers;
    s.ecosystem.government_count = govs;
    s.ecosystem.association_count = assocs;
    return s;
}

/// Three projects: two sisters (implementer "A") and one of implementer "B".
std::vector<NgoParams> three_ngos() {
    std::vector<NgoParams> v(3);
    v[0].name = "a1";
    v[0].implementer = "A";
    v[1].name = "b1";
    v[1].implementer = "B";
    v[2].name = "a2";
    v[2].implementer = "A";
    return v;
}

std::vector<std::pair<std::size_t, std::size_t>> edge_list(const Network& n) {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    for (auto [it, end] = boost::edges(n.graph); it != end; ++it) {
        auto u = boost::source(*it, n.graph), v = boost::target(*it, n.graph);
        out.emplace_back(std::min(u, v), std::max(u, v));
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool has_edge(const Network& n, std::size_t u, std::size_t v, TieKind kind) {
    auto [it, end] = boost::out_edges(u, n.graph);
    for (; it != end; ++it)
        if (boost::target(*it, n.graph) == v && n.graph[*it].kind == kind) return true;
    return false;
}

void expect_csr_valid(const Csr& c, std::size_t rows) {
    ASSERT_EQ(c.offsets.size(), rows + 1);
    EXPECT_EQ(c.offsets.front(), 0u);
    EXPECT_EQ(c.offsets.back(), c.targets.size());
    for (std::size_t r = 0; r < rows; ++r) {
        ASSERT_LE(c.offsets[r], c.offsets[r + 1]);
        // sorted and without duplicates
        for (auto i = c.offsets[r] + 1; i < c.offsets[r + 1]; ++i)
            EXPECT_LT(c.targets[i - 1], c.targets[i]);
    }
}

// ---------------------------------------------------------------------------------------------

TEST(Network, VertexCountsKindsAndIdRanges) {
    const auto s = eco(20, 200, 3, 2);
    const auto ngos = three_ngos();
    const auto n = build_network(s, ngos, kSeed);
    EXPECT_EQ(n.ngo_count, 3u);
    EXPECT_EQ(n.mnc_count, 20u);
    EXPECT_EQ(n.supplier_count, 200u);
    EXPECT_EQ(n.government_count, 3u);
    EXPECT_EQ(n.association_count, 2u);
    EXPECT_EQ(n.company_count(), 220u);
    EXPECT_EQ(n.ngo_base, 0u);
    EXPECT_EQ(n.donor_base, 3u);
    EXPECT_EQ(n.company_base, 6u);
    EXPECT_EQ(n.government_base, 226u);
    EXPECT_EQ(n.association_base, 229u);
    ASSERT_EQ(boost::num_vertices(n.graph), 231u);

    std::map<OrgKind, std::size_t> count;
    for (std::size_t v = 0; v < boost::num_vertices(n.graph); ++v) ++count[n.graph[v].kind];
    EXPECT_EQ(count[OrgKind::kNgo], 3u);
    EXPECT_EQ(count[OrgKind::kDonor], 3u);
    EXPECT_EQ(count[OrgKind::kMnc], 20u);
    EXPECT_EQ(count[OrgKind::kSupplier], 200u);
    EXPECT_EQ(count[OrgKind::kGovernment], 3u);
    EXPECT_EQ(count[OrgKind::kAssociation], 2u);
    // Each kind occupies its documented range.
    for (std::uint32_t i = 0; i < 3; ++i) {
        EXPECT_EQ(n.graph[n.ngo_base + i].kind, OrgKind::kNgo);
        EXPECT_EQ(n.graph[n.donor_base + i].kind, OrgKind::kDonor);
    }
    for (std::uint32_t c = 0; c < n.company_count(); ++c) {
        EXPECT_EQ(n.is_mnc(c), c < 20u);
        EXPECT_EQ(n.company_vertex(c), AgentId(6u + c));
        EXPECT_EQ(n.graph[n.company_vertex(c).value].kind,
                  c < 20u ? OrgKind::kMnc : OrgKind::kSupplier);
    }
    for (std::uint32_t g = 0; g < 3; ++g)
        EXPECT_EQ(n.graph[n.government_base + g].kind, OrgKind::kGovernment);
    for (std::uint32_t a = 0; a < 2; ++a)
        EXPECT_EQ(n.graph[n.association_base + a].kind, OrgKind::kAssociation);
}

TEST(Network, EdgeKindsConnectTheRightKinds) {
    const auto n = build_network(eco(20, 200), three_ngos(), kSeed);
    std::size_t total = 0;
    for (auto [it, end] = boost::edges(n.graph); it != end; ++it, ++total) {
        auto ku = n.graph[boost::source(*it, n.graph)].kind,
             kv = n.graph[boost::target(*it, n.graph)].kind;
        if (ku > kv) std::swap(ku, kv);
        switch (n.graph[*it].kind) {
            case TieKind::kSupplyChain:
                EXPECT_EQ(ku, OrgKind::kMnc);
                EXPECT_EQ(kv, OrgKind::kSupplier);
                break;
            case TieKind::kMembership:
                EXPECT_TRUE(ku == OrgKind::kMnc || ku == OrgKind::kSupplier);
                EXPECT_EQ(kv, OrgKind::kAssociation);
                break;
            case TieKind::kGovernmentTie:
                EXPECT_TRUE(ku == OrgKind::kMnc || ku == OrgKind::kSupplier);
                EXPECT_EQ(kv, OrgKind::kGovernment);
                break;
            case TieKind::kNgoTie:
                EXPECT_EQ(ku, OrgKind::kNgo);
                EXPECT_EQ(kv, OrgKind::kNgo);
                break;
            case TieKind::kNgoGovernment:
                EXPECT_EQ(ku, OrgKind::kNgo);
                EXPECT_EQ(kv, OrgKind::kGovernment);
                break;
            case TieKind::kFunding:
                EXPECT_EQ(ku, OrgKind::kNgo);
                EXPECT_EQ(kv, OrgKind::kDonor);
                break;
        }
    }
    std::size_t by_kind = 0;
    for (auto k : {TieKind::kSupplyChain, TieKind::kMembership, TieKind::kGovernmentTie,
                   TieKind::kNgoTie, TieKind::kNgoGovernment, TieKind::kFunding})
        by_kind += count_edges(n, k);
    EXPECT_EQ(by_kind, total);
    EXPECT_EQ(total, boost::num_edges(n.graph));
    // Each project has exactly one funder, its own donor.
    EXPECT_EQ(count_edges(n, TieKind::kFunding), 3u);
    for (std::uint32_t i = 0; i < 3; ++i)
        EXPECT_TRUE(has_edge(n, n.donor_base + i, n.ngo_base + i, TieKind::kFunding));
}

TEST(Network, SupplyChainEdgesMatchCsr) {
    const auto n = build_network(eco(50, 500), three_ngos(), kSeed);
    expect_csr_valid(n.suppliers_of, n.mnc_count);
    expect_csr_valid(n.buyers_of, n.supplier_count);
    const auto edges = count_edges(n, TieKind::kSupplyChain);
    EXPECT_GT(edges, 0u);
    EXPECT_EQ(n.suppliers_of.targets.size(), edges);
    EXPECT_EQ(n.buyers_of.targets.size(), edges);
    // suppliers_of holds supplier company indices; buyers_of is its exact transpose.
    std::set<std::pair<std::uint32_t, std::uint32_t>> fwd, bwd;
    for (std::uint32_t m = 0; m < n.mnc_count; ++m)
        for (auto i = n.suppliers_of.offsets[m]; i < n.suppliers_of.offsets[m + 1]; ++i) {
            const auto c = n.suppliers_of.targets[i];
            ASSERT_GE(c, n.mnc_count);
            ASSERT_LT(c, n.company_count());
            EXPECT_TRUE(has_edge(n, n.company_vertex(m).value, n.company_vertex(c).value,
                                 TieKind::kSupplyChain));
            fwd.emplace(m, c - n.mnc_count);
        }
    for (std::uint32_t sidx = 0; sidx < n.supplier_count; ++sidx)
        for (auto i = n.buyers_of.offsets[sidx]; i < n.buyers_of.offsets[sidx + 1]; ++i) {
            ASSERT_LT(n.buyers_of.targets[i], n.mnc_count);
            bwd.emplace(n.buyers_of.targets[i], sidx);
        }
    EXPECT_EQ(fwd, bwd);
    EXPECT_EQ(fwd.size(), edges);  // no MNC–supplier pair twice
}

TEST(Network, SuppliersPerMncAtLeastMinimumAndHeavyTailed) {
    auto s = eco(200, 2000);
    s.ecosystem.suppliers_per_mnc_min = 5;
    s.ecosystem.suppliers_per_mnc_alpha = 1.6;
    const auto n = build_network(s, three_ngos(), kSeed);
    std::vector<std::size_t> deg(n.mnc_count);
    for (std::uint32_t m = 0; m < n.mnc_count; ++m) {
        deg[m] = n.suppliers_of.row_size(m);
        EXPECT_GE(deg[m], 5u) << "MNC " << m;
    }
    std::sort(deg.begin(), deg.end());
    const double median = static_cast<double>(deg[deg.size() / 2]);
    const double mean =
        std::accumulate(deg.begin(), deg.end(), 0.0) / static_cast<double>(deg.size());
    // Pareto(5, 1.6): median 5 * 2^(1/1.6) = 7.7, mean 13.3, expected max of 200 draws ~ 140.
    EXPECT_GE(median, 5.0);
    EXPECT_LE(median, 11.0);
    EXPECT_GT(mean, median);                                   // right-skewed
    EXPECT_GE(static_cast<double>(deg.back()), 5.0 * median);  // heavy tail
}

TEST(Network, LighterTailWithLargerAlpha) {
    auto heavy = eco(200, 2000), light = heavy;
    heavy.ecosystem.suppliers_per_mnc_alpha = 1.2;
    light.ecosystem.suppliers_per_mnc_alpha = 6.0;
    const auto nh = build_network(heavy, three_ngos(), kSeed),
               nl = build_network(light, three_ngos(), kSeed);
    EXPECT_GT(count_edges(nh, TieKind::kSupplyChain), count_edges(nl, TieKind::kSupplyChain));
    std::size_t max_h = 0, max_l = 0;
    for (std::uint32_t m = 0; m < 200; ++m) {
        max_h = std::max(max_h, nh.suppliers_of.row_size(m));
        max_l = std::max(max_l, nl.suppliers_of.row_size(m));
    }
    EXPECT_GT(max_h, 3 * max_l);
}

TEST(Network, SuppliersCappedBySupplierCount) {
    auto s = eco(30, 3);
    s.ecosystem.suppliers_per_mnc_min = 5;
    const auto n = build_network(s, three_ngos(), kSeed);
    for (std::uint32_t m = 0; m < n.mnc_count; ++m)
        EXPECT_EQ(n.suppliers_of.row_size(m), 3u) << "MNC " << m;
    for (std::uint32_t sidx = 0; sidx < 3; ++sidx) EXPECT_EQ(n.buyers_of.row_size(sidx), 30u);
    EXPECT_EQ(count_edges(n, TieKind::kSupplyChain), 90u);
}

TEST(Network, NoSuppliersNoSupplyChain) {
    const auto n = build_network(eco(10, 0), three_ngos(), kSeed);
    EXPECT_EQ(count_edges(n, TieKind::kSupplyChain), 0u);
    expect_csr_valid(n.suppliers_of, 10);
    for (std::uint32_t m = 0; m < 10; ++m) EXPECT_EQ(n.suppliers_of.row_size(m), 0u);
    EXPECT_EQ(n.buyers_of.offsets.size(), 1u);
}

TEST(Network, SharedSuppliersWithPreferentialAttachment) {
    auto s = eco(200, 2000);
    s.ecosystem.supplier_preferential = 0.5;
    const auto n = build_network(s, three_ngos(), kSeed);
    std::size_t shared = 0, max_buyers = 0;
    for (std::uint32_t sidx = 0; sidx < n.supplier_count; ++sidx) {
        shared += n.buyers_of.row_size(sidx) >= 2;
        max_buyers = std::max(max_buyers, n.buyers_of.row_size(sidx));
    }
    EXPECT_GT(shared, 0u);
    EXPECT_GE(max_buyers, 5u);
    // Fully preferential attachment concentrates buyers on fewer suppliers than uniform picks.
    auto uniform = s, pref = s;
    uniform.ecosystem.supplier_preferential = 0.0;
    pref.ecosystem.supplier_preferential = 1.0;
    const auto nu = build_network(uniform, three_ngos(), kSeed),
               np = build_network(pref, three_ngos(), kSeed);
    auto used = [](const Network& net) {
        std::size_t k = 0, mx = 0;
        for (std::uint32_t i = 0; i < net.supplier_count; ++i) {
            k += net.buyers_of.row_size(i) > 0;
            mx = std::max(mx, net.buyers_of.row_size(i));
        }
        return std::pair{k, mx};
    };
    const auto [used_u, max_u] = used(nu);
    const auto [used_p, max_p] = used(np);
    EXPECT_LT(used_p, used_u);
    EXPECT_GT(max_p, max_u);
}

TEST(Network, PreferentialShareDoesNotChangeMncDegrees) {
    // The number of suppliers of each MNC is drawn from its own Pareto stream before any pick,
    // so with plenty of suppliers it must not depend on how the suppliers are picked.
    std::vector<std::vector<std::size_t>> degrees;
    for (double pref : {0.0, 0.5, 1.0}) {
        auto s = eco(200, 2000);
        s.ecosystem.supplier_preferential = pref;
        const auto n = build_network(s, three_ngos(), kSeed);
        std::vector<std::size_t> d;
        for (std::uint32_t m = 0; m < n.mnc_count; ++m) d.push_back(n.suppliers_of.row_size(m));
        degrees.push_back(d);
    }
    EXPECT_EQ(degrees[0], degrees[1]) << "preferential share 0.5";
    // Fully preferential picks must still reach suppliers without buyers (weight buyers + 1);
    // otherwise later MNCs would be capped at the suppliers already in use.
    EXPECT_EQ(degrees[0], degrees[2]) << "preferential share 1.0";
}

TEST(Network, SameSeedSameGraphDifferentSeedDifferentGraph) {
    const auto s = eco(50, 500);
    const auto a = build_network(s, three_ngos(), kSeed);
    const auto b = build_network(s, three_ngos(), kSeed);
    const auto c = build_network(s, three_ngos(), kSeed + 1);
    EXPECT_EQ(edge_list(a), edge_list(b));
    EXPECT_EQ(a.suppliers_of.offsets, b.suppliers_of.offsets);
    EXPECT_EQ(a.suppliers_of.targets, b.suppliers_of.targets);
    EXPECT_EQ(a.buyers_of.targets, b.buyers_of.targets);
    EXPECT_EQ(a.members_of.targets, b.members_of.targets);
    EXPECT_EQ(a.ngo_ties.targets, b.ngo_ties.targets);
    EXPECT_EQ(a.company_association, b.company_association);
    EXPECT_EQ(a.company_government, b.company_government);
    EXPECT_EQ(a.components, b.components);
    EXPECT_EQ(a.giant_component_share, b.giant_component_share);
    EXPECT_NE(edge_list(a), edge_list(c));
    EXPECT_NE(a.suppliers_of.targets, c.suppliers_of.targets);
    EXPECT_NE(a.company_association, c.company_association);
}

TEST(Network, MembershipAndGovernmentTies) {
    auto s = eco(200, 2000, 4, 3);
    s.ecosystem.association_membership_prob = 0.3;
    s.ecosystem.government_tie_prob = 0.2;
    const auto n = build_network(s, three_ngos(), kSeed);
    ASSERT_EQ(n.company_association.size(), n.company_count());
    ASSERT_EQ(n.company_government.size(), n.company_count());
    expect_csr_valid(n.members_of, 3);
    std::size_t members = 0, gov = 0;
    for (std::uint32_t c = 0; c < n.company_count(); ++c) {
        const auto a = n.company_association[c];
        if (a >= 0) {
            ++members;
            ASSERT_LT(a, 3);
            EXPECT_TRUE(has_edge(n, n.company_vertex(c).value, n.association_base + a,
                                 TieKind::kMembership));
            const auto& m = n.members_of;
            EXPECT_TRUE(std::binary_search(m.targets.begin() + m.offsets[a],
                                           m.targets.begin() + m.offsets[a + 1], c));
        }
        const auto g = n.company_government[c];
        if (g >= 0) {
            ++gov;
            ASSERT_LT(g, 4);
            EXPECT_TRUE(has_edge(n, n.company_vertex(c).value, n.government_base + g,
                                 TieKind::kGovernmentTie));
        }
    }
    EXPECT_EQ(count_edges(n, TieKind::kMembership), members);
    EXPECT_EQ(n.members_of.targets.size(), members);
    EXPECT_EQ(count_edges(n, TieKind::kGovernmentTie), gov);
    // 2200 companies: SE of the share is 0.01 (0.3) and 0.0085 (0.2).
    EXPECT_NEAR(members / 2200.0, 0.3, 0.05);
    EXPECT_NEAR(gov / 2200.0, 0.2, 0.045);
}

TEST(Network, SisterProjectsAlwaysTied) {
    auto s = eco(20, 200);
    s.ecosystem.ngo_tie_prob = 0.0;  // only sisters
    for (std::uint64_t seed : std::vector<std::uint64_t>{1, 2, 3, kSeed}) {
        const auto n = build_network(s, three_ngos(), seed);
        EXPECT_TRUE(has_edge(n, 0, 2, TieKind::kNgoTie)) << seed;   // a1 - a2 (implementer A)
        EXPECT_FALSE(has_edge(n, 0, 1, TieKind::kNgoTie)) << seed;  // different implementers
        EXPECT_FALSE(has_edge(n, 1, 2, TieKind::kNgoTie)) << seed;
        EXPECT_EQ(count_edges(n, TieKind::kNgoTie), 1u);
        expect_csr_valid(n.ngo_ties, 3);
        EXPECT_EQ(n.ngo_ties.targets,
                  (std::vector<std::uint32_t>{2, 0}));  // rows: 0 -> {2}, 1 -> {}, 2 -> {0}
    }
    s.ecosystem.ngo_tie_prob = 1.0;  // everyone
    const auto all = build_network(s, three_ngos(), kSeed);
    EXPECT_EQ(count_edges(all, TieKind::kNgoTie), 3u);
    EXPECT_EQ(all.ngo_ties.targets.size(), 6u);
}

TEST(Network, NgoTieProbabilityBetweenNonSisters) {
    auto s = eco(0, 0, 1, 0);
    s.ecosystem.ngo_tie_prob = 0.3;
    std::vector<NgoParams> ngos(60);
    for (std::size_t i = 0; i < ngos.size(); ++i) ngos[i].implementer = "impl" + std::to_string(i);
    const auto n = build_network(s, ngos, kSeed);
    // 1770 pairs; SE of the share 0.011.
    EXPECT_NEAR(count_edges(n, TieKind::kNgoTie) / 1770.0, 0.3, 0.055);
    EXPECT_EQ(n.ngo_ties.targets.size(), 2 * count_edges(n, TieKind::kNgoTie));
}

TEST(Network, EveryNgoTiedToEveryGovernment) {
    const auto n = build_network(eco(20, 200, 4, 1), three_ngos(), kSeed);
    EXPECT_EQ(count_edges(n, TieKind::kNgoGovernment), 3u * 4u);
    for (std::uint32_t i = 0; i < 3; ++i)
        for (std::uint32_t g = 0; g < 4; ++g)
            EXPECT_TRUE(
                has_edge(n, n.ngo_base + i, n.government_base + g, TieKind::kNgoGovernment));
}

TEST(Network, ComponentsKnownAnswers) {
    // Two unrelated projects, nothing else: {ngo0, donor0}, {ngo1, donor1}.
    std::vector<NgoParams> two(2);
    two[0].implementer = "x";
    two[1].implementer = "y";
    auto s = eco(0, 0, 0, 0);
    s.ecosystem.ngo_tie_prob = 0.0;
    auto n = build_network(s, two, kSeed);
    EXPECT_EQ(boost::num_vertices(n.graph), 4u);
    EXPECT_EQ(n.components, 2u);
    EXPECT_DOUBLE_EQ(n.giant_component_share, 0.5);
    // One agency links both projects: one component of 5.
    s.ecosystem.government_count = 1;
    n = build_network(s, two, kSeed);
    EXPECT_EQ(n.components, 1u);
    EXPECT_DOUBLE_EQ(n.giant_component_share, 1.0);
    // Plus 3 MNCs without suppliers and no ties: each is its own component.
    s.ecosystem.mnc_count = 3;
    s.ecosystem.association_membership_prob = 0;
    s.ecosystem.government_tie_prob = 0;
    n = build_network(s, two, kSeed);
    EXPECT_EQ(n.components, 4u);
    EXPECT_DOUBLE_EQ(n.giant_component_share, 5.0 / 8.0);
}

TEST(Network, ComponentsMatchUnionFind) {
    auto s = eco(40, 400, 2, 2);
    s.ecosystem.association_membership_prob = 0.05;
    s.ecosystem.government_tie_prob = 0.02;
    const auto n = build_network(s, three_ngos(), kSeed);
    const std::size_t nv = boost::num_vertices(n.graph);
    std::vector<std::size_t> parent(nv);
    std::iota(parent.begin(), parent.end(), 0);
    auto find = [&](std::size_t x) {
        while (parent[x] != x) x = parent[x] = parent[parent[x]];
        return x;
    };
    for (const auto& [u, v] : edge_list(n)) parent[find(u)] = find(v);
    std::map<std::size_t, std::size_t> sizes;
    for (std::size_t v = 0; v < nv; ++v) ++sizes[find(v)];
    std::size_t giant = 0;
    for (const auto& [root, size] : sizes) giant = std::max(giant, size);
    EXPECT_EQ(n.components, sizes.size());
    EXPECT_DOUBLE_EQ(n.giant_component_share, static_cast<double>(giant) / static_cast<double>(nv));
    EXPECT_GT(n.components, 1u);
    EXPECT_GT(n.giant_component_share, 0.0);
    EXPECT_LE(n.giant_component_share, 1.0);
}

TEST(Network, ResolvedPopulationNgos) {
    auto s = eco(20, 200);
    s.ngo_population.count = 5;
    const auto ngos = resolve_ngos(s, kSeed);
    ASSERT_EQ(ngos.size(), 5u);
    const auto n = build_network(s, ngos, kSeed);
    EXPECT_EQ(n.ngo_count, 5u);
    EXPECT_EQ(count_edges(n, TieKind::kFunding), 5u);
    EXPECT_EQ(boost::num_vertices(n.graph), 2u * 5 + 220 + 3 + 2);
}

TEST(Network, PopulationImplementersMakeSisterProjects) {
    // ngo_population.implementers = 0: every generated NGO is its own implementer (002: 27
    // independent NGOs); k = 2: NGO i belongs to implementer i mod 2, and sisters are always tied.
    auto s = eco(20, 200);
    s.ngo_population.count = 5;
    s.ecosystem.ngo_tie_prob = 0.0;  // only sister ties remain
    const auto solo = resolve_ngos(s, kSeed);
    for (std::size_t i = 0; i < solo.size(); ++i) EXPECT_EQ(solo[i].implementer, solo[i].name);
    EXPECT_EQ(build_network(s, solo, kSeed).ngo_ties.targets.size(), 0u);
    s.ngo_population.implementers = 2;
    const auto sis = resolve_ngos(s, kSeed);
    for (std::size_t i = 0; i < sis.size(); ++i)
        EXPECT_EQ(sis[i].implementer, sis[i % 2].implementer) << i;
    EXPECT_NE(sis[0].implementer, sis[1].implementer);
    // Implementer 0 has NGOs 0, 2, 4 (3 pairs), implementer 1 has 1, 3 (1 pair): 4 ties, each
    // stored in both directions.
    EXPECT_EQ(build_network(s, sis, kSeed).ngo_ties.targets.size(), 8u);
}

}  // namespace
}  // namespace pse
