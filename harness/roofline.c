/*
** roofline.c: the limits of one core, for the roofline that generated
** code is judged against.
**
** A kernel is only as fast as the slower of two ceilings: how many
** FLOP/s the core can issue and how many bytes/s reach it from the
** level of the memory hierarchy its data lives in.  This program
** measures both, through Google Benchmark (harness/bench.h), so the
** numbers come out in the same table and JSON as the network benchmarks:
**
**   roofline/fma_avx512, roofline/fma_avx2   peak fp32 FMA, FLOP/s
**   roofline/read_L1, _L2, _L3, _DRAM        read bandwidth, bytes/s
**
** Choices, and why:
** - Each FMA kernel keeps FMA_ACCS independent accumulators.  An FMA
**   has a latency of about 4 cycles and up to 2 issue per cycle, so at
**   least 8 chains must be in flight; 12 leaves slack and still fits in
**   the 16 ymm registers AVX2 has.  Each chain starts from its own value
**   read at run time: chains that start equal are one chain to the
**   compiler, which merges them (GCC does).  The operands too come from
**   the context and the result goes to a volatile sink, so the compiler
**   can neither fold nor drop the loop.  x*a + b with 0 < a < 1 converges
**   and so never reaches infinities or denormals, which could be slow.
** - The read kernels sum the buffer into 8 accumulators: a vector add
**   also has a latency of about 4 cycles, and one chain would measure
**   that instead of the loads.  The accumulators carry over from pass to
**   pass, so no pass can be hoisted out as a repeat of the one before.
** - The L1 and L2 buffers are half the cache, so that they stay in it
**   beside the stack and the benchmark library.  The L3 buffer is an
**   eighth of the L3 (kept between 2 L2s and half the L3): a big L3 is
**   shared by many cores, and on the KVM guest this was written on
**   (260 MiB L3) reads ran at DRAM speed from about 90 MiB on, so half
**   of it would have measured DRAM.  The DRAM buffer is 4 times the L3
**   (at least 256 MiB), so that hardly any of it can still be cached.
**   All are allocated and written before bench_main, so page faults are
**   never timed; this costs a fraction of a second on every run.
** - Small buffers are read many times per call so that each call lasts
**   long enough (READ_BYTES) for the per-call overhead to vanish.
** - Nothing needs -march: kernels carry their own target attribute and
**   are registered only if __builtin_cpu_supports says the CPU has it.
*/

#define _POSIX_C_SOURCE 200809L  /* posix_memalign */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#if defined(__x86_64__) || defined(__i386__)
#define ROOF_X86 1
#include <immintrin.h>
#define ROOF_TARGET(isa) __attribute__((target(isa)))
#else
#define ROOF_X86 0
#endif

#define KiB (1024L)
#define MiB (1024L * 1024L)

#define FMA_ACCS 12
#define FMA_ITERS (1L << 20)   /* per call: a few ms at peak */
#define READ_BYTES (64 * MiB)  /* bytes read per call, at least */
#define READ_STEP 512          /* bytes per round of sum_avx512 */

static volatile float sink;    /* where results go, so none is dead */


/*
** {======================================================
** Peak FMA
** =======================================================
*/

struct fma_ctx {
  long iters;
  float mul, add;
  float start[FMA_ACCS];
};

#if ROOF_X86

ROOF_TARGET("avx512f,fma")
static void fma_avx512(void *ctx) {
  const struct fma_ctx *c = ctx;
  const float *x = c->start;
  __m512 a = _mm512_set1_ps(c->mul), b = _mm512_set1_ps(c->add);
  __m512 x0 = _mm512_set1_ps(x[0]), x1 = _mm512_set1_ps(x[1]), x2 = _mm512_set1_ps(x[2]);
  __m512 x3 = _mm512_set1_ps(x[3]), x4 = _mm512_set1_ps(x[4]), x5 = _mm512_set1_ps(x[5]);
  __m512 x6 = _mm512_set1_ps(x[6]), x7 = _mm512_set1_ps(x[7]), x8 = _mm512_set1_ps(x[8]);
  __m512 x9 = _mm512_set1_ps(x[9]), x10 = _mm512_set1_ps(x[10]), x11 = _mm512_set1_ps(x[11]);
  long i;
  for (i = 0; i < c->iters; i++) {
#define STEP(x) x = _mm512_fmadd_ps(x, a, b)
    STEP(x0); STEP(x1); STEP(x2); STEP(x3); STEP(x4); STEP(x5);
    STEP(x6); STEP(x7); STEP(x8); STEP(x9); STEP(x10); STEP(x11);
#undef STEP
  }
  x0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(x0, x1), _mm512_add_ps(x2, x3)),
                     _mm512_add_ps(_mm512_add_ps(x4, x5), _mm512_add_ps(x6, x7)));
  x0 = _mm512_add_ps(x0, _mm512_add_ps(_mm512_add_ps(x8, x9), _mm512_add_ps(x10, x11)));
  sink = _mm512_reduce_add_ps(x0);
}

ROOF_TARGET("avx")
static float sum8(__m256 x) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

ROOF_TARGET("avx2,fma")
static void fma_avx2(void *ctx) {
  const struct fma_ctx *c = ctx;
  const float *x = c->start;
  __m256 a = _mm256_set1_ps(c->mul), b = _mm256_set1_ps(c->add);
  __m256 x0 = _mm256_set1_ps(x[0]), x1 = _mm256_set1_ps(x[1]), x2 = _mm256_set1_ps(x[2]);
  __m256 x3 = _mm256_set1_ps(x[3]), x4 = _mm256_set1_ps(x[4]), x5 = _mm256_set1_ps(x[5]);
  __m256 x6 = _mm256_set1_ps(x[6]), x7 = _mm256_set1_ps(x[7]), x8 = _mm256_set1_ps(x[8]);
  __m256 x9 = _mm256_set1_ps(x[9]), x10 = _mm256_set1_ps(x[10]), x11 = _mm256_set1_ps(x[11]);
  long i;
  for (i = 0; i < c->iters; i++) {
#define STEP(x) x = _mm256_fmadd_ps(x, a, b)
    STEP(x0); STEP(x1); STEP(x2); STEP(x3); STEP(x4); STEP(x5);
    STEP(x6); STEP(x7); STEP(x8); STEP(x9); STEP(x10); STEP(x11);
#undef STEP
  }
  x0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(x0, x1), _mm256_add_ps(x2, x3)),
                     _mm256_add_ps(_mm256_add_ps(x4, x5), _mm256_add_ps(x6, x7)));
  x0 = _mm256_add_ps(x0, _mm256_add_ps(_mm256_add_ps(x8, x9), _mm256_add_ps(x10, x11)));
  sink = sum8(x0);
}

#endif

static struct fma_ctx fma_ctx;

static void add_fma(const char *name, bench_fn fn, int bits) {
  int lanes = bits / 32;
  double flops = 2.0 * lanes * FMA_ACCS * (double)fma_ctx.iters;
  char label[64];
  int id = bench_register(name, fn, &fma_ctx, flops, 0);
  snprintf(label, sizeof label, "%d-bit FMA, %d accumulators", bits, FMA_ACCS);
  bench_label(id, label);
  bench_counter(id, "lanes", lanes);
  bench_counter(id, "accumulators", FMA_ACCS);
}

static void register_fma(void) {
  int k;
  fma_ctx.iters = FMA_ITERS;
  fma_ctx.mul = 0.999f;
  fma_ctx.add = 0.001f;
  for (k = 0; k < FMA_ACCS; k++) fma_ctx.start[k] = 1.0f + 0.125f * (float)k;
#if ROOF_X86
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma"))
    add_fma("roofline/fma_avx512", fma_avx512, 512);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    add_fma("roofline/fma_avx2", fma_avx2, 256);
#endif
}

/* }====================================================== */


/*
** {======================================================
** Read bandwidth
** =======================================================
*/

typedef float (*sum_fn)(const float *p, size_t n, long passes);

struct read_ctx {
  float *buf;
  size_t n;       /* floats, a multiple of READ_STEP / 4 */
  long passes;
  sum_fn sum;
};

#if ROOF_X86

ROOF_TARGET("avx512f")
static float sum_avx512(const float *p, size_t n, long passes) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  __m512 s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  long k;
  size_t i;
  for (k = 0; k < passes; k++) {
    for (i = 0; i < n; i += 128) {
      s0 = _mm512_add_ps(s0, _mm512_load_ps(p + i));
      s1 = _mm512_add_ps(s1, _mm512_load_ps(p + i + 16));
      s2 = _mm512_add_ps(s2, _mm512_load_ps(p + i + 32));
      s3 = _mm512_add_ps(s3, _mm512_load_ps(p + i + 48));
      s4 = _mm512_add_ps(s4, _mm512_load_ps(p + i + 64));
      s5 = _mm512_add_ps(s5, _mm512_load_ps(p + i + 80));
      s6 = _mm512_add_ps(s6, _mm512_load_ps(p + i + 96));
      s7 = _mm512_add_ps(s7, _mm512_load_ps(p + i + 112));
    }
  }
  s0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)),
                     _mm512_add_ps(_mm512_add_ps(s4, s5), _mm512_add_ps(s6, s7)));
  return _mm512_reduce_add_ps(s0);
}

/* Its round, 8 ymm loads, is half of READ_STEP. */
ROOF_TARGET("avx2")
static float sum_avx2(const float *p, size_t n, long passes) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  __m256 s4 = s0, s5 = s0, s6 = s0, s7 = s0;
  long k;
  size_t i;
  for (k = 0; k < passes; k++) {
    for (i = 0; i < n; i += 64) {
      s0 = _mm256_add_ps(s0, _mm256_load_ps(p + i));
      s1 = _mm256_add_ps(s1, _mm256_load_ps(p + i + 8));
      s2 = _mm256_add_ps(s2, _mm256_load_ps(p + i + 16));
      s3 = _mm256_add_ps(s3, _mm256_load_ps(p + i + 24));
      s4 = _mm256_add_ps(s4, _mm256_load_ps(p + i + 32));
      s5 = _mm256_add_ps(s5, _mm256_load_ps(p + i + 40));
      s6 = _mm256_add_ps(s6, _mm256_load_ps(p + i + 48));
      s7 = _mm256_add_ps(s7, _mm256_load_ps(p + i + 56));
    }
  }
  s0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)),
                     _mm256_add_ps(_mm256_add_ps(s4, s5), _mm256_add_ps(s6, s7)));
  return sum8(s0);
}

#endif

/* Any CPU.  The compiler may vectorize it only as far as its baseline
   ISA allows (SSE2 on x86-64), so it understates the caches, but it
   still shows where DRAM is. */
static float sum_scalar(const float *p, size_t n, long passes) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  long k;
  size_t i, j;
  for (k = 0; k < passes; k++)
    for (i = 0; i < n; i += 8)
      for (j = 0; j < 8; j++) s[j] += p[i + j];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

static const char *pick_sum(sum_fn *fn) {
#if ROOF_X86
  if (__builtin_cpu_supports("avx512f")) { *fn = sum_avx512; return "AVX-512"; }
  if (__builtin_cpu_supports("avx2")) { *fn = sum_avx2; return "AVX2"; }
#endif
  *fn = sum_scalar;
  return "plain C";
}

static void run_read(void *ctx) {
  const struct read_ctx *c = ctx;
  sink = c->sum(c->buf, c->n, c->passes);
}

static void format_size(char *s, size_t len, long bytes) {
  if (bytes % MiB == 0) snprintf(s, len, "%ld MiB", bytes / MiB);
  else if (bytes >= MiB) snprintf(s, len, "%.1f MiB", (double)bytes / MiB);
  else snprintf(s, len, "%ld KiB", bytes / KiB);
}

/* Big buffers are aligned to 2 MiB, where transparent huge pages could
   back them; small ones to a cache line. */
static float *new_buffer(size_t bytes) {
  void *p;
  size_t i, n = bytes / sizeof(float);
  float *f;
  if (posix_memalign(&p, bytes >= 2 * MiB ? 2 * MiB : 64, bytes) != 0) return NULL;
  f = p;
  for (i = 0; i < n; i++) f[i] = (float)(i & 7) * 0.125f;
  return f;
}

static struct read_ctx reads[4];
static int n_reads;

static void add_read(const char *level, long bytes) {
  struct read_ctx *c = &reads[n_reads];
  char name[64], label[64], size[32];
  const char *isa = pick_sum(&c->sum);
  int id;
  bytes -= bytes % READ_STEP;
  c->buf = new_buffer((size_t)bytes);
  if (c->buf == NULL) {
    fprintf(stderr, "roofline: no memory for %ld bytes, read_%s skipped\n", bytes, level);
    return;
  }
  c->n = (size_t)bytes / sizeof(float);
  c->passes = bytes >= READ_BYTES ? 1 : READ_BYTES / bytes;
  n_reads++;
  snprintf(name, sizeof name, "roofline/read_%s", level);
  id = bench_register(name, run_read, c, 0, (double)bytes * c->passes);
  format_size(size, sizeof size, bytes);
  snprintf(label, sizeof label, "read %s (%s), %s", size, level, isa);
  bench_label(id, label);
  bench_counter(id, "bytes", (double)bytes);
  bench_counter(id, "passes", (double)c->passes);
}

/* }====================================================== */


/*
** {======================================================
** Cache sizes
** =======================================================
*/

/* glibc knows the caches of x86 from cpuid; elsewhere it may say 0. */
static long sysconf_cache(int level) {
  long s = -1;
#ifdef _SC_LEVEL1_DCACHE_SIZE
  if (level == 1) s = sysconf(_SC_LEVEL1_DCACHE_SIZE);
  if (level == 2) s = sysconf(_SC_LEVEL2_CACHE_SIZE);
  if (level == 3) s = sysconf(_SC_LEVEL3_CACHE_SIZE);
#else
  (void)level;
#endif
  return s;
}

/* Reads one line of a sysfs file into buf; 0 when there is none. */
static int read_line(const char *path, char *buf, int len) {
  FILE *f = fopen(path, "r");
  int ok;
  if (f == NULL) return 0;
  ok = fgets(buf, len, f) != NULL;
  fclose(f);
  if (ok) buf[strcspn(buf, "\n")] = '\0';
  return ok;
}

/* Linux lists each cache of cpu0 as index0, index1, ...; sizes read "48K". */
static long sysfs_cache(int level) {
  const char *dir = "/sys/devices/system/cpu/cpu0/cache/index";
  char path[128], buf[64];
  char *end;
  long size;
  int i;
  for (i = 0; i < 16; i++) {
    snprintf(path, sizeof path, "%s%d/level", dir, i);
    if (!read_line(path, buf, sizeof buf)) break;
    if (atoi(buf) != level) continue;
    snprintf(path, sizeof path, "%s%d/type", dir, i);
    if (!read_line(path, buf, sizeof buf) || strcmp(buf, "Instruction") == 0) continue;
    snprintf(path, sizeof path, "%s%d/size", dir, i);
    if (!read_line(path, buf, sizeof buf)) continue;
    size = strtol(buf, &end, 10);
    if (*end == 'K') size *= KiB;
    else if (*end == 'M') size *= MiB;
    return size;
  }
  return -1;
}

/* Size of the level's data cache in bytes, or 0 when unknown. */
static long cache_size(int level) {
  long s = sysconf_cache(level);
  if (s <= 0) s = sysfs_cache(level);
  return s > 0 ? s : 0;
}

/* 4 times the L3 and at least 256 MiB; past 256 MiB, no more than a
   quarter of the memory, so that a machine with little does not swap. */
static long dram_bytes(long l3) {
  long want = 4 * l3 > 256 * MiB ? 4 * l3 : 256 * MiB;
#ifdef _SC_PHYS_PAGES
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0 && want / page > pages / 4 && pages / 4 * page >= 256 * MiB)
    want = pages / 4 * page;
#endif
  return want;
}

static long l3_bytes(long l2, long l3) {
  long b = l3 / 8;
  if (b < 2 * l2) b = 2 * l2;
  if (b > l3 / 2) b = l3 / 2;
  return b;
}

static void register_reads(void) {
  long l1 = cache_size(1), l2 = cache_size(2), l3 = cache_size(3);
  if (l1 == 0) l1 = 32 * KiB;
  if (l2 == 0) l2 = 1 * MiB;
  add_read("L1", l1 / 2);
  add_read("L2", l2 / 2);
  if (l3 > 0) add_read("L3", l3_bytes(l2, l3));
  add_read("DRAM", dram_bytes(l3));
}

/* }====================================================== */


int main(int argc, char **argv) {
  int status, i;
  register_fma();
  register_reads();
  status = bench_main(argc, argv);
  for (i = 0; i < n_reads; i++) free(reads[i].buf);
  return status;
}
