#pragma once
/// Plain-text summary tables of run results (the "readable summary" printed by `pse-sim run`).
#include <string>
#include <vector>

#include "pse/model.h"

namespace pse {

/// Statistics of one metric over replications.
struct MetricStats {
    double mean = 0, p05 = 0, p50 = 0, p95 = 0;
    std::size_t n = 0;  ///< replications with a finite value
};

/// Mean and 5/50/95% quantiles (linear interpolation) of the finite values; n = 0 if none.
MetricStats describe(std::vector<double> values);

/// A summary table of the main indicators and outcomes over the given runs' summaries
/// (one vector of kSummaryCount values per run). Returns multi-line text.
std::string summary_table(const std::string& title, const std::vector<std::vector<double>>& summaries);

}  // namespace pse
