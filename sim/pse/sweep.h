#pragma once
/// Crash-safe, resumable sweeps: every run of an experiment, streamed to shard files, merged into
/// one results file.
///
/// Data flow: execute() (oneTBB workers, runs handed out in id order) --> writer thread buffers
/// finished runs --> every `flush_runs` runs or `flush_seconds` a shard file
/// `<target>.parts/part-NNNNNN.h5` is written (to .tmp, then renamed: a shard is either complete
/// or absent) --> at the end the shards are merged, in run-id order, into a temporary file beside
/// the target, which is renamed onto it; then the parts folder is removed.
/// A killed sweep (even SIGKILL) keeps every flushed shard; `--resume` reads them, runs only the
/// missing run ids and merges: the result has the same datasets as an uninterrupted sweep.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "pse/experiment.h"
#include "pse/results.h"
#include "pse/runner.h"

namespace pse {

/// Settings of one sweep invocation.
struct SweepOptions {
    std::filesystem::path target;       ///< final results file
    bool overwrite = false;             ///< replace an existing target
    bool resume = false;                ///< continue from <target>.parts
    int threads = 0;                    ///< 0 = all cores
    double flush_seconds = 2.0;         ///< max seconds of finished work held in memory
    std::int64_t flush_runs = 256;      ///< max runs per shard
    const std::atomic<bool>* stop = nullptr;
    std::function<void(std::int64_t, std::int64_t, std::int64_t)> on_progress;  ///< (done, failed, total)
    std::function<void(const RunRecord&)> on_record;  ///< every finished run (writer thread)
    std::string command_line;
    /// Run ids whose generated network is stored in /network (ascending, each < n_runs; see
    /// parse_run_selection()). The network is a pure function of (scenario, seed), so it is
    /// rebuilt for these runs when the results file is assembled, also after --resume.
    std::vector<std::int64_t> network_runs;
};

/// What happened.
struct SweepResult {
    RunTally tally;                     ///< of the runs executed by this invocation
    std::int64_t reused = 0;            ///< runs taken from an earlier, interrupted invocation
    bool complete = false;              ///< the target file was written
    std::filesystem::path parts_dir;
};

/// Metadata of the results file for an experiment.
ResultsMeta make_meta(const Experiment& e, const std::string& command_line);
/// Stable fingerprint (FNV-1a 64, hex) of everything that determines an experiment's results.
std::string experiment_fingerprint(const Experiment& e);
/// Check a results path before any work: folder exists and is writable; target absent unless
/// overwrite. Throws IoError.
void check_output_path(const std::filesystem::path& target, bool overwrite);

/// Parse a run selection for `--network`: "all", "none", or comma-separated run ids and
/// inclusive ranges, e.g. "0,5-7". Returns the sorted, de-duplicated ids. Throws InputError
/// (key `option`) for malformed text or ids outside [0, n_runs).
std::vector<std::int64_t> parse_run_selection(const std::string& spec, std::int64_t n_runs, const std::string& option = "--network");

/// Run (or resume) an experiment into opts.target. Throws IoError (paths, disk, a parts folder
/// from a different experiment, an existing parts folder without --resume) and InputError.
/// If a stop is requested, flushes finished runs and returns with complete = false.
SweepResult run_sweep(const Experiment& e, const SweepOptions& opts);

/// Write a shard (atomically: .tmp then rename). Throws IoError.
void write_shard(const std::filesystem::path& path, std::vector<RunRecord>& records, int weeks,
                 const std::string& fingerprint);
/// Read a shard's records (with outputs). Throws IoError if unreadable.
std::vector<RunRecord> read_shard(const std::filesystem::path& path, int weeks);
/// Read only a shard's run ids. Throws IoError if unreadable.
std::vector<std::int64_t> read_shard_ids(const std::filesystem::path& path);

}  // namespace pse
