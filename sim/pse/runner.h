#pragma once
/// Running many replications / design points in parallel with oneTBB, streaming to one writer.
///
/// Data flow: tbb::parallel_for over run ids (each run: Model(scenario_of(design point), seed))
/// --> bounded queue --> one writer thread (ResultsWriter) --> progress callback.
/// Seeds: run (design point d, replication r) uses derive_seed(master, 0, r) with common random
/// numbers (the default: replication r sees the same streams at every design point), or
/// derive_seed(master, d + 1, r) without. Results are identical for any thread count.
#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "pse/params.h"
#include "pse/results.h"

namespace pse {

/// What to run: one scenario per design point, times replications.
struct RunPlan {
    std::vector<Scenario> design_points;  ///< at least one
    std::int64_t replications = 1;        ///< >= 1
    std::uint64_t master_seed = 1;
    bool common_random_numbers = true;
    [[nodiscard]] std::int64_t n_runs() const {
        return static_cast<std::int64_t>(design_points.size()) * replications;
    }
};

/// The seed rule of every run (pse/rng.h derive_seed()): with common random numbers replication r
/// gets derive_seed(master, 0, r) at every design point; without, derive_seed(master, d + 1, r).
std::uint64_t seed_for(std::uint64_t master_seed, bool common_random_numbers,
                       std::int64_t design_point, std::int64_t replication);

/// Seed of (design point, replication) under the plan's seed policy (seed_for()).
std::uint64_t run_seed(const RunPlan& plan, std::int64_t design_point, std::int64_t replication);

/// Source of run ids for execute_stream(): stores the next run id to execute in `id` and returns
/// true, or returns false when there are none left (and keeps returning false). Called
/// concurrently from the worker threads, so it must be thread-safe; it may block until an id is
/// available (e.g. while more work is requested from an MPI coordinator).
using RunIdSource = std::function<bool(std::int64_t& id)>;

/// Execution settings (do not change results).
struct RunnerOptions {
    int threads = 0;                   ///< 0 = all hardware threads
    bool within_run_parallel = false;  ///< parallel phases inside each run
    /// Called from the writer thread after each run is stored: (done, failed, total); total is
    /// -1 for execute_stream(), whose length is not known in advance.
    std::function<void(std::int64_t, std::int64_t, std::int64_t)> on_progress;
    const std::atomic<bool>* stop = nullptr;  ///< set to request a clean stop (e.g. Ctrl-C)
};

/// Outcome of execute().
struct RunTally {
    std::int64_t done = 0, failed = 0, skipped = 0;
    double wall_seconds = 0;
    bool stopped = false;  ///< stop was requested before all runs finished
};

/// Run every (design point, replication) of the plan and hand each record to `sink` (called on
/// one thread only, in completion order). Run ids are design_point * replications + replication.
/// A run that throws is recorded as failed with its message. Rethrows exceptions from `sink`.
RunTally execute(const RunPlan& plan, const RunnerOptions& opts,
                 const std::function<void(RunRecord&&)>& sink);

struct Experiment;
/// Seed of (design point, replication) of an experiment (seed_for()).
std::uint64_t experiment_seed(const Experiment& e, std::int64_t design_point,
                              std::int64_t replication);

/// Run the given run ids of an experiment (ascending; e.g. the unfinished runs of a resumed
/// sweep). Runs are handed out to workers in id order (dynamic load balancing), so they finish
/// nearly in order. `sink` is called on one thread. Same guarantees as execute(RunPlan).
RunTally execute(const Experiment& e, const std::vector<std::int64_t>& run_ids,
                 const RunnerOptions& opts, const std::function<void(RunRecord&&)>& sink);

/// Run the run ids that `next` hands out, as they come (used by MPI workers, which receive chunks
/// of ids from a coordinator while they run). Stops when `next` returns false, on opts.stop, or
/// when `sink` throws (rethrown). tally.skipped is 0 (the caller knows what it did not hand out);
/// tally.stopped is true if the workers stopped before `next` ran dry. Results of a run do not
/// depend on which worker, thread or process ran it.
RunTally execute_stream(const Experiment& e, const RunIdSource& next, const RunnerOptions& opts,
                        const std::function<void(RunRecord&&)>& sink);

}  // namespace pse
