/*
** bench_net.c: times the generated network against the naive reference
** and the peer libraries, step by step and whole, through Google
** Benchmark (harness/bench.h).
**
** Linked with the file `convgen --bench` writes (the net and its step
** table, harness/benchnet.h), the one `convgen --reference` writes (the
** unfolded graph for harness/reference.c), the shim and the peers.
**
** Nothing is timed before it is checked: every implementation of every
** step runs once on random inputs and is compared with the naive
** reference; the whole network is compared with the reference run of the
** spec as written (nothing folded).  If anything fails, the program says
** what and exits 1 without timing anything, so a misconfigured peer can
** neither win nor lose.  The autotuner (convgen --tune) times hundreds of
** candidate schedules, a few of which may be wrong: with --keep-going a
** failed implementation is left out, the rest are timed, and each failure
** is also one line it can parse (report_wrong).
**
** A second schedule of the same net may be linked in, its table named
** convgen_bench_net_tuned (GNUmakefile: TUNING=); it is implementation
** "tuned", checked and timed beside "generated".
**
** Options: usage_text below; --benchmark_* go to Google Benchmark.
** Exit status: 0 ok (with --keep-going: something passed and was timed),
** 1 a check failed, 2 bad usage.
*/

#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench.h"
#include "benchnet.h"
#include "peer.h"
#include "refgraph.h"

/* Both may be absent, and are then null: the tuner's binaries carry no
   whole-network reference, and only a TUNING build has a tuned table. */
extern const struct bench_net convgen_bench_net_tuned;
#pragma weak convgen_ref_graph
#pragma weak convgen_bench_net_tuned

#define MAX_ARGS 64

static double bench_tolerance = 1e-4;     /* --tol */

struct options {
  const char *families;      /* comma-separated, or NULL for all */
  unsigned impls;            /* bit i: implementation i (impl_name) */
  int impls_given, steps, net, keep_going;
  int threads;               /* the peers' whole nets; 0: as many as the net's */
  int paired;                /* --paired=ROUNDS: tuned against generated in pairs, no Google Benchmark */
  int rounds;                /* --rounds=N: every case's implementations in turn, no Google Benchmark */
  int in_pass;               /* --in-pass=N: each call of the generated pass, in the pass and alone */
  const char *facts, *rss;
  uint64_t seed;
  double tol;
  int bench_argc;
  char *bench_argv[MAX_ARGS];
};

static const struct peer *const peers[] = {&peer_xnnpack, &peer_onednn};
#define N_PEERS ((int)(sizeof peers / sizeof peers[0]))

/* Implementations by index: these three, then the peers. */
enum { I_GENERATED, I_TUNED, I_REFERENCE, N_OWN };
#define N_IMPLS (N_OWN + N_PEERS)

static const char *impl_name(int i) {
  static const char *const own[N_OWN] = {"generated", "tuned", "reference"};
  return i < N_OWN ? own[i] : peers[i - N_OWN]->name;
}

/* Threads for a peer's whole net. */
static int peer_threads(const struct options *o, const struct bench_net *net) {
  return o->threads ? o->threads : net->threads;
}

/* ---- buffers ------------------------------------------------------------ */

static size_t floats_of(const struct bench_net *net, int t) {
  const struct bench_tensor *x = &net->tensors[t];
  return (size_t)net->batch * (size_t)x->c * (size_t)x->h * (size_t)x->w;
}

/* n floats from byte `shift` of a page.  A load whose address matches a
   pending store's in its low 12 bits waits for it (4K aliasing), and a
   kernel reads x[c][i] and writes y[c][i] at the same offsets in their
   planes: with both buffers at one offset in their pages (as malloc
   returns every large block), MobileNetV2's 28x28 depthwise layers took
   1.2-1.5x their time.  So what a case writes starts half a page from
   what it reads, as a caller's buffers are anywhere in theirs. */
static float *floats_at(size_t n, size_t shift) {
  void *p = NULL;
  if (posix_memalign(&p, 4096, shift + (n ? n : 1) * sizeof(float)) != 0) {
    fprintf(stderr, "bench_net: out of memory (%zu floats)\n", n);
    exit(1);
  }
  return (float *)((char *)p + shift);
}

static float *new_floats(size_t n) { return floats_at(n, 0); }
static float *new_out_floats(size_t n) { return floats_at(n, 2048); }

/* ---- chains -------------------------------------------------------------- */

static int chain_slot(const int *list, int n, int t) {
  for (int i = 0; i < n; i++)
    if (list[i] == t) return i;
  return -1;
}

static int list_has(const int *list, int n, int t) { return chain_slot(list, n, t) >= 0; }

int bench_chain_io(const struct bench_net *net, int first, int last, struct chain_io *io) {
  io->n_inputs = io->n_outputs = 0;
  for (int s = first; s <= last; s++) {
    const struct bench_step *st = &net->steps[s];
    if (st->n_inputs > PEER_MAX_IO) return -1;
    for (int k = 0; k < st->n_inputs; k++) {
      int t = st->inputs[k], produced = 0;
      for (int p = first; p < s; p++) produced |= net->steps[p].output == t;
      if (produced || list_has(io->inputs, io->n_inputs, t)) continue;
      if (io->n_inputs == PEER_MAX_IO) return -1;
      io->inputs[io->n_inputs++] = t;
    }
  }
  for (int s = first; s <= last; s++) {
    int t = net->steps[s].output, read = 0;
    for (int r = first; r <= last; r++) read |= list_has(net->steps[r].inputs, net->steps[r].n_inputs, t);
    if (read && !list_has(net->outputs, net->n_outputs, t)) continue;
    if (io->n_outputs == PEER_MAX_IO) return -1;
    io->outputs[io->n_outputs++] = t;
  }
  return 0;
}

/* ---- the naive reference of one step -------------------------------------- */

/* A step as a graph harness/reference.c can run: the main op, then the
   activation as a layer of its own.  Linear weights go back to [out][in]
   and affine becomes a batchnorm with mean 0, var 1, eps 0. */
struct step_graph {
  struct ref_graph g;
  struct ref_tensor tensors[PEER_MAX_IO + 2];
  struct ref_layer layers[2];
  int inputs[PEER_MAX_IO], outputs[1], main_inputs[PEER_MAX_IO], act_input[1];
  float *owned[3];           /* made here; lives as long as the process */
};

/* A step this file does not know cannot be checked, and an unchecked
   step must never be timed: stop. */
static enum ref_op unknown(const struct bench_step *st, const char *what, int value) {
  fprintf(stderr, "bench_net: step '%s': %s %d has no reference op\n", st->name, what, value);
  exit(1);
}

static enum ref_op ref_op_of_act(const struct bench_step *st) {
  switch (st->act) {
  case BENCH_RELU: return REF_RELU;
  case BENCH_RELU6: return REF_RELU6;
  case BENCH_HARDSWISH: return REF_HARDSWISH;
  case BENCH_SIGMOID: return REF_SIGMOID;
  case BENCH_HARDSIGMOID: return REF_HARDSIGMOID;
  case BENCH_ACT_NONE: break;
  }
  return unknown(st, "activation", (int)st->act);
}

static enum ref_op ref_op_of_kind(const struct bench_step *st) {
  switch (st->kind) {
  case BENCH_CONV: return REF_CONV;
  case BENCH_LINEAR: return REF_LINEAR;
  case BENCH_ADD: return REF_ADD;
  case BENCH_CONCAT: return REF_CONCAT;
  case BENCH_AVGPOOL: return REF_AVGPOOL;
  case BENCH_MAXPOOL: return REF_MAXPOOL;
  case BENCH_GAP: return REF_GAP;
  case BENCH_AFFINE: return REF_BATCHNORM;
  case BENCH_ACT: return ref_op_of_act(st);
  case BENCH_MUL: return REF_MUL;
  case BENCH_SHUFFLE: return REF_SHUFFLE;
  case BENCH_SLICE: return REF_SLICE;
  }
  return unknown(st, "kind", (int)st->kind);
}

static struct ref_tensor ref_tensor_of(const struct bench_net *net, int t) {
  const struct bench_tensor *x = &net->tensors[t];
  struct ref_tensor r = {x->name, net->batch, x->c, x->h, x->w};
  return r;
}

static void set_main_params(struct step_graph *sg, const struct bench_net *net, const struct bench_step *st) {
  struct ref_layer *l = &sg->layers[0];
  l->weight = st->weight;
  l->bias = st->bias;
  if (st->kind == BENCH_LINEAR) {
    const struct bench_tensor *x = &net->tensors[st->inputs[0]], *y = &net->tensors[st->output];
    size_t in = (size_t)x->c * (size_t)x->h * (size_t)x->w, out = (size_t)y->c;
    float *w = new_floats(in * out);
    for (size_t o = 0; o < out; o++)
      for (size_t i = 0; i < in; i++) w[o * in + i] = st->weight[i * out + o];
    l->weight = sg->owned[0] = w;
  } else if (st->kind == BENCH_AFFINE) {
    int c = net->tensors[st->output].c;
    float *mean = new_floats((size_t)c), *var = new_floats((size_t)c);
    for (int i = 0; i < c; i++) mean[i] = 0, var[i] = 1;
    sg->owned[1] = mean, sg->owned[2] = var;
    l->gamma = st->scale, l->beta = st->shift, l->mean = mean, l->var = var, l->eps = 0;
  }
}

/* io: the step's distinct inputs (a step may read one tensor twice). */
static void build_step_graph(struct step_graph *sg, const struct bench_net *net, int s, const struct chain_io *io) {
  const struct bench_step *st = &net->steps[s];
  memset(sg, 0, sizeof *sg);
  int n = io->n_inputs, with_act = st->act != BENCH_ACT_NONE && st->kind != BENCH_ACT;
  for (int k = 0; k < n; k++) {
    sg->tensors[k] = ref_tensor_of(net, io->inputs[k]);
    sg->inputs[k] = k;
  }
  for (int k = 0; k < st->n_inputs; k++) sg->main_inputs[k] = chain_slot(io->inputs, n, st->inputs[k]);
  sg->tensors[n] = ref_tensor_of(net, st->output);        /* the main op's result */
  sg->tensors[n + 1] = sg->tensors[n];                     /* after the activation */
  struct ref_layer *l = &sg->layers[0];
  l->name = st->name;
  l->op = ref_op_of_kind(st);
  l->n_inputs = st->n_inputs, l->inputs = sg->main_inputs, l->output = n;
  l->kh = st->kh, l->kw = st->kw, l->sh = st->sh, l->sw = st->sw;
  l->pad_top = st->pad_top, l->pad_bottom = st->pad_bottom, l->pad_left = st->pad_left, l->pad_right = st->pad_right;
  l->dh = st->dh, l->dw = st->dw, l->groups = st->groups, l->count_include_pad = st->count_include_pad;
  l->start = st->start, l->stop = st->stop;
  set_main_params(sg, net, st);
  if (with_act) {
    struct ref_layer *a = &sg->layers[1];
    a->name = st->name, a->op = ref_op_of_act(st);
    sg->act_input[0] = n;
    a->n_inputs = 1, a->inputs = sg->act_input, a->output = n + 1;
  }
  sg->outputs[0] = with_act ? n + 1 : n;
  sg->g.name = st->name;
  sg->g.n_tensors = n + 1 + with_act;
  sg->g.tensors = sg->tensors;
  sg->g.n_layers = 1 + with_act;
  sg->g.layers = sg->layers;
  sg->g.n_inputs = n, sg->g.inputs = sg->inputs;
  sg->g.n_outputs = 1, sg->g.outputs = sg->outputs;
}

/* ---- one case: a step, or the whole net -------------------------------- */

enum impl_kind { IMPL_GENERATED, IMPL_REFERENCE, IMPL_PEER };

struct bench_case {
  const struct bench_net *net;
  int first, last;               /* steps; the whole net is 0..n_steps-1 */
  int whole;
  struct chain_io io;
  float **in, **want;            /* per chain input / output, NCHW */
  struct step_graph sg;          /* the reference of a single step */
  float *workspace;              /* the generated whole net's */
  struct runner *runner[N_IMPLS];  /* those that passed their check, by implementation */
};

struct runner {                  /* what a registered benchmark calls */
  struct bench_case *c;
  enum impl_kind kind;
  const struct bench_net *gen;   /* IMPL_GENERATED: the default schedule or the tuned one */
  float *workspace;              /* gen's, for the whole net */
  const struct peer *peer;
  void *chain;
  float **out;
};

/* The whole net's inputs and outputs in the order NAME_forward takes
   them: the chain lists them by first use. */
static void net_order(const struct bench_case *c, float *const *out, const float **in_net, float **out_net) {
  const struct bench_net *net = c->net;
  for (int i = 0; i < net->n_inputs; i++) in_net[i] = c->in[chain_slot(c->io.inputs, c->io.n_inputs, net->inputs[i])];
  for (int i = 0; i < net->n_outputs; i++) out_net[i] = out[chain_slot(c->io.outputs, c->io.n_outputs, net->outputs[i])];
}

/* net: c->net or a schedule of it with the same tensors (tuned_match). */
static void run_generated(struct bench_case *c, const struct bench_net *net, float *workspace, float *const *out) {
  if (c->whole) {
    const float *in[PEER_MAX_IO];
    float *o[PEER_MAX_IO];
    net_order(c, out, in, o);
    net->forward_with(workspace, in, o);
    return;
  }
  const struct bench_step *st = &net->steps[c->first];
  size_t out_size = floats_of(net, st->output) / (size_t)net->batch;
  for (int n = 0; n < net->batch; n++) {
    const float *in[PEER_MAX_IO];
    for (int k = 0; k < st->n_inputs; k++) {
      int slot = chain_slot(c->io.inputs, c->io.n_inputs, st->inputs[k]);
      in[k] = c->in[slot] + (size_t)n * (floats_of(net, st->inputs[k]) / (size_t)net->batch);
    }
    st->run(in, out[0] + (size_t)n * out_size);
  }
}

static void run_reference(struct bench_case *c, float *const *out) {
  const struct ref_graph *g = c->whole ? &convgen_ref_graph : &c->sg.g;
  const float *in[PEER_MAX_IO];
  float *o[PEER_MAX_IO];
  if (c->whole) net_order(c, out, in, o);
  if (ref_run(g, c->whole ? in : (const float *const *)c->in, c->whole ? o : out) != 0) {
    fprintf(stderr, "bench_net: the reference refused '%s'\n", g->name);
    exit(1);
  }
}

static void run_runner(void *ctx) {
  struct runner *r = ctx;
  if (r->kind == IMPL_GENERATED) run_generated(r->c, r->gen, r->workspace, r->out);
  else if (r->kind == IMPL_REFERENCE) run_reference(r->c, r->out);
  else if (r->peer->run(r->chain) != 0) {
    fprintf(stderr, "bench_net: %s failed while timing\n", r->peer->name);
    exit(1);
  }
}

/* A case of steps first..last; whole: the net's forward pass (which, for
   a net of one step, covers the same step as a step case). */
static void init_case(struct bench_case *c, const struct bench_net *net, int first, int last, int whole,
                      uint64_t seed) {
  memset(c, 0, sizeof *c);
  c->net = net, c->first = first, c->last = last, c->whole = whole;
  if (bench_chain_io(net, first, last, &c->io) != 0) {
    fprintf(stderr, "bench_net: steps %d..%d have more than %d inputs or outputs\n", first, last, PEER_MAX_IO);
    exit(1);
  }
  if (c->whole) {
    /* An input no step reads still has an argument; it goes last, where
       a peer's load never looks. */
    for (int i = 0; i < net->n_inputs; i++)
      if (!list_has(c->io.inputs, c->io.n_inputs, net->inputs[i])) {
        if (c->io.n_inputs == PEER_MAX_IO) exit(1);
        c->io.inputs[c->io.n_inputs++] = net->inputs[i];
      }
    c->workspace = new_out_floats((size_t)net->workspace_floats);
  } else {
    build_step_graph(&c->sg, net, first, &c->io);
  }
  uint64_t state = seed;
  c->in = calloc((size_t)c->io.n_inputs, sizeof(float *));
  c->want = calloc((size_t)c->io.n_outputs, sizeof(float *));
  for (int k = 0; k < c->io.n_inputs; k++) {
    size_t n = floats_of(net, c->io.inputs[k]);
    c->in[k] = new_floats(n);
    ref_fill_uniform(c->in[k], n, &state);
  }
  for (int k = 0; k < c->io.n_outputs; k++) c->want[k] = new_floats(floats_of(net, c->io.outputs[k]));
}

static float **new_outputs(const struct bench_case *c) {
  float **out = calloc((size_t)c->io.n_outputs, sizeof(float *));
  for (int k = 0; k < c->io.n_outputs; k++) {
    size_t n = floats_of(c->net, c->io.outputs[k]);
    out[k] = new_out_floats(n);
    for (size_t i = 0; i < n; i++) out[k][i] = NAN;  /* an unwritten output fails */
  }
  return out;
}

/* The worst normalized error over the outputs (harness/reference.c's
   ref_compare, the checker's measure); inf if an output holds NaN or inf. */
static double case_error(const struct bench_case *c, float *const *got) {
  double worst = 0;
  for (int k = 0; k < c->io.n_outputs; k++) {
    struct ref_diff d;
    ref_compare(got[k], c->want[k], floats_of(c->net, c->io.outputs[k]), bench_tolerance, &d);
    if (d.normalized > worst) worst = d.normalized;
  }
  return worst;
}

/* ---- facts: what was checked, as JSON --------------------------------- */

static FILE *facts;

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', f);
    if ((unsigned char)*s >= 0x20) fputc(*s, f);
  }
  fputc('"', f);
}

static void fact_check(const char *impl, const char *status, double error, const char *why, size_t bytes, int *first) {
  if (!facts) return;
  fprintf(facts, "%s\n      ", *first ? "" : ",");
  *first = 0;
  json_string(facts, impl);
  fprintf(facts, ": {\"status\": \"%s\"", status);
  if (isfinite(error)) fprintf(facts, ", \"error\": %.3g", error);
  if (why) fputs(", \"why\": ", facts), json_string(facts, why);
  if (bytes) fprintf(facts, ", \"memory_bytes\": %zu", bytes);
  fputc('}', facts);
}

/* Bytes a case must move at the least: its inputs and outputs once, its
   weights once.  Over the whole net, every intermediate once each way. */
static double case_bytes(const struct bench_case *c) {
  const struct bench_net *net = c->net;
  double floats = 0;
  for (int s = c->first; s <= c->last; s++) {
    const struct bench_step *st = &net->steps[s];
    const struct bench_tensor *x = &net->tensors[st->inputs[0]], *y = &net->tensors[st->output];
    for (int k = 0; k < st->n_inputs; k++) floats += (double)floats_of(net, st->inputs[k]);
    floats += (double)floats_of(net, st->output);
    if (st->kind == BENCH_CONV) floats += (double)y->c * (x->c / st->groups) * st->kh * st->kw;
    if (st->kind == BENCH_LINEAR) floats += (double)y->c * x->c * x->h * x->w;
    if (st->bias) floats += y->c;
  }
  return 4 * floats;
}

static void fact_case_open(const struct bench_case *c, const char *label, double macs, int first_case) {
  if (!facts) return;
  const struct bench_net *net = c->net;
  fprintf(facts, "%s\n    {\"name\": ", first_case ? "" : ",");
  json_string(facts, c->whole ? "forward" : net->steps[c->first].name);
  fputs(", \"family\": ", facts);
  json_string(facts, c->whole ? "net" : net->steps[c->first].family);
  fputs(", \"layers\": ", facts);
  json_string(facts, c->whole ? net->name : net->steps[c->first].layers);
  fputs(", \"shape\": ", facts);
  json_string(facts, label);
  fprintf(facts, ", \"macs\": %.0f, \"bytes\": %.0f, \"checks\": {", macs, case_bytes(c));
}

/* ---- registering -------------------------------------------------------- */

/* " 3x3/2 g32": kernel, stride and groups, for the label; a shuffle's
   groups and a slice's channels, which its shapes do not show. */
static const char *kernel_text(const struct bench_step *st, char *buf, size_t size) {
  buf[0] = 0;
  if (st->kind == BENCH_SHUFFLE) snprintf(buf, size, " g%d", st->groups);
  else if (st->kind == BENCH_SLICE) snprintf(buf, size, " [%d:%d]", st->start, st->stop);
  else if (st->kh > 0 && st->groups > 1) snprintf(buf, size, " %dx%d/%d g%d", st->kh, st->kw, st->sh, st->groups);
  else if (st->kh > 0) snprintf(buf, size, " %dx%d/%d", st->kh, st->kw, st->sh);
  return buf;
}

static void case_label(const struct bench_case *c, char *buf, size_t size) {
  const struct bench_net *net = c->net;
  if (c->whole) {
    const struct bench_tensor *x = &net->tensors[net->inputs[0]], *y = &net->tensors[net->outputs[0]];
    snprintf(buf, size, "%dx%dx%d -> %dx%dx%d, %d steps", x->c, x->h, x->w, y->c, y->h, y->w, net->n_steps);
    return;
  }
  const struct bench_step *st = &net->steps[c->first];
  const struct bench_tensor *x = &net->tensors[st->inputs[0]], *y = &net->tensors[st->output];
  char k[64];
  if (st->kind == BENCH_MUL && floats_of(net, st->inputs[1]) > floats_of(net, st->inputs[0]))
    x = &net->tensors[st->inputs[1]];   /* the full operand, not the per-channel scale */
  snprintf(buf, size, "%s%s %dx%dx%d -> %dx%dx%d", st->family, kernel_text(st, k, sizeof k),
           x->c, x->h, x->w, y->c, y->h, y->w);
}

static double case_macs(const struct bench_case *c) {
  double macs = 0;
  for (int s = c->first; s <= c->last; s++) macs += c->net->steps[s].macs;
  return macs * c->net->batch;
}

static void register_runner(struct runner *r, const char *impl, const char *label, double macs) {
  char name[512];
  const struct bench_net *net = r->c->net;
  snprintf(name, sizeof name, "%s/%s/%s", net->name, r->c->whole ? "forward" : net->steps[r->c->first].name, impl);
  int id = bench_register(name, run_runner, r, 2 * macs, case_bytes(r->c));
  bench_label(id, label);
  bench_counter(id, "MACs", macs);
}

/* A failed check: the message for people, and with --keep-going also one
   line in a fixed form for the tuner, which drops that candidate and
   keeps the rest of the run. */
static void report_wrong(const struct bench_case *c, const char *impl, double error, const char *library_error,
                         int keep_going) {
  const char *step = c->whole ? "forward" : c->net->steps[c->first].name;
  if (library_error)
    fprintf(stderr, "bench_net: %s / %s: %s: %s\n", c->net->name, step, impl, library_error);
  else
    fprintf(stderr, "bench_net: %s / %s: %s differs from the reference (normalized error %.3g)\n", c->net->name,
            step, impl, error);
  if (keep_going) fprintf(stderr, "bench_net: WRONG %s %s %.3g\n", step, impl, error);
}

/* Checks the selected implementations of one case and registers those
   that pass; tuned: the tuned net if it has this case, else NULL.
   Returns the number that failed; *registered counts those registered. */
static int check_and_register(struct bench_case *c, int first_case, const struct options *o,
                              const struct bench_net *tuned, int *registered) {
  char label[256];
  case_label(c, label, sizeof label);
  double macs = case_macs(c);
  int failures = 0, first_fact = 1;
  fact_case_open(c, label, macs, first_case);
  for (int i = 0; i < N_IMPLS; i++) {
    if (!(o->impls & 1u << i) || (i == I_TUNED && !tuned)) continue;
    struct runner *r = calloc(1, sizeof *r);
    r->c = c;
    r->kind = i == I_GENERATED || i == I_TUNED ? IMPL_GENERATED : i == I_REFERENCE ? IMPL_REFERENCE : IMPL_PEER;
    const char *impl = impl_name(i);
    size_t bytes = 0;
    r->out = new_outputs(c);
    if (r->kind == IMPL_REFERENCE) {
      fact_check(impl, "reference", NAN, NULL, 0, &first_fact);
      register_runner(r, impl, label, macs);
      ++*registered;
      c->runner[i] = r;
      continue;
    }
    if (r->kind == IMPL_PEER) {
      char why[256] = "";
      r->peer = peers[i - N_OWN];
      int threads = c->whole ? peer_threads(o, c->net) : 1;
      r->chain = r->peer->create(c->net, c->first, c->last, threads, why, sizeof why);
      if (!r->chain) {
        fact_check(impl, "unsupported", NAN, why, 0, &first_fact);
        fprintf(stderr, "bench_net: %s / %s: %s cannot run it: %s\n", c->net->name, label, impl, why);
        continue;
      }
      r->peer->load(r->chain, (const float *const *)c->in);
      if (r->peer->run(r->chain) != 0) {
        fact_check(impl, "error", NAN, "the library reported an error", 0, &first_fact);
        report_wrong(c, impl, INFINITY, "the library reported an error", o->keep_going);
        failures++;
        continue;
      }
      r->peer->read(r->chain, r->out);
      bytes = r->peer->memory_bytes(r->chain);
    } else {
      r->gen = i == I_TUNED ? tuned : c->net;
      r->workspace = c->workspace;
      if (c->whole && i == I_TUNED) r->workspace = new_out_floats((size_t)tuned->workspace_floats);
      run_generated(c, r->gen, r->workspace, r->out);
      bytes = c->whole ? (size_t)r->gen->workspace_floats * sizeof(float) : 0;
    }
    double e = case_error(c, r->out);
    int ok = e <= bench_tolerance;
    fact_check(impl, ok ? "pass" : "FAIL", e, NULL, bytes, &first_fact);
    if (!ok) {
      report_wrong(c, impl, e, NULL, o->keep_going);
      failures++;
      continue;
    }
    register_runner(r, impl, label, macs);
    ++*registered;
    c->runner[i] = r;
  }
  if (facts) fputs("}}", facts);
  return failures;
}

/* The tuned table must be a schedule of the same net, so that a case's
   inputs and reference serve both.  Returns 2 if its steps match too
   (same layers, ops and tensors, step by step), 1 if only the whole
   forward pass does (a tuning that fuses differently splits the net into
   other steps), 0 if not even that; why says what differs. */
static int tuned_match(const struct bench_net *a, const struct bench_net *b, char *why, size_t size) {
  if (a->batch != b->batch || a->n_inputs != b->n_inputs || a->n_outputs != b->n_outputs) {
    snprintf(why, size, "batch, inputs or outputs differ");
    return 0;
  }
  for (int k = 0; k < a->n_inputs + a->n_outputs; k++) {
    int ta = k < a->n_inputs ? a->inputs[k] : a->outputs[k - a->n_inputs];
    int tb = k < b->n_inputs ? b->inputs[k] : b->outputs[k - b->n_inputs];
    const struct bench_tensor *x = &a->tensors[ta], *y = &b->tensors[tb];
    if (ta != tb || x->c != y->c || x->h != y->h || x->w != y->w) {
      snprintf(why, size, "input or output '%s' differs", x->name);
      return 0;
    }
  }
  if (a->n_steps != b->n_steps || a->n_tensors != b->n_tensors) {
    snprintf(why, size, "%d steps and %d tensors, not %d and %d", b->n_steps, b->n_tensors, a->n_steps, a->n_tensors);
    return 1;
  }
  for (int t = 0; t < a->n_tensors; t++) {
    const struct bench_tensor *x = &a->tensors[t], *y = &b->tensors[t];
    if (x->c != y->c || x->h != y->h || x->w != y->w) {
      snprintf(why, size, "tensor %d ('%s') differs", t, x->name);
      return 1;
    }
  }
  for (int s = 0; s < a->n_steps; s++) {
    const struct bench_step *x = &a->steps[s], *y = &b->steps[s];
    int same = strcmp(x->layers, y->layers) == 0 && x->kind == y->kind && x->act == y->act &&
               x->n_inputs == y->n_inputs && x->output == y->output;
    for (int k = 0; same && k < x->n_inputs; k++) same = x->inputs[k] == y->inputs[k];
    if (!same) {
      snprintf(why, size, "step %d is '%s' (%s), not '%s' (%s)", s, y->name, y->layers, x->name, x->layers);
      return 1;
    }
  }
  return 2;
}

/* ---- options ---------------------------------------------------------- */

static const char usage_text[] =
    "usage: NAME_bench [--families=LIST] [--impls=LIST] [--no-steps] [--no-net] [--keep-going]\n"
    "                  [--facts=FILE] [--rss=IMPL] [--threads=N] [--paired=ROUNDS] [--rounds=N]\n"
    "                  [--in-pass=N] [--seed=N] [--tol=X] [--benchmark_...]\n"
    "  --families=LIST  time only steps of these kernel families (conv,gconv,dwconv,pwconv,...)\n"
    "  --impls=LIST     check and time only these of generated,tuned,reference,xnnpack,onednn\n"
    "                   (default: all there are); the reference checks the others regardless\n"
    "  --no-steps       time only the whole forward pass;  --no-net: only the steps\n"
    "  --keep-going     leave out what fails its check and time the rest; each failure\n"
    "                   also prints 'bench_net: WRONG STEP IMPL ERROR' (STEP 'forward': the net)\n"
    "  --facts=FILE     write what was checked (per case: shape, MACs, bytes, errors) as JSON\n"
    "  --rss=IMPL       run only IMPL's whole net (generated, xnnpack, onednn); print peak RSS\n"
    "  --threads=N      run the peers' whole nets on N threads (default: as many as the\n"
    "                   generated net, convgen --threads); their steps run on one\n"
    "  --paired=ROUNDS  time the whole nets generated and tuned in ROUNDS pairs of\n"
    "                   back-to-back runs instead; print each pair's times as JSON\n"
    "  --rounds=N       time each case's implementations (not the reference) in turn,\n"
    "                   a few ms each, in N rounds instead; print each round's times\n"
    "                   as JSON (harness/rounds_table.py reads them)\n"
    "  --in-pass=N      time each call of the generated forward pass (a step or a fused\n"
    "                   block) where it runs, over N passes, and the same call alone,\n"
    "                   N times in a row; print a table of the medians (batch 1, one thread)\n"
    "  --seed=N         inputs' seed (1);  --tol=X: normalized error allowed (1e-4)\n"
    "  --benchmark_...  Google Benchmark's flags: filter, min_time, repetitions, out, ...\n";

static int usage(const char *msg) {
  fprintf(stderr, "bench_net: %s\n%s", msg, usage_text);
  return 2;
}

/* Whether name is an item of the comma-separated list. */
static int in_list(const char *list, const char *name) {
  size_t n = strlen(name);
  for (const char *p = list; *p;) {
    size_t len = strcspn(p, ",");
    if (len == n && strncmp(p, name, n) == 0) return 1;
    p += len + (p[len] == ',');
  }
  return 0;
}

/* --impls=LIST as a mask; 0 if it names something unknown or nothing. */
static unsigned impls_of(const char *list) {
  unsigned mask = 0;
  for (const char *p = list; *p;) {
    size_t len = strcspn(p, ",");
    int found = -1;
    for (int i = 0; i < N_IMPLS; i++)
      if (strlen(impl_name(i)) == len && strncmp(p, impl_name(i), len) == 0) found = i;
    if (found < 0) return 0;
    mask |= 1u << found;
    p += len + (p[len] == ',');
  }
  return mask;
}

/* The number `text` spells, if it is all digits and from lo (at least 1)
   to hi; 0 otherwise. */
static int count_of(const char *text, long lo, long hi) {
  char *end;
  long n = strtol(text, &end, 10);
  return *end || end == text || n < lo || n > hi ? 0 : (int)n;
}

static int parse_options(int argc, char **argv, struct options *o) {
  memset(o, 0, sizeof *o);
  o->steps = o->net = 1, o->seed = 1, o->tol = 1e-4;
  o->impls = (1u << N_IMPLS) - 1;
  o->bench_argv[o->bench_argc++] = argv[0];
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    char *end;
    if (strcmp(a, "--help") == 0) {
      fputs(usage_text, stdout);
      exit(0);
    } else if (strncmp(a, "--families=", 11) == 0) o->families = a + 11;
    else if (strcmp(a, "--no-steps") == 0) o->steps = 0;
    else if (strcmp(a, "--no-net") == 0) o->net = 0;
    else if (strcmp(a, "--keep-going") == 0) o->keep_going = 1;
    else if (strncmp(a, "--facts=", 8) == 0) o->facts = a + 8;
    else if (strncmp(a, "--rss=", 6) == 0) o->rss = a + 6;
    else if (strncmp(a, "--impls=", 8) == 0) {
      o->impls = impls_of(a + 8);
      if (!o->impls) return usage("--impls takes a list of generated, tuned, reference, xnnpack, onednn");
      o->impls_given = 1;
    } else if (strncmp(a, "--threads=", 10) == 0) {
      if (!(o->threads = count_of(a + 10, 1, 256))) return usage("--threads takes a number from 1 to 256");
    } else if (strncmp(a, "--paired=", 9) == 0) {
      if (!(o->paired = count_of(a + 9, 3, 100000))) return usage("--paired takes a number of rounds from 3");
    } else if (strncmp(a, "--rounds=", 9) == 0) {
      if (!(o->rounds = count_of(a + 9, 1, 100000))) return usage("--rounds takes a number from 1 to 100000");
    } else if (strncmp(a, "--in-pass=", 10) == 0) {
      if (!(o->in_pass = count_of(a + 10, 1, 100000))) return usage("--in-pass takes a number from 1 to 100000");
    } else if (strncmp(a, "--seed=", 7) == 0) {
      o->seed = strtoull(a + 7, &end, 10);
      if (*end || end == a + 7) return usage("--seed takes a number");
    } else if (strncmp(a, "--tol=", 6) == 0) {
      o->tol = strtod(a + 6, &end);
      if (*end || !(o->tol > 0)) return usage("--tol takes a positive number");
    } else if (strncmp(a, "--benchmark_", 12) == 0 && o->bench_argc < MAX_ARGS - 1) {
      o->bench_argv[o->bench_argc++] = argv[i];
    } else {
      char msg[256];
      snprintf(msg, sizeof msg, "unknown option '%s'", a);
      return usage(msg);
    }
  }
  o->bench_argv[o->bench_argc] = NULL;
  return 0;
}

static int family_selected(const struct options *o, const char *family) {
  return !o->families || in_list(o->families, family);
}

/* ---- peak RSS of one implementation's whole network -------------------- */

static long max_rss_kb(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

static int report_rss(const struct bench_net *net, const char *impl, int threads, uint64_t seed) {
  long before = max_rss_kb();
  struct bench_case c;
  init_case(&c, net, 0, net->n_steps - 1, 1, seed);
  float **out = new_outputs(&c);
  if (strcmp(impl, "generated") == 0) {
    for (int i = 0; i < 3; i++) run_generated(&c, net, c.workspace, out);
  } else {
    const struct peer *p = NULL;
    for (int i = 0; i < N_PEERS; i++)
      if (strcmp(peers[i]->name, impl) == 0) p = peers[i];
    if (!p) return usage("--rss takes generated, xnnpack or onednn");
    char why[256] = "";
    void *chain = p->create(net, 0, net->n_steps - 1, threads, why, sizeof why);
    if (!chain) {
      printf("{\"implementation\": \"%s\", \"unsupported\": \"%s\"}\n", impl, why);
      return 0;
    }
    p->load(chain, (const float *const *)c.in);
    for (int i = 0; i < 3; i++) p->run(chain);
  }
  printf("{\"implementation\": \"%s\", \"baseline_rss_kb\": %ld, \"peak_rss_kb\": %ld}\n", impl, before, max_rss_kb());
  return 0;
}

/* ---- tuned against generated, in pairs -------------------------------- */

/* A tuner's gain is a few percent, and this machine's speed drifts by more
   within seconds.  Google Benchmark's repetitions, even interleaved, are
   each a tenth of a second of one net: drift between them widens any
   comparison.  Here each round runs both nets back to back, alternating
   which goes first, so that a pair shares its moment and its ratio
   cancels the drift.  harness/bench_table.py takes the median of the
   ratios and its interval. */

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* calls of r, after one untimed: each side is timed warm, as in Google
   Benchmark's loop, not just after the other net has had the caches. */
static double seconds_of(struct runner *r, int calls) {
  run_runner(r);
  double t0 = seconds_now();
  for (int i = 0; i < calls; i++) run_runner(r);
  return seconds_now() - t0;
}

/* Calls of r that take at least `seconds` together. */
static int calls_for(struct runner *r, double seconds) {
  double once = seconds_of(r, 3) / 3;
  return once >= seconds ? 1 : (int)(seconds / once) + 1;
}

static int run_pairs(const struct bench_case *whole, int rounds) {
  struct runner *a = whole ? whole->runner[I_GENERATED] : NULL, *b = whole ? whole->runner[I_TUNED] : NULL;
  if (!a || !b) {
    fprintf(stderr, "bench_net: --paired needs the whole nets generated and tuned (make bench TUNING=FILE)\n");
    return 2;
  }
  /* enough calls that a side takes 10 ms, far above the clock's grain */
  int calls = calls_for(a, 0.01);
  printf("{\"net\": \"%s\", \"calls_per_side\": %d, \"pairs\": [", whole->net->name, calls);
  for (int r = 0; r < rounds; r++) {
    double ta, tb;
    if (r % 2 == 0) ta = seconds_of(a, calls), tb = seconds_of(b, calls);
    else tb = seconds_of(b, calls), ta = seconds_of(a, calls);
    printf("%s\n  {\"generated_ms\": %.6f, \"tuned_ms\": %.6f}", r ? "," : "", 1e3 * ta / calls, 1e3 * tb / calls);
  }
  printf("\n]}\n");
  return fflush(stdout) == 0 ? 0 : 1;
}

/* --rounds=N: each case's implementations (not the reference), each in
   turn for a few ms, N rounds, the first of a round moving on by one each
   round.  The noise on a shared machine comes in bursts of seconds: one
   round lies within a burst or outside it as a whole, so the ratio of two
   implementations' times in one round is nearly free of it.  Google
   Benchmark's repetitions time one implementation at a time, and a burst
   that falls on some of one side's repetitions moves its median. */
static int run_rounds(const struct bench_net *net, struct bench_case *const *cases, int n_cases, int rounds) {
  printf("{\"net\": ");
  json_string(stdout, net->name);
  printf(", \"rounds\": %d, \"cases\": [", rounds);
  int first_case = 1;
  for (int k = 0; k < n_cases; k++) {
    const struct bench_case *c = cases[k];
    struct runner *timed[N_IMPLS];
    const char *names[N_IMPLS];
    int n = 0;
    for (int i = 0; i < N_IMPLS; i++)
      if (c->runner[i] && i != I_REFERENCE) timed[n] = c->runner[i], names[n++] = impl_name(i);
    if (n < 2) continue;
    int calls = calls_for(timed[0], 0.002);
    char label[256];
    case_label(c, label, sizeof label);
    printf("%s\n  {\"step\": ", first_case ? "" : ",");
    json_string(stdout, c->whole ? "forward" : c->net->steps[c->first].name);
    printf(", \"family\": ");
    json_string(stdout, c->whole ? "net" : c->net->steps[c->first].family);
    printf(", \"label\": ");
    json_string(stdout, label);
    printf(", \"calls\": %d, \"impls\": [", calls);
    for (int j = 0; j < n; j++) printf("%s\"%s\"", j ? ", " : "", names[j]);
    printf("], \"ms\": [");
    first_case = 0;
    for (int r = 0; r < rounds; r++) {
      double ms[N_IMPLS];
      for (int j = 0; j < n; j++) {
        int at = (j + r) % n;
        ms[at] = 1e3 * seconds_of(timed[at], calls) / calls;
      }
      printf("%s[", r ? ", " : "");
      for (int j = 0; j < n; j++) printf("%s%.6f", j ? ", " : "", ms[j]);
      printf("]");
    }
    printf("]}");
  }
  printf("\n]}\n");
  return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- each call of the pass, in the pass and alone ---------------------- */

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median_of(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, compare_doubles);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* --in-pass=N: a layer alone, called again and again, finds its weights,
   its activations and its code in cache; in the pass the layers before it
   have had the caches.  This times each call of the pass (a step, or a
   fused block) where it runs, over N passes, and then alone: the calls
   before it once, so that its inputs are the pass's, then it N times in
   a row.  The table shows which calls lose in the pass, and by how much. */
static int run_in_pass(struct bench_case *whole, int passes) {
  const struct bench_net *net = whole->net;
  if (!net->pass_step) {
    fprintf(stderr, "bench_net: --in-pass needs a net of batch 1 on one thread (%s: batch %d, %d threads)\n",
            net->name, net->batch, net->threads);
    return 2;
  }
  int n = net->n_pass_steps;
  float **out = new_outputs(whole);
  const float *in[PEER_MAX_IO];
  float *o[PEER_MAX_IO];
  net_order(whole, out, in, o);
  float *ws = whole->workspace;
  /* the calls in order are the pass: from a workspace of NaN (a call
     left out, or one that reads what it should not, fails), they make
     what the reference makes */
  for (long i = 0; i < net->workspace_floats; i++) ws[i] = NAN;
  for (int i = 0; i < n; i++) net->pass_step(i, ws, in, o);
  double error = case_error(whole, out);
  if (!(error <= bench_tolerance)) {
    fprintf(stderr, "bench_net: %s: the pass made call by call differs from the reference (error %g)\n",
            net->name, error);
    return 1;
  }
  double *in_pass = malloc(sizeof(double) * (size_t)n * (size_t)passes);
  double *alone = malloc(sizeof(double) * (size_t)passes), *sums = malloc(sizeof(double) * (size_t)passes);
  for (int r = 0; r < passes; r++) {
    sums[r] = 0;
    for (int i = 0; i < n; i++) {
      double t0 = seconds_now();
      net->pass_step(i, ws, in, o);
      double t = seconds_now() - t0;
      in_pass[(size_t)i * (size_t)passes + (size_t)r] = t, sums[r] += t;
    }
  }
  printf("%s: %d passes; per call of the pass, the median time in the pass, and alone\n", net->name, passes);
  printf("%-40s %12s %12s %7s\n", "call", "in pass us", "alone us", "ratio");
  double total_pass = 0, total_alone = 0;
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < i; j++) net->pass_step(j, ws, in, o);
    net->pass_step(i, ws, in, o);
    for (int r = 0; r < passes; r++) {
      double t0 = seconds_now();
      net->pass_step(i, ws, in, o);
      alone[r] = seconds_now() - t0;
    }
    double p = median_of(in_pass + (size_t)i * (size_t)passes, passes), a = median_of(alone, passes);
    total_pass += p, total_alone += a;
    printf("%-40s %12.1f %12.1f %7.3f\n", net->pass_steps[i], 1e6 * p, 1e6 * a, p / a);
  }
  printf("%-40s %12.1f %12.1f %7.3f\n", "sum of the medians", 1e6 * total_pass, 1e6 * total_alone,
         total_pass / total_alone);
  printf("%-40s %12.1f\n", "the pass (median of its calls' sums)", 1e6 * median_of(sums, passes));
  free(in_pass), free(alone), free(sums);
  return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- main ------------------------------------------------------------- */

int main(int argc, char **argv) {
  struct options o;
  if (parse_options(argc, argv, &o) != 0) return 2;
  const struct bench_net *net = &convgen_bench_net;
  bench_tolerance = o.tol;
  if (o.rss) return report_rss(net, o.rss, peer_threads(&o, net), o.seed);
  if (!!o.paired + !!o.rounds + !!o.in_pass > 1)
    return usage("--paired, --rounds and --in-pass are ways of timing; give one");
  if (o.in_pass && !o.net) return usage("--in-pass times the whole pass; leave out --no-net");
  if (o.net && !&convgen_ref_graph) {
    fprintf(stderr, "bench_net: this binary has no whole-network reference (convgen_ref_graph); try --no-net\n");
    return 2;
  }
  const struct bench_net *tuned = (o.impls & 1u << I_TUNED) ? &convgen_bench_net_tuned : NULL;
  int tuned_fit = 0;
  if (!tuned && o.impls_given && (o.impls & 1u << I_TUNED)) {
    fprintf(stderr, "bench_net: this binary has no tuned net (make bench TUNING=FILE builds one)\n");
    return 2;
  }
  if (tuned) {
    char why[256] = "";
    tuned_fit = tuned_match(net, tuned, why, sizeof why);
    if (tuned_fit == 0) {
      fprintf(stderr, "bench_net: the tuned net is not %s: %s\n", net->name, why);
      return 1;
    }
    if (tuned_fit == 1)
      fprintf(stderr, "bench_net: the tuned schedule has other steps (%s): tuned runs the whole net only\n", why);
  }
  if (o.facts && !(facts = fopen(o.facts, "w"))) {
    fprintf(stderr, "bench_net: cannot write %s\n", o.facts);
    return 2;
  }
  if (facts) {
    fprintf(facts, "{\"net\": ");
    json_string(facts, net->name);
    fprintf(facts, ", \"batch\": %d, \"threads\": %d, \"peer_threads\": %d, ", net->batch, net->threads,
            peer_threads(&o, net));
    if (tuned) fprintf(facts, "\"tuned_threads\": %d, ", tuned->threads);
    fprintf(facts, "\"workspace_bytes\": %ld, \"cases\": [", net->workspace_floats * (long)sizeof(float));
  }
  int failures = 0, cases = 0, registered = 0;
  struct bench_case **all = malloc((size_t)(net->n_steps + 1) * sizeof *all), *whole = NULL;
  for (int s = 0; o.steps && s < net->n_steps; s++) {
    if (!family_selected(&o, net->steps[s].family)) continue;
    struct bench_case *c = all[cases] = malloc(sizeof *c);
    init_case(c, net, s, s, 0, o.seed + (uint64_t)s);
    run_reference(c, c->want);
    failures += check_and_register(c, cases++ == 0, &o, tuned_fit == 2 ? tuned : NULL, &registered);
  }
  if (o.net) {
    struct bench_case *c = whole = all[cases] = malloc(sizeof *c);
    init_case(c, net, 0, net->n_steps - 1, 1, o.seed);
    run_reference(c, c->want);
    failures += check_and_register(c, cases++ == 0, &o, tuned, &registered);
  }
  if (facts) fputs("\n  ]}\n", facts), fclose(facts);
  if (failures && !(o.keep_going && registered)) {
    fprintf(stderr, "bench_net: %d check(s) failed; nothing timed\n", failures);
    return 1;
  }
  if (failures)
    fprintf(stderr, "bench_net: %s: %d check(s) failed; timing the %d that passed (--keep-going)\n", net->name,
            failures, registered);
  else
    fprintf(stderr, "bench_net: %s: every implementation of %d case(s) matches the reference (tolerance %g)\n",
            net->name, cases, o.tol);
  if (o.paired) return failures ? 1 : run_pairs(whole, o.paired);
  if (o.rounds) return failures ? 1 : run_rounds(net, all, cases, o.rounds);
  if (o.in_pass) return failures ? 1 : run_in_pass(whole, o.in_pass);
  return bench_main(o.bench_argc, o.bench_argv);
}
