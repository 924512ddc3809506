// bench_shim.cc: the C API of bench.h over Google Benchmark.
//
// Entries live in a deque so that the references the registered lambdas
// hold stay valid while more are added.

#include <benchmark/benchmark.h>

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "bench.h"

namespace {

struct Entry {
  std::string name;
  bench_fn fn;
  void *ctx;
  double flops, bytes;
  std::string label;
  std::vector<std::pair<std::string, double>> counters;
};

std::deque<Entry> entries;

void run_entry(benchmark::State &state, const Entry &e) {
  for (auto _ : state) {
    e.fn(e.ctx);
    benchmark::ClobberMemory();
  }
  using benchmark::Counter;
  if (e.flops > 0) state.counters["FLOP/s"] = Counter(e.flops, Counter::kIsIterationInvariantRate);
  if (e.bytes > 0) state.counters["bytes/s"] = Counter(e.bytes, Counter::kIsIterationInvariantRate);
  for (const auto &c : e.counters) state.counters[c.first] = Counter(c.second);
  if (!e.label.empty()) state.SetLabel(e.label);
}

}  // namespace

extern "C" int bench_register(const char *name, bench_fn fn, void *ctx, double flops, double bytes) {
  entries.push_back(Entry{name, fn, ctx, flops, bytes, std::string(), {}});
  const Entry &e = entries.back();
  benchmark::RegisterBenchmark(e.name.c_str(), [&e](benchmark::State &state) { run_entry(state, e); })
      ->Unit(benchmark::kMillisecond);
  return static_cast<int>(entries.size()) - 1;
}

extern "C" void bench_counter(int id, const char *key, double value) {
  entries.at(static_cast<size_t>(id)).counters.emplace_back(key, value);
}

extern "C" void bench_label(int id, const char *label) {
  entries.at(static_cast<size_t>(id)).label = label;
}

extern "C" int bench_main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
