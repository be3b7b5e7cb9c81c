#pragma once
/// The HDF5 results file: layout (docs/OUTPUT.md), a crash-safe writer and a reader.
///
/// Data flow: runs (any thread) --> RunRecord --> ResultsWriter (one thread; HDF5 is not
/// thread-safe) --> temporary file beside the target --> rename on finalize(). A writer that is
/// destroyed without finalize() deletes its temporary file: an existing target is never touched.
///
/// Layout (format_version 1):
///   /                 attrs: format, format_version, pse_sim_version, git_commit, created_utc,
///                     command_line, host, scenario_name, weeks, n_runs, n_design_points, replications,
///                     posterior_draws (K: design point p * K + k is lever point p in posterior draw k;
///                     0 = no posterior integration), posterior_file
///   /inputs/file_names, /inputs/file_texts   [n_files] strings: every scenario/experiment file read
///   /inputs/resolved                          [1] string: the resolved base scenario (design points
///                                             apply the /design settings to it)
///   /design/<parameter>                       [n_design_points] float64; attrs key, role (lever|uncertainty)
///   /runs/{run_id,design_point,replication,seed,status,error,wall_seconds}   [n_runs]
///   /runs/summary/<metric>                    [n_runs] float64; attrs unit, kind, description
///   /series/<metric>                          [n_runs x weeks] float64, chunked, deflate
///   /series/pipeline                          [n_runs x weeks x stages] float32; attr stage_names
///   /events/{run,week,ngo,org,type,stage_from,stage_to}  [n_events]; attrs type_names / stage_names
///   /partnerships/{run,<column>...}           [n_rows] one row per engagement that reached a first meeting
///   /ngos/{run,<column>...}                   [n_rows] one row per NGO of each run
///   /stages/{run,<column>...}                 [n_rows] one row per engagement stage of each run
///                                             (columns: metrics.h kTableSpecs; attrs unit, description, labels)
///   /network/edges/{run,source,target,kind}   [n_edges]    only with --network: the generated graph
///   /network/vertices/{run,vertex,kind}       [n_vertices] of the selected runs; attrs kind_names
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pse/model.h"

namespace pse {

inline constexpr int kFormatVersion = 1;

/// Status codes in /runs/status.
enum class RunStatus : std::int8_t { kPending = 0, kDone = 1, kFailed = 2 };

/// One finished (or failed) run, ready to be written.
struct RunRecord {
    std::int64_t run_id = 0;
    std::int64_t design_point = 0;
    std::int64_t replication = 0;
    std::uint64_t seed = 0;
    RunStatus status = RunStatus::kPending;
    std::string error;
    double wall_seconds = 0;
    RunOutput output;  ///< empty series when failed
};

/// How a results file of `n_runs` runs of `weeks` weeks chunks its series: /series/<metric>
/// in chunks of `block_rows` runs x all weeks, /series/pipeline in chunks of `pipe_rows` runs x
/// all weeks x all stages. A *block* is the runs of one series chunk, rows
/// [b * block_rows, min((b + 1) * block_rows, n_runs)); the pipeline chunks that start inside it
/// belong to it (block_rows is a multiple of pipe_rows, or there is one block). Empty (no blocks)
/// when n_runs or weeks is 0, as such files have no chunked series.
struct ChunkLayout {
    std::int64_t n_runs = 0;
    int weeks = 0;
    std::int64_t block_rows = 1;  ///< runs per series chunk: min(n_runs, 64)
    std::int64_t pipe_rows = 1;   ///< runs per pipeline chunk: min(n_runs, 16)
    /// The layout ResultsWriter uses for `n_runs` runs of `weeks` weeks (n_runs, weeks >= 0).
    static ChunkLayout of(std::int64_t n_runs, int weeks);
    [[nodiscard]] std::int64_t n_blocks() const;
    [[nodiscard]] std::int64_t block_of(std::int64_t run_id) const { return run_id / block_rows; }
    /// Runs in block b (block_rows, or fewer for the last block).
    [[nodiscard]] std::int64_t rows_in_block(std::int64_t b) const;
    /// Chunks stored for block b: one per series metric, then its pipeline chunks.
    [[nodiscard]] std::size_t chunks_in_block(std::int64_t b) const;
};

/// The series and pipeline chunks of one block of runs, encoded exactly as the results file's
/// filters (shuffle, then deflate level 4) would encode them, ready for H5Dwrite_chunk. Shards
/// of a sweep carry whole blocks encoded like this, so that assembling the results file copies
/// them byte for byte instead of inflating and compressing them again.
struct EncodedBlock {
    std::int64_t block = -1;
    std::vector<std::vector<unsigned char>> chunks;  ///< ChunkLayout::chunks_in_block(block) chunks
    std::vector<std::uint32_t> masks;  ///< HDF5 filter mask per chunk (bit 1: deflate skipped)
};

/// Encode block `b` of `layout` from its runs: `rows[i]` is the run with id
/// b * block_rows + i (size rows_in_block(b)); a run that failed (or a null pointer) keeps the
/// fill values (NaN in series, 0 in the pipeline), as in a file written run by run. Chunks are
/// encoded on all cores. Throws IoError if a row is missing, has another run id or holds a
/// number of weeks other than layout.weeks.
EncodedBlock encode_block(const ChunkLayout& layout, std::int64_t b,
                          const std::vector<const RunRecord*>& rows);

/// Check that `blk` can be a block of `layout`: a block number in range, one chunk per
/// ChunkLayout::chunks_in_block(), each with a filter mask encode_block() writes (0, or 2 =
/// deflate skipped, then exactly the chunk's raw size) and no larger than its raw size. Throws
/// IoError ("damaged") otherwise. (Content is checked by the shard's per-chunk CRC-32.)
void check_encoded_block(const ChunkLayout& layout, const EncodedBlock& blk);

/// The inverse of encode_block() for the runs of `recs` that are done: fills their
/// output.series and output.pipeline (RunOutput layout) from `blk`. Records of other blocks
/// are an error. Throws IoError if a chunk does not inflate to its expected size (damaged).
void decode_block(const ChunkLayout& layout, const EncodedBlock& blk,
                  const std::vector<RunRecord*>& recs);

/// A varied parameter of a design (one /design column).
struct DesignColumn {
    std::string key;                  ///< scenario key, e.g. "ngo[*].dedicated_fte"
    std::string role;                 ///< "lever" or "uncertainty"
    std::vector<double> values;       ///< one per design point (numeric encoding; booleans as 0/1)
    std::vector<std::string> labels;  ///< for text/choice factors: value i is labels[i]
    double min = 0, max = 0;  ///< range of sampled factors (lhs/sobol/morris); min == max otherwise
};

/// File-level metadata.
struct ResultsMeta {
    std::string scenario_name;
    std::string command_line;
    std::vector<std::string> file_names, file_texts;
    std::vector<std::string> resolved;  ///< the resolved base scenario (make_meta() writes one)
    std::vector<DesignColumn> design;
    std::int64_t n_runs = 0, n_design_points = 1, replications = 1;
    int weeks = 0;
    std::string design_method = "single";  ///< single | grid | list | lhs | sobol | morris
    std::int64_t samples = 0;  ///< sobol base samples N / morris trajectories r / lhs points
    int levels = 0;            ///< morris grid levels p
    std::uint64_t master_seed = 0;
    bool common_random_numbers = true;
    std::vector<std::string> point_labels;  ///< one per design point (list designs)
    /// Posterior integration: draws K each lever point was crossed with (design point p * K + k;
    /// 0 = none) and the draws file as given. Root attributes posterior_draws, posterior_file.
    std::int64_t posterior_draws = 0;
    std::string posterior_file;
};

/// Check the place a results file will be written: throws IoError if `target` exists and
/// !overwrite (the message names --overwrite), if its folder is missing (the message says to
/// create it) or if the folder is not writable.
/// Used by ResultsWriter and by check_output_path() (sweep.h), which also checks the kind of
/// an existing target and the length of its name.
void check_output_folder(const std::filesystem::path& target, bool overwrite);

/// Writes one results file. Create, write_run() each run (any order), finalize().
/// Not thread-safe: call from one thread.
class ResultsWriter {
  public:
    /// Opens a temporary file beside `target`. Throws IoError if `target` exists and !overwrite,
    /// if its folder is missing or unwritable, or if HDF5 cannot create the file.
    ResultsWriter(std::filesystem::path target, ResultsMeta meta, bool overwrite);
    ~ResultsWriter();
    ResultsWriter(const ResultsWriter&) = delete;
    ResultsWriter& operator=(const ResultsWriter&) = delete;

    /// Store one run (row run_id). Events are buffered and written in run order.
    /// Throws IoError on HDF5 failure (e.g. disk full).
    void write_run(RunRecord rec);
    /// Store the runs of one whole block (ChunkLayout::of(n_runs, weeks)) with its series and
    /// pipeline chunks already encoded (encode_block()): the chunks are stored as they are, the
    /// runs' other outputs as write_run() would store them (their series and pipeline, if
    /// present, are ignored). `runs` must be exactly the block's runs, none written before.
    /// Throws IoError otherwise or on HDF5 failure.
    void write_block(const EncodedBlock& blk, std::vector<RunRecord> runs);
    /// Store the generated organisation network of run `run_id` (vertices with their OrgKind,
    /// undirected edges with their TieKind) in /network. Optional; call at most once per run,
    /// in any order, before finalize(); rows are written sorted by run. Throws IoError if the run
    /// id is out of range or was already stored.
    void write_network(std::int64_t run_id, const Network& net);
    /// Write the runs table and attributes, close, and atomically rename onto the target.
    /// Throws IoError; on failure the temporary file is removed and the target is untouched.
    void finalize();
    [[nodiscard]] const std::filesystem::path& temp_path() const { return temp_; }

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::filesystem::path target_, temp_;
    bool finalized_ = false;
};

/// Contents of a results file, read back (for tests, `info` and `export`).
struct ResultsData {
    std::map<std::string, std::string> attrs;  ///< root string attributes (numbers as text)
    std::int64_t n_runs = 0;
    int weeks = 0;
    std::vector<std::int64_t> run_id, design_point, replication;
    std::vector<std::uint64_t> seed;
    std::vector<std::int8_t> status;
    std::vector<std::string> error;
    std::vector<double> wall_seconds;
    std::map<std::string, std::vector<double>> summary;  ///< metric -> [n_runs]
    std::map<std::string, std::vector<double>> series;   ///< metric -> [n_runs * weeks]
    std::vector<std::string> design_keys;
    std::map<std::string, std::vector<double>> design;  ///< key -> [n_design_points]
    /// key -> names of the codes of a choice/text factor (value i means labels[i]); absent for
    /// numeric and boolean factors.
    std::map<std::string, std::vector<std::string>> design_labels;
    std::size_t n_events = 0;
    std::size_t n_network_runs = 0;  ///< runs whose generated network is stored in /network
    /// Per-run tables: table name (kTableSpecs) -> column ("run" and kTableSpecs columns) -> rows.
    /// Empty for files written before the tables existed.
    std::map<std::string, std::map<std::string, std::vector<double>>> tables;
};

/// The names of the codes of a table column (ColumnSpec::labels expanded: stage names, end
/// causes, or the comma-separated list); empty for plain numeric columns.
std::vector<std::string> column_labels(const ColumnSpec& col);

/// The current UTC time as ISO 8601 text, e.g. "2026-12-02T00:34:24Z".
std::string utc_now_text();
/// This machine's host name ("unknown" if it cannot be read).
std::string host_name();

/// Read a results file. `with_series` = false skips the (large) series datasets.
/// Throws IoError if the file is missing, not HDF5, not a pse-sim results file, or of a newer
/// format version than this build understands.
ResultsData read_results(const std::filesystem::path& file, bool with_series = true);

/// The /network tables of a results file: the generated network of each run stored with
/// `--network` (empty vectors when none was requested). Edge i joins vertex source[i] and
/// target[i] (vertex ids as in /events/org) of run edge_run[i]; kinds index kind names in
/// pse::TieKind / pse::OrgKind order (see tie_kind_name(), org_kind_name()).
struct NetworkTable {
    std::vector<std::int64_t> edge_run;
    std::vector<std::uint32_t> source, target;
    std::vector<std::uint8_t> edge_kind;
    std::vector<std::int64_t> vertex_run;
    std::vector<std::uint32_t> vertex;
    std::vector<std::uint8_t> vertex_kind;
    /// Sorted ids of the runs whose network is stored.
    [[nodiscard]] std::vector<std::int64_t> runs() const;
};
/// Read the /network tables (empty if the file holds none). Throws IoError like read_results().
NetworkTable read_network(const std::filesystem::path& file);

/// One row of the events table with its run id.
struct RunEvent {
    std::int64_t run;
    Event event;
};
/// Read the whole events table (ordered by run, then week). Throws IoError like read_results().
std::vector<RunEvent> read_events(const std::filesystem::path& file);

}  // namespace pse
