#include "pse/runner.h"

#include <chrono>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>

#include "pse/detail/parallel.h"
#include "pse/rng.h"

#include "pse/experiment.h"
#include "pse/model.h"

namespace pse {

std::uint64_t seed_for(std::uint64_t master_seed, bool common_random_numbers,
                       std::int64_t design_point, std::int64_t replication) {
    const auto rep = static_cast<std::uint64_t>(replication);
    return common_random_numbers
               ? derive_seed(master_seed, 0, rep)
               : derive_seed(master_seed, static_cast<std::uint64_t>(design_point) + 1, rep);
}

std::uint64_t run_seed(const RunPlan& plan, std::int64_t design_point, std::int64_t replication) {
    return seed_for(plan.master_seed, plan.common_random_numbers, design_point, replication);
}

namespace {

/// Core loop shared by all entry points: workers take run ids from `next` (thread-safe) until it
/// returns false. `total` is the number of ids when known (for progress and the tally), or -1 for
/// a stream of unknown length.
RunTally execute_core(const RunIdSource& next, std::int64_t total, std::int64_t replications,
                      const std::function<Scenario(std::int64_t)>& scenario_of,
                      const std::function<std::uint64_t(std::int64_t, std::int64_t)>& seed_of,
                      const RunnerOptions& opts, const std::function<void(RunRecord&&)>& sink) {
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    RunTally tally;
    detail::BoundedQueue<RunRecord> queue(256);
    std::exception_ptr sink_error;
    std::atomic<bool> sink_failed{false};

    std::thread writer([&] {
        std::int64_t done = 0, failed = 0;
        while (true) {
            RunRecord rec = queue.pop();
            if (rec.run_id < 0) break;  // sentinel: every producer has finished
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

    const int threads =
        opts.threads > 0 ? opts.threads : static_cast<int>(std::thread::hardware_concurrency());
    const int workers =
        total < 0 ? std::max(1, threads)
                  : std::max(1, std::min<int>(threads,
                                              static_cast<int>(std::max<std::int64_t>(1, total))));
    std::atomic<std::int64_t> produced{0};
    std::atomic<bool> exhausted{false};
    detail::run_workers(std::max(1, threads), workers, [&](int) {
        while (true) {
            if (sink_failed || (opts.stop && opts.stop->load())) return;
            std::int64_t id = -1;
            if (!next(id)) {
                exhausted = true;
                return;
            }
            const std::int64_t d = id / replications, r = id % replications;
            RunRecord rec;
            rec.run_id = id;
            rec.design_point = d;
            rec.replication = r;
            rec.seed = seed_of(d, r);
            const auto s0 = Clock::now();
            try {
                rec.output =
                    run_model(scenario_of(d), rec.seed, ModelOptions{opts.within_run_parallel});
                rec.status = RunStatus::kDone;
            } catch (const std::exception& e) {
                rec.status = RunStatus::kFailed;
                rec.error = e.what();
                rec.output = RunOutput{};
            }
            rec.wall_seconds = std::chrono::duration<double>(Clock::now() - s0).count();
            produced.fetch_add(1);
            queue.push(std::move(rec));
        }
    });
    RunRecord sentinel;
    sentinel.run_id = -1;
    queue.push(std::move(sentinel));
    tally.stopped = !exhausted.load() && (total < 0 || produced.load() < total);
    writer.join();
    tally.skipped = total < 0 ? 0 : total - produced.load();
    tally.wall_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (sink_error) std::rethrow_exception(sink_error);
    return tally;
}

/// execute_core() over a fixed list of ids, handed out in order from an atomic cursor.
RunTally execute_ids(const std::vector<std::int64_t>& ids, std::int64_t replications,
                     const std::function<Scenario(std::int64_t)>& scenario_of,
                     const std::function<std::uint64_t(std::int64_t, std::int64_t)>& seed_of,
                     const RunnerOptions& opts, const std::function<void(RunRecord&&)>& sink) {
    const auto total = static_cast<std::int64_t>(ids.size());
    std::atomic<std::int64_t> cursor{0};
    const RunIdSource next = [&](std::int64_t& id) {
        const std::int64_t k = cursor.fetch_add(1);
        if (k >= total) return false;
        id = ids[static_cast<std::size_t>(k)];
        return true;
    };
    return execute_core(next, total, replications, scenario_of, seed_of, opts, sink);
}

}  // namespace

RunTally execute(const RunPlan& plan, const RunnerOptions& opts,
                 const std::function<void(RunRecord&&)>& sink) {
    std::vector<std::int64_t> ids(static_cast<std::size_t>(plan.n_runs()));
    std::iota(ids.begin(), ids.end(), 0);
    return execute_ids(
        ids, plan.replications,
        [&](std::int64_t d) { return plan.design_points[static_cast<std::size_t>(d)]; },
        [&](std::int64_t d, std::int64_t r) { return run_seed(plan, d, r); }, opts, sink);
}

std::uint64_t experiment_seed(const Experiment& e, std::int64_t design_point,
                              std::int64_t replication) {
    return seed_for(e.master_seed, e.common_random_numbers, design_point, replication);
}

RunTally execute(const Experiment& e, const std::vector<std::int64_t>& run_ids,
                 const RunnerOptions& opts, const std::function<void(RunRecord&&)>& sink) {
    return execute_ids(
        run_ids, e.replications,
        [&](std::int64_t d) { return scenario_at(e, static_cast<std::size_t>(d)); },
        [&](std::int64_t d, std::int64_t r) { return experiment_seed(e, d, r); }, opts, sink);
}

RunTally execute_stream(const Experiment& e, const RunIdSource& next, const RunnerOptions& opts,
                        const std::function<void(RunRecord&&)>& sink) {
    return execute_core(
        next, -1, e.replications,
        [&](std::int64_t d) { return scenario_at(e, static_cast<std::size_t>(d)); },
        [&](std::int64_t d, std::int64_t r) { return experiment_seed(e, d, r); }, opts, sink);
}

}  // namespace pse
