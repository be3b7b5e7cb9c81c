#include "pse/sweep.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <cstring>
#include <fstream>
#include <numeric>
#include <regex>
#include <sstream>

#include <zlib.h>

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

/// What a path that is not a regular file is, in plain words ("" for a regular file or nothing).
std::string non_regular_kind(const std::filesystem::path& p) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const auto st = fs::symlink_status(p, ec);
    switch (st.type()) {
        case fs::file_type::regular:
        case fs::file_type::not_found:
        case fs::file_type::none:
            return "";
        case fs::file_type::directory:
            return "a folder";
        case fs::file_type::symlink:
            return "a symbolic link";
        case fs::file_type::character:
            return "a character device";
        case fs::file_type::block:
            return "a block device";
        case fs::file_type::fifo:
            return "a named pipe (FIFO)";
        case fs::file_type::socket:
            return "a socket";
        default:
            return "not a regular file";
    }
}

/// Shard number of a shard path (part-NNNNNN.h5).
std::int64_t shard_number(const std::filesystem::path& p) {
    return std::stoll(p.stem().string().substr(5));
}

/// Shards of a parts folder, by shard number. Files not named part-<digits>.h5 are ignored
/// (anything a user left there); a shard name that is not a regular file (a named pipe, device,
/// link, folder) is ignored with a warning and never opened (opening a FIFO blocks for ever).
std::vector<std::filesystem::path> list_shards(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        const auto name = e.path().filename().string();
        const auto stem =
            e.path().stem().string();  // part-NNNNNN; ignore anything else a user left there
        if (name.rfind("part-", 0) == 0 && e.path().extension() == ".h5" && stem.size() > 5 &&
            stem.size() <= 17 && std::all_of(stem.begin() + 5, stem.end(), [](unsigned char c) {
                return std::isdigit(c);
            })) {
            if (const auto kind = non_regular_kind(e.path()); !kind.empty()) {
                spdlog::warn("ignoring '{}': it is {}, not a shard file", e.path().string(), kind);
                continue;
            }
            out.push_back(e.path());
        }
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return shard_number(a) < shard_number(b); });
    return out;
}

/// Write `text` to `path` through `path.tmp` and a rename, checking every step (a full disk must
/// not leave an empty file behind). Throws IoError.
void write_file_checked(const std::filesystem::path& path, const std::string& text) {
    const auto tmp = std::filesystem::path(path.string() + ".tmp");
    const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        throw IoError(fmt::format("cannot write '{}': {}", tmp.string(), std::strerror(errno)));
    std::size_t off = 0;
    int err = 0;
    while (off < text.size()) {
        const auto n = ::write(fd, text.data() + off, text.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            err = errno;
            break;
        }
        off += static_cast<std::size_t>(n);
    }
    if (err == 0 && fsync(fd) != 0) err = errno;
    if (::close(fd) != 0 && err == 0) err = errno;
    std::error_code ec;
    if (err != 0) {
        std::filesystem::remove(tmp, ec);
        throw IoError(fmt::format("cannot write '{}': {} (is the disk full?)", path.string(),
                                  std::strerror(err)));
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::error_code ec2;
        std::filesystem::remove(tmp, ec2);
        throw IoError("cannot write '" + path.string() + "': " + ec.message());
    }
}

}  // namespace

std::filesystem::path OutputLock::path_for(const std::filesystem::path& target) {
    return target.parent_path() / (target.filename().string() + ".lock");
}

OutputLock::OutputLock(const std::filesystem::path& target) : path_(path_for(target)) {
    for (int attempt = 0; attempt < 20; ++attempt) {
        if (const auto kind = non_regular_kind(path_); !kind.empty())
            throw IoError(fmt::format(
                "'{}' is {}, not a lock file; remove it (pse-sim keeps a lock file there "
                "while it writes '{}')",
                path_.string(), kind, target.string()));
        const int fd =
            open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
        if (fd < 0)
            throw IoError(fmt::format("cannot create the lock file '{}': {}", path_.string(),
                                      std::strerror(errno)));
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int err = errno;
            std::string holder(512, '\0');
            const auto n = pread(fd, holder.data(), holder.size(), 0);
            holder.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
            ::close(fd);
            if (err != EWOULDBLOCK)
                throw IoError(
                    fmt::format("cannot lock '{}': {}", path_.string(), std::strerror(err)));
            std::istringstream hs(holder);
            std::string pid, host, since;
            hs >> pid >> host >> since;
            const std::string who =
                pid.empty() ? std::string("another pse-sim process")
                            : fmt::format("another pse-sim process (pid {} on host {}{})", pid,
                                          host, since.empty() ? "" : ", started " + since);
            throw IoError(fmt::format(
                "{} is writing '{}' right now; two processes on one output would mix their "
                "runs. Wait for it to finish (or stop it), then run this command again "
                "(with --resume if it was interrupted)",
                who, target.string()));
        }
        // The holder before us may have removed the file after we opened it: then we locked a file
        // no longer at path_ and must try again on the one that is there now.
        struct stat mine {
        }, there{};
        if (fstat(fd, &mine) != 0 || stat(path_.c_str(), &there) != 0 ||
            mine.st_ino != there.st_ino || mine.st_dev != there.st_dev) {
            ::close(fd);
            continue;
        }
        if (!S_ISREG(mine.st_mode)) {
            ::close(fd);
            throw IoError(fmt::format("'{}' is not a regular file; remove it", path_.string()));
        }
        const std::string me = fmt::format("{} {} {}\n", getpid(), host_name(), utc_now_text());
        if (ftruncate(fd, 0) != 0 ||
            pwrite(fd, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size())) {
            // The lock is held; only the holder's description is missing (disk full). Carry on.
            spdlog::debug("could not write the holder into '{}'", path_.string());
        }
        fd_ = fd;
        return;
    }
    throw IoError(fmt::format("cannot lock '{}': it keeps being replaced by other processes",
                              path_.string()));
}

OutputLock::~OutputLock() {
    if (fd_ < 0) return;
    // Remove while still holding the lock: a process that opened the old file re-checks the inode.
    ::unlink(path_.c_str());
    ::close(fd_);
}

namespace {}  // namespace

std::string experiment_fingerprint(const Experiment& e) {
    std::string s = dump_scenario(e.base);
    s += fmt::format("|{}|{}|{}|{}|{}|{}", design_name(e.design), e.replications, e.master_seed,
                     e.common_random_numbers, e.samples, e.levels);
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
    m.design_method = design_name(e.design);
    m.samples = e.samples;
    m.levels = e.levels;
    m.master_seed = e.master_seed;
    m.common_random_numbers = e.common_random_numbers;
    m.point_labels = e.labels;
    m.posterior_draws = e.posterior_draws;
    m.posterior_file = e.posterior_file;
    return m;
}

void check_output_path(const std::filesystem::path& target, bool overwrite) {
    std::error_code ec;
    const std::string name = target.filename().string();
    if (name.empty() || name == "." || name == "..")
        throw IoError("output path '" + target.string() + "' names a folder, not a file");
    if (std::filesystem::is_directory(target, ec))
        throw IoError("output path '" + target.string() +
                      "' is an existing folder, not a results file");
    // Only a regular file is ever replaced: renaming the finished file over /dev/null, a named
    // pipe or a socket would destroy it (as root); a symbolic link would be replaced by a file
    // instead of the file it points to. Refused even with --overwrite (docs/BAD_INPUT.md).
    if (const auto kind = non_regular_kind(target); !kind.empty())
        throw IoError(fmt::format(
            "output path '{}' is {}, not a results file; pse-sim only writes or replaces "
            "regular files{}",
            target.string(), kind,
            kind == "a symbolic link" ? " (give the path of the file the link points to)" : ""));
    check_output_folder(target, overwrite);
    auto dir = target.parent_path();
    if (dir.empty()) dir = ".";
    // Names pse-sim creates beside the target: .NAME.tmp-PID (up to 10 digits), NAME.parts,
    // NAME.lock, and inside the parts folder part-NNNNNN.h5.tmp. A name too long for the file
    // system would only fail when the results are assembled, after every run (docs/BAD_INPUT.md).
    const long name_max = pathconf(dir.c_str(), _PC_NAME_MAX);
    const std::size_t limit = name_max > 0 ? static_cast<std::size_t>(name_max) : 255;
    const std::size_t longest = name.size() + 16;  // "." + NAME + ".tmp-" + 10 digits
    if (longest > limit)
        throw IoError(fmt::format(
            "output file name '{}...' is {} bytes long; this file system allows names of at "
            "most {} bytes, and pse-sim needs {} more for its temporary file; choose a shorter "
            "name",
            name.substr(0, 40), name.size(), limit, longest - name.size()));
    const auto full = std::filesystem::absolute(target, ec).string();
    if (full.size() + 40 > PATH_MAX)
        throw IoError(
            fmt::format("output path '{}...' is {} bytes long; paths are limited to {} bytes",
                        full.substr(0, 60), full.size(), PATH_MAX));
    const auto parts = parts_dir_of(target);
    if (const auto kind = non_regular_kind(parts); !kind.empty() && kind != "a folder")
        throw IoError(fmt::format(
            "'{}' is {}; pse-sim keeps the finished runs of this output in a folder of that "
            "name: move it away",
            parts.string(), kind));
}

std::string with_kept_runs(const std::string& message, const std::filesystem::path& parts_dir) {
    const bool disk = message.find("disk full") != std::string::npos;
    if (list_shards(parts_dir).empty())
        return message + "\nno run had been saved yet; fix the problem" +
               (disk ? " (e.g. free disk space)" : "") + " and run the same command again";
    return message + "\nfinished runs are kept in '" + parts_dir.string() + "'; fix the problem" +
           (disk ? " (e.g. free disk space)" : "") + " and rerun the same command with --resume";
}

std::vector<std::int64_t> parse_run_selection(const std::string& spec, std::int64_t n_runs,
                                              const std::string& option) {
    auto fail = [&](const std::string& msg) {
        throw InputError(InputProblem{option, 0, 0, "", msg});
    };
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
        if (v >= n_runs)
            fail(fmt::format("run id {} is outside this experiment's runs 0..{}", v, n_runs - 1));
        return v;
    };
    std::size_t pos = 0;
    while (pos <= spec.size()) {
        const auto comma = std::min(spec.find(',', pos), spec.size());
        const std::string item = spec.substr(pos, comma - pos);
        if (item.empty())
            fail("empty item in run selection '" + spec + "' (expected e.g. 0,5-7, all or none)");
        if (item.front() == '-' || item.back() == '-' ||
            item.find_first_not_of("0123456789-") != std::string::npos ||
            std::count(item.begin(), item.end(), '-') > 1)
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
    write_shard(path, records, weeks, fingerprint, ChunkLayout{}, {});
}

void write_shard(const std::filesystem::path& path, std::vector<RunRecord>& records, int weeks,
                 const std::string& fingerprint, const ChunkLayout& layout,
                 const std::vector<EncodedBlock>& blocks) {
    quiet_hdf5();
    std::vector<std::int64_t> blocked;  // sorted block numbers
    blocked.reserve(blocks.size());
    for (const auto& b : blocks) blocked.push_back(b.block);
    std::sort(blocked.begin(), blocked.end());
    const auto in_block = [&](std::int64_t id) {
        return !blocked.empty() &&
               std::binary_search(blocked.begin(), blocked.end(), layout.block_of(id));
    };
    std::sort(records.begin(), records.end(),
              [](const auto& a, const auto& b) { return a.run_id < b.run_id; });
    const auto tmp = std::filesystem::path(path.string() + ".tmp");
    try {
        H f = checked(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose,
                      "creating " + tmp.string());
        const std::size_t n = records.size();
        std::vector<std::int64_t> series_row(
            n, -1);  // row in the series/pipeline datasets; -1: in an encoded block
        std::size_t n_rows = 0;
        for (std::size_t i = 0; i < n; ++i)
            if (!in_block(records[i].run_id)) series_row[i] = static_cast<std::int64_t>(n_rows++);
        std::vector<std::int64_t> id(n), dp(n), rep(n), nev(n);
        std::vector<std::uint64_t> seed(n);
        std::vector<std::int8_t> status(n);
        std::vector<std::string> err(n);
        std::vector<double> wall(n),
            summary(n * kSummaryCount, std::numeric_limits<double>::quiet_NaN()),
            series(n_rows * static_cast<std::size_t>(weeks) * kSeriesCount,
                   std::numeric_limits<double>::quiet_NaN());
        std::vector<float> pipe(n_rows * static_cast<std::size_t>(weeks) * kStageCount, 0.0f);
        std::vector<std::int64_t> ev_org;
        std::vector<std::int32_t> ev_week, ev_ngo;
        std::vector<std::uint8_t> ev_type, ev_from, ev_to;
        for (std::size_t i = 0; i < n; ++i) {
            const auto& r = records[i];
            // The buffers above hold `weeks` weeks per run: a run of another length must never be
            // copied into them (the loader refuses design points that change run.weeks).
            if (r.status == RunStatus::kDone &&
                (r.output.summary.size() != static_cast<std::size_t>(kSummaryCount) ||
                 r.output.series.size() != static_cast<std::size_t>(weeks) * kSeriesCount ||
                 r.output.pipeline.size() != static_cast<std::size_t>(weeks) * kStageCount))
                throw IoError(fmt::format(
                    "run {} has {} week(s) of results, but this experiment's runs have {} "
                    "(internal error: the design changed run.weeks)",
                    r.run_id, r.output.weeks, weeks));
            id[i] = r.run_id;
            dp[i] = r.design_point;
            rep[i] = r.replication;
            seed[i] = r.seed;
            status[i] = static_cast<std::int8_t>(r.status);
            err[i] = r.error;
            wall[i] = r.wall_seconds;
            nev[i] = static_cast<std::int64_t>(r.output.events.size());
            if (r.status == RunStatus::kDone) {
                std::copy(r.output.summary.begin(), r.output.summary.end(),
                          summary.begin() + static_cast<std::ptrdiff_t>(i * kSummaryCount));
                if (const auto row = static_cast<std::size_t>(series_row[i]); series_row[i] >= 0) {
                    std::copy(
                        r.output.series.begin(), r.output.series.end(),
                        series.begin() + static_cast<std::ptrdiff_t>(row * weeks * kSeriesCount));
                    std::copy(
                        r.output.pipeline.begin(), r.output.pipeline.end(),
                        pipe.begin() + static_cast<std::ptrdiff_t>(row * weeks * kStageCount));
                }
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
                rows[i] = static_cast<std::int64_t>(
                    v.size() / static_cast<std::size_t>(kTableSpecs[t].column_count));
                cells.insert(cells.end(), v.begin(), v.end());
            }
            const std::string name = "tab_" + std::string(kTableSpecs[t].name);
            write_1d(g, name + "_rows", H5T_NATIVE_INT64, rows);
            write_1d(g, name, H5T_NATIVE_DOUBLE, cells);
        }
        write_1d(g, "series_row", H5T_NATIVE_INT64, series_row);
        if (!blocks.empty()) {  // encoded blocks: numbers, chunk counts, sizes, masks, bytes
            std::vector<std::int64_t> number, count, size;
            std::vector<std::uint32_t> mask, crc;
            std::vector<unsigned char> bytes;
            for (const auto& b : blocks) {
                std::size_t runs = 0;
                for (const auto& r : records) runs += layout.block_of(r.run_id) == b.block ? 1 : 0;
                if (static_cast<std::int64_t>(runs) != layout.rows_in_block(b.block) ||
                    b.chunks.size() != b.masks.size() ||
                    b.chunks.size() != layout.chunks_in_block(b.block))
                    throw IoError(fmt::format("internal error: block {} is not whole in shard '{}'",
                                              b.block, path.string()));
                number.push_back(b.block);
                count.push_back(static_cast<std::int64_t>(b.chunks.size()));
                for (std::size_t c = 0; c < b.chunks.size(); ++c) {
                    size.push_back(static_cast<std::int64_t>(b.chunks[c].size()));
                    mask.push_back(b.masks[c]);
                    crc.push_back(static_cast<std::uint32_t>(
                        crc32(0L, b.chunks[c].data(), static_cast<uInt>(b.chunks[c].size()))));
                    bytes.insert(bytes.end(), b.chunks[c].begin(), b.chunks[c].end());
                }
            }
            write_1d(g, "block_number", H5T_NATIVE_INT64, number);
            write_1d(g, "block_chunks", H5T_NATIVE_INT64, count);
            write_1d(g, "chunk_size", H5T_NATIVE_INT64, size);
            write_1d(g, "chunk_mask", H5T_NATIVE_UINT32, mask);
            write_1d(g, "chunk_crc", H5T_NATIVE_UINT32, crc);  // CRC-32 of each stored chunk
            write_1d_plain(g, "chunk_bytes", H5T_NATIVE_UINT8, bytes);  // already compressed
            attr_int(g, "layout_runs", layout.n_runs);
        }
        attr_string(g, "format", "pse-sim shard");
        attr_int(g, "shard_version", 2);
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

namespace {
/// Open a shard read-only. Never opens anything but a regular file (a FIFO would block).
H open_shard(const std::filesystem::path& path) {
    quiet_hdf5();
    if (const auto kind = non_regular_kind(path); !kind.empty())
        throw IoError("shard '" + path.string() + "' is " + kind + ", not a shard file");
    if (H5Fis_hdf5(path.c_str()) <= 0)
        throw IoError("shard '" + path.string() + "' is not readable");
    H f(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!f.ok()) throw IoError("shard '" + path.string() + "' is damaged");
    return f;
}
}  // namespace

ShardIndex read_shard_index(const std::filesystem::path& path) {
    H f = open_shard(path);
    ShardIndex ix;
    ix.run_id = read_ds<std::int64_t>(f.get(), "run_id", H5T_NATIVE_INT64);
    ix.status = read_ds<std::int8_t>(f.get(), "status", H5T_NATIVE_INT8);
    ix.fingerprint = read_attr_string(f.get(), "fingerprint");
    ix.weeks = std::atoll(read_attr_string(f.get(), "weeks").c_str());
    if (ix.status.size() != ix.run_id.size())
        throw IoError("shard '" + path.string() + "' is damaged (dataset sizes disagree)");
    return ix;
}

std::vector<std::int64_t> read_shard_ids(const std::filesystem::path& path) {
    H f = open_shard(path);
    return read_ds<std::int64_t>(f.get(), "run_id", H5T_NATIVE_INT64);
}

std::vector<RunRecord> read_shard(const std::filesystem::path& path, int weeks) {
    auto c = read_shard_contents(path, weeks);
    for (const auto& b : c.blocks) {
        std::vector<RunRecord*> recs;
        for (auto& r : c.records)
            if (c.layout.block_of(r.run_id) == b.block) recs.push_back(&r);
        decode_block(c.layout, b, recs);
    }
    return std::move(c.records);
}

namespace {
/// The encoded blocks of a version-2 shard (datasets block_number, block_chunks, chunk_size,
/// chunk_mask, chunk_crc, chunk_bytes; attribute layout_runs) into out_c.layout and out_c.blocks.
/// id and series_row: the shard's run ids and series rows (-1: the run's series are in a block);
/// weeks: the experiment's run length (weeks; a shard with blocks needs weeks > 0). Throws
/// IoError naming `path` if the blocks disagree with each other, with the runs or with `weeks`,
/// or a chunk fails its CRC-32 check.
void read_encoded_blocks(hid_t g, const std::filesystem::path& path, int weeks,
                         const std::vector<std::int64_t>& id,
                         const std::vector<std::int64_t>& series_row, ShardContents& out_c) {
    const auto number = read_ds<std::int64_t>(g, "block_number", H5T_NATIVE_INT64);
    const auto count = read_ds<std::int64_t>(g, "block_chunks", H5T_NATIVE_INT64);
    const auto size = read_ds<std::int64_t>(g, "chunk_size", H5T_NATIVE_INT64);
    const auto mask = read_ds<std::uint32_t>(g, "chunk_mask", H5T_NATIVE_UINT32);
    const auto crc = read_ds<std::uint32_t>(g, "chunk_crc", H5T_NATIVE_UINT32);
    const auto bytes = read_ds<unsigned char>(g, "chunk_bytes", H5T_NATIVE_UINT8);
    const auto damaged = [&] {
        return IoError("shard '" + path.string() + "' is damaged (encoded blocks disagree)");
    };
    const auto layout_runs = std::atoll(read_attr_string(g, "layout_runs").c_str());
    if (layout_runs <= 0 || layout_runs > (std::int64_t{1} << 40) || weeks <= 0) throw damaged();
    out_c.layout = ChunkLayout::of(layout_runs, weeks);
    if (count.size() != number.size() || size.size() != mask.size() || crc.size() != mask.size())
        throw damaged();
    std::size_t c = 0, at = 0;
    for (std::size_t b = 0; b < number.size(); ++b) {
        if (number[b] < 0 || number[b] >= out_c.layout.n_blocks() || count[b] < 0 ||
            static_cast<std::size_t>(count[b]) != out_c.layout.chunks_in_block(number[b]) ||
            c + static_cast<std::size_t>(count[b]) > size.size())
            throw damaged();
        EncodedBlock blk;
        blk.block = number[b];
        for (std::int64_t k = 0; k < count[b]; ++k, ++c) {
            if (size[c] < 0 || at + static_cast<std::size_t>(size[c]) > bytes.size())
                throw damaged();
            blk.chunks.emplace_back(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                                    bytes.begin() + static_cast<std::ptrdiff_t>(
                                                        at + static_cast<std::size_t>(size[c])));
            blk.masks.push_back(mask[c]);
            if (static_cast<std::uint32_t>(crc32(0L, blk.chunks.back().data(),
                                                 static_cast<uInt>(blk.chunks.back().size()))) !=
                crc[c])
                throw IoError(fmt::format(
                    "shard '{}' is damaged (chunk {} of block {} fails its CRC-32 check)",
                    path.string(), k, blk.block));
            at += static_cast<std::size_t>(size[c]);
        }
        try {
            check_encoded_block(out_c.layout, blk);
        } catch (const IoError& bad) {
            throw IoError("shard '" + path.string() + "': " + bad.what());
        }
        out_c.blocks.push_back(std::move(blk));
    }
    if (c != size.size() || at != bytes.size()) throw damaged();
    // Every run without rows must be in one of the blocks, and every block whole.
    std::map<std::int64_t, std::int64_t> runs_of;
    for (std::size_t i = 0; i < id.size(); ++i)
        if (series_row[i] < 0) ++runs_of[out_c.layout.block_of(id[i])];
    if (runs_of.size() != out_c.blocks.size()) throw damaged();
    for (const auto& blk : out_c.blocks)
        if (runs_of[blk.block] != out_c.layout.rows_in_block(blk.block)) throw damaged();
}

/// The per-run table rows of a shard: rows[t][i] rows of table t for run i, their cells in
/// cells[t] (row-major, kTableSpecs[t].column_count columns).
struct ShardTables {
    std::array<std::vector<std::int64_t>, kTableCount> rows;
    std::array<std::vector<double>, kTableCount> cells;
};

/// Read the tab_<table> and tab_<table>_rows datasets of a shard of n runs. Throws IoError naming
/// `path` if their sizes disagree (a damaged shard must not make the merge read out of bounds).
ShardTables read_shard_tables(hid_t g, const std::filesystem::path& path, std::size_t n) {
    ShardTables out;
    for (int t = 0; t < kTableCount; ++t) {
        const std::string name = "tab_" + std::string(kTableSpecs[t].name);
        out.rows[t] = read_ds<std::int64_t>(g, (name + "_rows").c_str(), H5T_NATIVE_INT64);
        out.cells[t] = read_ds<double>(g, name.c_str(), H5T_NATIVE_DOUBLE);
        std::int64_t total = 0;
        for (auto c : out.rows[t]) total = c < 0 || total > INT64_MAX / 64 - c ? -1 : total + c;
        if (out.rows[t].size() != n || total < 0 ||
            out.cells[t].size() != static_cast<std::size_t>(total) *
                                       static_cast<std::size_t>(kTableSpecs[t].column_count))
            throw IoError("shard '" + path.string() + "' is damaged (table sizes disagree)");
    }
    return out;
}

}  // namespace

ShardContents read_shard_contents(const std::filesystem::path& path, int weeks) {
    H f = open_shard(path);
    const hid_t g = f.get();
    ShardContents out_c;
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
    const auto n_weeks = static_cast<std::size_t>(weeks);
    // Version 1 shards (before encoded blocks) hold every run's series as rows.
    std::vector<std::int64_t> series_row;
    if (H5Lexists(g, "series_row", H5P_DEFAULT) > 0) {
        series_row = read_ds<std::int64_t>(g, "series_row", H5T_NATIVE_INT64);
    } else {
        series_row.resize(n);
        std::iota(series_row.begin(), series_row.end(), 0);
    }
    std::size_t n_rows = 0;
    for (const auto r : series_row) n_rows += r >= 0 ? 1 : 0;
    for (std::size_t i = 0, next = 0; i < series_row.size(); ++i)
        if (series_row[i] >= 0 && series_row[i] != static_cast<std::int64_t>(next++))
            throw IoError("shard '" + path.string() + "' is damaged (series rows out of order)");
    if (series_row.size() != n || summary.size() != n * kSummaryCount ||
        series.size() != n_rows * n_weeks * kSeriesCount ||
        pipe.size() != n_rows * n_weeks * kStageCount)
        throw IoError("shard '" + path.string() +
                      "' does not match the experiment (weeks or metrics differ)");
    if (H5Lexists(g, "block_number", H5P_DEFAULT) > 0) {
        read_encoded_blocks(g, path, weeks, id, series_row, out_c);
    } else if (n_rows != n) {
        throw IoError("shard '" + path.string() + "' is damaged (runs without series)");
    }
    // A damaged shard must not make the merge read out of bounds.
    std::int64_t n_ev = 0;
    for (auto c : nev) n_ev = c < 0 || n_ev > INT64_MAX - c ? -1 : n_ev + c;
    const auto ne = static_cast<std::size_t>(std::max<std::int64_t>(0, n_ev));
    if (dp.size() != n || rep.size() != n || seed.size() != n || status.size() != n ||
        err.size() != n || wall.size() != n || nev.size() != n || n_ev < 0 || ew.size() != ne ||
        en.size() != ne || eo.size() != ne || et.size() != ne || ef.size() != ne ||
        eto.size() != ne)
        throw IoError("shard '" + path.string() + "' is damaged (dataset sizes disagree)");
    const ShardTables tabs = read_shard_tables(g, path, n);
    const auto& tab_rows = tabs.rows;
    const auto& tab_cells = tabs.cells;
    std::array<std::size_t, kTableCount> tab_at{};
    auto& out = out_c.records;
    out.resize(n);
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
            r.output.summary.assign(
                summary.begin() + static_cast<std::ptrdiff_t>(i * kSummaryCount),
                summary.begin() + static_cast<std::ptrdiff_t>((i + 1) * kSummaryCount));
            if (series_row[i] >= 0) {
                const auto row = static_cast<std::size_t>(series_row[i]);
                r.output.series.assign(
                    series.begin() + static_cast<std::ptrdiff_t>(row * n_weeks * kSeriesCount),
                    series.begin() +
                        static_cast<std::ptrdiff_t>((row + 1) * n_weeks * kSeriesCount));
                r.output.pipeline.assign(
                    pipe.begin() + static_cast<std::ptrdiff_t>(row * n_weeks * kStageCount),
                    pipe.begin() + static_cast<std::ptrdiff_t>((row + 1) * n_weeks * kStageCount));
            }
        }
        for (std::int64_t k = 0; k < nev[i]; ++k, ++e)
            r.output.events.push_back(Event{ew[e], en[e], eo[e], static_cast<EventType>(et[e]),
                                            static_cast<Stage>(ef[e]), static_cast<Stage>(eto[e])});
        for (int t = 0; t < kTableCount; ++t) {
            const auto cells = static_cast<std::size_t>(tab_rows[t][i]) *
                               static_cast<std::size_t>(kTableSpecs[t].column_count);
            r.output.tables[t].assign(
                tab_cells[t].begin() + static_cast<std::ptrdiff_t>(tab_at[t]),
                tab_cells[t].begin() + static_cast<std::ptrdiff_t>(tab_at[t] + cells));
            tab_at[t] += cells;
        }
    }
    return out_c;
}

std::filesystem::path shard_path(const std::filesystem::path& parts_dir, std::int64_t number) {
    return parts_dir / fmt::format("part-{:06d}.h5", number);
}

namespace {
/// The fingerprint recorded in a parts folder's manifest ("" if it is missing, empty, partial or
/// not a regular file).
std::string manifest_fingerprint(const std::filesystem::path& manifest) {
    if (!non_regular_kind(manifest).empty()) return "";
    std::error_code ec;
    if (!std::filesystem::is_regular_file(manifest, ec)) return "";
    std::ifstream in(manifest);
    std::string line;
    if (!std::getline(in, line) || in.eof()) return "";  // no complete first line: partial write
    if (line.size() != 16 || line.find_first_not_of("0123456789abcdef") != std::string::npos)
        return "";
    return line;
}

/// Remove temporary results files of `target` (`.NAME.tmp-PID`) left by a process that was killed
/// while assembling it. Only called while holding the target's OutputLock: no other pse-sim can
/// be writing one.
void remove_stale_temporaries(const std::filesystem::path& target) {
    auto dir = target.parent_path();
    if (dir.empty()) dir = ".";
    std::string prefix(1,
                       '.');  // ".NAME.tmp-" (built in steps: GCC 12 warns wrongly on "." + string)
    prefix.append(target.filename().string()).append(".tmp-");
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const auto name = entry.path().filename().string();
        if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
        if (name.find_first_not_of("0123456789", prefix.size()) != std::string::npos) continue;
        if (!non_regular_kind(entry.path()).empty()) continue;
        std::error_code rm;
        if (std::filesystem::remove(entry.path(), rm))
            spdlog::info("removed '{}', a temporary file left by an earlier, interrupted run",
                         entry.path().string());
    }
}
/// Refuse an existing parts folder (plan.parts_dir): one whose manifest records another
/// experiment's fingerprint (`recorded`, "" if missing or partial), and, without --resume
/// (`resume` false), any parts folder at all; `has_shards` (it holds saved runs) only chooses
/// which message says what to do. Throws IoError.
void check_parts_folder(const SweepPlan& plan, const std::string& recorded, bool has_shards,
                        bool resume) {
    if (!recorded.empty() && recorded != plan.fingerprint)
        throw IoError(
            fmt::format("'{}' belongs to a different experiment (or a different version of it); "
                        "delete it to start over",
                        plan.parts_dir.string()));
    if (!resume) {
        if (!has_shards)
            throw IoError(fmt::format(
                "'{}' is left from an interrupted run that had not saved any run yet; rerun "
                "with --resume to start it again, or delete that folder",
                plan.parts_dir.string()));
        throw IoError(
            fmt::format("'{}' holds finished runs of an interrupted sweep; rerun with --resume to "
                        "continue it, or delete that folder to start over",
                        plan.parts_dir.string()));
    }
}

/// Mark the runs saved in `shards` as done or failed (flags indexed by run id, n_runs of them)
/// and set plan.next_shard past the highest shard number. An unreadable shard is removed with a
/// warning (its runs are run again). Throws IoError if a shard belongs to another experiment
/// (fingerprint other than plan.fingerprint).
void collect_saved_runs(const std::vector<std::filesystem::path>& shards, std::int64_t n_runs,
                        SweepPlan& plan, std::vector<std::uint8_t>& done,
                        std::vector<std::uint8_t>& failed) {
    std::error_code ec;
    for (const auto& p : shards) {
        ShardIndex ix;
        try {
            ix = read_shard_index(p);
        } catch (const IoError& err) {
            spdlog::warn("ignoring unreadable shard {} ({}); its runs will be recomputed",
                         p.string(), err.what());
            std::filesystem::remove(p, ec);
            continue;
        }
        if (ix.fingerprint != plan.fingerprint)
            throw IoError(
                fmt::format("shard '{}' belongs to a different experiment (fingerprint {}, this "
                            "experiment's is {}): it was copied or left there; move it out of '{}' "
                            "and rerun the same command with --resume",
                            p.string(), ix.fingerprint.empty() ? "none" : ix.fingerprint,
                            plan.fingerprint, plan.parts_dir.string()));
        for (std::size_t k = 0; k < ix.run_id.size(); ++k) {
            const auto id = ix.run_id[k];
            if (id < 0 || id >= n_runs) continue;  // refused with a message by the merge
            const auto u = static_cast<std::size_t>(id);
            if (ix.status[k] == static_cast<std::int8_t>(RunStatus::kDone))
                done[u] = 1;
            else
                failed[u] = 1;
        }
        plan.next_shard = std::max<std::int64_t>(plan.next_shard, shard_number(p) + 1);
    }
}
}  // namespace

SweepPlan prepare_sweep(const Experiment& e, const SweepOptions& opts) {
    check_output_path(opts.target, opts.overwrite);
    SweepPlan plan;
    plan.lock = std::make_shared<OutputLock>(opts.target);
    // Again, now that no other pse-sim can change it.
    check_output_path(opts.target, opts.overwrite);
    remove_stale_temporaries(opts.target);
    plan.parts_dir = parts_dir_of(opts.target);
    plan.fingerprint = experiment_fingerprint(e);
    const auto manifest = plan.parts_dir / "manifest.txt";
    const std::string manifest_text = plan.fingerprint + "\n" + e.name + "\n";
    std::error_code ec;
    std::vector<std::uint8_t> done(static_cast<std::size_t>(e.n_runs()), 0), failed(done.size(), 0);
    const bool have_parts = std::filesystem::is_directory(plan.parts_dir, ec);
    const auto shards =
        have_parts ? list_shards(plan.parts_dir) : std::vector<std::filesystem::path>{};
    if (have_parts) {
        for (const auto& entry : std::filesystem::directory_iterator(plan.parts_dir, ec))
            if (entry.path().extension() == ".tmp" && non_regular_kind(entry.path()).empty())
                std::filesystem::remove(entry.path(), ec);  // half-written shard or manifest
    }
    const std::string recorded = have_parts ? manifest_fingerprint(manifest) : std::string();
    if (have_parts) check_parts_folder(plan, recorded, !shards.empty(), opts.resume);
    if (have_parts && !shards.empty()) {
        // Empty or partial (e.g. written on a full disk).
        const bool rewrite_manifest = recorded.empty();
        collect_saved_runs(shards, e.n_runs(), plan, done, failed);
        if (rewrite_manifest) {
            spdlog::warn(
                "'{}' was empty or incomplete; every shard belongs to this experiment, so it is "
                "written again",
                manifest.string());
            write_file_checked(manifest, manifest_text);
        }
    } else {
        // No parts folder, or (with --resume) one of this experiment, or with an empty or partial
        // manifest (e.g. written on a full disk), without any saved run: nothing to keep, start
        // afresh.
        if (!have_parts) {
            std::filesystem::create_directories(plan.parts_dir, ec);
            if (ec)
                throw IoError("cannot create '" + plan.parts_dir.string() + "': " + ec.message());
            plan.created = true;
        }
        try {
            write_file_checked(manifest, manifest_text);
        } catch (const IoError&) {
            if (plan.created) std::filesystem::remove_all(plan.parts_dir, ec);  // leave no trace
            throw;
        }
    }
    for (std::int64_t i = 0; i < e.n_runs(); ++i) {
        const auto u = static_cast<std::size_t>(i);
        if (done[u])
            ++plan.reused;
        else {
            plan.todo.push_back(i);
            if (failed[u]) ++plan.retried;
        }
    }
    if (plan.retried > 0)
        spdlog::info("{} run(s) that failed before will be run again", plan.retried);
    return plan;
}

ShardWriter::ShardWriter(std::filesystem::path parts_dir, std::string fingerprint, int weeks,
                         std::int64_t n_runs, std::int64_t flush_runs, double flush_seconds,
                         std::int64_t first_number, std::int64_t stride)
    : parts_dir_(std::move(parts_dir)),
      fingerprint_(std::move(fingerprint)),
      weeks_(weeks),
      flush_runs_(flush_runs),
      flush_seconds_(flush_seconds),
      next_number_(first_number),
      stride_(stride),
      last_flush_(std::chrono::steady_clock::now()),
      layout_(ChunkLayout::of(n_runs, weeks)) {}

void ShardWriter::add(RunRecord&& rec) {
    const auto b = block_key(rec.run_id);
    buffer_[b].runs.push_back(std::move(rec));
    ++buffered_;
    if (buffered_ >= flush_runs_ ||
        std::chrono::duration<double>(std::chrono::steady_clock::now() - last_flush_).count() >=
            flush_seconds_)
        write(false);
}

void ShardWriter::choose_blocks(bool all, std::vector<std::int64_t>& whole,
                                std::vector<std::int64_t>& as_rows) const {
    std::int64_t kept = 0;
    for (const auto& [b, p] : buffer_) {
        const auto n = static_cast<std::int64_t>(p.runs.size());
        if (b >= 0 && layout_.n_blocks() > 0 && n == layout_.rows_in_block(b))
            whole.push_back(b);
        else if (all || b < 0 || p.waited >= 1)
            as_rows.push_back(b);
        else
            kept += n;
    }
    if (kept < flush_runs_) return;
    // Keeping them would hold flush_runs runs: store them as rows too.
    for (const auto& [b, p] : buffer_)
        if (std::find(whole.begin(), whole.end(), b) == whole.end() &&
            std::find(as_rows.begin(), as_rows.end(), b) == as_rows.end())
            as_rows.push_back(b);
}

void ShardWriter::write(bool all) {
    if (buffered_ == 0) return;
    // Whole blocks are encoded; the runs of incomplete blocks are taken as rows when they must be.
    std::vector<std::int64_t> whole, as_rows;
    choose_blocks(all, whole, as_rows);
    if (whole.empty() && as_rows.empty()) {  // nothing to write yet: incomplete blocks wait once
        for (auto& [b, p] : buffer_) ++p.waited;
        last_flush_ = std::chrono::steady_clock::now();
        return;
    }
    // Take the chosen blocks out of the buffer; encode the whole ones (each on all cores).
    std::map<std::int64_t, Pending> taken;
    for (const auto b : whole) taken[b] = std::move(buffer_.at(b));
    for (const auto b : as_rows) taken[b] = std::move(buffer_.at(b));
    for (const auto& [b, p] : taken) buffer_.erase(b);
    std::vector<RunRecord> records;
    // On failure every run goes back, once (from `records` if moved there).
    const auto restore = [&] {
        if (!records.empty()) {
            for (auto& [b, p] : taken) p.runs.clear();
            for (auto& r : records) taken[block_key(r.run_id)].runs.push_back(std::move(r));
        }
        for (auto& [b, p] : taken) buffer_[b] = std::move(p);
    };
    std::vector<EncodedBlock> blocks;
    try {
        for (const auto b : whole) {
            auto& runs = taken[b].runs;
            std::sort(runs.begin(), runs.end(),
                      [](const auto& a, const auto& c) { return a.run_id < c.run_id; });
            std::vector<const RunRecord*> rows;
            rows.reserve(runs.size());
            for (const auto& r : runs) rows.push_back(&r);
            blocks.push_back(encode_block(layout_, b, rows));
        }
        std::size_t total = 0;
        for (const auto& [b, p] : taken) total += p.runs.size();
        // The moves below cannot throw: either every run is in `records` or none.
        records.reserve(total);
        for (auto& [b, p] : taken)
            for (auto& r : p.runs) records.push_back(std::move(r));
        write_shard(shard_path(parts_dir_, next_number_), records, weeks_, fingerprint_, layout_,
                    blocks);
    } catch (...) {  // the runs stay buffered
        restore();
        throw;
    }
    taken.clear();
    next_number_ += stride_;
    ++shards_;
    for (const auto b : whole) runs_in_blocks_ += layout_.rows_in_block(b);
    for (auto& [b, p] : buffer_) ++p.waited;
    buffered_ = 0;
    for (const auto& [b, p] : buffer_) buffered_ += static_cast<std::int64_t>(p.runs.size());
    last_flush_ = std::chrono::steady_clock::now();
    if (on_written_) {  // the runs are safe in the shard; hand them on
        ShardContents c{std::move(records), std::move(blocks), layout_};
        on_written_(shard_path(parts_dir_, next_number_ - stride_), c);
    }
}

namespace {
/// Store the runs of one shard that `owned` selects into `writer`, calling `take` for each
/// before it is stored (take may throw to refuse it). An encoded block is copied as it is
/// when every run of it is selected and it was encoded for `layout`; otherwise it is decoded
/// and its selected runs are stored as rows. Returns the runs stored by copying. Throws
/// IoError (damaged data, HDF5 failure).
std::int64_t store_shard(ResultsWriter& writer, ShardContents& contents, const ChunkLayout& layout,
                         const std::function<bool(const RunRecord&)>& owned,
                         const std::function<void(const RunRecord&)>& take) {
    auto& recs = contents.records;
    std::int64_t copied = 0;
    std::map<std::int64_t, std::vector<std::size_t>> members;  // block -> record indices
    if (!contents.blocks.empty())
        for (std::size_t i = 0; i < recs.size(); ++i) {
            const auto b = contents.layout.block_of(recs[i].run_id);
            for (const auto& blk : contents.blocks)
                if (blk.block == b) {
                    members[b].push_back(i);
                    break;
                }
        }
    std::vector<std::uint8_t> stored(recs.size(), 0);
    for (const auto& blk : contents.blocks) {
        const auto& idx = members[blk.block];
        if (contents.layout.n_runs != layout.n_runs || contents.layout.weeks != layout.weeks)
            throw IoError(fmt::format(
                "a shard's encoded blocks were written for {} runs of {} weeks, not {} of {} "
                "(damaged?)",
                contents.layout.n_runs, contents.layout.weeks, layout.n_runs, layout.weeks));
        bool all_owned = true;
        for (const auto i : idx) all_owned = all_owned && owned(recs[i]);
        if (all_owned) {
            std::vector<RunRecord> runs;
            for (const auto i : idx) {
                take(recs[i]);
                runs.push_back(std::move(recs[i]));
                stored[i] = 1;
            }
            writer.write_block(blk, std::move(runs));
            copied += static_cast<std::int64_t>(idx.size());
        } else {
            std::vector<RunRecord*> ptrs;
            for (const auto i : idx) ptrs.push_back(&recs[i]);
            decode_block(contents.layout, blk, ptrs);
        }
    }
    for (std::size_t i = 0; i < recs.size(); ++i) {
        if (stored[i] || !owned(recs[i])) continue;
        take(recs[i]);
        writer.write_run(std::move(recs[i]));
    }
    return copied;
}

/// Refuse a shard of another experiment (fingerprint) or of runs of another length. Throws IoError
/// naming the shard and what to do.
void check_shard_belongs(const std::filesystem::path& p, const ShardIndex& ix,
                         const std::string& fingerprint, int weeks,
                         const std::filesystem::path& parts_dir) {
    if (ix.fingerprint != fingerprint)
        throw IoError(
            fmt::format("shard '{}' belongs to a different experiment (fingerprint {}, this "
                        "experiment's is {}): it was copied or left there; move it out of '{}'",
                        p.string(), ix.fingerprint.empty() ? "none" : ix.fingerprint, fingerprint,
                        parts_dir.string()));
    if (ix.weeks != weeks)
        throw IoError(fmt::format(
            "shard '{}' holds runs of {} weeks, but this experiment's runs have {} (damaged?)",
            p.string(), ix.weeks, weeks));
}

/// Store the generated network of every run in opts.network_runs (rebuilt from its scenario and
/// seed). Throws IoError for a run id outside the experiment.
void store_networks(ResultsWriter& writer, const Experiment& e, const SweepOptions& opts) {
    for (const auto id : opts.network_runs) {
        if (id < 0 || id >= e.n_runs())
            throw IoError(fmt::format("--network: run id {} is outside 0..{}", id, e.n_runs() - 1));
        const auto d = id / e.replications, r = id % e.replications;
        const Model model(scenario_at(e, static_cast<std::size_t>(d)), experiment_seed(e, d, r));
        writer.write_network(id, model.network());
    }
}
}  // namespace

LiveAssembly::LiveAssembly(const Experiment& e, const SweepOptions& opts,
                           std::filesystem::path parts_dir)
    : e_(e),
      opts_(opts),
      parts_dir_(std::move(parts_dir)),
      layout_(ChunkLayout::of(e.n_runs(), e.base.weeks)),
      writer_(std::make_unique<ResultsWriter>(opts.target, make_meta(e, opts.command_line),
                                              opts.overwrite)),
      written_(static_cast<std::size_t>(e.n_runs()), 0) {}

void LiveAssembly::store(const std::filesystem::path& path, ShardContents& contents) {
    const auto name = path.filename().string();
    const auto at = std::lower_bound(stored_.begin(), stored_.end(), name);
    if (at != stored_.end() && *at == name) return;
    const auto owned = [&](const RunRecord& r) { return r.run_id >= 0 && r.run_id < e_.n_runs(); };
    const auto take = [&](const RunRecord& r) {
        auto& w = written_[static_cast<std::size_t>(r.run_id)];
        if (w)
            throw IoError(fmt::format(
                "run {} is in two shards (the second is '{}'): two processes seem to have written "
                "this output at once; the results file was not written. Delete '{}' and run the "
                "sweep again",
                r.run_id, path.string(), parts_dir_.string()));
        w = 1;
        (r.status == RunStatus::kDone ? tally_.done : tally_.failed) += 1;
    };
    for (const auto& r : contents.records)
        if (!owned(r))
            throw IoError(fmt::format(
                "shard '{}' holds run id {}, outside this experiment's {} runs (damaged?)",
                path.string(), r.run_id, e_.n_runs()));
    tally_.copied += store_shard(*writer_, contents, layout_, owned, take);
    stored_.insert(std::lower_bound(stored_.begin(), stored_.end(), name), name);
}

void LiveAssembly::collect() {
    const auto fingerprint = experiment_fingerprint(e_);
    for (const auto& p : list_shards(parts_dir_)) {
        const auto name = p.filename().string();
        if (std::binary_search(stored_.begin(), stored_.end(), name)) continue;
        check_shard_belongs(p, read_shard_index(p), fingerprint, e_.base.weeks, parts_dir_);
        auto contents = read_shard_contents(p, e_.base.weeks);
        store(p, contents);
    }
}

MergeTally LiveAssembly::finish() {
    const auto f0 = std::chrono::steady_clock::now();
    collect();
    const auto n_runs = e_.n_runs();
    if (tally_.done + tally_.failed != n_runs) {
        std::int64_t first = 0;
        while (first < n_runs && written_[static_cast<std::size_t>(first)]) ++first;
        throw IoError(fmt::format(
            "{} of this experiment's {} runs are in no shard of '{}' (the first is run {}); "
            "the results file was not written",
            n_runs - tally_.done - tally_.failed, n_runs, parts_dir_.string(), first));
    }
    store_networks(*writer_, e_, opts_);
    writer_->finalize();
    spdlog::debug(
        "assembly: {} shards stored while running; collecting the rest and finishing the file "
        "{:.3f} s",
        stored_.size(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - f0).count());
    std::error_code ec;
    std::filesystem::remove_all(parts_dir_, ec);
    return tally_;
}

MergeTally merge_shards(const Experiment& e, const SweepOptions& opts,
                        const std::filesystem::path& parts_dir) {
    const int n_weeks = e.base.weeks;
    const std::string fingerprint = experiment_fingerprint(e);
    const auto n_runs = e.n_runs();
    // 1. Index every shard and choose, for every run id, the one shard that holds it. A run id in
    //    several shards is only allowed when the earlier ones recorded a failure that --resume ran
    //    again (later shards have higher numbers); anything else means two writers or tampering.
    const auto shards = list_shards(parts_dir);
    std::vector<std::int64_t> owner(static_cast<std::size_t>(n_runs), -1);
    std::vector<std::int8_t> owner_status(owner.size(), 0);
    std::vector<std::int64_t> first_id(shards.size(), INT64_MAX);
    for (std::size_t s = 0; s < shards.size(); ++s) {
        const auto& p = shards[s];
        const ShardIndex ix = read_shard_index(p);
        check_shard_belongs(p, ix, fingerprint, n_weeks, parts_dir);
        for (std::size_t k = 0; k < ix.run_id.size(); ++k) {
            const auto id = ix.run_id[k];
            if (id < 0 || id >= n_runs)
                throw IoError(fmt::format(
                    "shard '{}' holds run id {}, outside this experiment's {} runs (damaged?)",
                    p.string(), id, n_runs));
            const auto u = static_cast<std::size_t>(id);
            if (owner[u] >= 0) {
                if (owner_status[u] != static_cast<std::int8_t>(RunStatus::kFailed))
                    throw IoError(fmt::format(
                        "run {} is in two shards, '{}' and '{}': two processes seem to have "
                        "written this output at once; the results file was not written. Delete "
                        "'{}' and run the sweep again",
                        id, shards[static_cast<std::size_t>(owner[u])].string(), p.string(),
                        parts_dir.string()));
                // An earlier failure, run again by --resume: the later record replaces it.
            }
            owner[u] = static_cast<std::int64_t>(s);
            owner_status[u] = ix.status[k];
        }
    }
    std::int64_t missing = 0, first_missing = -1;
    for (std::int64_t i = 0; i < n_runs; ++i)
        if (owner[static_cast<std::size_t>(i)] < 0) {
            if (missing++ == 0) first_missing = i;
        } else {
            auto& f = first_id[static_cast<std::size_t>(owner[static_cast<std::size_t>(i)])];
            f = std::min(f, i);
        }
    if (missing > 0)
        throw IoError(fmt::format(
            "{} of this experiment's {} runs are in no shard of '{}' (the first is run {}); "
            "the results file was not written",
            missing, n_runs, parts_dir.string(), first_missing));
    // 2. Write: shards in order of their first run id (the writer accepts runs in any order and
    //    buffers the events of runs that arrive early), each run once, from its owner shard.
    std::vector<std::size_t> order(shards.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](auto a, auto b) { return first_id[a] < first_id[b]; });
    ResultsWriter writer(opts.target, make_meta(e, opts.command_line), opts.overwrite);
    MergeTally tally;
    std::vector<std::uint8_t> written(owner.size(), 0);
    const ChunkLayout layout = ChunkLayout::of(n_runs, n_weeks);
    double t_read = 0;  // seconds reading shards (for the -v log)
    const auto m0 = std::chrono::steady_clock::now();
    for (const auto s : order) {
        if (first_id[s] == INT64_MAX) continue;  // every run of it was superseded (or it is empty)
        const auto r0 = std::chrono::steady_clock::now();
        auto contents = read_shard_contents(shards[s], n_weeks);
        t_read += std::chrono::duration<double>(std::chrono::steady_clock::now() - r0).count();
        const auto owned = [&](const RunRecord& rec) {
            return rec.run_id >= 0 && rec.run_id < n_runs &&
                   owner[static_cast<std::size_t>(rec.run_id)] == static_cast<std::int64_t>(s);
        };
        const auto take = [&](const RunRecord& rec) {
            const auto u = static_cast<std::size_t>(rec.run_id);
            if (written[u])
                throw IoError(fmt::format("shard '{}' holds run {} twice (damaged?)",
                                          shards[s].string(), rec.run_id));
            written[u] = 1;
            (rec.status == RunStatus::kDone ? tally.done : tally.failed) += 1;
        };
        tally.copied += store_shard(writer, contents, layout, owned, take);
    }
    if (tally.done + tally.failed != n_runs)
        throw IoError(fmt::format(
            "only {} of {} runs could be read back from '{}' (changed while merging?); the "
            "results file was not written",
            tally.done + tally.failed, n_runs, parts_dir.string()));
    store_networks(writer, e, opts);
    const auto f0 = std::chrono::steady_clock::now();
    writer.finalize();
    const auto f1 = std::chrono::steady_clock::now();
    spdlog::debug(
        "merge: reading the shards {:.3f} s, storing the runs {:.3f} s, finishing the file {:.3f} "
        "s",
        t_read, std::chrono::duration<double>(f0 - m0).count() - t_read,
        std::chrono::duration<double>(f1 - f0).count());
    std::error_code ec;
    std::filesystem::remove_all(parts_dir, ec);
    return tally;
}

SweepResult run_sweep(const Experiment& e, const SweepOptions& opts) {
    const SweepPlan plan = prepare_sweep(e, opts);
    SweepResult res;
    res.parts_dir = plan.parts_dir;
    res.reused = plan.reused;
    res.retried = plan.retried;
    ShardWriter shards(plan.parts_dir, plan.fingerprint, e.base.weeks, e.n_runs(), opts.flush_runs,
                       opts.flush_seconds, plan.next_shard, 1);
    // A fresh sweep assembles its results file while it runs (LiveAssembly); a resumed sweep
    // (runs in shards of an earlier invocation) is assembled by merge_shards() at the end.
    std::unique_ptr<LiveAssembly> live;
    if (plan.reused == 0 && plan.retried == 0 && list_shards(plan.parts_dir).empty()) {
        live = std::make_unique<LiveAssembly>(e, opts, plan.parts_dir);
        shards.on_written(
            [&](const std::filesystem::path& p, ShardContents& c) { live->store(p, c); });
    }
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
        const auto merge_start = std::chrono::steady_clock::now();
        if (live) {
            res.file = live->finish();
        } else {
            res.file = merge_shards(e, opts, plan.parts_dir);
        }
        const double merge_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - merge_start).count();
        spdlog::debug(
            "sweep: runs took {:.2f} s, merging the shards {:.2f} s ({:.0f} runs/s; series of {} "
            "of {} runs "
            "copied as encoded chunks)",
            res.tally.wall_seconds, merge_s,
            merge_s > 0 ? static_cast<double>(e.n_runs()) / merge_s : 0.0, res.file.copied,
            e.n_runs());
    } catch (const IoError& err) {  // after the start: finished runs are kept
        throw IoError(with_kept_runs(err.what(), plan.parts_dir));
    }
    res.complete = true;
    return res;
}

}  // namespace pse
