#pragma once
/// The parallel building blocks of pse-sim: a chunked parallel loop, a fixed set of concurrent
/// workers, and a bounded blocking queue.
///
/// Backend: oneTBB (parallel_for over a blocked_range, a task_arena for the workers) in every
/// normal build. In ThreadSanitizer builds (GCC's __SANITIZE_THREAD__ or clang's
/// __has_feature(thread_sanitizer)) the same functions run on std::thread instead. Why: Debian's
/// libtbb is not compiled with ThreadSanitizer, so TSan cannot see the happens-before edge between
/// a TBB task being spawned on one thread and run on another, and reports races inside TBB's own
/// headers (the task and range objects) on every parallel loop. With std::thread every
/// synchronisation is visible to TSan, so the TSan job checks what is ours to get right: the loop
/// bodies (disjoint writes), the runner's hand-off of records through the queue and the writer
/// thread. Results never depend on the backend or the thread count (bodies write disjoint
/// elements; tests/model/determinism_test.cpp checks parallel == serial).
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__SANITIZE_THREAD__)
#define PSE_STD_THREADS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PSE_STD_THREADS 1
#endif
#endif

#ifndef PSE_STD_THREADS
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#endif

namespace pse::detail {

/// True when the std::thread backend is compiled in (ThreadSanitizer builds).
inline constexpr bool kStdThreadBackend =
#ifdef PSE_STD_THREADS
    true;
#else
    false;
#endif

/// Hardware threads (at least 1).
inline int hardware_threads() {
    return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

#ifdef PSE_STD_THREADS
/// Run job(t) for t in [0, n) on n threads (t = 0 on the calling thread); rethrows the first
/// exception after all have finished.
template <class Job>
void run_on_threads(int n, const Job& job) {
    std::exception_ptr error;
    std::mutex error_mutex;
    auto guarded = [&](int t) {
        try {
            job(t);
        } catch (...) {
            const std::lock_guard lock(error_mutex);
            if (!error) error = std::current_exception();
        }
    };
    std::vector<std::thread> threads;
    for (int t = 1; t < n; ++t) threads.emplace_back(guarded, t);
    guarded(0);
    for (auto& th : threads) th.join();
    if (error) std::rethrow_exception(error);
}
#endif

/// Call body(begin, end) for consecutive chunks [begin, end) of [0, n), each at most `grain`
/// elements (grain >= 1), concurrently; returns when every chunk is done. Chunks may run in any
/// order on any thread, so body must only write what its chunk owns. Exceptions from body
/// propagate to the caller.
template <class Index, class Body>
void parallel_for(Index n, Index grain, const Body& body) {
    if (n <= 0) return;
    grain = std::max<Index>(1, grain);
#ifdef PSE_STD_THREADS
    const Index chunks = (n + grain - 1) / grain;
    std::atomic<Index> next{0};
    const int threads = static_cast<int>(
        std::min<Index>(chunks, static_cast<Index>(std::max(2, hardware_threads()))));
    run_on_threads(threads, [&](int) {
        for (Index k = next.fetch_add(1); k < chunks; k = next.fetch_add(1)) {
            const Index begin = k * grain;
            body(begin, std::min<Index>(n, begin + grain));
        }
    });
#else
    tbb::parallel_for(tbb::blocked_range<Index>(0, n, grain),
                      [&](const tbb::blocked_range<Index>& r) { body(r.begin(), r.end()); });
#endif
}

/// Call worker(i) for every i in [0, workers) concurrently, on at most `threads` threads
/// (threads >= 1), and return when all have returned. Exceptions from a worker propagate.
template <class Worker>
void run_workers(int threads, int workers, const Worker& worker) {
    if (workers <= 0) return;
#ifdef PSE_STD_THREADS
    (void)threads;
    run_on_threads(workers, worker);
#else
    tbb::task_arena arena(std::max(1, threads));
    arena.execute([&] { tbb::parallel_for(0, workers, [&](int i) { worker(i); }); });
#endif
}

/// A bounded, blocking, multi-producer multi-consumer FIFO queue (mutex and condition variables).
/// push() blocks while `capacity` items are waiting; pop() blocks while the queue is empty.
template <class T>
class BoundedQueue {
  public:
    /// capacity >= 1: the most items held at once.
    explicit BoundedQueue(std::size_t capacity) : capacity_(std::max<std::size_t>(1, capacity)) {}
    /// Append an item, waiting for room.
    void push(T item) {
        std::unique_lock lock(mutex_);
        not_full_.wait(lock, [&] { return items_.size() < capacity_; });
        items_.push_back(std::move(item));
        lock.unlock();
        not_empty_.notify_one();
    }
    /// Remove and return the oldest item, waiting for one.
    T pop() {
        std::unique_lock lock(mutex_);
        not_empty_.wait(lock, [&] { return !items_.empty(); });
        T item = std::move(items_.front());
        items_.pop_front();
        lock.unlock();
        not_full_.notify_one();
        return item;
    }

  private:
    std::size_t capacity_;
    std::mutex mutex_;
    std::condition_variable not_full_, not_empty_;
    std::deque<T> items_;
};

}  // namespace pse::detail
