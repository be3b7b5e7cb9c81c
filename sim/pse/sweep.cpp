#include "pse/sweep.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <fstream>
#include <numeric>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pse/detail/h5.h"
#include "pse/errors.h"
#include "pse/model.h"
#include "pse/scenario_loader.h"

namespace pse {

using namespace detail;

namespace {

std::string fnv1a(const std::string& s) {
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return fmt::format("{:016x}", h);
}

std::filesystem::path parts_dir_of(const std::filesystem::path& target) {
    return target.parent_path() / (target.filename().string() + ".parts");
}

std::vector<std::filesystem::path> list_shards(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        const auto name = e.path().filename().string();
        const auto stem = e.path().stem().string();  // part-NNNNNN; ignore anything else a user left there
        if (name.rfind("part-", 0) == 0 && e.path().extension() == ".h5" && stem.size() > 5 && stem.size() <= 17 &&
            std::all_of(stem.begin() + 5, stem.end(), [](unsigned char c) { return std::isdigit(c); }))
            out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

std::string experiment_fingerprint(const Experiment& e) {
    std::string s = dump_scenario(e.base);
    s += fmt::format("|{}|{}|{}|{}|{}|{}", e.method, e.replications, e.master_seed, e.common_random_numbers, e.samples,
                     e.levels);
    for (const auto& p : e.points) {
        s += "|";
        for (const auto& st : p) s += st.key + "=" + to_toml(st.value) + ";";
    }
    return fnv1a(s);
}

ResultsMeta make_meta(const Experiment& e, const std::string& command_line) {
    ResultsMeta m;
    m.scenario_name = e.name;
    m.command_line = command_line;
    m.file_names = e.files;
    m.file_texts = e.texts;
    m.resolved = {dump_scenario(e.base)};
    m.design = design_columns(e);
    m.n_design_points = static_cast<std::int64_t>(e.points.size());
    m.replications = e.replications;
    m.n_runs = e.n_runs();
    m.weeks = e.base.weeks;
    m.design_method = e.method;
    m.samples = e.samples;
    m.levels = e.levels;
    m.master_seed = e.master_seed;
    m.common_random_numbers = e.common_random_numbers;
    m.point_labels = e.labels;
    return m;
}

void check_output_path(const std::filesystem::path& target, bool overwrite) {
    std::error_code ec;
    if (target.filename().empty()) throw IoError("output path '" + target.string() + "' names a folder, not a file");
    if (std::filesystem::is_directory(target, ec))
        throw IoError("output path '" + target.string() + "' is an existing folder, not a results file");
    if (std::filesystem::exists(target, ec) && !overwrite)
        throw IoError("output file '" + target.string() + "' already exists; pass --overwrite to replace it");
    auto dir = target.parent_path();
    if (dir.empty()) dir = ".";
    if (!std::filesystem::is_directory(dir, ec)) throw IoError("output folder '" + dir.string() + "' does not exist");
    if (access(dir.c_str(), W_OK) != 0) throw IoError("output folder '" + dir.string() + "' is not writable");
}

std::string with_kept_runs(const std::string& message, const std::filesystem::path& parts_dir) {
    return message + "\nfinished runs are kept in '" + parts_dir.string() +
           "'; fix the problem (e.g. free disk space) and rerun the same command with --resume";
}

std::vector<std::int64_t> parse_run_selection(const std::string& spec, std::int64_t n_runs, const std::string& option) {
    auto fail = [&](const std::string& msg) { throw InputError(InputProblem{option, 0, 0, "", msg}); };
    std::vector<std::int64_t> out;
    if (spec == "none") return out;
    if (spec.empty()) fail("empty run selection (expected e.g. 0,5-7, all or none)");
    if (spec == "all") {
        out.resize(static_cast<std::size_t>(std::max<std::int64_t>(0, n_runs)));
        std::iota(out.begin(), out.end(), 0);
        return out;
    }
    auto number = [&](const std::string& t) -> std::int64_t {
        std::int64_t v = -1;
        const auto* end = t.data() + t.size();
        const auto [p, ec] = std::from_chars(t.data(), end, v);
        if (t.empty() || ec != std::errc() || p != end || v < 0)
            fail("'" + t + "' is not a run id (expected e.g. 0,5-7 or all)");
        if (v >= n_runs) fail(fmt::format("run id {} is outside this experiment's runs 0..{}", v, n_runs - 1));
        return v;
    };
    std::size_t pos = 0;
    while (pos <= spec.size()) {
        const auto comma = std::min(spec.find(',', pos), spec.size());
        const std::string item = spec.substr(pos, comma - pos);
        if (item.empty()) fail("empty item in run selection '" + spec + "' (expected e.g. 0,5-7, all or none)");
        if (item.front() == '-' || item.back() == '-' ||
            item.find_first_not_of("0123456789-") != std::string::npos || std::count(item.begin(), item.end(), '-') > 1)
            fail("'" + item + "' is not a run id or range (expected e.g. 0,5-7, all or none)");
        const auto dash = item.find('-');
        if (dash == std::string::npos) {
            out.push_back(number(item));
        } else {
            const auto a = number(item.substr(0, dash)), b = number(item.substr(dash + 1));
            if (b < a) fail("range '" + item + "' ends before it starts");
            if (b - a >= 1000000) fail("range '" + item + "' selects more than a million runs");
            for (auto i = a; i <= b; ++i) out.push_back(i);
        }
        pos = comma + 1;
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

void write_shard(const std::filesystem::path& path, std::vector<RunRecord>& records, int weeks,
                 const std::string& fingerprint) {
    quiet_hdf5();
    std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.run_id < b.run_id; });
    const auto tmp = std::filesystem::path(path.string() + ".tmp");
    try {
        H f = checked(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose, "creating " + tmp.string());
        const std::size_t n = records.size();
        std::vector<std::int64_t> id(n), dp(n), rep(n), nev(n);
        std::vector<std::uint64_t> seed(n);
        std::vector<std::int8_t> status(n);
        std::vector<std::string> err(n);
        std::vector<double> wall(n), summary(n * kSummaryCount, std::numeric_limits<double>::quiet_NaN()),
            series(n * static_cast<std::size_t>(weeks) * kSeriesCount, std::numeric_limits<double>::quiet_NaN());
        std::vector<float> pipe(n * static_cast<std::size_t>(weeks) * kStageCount, 0.0f);
        std::vector<std::int64_t> ev_org;
        std::vector<std::int32_t> ev_week, ev_ngo;
        std::vector<std::uint8_t> ev_type, ev_from, ev_to;
        for (std::size_t i = 0; i < n; ++i) {
            const auto& r = records[i];
            id[i] = r.run_id;
            dp[i] = r.design_point;
            rep[i] = r.replication;
            seed[i] = r.seed;
            status[i] = static_cast<std::int8_t>(r.status);
            err[i] = r.error;
            wall[i] = r.wall_seconds;
            nev[i] = static_cast<std::int64_t>(r.output.events.size());
            if (r.status == RunStatus::kDone) {
                std::copy(r.output.summary.begin(), r.output.summary.end(), summary.begin() + static_cast<std::ptrdiff_t>(i * kSummaryCount));
                std::copy(r.output.series.begin(), r.output.series.end(),
                          series.begin() + static_cast<std::ptrdiff_t>(i * weeks * kSeriesCount));
                std::copy(r.output.pipeline.begin(), r.output.pipeline.end(),
                          pipe.begin() + static_cast<std::ptrdiff_t>(i * weeks * kStageCount));
            }
            for (const auto& e : r.output.events) {
                ev_week.push_back(e.week);
                ev_ngo.push_back(e.ngo);
                ev_org.push_back(e.org);
                ev_type.push_back(static_cast<std::uint8_t>(e.type));
                ev_from.push_back(static_cast<std::uint8_t>(e.from));
                ev_to.push_back(static_cast<std::uint8_t>(e.to));
            }
        }
        const hid_t g = f.get();
        write_1d(g, "run_id", H5T_NATIVE_INT64, id);
        write_1d(g, "design_point", H5T_NATIVE_INT64, dp);
        write_1d(g, "replication", H5T_NATIVE_INT64, rep);
        write_1d(g, "seed", H5T_NATIVE_UINT64, seed);
        write_1d(g, "status", H5T_NATIVE_INT8, status);
        write_strings(g, "error", err);
        write_1d(g, "wall_seconds", H5T_NATIVE_DOUBLE, wall);
        write_1d(g, "summary", H5T_NATIVE_DOUBLE, summary);
        write_1d(g, "series", H5T_NATIVE_DOUBLE, series);
        write_1d(g, "pipeline", H5T_NATIVE_FLOAT, pipe);
        write_1d(g, "event_count", H5T_NATIVE_INT64, nev);
        write_1d(g, "ev_week", H5T_NATIVE_INT32, ev_week);
        write_1d(g, "ev_ngo", H5T_NATIVE_INT32, ev_ngo);
        write_1d(g, "ev_org", H5T_NATIVE_INT64, ev_org);
        write_1d(g, "ev_type", H5T_NATIVE_UINT8, ev_type);
        write_1d(g, "ev_from", H5T_NATIVE_UINT8, ev_from);
        write_1d(g, "ev_to", H5T_NATIVE_UINT8, ev_to);
        for (int t = 0; t < kTableCount; ++t) {  // per-run tables: rows per run, then all rows
            std::vector<std::int64_t> rows(n);
            std::vector<double> cells;
            for (std::size_t i = 0; i < n; ++i) {
                const auto& v = records[i].output.tables[t];
                rows[i] = static_cast<std::int64_t>(v.size() / static_cast<std::size_t>(kTableSpecs[t].column_count));
                cells.insert(cells.end(), v.begin(), v.end());
            }
            const std::string name = "tab_" + std::string(kTableSpecs[t].name);
            write_1d(g, name + "_rows", H5T_NATIVE_INT64, rows);
            write_1d(g, name, H5T_NATIVE_DOUBLE, cells);
        }
        attr_string(g, "format", "pse-sim shard");
        attr_string(g, "fingerprint", fingerprint);
        attr_int(g, "weeks", weeks);
        check(H5Fflush(g, H5F_SCOPE_GLOBAL), "flushing shard");
    } catch (...) {
        std::error_code ec;
        std::filesystem::remove(tmp, ec);
        throw;
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw IoError("cannot move shard into place: " + ec.message());
}

namespace {
template <class T>
std::vector<T> read_ds(hid_t f, const char* name, hid_t type) {
    return read_1d<T>(f, name, type);
}
}  // namespace

std::vector<std::int64_t> read_shard_ids(const std::filesystem::path& path) {
    quiet_hdf5();
    if (H5Fis_hdf5(path.c_str()) <= 0) throw IoError("shard '" + path.string() + "' is not readable");
    H f(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!f.ok()) throw IoError("shard '" + path.string() + "' is damaged");
    return read_ds<std::int64_t>(f.get(), "run_id", H5T_NATIVE_INT64);
}

std::vector<RunRecord> read_shard(const std::filesystem::path& path, int weeks) {
    quiet_hdf5();
    if (H5Fis_hdf5(path.c_str()) <= 0) throw IoError("shard '" + path.string() + "' is not readable");
    H f(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!f.ok()) throw IoError("shard '" + path.string() + "' is damaged");
    const hid_t g = f.get();
    const auto id = read_ds<std::int64_t>(g, "run_id", H5T_NATIVE_INT64);
    const auto dp = read_ds<std::int64_t>(g, "design_point", H5T_NATIVE_INT64);
    const auto rep = read_ds<std::int64_t>(g, "replication", H5T_NATIVE_INT64);
    const auto seed = read_ds<std::uint64_t>(g, "seed", H5T_NATIVE_UINT64);
    const auto status = read_ds<std::int8_t>(g, "status", H5T_NATIVE_INT8);
    const auto err = read_strings(g, "error");
    const auto wall = read_ds<double>(g, "wall_seconds", H5T_NATIVE_DOUBLE);
    const auto summary = read_ds<double>(g, "summary", H5T_NATIVE_DOUBLE);
    const auto series = read_ds<double>(g, "series", H5T_NATIVE_DOUBLE);
    const auto pipe = read_ds<float>(g, "pipeline", H5T_NATIVE_FLOAT);
    const auto nev = read_ds<std::int64_t>(g, "event_count", H5T_NATIVE_INT64);
    const auto ew = read_ds<std::int32_t>(g, "ev_week", H5T_NATIVE_INT32);
    const auto en = read_ds<std::int32_t>(g, "ev_ngo", H5T_NATIVE_INT32);
    const auto eo = read_ds<std::int64_t>(g, "ev_org", H5T_NATIVE_INT64);
    const auto et = read_ds<std::uint8_t>(g, "ev_type", H5T_NATIVE_UINT8);
    const auto ef = read_ds<std::uint8_t>(g, "ev_from", H5T_NATIVE_UINT8);
    const auto eto = read_ds<std::uint8_t>(g, "ev_to", H5T_NATIVE_UINT8);
    const std::size_t n = id.size();
    const auto W = static_cast<std::size_t>(weeks);
    if (summary.size() != n * kSummaryCount || series.size() != n * W * kSeriesCount || pipe.size() != n * W * kStageCount)
        throw IoError("shard '" + path.string() + "' does not match the experiment (weeks or metrics differ)");
    // A damaged shard must not make the merge read out of bounds.
    std::int64_t n_ev = 0;
    for (auto c : nev) n_ev = c < 0 || n_ev > INT64_MAX - c ? -1 : n_ev + c;
    const auto ne = static_cast<std::size_t>(std::max<std::int64_t>(0, n_ev));
    if (dp.size() != n || rep.size() != n || seed.size() != n || status.size() != n || err.size() != n ||
        wall.size() != n || nev.size() != n || n_ev < 0 || ew.size() != ne || en.size() != ne || eo.size() != ne ||
        et.size() != ne || ef.size() != ne || eto.size() != ne)
        throw IoError("shard '" + path.string() + "' is damaged (dataset sizes disagree)");
    std::array<std::vector<std::int64_t>, kTableCount> tab_rows;
    std::array<std::vector<double>, kTableCount> tab_cells;
    for (int t = 0; t < kTableCount; ++t) {
        const std::string name = "tab_" + std::string(kTableSpecs[t].name);
        tab_rows[t] = read_ds<std::int64_t>(g, (name + "_rows").c_str(), H5T_NATIVE_INT64);
        tab_cells[t] = read_ds<double>(g, name.c_str(), H5T_NATIVE_DOUBLE);
        std::int64_t total = 0;
        for (auto c : tab_rows[t]) total = c < 0 || total > INT64_MAX / 64 - c ? -1 : total + c;
        if (tab_rows[t].size() != n || total < 0 ||
            tab_cells[t].size() != static_cast<std::size_t>(total) * static_cast<std::size_t>(kTableSpecs[t].column_count))
            throw IoError("shard '" + path.string() + "' is damaged (table sizes disagree)");
    }
    std::array<std::size_t, kTableCount> tab_at{};
    std::vector<RunRecord> out(n);
    std::size_t e = 0;
    for (std::size_t i = 0; i < n; ++i) {
        auto& r = out[i];
        r.run_id = id[i];
        r.design_point = dp[i];
        r.replication = rep[i];
        r.seed = seed[i];
        r.status = static_cast<RunStatus>(status[i]);
        r.error = err[i];
        r.wall_seconds = wall[i];
        if (r.status == RunStatus::kDone) {
            r.output.weeks = weeks;
            r.output.summary.assign(summary.begin() + static_cast<std::ptrdiff_t>(i * kSummaryCount),
                                    summary.begin() + static_cast<std::ptrdiff_t>((i + 1) * kSummaryCount));
            r.output.series.assign(series.begin() + static_cast<std::ptrdiff_t>(i * W * kSeriesCount),
                                   series.begin() + static_cast<std::ptrdiff_t>((i + 1) * W * kSeriesCount));
            r.output.pipeline.assign(pipe.begin() + static_cast<std::ptrdiff_t>(i * W * kStageCount),
                                     pipe.begin() + static_cast<std::ptrdiff_t>((i + 1) * W * kStageCount));
        }
        for (std::int64_t k = 0; k < nev[i]; ++k, ++e)
            r.output.events.push_back(Event{ew[e], en[e], eo[e], static_cast<EventType>(et[e]), static_cast<Stage>(ef[e]),
                                            static_cast<Stage>(eto[e])});
        for (int t = 0; t < kTableCount; ++t) {
            const auto cells = static_cast<std::size_t>(tab_rows[t][i]) * static_cast<std::size_t>(kTableSpecs[t].column_count);
            r.output.tables[t].assign(tab_cells[t].begin() + static_cast<std::ptrdiff_t>(tab_at[t]),
                                      tab_cells[t].begin() + static_cast<std::ptrdiff_t>(tab_at[t] + cells));
            tab_at[t] += cells;
        }
    }
    return out;
}

std::filesystem::path shard_path(const std::filesystem::path& parts_dir, std::int64_t number) {
    return parts_dir / fmt::format("part-{:06d}.h5", number);
}

SweepPlan prepare_sweep(const Experiment& e, const SweepOptions& opts) {
    check_output_path(opts.target, opts.overwrite);
    SweepPlan plan;
    plan.parts_dir = parts_dir_of(opts.target);
    plan.fingerprint = experiment_fingerprint(e);
    const auto manifest = plan.parts_dir / "manifest.txt";
    std::error_code ec;
    std::vector<std::uint8_t> done(static_cast<std::size_t>(e.n_runs()), 0);
    if (std::filesystem::exists(plan.parts_dir, ec)) {
        if (!opts.resume)
            throw IoError(fmt::format("'{}' holds finished runs of an interrupted sweep; rerun with --resume to "
                                      "continue it, or delete that folder to start over",
                                      plan.parts_dir.string()));
        std::ifstream in(manifest);
        std::string line;
        std::getline(in, line);
        if (line != plan.fingerprint)
            throw IoError(fmt::format("'{}' belongs to a different experiment (or a different version of it); "
                                      "delete it to start over",
                                      plan.parts_dir.string()));
        for (const auto& entry : std::filesystem::directory_iterator(plan.parts_dir, ec))
            if (entry.path().extension() == ".tmp") std::filesystem::remove(entry.path(), ec);  // half-written shard
        for (const auto& p : list_shards(plan.parts_dir)) {
            try {
                for (auto id : read_shard_ids(p))
                    if (id >= 0 && id < e.n_runs() && !done[static_cast<std::size_t>(id)]) {
                        done[static_cast<std::size_t>(id)] = 1;
                        ++plan.reused;
                    }
            } catch (const IoError& err) {
                spdlog::warn("ignoring unreadable shard {} ({}); its runs will be recomputed", p.string(), err.what());
                std::filesystem::remove(p, ec);
            }
            const auto stem = p.stem().string();  // part-NNNNNN
            plan.next_shard = std::max<std::int64_t>(plan.next_shard, std::stoll(stem.substr(5)) + 1);
        }
    } else {
        std::filesystem::create_directories(plan.parts_dir, ec);
        if (ec) throw IoError("cannot create '" + plan.parts_dir.string() + "': " + ec.message());
        plan.created = true;
        const auto tmp = manifest.string() + ".tmp";
        {
            std::ofstream out(tmp);
            out << plan.fingerprint << "\n" << e.name << "\n";
            if (!out) throw IoError("cannot write '" + tmp + "' (disk full?)");
        }
        std::filesystem::rename(tmp, manifest, ec);
        if (ec) throw IoError("cannot write '" + manifest.string() + "': " + ec.message());
    }
    for (std::int64_t i = 0; i < e.n_runs(); ++i)
        if (!done[static_cast<std::size_t>(i)]) plan.todo.push_back(i);
    return plan;
}

ShardWriter::ShardWriter(std::filesystem::path parts_dir, std::string fingerprint, int weeks, std::int64_t flush_runs,
                         double flush_seconds, std::int64_t first_number, std::int64_t stride)
    : parts_dir_(std::move(parts_dir)),
      fingerprint_(std::move(fingerprint)),
      weeks_(weeks),
      flush_runs_(flush_runs),
      flush_seconds_(flush_seconds),
      next_number_(first_number),
      stride_(stride),
      last_flush_(std::chrono::steady_clock::now()) {}

void ShardWriter::add(RunRecord&& rec) {
    buffer_.push_back(std::move(rec));
    if (static_cast<std::int64_t>(buffer_.size()) >= flush_runs_ ||
        std::chrono::duration<double>(std::chrono::steady_clock::now() - last_flush_).count() >= flush_seconds_)
        flush();
}

void ShardWriter::flush() {
    if (buffer_.empty()) return;
    write_shard(shard_path(parts_dir_, next_number_), buffer_, weeks_, fingerprint_);
    next_number_ += stride_;
    ++shards_;
    buffer_.clear();
    last_flush_ = std::chrono::steady_clock::now();
}

void merge_shards(const Experiment& e, const SweepOptions& opts, const std::filesystem::path& parts_dir) {
    const int W = e.base.weeks;
    // Shards in order of their first run id; the writer accepts runs in any order (it buffers the
    // events of runs that arrive early), so shards of several MPI ranks may interleave.
    std::vector<std::pair<std::int64_t, std::filesystem::path>> order;
    for (const auto& p : list_shards(parts_dir)) {
        const auto ids = read_shard_ids(p);
        order.emplace_back(ids.empty() ? INT64_MAX : *std::min_element(ids.begin(), ids.end()), p);
    }
    std::sort(order.begin(), order.end());
    ResultsWriter writer(opts.target, make_meta(e, opts.command_line), opts.overwrite);
    std::vector<std::uint8_t> seen(static_cast<std::size_t>(e.n_runs()), 0);
    for (const auto& [first, p] : order) {
        for (auto& rec : read_shard(p, W)) {
            if (rec.run_id < 0 || rec.run_id >= e.n_runs())
                throw IoError(fmt::format("shard '{}' holds run id {}, outside this experiment's {} runs (damaged?)",
                                          p.string(), rec.run_id, e.n_runs()));
            if (seen[static_cast<std::size_t>(rec.run_id)]) continue;  // duplicate from an overlapping resume
            seen[static_cast<std::size_t>(rec.run_id)] = 1;
            writer.write_run(std::move(rec));
        }
    }
    for (const auto id : opts.network_runs) {
        if (id < 0 || id >= e.n_runs()) throw IoError(fmt::format("--network: run id {} is outside 0..{}", id, e.n_runs() - 1));
        const auto d = id / e.replications, r = id % e.replications;
        const Model model(scenario_at(e, static_cast<std::size_t>(d)), experiment_seed(e, d, r));
        writer.write_network(id, model.network());
    }
    writer.finalize();
    std::error_code ec;
    std::filesystem::remove_all(parts_dir, ec);
}

SweepResult run_sweep(const Experiment& e, const SweepOptions& opts) {
    const SweepPlan plan = prepare_sweep(e, opts);
    SweepResult res;
    res.parts_dir = plan.parts_dir;
    res.reused = plan.reused;
    ShardWriter shards(plan.parts_dir, plan.fingerprint, e.base.weeks, opts.flush_runs, opts.flush_seconds,
                       plan.next_shard, 1);
    RunnerOptions ro;
    ro.threads = opts.threads;
    ro.stop = opts.stop;
    ro.on_progress = opts.on_progress;
    try {
        try {
            res.tally = execute(e, plan.todo, ro, [&](RunRecord&& rec) {
                if (opts.on_record) opts.on_record(rec);
                shards.add(std::move(rec));
            });
        } catch (...) {
            try {
                shards.flush();
            } catch (...) {
            }
            throw;
        }
        shards.flush();
        if (res.tally.stopped) return res;
        merge_shards(e, opts, plan.parts_dir);
    } catch (const IoError& err) {  // after the start: finished runs are kept
        throw IoError(with_kept_runs(err.what(), plan.parts_dir));
    }
    res.complete = true;
    return res;
}

}  // namespace pse
