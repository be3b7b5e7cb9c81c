#include "pse/mpi_sweep.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pse/errors.h"
#include "pse/runner.h"

namespace pse {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Message tags of the sweep protocol (on MpiSession::comm()).
constexpr int kTagRequest = 1;      // worker -> 0: int64 {threads, done, failed}
constexpr int kTagWork = 2;         // 0 -> worker: int64 run ids; none = no more work
constexpr int kTagFinished = 3;     // worker -> 0: int64 {done, failed, stopped, code}
constexpr int kTagFinishedMsg = 4;  // worker -> 0: char error message (empty if none)
constexpr int kTagResult = 5;  // 0 -> worker: int64 {outcome: 0 complete, 130 stopped, 1 failed}

constexpr int kStopped = 130;

/// Wait for a non-blocking operation, sleeping between tests (no busy spinning).
void wait_polling(MPI_Request& req, std::chrono::microseconds nap = 200us) {
    int flag = 0;
    while (true) {
        MPI_Test(&req, &flag, MPI_STATUS_IGNORE);
        if (flag) return;
        std::this_thread::sleep_for(nap);
    }
}

/// Receive an int64 message of any length from `source` with `tag`, polling.
std::vector<std::int64_t> recv_i64(MPI_Comm comm, int source, int tag) {
    MPI_Status st;
    int flag = 0;
    while (true) {
        MPI_Iprobe(source, tag, comm, &flag, &st);
        if (flag) break;
        std::this_thread::sleep_for(200us);
    }
    int count = 0;
    MPI_Get_count(&st, MPI_INT64_T, &count);
    std::vector<std::int64_t> v(static_cast<std::size_t>(count));
    MPI_Recv(v.data(), count, MPI_INT64_T, st.MPI_SOURCE, tag, comm, MPI_STATUS_IGNORE);
    return v;
}

void send_i64(MPI_Comm comm, int dest, int tag, const std::vector<std::int64_t>& v) {
    MPI_Send(v.data(), static_cast<int>(v.size()), MPI_INT64_T, dest, tag, comm);
}

std::string recv_text(MPI_Comm comm, int source, int tag) {
    MPI_Status st;
    MPI_Probe(source, tag, comm, &st);
    int count = 0;
    MPI_Get_count(&st, MPI_CHAR, &count);
    std::string s(static_cast<std::size_t>(count), '\0');
    MPI_Recv(s.data(), count, MPI_CHAR, source, tag, comm, MPI_STATUS_IGNORE);
    return s;
}

/// Threads for this rank: the requested number, or the CPUs in this process's affinity mask.
int rank_threads(int requested) {
    if (requested > 0) return requested;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

/// Run ids of one worker rank, filled by its main thread, drained by its runner threads.
class LocalQueue {
  public:
    /// Next id for a runner thread; blocks until one arrives. False once closed and empty, or
    /// when a stop is requested.
    bool pop(std::int64_t& id, const std::atomic<bool>* stop) {
        std::unique_lock lk(m_);
        while (q_.empty() && !closed_) {
            if (stop && stop->load()) return false;
            cv_.wait_for(lk, 50ms);
        }
        if (q_.empty() || (stop && stop->load())) return false;
        id = q_.front();
        q_.pop_front();
        cv_.notify_all();  // the main thread may be waiting for the queue to run low
        return true;
    }
    void push(const std::vector<std::int64_t>& ids) {
        std::lock_guard lk(m_);
        q_.insert(q_.end(), ids.begin(), ids.end());
        cv_.notify_all();
    }
    void close() {
        std::lock_guard lk(m_);
        closed_ = true;
        cv_.notify_all();
    }
    /// Wait (up to `timeout`) until at most `low` ids are queued or `also` holds. True if so.
    template <class Pred>
    bool wait_low(std::size_t low, Pred also, std::chrono::milliseconds timeout) {
        std::unique_lock lk(m_);
        return cv_.wait_for(lk, timeout, [&] { return q_.size() <= low || also(); });
    }
    void notify() { cv_.notify_all(); }

  private:
    std::mutex m_;
    std::condition_variable cv_;
    std::deque<std::int64_t> q_;
    bool closed_ = false;
};

/// What one rank's runner thread did.
struct LocalRun {
    RunTally tally;
    std::atomic<std::int64_t> done{0}, failed{0};
    std::atomic<bool> finished{false};
    std::string error;  ///< IoError (or other) message; empty if none
};

/// Run ids from `next` with the oneTBB runner, shards into the parts folder. Runs on its own
/// thread; never throws (errors land in `out.error`).
void run_local(const Experiment& e, const SweepOptions& opts, const SweepPlan& plan,
               std::int64_t first_shard, int rank, int size, int threads, const RunIdSource& next,
               LocalRun& out, const std::function<void()>& on_end, LiveAssembly* live = nullptr) {
    try {
        ShardWriter shards(plan.parts_dir, plan.fingerprint, e.base.weeks, e.n_runs(),
                           opts.flush_runs, opts.flush_seconds, first_shard + rank, size);
        if (live)  // rank 0 of a fresh sweep: assemble its own shards and those of the other ranks
                   // as they appear
            shards.on_written([live](const std::filesystem::path& p, ShardContents& c) {
                live->store(p, c);
                live->collect();
            });
        RunnerOptions ro;
        ro.threads = threads;
        ro.stop = opts.stop;
        try {
            out.tally = execute_stream(e, next, ro, [&](RunRecord&& rec) {
                (rec.status == RunStatus::kDone ? out.done : out.failed) += 1;
                shards.add(std::move(rec));
            });
        } catch (...) {
            try {
                shards.flush();  // keep what can be kept
            } catch (...) {
            }
            throw;
        }
        shards.flush();
    } catch (const std::exception& err) {
        out.error = err.what();
        if (out.error.empty()) out.error = "unknown error";
    } catch (...) {
        out.error = "unknown error";
    }
    out.finished = true;
    on_end();
}

/// Check that this (worker) rank sees the parts folder rank 0 prepared and can write to it;
/// waits up to 3 s for a shared file system to show it. Empty string if fine.
std::string check_parts_visible(const std::filesystem::path& parts_dir) {
    const auto deadline = Clock::now() + 3s;
    while (true) {
        std::error_code ec;
        if (std::filesystem::exists(parts_dir / "manifest.txt", ec)) {
            if (access(parts_dir.c_str(), W_OK) == 0) return {};
            return fmt::format("cannot write to '{}'", parts_dir.string());
        }
        if (Clock::now() > deadline)
            return fmt::format(
                "cannot see '{}' that rank 0 created: the output folder must be on a file system "
                "shared by all nodes",
                parts_dir.string());
        std::this_thread::sleep_for(100ms);
    }
}

}  // namespace

MpiSession::MpiSession(int* argc, char*** argv) {
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        throw IoError("MPI could not start (MPI_Init_thread failed)");
    if (provided < MPI_THREAD_FUNNELED) {
        MPI_Finalize();
        throw IoError("this MPI library does not support MPI_THREAD_FUNNELED");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
    std::array<char, MPI_MAX_PROCESSOR_NAME> name{};
    int len = 0;
    MPI_Get_processor_name(name.data(), &len);
    host_.assign(name.data(), static_cast<std::size_t>(std::max(0, len)));
}

MpiSession::~MpiSession() {
    if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
    MPI_Finalize();
}

MpiSession::Agreement MpiSession::agree(int code) const {
    std::array<int, 2> in{code, rank_ == 0 ? code : 0}, out{0, 0};
    MPI_Request req;
    MPI_Iallreduce(in.data(), out.data(), 2, MPI_INT, MPI_MAX, comm_, &req);
    wait_polling(req);
    return Agreement{out[0], out[1]};
}

void MpiSession::abort(int code) const {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::abort();  // not reached
}

SweepResult run_sweep_mpi(const Experiment& e, const SweepOptions& opts, const MpiSession& mpi,
                          MpiSweepStats* stats) {
    const MPI_Comm comm = mpi.comm();
    const int rank = mpi.rank(), size = mpi.size();
    const auto t0 = Clock::now();
    auto where = [&] { return fmt::format("rank {} on {}", rank, mpi.host()); };
    auto stopped = [&] { return opts.stop && opts.stop->load(); };

    // 1. Did every rank load the same experiment?
    const std::string fp = experiment_fingerprint(e);
    std::array<char, 64> fp0{};
    std::copy_n(fp.begin(), std::min<std::size_t>(fp.size(), fp0.size() - 1), fp0.begin());
    {
        MPI_Request req;
        MPI_Ibcast(fp0.data(), static_cast<int>(fp0.size()), MPI_CHAR, 0, comm, &req);
        wait_polling(req);
    }
    const bool same = std::string(fp0.data()) == fp;
    if (const auto a = mpi.agree(same ? 0 : 1); a.max_code != 0) {
        if (!same)
            throw IoError(fmt::format(
                "{} loaded a different experiment than rank 0 (fingerprint {} instead of {}): "
                "are the input files the same on every node?",
                where(), fp, fp0.data()));
        throw MpiPeerError(a.max_code, "another rank loaded a different experiment");
    }

    // 2. Rank 0 checks the output and prepares the parts folder, as a single process would.
    SweepPlan plan;
    plan.parts_dir = opts.target.parent_path() / (opts.target.filename().string() + ".parts");
    plan.fingerprint = fp;
    std::string error;
    std::array<std::int64_t, 2> head{0, 0};  // {code, first free shard number}
    if (rank == 0) {
        try {
            plan = prepare_sweep(e, opts);
            head[1] = plan.next_shard;
        } catch (const std::exception& err) {
            error = err.what();
            head[0] = 1;
        }
    }
    {
        MPI_Request req;
        MPI_Ibcast(head.data(), 2, MPI_INT64_T, 0, comm, &req);
        wait_polling(req);
    }
    if (head[0] != 0) {
        if (rank == 0) throw IoError(error);
        throw MpiPeerError(static_cast<int>(head[0]), "rank 0 could not prepare the output");
    }
    const std::int64_t first_shard = head[1];
    if (rank != 0) error = check_parts_visible(plan.parts_dir);
    if (const auto a = mpi.agree(error.empty() ? 0 : 1); a.max_code != 0) {
        if (!error.empty()) throw IoError(fmt::format("{}: {}", where(), error));
        if (rank == 0 && plan.created) {
            std::error_code ec;
            std::filesystem::remove_all(plan.parts_dir, ec);  // nothing ran: leave no trace
        }
        throw MpiPeerError(a.max_code, "another rank cannot use the parts folder");
    }

    const int threads = rank_threads(opts.threads);
    SweepResult res;
    res.parts_dir = plan.parts_dir;
    LocalRun local;

    if (rank != 0) {
        // 3w. Worker: keep the local queue filled from rank 0 while the runner drains it.
        LocalQueue queue;
        std::thread runner([&] {
            run_local(
                e, opts, plan, first_shard, rank, size, threads,
                [&](std::int64_t& id) { return queue.pop(id, opts.stop); }, local,
                [&] { queue.notify(); });
        });
        const auto low = static_cast<std::size_t>(threads);
        while (true) {
            const auto ready = [&] { return local.finished.load() || stopped(); };
            if (!queue.wait_low(low, ready, 50ms)) continue;
            if (ready()) break;
            send_i64(comm, 0, kTagRequest, {threads, local.done.load(), local.failed.load()});
            const auto ids = recv_i64(comm, 0, kTagWork);
            if (ids.empty()) break;
            queue.push(ids);
        }
        queue.close();
        runner.join();
        const bool me_stopped = stopped() || local.tally.stopped;
        send_i64(comm, 0, kTagFinished,
                 {local.done.load(), local.failed.load(), me_stopped ? 1 : 0,
                  local.error.empty() ? 0 : 1});
        MPI_Send(local.error.data(), static_cast<int>(local.error.size()), MPI_CHAR, 0,
                 kTagFinishedMsg, comm);
        const auto outcome = recv_i64(comm, 0, kTagResult);
        const int code = outcome.empty() ? 1 : static_cast<int>(outcome[0]);
        res.tally = local.tally;
        res.tally.done = local.done;
        res.tally.failed = local.failed;
        if (code == 0) {
            res.complete = true;
            return res;
        }
        if (code == kStopped) {
            res.tally.stopped = true;
            return res;
        }
        if (!local.error.empty())
            throw IoError(
                with_kept_runs(fmt::format("{}: {}", where(), local.error), plan.parts_dir));
        throw MpiPeerError(code, "another rank failed");
    }

    // 3c. Rank 0: coordinate (this thread) and run (its own runner thread) from one pool of ids.
    std::mutex pool_m;
    std::size_t cursor = 0;
    bool closed = false;  // no more hand-outs: an error somewhere
    const auto& todo = plan.todo;
    // Hand-outs end at a block boundary of the results file's ChunkLayout while plenty of work
    // remains, so that a rank runs whole blocks and its shards carry them encoded (the merge then
    // copies their chunks); near the end they are not extended, to balance the ranks' load.
    const ChunkLayout layout = ChunkLayout::of(e.n_runs(), e.base.weeks);
    auto take = [&](std::size_t n) {
        std::lock_guard lk(pool_m);
        std::vector<std::int64_t> out;
        if (closed || stopped()) return out;
        n = std::min(n, todo.size() - cursor);
        if (n > 0 && layout.n_blocks() > 0) {
            std::size_t end = cursor + n;
            while (end < todo.size() &&
                   layout.block_of(todo[end]) == layout.block_of(todo[end - 1]))
                ++end;
            if (todo.size() - end >= static_cast<std::size_t>(2 * size * layout.block_rows))
                n = end - cursor;
        }
        out.assign(todo.begin() + static_cast<std::ptrdiff_t>(cursor),
                   todo.begin() + static_cast<std::ptrdiff_t>(cursor + n));
        cursor += n;
        return out;
    };
    auto chunk_for = [&](std::int64_t req_threads) {
        std::lock_guard lk(pool_m);
        const auto left = static_cast<std::int64_t>(todo.size() - cursor);
        const auto t = std::max<std::int64_t>(1, req_threads);
        return static_cast<std::size_t>(std::max(t, std::min(left / (2 * size), 16 * t)));
    };
    spdlog::info("MPI: {} ranks; rank 0 coordinates and runs; {} run(s) to do", size, todo.size());
    std::mutex own_m;
    std::deque<std::int64_t> own;
    // A fresh sweep is assembled while it runs, on rank 0's shard-writing thread (LiveAssembly).
    std::unique_ptr<LiveAssembly> live;
    if (plan.reused == 0 && plan.retried == 0 && first_shard == 0) {
        try {
            live = std::make_unique<LiveAssembly>(e, opts, plan.parts_dir);
        } catch (const std::exception& err) {
            spdlog::warn("assembling while running is off ({}); the shards are merged at the end",
                         err.what());
        }
    }
    std::thread runner([&] {
        run_local(
            e, opts, plan, first_shard, 0, size, threads,
            [&](std::int64_t&
                    id) {  // rank 0's own runs: hand-outs like a worker's, kept in a local queue
                std::lock_guard lk(own_m);
                {
                    std::lock_guard lp(pool_m);
                    if (closed || stopped()) return false;
                }
                if (own.empty()) {
                    const auto more = take(chunk_for(threads));
                    own.insert(own.end(), more.begin(), more.end());
                }
                if (own.empty()) return false;
                id = own.front();
                own.pop_front();
                return true;
            },
            local, [] {}, live.get());
        if (!local.error.empty()) {
            std::lock_guard lk(pool_m);
            closed = true;
        }
    });

    std::vector<std::int64_t> w_done(static_cast<std::size_t>(size), 0),
        w_failed(static_cast<std::size_t>(size), 0);
    std::vector<int> w_threads(static_cast<std::size_t>(size), 0);
    w_threads[0] = threads;
    bool any_stopped = false;
    int failed_rank = -1;
    int finished = 0;
    auto last_progress = Clock::now();
    auto progress = [&] {
        if (!opts.on_progress) return;
        std::int64_t d = local.done, f = local.failed;
        for (int r = 1; r < size; ++r)
            d += w_done[static_cast<std::size_t>(r)], f += w_failed[static_cast<std::size_t>(r)];
        opts.on_progress(d, f, static_cast<std::int64_t>(todo.size()));
    };
    while (finished < size - 1 || !local.finished) {
        MPI_Status st;
        int flag = 0;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, &st);
        if (Clock::now() - last_progress > 200ms) {
            progress();
            last_progress = Clock::now();
        }
        if (!flag) {
            std::this_thread::sleep_for(500us);
            continue;
        }
        const int src = st.MPI_SOURCE;
        const auto s = static_cast<std::size_t>(src);
        if (st.MPI_TAG == kTagRequest) {
            const auto msg = recv_i64(comm, src, kTagRequest);
            if (msg.size() == 3) {
                w_threads[s] = static_cast<int>(msg[0]);
                w_done[s] = msg[1];
                w_failed[s] = msg[2];
            }
            send_i64(comm, src, kTagWork, take(chunk_for(msg.empty() ? 1 : msg[0])));
        } else if (st.MPI_TAG == kTagFinished) {
            const auto msg = recv_i64(comm, src, kTagFinished);
            const std::string text = recv_text(comm, src, kTagFinishedMsg);
            if (msg.size() == 4) {
                w_done[s] = msg[0];
                w_failed[s] = msg[1];
                any_stopped = any_stopped || msg[2] != 0;
                if (msg[3] != 0) {
                    if (failed_rank < 0) failed_rank = src;
                    std::lock_guard lk(pool_m);
                    closed = true;
                }
            }
            ++finished;
        } else {
            // Not part of the protocol: a bug. End the job rather than leave ranks waiting.
            spdlog::error("MPI sweep: unexpected message (tag {}) from rank {}", st.MPI_TAG, src);
            mpi.abort(1);
        }
    }
    runner.join();
    progress();

    std::int64_t total_done = local.done, total_failed = local.failed;
    for (int r = 1; r < size; ++r)
        total_done += w_done[static_cast<std::size_t>(r)],
            total_failed += w_failed[static_cast<std::size_t>(r)];
    res.reused = plan.reused;
    res.retried = plan.retried;
    res.tally.done = total_done;
    res.tally.failed = total_failed;
    res.tally.skipped = static_cast<std::int64_t>(todo.size()) - total_done - total_failed;
    if (stats) {
        stats->ranks = size;
        stats->threads = w_threads;
        stats->runs.assign(static_cast<std::size_t>(size), 0);
        stats->runs[0] = local.done + local.failed;
        for (int r = 1; r < size; ++r)
            stats->runs[static_cast<std::size_t>(r)] =
                w_done[static_cast<std::size_t>(r)] + w_failed[static_cast<std::size_t>(r)];
    }

    int outcome = 0;
    if (!local.error.empty()) error = fmt::format("{}: {}", where(), local.error);
    if (!error.empty() || failed_rank >= 0) {
        outcome = 1;
    } else if (any_stopped || stopped() || local.tally.stopped) {
        outcome = kStopped;
    } else if (res.tally.skipped != 0) {
        outcome = 1;  // cannot happen: every id is handed out before every rank finishes
        error = fmt::format("{} run(s) were not run (internal error)", res.tally.skipped);
    } else {
        try {
            const auto m0 = Clock::now();
            res.file = live ? live->finish() : merge_shards(e, opts, plan.parts_dir);
            const double merge_s = std::chrono::duration<double>(Clock::now() - m0).count();
            spdlog::debug(
                "MPI: runs took {:.2f} s, merging the shards {:.2f} s ({:.0f} runs/s; series of {} "
                "of {} runs "
                "copied as encoded chunks)",
                std::chrono::duration<double>(m0 - t0).count(), merge_s,
                merge_s > 0 ? static_cast<double>(e.n_runs()) / merge_s : 0.0, res.file.copied,
                e.n_runs());
        } catch (const std::exception& err) {
            outcome = 1;
            error = err.what();
        }
    }
    for (int r = 1; r < size; ++r) send_i64(comm, r, kTagResult, {outcome});
    res.tally.wall_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (outcome == kStopped) res.tally.stopped = true;
    if (outcome == 0) res.complete = true;
    if (!error.empty()) throw IoError(with_kept_runs(error, plan.parts_dir));
    if (outcome == 1) throw MpiPeerError(1, fmt::format("rank {} failed", failed_rank));
    return res;
}

}  // namespace pse
