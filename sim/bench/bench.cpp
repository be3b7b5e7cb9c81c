// pse-sim benchmarks. Run: build/bench/sim/bench/pse_bench  (see docs/PERFORMANCE.md).
//   BM_Small    — Thailand-like project (1 NGO, 100 MNCs, 2,000 suppliers, 10 years): runs/s,
//                 one run per iteration; ->Threads(n) runs n independent runs concurrently.
//   BM_Sweep    — 1,000-run sweep of the small scenario including shards, merge and HDF5 writing.
//   BM_Large    — regional ecosystem (20 NGOs, 2,000 MNCs, 200,000 suppliers, 10 years):
//   agent-steps/s,
//                 serial (arg 0) and with within-run oneTBB parallelism (arg 1); peak RSS.
//   BM_Scaling  — 10^3..10^6 organisations at fixed density: seconds per organisation-week.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <tbb/global_control.h>
#include <filesystem>

#include "pse/experiment.h"
#include "pse/model.h"
#include "pse/sweep.h"

namespace {

pse::Scenario small() {
    pse::Scenario s;
    s.weeks = 520;
    s.record_events = false;
    return s;  // defaults: 1 NGO, 100 MNCs, 2000 suppliers, 4 agencies, 3 associations
}

pse::Scenario sized(std::int64_t orgs, int ngos) {
    pse::Scenario s;
    s.weeks = 520;
    s.record_events = false;
    s.ecosystem.mnc_count = static_cast<int>(std::max<std::int64_t>(1, orgs / 100));
    s.ecosystem.supplier_count = static_cast<int>(orgs - orgs / 100 - 2 * orgs / 10000);
    s.ecosystem.government_count = static_cast<int>(std::max<std::int64_t>(1, orgs / 10000));
    s.ecosystem.association_count = static_cast<int>(std::max<std::int64_t>(1, orgs / 10000));
    s.ngo_population.count = ngos;
    s.ngo_population.engages_business_prob = 1.0;
    s.ngo_population.dedicated_staff_prob = 1.0;
    return s;
}

double peak_rss_mib() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

void BM_Small(benchmark::State& state) {
    const auto s = small();
    std::uint64_t seed = 1000 + static_cast<std::uint64_t>(state.thread_index()) * 1000000;
    for (auto _ : state) benchmark::DoNotOptimize(pse::run_model(s, seed++));
    state.SetItemsProcessed(state.iterations());
    state.counters["runs_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Small)->Threads(1)->Threads(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Sweep(benchmark::State& state) {
    const auto dir = std::filesystem::temp_directory_path() / "pse_bench_sweep";
    std::filesystem::create_directories(dir);
    pse::Experiment e;
    e.name = "bench";
    e.base = small();
    e.base.weeks = 416;
    e.points = {{}};
    e.labels = {""};
    e.replications = state.range(0);
    e.master_seed = 1;
    for (auto _ : state) {
        pse::SweepOptions so;
        so.target = dir / "sweep.h5";
        so.overwrite = true;
        so.threads = 2;
        auto res = pse::run_sweep(e, so);
        benchmark::DoNotOptimize(res);
    }
    state.counters["runs_per_s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * state.range(0)), benchmark::Counter::kIsRate);
    state.counters["file_MiB"] =
        static_cast<double>(std::filesystem::file_size(dir / "sweep.h5")) / (1 << 20);
    std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Sweep)->Arg(1000)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

void BM_Large(benchmark::State& state) {
    const auto s = sized(222000, 20);
    const bool parallel = state.range(0) != 0;
    double steps = 0;
    for (auto _ : state) {
        pse::Model m(s, 7, pse::ModelOptions{parallel});
        steps += static_cast<double>(m.output().organisations) * s.weeks;
        benchmark::DoNotOptimize(m.run());
    }
    state.counters["agent_steps_per_s"] = benchmark::Counter(steps, benchmark::Counter::kIsRate);
    state.counters["peak_rss_MiB"] = peak_rss_mib();
}
BENCHMARK(BM_Large)->Arg(0)->Arg(1)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

void BM_Scaling(benchmark::State& state) {
    const auto s =
        sized(state.range(0), static_cast<int>(std::max<std::int64_t>(1, state.range(0) / 10000)));
    double org_weeks = 0;
    for (auto _ : state) {
        pse::Model m(s, 11);
        org_weeks += static_cast<double>(m.output().organisations) * s.weeks;
        benchmark::DoNotOptimize(m.run());
    }
    state.counters["ns_per_org_week"] =
        benchmark::Counter(org_weeks, benchmark::Counter::kIsRate | benchmark::Counter::kInvert,
                           benchmark::Counter::OneK::kIs1000);
    state.counters["peak_rss_MiB"] = peak_rss_mib();
}
BENCHMARK(BM_Scaling)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Arg(1000000)
    ->Unit(benchmark::kSecond)
    ->UseRealTime()
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
