#pragma once
/// The organisation network: one Boost.Graph graph of every agent, generated reproducibly from
/// the scenario and the run seed.
///
/// Vertex layout (dense, stable ids): NGOs [0, N), donors [N, 2N) (one funder per project),
/// MNCs, suppliers, government agencies, associations. MNCs and suppliers together form the
/// "company" range: company c has vertex id company_base + c, with MNCs first.
/// Edge kinds: supply chain (MNC–supplier), membership (company–association), government tie
/// (company–agency), NGO tie (NGO–NGO; always between sister projects), NGO–government (each
/// project knows every agency), funding (donor–NGO).
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "pse/params.h"

namespace pse {

enum class OrgKind : std::uint8_t { kNgo = 0, kDonor, kMnc, kSupplier, kGovernment, kAssociation };
enum class TieKind : std::uint8_t {
    kSupplyChain = 0,
    kMembership,
    kGovernmentTie,
    kNgoTie,
    kNgoGovernment,
    kFunding
};

struct VertexProps {
    OrgKind kind = OrgKind::kNgo;
};
struct EdgeProps {
    TieKind kind = TieKind::kSupplyChain;
};
/// The ecosystem graph (undirected; vecS storage so vertex descriptors are the dense ids).
using Graph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, VertexProps, EdgeProps>;

/// Immutable id of an organisation: its vertex index in the graph. A value type (as Repast HPC's
/// AgentId), so that a vertex id cannot be passed where a company index (an index into the
/// Companies arrays, MNCs first) or a relationship id is expected, nor the other way round.
struct AgentId {
    std::uint32_t value = 0;
    constexpr AgentId() = default;
    constexpr explicit AgentId(std::uint32_t v) : value(v) {}
    friend constexpr bool operator==(AgentId, AgentId) = default;
    friend constexpr auto operator<=>(AgentId, AgentId) = default;
};

/// Compressed adjacency (CSR) of one relation, derived from the graph for the hot loop.
struct Csr {
    std::vector<std::uint32_t> offsets;  ///< size rows+1
    std::vector<std::uint32_t>
        targets;  ///< row r's entries are targets[offsets[r] .. offsets[r+1])
    [[nodiscard]] std::size_t row_size(std::size_t r) const { return offsets[r + 1] - offsets[r]; }
};

/// The generated ecosystem: graph, id ranges and per-company static attributes.
struct Network {
    Graph graph;
    std::uint32_t ngo_count = 0, mnc_count = 0, supplier_count = 0, government_count = 0,
                  association_count = 0;
    /// First vertex id of each kind (vertex id = base + index within the kind).
    std::uint32_t ngo_base = 0, donor_base = 0, company_base = 0, government_base = 0,
                  association_base = 0;

    [[nodiscard]] std::uint32_t company_count() const { return mnc_count + supplier_count; }
    [[nodiscard]] bool is_mnc(std::uint32_t company) const { return company < mnc_count; }
    /// Vertex id of company c (company index, MNCs first).
    [[nodiscard]] AgentId company_vertex(std::uint32_t c) const {
        return AgentId(company_base + c);
    }

    // Derived CSR views (company indices), built once from the graph.
    Csr suppliers_of;  ///< rows: MNCs (company index); entries: supplier company indices
    Csr buyers_of;     ///< rows: suppliers (supplier index = company - mnc_count); entries: MNC
                       ///< indices
    Csr members_of;    ///< rows: associations; entries: member company indices
    Csr ngo_ties;      ///< rows: NGOs; entries: tied NGO indices
    std::vector<std::int32_t> company_association;  ///< association index or -1
    std::vector<std::int32_t> company_government;   ///< government index or -1
    std::uint32_t components = 0;                   ///< connected components (Boost.Graph)
    double giant_component_share = 0;               ///< share of vertices in the largest component
};

/// Generate the network for a scenario and seed. `ngos` is the resolved NGO list.
/// Deterministic: the same (scenario, seed) gives the same graph. Throws ModelError only on
/// internal inconsistencies (validated scenarios never trigger it).
Network build_network(const Scenario& s, const std::vector<NgoParams>& ngos, std::uint64_t seed);

/// Names of the kinds, as stored in results files: "ngo", "donor", "mnc", "supplier",
/// "government", "association" and "supply_chain", "membership", "government_tie", "ngo_tie",
/// "ngo_government", "funding".
inline constexpr std::array<std::string_view, 6> kOrgKindNames{
    "ngo", "donor", "mnc", "supplier", "government", "association"};
inline constexpr std::array<std::string_view, 6> kTieKindNames{
    "supply_chain", "membership", "government_tie", "ngo_tie", "ngo_government", "funding"};

/// Count edges of one kind (for summaries and tests).
std::size_t count_edges(const Network& net, TieKind kind);

}  // namespace pse
