/*
** check.c: compares the generated network with the naive reference.
**
** Linked with harness/reference.c and with the C file that
** `convgen --reference` writes, which defines convgen_ref_graph; its
** forward calls the generated network.  Both run on the same random
** inputs and every graph output is compared.
**
** Exit status: 0 all outputs pass, 1 some output fails, 2 bad usage,
** 3 the graph is unusable (ref_run refused it, or its input and output
** tables are broken).
*/

#define _POSIX_C_SOURCE 200809L  /* clock_gettime */

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "refgraph.h"

struct options {
  uint64_t seed;
  double tol;
  int bench, runs, quiet;
};

struct buffers {
  float **in;     /* graph inputs */
  float **gen;    /* outputs of the generated network */
  float **ref;    /* outputs of the reference */
};

static int usage(const char *msg) {
  if (msg != NULL) fprintf(stderr, "check: %s\n", msg);
  fputs("usage: check [--seed N] [--tol X] [--bench] [--runs N] [--quiet]\n"
        "  --seed N   inputs from splitmix64 seeded with N (default 1)\n"
        "  --tol X    largest error allowed, relative to the largest\n"
        "             magnitude in each output (default 1e-4)\n"
        "  --bench    also time both, median of --runs runs; the\n"
        "             reference's time includes its allocations\n"
        "  --runs N   timed runs for --bench (default 11)\n"
        "  --quiet    print only failing outputs and the verdict\n", stderr);
  return 2;
}


/*
** {======================================================
** Options
** =======================================================
*/

/* strtoull would take "-1" as a huge number, so digits only. */
static int parse_u64(const char *s, uint64_t *v) {
  char *end;
  unsigned long long x;
  if (s == NULL || *s < '0' || *s > '9') return 0;
  errno = 0;
  x = strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0') return 0;
  *v = x;
  return 1;
}

static int parse_runs(const char *s, int *runs) {
  uint64_t x;
  if (!parse_u64(s, &x) || x < 1 || x > 1000000) return 0;
  *runs = (int)x;
  return 1;
}

static int parse_tol(const char *s, double *tol) {
  char *end;
  double x;
  if (s == NULL) return 0;
  errno = 0;
  x = strtod(s, &end);
  if (errno != 0 || end == s || *end != '\0' || !(x >= 0) || isinf(x))
    return 0;
  *tol = x;
  return 1;
}

/* Returns 0, or 2 (the exit status) after telling what is wrong. */
static int parse_options(int argc, char **argv, struct options *o) {
  int i;
  o->seed = 1;
  o->tol = 1e-4;
  o->bench = 0;
  o->runs = 11;
  o->quiet = 0;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--bench") == 0) o->bench = 1;
    else if (strcmp(a, "--quiet") == 0) o->quiet = 1;
    else if (strcmp(a, "--seed") == 0) {
      if (!parse_u64(value, &o->seed))
        return usage("--seed needs a non-negative integer");
      i++;
    }
    else if (strcmp(a, "--tol") == 0) {
      if (!parse_tol(value, &o->tol))
        return usage("--tol needs a non-negative number");
      i++;
    }
    else if (strcmp(a, "--runs") == 0) {
      if (!parse_runs(value, &o->runs))
        return usage("--runs needs a positive integer");
      i++;
    }
    else {
      fprintf(stderr, "check: unknown option '%s'\n", a);
      return usage(NULL);
    }
  }
  return 0;
}

/* }====================================================== */


/*
** {======================================================
** Buffers and inputs
** =======================================================
*/

static size_t tensor_size(const struct ref_tensor *t) {
  return (size_t)t->n * t->c * t->h * t->w;
}

/*
** ref_run checks the whole graph, but the buffers it is handed are made
** here from the input and output tables, so those are checked first.
*/
static int check_io_table(const struct ref_graph *g, const char *what,
                          int n, const int *table) {
  int k;
  if (n < 0 || (n > 0 && table == NULL)) {
    fprintf(stderr, "check: graph has no %s table\n", what);
    return 0;
  }
  for (k = 0; k < n; k++) {
    const struct ref_tensor *t;
    if (table[k] < 0 || table[k] >= g->n_tensors) {
      fprintf(stderr, "check: graph %s %d is tensor %d, out of range\n",
              what, k, table[k]);
      return 0;
    }
    t = &g->tensors[table[k]];
    if (t->n < 1 || t->c < 1 || t->h < 1 || t->w < 1) {
      fprintf(stderr, "check: graph %s %d has shape %dx%dx%dx%d\n",
              what, k, t->n, t->c, t->h, t->w);
      return 0;
    }
  }
  return 1;
}

static int usable_graph(const struct ref_graph *g) {
  if (g->forward == NULL || g->forward_with == NULL) {
    fputs("check: graph has no forward function\n", stderr);
    return 0;
  }
  if (g->n_tensors < 0 || (g->n_tensors > 0 && g->tensors == NULL)) {
    fputs("check: graph has no tensor table\n", stderr);
    return 0;
  }
  return check_io_table(g, "input", g->n_inputs, g->inputs)
         && check_io_table(g, "output", g->n_outputs, g->outputs);
}

static void free_list(float **list, int n) {
  int k;
  if (list == NULL) return;
  for (k = 0; k < n; k++) free(list[k]);
  free(list);
}

/* One buffer per entry of table; NULL if memory runs out. */
static float **new_list(const struct ref_graph *g, int n, const int *table) {
  float **list = calloc((size_t)n + 1, sizeof *list);  /* + 1: n may be 0 */
  int k;
  if (list == NULL) return NULL;
  for (k = 0; k < n; k++) {
    list[k] = malloc(tensor_size(&g->tensors[table[k]]) * sizeof(float));
    if (list[k] == NULL) {
      free_list(list, n);
      return NULL;
    }
  }
  return list;
}

static void free_buffers(const struct ref_graph *g, struct buffers *b) {
  free_list(b->in, g->n_inputs);
  free_list(b->gen, g->n_outputs);
  free_list(b->ref, g->n_outputs);
}

static int new_buffers(const struct ref_graph *g, struct buffers *b) {
  b->in = new_list(g, g->n_inputs, g->inputs);
  b->gen = new_list(g, g->n_outputs, g->outputs);
  b->ref = new_list(g, g->n_outputs, g->outputs);
  if (b->in != NULL && b->gen != NULL && b->ref != NULL) return 1;
  free_buffers(g, b);
  fputs("check: out of memory\n", stderr);
  return 0;
}

/*
** The state starts at the seed and runs on through all inputs in their
** argument order, each in NCHW order, one draw per element.  A draw's
** top 24 bits make u = (z >> 40) / 2^24 in [0, 1); the element is
** 2u - 1, exact in float, so the inputs are uniform in [-1, 1).  Seed 1
** starts 0.13312304, 0.49156344, 0.94200540, -0.11128163 (a check for
** anyone making the same inputs elsewhere).
*/
static void fill_inputs(const struct ref_graph *g, float **in,
                        uint64_t seed) {
  uint64_t state = seed;
  int k;
  for (k = 0; k < g->n_inputs; k++)
    ref_fill_uniform(in[k], tensor_size(&g->tensors[g->inputs[k]]), &state);
}

/* An element the generated code never writes then shows as NaN. */
static void poison_outputs(const struct ref_graph *g, float **out) {
  int k;
  size_t i;
  for (k = 0; k < g->n_outputs; k++)
    for (i = 0; i < tensor_size(&g->tensors[g->outputs[k]]); i++)
      out[k][i] = NAN;
}

/* }====================================================== */


/*
** {======================================================
** Comparing
** =======================================================
*/

static void print_worst(const struct ref_tensor *t, const struct ref_diff *d,
                        const float *gen, const float *ref, size_t size) {
  size_t i = d->worst;
  int x = (int)(i % t->w), y = (int)(i / t->w % t->h);
  int c = (int)(i / ((size_t)t->w * t->h) % t->c);
  int n = (int)(i / ((size_t)t->w * t->h * t->c));
  printf("  worst at n=%d c=%d y=%d x=%d: got %.9g want %.9g\n",
         n, c, y, x, gen[i], ref[i]);
  printf("  %zu of %zu elements mismatch", d->mismatches, size);
  if (d->nonfinite > 0) printf(", %zu not finite", d->nonfinite);
  printf("\n");
}

/* Returns whether output k passes, printing its line (and why not). */
static int check_output(const struct ref_graph *g, int k,
                        const struct buffers *b, const struct options *o) {
  const struct ref_tensor *t = &g->tensors[g->outputs[k]];
  size_t size = tensor_size(t);
  struct ref_diff d;
  int ok;
  ref_compare(b->gen[k], b->ref[k], size, o->tol, &d);
  ok = ref_passes(&d, o->tol);
  if (ok && o->quiet) return 1;
  printf("output '%s' %dx%dx%dx%d: max_abs %.2e max_rel %.1e "
         "normalized %.1e (tol %.1e) %s\n",
         t->name != NULL ? t->name : "?", t->n, t->c, t->h, t->w,
         d.max_abs, d.max_rel, d.normalized, o->tol, ok ? "PASS" : "FAIL");
  if (!ok) print_worst(t, &d, b->gen[k], b->ref[k], size);
  return ok;
}

/*
** The generated code gets its inputs as const; an in-place layer that
** wrote to one anyway would go unnoticed by the outputs alone when the
** reference ran first.  The seed gives the inputs again, draw for draw.
*/
static int inputs_intact(const struct ref_graph *g, float **in,
                         uint64_t seed) {
  float **fresh = new_list(g, g->n_inputs, g->inputs);
  int k, intact = 1;
  if (fresh == NULL) return 1;  /* nothing to compare with: not a fault */
  fill_inputs(g, fresh, seed);
  for (k = 0; k < g->n_inputs; k++) {
    const struct ref_tensor *t = &g->tensors[g->inputs[k]];
    if (memcmp(in[k], fresh[k], tensor_size(t) * sizeof(float)) != 0) {
      printf("input '%s': changed by the generated forward FAIL\n",
             t->name != NULL ? t->name : "?");
      intact = 0;
    }
  }
  free_list(fresh, g->n_inputs);
  return intact;
}

/* }====================================================== */


/*
** {======================================================
** Timing
** =======================================================
*/

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *t, int n) {
  qsort(t, (size_t)n, sizeof *t, by_value);
  return n % 2 == 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

/*
** The runs that produced the compared outputs were the warm-up.  The
** reference's times include the malloc and free of all its tensors and
** its check of the graph: it is the baseline, not a rival.
** Returns 0, 1 if memory runs out, or 3 if ref_run refuses the graph.
*/
static int bench(const struct ref_graph *g, const struct buffers *b,
                 int runs) {
  const float *const *in = (const float *const *)b->in;
  double *gen_ms = malloc((size_t)runs * sizeof *gen_ms);
  double *ref_ms = malloc((size_t)runs * sizeof *ref_ms);
  double gen, ref, t0;
  int i, status = 0;
  if (gen_ms == NULL || ref_ms == NULL) {
    fputs("check: out of memory for --bench\n", stderr);
    status = 1;
  }
  for (i = 0; i < runs && status == 0; i++) {
    t0 = now_ms();
    g->forward(in, b->gen);
    gen_ms[i] = now_ms() - t0;
  }
  for (i = 0; i < runs && status == 0; i++) {
    t0 = now_ms();
    if (ref_run(g, in, b->ref) != 0) status = 3;
    ref_ms[i] = now_ms() - t0;
  }
  if (status == 0) {
    gen = median(gen_ms, runs);
    ref = median(ref_ms, runs);
    printf("generated %.3f ms  reference %.3f ms  speedup %.1fx "
           "(median of %d)\n", gen, ref, gen > 0 ? ref / gen : INFINITY,
           runs);
  }
  free(gen_ms);
  free(ref_ms);
  return status;
}

/* }====================================================== */


/*
** NAME_forward (static arena) must give bit for bit what NAME_forward_with
** gave on the NaN-filled workspace; b->ref is free to hold it by now.
*/
static int static_arena_agrees(const struct ref_graph *g, struct buffers *b) {
  int k, same = 1;
  g->forward((const float *const *)b->in, b->ref);
  for (k = 0; k < g->n_outputs; k++) {
    const struct ref_tensor *t = &g->tensors[g->outputs[k]];
    if (memcmp(b->gen[k], b->ref[k], tensor_size(t) * sizeof(float)) != 0) {
      printf("output '%s': NAME_forward differs from NAME_forward_with FAIL\n",
             t->name != NULL ? t->name : "?");
      same = 0;
    }
  }
  return same;
}

/* Runs the generated forward_with on a workspace full of NaN. */
static int run_on_poisoned_workspace(const struct ref_graph *g, struct buffers *b) {
  size_t n = g->workspace_floats > 0 ? (size_t)g->workspace_floats : 1, i;
  float *workspace = malloc(n * sizeof *workspace);
  if (workspace == NULL) {
    fputs("check: out of memory for the workspace\n", stderr);
    return 0;
  }
  for (i = 0; i < n; i++) workspace[i] = NAN;
  g->forward_with(workspace, (const float *const *)b->in, b->gen);
  free(workspace);
  return 1;
}

static int run_check(const struct ref_graph *g, const struct options *o) {
  struct buffers b;
  const float *const *in;
  int k, ok = 1, status;
  if (!new_buffers(g, &b)) return 1;
  in = (const float *const *)b.in;
  fill_inputs(g, b.in, o->seed);
  poison_outputs(g, b.gen);
  /* The reference first: it refuses a graph that might crash the
     generated code. */
  if (ref_run(g, in, b.ref) != 0) {
    free_buffers(g, &b);
    return 3;
  }
  if (!run_on_poisoned_workspace(g, &b)) {
    free_buffers(g, &b);
    return 1;
  }
  for (k = 0; k < g->n_outputs; k++)
    ok &= check_output(g, k, &b, o);
  ok &= inputs_intact(g, b.in, o->seed);
  ok &= static_arena_agrees(g, &b);
  status = o->bench ? bench(g, &b, o->runs) : 0;
  free_buffers(g, &b);
  return status != 0 ? status : ok ? 0 : 1;
}

/* The last line is always PASS or FAIL, whatever went wrong. */
int main(int argc, char **argv) {
  const struct ref_graph *g = &convgen_ref_graph;
  struct options o;
  int status = parse_options(argc, argv, &o);
  if (status != 0) return status;
  if (!usable_graph(g)) status = 3;
  else {
    if (!o.quiet)
      printf("graph '%s': %d layers, %d inputs, %d outputs, seed %llu\n",
             g->name != NULL ? g->name : "?", g->n_layers, g->n_inputs,
             g->n_outputs, (unsigned long long)o.seed);
    status = run_check(g, &o);
    if (g->stop_threads != NULL) g->stop_threads();
  }
  if (status == 3) fputs("check: the graph is unusable\n", stderr);
  puts(status == 0 ? "PASS" : "FAIL");
  return status;
}
