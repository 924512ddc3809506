/*
** peer_onednn.c: the benchmark steps in oneDNN 2.6 (C API), as a peer
** (harness/peer.h) the generated code is compared with.
**
** A chain is built the way a careful oneDNN user builds a network for
** inference on a given number of CPU threads (one, unless the benchmark
** asks for more):
**   - every primitive is forward_inference and lets oneDNN choose its
**     layouts where it can (`any` for conv and inner product src, weights
**     and dst; `any` dst for pooling and binary); the others work in the
**     layout their input already has;
**   - each tensor lives in the layout of the primitive that produces it; a
**     consumer that wants another layout gets a reorder, run as part of the
**     chain (what a user would have to run too);
**   - except that a conv whose choice differs from the layout most of the
**     net's convs pick, and whose input is already in that layout, keeps
**     it where an optimized kernel takes it (see keep_input_layout);
**   - weights are reordered into the chosen layout once, at create;
**   - the step's activation is eltwise post-ops of its primitive (one, or
**     two for hardsigmoid, which 2.6 lacks: linear, then clip), or,
**     where a primitive takes none, an in-place eltwise after it;
**   - all primitives share one user-managed scratchpad, as large as the
**     largest any of them asks for.
**
** Chain inputs: a tensor some step of the net produces takes the layout it
** has when the whole net runs (found by planning the whole net first, see
** plan_layouts), so a step timed alone sees what it sees inside the net,
** reorder included.  A net input takes the layout its first conv or linear
** consumer asks for, else the net's favourite (else NCHW).  `load` and
** `read` reorder from and to NCHW outside the timed run.
*/

#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

#include "peer.h"

#define MAX_ARGS (PEER_MAX_IO + 4)
#define MAX_COPIES 4

struct op {                      /* one primitive, run in order by run() */
  dnnl_primitive_t prim;
  int n_args;
  int scratch_arg;               /* index of its scratchpad argument, or -1 */
  dnnl_exec_arg_t args[MAX_ARGS];
};

struct layout_copy {             /* a tensor reordered for a consumer */
  dnnl_memory_desc_t md;
  dnnl_memory_t mem;
};

struct tensor {
  int live;                      /* written by a step or loaded as an input */
  dnnl_memory_desc_t md;         /* its layout */
  dnnl_memory_t mem;
  int n_copies;
  struct layout_copy copies[MAX_COPIES];
};

struct transfer {                /* NCHW user buffer <-> a chain tensor, untimed */
  dnnl_memory_t user;            /* its handle is set at load / read */
  dnnl_primitive_t reorder;
  dnnl_memory_t inner;
};

struct chain {
  const struct bench_net *net;
  int planning;                  /* only find the layouts: no memory, no primitives */
  const dnnl_memory_desc_t *layouts;  /* planned, per tensor (ndims 0: unplanned), or NULL */
  dnnl_format_tag_t favourite;   /* the activation layout most convs pick, or undef */
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  struct tensor *tensors;        /* indexed like net->tensors */
  struct op *ops;
  int n_ops, max_ops;
  dnnl_memory_t *mems;           /* every memory object to destroy */
  int n_mems, max_mems;
  dnnl_primitive_desc_t pd;      /* the step's main primitive, while it is built */
  size_t scratch_bytes;
  dnnl_memory_t scratch;
  struct chain_io io;
  struct transfer in[PEER_MAX_IO], out[PEER_MAX_IO];
  size_t bytes;                  /* what memory_bytes reports */
  const char *step;              /* the step being built, for messages */
  char *why;
  size_t why_size;
  int failed;
  int threads;                   /* OpenMP threads it is planned and run on */
};

/* ---- errors ------------------------------------------------------------- */

/* Fills why with the first failure only: later ones are consequences. */
static int refuse(struct chain *c, const char *what) {
  if (!c->failed && c->why && c->why_size)
    snprintf(c->why, c->why_size, "step '%s': %s", c->step ? c->step : "(chain setup)", what);
  c->failed = 1;
  return -1;
}

static int fail(struct chain *c, dnnl_status_t s, const char *what) {
  char text[200];
  snprintf(text, sizeof text, "%s failed: dnnl_%s", what, dnnl_status2str(s));
  return refuse(c, text);
}

/* An activation or step kind added to benchnet.h but not here. */
static int unknown(struct chain *c, const char *what, int value) {
  char text[100];
  snprintf(text, sizeof text, "%s %d, which this peer does not know", what, value);
  return refuse(c, text);
}

/* Returns -1 from the enclosing function, why filled, if a dnnl call fails. */
#define TRY(c, call, what)                                   \
  do {                                                       \
    dnnl_status_t try_status_ = (call);                      \
    if (try_status_ != dnnl_success) return fail((c), try_status_, (what)); \
  } while (0)

/* ---- threads ------------------------------------------------------------ */

/* Debian's libdnnl runs on OpenMP (libgomp, see `ldd`), which reads
   OMP_NUM_THREADS when it is loaded, at program start, so setting the
   variable here would be too late.  omp_set_num_threads(n) sets the calling
   thread's limit instead: oneDNN asks omp_get_max_threads() both when it
   plans a primitive and when it runs one, so the limit is set before each
   (chains of different thread counts live in one process); with 1 it runs
   inline and libgomp starts no workers.  We find the functions at run time
   because the link line names only -ldnnl, not libgomp; dlopen(NULL)
   searches every library loaded at startup. */
static void (*omp_set_threads)(int);
static int (*omp_max_threads)(void);

static int find_openmp(char *why, size_t why_size) {
  unsigned runtime = dnnl_version()->cpu_runtime;
  if (runtime == DNNL_RUNTIME_SEQ || omp_set_threads) return 0;
  if (runtime != DNNL_RUNTIME_OMP) {
    snprintf(why, why_size, "libdnnl's CPU runtime is %u, neither OpenMP nor sequential: "
             "cannot set its threads", runtime);
    return -1;
  }
  void *self = dlopen(NULL, RTLD_LAZY), *set_sym = NULL, *max_sym = NULL;
  if (self) set_sym = dlsym(self, "omp_set_num_threads"), max_sym = dlsym(self, "omp_get_max_threads");
  /* memcpy: ISO C has no conversion from void * to a function pointer. */
  if (set_sym && max_sym) {
    memcpy(&omp_set_threads, &set_sym, sizeof omp_set_threads);
    memcpy(&omp_max_threads, &max_sym, sizeof omp_max_threads);
  }
  if (self) dlclose(self);
  if (!omp_set_threads) {
    snprintf(why, why_size, "libdnnl runs on OpenMP but the OpenMP runtime was not found");
    return -1;
  }
  return 0;
}

/* 0 if oneDNN will plan and run on n threads from here on. */
static int use_threads(int n) {
  if (dnnl_version()->cpu_runtime == DNNL_RUNTIME_SEQ) return n == 1 ? 0 : -1;
  omp_set_threads(n);
  return omp_max_threads() == n ? 0 : -1;
}

/* ---- memory --------------------------------------------------------------- */

static void dims_of(const struct chain *c, int t, dnnl_dims_t d) {
  const struct bench_tensor *x = &c->net->tensors[t];
  d[0] = c->net->batch, d[1] = x->c, d[2] = x->h, d[3] = x->w;
}

static dnnl_status_t md_tag(dnnl_memory_desc_t *md, int ndims, const dnnl_dims_t dims, dnnl_format_tag_t tag) {
  return dnnl_memory_desc_init_by_tag(md, ndims, dims, dnnl_f32, tag);
}

static int own(struct chain *c, dnnl_memory_t mem) {
  if (c->n_mems == c->max_mems) {
    int n = c->max_mems ? 2 * c->max_mems : 64;
    dnnl_memory_t *p = realloc(c->mems, (size_t)n * sizeof *p);
    if (!p) {
      dnnl_memory_destroy(mem);
      return refuse(c, "out of memory");
    }
    c->mems = p, c->max_mems = n;
  }
  c->mems[c->n_mems++] = mem;
  return 0;
}

/* A memory object the chain destroys.  handle: DNNL_MEMORY_ALLOCATE (then
   its size counts in memory_bytes), or a buffer someone else owns (the
   driver's weights, another memory's buffer).  Nothing while planning. */
static int new_memory(struct chain *c, const dnnl_memory_desc_t *md, void *handle, dnnl_memory_t *mem) {
  *mem = NULL;
  if (c->planning) return 0;
  TRY(c, dnnl_memory_create(mem, md, c->engine, handle), "memory_create");
  if (own(c, *mem) != 0) return -1;
  if (handle == DNNL_MEMORY_ALLOCATE) c->bytes += dnnl_memory_desc_get_size(md);
  return 0;
}

/* The driver's arrays are const; oneDNN only reads weights, bias, scale
   and shift, but its memory objects take a plain pointer. */
static void *given(const float *p) {
  return (void *)p;
}

/* ---- primitives ----------------------------------------------------------- */

#define MAX_ELTWISE 2

struct eltwise {                 /* one oneDNN eltwise operation */
  dnnl_alg_kind_t alg;
  float alpha, beta;
};

/* The activation as eltwise operations applied in order: returns how many
   (0 for none), or -1 for an activation this peer does not know, which
   must be refused, never run as something else. */
static int act_eltwise(enum bench_act act, struct eltwise e[MAX_ELTWISE]) {
  memset(e, 0, MAX_ELTWISE * sizeof *e);
  switch (act) {
  case BENCH_ACT_NONE: return 0;
  case BENCH_RELU: e[0].alg = dnnl_eltwise_relu; return 1;            /* alpha: slope below 0 */
  case BENCH_RELU6: e[0].alg = dnnl_eltwise_clip, e[0].beta = 6; return 1;  /* min(max(x, alpha), beta) */
  case BENCH_HARDSWISH:
    /* x * relu6(x + 3) / 6 as in PyTorch.  2.6 ignores alpha and beta
       (checked); 3.x reads them as x * clip(alpha x + beta, 0, 1). */
    e[0].alg = dnnl_eltwise_hardswish, e[0].alpha = 1.0f / 6, e[0].beta = 0.5f;
    return 1;
  case BENCH_SIGMOID: e[0].alg = dnnl_eltwise_logistic; return 1;
  case BENCH_HARDSIGMOID:
    /* 2.6 has no hardsigmoid (3.0 adds one): relu6(x + 3) / 6 is
       x / 6 + 1/2 (linear: alpha x + beta) clipped to [0, 1]. */
    e[0].alg = dnnl_eltwise_linear, e[0].alpha = 1.0f / 6, e[0].beta = 0.5f;
    e[1].alg = dnnl_eltwise_clip, e[1].alpha = 0, e[1].beta = 1;
    return 2;
  }
  return -1;
}

/* Attributes for every primitive of a chain: a user-managed scratchpad
   (one buffer for the chain), and the activation as post-ops if given. */
static dnnl_status_t new_attr(enum bench_act act, dnnl_primitive_attr_t *attr) {
  struct eltwise e[MAX_ELTWISE];
  int n = act_eltwise(act, e);
  dnnl_post_ops_t po = NULL;
  if (n < 0) return *attr = NULL, dnnl_invalid_arguments;
  dnnl_status_t s = dnnl_primitive_attr_create(attr);
  if (s != dnnl_success) return s;
  s = dnnl_primitive_attr_set_scratchpad_mode(*attr, dnnl_scratchpad_mode_user);
  if (s == dnnl_success && n > 0) {
    s = dnnl_post_ops_create(&po);
    for (int i = 0; i < n && s == dnnl_success; i++)
      s = dnnl_post_ops_append_eltwise(po, 1.0f, e[i].alg, e[i].alpha, e[i].beta);
    if (s == dnnl_success) s = dnnl_primitive_attr_set_post_ops(*attr, po);
    if (po) dnnl_post_ops_destroy(po);
  }
  if (s != dnnl_success) dnnl_primitive_attr_destroy(*attr), *attr = NULL;
  return s;
}

/* The primitive descriptor of op_desc with act fused as a post-op; where
   the primitive takes no such post-op, without it (*fused = 0: the caller
   runs the activation separately). */
static dnnl_status_t new_pd(struct chain *c, const_dnnl_op_desc_t op_desc, enum bench_act act,
                            dnnl_primitive_desc_t *pd, int *fused) {
  dnnl_primitive_attr_t attr;
  *pd = NULL;
  *fused = act != BENCH_ACT_NONE;
  dnnl_status_t s = new_attr(act, &attr);
  if (s != dnnl_success) return s;
  s = dnnl_primitive_desc_create(pd, op_desc, attr, c->engine, NULL);
  dnnl_primitive_attr_destroy(attr);
  if (s != dnnl_unimplemented || !*fused) return s;
  *fused = 0;
  if ((s = new_attr(BENCH_ACT_NONE, &attr)) != dnnl_success) return s;
  s = dnnl_primitive_desc_create(pd, op_desc, attr, c->engine, NULL);
  dnnl_primitive_attr_destroy(attr);
  return s;
}

static const dnnl_memory_desc_t *pd_md(const_dnnl_primitive_desc_t pd, dnnl_query_t what) {
  return dnnl_primitive_desc_query_md(pd, what, 0);
}

/* Appends the primitive of *pd to the run, taking *pd (destroyed, set to
   NULL) whatever happens.  Adds the scratchpad argument if it needs one;
   finish() points it at the chain's scratchpad. */
static int add_op(struct chain *c, dnnl_primitive_desc_t *pd, const dnnl_exec_arg_t *args, int n_args) {
  dnnl_primitive_desc_t p = *pd;
  *pd = NULL;
  if (c->planning) return dnnl_primitive_desc_destroy(p), 0;
  const dnnl_memory_desc_t *scratch = pd_md(p, dnnl_query_scratchpad_md);
  size_t scratch_bytes = scratch ? dnnl_memory_desc_get_size(scratch) : 0;
  if (c->n_ops == c->max_ops) {
    int n = c->max_ops ? 2 * c->max_ops : 32;
    struct op *ops = realloc(c->ops, (size_t)n * sizeof *ops);
    if (!ops) return dnnl_primitive_desc_destroy(p), refuse(c, "out of memory");
    c->ops = ops, c->max_ops = n;
  }
  struct op *op = &c->ops[c->n_ops];
  dnnl_status_t s = dnnl_primitive_create(&op->prim, p);
  dnnl_primitive_desc_destroy(p);
  if (s != dnnl_success) return fail(c, s, "primitive_create");
  c->n_ops++;
  memcpy(op->args, args, (size_t)n_args * sizeof *args);
  op->n_args = n_args, op->scratch_arg = -1;
  if (scratch_bytes > 0) {
    op->scratch_arg = op->n_args;
    op->args[op->n_args].arg = DNNL_ARG_SCRATCHPAD, op->args[op->n_args++].memory = NULL;
    if (scratch_bytes > c->scratch_bytes) c->scratch_bytes = scratch_bytes;
  }
  return 0;
}

/* A reorder from one layout to another, as part of the timed run. */
static int add_reorder(struct chain *c, dnnl_memory_t from, const dnnl_memory_desc_t *from_md,
                       dnnl_memory_t to, const dnnl_memory_desc_t *to_md) {
  dnnl_primitive_attr_t attr;
  dnnl_primitive_desc_t pd;
  TRY(c, new_attr(BENCH_ACT_NONE, &attr), "attributes");
  dnnl_status_t s = dnnl_reorder_primitive_desc_create(&pd, from_md, c->engine, to_md, c->engine, attr);
  dnnl_primitive_attr_destroy(attr);
  if (s != dnnl_success) return fail(c, s, "reorder between activation layouts");
  dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
  return add_op(c, &pd, args, 2);
}

/* Runs a reorder once, now (weights at create, load, read): untimed. */
static int reorder_now(struct chain *c, dnnl_memory_t from, dnnl_memory_t to, const char *what) {
  const dnnl_memory_desc_t *from_md, *to_md;
  dnnl_primitive_desc_t pd;
  dnnl_primitive_t prim;
  TRY(c, dnnl_memory_get_memory_desc(from, &from_md), what);
  TRY(c, dnnl_memory_get_memory_desc(to, &to_md), what);
  TRY(c, dnnl_reorder_primitive_desc_create(&pd, from_md, c->engine, to_md, c->engine, NULL), what);
  dnnl_status_t s = dnnl_primitive_create(&prim, pd);
  dnnl_primitive_desc_destroy(pd);
  if (s != dnnl_success) return fail(c, s, what);
  dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
  s = dnnl_primitive_execute(prim, c->stream, 2, args);
  if (s == dnnl_success) s = dnnl_stream_wait(c->stream);
  dnnl_primitive_destroy(prim);
  return s == dnnl_success ? 0 : fail(c, s, what);
}

/* ---- tensors ---------------------------------------------------------------- */

/* Gives tensor t its layout and (unless planning) its memory. */
static int tensor_out(struct chain *c, int t, const dnnl_memory_desc_t *md) {
  struct tensor *x = &c->tensors[t];
  if (x->live) return refuse(c, "writes a tensor twice");
  x->live = 1, x->md = *md;
  return new_memory(c, md, DNNL_MEMORY_ALLOCATE, &x->mem);
}

/* Tensor t in layout want: its own memory, or a copy that a reorder
   (made once per layout, timed) fills. */
static int tensor_in(struct chain *c, int t, const dnnl_memory_desc_t *want, dnnl_memory_t *mem) {
  struct tensor *x = &c->tensors[t];
  if (!x->live) return refuse(c, "reads a tensor that nothing wrote");
  if (dnnl_memory_desc_equal(&x->md, want)) return *mem = x->mem, 0;
  for (int k = 0; k < x->n_copies; k++)
    if (dnnl_memory_desc_equal(&x->copies[k].md, want)) return *mem = x->copies[k].mem, 0;
  if (x->n_copies == MAX_COPIES) return refuse(c, "a tensor wanted in too many layouts");
  struct layout_copy *copy = &x->copies[x->n_copies++];
  copy->md = *want;
  if (new_memory(c, want, DNNL_MEMORY_ALLOCATE, &copy->mem) != 0) return -1;
  *mem = copy->mem;
  return add_reorder(c, x->mem, &x->md, copy->mem, want);
}

/* The activation as primitives of its own: src -> dst, then any further
   eltwise operation in place; all in place when src == dst (an
   activation a primitive could not fuse). */
static int add_eltwise(struct chain *c, enum bench_act act, int src, int dst) {
  struct eltwise e[MAX_ELTWISE];
  int n = act_eltwise(act, e);
  if (n < 0) return unknown(c, "activation", (int)act);
  if (n == 0) return refuse(c, "an activation step without an activation");
  for (int i = 0; i < n; i++) {
    int from = i == 0 ? src : dst, fused;
    dnnl_eltwise_desc_t desc;
    dnnl_primitive_desc_t pd;
    dnnl_memory_t in;
    if (tensor_in(c, from, &c->tensors[from].md, &in) != 0) return -1;
    TRY(c, dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_inference, e[i].alg, &c->tensors[from].md,
                                          e[i].alpha, e[i].beta),
        "eltwise descriptor");
    TRY(c, new_pd(c, &desc, BENCH_ACT_NONE, &pd, &fused), "eltwise primitive descriptor");
    if (from != dst && tensor_out(c, dst, pd_md(pd, dnnl_query_dst_md)) != 0)
      return dnnl_primitive_desc_destroy(pd), -1;
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_SRC, in}, {DNNL_ARG_DST, c->tensors[dst].mem}};
    if (add_op(c, &pd, args, 2) != 0) return -1;
  }
  return 0;
}

/* After the step's main primitive: its activation, unless fused. */
static int finish_act(struct chain *c, const struct bench_step *st, int fused) {
  if (st->act == BENCH_ACT_NONE || fused) return 0;
  return add_eltwise(c, st->act, st->output, st->output);
}

/* Packs weights given in user_md's layout into c->pd's weights layout. */
static int pack_weights(struct chain *c, const dnnl_memory_desc_t *user_md, const float *data,
                        dnnl_memory_t *packed) {
  dnnl_memory_t user;
  if (new_memory(c, pd_md(c->pd, dnnl_query_weights_md), DNNL_MEMORY_ALLOCATE, packed) != 0) return -1;
  if (c->planning) return 0;
  if (new_memory(c, user_md, given(data), &user) != 0) return -1;
  return reorder_now(c, user, *packed, "packing the weights");
}

static int bias_memory(struct chain *c, const struct bench_step *st, int n, dnnl_memory_t *mem) {
  dnnl_dims_t d = {n};
  dnnl_memory_desc_t md;
  TRY(c, md_tag(&md, 1, d, dnnl_a), "bias descriptor");
  return new_memory(c, &md, given(st->bias), mem);
}

/* ---- conv and linear: they choose their input layout ------------------------ */

/* The weights as given are [C_out][C_in/groups][kh][kw]; with groups,
   oneDNN wants the group split out of C_out: [g][C_out/g][C_in/g][kh][kw]
   (the same bytes).  Returns the number of dims. */
static int conv_weight_dims(const struct chain *c, const struct bench_step *st, dnnl_dims_t d) {
  int g = st->groups > 0 ? st->groups : 1, o = c->net->tensors[st->output].c, i = c->net->tensors[st->inputs[0]].c;
  if (g == 1) return d[0] = o, d[1] = i, d[2] = st->kh, d[3] = st->kw, 4;
  return d[0] = g, d[1] = o / g, d[2] = i / g, d[3] = st->kh, d[4] = st->kw, 5;
}

/* The convolution of step st, its src and dst in layout (or
   dnnl_format_tag_any: oneDNN chooses them). */
static dnnl_status_t conv_desc(const struct chain *c, const struct bench_step *st, dnnl_format_tag_t layout,
                               dnnl_convolution_desc_t *desc) {
  dnnl_dims_t src_d, dst_d, w_d, b_d, strides = {st->sh, st->sw};
  dnnl_dims_t dilates = {st->dh - 1, st->dw - 1};          /* oneDNN counts the gaps */
  dnnl_dims_t pad_l = {st->pad_top, st->pad_left}, pad_r = {st->pad_bottom, st->pad_right};
  dnnl_memory_desc_t src, w, b, dst;
  dnnl_status_t s;
  dims_of(c, st->inputs[0], src_d);
  dims_of(c, st->output, dst_d);
  int w_nd = conv_weight_dims(c, st, w_d);
  b_d[0] = dst_d[1];
  if ((s = md_tag(&src, 4, src_d, layout)) != dnnl_success ||
      (s = md_tag(&w, w_nd, w_d, dnnl_format_tag_any)) != dnnl_success ||
      (s = md_tag(&b, 1, b_d, dnnl_a)) != dnnl_success ||
      (s = md_tag(&dst, 4, dst_d, layout)) != dnnl_success)
    return s;
  return dnnl_dilated_convolution_forward_desc_init(desc, dnnl_forward_inference, dnnl_convolution_direct, &src, &w,
                                                    st->bias ? &b : NULL, &dst, strides, dilates, pad_l, pad_r);
}

static int conv_pd(struct chain *c, const struct bench_step *st, int *fused) {
  dnnl_convolution_desc_t desc;
  TRY(c, conv_desc(c, st, dnnl_format_tag_any, &desc), "convolution descriptor");
  TRY(c, new_pd(c, &desc, st->act, &c->pd, fused), "convolution primitive descriptor");
  return 0;
}

/* Neither the reference code ("ref:any") nor im2col + gemm ("gemm:jit",
   "x64:gemm:jit"; not "brgemm", the batch-reduce kernels): a kernel made
   for the layout it was given. */
static int optimized(const_dnnl_primitive_desc_t pd) {
  const char *impl = NULL;
  if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success || !impl) return 0;
  return strncmp(impl, "ref", 3) != 0 && strncmp(impl, "gemm", 4) != 0 && !strstr(impl, ":gemm");
}

/* The format tags oneDNN's CPU kernels use for f32 activations. */
static const dnnl_format_tag_t activation_tags[] = {dnnl_nhwc, dnnl_nchw, dnnl_nChw16c, dnnl_nChw8c, dnnl_nChw4c};
#define N_ACTIVATION_TAGS ((int)(sizeof activation_tags / sizeof activation_tags[0]))

/* md's index in activation_tags, or -1. */
static int tag_index(const dnnl_memory_desc_t *md) {
  dnnl_memory_desc_t m;
  for (int i = 0; i < N_ACTIVATION_TAGS; i++)
    if (md->ndims == 4 && md_tag(&m, 4, md->dims, activation_tags[i]) == dnnl_success &&
        dnnl_memory_desc_equal(&m, md))
      return i;
  return -1;
}

/* The input layout oneDNN picks for most of the net's convs when left to
   choose: the one activations should stay in. */
static dnnl_format_tag_t favourite_layout(struct chain *c) {
  int votes[N_ACTIVATION_TAGS] = {0}, best = -1, fused;
  for (int s = 0; s < c->net->n_steps; s++) {
    const struct bench_step *st = &c->net->steps[s];
    if (st->kind != BENCH_CONV || conv_pd(c, st, &fused) != 0) continue;
    int i = tag_index(pd_md(c->pd, dnnl_query_src_md));
    dnnl_primitive_desc_destroy(c->pd);
    c->pd = NULL;
    if (i >= 0 && (best < 0 || ++votes[i] > votes[best])) best = i;
  }
  return best >= 0 ? activation_tags[best] : dnnl_format_tag_undef;
}

/* Where the conv's favourite input layout is not the one its input has,
   it takes the one it has if an optimized kernel accepts it: that saves a
   reorder before it and, since its dst then follows, one after it.
   oneDNN 2.6 on AVX-512 runs most convs in NHWC but picks a blocked layout
   for grouped ones, which it also has an NHWC kernel for.  Only towards
   the net's favourite layout: a conv that accepted whatever it was given
   would spread a stray layout down the net.  Its dst is asked in the same
   layout: left to choose, oneDNN pairs an NHWC src with its reference
   kernel. */
static void keep_input_layout(struct chain *c, const struct bench_step *st, int *fused) {
  const dnnl_memory_desc_t *have = &c->tensors[st->inputs[0]].md;
  dnnl_convolution_desc_t desc;
  dnnl_primitive_desc_t pd;
  int f, i = tag_index(have);
  if (i < 0 || activation_tags[i] != c->favourite || dnnl_memory_desc_equal(have, pd_md(c->pd, dnnl_query_src_md)))
    return;
  if (conv_desc(c, st, c->favourite, &desc) != dnnl_success || new_pd(c, &desc, st->act, &pd, &f) != dnnl_success)
    return;
  if (!optimized(pd)) {
    dnnl_primitive_desc_destroy(pd);
    return;
  }
  dnnl_primitive_desc_destroy(c->pd);
  c->pd = pd, *fused = f;
}

static int build_conv(struct chain *c, const struct bench_step *st) {
  dnnl_dims_t w_d;
  dnnl_memory_desc_t user_w;
  dnnl_memory_t src, w, b = NULL;
  int fused, w_nd = conv_weight_dims(c, st, w_d);
  if (conv_pd(c, st, &fused) != 0) return -1;
  keep_input_layout(c, st, &fused);
  TRY(c, md_tag(&user_w, w_nd, w_d, w_nd == 5 ? dnnl_goihw : dnnl_oihw), "conv weights descriptor");
  if (tensor_in(c, st->inputs[0], pd_md(c->pd, dnnl_query_src_md), &src) != 0 ||
      pack_weights(c, &user_w, st->weight, &w) != 0 ||
      (st->bias && bias_memory(c, st, c->net->tensors[st->output].c, &b) != 0) ||
      tensor_out(c, st->output, pd_md(c->pd, dnnl_query_dst_md)) != 0)
    return -1;
  dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, c->tensors[st->output].mem},
                             {DNNL_ARG_BIAS, b}};
  if (add_op(c, &c->pd, args, st->bias ? 4 : 3) != 0) return -1;
  return finish_act(c, st, fused);
}

/* Inner product over the whole C x H x W input: oneDNN flattens a 4-D src
   itself, so the planner's flatten needs no step of its own. */
static int linear_pd(struct chain *c, const struct bench_step *st, int *fused) {
  dnnl_dims_t src_d, w_d, b_d, dst_d;
  dnnl_memory_desc_t src, w, b, dst;
  dnnl_inner_product_desc_t desc;
  dims_of(c, st->inputs[0], src_d);
  int out = c->net->tensors[st->output].c;
  w_d[0] = out, w_d[1] = src_d[1], w_d[2] = src_d[2], w_d[3] = src_d[3];
  b_d[0] = out;
  dst_d[0] = c->net->batch, dst_d[1] = out;
  TRY(c, md_tag(&src, 4, src_d, dnnl_format_tag_any), "inner product src descriptor");
  TRY(c, md_tag(&w, 4, w_d, dnnl_format_tag_any), "inner product weights descriptor");
  TRY(c, md_tag(&b, 1, b_d, dnnl_a), "inner product bias descriptor");
  TRY(c, md_tag(&dst, 2, dst_d, dnnl_format_tag_any), "inner product dst descriptor");
  TRY(c, dnnl_inner_product_forward_desc_init(&desc, dnnl_forward_inference, &src, &w, st->bias ? &b : NULL, &dst),
      "inner product descriptor");
  TRY(c, new_pd(c, &desc, st->act, &c->pd, fused), "inner product primitive descriptor");
  return 0;
}

/* The step's weight is [in][out]; oneDNN takes [out][C][H][W]. */
static int pack_linear_weights(struct chain *c, const struct bench_step *st, dnnl_memory_t *w) {
  dnnl_dims_t d;
  dnnl_memory_desc_t user_md;
  dims_of(c, st->inputs[0], d);
  size_t in = (size_t)(d[1] * d[2] * d[3]), out = (size_t)c->net->tensors[st->output].c;
  d[0] = (dnnl_dim_t)out;
  TRY(c, md_tag(&user_md, 4, d, dnnl_oihw), "inner product weights descriptor");
  if (c->planning) return pack_weights(c, &user_md, NULL, w);
  float *t = malloc(in * out * sizeof *t);
  if (!t) return refuse(c, "out of memory");
  for (size_t o = 0; o < out; o++)
    for (size_t i = 0; i < in; i++) t[o * in + i] = st->weight[i * out + o];
  int r = pack_weights(c, &user_md, t, w);
  free(t);   /* the packed copy is made: the user memory no longer reads it */
  return r;
}

static int build_linear(struct chain *c, const struct bench_step *st) {
  dnnl_dims_t y_d;
  dnnl_memory_desc_t y_md;
  dnnl_memory_t src, w, b = NULL, dst = NULL;
  int fused;
  const struct bench_tensor *y = &c->net->tensors[st->output];
  if (y->h != 1 || y->w != 1) return refuse(c, "a linear step whose output is not C x 1 x 1");
  if (linear_pd(c, st, &fused) != 0) return -1;
  const dnnl_memory_desc_t *dst_md = pd_md(c->pd, dnnl_query_dst_md);
  /* The result is N x out; the tensor N x out x 1 x 1 over the same bytes. */
  dims_of(c, st->output, y_d);
  TRY(c, dnnl_memory_desc_reshape(&y_md, dst_md, 4, y_d), "viewing the inner product result as 4-D");
  if (tensor_in(c, st->inputs[0], pd_md(c->pd, dnnl_query_src_md), &src) != 0 ||
      pack_linear_weights(c, st, &w) != 0 ||
      (st->bias && bias_memory(c, st, y->c, &b) != 0) ||
      tensor_out(c, st->output, &y_md) != 0)
    return -1;
  if (!c->planning) {
    void *buffer;
    TRY(c, dnnl_memory_get_data_handle(c->tensors[st->output].mem, &buffer), "memory_get_data_handle");
    if (new_memory(c, dst_md, buffer, &dst) != 0) return -1;
  }
  dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}, {DNNL_ARG_BIAS, b}};
  if (add_op(c, &c->pd, args, st->bias ? 4 : 3) != 0) return -1;
  return finish_act(c, st, fused);
}

/* ---- the rest work in their input's layout -------------------------------- */

/* src -> dst through c->pd (already made), then the activation. */
static int add_unary(struct chain *c, const struct bench_step *st, int fused) {
  dnnl_memory_t src;
  int t = st->inputs[0];
  if (tensor_in(c, t, &c->tensors[t].md, &src) != 0 ||
      tensor_out(c, st->output, pd_md(c->pd, dnnl_query_dst_md)) != 0)
    return -1;
  dnnl_exec_arg_t args[2] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, c->tensors[st->output].mem}};
  if (add_op(c, &c->pd, args, 2) != 0) return -1;
  return finish_act(c, st, fused);
}

/* Max and average pooling, and global average pooling as an average over
   a window of the whole map. */
static int build_pool(struct chain *c, const struct bench_step *st) {
  const struct bench_tensor *x = &c->net->tensors[st->inputs[0]];
  int global = st->kind == BENCH_GAP;
  dnnl_dims_t dst_d, kernel = {x->h, x->w}, strides = {1, 1}, dilation = {0, 0}, pad_l = {0, 0}, pad_r = {0, 0};
  if (!global) {
    kernel[0] = st->kh, kernel[1] = st->kw, strides[0] = st->sh, strides[1] = st->sw;
    dilation[0] = st->dh > 1 ? st->dh - 1 : 0, dilation[1] = st->dw > 1 ? st->dw - 1 : 0;
    pad_l[0] = st->pad_top, pad_l[1] = st->pad_left, pad_r[0] = st->pad_bottom, pad_r[1] = st->pad_right;
  }
  dnnl_alg_kind_t alg = st->kind == BENCH_MAXPOOL ? dnnl_pooling_max
                        : st->count_include_pad && !global ? dnnl_pooling_avg_include_padding
                        : dnnl_pooling_avg_exclude_padding;
  dnnl_memory_desc_t dst;
  dnnl_pooling_v2_desc_t desc;
  int fused;
  dims_of(c, st->output, dst_d);
  TRY(c, md_tag(&dst, 4, dst_d, dnnl_format_tag_any), "pooling dst descriptor");
  TRY(c, dnnl_pooling_v2_forward_desc_init(&desc, dnnl_forward_inference, alg, &c->tensors[st->inputs[0]].md, &dst,
                                           strides, kernel, dilation, pad_l, pad_r),
      "pooling descriptor");
  TRY(c, new_pd(c, &desc, st->act, &c->pd, &fused), "pooling primitive descriptor");
  return add_unary(c, st, fused);
}

/* y = x * scale[c] + shift[c]: batch normalization with the statistics
   given as mean 0, variance 1 and epsilon 0. */
static int build_affine(struct chain *c, const struct bench_step *st) {
  dnnl_batch_normalization_desc_t desc;
  dnnl_memory_desc_t vec;
  dnnl_memory_t src, mean, var, scale, shift;
  int t = st->inputs[0], fused, ch = c->net->tensors[t].c;
  dnnl_dims_t d = {ch};
  unsigned flags = dnnl_use_global_stats | dnnl_use_scale | dnnl_use_shift;
  TRY(c, dnnl_batch_normalization_forward_desc_init(&desc, dnnl_forward_inference, &c->tensors[t].md, 0.0f, flags),
      "batch normalization descriptor");
  TRY(c, new_pd(c, &desc, st->act, &c->pd, &fused), "batch normalization primitive descriptor");
  TRY(c, md_tag(&vec, 1, d, dnnl_a), "batch normalization statistics descriptor");
  if (tensor_in(c, t, &c->tensors[t].md, &src) != 0 ||
      tensor_out(c, st->output, pd_md(c->pd, dnnl_query_dst_md)) != 0 ||
      new_memory(c, &vec, DNNL_MEMORY_ALLOCATE, &mean) != 0 || new_memory(c, &vec, DNNL_MEMORY_ALLOCATE, &var) != 0 ||
      new_memory(c, &vec, given(st->scale), &scale) != 0 || new_memory(c, &vec, given(st->shift), &shift) != 0)
    return -1;
  if (!c->planning) {
    void *m, *v;
    TRY(c, dnnl_memory_get_data_handle(mean, &m), "memory_get_data_handle");
    TRY(c, dnnl_memory_get_data_handle(var, &v), "memory_get_data_handle");
    for (int i = 0; i < ch; i++) ((float *)m)[i] = 0, ((float *)v)[i] = 1;
  }
  dnnl_exec_arg_t args[6] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_MEAN, mean}, {DNNL_ARG_VARIANCE, var},
                             {DNNL_ARG_SCALE, scale}, {DNNL_ARG_SHIFT, shift},
                             {DNNL_ARG_DST, c->tensors[st->output].mem}};
  if (add_op(c, &c->pd, args, 6) != 0) return -1;
  return finish_act(c, st, fused);
}

/* out = in0 + in1, then out += in_k for each further input (in place), the
   activation fused into the last; every input in in0's layout. */
static int build_add(struct chain *c, const struct bench_step *st) {
  int out = st->output, t0 = st->inputs[0], fused = 0;
  dnnl_memory_t a, b;
  if (st->n_inputs < 2) return refuse(c, "an add of fewer than two inputs");
  if (tensor_in(c, t0, &c->tensors[t0].md, &a) != 0) return -1;
  for (int k = 1; k < st->n_inputs; k++) {
    const dnnl_memory_desc_t *src0 = k == 1 ? &c->tensors[t0].md : &c->tensors[out].md;
    dnnl_dims_t d;
    dnnl_memory_desc_t dst;
    dnnl_binary_desc_t desc;
    dims_of(c, out, d);
    TRY(c, md_tag(&dst, 4, d, dnnl_format_tag_any), "binary dst descriptor");
    TRY(c, dnnl_binary_desc_init(&desc, dnnl_binary_add, src0, src0, k == 1 ? &dst : src0), "binary descriptor");
    enum bench_act act = k == st->n_inputs - 1 ? st->act : BENCH_ACT_NONE;
    TRY(c, new_pd(c, &desc, act, &c->pd, &fused), "binary primitive descriptor");
    if (tensor_in(c, st->inputs[k], src0, &b) != 0 ||
        (k == 1 && tensor_out(c, out, pd_md(c->pd, dnnl_query_dst_md)) != 0))
      return -1;
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC_0, k == 1 ? a : c->tensors[out].mem}, {DNNL_ARG_SRC_1, b},
                               {DNNL_ARG_DST, c->tensors[out].mem}};
    if (add_op(c, &c->pd, args, 3) != 0) return -1;
  }
  return finish_act(c, st, fused);
}

/* Along channels, each input in its own layout; oneDNN picks the dst. */
static int build_concat(struct chain *c, const struct bench_step *st) {
  dnnl_memory_desc_t srcs[PEER_MAX_IO];
  dnnl_exec_arg_t args[PEER_MAX_IO + 1];
  dnnl_primitive_attr_t attr;
  int n = st->n_inputs;
  if (n > PEER_MAX_IO) return refuse(c, "a concat of too many inputs");
  for (int k = 0; k < n; k++) {
    int t = st->inputs[k];
    srcs[k] = c->tensors[t].md;
    args[k].arg = DNNL_ARG_MULTIPLE_SRC + k;
    if (tensor_in(c, t, &srcs[k], &args[k].memory) != 0) return -1;
  }
  TRY(c, new_attr(BENCH_ACT_NONE, &attr), "attributes");
  dnnl_status_t s = dnnl_concat_primitive_desc_create(&c->pd, NULL, n, 1, srcs, attr, c->engine);
  dnnl_primitive_attr_destroy(attr);
  if (s != dnnl_success) return fail(c, s, "concat primitive descriptor");
  if (tensor_out(c, st->output, pd_md(c->pd, dnnl_query_dst_md)) != 0) return -1;
  args[n].arg = DNNL_ARG_DST, args[n].memory = c->tensors[st->output].mem;
  if (add_op(c, &c->pd, args, n + 1) != 0) return -1;
  return finish_act(c, st, 0);
}

/* An N x C x 1 x 1 tensor, which mul broadcasts over the other's H x W. */
static int per_channel(const struct chain *c, int t) {
  return c->net->tensors[t].h == 1 && c->net->tensors[t].w == 1;
}

/* Binary mul broadcasts its second source only, so a per-channel operand
   goes second (a * b = b * a exactly).  Two operands of one shape meet in
   the first's layout, as for add; a per-channel one keeps its own, or, if
   no kernel takes that, is reordered to NCHW (plain, and for 1 x 1 planes
   the same bytes as NHWC). */
static int build_mul(struct chain *c, const struct bench_step *st) {
  if (st->n_inputs != 2) return refuse(c, "a mul of other than two inputs");
  int swap = per_channel(c, st->inputs[0]) && !per_channel(c, st->inputs[1]);
  int t0 = st->inputs[swap], t1 = st->inputs[!swap], out = st->output, fused;
  int broadcast = !per_channel(c, t0) && per_channel(c, t1);
  dnnl_memory_desc_t src1 = broadcast ? c->tensors[t1].md : c->tensors[t0].md, dst;
  dnnl_binary_desc_t desc;
  dnnl_dims_t d;
  dnnl_memory_t a, b;
  dims_of(c, out, d);
  TRY(c, md_tag(&dst, 4, d, dnnl_format_tag_any), "binary dst descriptor");
  TRY(c, dnnl_binary_desc_init(&desc, dnnl_binary_mul, &c->tensors[t0].md, &src1, &dst), "binary descriptor");
  dnnl_status_t s = new_pd(c, &desc, st->act, &c->pd, &fused);
  if (s == dnnl_unimplemented && broadcast) {
    dnnl_dims_t d1;
    dims_of(c, t1, d1);
    TRY(c, md_tag(&src1, 4, d1, dnnl_nchw), "binary src1 descriptor");
    TRY(c, dnnl_binary_desc_init(&desc, dnnl_binary_mul, &c->tensors[t0].md, &src1, &dst), "binary descriptor");
    s = new_pd(c, &desc, st->act, &c->pd, &fused);
  }
  if (s != dnnl_success) return fail(c, s, "binary primitive descriptor");
  if (tensor_in(c, t0, &c->tensors[t0].md, &a) != 0 || tensor_in(c, t1, &src1, &b) != 0 ||
      tensor_out(c, out, pd_md(c->pd, dnnl_query_dst_md)) != 0)
    return -1;
  dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC_0, a}, {DNNL_ARG_SRC_1, b}, {DNNL_ARG_DST, c->tensors[out].mem}};
  if (add_op(c, &c->pd, args, 3) != 0) return -1;
  return finish_act(c, st, fused);
}

/*
** oneDNN's shuffle with group size G views the C channels as C/G rows of
** G and transposes them: dst channel u + v (C/G) is src channel u G + v.
** Ours (PyTorch's, g groups): out k g + j is in j (C/g) + k.  With
** G = C/g, u = j and v = k these are the same (checked against the
** reference by the driver).  The shuffle takes no post-ops.
*/
static int build_shuffle(struct chain *c, const struct bench_step *st) {
  int t = st->inputs[0], channels = c->net->tensors[t].c, fused;
  dnnl_shuffle_desc_t desc;
  if (st->groups < 1 || channels % st->groups != 0) return refuse(c, "a shuffle whose groups do not divide C");
  TRY(c, dnnl_shuffle_forward_desc_init(&desc, dnnl_forward_inference, &c->tensors[t].md, 1,
                                        channels / st->groups),
      "shuffle descriptor");
  TRY(c, new_pd(c, &desc, BENCH_ACT_NONE, &c->pd, &fused), "shuffle primitive descriptor");
  return add_unary(c, st, 0);
}

/* The layout a slice's result gets: its input's format tag if it has one
   of the usual ones, else NCHW. */
static dnnl_format_tag_t slice_layout(const struct chain *c, int t) {
  int i = tag_index(&c->tensors[t].md);
  return i >= 0 ? activation_tags[i] : dnnl_nchw;
}

/*
** Channels [start, stop) as a reorder from a sub-memory view of the input
** (the documented way to take part of a tensor).  A blocked layout gives a
** view only where start falls on a block boundary; otherwise the input is
** first reordered to NCHW, which has a view anywhere.
*/
static int build_slice(struct chain *c, const struct bench_step *st) {
  int t = st->inputs[0], out = st->output;
  dnnl_dims_t d, offsets = {0, st->start, 0, 0};
  dnnl_memory_desc_t parent = c->tensors[t].md, view, dst;
  dnnl_memory_t src, view_mem = NULL;
  if (st->start < 0 || st->stop > c->net->tensors[t].c || st->stop - st->start != c->net->tensors[out].c)
    return refuse(c, "a slice whose channels are not within its input's");
  dims_of(c, out, d);
  if (dnnl_memory_desc_init_submemory(&view, &parent, d, offsets) != dnnl_success) {
    dnnl_dims_t pd_dims;
    dims_of(c, t, pd_dims);
    TRY(c, md_tag(&parent, 4, pd_dims, dnnl_nchw), "slice input descriptor");
    TRY(c, dnnl_memory_desc_init_submemory(&view, &parent, d, offsets), "slice sub-memory descriptor");
  }
  TRY(c, md_tag(&dst, 4, d, slice_layout(c, t)), "slice dst descriptor");
  if (tensor_in(c, t, &parent, &src) != 0 || tensor_out(c, out, &dst) != 0) return -1;
  if (!c->planning) {
    void *buffer;
    TRY(c, dnnl_memory_get_data_handle(src, &buffer), "memory_get_data_handle");
    if (new_memory(c, &view, buffer, &view_mem) != 0) return -1;
  }
  if (add_reorder(c, view_mem, &view, c->tensors[out].mem, &dst) != 0) return -1;
  return finish_act(c, st, 0);
}

static int build_step(struct chain *c, const struct bench_step *st) {
  struct eltwise e[MAX_ELTWISE];
  for (int k = 0; k < st->n_inputs; k++)
    if (!c->tensors[st->inputs[k]].live) return refuse(c, "reads a tensor that nothing wrote");
  if (act_eltwise(st->act, e) < 0) return unknown(c, "activation", (int)st->act);
  switch (st->kind) {
  case BENCH_CONV: return build_conv(c, st);
  case BENCH_LINEAR: return build_linear(c, st);
  case BENCH_ADD: return build_add(c, st);
  case BENCH_CONCAT: return build_concat(c, st);
  case BENCH_AVGPOOL: case BENCH_MAXPOOL: case BENCH_GAP: return build_pool(c, st);
  case BENCH_AFFINE: return build_affine(c, st);
  case BENCH_ACT: return add_eltwise(c, st->act, st->inputs[0], st->output);
  case BENCH_MUL: return build_mul(c, st);
  case BENCH_SHUFFLE: return build_shuffle(c, st);
  case BENCH_SLICE: return build_slice(c, st);
  }
  return unknown(c, "step kind", (int)st->kind);
}

/* ---- chains ---------------------------------------------------------------- */

/* The layout a net input gets: what its first conv or linear consumer
   among steps first..last asks for, else the net's favourite, else NCHW. */
static int first_wish(struct chain *c, int t, int first, int last, dnnl_memory_desc_t *md) {
  dnnl_dims_t d;
  for (int s = first; s <= last; s++) {
    const struct bench_step *st = &c->net->steps[s];
    int fused, r;
    if (st->inputs[0] != t || (st->kind != BENCH_CONV && st->kind != BENCH_LINEAR)) continue;
    c->step = st->name;
    r = st->kind == BENCH_CONV ? conv_pd(c, st, &fused) : linear_pd(c, st, &fused);
    if (r != 0) return -1;
    *md = *pd_md(c->pd, dnnl_query_src_md);
    dnnl_primitive_desc_destroy(c->pd);
    c->pd = NULL, c->step = NULL;
    return 0;
  }
  dims_of(c, t, d);
  TRY(c, md_tag(md, 4, d, c->favourite != dnnl_format_tag_undef ? c->favourite : dnnl_nchw), "input descriptor");
  return 0;
}

static int define_input(struct chain *c, int t, int first, int last) {
  dnnl_memory_desc_t md;
  if (c->layouts && c->layouts[t].ndims != 0) md = c->layouts[t];
  else if (first_wish(c, t, first, last, &md) != 0) return -1;
  return tensor_out(c, t, &md);
}

static int build(struct chain *c, int first, int last) {
  if (bench_chain_io(c->net, first, last, &c->io) != 0) return refuse(c, "too many chain inputs or outputs");
  for (int k = 0; k < c->io.n_inputs; k++)
    if (define_input(c, c->io.inputs[k], first, last) != 0) return -1;
  for (int s = first; s <= last; s++) {
    c->step = c->net->steps[s].name;
    if (build_step(c, &c->net->steps[s]) != 0) return -1;
  }
  c->step = NULL;
  return 0;
}

/* A user memory in NCHW (its buffer given at load / read) and a reorder
   between it and tensor t. */
static int make_transfer(struct chain *c, struct transfer *x, int t, int to_user) {
  dnnl_dims_t d;
  dnnl_memory_desc_t nchw;
  dnnl_primitive_desc_t pd;
  const dnnl_memory_desc_t *inner = &c->tensors[t].md;
  dims_of(c, t, d);
  TRY(c, md_tag(&nchw, 4, d, dnnl_nchw), "NCHW descriptor");
  if (new_memory(c, &nchw, DNNL_MEMORY_NONE, &x->user) != 0) return -1;
  x->inner = c->tensors[t].mem;
  TRY(c, to_user ? dnnl_reorder_primitive_desc_create(&pd, inner, c->engine, &nchw, c->engine, NULL)
                 : dnnl_reorder_primitive_desc_create(&pd, &nchw, c->engine, inner, c->engine, NULL),
      to_user ? "reorder to NCHW" : "reorder from NCHW");
  dnnl_status_t s = dnnl_primitive_create(&x->reorder, pd);
  dnnl_primitive_desc_destroy(pd);
  return s == dnnl_success ? 0 : fail(c, s, "reorder primitive");
}

/* The shared scratchpad, and the load / read reorders. */
static int finish(struct chain *c) {
  if (c->scratch_bytes > 0) {
    dnnl_dims_t d = {(dnnl_dim_t)c->scratch_bytes};
    dnnl_memory_desc_t md;
    TRY(c, dnnl_memory_desc_init_by_tag(&md, 1, d, dnnl_u8, dnnl_a), "scratchpad descriptor");
    if (new_memory(c, &md, DNNL_MEMORY_ALLOCATE, &c->scratch) != 0) return -1;
    for (int i = 0; i < c->n_ops; i++)
      if (c->ops[i].scratch_arg >= 0) c->ops[i].args[c->ops[i].scratch_arg].memory = c->scratch;
  }
  for (int k = 0; k < c->io.n_inputs; k++)
    if (make_transfer(c, &c->in[k], c->io.inputs[k], 0) != 0) return -1;
  for (int k = 0; k < c->io.n_outputs; k++)
    if (make_transfer(c, &c->out[k], c->io.outputs[k], 1) != 0) return -1;
  return 0;
}

static int init_chain(struct chain *c, const struct bench_net *net, dnnl_engine_t engine, char *why,
                      size_t why_size) {
  memset(c, 0, sizeof *c);
  c->net = net, c->engine = engine, c->why = why, c->why_size = why_size;
  c->tensors = calloc((size_t)net->n_tensors, sizeof *c->tensors);
  return c->tensors ? 0 : refuse(c, "out of memory");
}

/* Everything but the engine and stream. */
static void release_chain(struct chain *c) {
  for (int i = 0; i < c->n_ops; i++) dnnl_primitive_destroy(c->ops[i].prim);
  for (int k = 0; k < PEER_MAX_IO; k++) {
    if (c->in[k].reorder) dnnl_primitive_destroy(c->in[k].reorder);
    if (c->out[k].reorder) dnnl_primitive_destroy(c->out[k].reorder);
  }
  for (int i = 0; i < c->n_mems; i++) dnnl_memory_destroy(c->mems[i]);
  if (c->pd) dnnl_primitive_desc_destroy(c->pd);
  free(c->ops);
  free(c->mems);
  free(c->tensors);
}

/* Every tensor's layout when the whole net runs (ndims 0 for those the
   plan did not reach: it stops at a step oneDNN cannot run), and the
   favourite layout.  Planning creates descriptors only, no memory and no
   primitives. */
static dnnl_memory_desc_t *plan_layouts(const struct bench_net *net, dnnl_engine_t engine,
                                        dnnl_format_tag_t *favourite) {
  struct chain p;
  dnnl_memory_desc_t *plan = calloc((size_t)net->n_tensors, sizeof *plan);
  *favourite = dnnl_format_tag_undef;
  if (!plan || init_chain(&p, net, engine, NULL, 0) != 0) return free(plan), NULL;
  p.planning = 1;
  p.favourite = *favourite = favourite_layout(&p);
  build(&p, 0, net->n_steps - 1);
  for (int t = 0; t < net->n_tensors; t++)
    if (p.tensors[t].live) plan[t] = p.tensors[t].md;
  release_chain(&p);
  return plan;
}

/* ---- the peer ------------------------------------------------------------- */

static void onednn_destroy(void *chain) {
  struct chain *c = chain;
  if (!c) return;
  release_chain(c);
  if (c->stream) dnnl_stream_destroy(c->stream);
  if (c->engine) dnnl_engine_destroy(c->engine);
  free(c);
}

static void *onednn_create(const struct bench_net *net, int first, int last, int threads, char *why,
                           size_t why_size) {
  if (find_openmp(why, why_size) != 0) return NULL;
  if (use_threads(threads) != 0) {
    snprintf(why, why_size, "oneDNN cannot be set to run on %d threads", threads);
    return NULL;
  }
  struct chain *c = malloc(sizeof *c);
  dnnl_engine_t engine = NULL;
  dnnl_status_t s = dnnl_engine_create(&engine, dnnl_cpu, 0);
  if (!c || s != dnnl_success) {
    snprintf(why, why_size, "no oneDNN CPU engine (%s)", c ? dnnl_status2str(s) : "out of memory");
    if (engine) dnnl_engine_destroy(engine);
    return free(c), NULL;
  }
  dnnl_format_tag_t favourite;
  dnnl_memory_desc_t *plan = plan_layouts(net, engine, &favourite);
  int ok = init_chain(c, net, engine, why, why_size) == 0;
  c->threads = threads;
  c->layouts = plan, c->favourite = favourite;
  if (ok && (s = dnnl_stream_create(&c->stream, engine, dnnl_stream_default_flags)) != dnnl_success)
    ok = fail(c, s, "stream_create") == 0;
  ok = ok && build(c, first, last) == 0 && finish(c) == 0;
  c->layouts = NULL;
  free(plan);
  if (!ok) return onednn_destroy(c), NULL;
  return c;
}

static void onednn_load(void *chain, const float *const *inputs) {
  struct chain *c = chain;
  use_threads(c->threads);
  for (int k = 0; k < c->io.n_inputs; k++) {
    struct transfer *x = &c->in[k];
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, x->user}, {DNNL_ARG_TO, x->inner}};
    dnnl_status_t s = dnnl_memory_set_data_handle(x->user, given(inputs[k]));
    if (s == dnnl_success) s = dnnl_primitive_execute(x->reorder, c->stream, 2, args);
    if (s == dnnl_success) s = dnnl_stream_wait(c->stream);
    if (s != dnnl_success)   /* the check then fails on the output */
      fprintf(stderr, "peer_onednn: loading input %d: dnnl_%s\n", k, dnnl_status2str(s));
  }
}

static int onednn_run(void *chain) {
  struct chain *c = chain;
  if (use_threads(c->threads) != 0) return -1;
  for (int i = 0; i < c->n_ops; i++)
    if (dnnl_primitive_execute(c->ops[i].prim, c->stream, c->ops[i].n_args, c->ops[i].args) != dnnl_success)
      return -1;
  return dnnl_stream_wait(c->stream) == dnnl_success ? 0 : -1;
}

static void onednn_read(void *chain, float *const *outputs) {
  struct chain *c = chain;
  use_threads(c->threads);
  for (int k = 0; k < c->io.n_outputs; k++) {
    struct transfer *x = &c->out[k];
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, x->inner}, {DNNL_ARG_TO, x->user}};
    dnnl_status_t s = dnnl_memory_set_data_handle(x->user, outputs[k]);
    if (s == dnnl_success) s = dnnl_primitive_execute(x->reorder, c->stream, 2, args);
    if (s == dnnl_success) s = dnnl_stream_wait(c->stream);
    if (s != dnnl_success)
      fprintf(stderr, "peer_onednn: reading output %d: dnnl_%s\n", k, dnnl_status2str(s));
  }
}

static size_t onednn_memory_bytes(void *chain) {
  return ((struct chain *)chain)->bytes;
}

const struct peer peer_onednn = {
  "onednn", onednn_create, onednn_load, onednn_run, onednn_read, onednn_memory_bytes, onednn_destroy,
};
