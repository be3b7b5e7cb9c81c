#include "pse/rng.h"

#include <algorithm>

namespace pse {

std::uint32_t Rng::poisson(std::uint32_t phase, std::uint32_t draw, double mean) const {
    if (!(mean > 0)) return 0;
    if (mean > 500) {
        const double x = mean + std::sqrt(mean) * normal(phase, draw) + 0.5;
        return x <= 0 ? 0u : static_cast<std::uint32_t>(std::min(x, 4.0e9));
    }
    const double u = uniform(phase, draw);
    double p = std::exp(-mean);
    double cdf = p;
    std::uint32_t k = 0;
    while (u >= cdf && k < 100000) {
        ++k;
        p *= mean / k;
        cdf += p;
        if (p < 1e-300 && cdf >= 1.0 - 1e-15) break;
    }
    return k;
}

double Rng::gamma(std::uint32_t phase, std::uint32_t draw, double shape) const {
    if (shape < 1.0) {
        // Boost shape by one and scale by U^(1/shape) (Marsaglia–Tsang, section 6).
        const double u = uniform(phase, draw * 64 + 63);
        return gamma(phase, draw, shape + 1.0) * std::pow(std::max(u, 1e-300), 1.0 / shape);
    }
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / std::sqrt(9.0 * d);
    for (std::uint32_t i = 0; i < 31; ++i) {
        const double x = normal(phase, draw * 64 + 2 * i);
        const double v0 = 1.0 + c * x;
        if (v0 <= 0) continue;
        const double v = v0 * v0 * v0;
        const double u = uniform(phase, draw * 64 + 2 * i + 1);
        if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
        if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
    }
    return d;  // acceptance probability > 0.95 per try: reached with probability < 1e-38
}

double Rng::beta_mean(std::uint32_t phase, std::uint32_t draw, double mean, double conc) const {
    const double a = mean * conc;
    const double b = (1.0 - mean) * conc;
    const double x = gamma(phase, 2 * draw, a);
    const double y = gamma(phase, 2 * draw + 1, b);
    const double s = x + y;
    return s > 0 ? x / s : mean;
}

std::uint64_t derive_seed(std::uint64_t master, std::uint64_t a, std::uint64_t b) {
    using Philox = r123::Philox4x32;
    Philox::ctr_type c = {{static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(a >> 32),
                           static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(b >> 32)}};
    Philox::key_type k = {
        {static_cast<std::uint32_t>(master), static_cast<std::uint32_t>(master >> 32)}};
    const auto r = Philox()(c, k);
    // Keep seeds below 2^63 so they fit signed 64-bit columns and TOML integers.
    return ((static_cast<std::uint64_t>(r.v[0]) << 32) | r.v[1]) & 0x7FFFFFFFFFFFFFFFULL;
}

}  // namespace pse
