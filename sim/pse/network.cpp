#include "pse/network.h"

#include <algorithm>
#include <cmath>

#include <boost/graph/connected_components.hpp>

#include "pse/rng.h"

namespace pse {
namespace {

// RNG phases for network generation (stream kNetwork keyed by the drawing entity).
enum NetPhase : std::uint32_t {
    kDegree = 1,
    kPick = 2,
    kPickKind = 3,
    kAssoc = 4,
    kGov = 5,
    kNgoTie = 6
};
/// Entity ids of the kNetwork streams (docs/ODD.md 3, table of streams): MNC m draws its suppliers
/// as id m, company c its association and government tie as kCompanyTieKey | c, NGO i its NGO ties
/// as kNgoTieKey | i. Stable values: changing them changes every network.
constexpr std::uint32_t kCompanyTieKey = 1u << 31;
constexpr std::uint32_t kNgoTieKey = 3u << 30;
/// Draw-number offset of a supplier pick's uniform draw, apart from its preferential draw j.
constexpr std::uint32_t kUniformPickDraw = 1u << 30;
/// A supplier already chosen by the MNC is redrawn, at most kPickTriesPerSupplier·k +
/// kPickTriesExtra times in all (draws; docs/ODD.md 5 "Network": 20k+20 tries; a bound on the
/// redraws, not a model quantity: k distinct suppliers are found long before it when k << S).
constexpr std::uint32_t kPickTriesPerSupplier = 20;
constexpr std::uint32_t kPickTriesExtra = 20;

Csr build_csr(std::size_t rows, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs) {
    Csr c;
    c.offsets.assign(rows + 1, 0);
    for (auto [r, t] : pairs) ++c.offsets[r + 1];
    for (std::size_t r = 0; r < rows; ++r) c.offsets[r + 1] += c.offsets[r];
    c.targets.resize(pairs.size());
    std::vector<std::uint32_t> fill(c.offsets.begin(), c.offsets.end() - 1);
    for (auto [r, t] : pairs) c.targets[fill[r]++] = t;
    for (std::size_t r = 0; r < rows; ++r)
        std::sort(c.targets.begin() + c.offsets[r], c.targets.begin() + c.offsets[r + 1]);
    return c;
}

/// Supply chain: heavy-tailed (Pareto) number of suppliers per MNC; a share of picks is
/// preferential (proportional to current buyer count + 1), which creates shared suppliers.
/// Adds the supply-chain edges to net.graph and fills net.suppliers_of and net.buyers_of.
/// Draws from each MNC's network stream (seed, MNC index), so the chain depends on nothing else.
void add_supply_chain(Network& net, const Scenario::Ecosystem& e, std::uint64_t seed) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> sup_pairs, buy_pairs;
    std::vector<std::uint32_t> endpoints;  // supplier index once per existing supply edge
    if (net.supplier_count > 0) {
        for (std::uint32_t m = 0; m < net.mnc_count; ++m) {
            const Rng rng(seed, EntityKey{EntityKind::kNetwork, m});
            const double k_raw =
                rng.pareto(kDegree, 0, e.suppliers_per_mnc_min, e.suppliers_per_mnc_alpha);
            const auto k =
                static_cast<std::uint32_t>(std::min<double>(net.supplier_count, std::floor(k_raw)));
            std::vector<std::uint32_t> chosen;
            chosen.reserve(k);
            for (std::uint32_t j = 0, tries = 0;
                 chosen.size() < k && tries < kPickTriesPerSupplier * k + kPickTriesExtra;
                 ++j, ++tries) {
                // Preferential picks are proportional to (buyer count + 1): an existing supply
                // edge's supplier with weight E/(E+S), any supplier uniformly with weight S/(E+S).
                std::uint32_t sidx;
                const std::uint64_t pool = endpoints.size() + net.supplier_count;
                const std::uint64_t u =
                    rng.chance(kPickKind, j, e.supplier_preferential)
                        ? rng.below(kPick, j, pool)
                        : endpoints.size() +
                              rng.below(kPick, j + kUniformPickDraw, net.supplier_count);
                sidx = u < endpoints.size() ? endpoints[u]
                                            : static_cast<std::uint32_t>(u - endpoints.size());
                if (std::find(chosen.begin(), chosen.end(), sidx) != chosen.end()) continue;
                chosen.push_back(sidx);
            }
            for (auto sidx : chosen) {
                endpoints.push_back(sidx);
                const std::uint32_t c = net.mnc_count + sidx;
                boost::add_edge(net.company_vertex(m).value, net.company_vertex(c).value,
                                EdgeProps{TieKind::kSupplyChain}, net.graph);
                sup_pairs.emplace_back(m, c);
                buy_pairs.emplace_back(sidx, m);
            }
        }
    }
    net.suppliers_of = build_csr(net.mnc_count, sup_pairs);
    net.buyers_of = build_csr(net.supplier_count, buy_pairs);
}

}  // namespace

Network build_network(const Scenario& s, const std::vector<NgoParams>& ngos, std::uint64_t seed) {
    const auto& e = s.ecosystem;
    Network net;
    net.ngo_count = static_cast<std::uint32_t>(ngos.size());
    net.mnc_count = static_cast<std::uint32_t>(e.mnc_count);
    net.supplier_count = static_cast<std::uint32_t>(e.supplier_count);
    net.government_count = static_cast<std::uint32_t>(e.government_count);
    net.association_count = static_cast<std::uint32_t>(e.association_count);
    net.ngo_base = 0;
    net.donor_base = net.ngo_count;
    net.company_base = net.donor_base + net.ngo_count;  // one donor per NGO
    net.government_base = net.company_base + net.company_count();
    net.association_base = net.government_base + net.government_count;
    const std::size_t nv = net.association_base + net.association_count;
    net.graph = Graph(nv);
    for (std::uint32_t i = 0; i < net.ngo_count; ++i) {
        net.graph[net.ngo_base + i].kind = OrgKind::kNgo;
        net.graph[net.donor_base + i].kind = OrgKind::kDonor;
        boost::add_edge(net.donor_base + i, net.ngo_base + i, EdgeProps{TieKind::kFunding},
                        net.graph);
    }
    for (std::uint32_t c = 0; c < net.company_count(); ++c)
        net.graph[net.company_vertex(c).value].kind =
            net.is_mnc(c) ? OrgKind::kMnc : OrgKind::kSupplier;
    for (std::uint32_t g = 0; g < net.government_count; ++g)
        net.graph[net.government_base + g].kind = OrgKind::kGovernment;
    for (std::uint32_t a = 0; a < net.association_count; ++a)
        net.graph[net.association_base + a].kind = OrgKind::kAssociation;

    add_supply_chain(net, e, seed);

    // Association memberships and government ties.
    net.company_association.assign(net.company_count(), -1);
    net.company_government.assign(net.company_count(), -1);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> mem_pairs;
    for (std::uint32_t c = 0; c < net.company_count(); ++c) {
        const Rng rng(seed, EntityKey{EntityKind::kNetwork, kCompanyTieKey | c});
        if (net.association_count > 0 && rng.chance(kAssoc, 0, e.association_membership_prob)) {
            const auto a = static_cast<std::uint32_t>(rng.below(kAssoc, 1, net.association_count));
            net.company_association[c] = static_cast<std::int32_t>(a);
            boost::add_edge(net.company_vertex(c).value, net.association_base + a,
                            EdgeProps{TieKind::kMembership}, net.graph);
            mem_pairs.emplace_back(a, c);
        }
        if (net.government_count > 0 && rng.chance(kGov, 0, e.government_tie_prob)) {
            const auto g = static_cast<std::uint32_t>(rng.below(kGov, 1, net.government_count));
            net.company_government[c] = static_cast<std::int32_t>(g);
            boost::add_edge(net.company_vertex(c).value, net.government_base + g,
                            EdgeProps{TieKind::kGovernmentTie}, net.graph);
        }
    }
    net.members_of = build_csr(net.association_count, mem_pairs);

    // NGO ties: sister projects (same implementer) always; others with ngo_tie_prob.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> tie_pairs;
    for (std::uint32_t i = 0; i < net.ngo_count; ++i) {
        for (std::uint32_t j = i + 1; j < net.ngo_count; ++j) {
            const Rng rng(seed, EntityKey{EntityKind::kNetwork, kNgoTieKey | i});
            const bool sister = ngos[i].implementer == ngos[j].implementer;
            if (sister || rng.chance(kNgoTie, j, e.ngo_tie_prob)) {
                boost::add_edge(net.ngo_base + i, net.ngo_base + j, EdgeProps{TieKind::kNgoTie},
                                net.graph);
                tie_pairs.emplace_back(i, j);
                tie_pairs.emplace_back(j, i);
            }
        }
        for (std::uint32_t g = 0; g < net.government_count; ++g)
            boost::add_edge(net.ngo_base + i, net.government_base + g,
                            EdgeProps{TieKind::kNgoGovernment}, net.graph);
    }
    net.ngo_ties = build_csr(net.ngo_count, tie_pairs);

    // Components (Boost.Graph): how fragmented the ecosystem is.
    std::vector<std::uint32_t> comp(nv);
    net.components =
        nv == 0 ? 0
                : static_cast<std::uint32_t>(boost::connected_components(net.graph, comp.data()));
    if (nv > 0) {
        std::vector<std::uint32_t> sizes(net.components, 0);
        for (auto c : comp) ++sizes[c];
        net.giant_component_share =
            static_cast<double>(*std::max_element(sizes.begin(), sizes.end())) /
            static_cast<double>(nv);
    }
    return net;
}

std::size_t count_edges(const Network& net, TieKind kind) {
    std::size_t n = 0;
    for (auto [it, end] = boost::edges(net.graph); it != end; ++it)
        if (net.graph[*it].kind == kind) ++n;
    return n;
}

}  // namespace pse
