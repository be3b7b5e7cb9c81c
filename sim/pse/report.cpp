#include "pse/report.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include <fmt/format.h>

#include "pse/errors.h"
#include "pse/metrics.h"
#include "pse/params.h"
#include "pse/results.h"

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

std::string summary_table(const std::string& title,
                          const std::vector<std::vector<double>>& summaries) {
    struct Row {
        Summary k;
        const char* label;
        const char* fmt;       ///< fmt format of the value (of 100 x the value if percent)
        bool percent = false;  ///< a share, shown in percent
    };
    const Row rows[] = {
        {Summary::kEngagementsInitiated, "Engagements initiated (WS1)", "{:.0f}"},
        {Summary::kAgreements, "Agreements signed, WS1 + WS2 [indicator]", "{:.1f}"},
        {Summary::kAgreementsWs1, "  of which prevention (WS1) [indicator]", "{:.1f}"},
        {Summary::kActionsHigh, "High-level actions [indicator]", "{:.1f}"},
        {Summary::kShareReachingAgreement, "WS1 engagements reaching agreement", "{:.0f}%", true},
        {Summary::kMedianWeeksToAgreement, "Median weeks contact -> agreement", "{:.0f}"},
        {Summary::kWeeksToFirstImplementation, "Weeks to first implementation", "{:.0f}"},
        {Summary::kPartnershipsAtEnd, "Partnerships active at project end", "{:.1f}"},
        {Summary::kPartnershipsEndPlus52, "Partnerships active 1 year after end", "{:.1f}"},
        {Summary::kWorkersReached, "Workers reached (final week)", "{:.0f}"},
        {Summary::kSuppliersImproved, "Suppliers improved", "{:.1f}"},
        {Summary::kSurvivorsPlaced, "Survivors placed (WS2)", "{:.1f}"},
        {Summary::kWs2Partnerships, "Survivor-employment partnerships (WS2)", "{:.1f}"},
        {Summary::kResourcesUsd, "Company resources committed (USD)", "{:.0f}"},
        {Summary::kHoursPerAgreement, "Staff hours per agreement", "{:.0f}"},
    };
    std::string out = fmt::format("{}  ({} replication{})\n", title, summaries.size(),
                                  summaries.size() == 1 ? "" : "s");
    out += fmt::format("  {:<42} {:>12} {:>12} {:>12}\n", "metric", "mean", "5%", "95%");
    out += "  " + std::string(80, '-') + "\n";
    for (const auto& row : rows) {
        std::vector<double> v;
        v.reserve(summaries.size());
        for (const auto& s : summaries) v.push_back(s[static_cast<int>(row.k)]);
        const auto st = describe(v);
        auto f = [&](double x) {
            if (st.n == 0) return std::string("n/a");
            return fmt::format(fmt::runtime(row.fmt), row.percent ? 100 * x : x);
        };
        out += fmt::format("  {:<42} {:>12} {:>12} {:>12}", row.label, f(st.mean), f(st.p05),
                           f(st.p95));
        if (st.n > 0 && st.n < summaries.size()) out += fmt::format("  (n={})", st.n);
        out += "\n";
    }
    out +=
        "  WS1 = prevention work with companies and their suppliers; WS2 = survivor employment.\n"
        "  [indicator] = what donor reports count; the other rows are what changed and what it "
        "took.\n";
    return out;
}

std::string summary_table_from_file(const std::filesystem::path& file) {
    const auto r = read_results(file, false);
    const std::int64_t points =
        std::max<std::int64_t>(1, std::atoll(r.attrs.at("n_design_points").c_str()));
    std::vector<std::vector<std::vector<double>>> by_point(static_cast<std::size_t>(points));
    for (std::int64_t i = 0; i < r.n_runs; ++i) {
        if (r.status[i] != static_cast<std::int8_t>(RunStatus::kDone)) continue;
        std::vector<double> row;
        row.reserve(kSummarySpecs.size());
        for (const auto& s : kSummarySpecs) row.push_back(r.summary.at(std::string(s.name))[i]);
        const auto d =
            static_cast<std::size_t>(std::clamp<std::int64_t>(r.design_point[i], 0, points - 1));
        by_point[d].push_back(std::move(row));
    }
    std::string out;
    const std::size_t show = std::min<std::size_t>(by_point.size(), 12);
    for (std::size_t d = 0; d < show; ++d) {
        std::string title = points == 1 ? "Scenario '" + r.attrs.at("scenario_name") + "'"
                                        : fmt::format("Design point {}", d);
        for (const auto& k : r.design_keys) title += fmt::format("  {}={}", k, r.design.at(k)[d]);
        out += summary_table(title, by_point[d]) + (d + 1 < show ? "\n" : "");
    }
    if (show < by_point.size())
        out += fmt::format("... and {} more design points\n", by_point.size() - show);
    return out;
}

namespace {
std::string num(double x) {
    return std::isfinite(x) ? fmt::format("{}", x) : std::string();
}

/// The folder export_csv() writes into: opens each CSV file (regular files only) and checks each
/// write, counting the files.
class CsvFolder {
  public:
    /// Creates `dir` if missing. Throws IoError if it cannot.
    explicit CsvFolder(std::filesystem::path dir) : dir_(std::move(dir)) {
        std::error_code ec;
        std::filesystem::create_directories(dir_, ec);
        if (ec || !std::filesystem::is_directory(dir_))
            throw IoError("cannot create folder '" + dir_.string() + "'");
    }
    /// Opens `name` in the folder for writing. Only regular files are written: opening a named
    /// pipe blocks for ever, a device would be written to (docs/BAD_INPUT.md, case 28). Throws
    /// IoError.
    std::ofstream open(const std::string& name) {
        std::error_code ec;
        const auto st = std::filesystem::symlink_status(dir_ / name, ec);
        if (std::filesystem::exists(st) && !std::filesystem::is_regular_file(st))
            throw IoError("'" + (dir_ / name).string() +
                          "' exists and is not a regular file (a folder, link, pipe or "
                          "device); remove it or choose another folder");
        std::ofstream out(dir_ / name);
        if (!out) throw IoError("cannot write '" + (dir_ / name).string() + "'");
        ++files_;
        return out;
    }
    /// Flushes `out` (file `name`); throws IoError if any write to it failed.
    void check(std::ofstream& out, const std::string& name) const {
        out.flush();
        if (!out) throw IoError("writing '" + (dir_ / name).string() + "' failed (disk full?)");
    }
    [[nodiscard]] int files() const { return files_; }

  private:
    std::filesystem::path dir_;
    int files_ = 0;
};

/// The design value of design point dp for `key`: the label for choice factors, else the number.
std::string design_value(const ResultsData& r, const std::string& key, std::int64_t dp) {
    const auto& col = r.design.at(key);
    if (dp < 0 || static_cast<std::size_t>(dp) >= col.size()) return "";
    const double v = col[static_cast<std::size_t>(dp)];
    const auto lab = r.design_labels.find(key);
    if (lab != r.design_labels.end() && std::isfinite(v) && v >= 0 &&
        v < static_cast<double>(lab->second.size()) && v == std::floor(v))
        return csv_field(lab->second[static_cast<std::size_t>(v)]);
    return num(v);
}

/// runs.csv: one row per run (ids, seed, status, error, wall time, design values, summaries).
void write_runs_csv(CsvFolder& folder, const ResultsData& r) {
    auto out = folder.open("runs.csv");
    out << "run_id,design_point,replication,seed,status,error,wall_seconds";
    for (const auto& k : r.design_keys) out << "," << csv_field(k);  // one column per parameter
    for (const auto& s : kSummarySpecs) out << "," << s.name;
    out << "\n";
    for (std::int64_t i = 0; i < r.n_runs; ++i) {
        out << r.run_id[i] << "," << r.design_point[i] << "," << r.replication[i] << ","
            << r.seed[i] << "," << static_cast<int>(r.status[i]) << "," << csv_field(r.error[i])
            << "," << num(r.wall_seconds[i]);
        for (const auto& k : r.design_keys) out << "," << design_value(r, k, r.design_point[i]);
        for (const auto& s : kSummarySpecs) out << "," << num(r.summary.at(std::string(s.name))[i]);
        out << "\n";
    }
    folder.check(out, "runs.csv");
}

/// design.csv: one row per design point, one column per varied parameter.
void write_design_csv(CsvFolder& folder, const ResultsData& r) {
    auto out = folder.open("design.csv");
    out << "design_point";
    for (const auto& k : r.design_keys) out << "," << csv_field(k);
    out << "\n";
    const std::int64_t points = std::atoll(r.attrs.at("n_design_points").c_str());
    for (std::int64_t d = 0; d < points; ++d) {
        out << d;
        for (const auto& k : r.design_keys) out << "," << num(r.design.at(k)[d]);
        out << "\n";
    }
    folder.check(out, "design.csv");
}

/// series_<metric>.csv for every weekly series: one row per run, one column per week.
void write_series_csvs(CsvFolder& folder, const ResultsData& r) {
    for (const auto& s : kSeriesSpecs) {
        const std::string name = "series_" + std::string(s.name) + ".csv";
        auto out = folder.open(name);
        out << "run_id";
        for (int w = 0; w < r.weeks; ++w) out << ",week_" << w;
        out << "\n";
        const auto& v = r.series.at(std::string(s.name));
        for (std::int64_t i = 0; i < r.n_runs; ++i) {
            out << i;
            for (int w = 0; w < r.weeks; ++w)
                out << "," << num(v[static_cast<std::size_t>(i * r.weeks + w)]);
            out << "\n";
        }
        folder.check(out, name);
    }
}

/// events.csv: every event of every run, types and stages by name.
void write_events_csv(CsvFolder& folder, const std::filesystem::path& file) {
    auto out = folder.open("events.csv");
    out << "run,week,ngo,org,type,stage_from,stage_to\n";
    for (const auto& e : read_events(file))
        out << e.run << "," << e.event.week << "," << e.event.ngo << "," << e.event.org << ","
            << kEventNames[static_cast<std::size_t>(e.event.type)] << ","
            << stage_name(e.event.from) << "," << stage_name(e.event.to) << "\n";
    folder.check(out, "events.csv");
}

/// <table>.csv for every per-run table in the file; coded columns written as their names.
void write_table_csvs(CsvFolder& folder, const ResultsData& r) {
    for (const auto& spec : kTableSpecs) {
        const auto it = r.tables.find(std::string(spec.name));
        if (it == r.tables.end()) continue;
        const std::string name = std::string(spec.name) + ".csv";
        auto out = folder.open(name);
        out << "run";
        for (int c = 0; c < spec.column_count; ++c) out << "," << spec.columns[c].name;
        out << "\n";
        const auto& t = it->second;
        const auto& run = t.at("run");
        std::vector<std::vector<std::string>> labels;
        labels.reserve(static_cast<std::size_t>(spec.column_count));
        for (int c = 0; c < spec.column_count; ++c)
            labels.push_back(column_labels(spec.columns[c]));
        for (std::size_t i = 0; i < run.size(); ++i) {
            out << static_cast<std::int64_t>(run[i]);
            for (int c = 0; c < spec.column_count; ++c) {
                const double v = t.at(std::string(spec.columns[c].name))[i];
                const auto& l = labels[static_cast<std::size_t>(c)];
                if (!l.empty() && std::isfinite(v) && v >= 0 &&
                    static_cast<std::size_t>(v) < l.size())
                    out << "," << l[static_cast<std::size_t>(v)];
                else
                    out << "," << num(v);
            }
            out << "\n";
        }
        folder.check(out, name);
    }
}

/// network_vertices.csv and network_edges.csv (only for a file with stored networks).
void write_network_csvs(CsvFolder& folder, const std::filesystem::path& file) {
    const auto net = read_network(file);
    {
        auto out = folder.open("network_vertices.csv");
        out << "run,vertex,kind\n";
        for (std::size_t i = 0; i < net.vertex.size(); ++i)
            out << net.vertex_run[i] << "," << net.vertex[i] << ","
                << kOrgKindNames.at(net.vertex_kind[i]) << "\n";
        folder.check(out, "network_vertices.csv");
    }
    auto out = folder.open("network_edges.csv");
    out << "run,source,target,kind\n";
    for (std::size_t i = 0; i < net.source.size(); ++i)
        out << net.edge_run[i] << "," << net.source[i] << "," << net.target[i] << ","
            << kTieKindNames.at(net.edge_kind[i]) << "\n";
    folder.check(out, "network_edges.csv");
}
}  // namespace

int export_csv(const std::filesystem::path& file, const std::filesystem::path& dir) {
    const auto r = read_results(file, true);
    CsvFolder folder(dir);
    write_runs_csv(folder, r);
    write_design_csv(folder, r);
    write_series_csvs(folder, r);
    write_events_csv(folder, file);
    write_table_csvs(folder, r);
    if (r.n_network_runs > 0) write_network_csvs(folder, file);
    return folder.files();
}

std::string output_reference_markdown() {
    std::string o;
    auto metric_table = [&](const auto& specs) {
        o += "| name | unit | kind | description |\n| --- | --- | --- | --- |\n";
        for (const auto& s : specs)
            o += fmt::format("| `{}` | {} | {} | {} |\n", s.name, s.unit, to_string(s.metric_kind),
                             s.description);
    };
    o += "## Weekly series (`/series/<name>`, [run × week])\n\n";
    metric_table(kSeriesSpecs);
    o += "\n## Per-run summary (`/runs/summary/<name>`, [run])\n\n";
    metric_table(kSummarySpecs);
    o += "\n## Event types (`/events/type`; names in its `type_names` attribute)\n\n| code | name "
         "|\n| --- | --- |\n";
    for (std::size_t i = 1; i < kEventNames.size(); ++i)
        o += fmt::format("| {} | `{}` |\n", i, kEventNames[i]);
    o += "\n## End causes (`/partnerships/end_cause`)\n\n| code | name |\n| --- | --- |\n";
    for (std::size_t i = 0; i < kEndCauseNames.size(); ++i)
        o += fmt::format("| {} | `{}` |\n", i, kEndCauseNames[i]);
    for (const auto& t : kTableSpecs) {
        o += fmt::format("\n## Table `/{}/<column>` ([rows] float64, plus `run` int64)\n\n{}.\n\n",
                         t.name, t.description);
        o += "| column | unit | description | codes |\n| --- | --- | --- | --- |\n";
        for (int c = 0; c < t.column_count; ++c) {
            const auto& col = t.columns[c];
            std::string codes = col.labels == "@stage"
                                    ? std::string("stage names (`/events` attribute `stage_names`)")
                                : col.labels == "@end_cause" ? std::string("end causes (above)")
                                                             : std::string(col.labels);
            if (!col.labels.empty() && col.labels[0] != '@') {
                const auto names = column_labels(col);
                codes.clear();
                for (std::size_t i = 0; i < names.size(); ++i)
                    codes += fmt::format("{}{} {}", i ? ", " : "", i, names[i]);
            }
            o += fmt::format("| `{}` | {} | {} | {} |\n", col.name, col.unit, col.description,
                             codes);
        }
    }
    return o;
}

}  // namespace pse
