#pragma once
/// Submodel 7.10 — the supply-chain cascade: chain flags of partnered MNCs, supplier
/// improvement under buyer pressure, scrutiny hiding, buyer endorsement, workers reached and
/// vulnerability reduction (docs/ODD.md section 7.10; 000 Recommendations and Learning 5 in
/// docs/EVIDENCE.md; Watts 2002 and Plambeck & Taylor 2016 in docs/EVIDENCE.md section 3).
#include "pse/state.h"

namespace pse::cascade {

/// Prevention mechanism types a WS1 partnership implements (docs/ODD.md 7.10; values stable,
/// column `mechanism` of the partnership table).
enum class MechType : std::uint8_t { kCode = 0, kVoice = 1, kRecruitment = 2, kAudit = 3 };

/// Vulnerability effect at full coverage and monitoring strength (share of the reversion hazard
/// removed at full coverage) of a mechanism type, from `outcomes.mech_effect_*` /
/// `outcomes.mech_monitoring_*`.
struct MechEffect {
    double effect = 0, monitoring = 0;
};
[[nodiscard]] MechEffect mechanism_effect(const Scenario::Outcomes& oc, MechType t);

/// Mechanism type of the partnership (ngo, company): a pure function of (run seed, company, NGO)
/// drawn once (week 0 of the relationship stream, phase ngo_phase(ngo, kMechType)) with the
/// relative weights `outcomes.mech_weight_*` (all zero: a code of conduct). It does not depend on
/// the week or on the pipeline, so it needs no state.
[[nodiscard]] MechType mechanism_type(const StepContext& ctx, std::uint32_t ngo,
                                      std::uint32_t company);

/// Coverage depth bought by company money R (USD >= 0): floor + (1 - floor)·R/(R + R_half), with
/// floor = money_depth_floor and R_half = money_half_usd. Increasing and concave in R
/// (diminishing returns), depth(0) = floor, depth -> 1.
[[nodiscard]] double money_depth(const Scenario::Outcomes& oc, double usd);

/// Phase 12 (docs/ODD.md 3): chain flags for this week's cascade from the committed partnerships.
/// For each partnership in implementation or sustained, coverage = r.coverage ·
/// money_depth(r.resources_usd) · (sustained_factor if sustained) · (1 if the chain is open, else
/// closed_chain_reach); an MNC's mech_coverage is the maximum over partnerships (mech_effect: the
/// effect of that partnership's mechanism type); mech_pressure = max over partnerships of
/// monitoring · coverage; open_chain / scrutiny_chain mark chains open to any NGO / to a scrutiny
/// NGO. Open: trust >= the company's access threshold trust::access_threshold (sustained: the
/// access held at handover).
void phase_chain_flags(const StepContext& ctx, ModelState& st);

/// Phase 13 (docs/ODD.md 3): per supplier (pure, parallel when large), with one uniform u
/// (kCascade) and one uniform u' (kReversion) per supplier and week shared by two worlds (common
/// random numbers):
/// - with the project: if not improved, improves iff u < 1 - exp(-h), h = cascade_base +
///   cascade_per_buyer·(open buyers) + cascade_peer_bonus·[mean improved share of its buyers >=
///   cascade_threshold] + report_remediation·[remediation], times (1 - scrutiny_hiding) if a
///   buyer's chain is open to a scrutiny NGO; if improved, reverts iff u' < 1 - exp(-rho·(1 - P)),
///   rho = reversion_per_year/52, P = max monitoring pressure of its own and its buyers' chains;
/// - counterfactual (no NGO ever acts): the same with h0 = cascade_base + cascade_peer_bonus·
///   [mean counterfactual improved share >= threshold] and P = 0.
/// Workers reached = workers·max(coverage, [improved]) (coverage: its own or the highest of its
/// buyers'; coverage in [0,1] is the share of the workers reached); counterfactual =
/// workers·[cf improved]; vulnerability reduction = workers·(1 - (1 - e·coverage)(1 -
/// v·[improved])) with e the covering mechanism's effect and v = vulnerability_reduction
/// (counterfactual: workers·v·[cf improved]). Then, in supplier order: improvements and reversions,
/// buyer endorsement (sentiment at least trust.buyer_endorsement when a buyer's chain is open),
/// MNCs' improved shares; writes this week's series workers_reached, vulnerability_reduction,
/// suppliers_improved and their _counterfactual twins. Without any partnership both worlds draw
/// and apply the same events, so attributable outcomes are exactly 0.
void phase_cascade(const StepContext& ctx, ModelState& st);

}  // namespace pse::cascade
