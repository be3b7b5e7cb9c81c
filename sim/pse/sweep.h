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
/// Across processes (MPI), pse/mpi_sweep.h uses the same pieces: prepare_sweep() on rank 0,
/// a ShardWriter per rank with its own shard numbers, merge_shards() on rank 0.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pse/experiment.h"
#include "pse/results.h"
#include "pse/runner.h"

namespace pse {

/// Settings of one sweep invocation.
struct SweepOptions {
    std::filesystem::path target;  ///< final results file
    bool overwrite = false;        ///< replace an existing target
    bool resume = false;           ///< continue from <target>.parts
    int threads = 0;               ///< 0 = all cores
    /// Seconds of finished work held in memory before a shard is written; the runs of a
    /// results-file block not yet whole may wait one more interval (at most 2 x flush_seconds).
    double flush_seconds = 2.0;
    std::int64_t flush_runs = 256;  ///< max runs per shard
    const std::atomic<bool>* stop = nullptr;
    std::function<void(std::int64_t, std::int64_t, std::int64_t)>
        on_progress;                                  ///< (done, failed, total)
    std::function<void(const RunRecord&)> on_record;  ///< every finished run (writer thread)
    std::string command_line;
    /// Run ids whose generated network is stored in /network (ascending, each < n_runs; see
    /// parse_run_selection()). The network is a pure function of (scenario, seed), so it is
    /// rebuilt for these runs when the results file is assembled, also after --resume.
    std::vector<std::int64_t> network_runs;
};

/// Runs of a finished results file, counted while it was assembled (every run of the design is
/// in it exactly once, see merge_shards()).
struct MergeTally {
    std::int64_t done = 0;    ///< runs with status done
    std::int64_t failed = 0;  ///< runs with status failed (their errors are in /runs/error)
    std::int64_t copied = 0;  ///< runs whose series chunks were copied from a shard as encoded
};

/// What happened.
struct SweepResult {
    RunTally tally;  ///< of the runs executed by this invocation
    std::int64_t reused =
        0;  ///< finished (done) runs taken from an earlier, interrupted invocation
    std::int64_t retried = 0;  ///< runs that had failed in an earlier invocation and were run again
    bool complete = false;     ///< the target file was written
    MergeTally file;  ///< every run of the results file (when complete): what exit codes and
                      ///< summaries report
    std::filesystem::path parts_dir;
};

/// Exclusive advisory lock (flock(2)) on the lock file `<target>.lock` beside a results file, held
/// by the one process that runs a `run` or `sweep` into it, from before the first run until the
/// file is in place. The lock file holds "pid host start-time" of its holder. A second process on
/// the same output is refused with an IoError naming that pid and host. The lock file is removed
/// when the lock is released; one left by a killed process (kill -9) is not locked and is simply
/// taken over. Works on local file systems and on NFS (where Linux maps flock to fcntl locks).
class OutputLock {
  public:
    /// Take the lock for `target`. Throws IoError: another process holds it (message names its pid
    /// and host), or the lock file cannot be created (unwritable folder, name too long) or is not
    /// a regular file.
    explicit OutputLock(const std::filesystem::path& target);
    ~OutputLock();
    OutputLock(const OutputLock&) = delete;
    OutputLock& operator=(const OutputLock&) = delete;
    /// Path of the lock file: `<target>.lock`.
    static std::filesystem::path path_for(const std::filesystem::path& target);

  private:
    std::filesystem::path path_;
    int fd_ = -1;
};

/// Metadata of the results file for an experiment.
ResultsMeta make_meta(const Experiment& e, const std::string& command_line);
/// Stable fingerprint (FNV-1a 64, hex) of everything that determines an experiment's results.
std::string experiment_fingerprint(const Experiment& e);
/// Check a results path before any work: folder exists and is writable; the file name fits the
/// file system (with room for the temporary `.NAME.tmp-PID`, `NAME.parts` and `NAME.lock` names);
/// target absent unless overwrite; an existing target (or `NAME.parts`) is a regular file (a
/// folder) — a device node, named pipe, socket or symbolic link is refused even with overwrite.
/// Throws IoError.
void check_output_path(const std::filesystem::path& target, bool overwrite);

/// `message` of an I/O failure that happened after a sweep started (while running, saving shards
/// or merging), followed by where its finished runs are kept (`parts_dir`) and how to go on. Not
/// for the refusals before any run (existing output, parts folder of another experiment): those
/// say what to do themselves.
std::string with_kept_runs(const std::string& message, const std::filesystem::path& parts_dir);

/// Parse a run selection for `--network`: "all", "none", or comma-separated run ids and
/// inclusive ranges, e.g. "0,5-7". Returns the sorted, de-duplicated ids. Throws InputError
/// (key `option`) for malformed text or ids outside [0, n_runs).
std::vector<std::int64_t> parse_run_selection(const std::string& spec, std::int64_t n_runs,
                                              const std::string& option = "--network");

/// Run (or resume) an experiment into opts.target. Throws IoError (paths, disk, a parts folder
/// from a different experiment, an existing parts folder without --resume) and InputError.
/// If a stop is requested, flushes finished runs and returns with complete = false.
SweepResult run_sweep(const Experiment& e, const SweepOptions& opts);

/// Write a shard (atomically: .tmp then rename), every run's series stored as rows. Throws IoError.
void write_shard(const std::filesystem::path& path, std::vector<RunRecord>& records, int weeks,
                 const std::string& fingerprint);
/// Write a shard whose runs of the whole blocks `blocks` (of `layout`, the results file's chunk
/// layout) have their series and pipeline stored as the encoded chunks of those blocks
/// (copied into the results file as they are by merge_shards()); every run of such a block must
/// be in `records`. The other runs' series are stored as rows. Throws IoError.
void write_shard(const std::filesystem::path& path, std::vector<RunRecord>& records, int weeks,
                 const std::string& fingerprint, const ChunkLayout& layout,
                 const std::vector<EncodedBlock>& blocks);
/// Read a shard's records (with outputs; encoded blocks are decoded). Throws IoError if unreadable.
std::vector<RunRecord> read_shard(const std::filesystem::path& path, int weeks);
/// A shard as stored: records whose runs are in `blocks` have no series or pipeline (those are
/// in the encoded chunks); `layout` is the chunk layout the blocks were encoded for (n_runs 0
/// if the shard holds no blocks).
struct ShardContents {
    std::vector<RunRecord> records;  ///< ascending run ids
    std::vector<EncodedBlock> blocks;
    ChunkLayout layout;
};
/// Read a shard without decoding its encoded blocks. Throws IoError if unreadable or damaged.
ShardContents read_shard_contents(const std::filesystem::path& path, int weeks);
/// Read only a shard's run ids. Throws IoError if unreadable.
std::vector<std::int64_t> read_shard_ids(const std::filesystem::path& path);

/// What a shard holds, without the outputs: run ids with their status, and the experiment
/// fingerprint and weeks it was written for.
struct ShardIndex {
    std::vector<std::int64_t> run_id;
    std::vector<std::int8_t> status;  ///< RunStatus per run
    std::string fingerprint;
    std::int64_t weeks = 0;
};
/// Read a shard's index. Throws IoError if unreadable, not a regular file, or damaged.
ShardIndex read_shard_index(const std::filesystem::path& path);

// Building blocks of run_sweep(), shared with the MPI sweep (pse/mpi_sweep.h).

/// A sweep's parts folder, ready to run: what prepare_sweep() found (resume) or created.
struct SweepPlan {
    std::filesystem::path parts_dir;  ///< <target>.parts
    std::string fingerprint;          ///< experiment_fingerprint() of the experiment
    std::vector<std::int64_t> todo;   ///< run ids not yet in any shard, ascending
    std::int64_t reused = 0;          ///< runs found in existing shards (resume)
    std::int64_t next_shard = 0;      ///< first shard number not used by an existing shard
    std::int64_t retried = 0;         ///< runs found failed in existing shards, run again (resume)
    bool created = false;             ///< the parts folder was created by this call
    std::shared_ptr<OutputLock>
        lock;  ///< held (on the process that prepared) until the plan is destroyed
};

/// Everything run_sweep() does before running: check_output_path(); take the OutputLock; remove
/// stale temporary results files of this output (`.NAME.tmp-PID`, left by a process killed while
/// assembling); then, if `<target>.parts` holds shards, require opts.resume, a manifest with this
/// experiment's fingerprint (an empty or damaged manifest is rewritten when every shard carries
/// this experiment's fingerprint) and shards of this experiment, drop half-written (.tmp) and
/// unreadable shards (with a warning) and collect the run ids already done (failed runs are run
/// again); a parts folder without shards is reused as if new; otherwise create the folder and its
/// manifest (every write checked). Throws IoError (with a message naming the path and what to do)
/// on every failure.
SweepPlan prepare_sweep(const Experiment& e, const SweepOptions& opts);

/// Path of shard number `number` in a parts folder: `<parts_dir>/part-NNNNNN.h5` (at least six
/// digits; numbers up to 12 digits are recognised by the merge and by --resume).
std::filesystem::path shard_path(const std::filesystem::path& parts_dir, std::int64_t number);

/// Buffers finished runs and writes them as shards: when `flush_runs` runs are buffered or
/// `flush_seconds` have passed since the last write (checked when a run is added), and on
/// flush(). Runs that fill a whole block of the results file's ChunkLayout are stored as that
/// block's encoded chunks (encoded on all cores here, so that the merge only copies them); the
/// runs of a block not yet complete wait for one more write (at most) before they are stored as
/// rows, unless flush_runs would be exceeded. Shards are numbered first_number, first_number +
/// stride, ... (an MPI rank r of n uses first = base + r, stride = n, so ranks never collide). Not
/// thread-safe: use from one thread.
class ShardWriter {
  public:
    /// `n_runs`: runs of the whole experiment (for the results file's ChunkLayout).
    ShardWriter(std::filesystem::path parts_dir, std::string fingerprint, int weeks,
                std::int64_t n_runs, std::int64_t flush_runs, double flush_seconds,
                std::int64_t first_number, std::int64_t stride);
    /// Buffer one finished run; may write a shard. Throws IoError (disk full, ...).
    void add(RunRecord&& rec);
    /// Write every buffered run (if any) as one shard. Throws IoError; the runs stay buffered.
    void flush() { write(true); }
    /// Runs stored in the shards written so far as encoded blocks (the rest as rows).
    [[nodiscard]] std::int64_t runs_in_blocks() const { return runs_in_blocks_; }
    /// Call `f` with each shard's contents once the shard is on disk (its records with their
    /// outputs, its encoded blocks); an exception from `f` propagates from add() or flush(),
    /// the runs being safe in the shard.
    void on_written(std::function<void(const std::filesystem::path&, ShardContents&)> f) {
        on_written_ = std::move(f);
    }
    /// Shards written so far.
    [[nodiscard]] std::int64_t shards_written() const { return shards_; }

  private:
    std::filesystem::path parts_dir_;
    std::string fingerprint_;
    int weeks_;
    std::int64_t flush_runs_;
    double flush_seconds_;
    std::int64_t next_number_, stride_;
    std::int64_t shards_ = 0;
    std::chrono::steady_clock::time_point last_flush_;
    ChunkLayout layout_;
    /// Buffered runs by block of the layout, and how many flushes each incomplete block has
    /// waited through.
    struct Pending {
        std::vector<RunRecord> runs;
        int waited = 0;
    };
    std::map<std::int64_t, Pending> buffer_;
    std::int64_t buffered_ = 0, runs_in_blocks_ = 0;
    std::function<void(const std::filesystem::path&, ShardContents&)> on_written_;
    /// The buffer key of a run: its block, or -1 for an id outside the layout.
    [[nodiscard]] std::int64_t block_key(std::int64_t run_id) const {
        return run_id >= 0 && run_id < layout_.n_runs ? layout_.block_of(run_id) : -1;
    }
    /// Write a shard: whole blocks encoded; incomplete blocks as rows when `all`, when they have
    /// waited one flush already, or when keeping them would leave flush_runs runs buffered.
    void write(bool all);
    /// The buffered blocks write(all) stores now, appended to `whole` (every run of the block is
    /// buffered: encoded) and `as_rows` (stored run by run), by the rule of write(). Both start
    /// empty.
    void choose_blocks(bool all, std::vector<std::int64_t>& whole,
                       std::vector<std::int64_t>& as_rows) const;
};

/// Assembles the results file of a fresh sweep (no shards of an earlier invocation) while its
/// runs are computed, so that little is left to do after the last run: each shard is stored
/// into the temporary results file (ResultsWriter) once it is on disk — by the process that
/// wrote it (store(), from ShardWriter::on_written) or, for shards of other MPI ranks, when
/// collect() finds them in the parts folder. finish() stores what is left, checks that every run
/// of the design is there exactly once, adds the --network graphs, renames the file into place
/// and removes the parts folder. Destroyed without finish(), it removes its temporary file
/// (the shards stay, for --resume). Not thread-safe (HDF5 is not): call from one thread at a
/// time, never while another thread of the process uses HDF5.
class LiveAssembly {
  public:
    /// Opens the temporary results file; throws IoError like ResultsWriter.
    LiveAssembly(const Experiment& e, const SweepOptions& opts, std::filesystem::path parts_dir);
    /// Store a shard this process has just written at `path` (its contents, in memory).
    /// Throws IoError if a run of it was stored before.
    void store(const std::filesystem::path& path, ShardContents& contents);
    /// Store every shard of the parts folder not stored yet. Throws IoError (unreadable shard,
    /// a run in two shards).
    void collect();
    /// Collect the rest, check, finalize (see above); returns the file's counts. Throws IoError
    /// (runs missing, disk full); the parts folder is then kept.
    MergeTally finish();

  private:
    const Experiment& e_;
    const SweepOptions& opts_;
    std::filesystem::path parts_dir_;
    ChunkLayout layout_;
    std::unique_ptr<ResultsWriter> writer_;
    std::vector<std::uint8_t> written_;
    std::vector<std::string> stored_;  ///< shard file names stored (sorted)
    MergeTally tally_;
};

/// Merge every shard of `parts_dir` into opts.target through a temporary file renamed into place
/// (ResultsWriter), then remove the parts folder. Before anything is written it checks that every
/// shard carries this experiment's fingerprint and that every run id of the design is in exactly
/// one shard (a failed run that was run again by --resume is taken from the later shard); after
/// writing, that every run was written once. Returns the counts of done and failed runs in the
/// file. Throws IoError (unreadable or foreign shard, runs missing or found twice, disk full); the
/// parts folder and an existing target are then kept as they were.
MergeTally merge_shards(const Experiment& e, const SweepOptions& opts,
                        const std::filesystem::path& parts_dir);

}  // namespace pse
