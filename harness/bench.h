/*
** bench.h: Google Benchmark from C.
**
** harness/bench_shim.cc keeps Google Benchmark (C++) behind this API so
** that every benchmark is written in C.  Register functions, then call
** bench_main with the command line: it takes the usual --benchmark_*
** flags (filter, min_time, repetitions, out, out_format=json).
** Each benchmark reports time per call and, when given, FLOP/s and
** bytes/s as rate counters, plus any numbers added with bench_counter.
*/
#ifndef CONVGEN_BENCH_H
#define CONVGEN_BENCH_H

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*bench_fn)(void *ctx);

/* Registers fn(ctx) as benchmark `name`; flops and bytes are per call
   (0 for none).  Returns an id for bench_counter and bench_label. */
int bench_register(const char *name, bench_fn fn, void *ctx, double flops, double bytes);

/* A constant number reported with the benchmark (in the JSON too). */
void bench_counter(int id, const char *key, double value);

/* Free text shown beside the result. */
void bench_label(int id, const char *label);

/* Parses the --benchmark_* flags, runs the registered benchmarks that
   match the filter, prints the results.  Returns 0, or 2 on a flag it
   does not know. */
int bench_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
