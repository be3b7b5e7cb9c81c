#pragma once
/// Sweeps across processes and machines with MPI (built only with PSE_WITH_MPI; the compile
/// definition PSE_HAVE_MPI marks such builds).
///
/// Roles: rank 0 is the coordinator *and* a worker; ranks 1..N-1 are workers. Every rank runs its
/// runs with the oneTBB runner (execute_stream()) on its own threads.
///
/// Data flow:
///   1. every rank loads the experiment; the ranks agree that they loaded the same one
///      (fingerprint), rank 0 checks the output path and prepares `<target>.parts` exactly like a
///      single-process sweep (prepare_sweep(): --resume, manifest, finished run ids), and every
///      rank checks that it can see and write that folder. Any failure ends every rank with the
///      same exit code before a run starts; the failing rank reports it, the others stay quiet.
///   2. dynamic load balancing: rank 0 holds the run ids still to do. A worker asks for more
///      (tag kRequest, carrying its thread count and progress) whenever its local queue falls to
///      about one id per thread, and gets a chunk (guided: a share of what is left, at least
///      its thread count, at most 16 runs per thread; an empty chunk means "no more"). Rank 0's
///      own threads take ids one at a time from the same pool.
///   3. each rank writes its finished runs as shards into the shared parts folder with the
///      single-process checkpoint policy (ShardWriter); rank r of n numbers its shards
///      base + r, base + r + n, ... so names never collide.
///   4. a worker that has run out (or was stopped, or failed) reports its tally (kFinished);
///      when all have, rank 0 merges every shard in run-id order (merge_shards()) and tells every
///      rank the outcome (kResult): 0 complete, 130 interrupted, 1 failed.
/// The merged file has the same datasets and values as a single-process sweep of the experiment.
/// A rank killed part-way makes mpirun end the job; every shard flushed so far is kept, and
/// `--resume` (with any number of ranks, or none) runs only the missing run ids.
///
/// All MPI calls are made from the thread that initialised MPI (MPI_THREAD_FUNNELED); waits poll
/// with short sleeps, so an idle rank does not spin a core the other ranks' threads need.
#include <mpi.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "pse/experiment.h"
#include "pse/sweep.h"

namespace pse {

/// MPI for the lifetime of this object: MPI_Init_thread (MPI_THREAD_FUNNELED) in the
/// constructor, MPI_Finalize in the destructor. Create at most one, on the main thread.
class MpiSession {
  public:
    /// Initialises MPI. Throws IoError if MPI cannot start or lacks MPI_THREAD_FUNNELED.
    MpiSession(int* argc, char*** argv);
    ~MpiSession();
    MpiSession(const MpiSession&) = delete;
    MpiSession& operator=(const MpiSession&) = delete;

    /// This process's rank in MPI_COMM_WORLD (0 = coordinator).
    [[nodiscard]] int rank() const { return rank_; }
    /// Number of processes in MPI_COMM_WORLD (>= 1).
    [[nodiscard]] int size() const { return size_; }
    /// Name of the node this rank runs on (MPI_Get_processor_name), for messages.
    [[nodiscard]] const std::string& host() const { return host_; }
    /// Private communicator (a duplicate of MPI_COMM_WORLD) used by the sweep protocol.
    [[nodiscard]] MPI_Comm comm() const { return comm_; }

    /// Collective (every rank must call it): combines every rank's exit code. Returns the largest
    /// code of all ranks in `max_code` and rank 0's code in `rank0_code` (codes are >= 0).
    struct Agreement {
        int max_code = 0;
        int rank0_code = 0;
    };
    [[nodiscard]] Agreement agree(int code) const;
    /// End every rank of the job at once with `code` (MPI_Abort); for errors that escape the
    /// coordinated protocol, so that no rank is left waiting.
    [[noreturn]] void abort(int code) const;

  private:
    int rank_ = 0, size_ = 1;
    std::string host_;
    MPI_Comm comm_ = MPI_COMM_NULL;
};

/// Thrown by run_sweep_mpi() on ranks that did not see a failure themselves: another rank
/// reported it (once), and this rank should end quietly with exit_code().
class MpiPeerError : public std::runtime_error {
  public:
    MpiPeerError(int exit_code, const std::string& what)
        : std::runtime_error(what), exit_code_(exit_code) {}
    /// Exit code the job ends with: 1 (I/O or other failure).
    [[nodiscard]] int exit_code() const { return exit_code_; }

  private:
    int exit_code_;
};

/// Per-rank figures of an MPI sweep, filled on rank 0.
struct MpiSweepStats {
    int ranks = 1;
    std::vector<int> threads;        ///< worker threads of each rank
    std::vector<std::int64_t> runs;  ///< runs executed by each rank (done + failed)
};

/// Run (or resume, with opts.resume) an experiment across all ranks of `mpi` into opts.target.
/// Collective: every rank calls it with the same experiment and options. opts.threads applies
/// per rank; 0 = the cores this rank may run on (its CPU affinity mask, which mpirun's binding
/// sets). opts.on_progress (runs done, failed, total still to do) is called on rank 0 only, from
/// the calling thread, about five times a second; opts.on_record is not used.
///
/// Returns on every rank: complete = true once rank 0 has written the target; complete = false if
/// a stop was requested (opts.stop, on any rank; finished runs are kept in the parts folder). On
/// rank 0 the tally sums all ranks (wall_seconds is rank 0's) and `stats`, if given, is filled.
/// Throws, on every rank, before any run if the ranks loaded different experiments, the output
/// path or parts folder is unusable (see prepare_sweep()) or a rank cannot see or write the parts
/// folder (the output folder must be on a file system shared by all nodes); and after the runs
/// if a rank failed to write a shard or rank 0 failed to merge. The rank that hit the problem
/// throws IoError with a message naming it; the others throw MpiPeerError.
SweepResult run_sweep_mpi(const Experiment& e, const SweepOptions& opts, const MpiSession& mpi,
                          MpiSweepStats* stats = nullptr);

}  // namespace pse
