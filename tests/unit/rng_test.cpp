#include <gtest/gtest.h>

#include "support/fixtures.h"

// Unit tests of pse/rng.{h,cpp}: the counter-based Philox streams and their distributions.
// Moment checks use N = 200000 draws with fixed seeds; each tolerance is about 5 standard errors
// of the estimate (stated next to it), so the checks are deterministic and not flaky.
#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "pse/rng.h"

namespace pse {
namespace {

constexpr std::uint32_t kN = 200000;
constexpr std::uint64_t kSeed = 20260101;

struct Moments {
    double mean = 0, var = 0;
};
Moments moments(const std::vector<double>& x) {
    double m = 0;
    for (double v : x) m += v;
    m /= static_cast<double>(x.size());
    double s = 0;
    for (double v : x) s += (v - m) * (v - m);
    return {m, s / static_cast<double>(x.size() - 1)};
}

template <class F>
std::vector<double> draws(F f, std::uint32_t n = kN) {
    std::vector<double> out(n);
    for (std::uint32_t i = 0; i < n; ++i) out[i] = f(i);
    return out;
}

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
    const auto ma = moments(a), mb = moments(b);
    double c = 0;
    for (std::size_t i = 0; i < a.size(); ++i) c += (a[i] - ma.mean) * (b[i] - mb.mean);
    c /= static_cast<double>(a.size() - 1);
    return c / std::sqrt(ma.var * mb.var);
}

// ---------------------------------------------------------------------------------------------
// Uniform: range, determinism, distinct streams

TEST(Rng, UniformInUnitInterval) {
    const Rng rng(kSeed, EntityKey{EntityKind::kPopulation, 0});
    double lo = 1, hi = 0;
    for (std::uint32_t i = 0; i < kN; ++i) {
        const double u = rng.uniform(1, i);
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
        lo = std::min(lo, u);
        hi = std::max(hi, u);
    }
    // 200k draws cover the interval: min < 1e-4 and max > 1 - 1e-4 fail with probability ~e^-20.
    EXPECT_LT(lo, 1e-4);
    EXPECT_GT(hi, 1.0 - 1e-4);
}

TEST(Rng, SameInputsSameValue) {
    const Rng a(kSeed, EntityKey{EntityKind::kCompany, 17}, 42);
    const Rng b(kSeed, EntityKey{EntityKind::kCompany, 17}, 42);
    for (std::uint32_t i = 0; i < 1000; ++i) {
        EXPECT_EQ(a.uniform(3, i), b.uniform(3, i));
        EXPECT_EQ(a.uniform(3, i), a.uniform(3, i));  // const, stateless
        EXPECT_EQ(a.normal(3, i), b.normal(3, i));
        EXPECT_EQ(a.poisson(3, i, 2.5), b.poisson(3, i, 2.5));
        EXPECT_EQ(a.beta_mean(3, i, 0.3, 4), b.beta_mean(3, i, 0.3, 4));
    }
}

TEST(Rng, EveryCounterComponentChangesTheValue) {
    const Rng base(kSeed, EntityKey{EntityKind::kNgo, 5}, 10);
    const double u = base.uniform(2, 7);
    EXPECT_NE(u, base.uniform(3, 7));                                                // phase
    EXPECT_NE(u, base.uniform(2, 8));                                                // draw
    EXPECT_NE(u, Rng(kSeed, EntityKey{EntityKind::kNgo, 5}, 11).uniform(2, 7));      // week
    EXPECT_NE(u, Rng(kSeed, EntityKey{EntityKind::kNgo, 6}, 10).uniform(2, 7));      // entity id
    EXPECT_NE(u, Rng(kSeed, EntityKey{EntityKind::kCompany, 5}, 10).uniform(2, 7));  // entity kind
    EXPECT_NE(u,
              Rng(kSeed + 1, EntityKey{EntityKind::kNgo, 5}, 10).uniform(2, 7));  // seed, low word
    EXPECT_NE(u, Rng(kSeed + (1ULL << 32), EntityKey{EntityKind::kNgo, 5}, 10)
                     .uniform(2, 7));  // seed, high word
}

TEST(Rng, DistinctInputsGiveDistinctValues) {
    // 4 x 8 x 8 x 8 x 8 = 16384 combinations of (kind, entity, week, phase, draw): all distinct.
    std::set<double> seen;
    std::size_t n = 0;
    for (auto kind :
         {EntityKind::kNgo, EntityKind::kCompany, EntityKind::kRelationship, EntityKind::kNetwork})
        for (std::uint32_t id = 0; id < 8; ++id)
            for (std::uint32_t week = 0; week < 8; ++week) {
                const Rng rng(kSeed, EntityKey{kind, id}, week);
                for (std::uint32_t phase = 0; phase < 8; ++phase)
                    for (std::uint32_t draw = 0; draw < 8; ++draw) {
                        seen.insert(rng.uniform(phase, draw));
                        ++n;
                    }
            }
    EXPECT_EQ(seen.size(), n);
}

TEST(Rng, NeighbouringStreamsAreUncorrelated) {
    // |r| of independent streams has standard error 1/sqrt(N) = 0.0022; tolerance 0.012.
    const Rng a(kSeed, EntityKey{EntityKind::kCompany, 0}),
        b(kSeed, EntityKey{EntityKind::kCompany, 1});
    const auto x = draws([&](std::uint32_t i) { return a.uniform(0, i); });
    const auto y = draws([&](std::uint32_t i) { return a.uniform(0, i + 1); });  // next draw
    const auto z = draws([&](std::uint32_t i) { return b.uniform(0, i); });      // next entity
    const auto w = draws([&](std::uint32_t i) { return a.uniform(1, i); });      // next phase
    EXPECT_NEAR(correlation(x, y), 0.0, 0.012);
    EXPECT_NEAR(correlation(x, z), 0.0, 0.012);
    EXPECT_NEAR(correlation(x, w), 0.0, 0.012);
}

// ---------------------------------------------------------------------------------------------
// Distributions

TEST(Rng, UniformMoments) {
    const Rng rng(kSeed, EntityKey{EntityKind::kPopulation, 1});
    const auto m = moments(draws([&](std::uint32_t i) { return rng.uniform(0, i); }));
    EXPECT_NEAR(m.mean, 0.5, 0.0035);       // SE 0.000645
    EXPECT_NEAR(m.var, 1.0 / 12.0, 0.001);  // SE 0.00017
}

TEST(Rng, ChanceAndBelow) {
    const Rng rng(kSeed, EntityKey{EntityKind::kPopulation, 2});
    std::uint32_t hits = 0;
    std::vector<std::uint32_t> bucket(7, 0);
    for (std::uint32_t i = 0; i < kN; ++i) {
        hits += rng.chance(0, i, 0.3) ? 1 : 0;
        const auto b = rng.below(1, i, 7);
        ASSERT_LT(b, 7u);
        ++bucket[b];
    }
    EXPECT_NEAR(hits / double(kN), 0.3, 0.006);                           // SE 0.001
    for (auto c : bucket) EXPECT_NEAR(c / double(kN), 1.0 / 7.0, 0.004);  // SE 0.00078
    EXPECT_FALSE(rng.chance(0, 0, 0.0));
    EXPECT_TRUE(rng.chance(0, 0, 1.0));
    EXPECT_EQ(rng.below(0, 0, 1), 0u);
}

TEST(Rng, NormalMoments) {
    const Rng rng(kSeed, EntityKey{EntityKind::kPopulation, 3});
    const auto x = draws([&](std::uint32_t i) { return rng.normal(0, i); });
    const auto m = moments(x);
    EXPECT_NEAR(m.mean, 0.0, 0.012);  // SE 0.0022
    EXPECT_NEAR(m.var, 1.0, 0.017);   // SE sqrt(2/N) = 0.0032
    double third = 0, fourth = 0;
    std::uint32_t within1 = 0;
    for (double v : x) {
        EXPECT_TRUE(std::isfinite(v));
        third += v * v * v;
        fourth += v * v * v * v;
        within1 += std::fabs(v) < 1.0;
    }
    EXPECT_NEAR(third / kN, 0.0, 0.03);                  // SE sqrt(15/N) = 0.0087
    EXPECT_NEAR(fourth / kN, 3.0, 0.12);                 // SE sqrt(96/N) = 0.022
    EXPECT_NEAR(within1 / double(kN), 0.682689, 0.006);  // SE 0.001
}

TEST(Rng, PoissonSmallMean) {
    const Rng rng(kSeed, EntityKey{EntityKind::kPopulation, 4});
    const auto x = draws([&](std::uint32_t i) { return double(rng.poisson(0, i, 3.0)); });
    const auto m = moments(x);
    EXPECT_NEAR(m.mean, 3.0, 0.025);  // SE sqrt(3/N) = 0.0039
    EXPECT_NEAR(m.var, 3.0, 0.06);    // SE sqrt((mu + 2 mu^2)/N) = 0.0102
    const auto zeros = std::count(x.begin(), x.end(), 0.0);
    EXPECT_NEAR(zeros / double(kN), std::exp(-3.0), 0.004);  // SE 0.00067
    for (double v : x) ASSERT_EQ(v, std::floor(v));
}

TEST(Rng, PoissonLargeMean) {
    // mean > 500 uses the rounded normal approximation: variance 800 + 1/12.
    const Rng rng(kSeed, EntityKey{EntityKind::kPopulation, 5});
    const auto m =
        moments(draws([&](std::uint32_t i) { return double(rng.poisson(0, i, 800.0)); }));
    EXPECT_NEAR(m.mean, 800.0, 0.35);  // SE sqrt(800/N) = 0.063
    EXPECT_NEAR(m.var, 800.0, 15.0);   // SE sqrt(2/N) * 800 = 2.5
}

TEST(Rng, PoissonEdgeCases) {
    const Rng rng(kSeed, EntityKey{EntityKind::kPopulation, 6});
    EXPECT_EQ(rng.poisson(0, 0, 0.0), 0u);
    EXPECT_EQ(rng.poisson(0, 0, -1.0), 0u);
    EXPECT_EQ(rng.poisson(0, 0, std::nan("")), 0u);
}

TEST(Rng, BetaMeanMoments) {
    // Beta(mean m, concentration c): variance m(1-m)/(c+1).
    struct Case {
        double mean, conc;
    };
    std::uint32_t entity = 10;
    for (const Case c : {Case{0.3, 4.0}, Case{0.1, 4.0} /* shape a = 0.4 < 1 */, Case{0.7, 50.0}}) {
        const Rng rng(kSeed, EntityKey{EntityKind::kPopulation, entity++});
        const auto x = draws([&](std::uint32_t i) { return rng.beta_mean(0, i, c.mean, c.conc); });
        for (double v : x) {
            ASSERT_GE(v, 0.0);
            ASSERT_LE(v, 1.0);
        }
        const auto m = moments(x);
        const double var = c.mean * (1 - c.mean) / (c.conc + 1);
        EXPECT_NEAR(m.mean, c.mean, 5 * std::sqrt(var / kN) + 1e-4) << c.mean << " " << c.conc;
        EXPECT_NEAR(m.var, var, 0.05 * var) << c.mean << " " << c.conc;
    }
}

TEST(Rng, GammaMoments) {
    // Gamma(k, 1): mean k, variance k.
    std::uint32_t entity = 20;
    for (double k : {0.5, 2.0, 9.0}) {
        const Rng rng(kSeed, EntityKey{EntityKind::kPopulation, entity++});
        const auto m = moments(draws([&](std::uint32_t i) { return rng.gamma(0, i, k); }));
        EXPECT_NEAR(m.mean, k, 5 * std::sqrt(k / kN)) << k;
        EXPECT_NEAR(m.var, k, 0.06 * k) << k;  // SE up to 0.84% (k = 0.5)
    }
}

TEST(Rng, LognormalMedian) {
    const Rng rng(kSeed, EntityKey{EntityKind::kPopulation, 7});
    auto x = draws([&](std::uint32_t i) { return rng.lognormal(0, i, 150.0, 1.0); });
    double mean_log = 0;
    for (double v : x) {
        ASSERT_GT(v, 0.0);
        mean_log += std::log(v);
    }
    mean_log /= kN;
    EXPECT_NEAR(mean_log, std::log(150.0), 0.012);  // SE 1/sqrt(N) = 0.0022
    std::nth_element(x.begin(), x.begin() + kN / 2, x.end());
    EXPECT_NEAR(x[kN / 2], 150.0, 150.0 * 0.015);  // SE of the median ~0.28%
}

TEST(Rng, ParetoTail) {
    const Rng rng(kSeed, EntityKey{EntityKind::kPopulation, 8});
    std::uint32_t above = 0;
    for (std::uint32_t i = 0; i < kN; ++i) {
        const double v = rng.pareto(0, i, 5.0, 1.6);
        ASSERT_GE(v, 5.0);
        above += v > 10.0;
    }
    EXPECT_NEAR(above / double(kN), std::pow(0.5, 1.6),
                0.006);  // P(X > 2 x_min) = 2^-alpha; SE 0.00105
}

// ---------------------------------------------------------------------------------------------
// derive_seed

TEST(DeriveSeed, DeterministicDistinctBelow2To63) {
    std::set<std::uint64_t> seen;
    for (std::uint64_t a = 0; a < 100; ++a)
        for (std::uint64_t b = 0; b < 100; ++b) {
            const auto s = derive_seed(kSeed, a, b);
            EXPECT_EQ(s, derive_seed(kSeed, a, b));
            ASSERT_LT(s, 1ULL << 63);
            seen.insert(s);
        }
    EXPECT_EQ(seen.size(), 10000u);
    EXPECT_NE(derive_seed(kSeed, 1, 2), derive_seed(kSeed, 2, 1));
    EXPECT_NE(derive_seed(kSeed, 0, 0), derive_seed(kSeed + 1, 0, 0));
    EXPECT_NE(derive_seed(kSeed, 0, 0), derive_seed(kSeed + (1ULL << 32), 0, 0));
    EXPECT_NE(derive_seed(kSeed, 1ULL << 32, 0), derive_seed(kSeed, 0, 0));  // high word of a
    EXPECT_NE(derive_seed(kSeed, 0, 1ULL << 32), derive_seed(kSeed, 0, 0));  // high word of b
    // The top bit is cleared, the other 63 vary: over 10000 seeds each bit is set roughly half the
    // time.
    for (int bit = 0; bit < 63; ++bit) {
        std::size_t ones = 0;
        for (auto s : seen) ones += (s >> bit) & 1;
        EXPECT_NEAR(ones / 10000.0, 0.5, 0.05) << "bit " << bit;  // SE 0.005
    }
}

TEST(DeriveSeed, ManyMastersStayBelow2To63) {
    for (std::uint64_t m : {0ULL, 1ULL, 0xFFFFFFFFFFFFFFFFULL, 1ULL << 63, 123456789ULL})
        for (std::uint64_t r = 0; r < 1000; ++r) ASSERT_LT(derive_seed(m, 0, r), 1ULL << 63);
}

}  // namespace
}  // namespace pse
