#pragma once
/// Plain-text summary tables of run results (the "readable summary" printed by `pse-sim run`).
#include <filesystem>
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
std::string summary_table(const std::string& title,
                          const std::vector<std::vector<double>>& summaries);

/// Summary tables of a results file: one per design point (at most 12, then a count).
/// Throws IoError like read_results().
std::string summary_table_from_file(const std::filesystem::path& file);

/// Write a results file as CSV files into `dir` (created if missing): runs.csv (one row per run:
/// ids, seed, status, error, wall time, then one column per varied parameter of the design named
/// by its key — the run's design value, choices by name — then the summary metrics), design.csv,
/// series_<metric>.csv (one row per run, one column per week), pipeline.csv (run, week, stage,
/// count; non-zero counts only), events.csv. Returns the number of files written. Throws IoError.
int export_csv(const std::filesystem::path& file, const std::filesystem::path& dir);

/// The output reference in Markdown, generated from the declared schema (metrics.h): weekly
/// series, summary metrics, event types, end causes and the per-run tables with their columns.
/// docs/OUTPUT.md contains it verbatim (checked by a test); `pse-sim outputs` prints it.
std::string output_reference_markdown();

}  // namespace pse
