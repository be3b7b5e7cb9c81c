#pragma once
/// Counter-based random numbers keyed by identity.
///
/// Every draw is a pure function of (run seed, entity kind, entity id, week, phase, draw index),
/// computed with Random123's Philox4x32-10. No generator state is shared between agents or
/// threads, so results do not depend on update order or thread count.
#include <cmath>
#include <cstdint>

#include <Random123/philox.h>

namespace pse {

/// What an RNG stream belongs to; part of the counter so streams of different kinds never collide.
enum class EntityKind : std::uint32_t {
    kNgo = 2,           ///< one NGO / project (budget, outreach, targeting)
    kCompany = 3,       ///< one company (turnover, cascade)
    kRelationship = 4,  ///< one NGO–organisation relationship (pipeline hazards)
    kNetwork = 5,       ///< network generation streams
    kPopulation = 6,    ///< NGO population generation
    kSeed = 7,          ///< seed derivation
};

/// Identity of an RNG stream: kind plus a dense id within the kind.
struct EntityKey {
    EntityKind kind;
    std::uint32_t id;
};

/// Random stream of one entity in one week. Cheap to construct (holds 4 words); const methods.
/// All uniform draws are in [0, 1), 53-bit resolution. Thread-safe (no mutable state).
class Rng {
  public:
    /// seed: run seed; key: entity; week: step index (0 for draws outside the weekly loop).
    Rng(std::uint64_t seed, EntityKey key, std::uint32_t week = 0)
        : seed_(seed), key_(key), week_(week) {}

    /// Uniform in [0,1) for (phase, draw). Different (phase, draw) pairs are independent.
    [[nodiscard]] double uniform(std::uint32_t phase, std::uint32_t draw) const {
        const auto r = raw(phase, draw);
        return to_unit(r.v[0], r.v[1]);
    }
    /// Bernoulli(p): true with probability p (p clamped to [0,1]).
    [[nodiscard]] bool chance(std::uint32_t phase, std::uint32_t draw, double p) const {
        return uniform(phase, draw) < p;
    }
    /// Uniform integer in [0, n); n >= 1.
    [[nodiscard]] std::uint64_t below(std::uint32_t phase, std::uint32_t draw,
                                      std::uint64_t n) const {
        return static_cast<std::uint64_t>(uniform(phase, draw) * static_cast<double>(n)) % n;
    }
    /// Standard normal by Box–Muller from one Philox block.
    [[nodiscard]] double normal(std::uint32_t phase, std::uint32_t draw) const {
        const auto r = raw(phase, draw);
        const double u1 = 1.0 - to_unit(r.v[0], r.v[1]);  // (0,1]
        const double u2 = to_unit(r.v[2], r.v[3]);
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }
    /// Lognormal with the given median and log-sd.
    [[nodiscard]] double lognormal(std::uint32_t phase, std::uint32_t draw, double median,
                                   double sigma) const {
        return median * std::exp(sigma * normal(phase, draw));
    }
    /// Poisson(mean) by inversion (one uniform); normal approximation for mean > 500.
    [[nodiscard]] std::uint32_t poisson(std::uint32_t phase, std::uint32_t draw, double mean) const;
    /// Gamma(shape, 1) by Marsaglia–Tsang; uses draws draw*64 .. draw*64+63 of the phase.
    [[nodiscard]] double gamma(std::uint32_t phase, std::uint32_t draw, double shape) const;
    /// Beta with the given mean in (0,1) and concentration a+b > 0.
    [[nodiscard]] double beta_mean(std::uint32_t phase, std::uint32_t draw, double mean,
                                   double conc) const;
    /// Pareto(x_min, alpha) by inversion.
    [[nodiscard]] double pareto(std::uint32_t phase, std::uint32_t draw, double x_min,
                                double alpha) const {
        return x_min * std::pow(1.0 - uniform(phase, draw), -1.0 / alpha);
    }

  private:
    using Philox = r123::Philox4x32;
    /// Counter words: (entity id, kind<<24 | phase, week, draw); key: the 64-bit run seed.
    [[nodiscard]] Philox::ctr_type raw(std::uint32_t phase, std::uint32_t draw) const {
        const Philox::ctr_type c = {
            {key_.id, (static_cast<std::uint32_t>(key_.kind) << 24) | (phase & 0xFFFFFFu), week_,
             draw}};
        const Philox::key_type k = {
            {static_cast<std::uint32_t>(seed_), static_cast<std::uint32_t>(seed_ >> 32)}};
        return Philox()(c, k);
    }
    static double to_unit(std::uint32_t hi, std::uint32_t lo) {
        const std::uint64_t x = (static_cast<std::uint64_t>(hi) << 21) ^ (lo >> 11);
        return static_cast<double>(x & ((1ULL << 53) - 1)) * 0x1.0p-53;
    }
    std::uint64_t seed_;
    EntityKey key_;
    std::uint32_t week_;
};

/// Derive a 64-bit seed from a master seed and two indices (e.g. design point, replication).
/// Pure function; distinct (a, b) give independent-looking seeds.
std::uint64_t derive_seed(std::uint64_t master, std::uint64_t a, std::uint64_t b);

}  // namespace pse
