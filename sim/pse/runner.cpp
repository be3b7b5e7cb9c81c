#include "pse/runner.h"

#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include <tbb/concurrent_queue.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "pse/rng.h"

#include "pse/model.h"

namespace pse {

std::uint64_t run_seed(const RunPlan& plan, std::int64_t design_point, std::int64_t replication) {
    const auto rep = static_cast<std::uint64_t>(replication);
    return plan.common_random_numbers ? derive_seed(plan.master_seed, 0, rep)
                                      : derive_seed(plan.master_seed, static_cast<std::uint64_t>(design_point) + 1, rep);
}

RunTally execute(const RunPlan& plan, const RunnerOptions& opts, const std::function<void(RunRecord&&)>& sink) {
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    const std::int64_t total = plan.n_runs();
    RunTally tally;
    tbb::concurrent_bounded_queue<RunRecord> queue;
    queue.set_capacity(256);
    std::exception_ptr sink_error;
    std::atomic<bool> sink_failed{false};

    std::thread writer([&] {
        std::int64_t done = 0, failed = 0;
        for (std::int64_t i = 0; i < total; ++i) {
            RunRecord rec;
            queue.pop(rec);
            if (rec.run_id < 0) break;  // sentinel: producers stopped early
            if (sink_failed) continue;
            (rec.status == RunStatus::kDone ? done : failed) += 1;
            try {
                sink(std::move(rec));
            } catch (...) {
                sink_error = std::current_exception();
                sink_failed = true;
                continue;
            }
            if (opts.on_progress) opts.on_progress(done, failed, total);
        }
        tally.done = done;
        tally.failed = failed;
    });

    const int threads = opts.threads > 0 ? opts.threads : static_cast<int>(std::thread::hardware_concurrency());
    std::atomic<std::int64_t> produced{0};
    tbb::task_arena arena(std::max(1, threads));
    arena.execute([&] {
        tbb::parallel_for(std::int64_t{0}, total, [&](std::int64_t id) {
            if (sink_failed || (opts.stop && opts.stop->load())) return;
            const std::int64_t d = id / plan.replications, r = id % plan.replications;
            RunRecord rec;
            rec.run_id = id;
            rec.design_point = d;
            rec.replication = r;
            rec.seed = run_seed(plan, d, r);
            const auto s0 = Clock::now();
            try {
                rec.output = run_model(plan.design_points[static_cast<std::size_t>(d)], rec.seed,
                                       ModelOptions{opts.within_run_parallel});
                rec.status = RunStatus::kDone;
            } catch (const std::exception& e) {
                rec.status = RunStatus::kFailed;
                rec.error = e.what();
                rec.output = RunOutput{};
            }
            rec.wall_seconds = std::chrono::duration<double>(Clock::now() - s0).count();
            produced.fetch_add(1);
            queue.push(std::move(rec));
        });
    });
    if (produced.load() < total) {
        RunRecord sentinel;
        sentinel.run_id = -1;
        queue.push(std::move(sentinel));
        tally.stopped = true;
    }
    writer.join();
    tally.skipped = total - produced.load();
    tally.wall_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (sink_error) std::rethrow_exception(sink_error);
    return tally;
}

}  // namespace pse
