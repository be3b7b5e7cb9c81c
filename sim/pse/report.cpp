#include "pse/report.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "pse/metrics.h"

namespace pse {

MetricStats describe(std::vector<double> v) {
    std::erase_if(v, [](double x) { return !std::isfinite(x); });
    MetricStats s;
    s.n = v.size();
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    auto q = [&](double p) {
        const double pos = p * static_cast<double>(v.size() - 1);
        const auto lo = static_cast<std::size_t>(std::floor(pos));
        const auto hi = std::min(lo + 1, v.size() - 1);
        return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
    };
    double sum = 0;
    for (double x : v) sum += x;
    s.mean = sum / static_cast<double>(v.size());
    s.p05 = q(0.05);
    s.p50 = q(0.5);
    s.p95 = q(0.95);
    return s;
}

std::string summary_table(const std::string& title, const std::vector<std::vector<double>>& summaries) {
    struct Row {
        Summary k;
        const char* label;
        const char* fmt;
    };
    const Row rows[] = {
        {Summary::kEngagementsInitiated, "Engagements initiated (WS1)", "{:.0f}"},
        {Summary::kAgreements, "Agreements signed [indicator]", "{:.1f}"},
        {Summary::kActionsHigh, "High-level actions [indicator]", "{:.1f}"},
        {Summary::kShareReachingAgreement, "Share of engagements reaching agreement", "{:.2f}"},
        {Summary::kMedianWeeksToAgreement, "Median weeks contact -> agreement", "{:.0f}"},
        {Summary::kWeeksToFirstImplementation, "Weeks to first implementation", "{:.0f}"},
        {Summary::kPartnershipsAtEnd, "Partnerships active at project end", "{:.1f}"},
        {Summary::kPartnershipsEndPlus52, "Partnerships active 1 year after end", "{:.1f}"},
        {Summary::kWorkersReached, "Workers reached (final week)", "{:.0f}"},
        {Summary::kSuppliersImproved, "Suppliers improved", "{:.1f}"},
        {Summary::kSurvivorsPlaced, "Survivors placed (WS2)", "{:.1f}"},
        {Summary::kWs2Partnerships, "Survivor-employment partnerships", "{:.1f}"},
        {Summary::kResourcesUsd, "Company resources committed (USD)", "{:.0f}"},
        {Summary::kHoursPerAgreement, "Staff hours per agreement", "{:.0f}"},
    };
    std::string out = fmt::format("{}  ({} replication{})\n", title, summaries.size(), summaries.size() == 1 ? "" : "s");
    out += fmt::format("  {:<42} {:>12} {:>12} {:>12}\n", "metric", "mean", "5%", "95%");
    out += "  " + std::string(80, '-') + "\n";
    for (const auto& row : rows) {
        std::vector<double> v;
        for (const auto& s : summaries) v.push_back(s[static_cast<int>(row.k)]);
        const auto st = describe(v);
        auto f = [&](double x) { return st.n == 0 ? std::string("n/a") : fmt::format(fmt::runtime(row.fmt), x); };
        out += fmt::format("  {:<42} {:>12} {:>12} {:>12}", row.label, f(st.mean), f(st.p05), f(st.p95));
        if (st.n > 0 && st.n < summaries.size()) out += fmt::format("  (n={})", st.n);
        out += "\n";
    }
    return out;
}

}  // namespace pse
