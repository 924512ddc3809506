/*
** peer_xnnpack.c: the steps of a bench_net run by XNNPACK's f32 NHWC
** operators (harness/peer.h).
**
** As an XNNPACK user would: every tensor lives in an NHWC buffer, each
** step becomes one operator (one per input for add and concat), plus one
** or two for an activation it cannot fuse as a clamp (hardsigmoid, which
** XNNPACK lacks, is an add and a divide), all set up once at create on
** fixed buffers, and run is xnn_run_operator over the list.  One thread,
** or XNNPACK's pthreadpool of as many as asked for, given at setup (which
** plans the work's division) and at run.  What it cannot run exactly is
** refused, with why.
** Weights are re-laid out for XNNPACK at create; XNNPACK packs its own
** copy then, so none of that is timed.
*/

#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xnnpack.h>

#include "peer.h"

struct xnn_chain {
  const struct bench_net *net;
  struct chain_io io;
  float **tensors;             /* NHWC buffers by tensor index; NULL if unused */
  float *scratch;              /* results before an unfused activation */
  size_t bytes;
  int n_ops, max_ops;
  xnn_operator_t *ops;
  pthreadpool_t pool;          /* NULL: the calling thread alone */
};

static const char *status_text(enum xnn_status s) {
  switch (s) {
  case xnn_status_success: return "success";
  case xnn_status_uninitialized: return "uninitialized";
  case xnn_status_invalid_parameter: return "invalid parameter";
  case xnn_status_invalid_state: return "invalid state";
  case xnn_status_unsupported_parameter: return "unsupported parameter";
  case xnn_status_unsupported_hardware: return "unsupported hardware";
  case xnn_status_out_of_memory: return "out of memory";
  }
  return "unknown status";
}

static size_t pixels(const struct bench_net *net, int t) {
  return (size_t)net->batch * (size_t)net->tensors[t].h * (size_t)net->tensors[t].w;
}

static size_t floats(const struct bench_net *net, int t) {
  return pixels(net, t) * (size_t)net->tensors[t].c;
}

/* XNNPACK may read up to XNN_EXTRA_BYTES past the end of a tensor. */
static float *new_buffer(struct xnn_chain *ch, size_t n) {
  void *p = NULL;
  size_t bytes = n * sizeof(float) + XNN_EXTRA_BYTES;
  if (posix_memalign(&p, 64, bytes) != 0) return NULL;
  memset(p, 0, bytes);
  ch->bytes += bytes;
  return p;
}

/* ---- building ------------------------------------------------------------- */

struct builder {
  struct xnn_chain *ch;
  const struct bench_step *st;
  char *why;
  size_t why_size;
};

static int fail(struct builder *b, const char *fmt, ...) {
  va_list ap;
  int n = snprintf(b->why, b->why_size, "step '%s': ", b->st->name);
  va_start(ap, fmt);
  if (n >= 0 && (size_t)n < b->why_size) vsnprintf(b->why + n, b->why_size - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

static int check(struct builder *b, enum xnn_status s, const char *what) {
  return s == xnn_status_success ? 0 : fail(b, "%s: %s", what, status_text(s));
}

/* Keeps an operator in the chain (destroy frees it, made or not), and
   says whether creating and setting it up went well. */
static int keep(struct builder *b, xnn_operator_t op, enum xnn_status s, const char *what) {
  if (op && b->ch->n_ops == b->ch->max_ops) {
    xnn_delete_operator(op);
    return fail(b, "more operators than planned for (peer_xnnpack's count is wrong)");
  }
  if (op) b->ch->ops[b->ch->n_ops++] = op;
  return check(b, s, what);
}

/* The output range a clamp fuses for act: everything for none and for
   the activations that need operators of their own (unfused).  One this
   peer does not know is refused, never run as something else. */
static int clamp_of(struct builder *b, enum bench_act act, float *lo, float *hi) {
  *lo = -INFINITY, *hi = INFINITY;
  switch (act) {
  case BENCH_ACT_NONE: case BENCH_HARDSWISH: case BENCH_SIGMOID: case BENCH_HARDSIGMOID: return 0;
  case BENCH_RELU: *lo = 0; return 0;
  case BENCH_RELU6: *lo = 0, *hi = 6; return 0;
  }
  return fail(b, "activation %d, which this peer does not know", (int)act);
}

static int unfused(enum bench_act act) {
  return act == BENCH_HARDSWISH || act == BENCH_SIGMOID || act == BENCH_HARDSIGMOID;
}

/* Operands of the hardsigmoid's binary operators, read at every run. */
static const float three = 3, six = 6;

/* XNNPACK has no hardsigmoid; clamp(x + 3, 0, 6) / 6 is an add with the
   clamp fused, then a divide, both broadcasting a scalar.  Elementwise
   binary operators may write over an input, so the divide runs in place. */
static int add_hardsigmoid(struct builder *b, size_t n, const float *in, float *out) {
  size_t shape[1] = {n}, scalar[1] = {1};
  xnn_operator_t add = NULL, divide = NULL;
  enum xnn_status s = xnn_create_add_nd_f32(0, 6, 0, &add);
  if (s == xnn_status_success) s = xnn_setup_add_nd_f32(add, 1, shape, 1, scalar, in, &three, out, b->ch->pool);
  if (keep(b, add, s, "hardsigmoid's add") != 0) return -1;
  s = xnn_create_divide_nd_f32(-INFINITY, INFINITY, 0, &divide);
  if (s == xnn_status_success) s = xnn_setup_divide_nd_f32(divide, 1, shape, 1, scalar, out, &six, out, b->ch->pool);
  return keep(b, divide, s, "hardsigmoid's divide");
}

/* An activation as operators of its own, in -> out, over rows of C. */
static int add_activation(struct builder *b, enum bench_act act, size_t rows, size_t c, const float *in, float *out) {
  xnn_operator_t op = NULL;
  enum xnn_status s;
  if (act == BENCH_HARDSIGMOID) return add_hardsigmoid(b, rows * c, in, out);
  if (act == BENCH_HARDSWISH) {
    s = xnn_create_hardswish_nc_f32(c, c, c, 0, &op);
    if (s == xnn_status_success) s = xnn_setup_hardswish_nc_f32(op, rows, in, out, b->ch->pool);
  } else if (act == BENCH_SIGMOID) {
    s = xnn_create_sigmoid_nc_f32(c, c, c, 0, &op);
    if (s == xnn_status_success) s = xnn_setup_sigmoid_nc_f32(op, rows, in, out, b->ch->pool);
  } else {
    float lo, hi;
    if (clamp_of(b, act, &lo, &hi) != 0) return -1;
    s = xnn_create_clamp_nc_f32(c, c, c, lo, hi, 0, &op);
    if (s == xnn_status_success) s = xnn_setup_clamp_nc_f32(op, rows, in, out, b->ch->pool);
  }
  return keep(b, op, s, "activation");
}

/* Where the step's main operator writes: the output tensor, or scratch
   when an activation follows as its own operator. */
static float *main_target(struct builder *b) {
  return unfused(b->st->act) ? b->ch->scratch : b->ch->tensors[b->st->output];
}

static int finish_activation(struct builder *b) {
  const struct bench_net *net = b->ch->net;
  int t = b->st->output;
  if (!unfused(b->st->act)) return 0;
  return add_activation(b, b->st->act, pixels(net, t), (size_t)net->tensors[t].c, b->ch->scratch, b->ch->tensors[t]);
}

/* [C_out][C_in/g][kh][kw] -> XNNPACK's [g][C_out/g][kh][kw][C_in/g]. */
static float *conv_weights_ohwi(const struct bench_step *st, size_t cout, size_t gic) {
  size_t taps = (size_t)st->kh * (size_t)st->kw;
  float *w = malloc(cout * gic * taps * sizeof(float));
  if (!w) return NULL;
  for (size_t o = 0; o < cout; o++)
    for (size_t i = 0; i < gic; i++)
      for (size_t k = 0; k < taps; k++) w[(o * taps + k) * gic + i] = st->weight[(o * gic + i) * taps + k];
  return w;
}

static int build_conv(struct builder *b) {
  const struct bench_step *st = b->st;
  const struct bench_net *net = b->ch->net;
  const struct bench_tensor *x = &net->tensors[st->inputs[0]], *y = &net->tensors[st->output];
  size_t g = (size_t)st->groups, gic = (size_t)x->c / g, goc = (size_t)y->c / g;
  float lo, hi;
  if (clamp_of(b, st->act, &lo, &hi) != 0) return -1;
  float *w = conv_weights_ohwi(st, (size_t)y->c, gic);
  if (!w) return fail(b, "out of memory");
  xnn_operator_t op = NULL;
  enum xnn_status s = xnn_create_convolution2d_nhwc_f32(
      (uint32_t)st->pad_top, (uint32_t)st->pad_right, (uint32_t)st->pad_bottom, (uint32_t)st->pad_left,
      (uint32_t)st->kh, (uint32_t)st->kw, (uint32_t)st->sh, (uint32_t)st->sw, (uint32_t)st->dh, (uint32_t)st->dw,
      (uint32_t)g, gic, goc, (size_t)x->c, (size_t)y->c, w, st->bias, lo, hi, 0, &op);
  b->ch->bytes += (size_t)y->c * gic * (size_t)(st->kh * st->kw) * sizeof(float);  /* its packed copy */
  free(w);
  if (s == xnn_status_success)
    s = xnn_setup_convolution2d_nhwc_f32(op, (size_t)net->batch, (size_t)x->h, (size_t)x->w,
                                         b->ch->tensors[st->inputs[0]], main_target(b), b->ch->pool);
  if (keep(b, op, s, "convolution") != 0) return -1;
  return finish_activation(b);
}

/* The packed [in][out] weight, in = C*H*W in NCHW order, to XNNPACK's
   [out][in] with in in NHWC order: a flatten in NHWC reads pixels first. */
static int build_linear(struct builder *b) {
  const struct bench_step *st = b->st;
  const struct bench_net *net = b->ch->net;
  const struct bench_tensor *x = &net->tensors[st->inputs[0]];
  size_t c = (size_t)x->c, hw = (size_t)x->h * (size_t)x->w, in = c * hw;
  size_t out = (size_t)net->tensors[st->output].c;
  float *w = malloc(in * out * sizeof(float));
  if (!w) return fail(b, "out of memory");
  for (size_t o = 0; o < out; o++)
    for (size_t ci = 0; ci < c; ci++)
      for (size_t p = 0; p < hw; p++) w[o * in + p * c + ci] = st->weight[(ci * hw + p) * out + o];
  float lo, hi;
  if (clamp_of(b, st->act, &lo, &hi) != 0) return -1;
  xnn_operator_t op = NULL;
  enum xnn_status s = xnn_create_fully_connected_nc_f32(in, out, in, out, w, st->bias, lo, hi, 0, &op);
  b->ch->bytes += in * out * sizeof(float);
  free(w);
  if (s == xnn_status_success)
    s = xnn_setup_fully_connected_nc_f32(op, (size_t)net->batch, b->ch->tensors[st->inputs[0]], main_target(b),
                                         b->ch->pool);
  if (keep(b, op, s, "fully connected") != 0) return -1;
  return finish_activation(b);
}

/* Sums of more than two inputs accumulate in the output, in place. */
static int build_add(struct builder *b) {
  const struct bench_step *st = b->st;
  const struct bench_net *net = b->ch->net;
  const struct bench_tensor *y = &net->tensors[st->output];
  size_t shape[4] = {(size_t)net->batch, (size_t)y->h, (size_t)y->w, (size_t)y->c};
  float *out = main_target(b);
  for (int k = 1; k < st->n_inputs; k++) {
    float lo = -INFINITY, hi = INFINITY;
    if (k == st->n_inputs - 1 && clamp_of(b, st->act, &lo, &hi) != 0) return -1;
    xnn_operator_t op = NULL;
    const float *a = k == 1 ? b->ch->tensors[st->inputs[0]] : out;
    enum xnn_status s = xnn_create_add_nd_f32(lo, hi, 0, &op);
    if (s == xnn_status_success)
      s = xnn_setup_add_nd_f32(op, 4, shape, 4, shape, a, b->ch->tensors[st->inputs[k]], out, b->ch->pool);
    if (keep(b, op, s, "add") != 0) return -1;
  }
  return finish_activation(b);
}

static int build_gap(struct builder *b) {
  const struct bench_step *st = b->st;
  const struct bench_net *net = b->ch->net;
  const struct bench_tensor *x = &net->tensors[st->inputs[0]];
  size_t c = (size_t)x->c;
  float lo, hi;
  if (clamp_of(b, st->act, &lo, &hi) != 0) return -1;
  xnn_operator_t op = NULL;
  enum xnn_status s = xnn_create_global_average_pooling_nwc_f32(c, c, c, lo, hi, 0, &op);
  if (s == xnn_status_success)
    s = xnn_setup_global_average_pooling_nwc_f32(op, (size_t)net->batch, (size_t)x->h * (size_t)x->w,
                                                 b->ch->tensors[st->inputs[0]], main_target(b), b->ch->pool);
  if (keep(b, op, s, "global average pooling") != 0) return -1;
  return finish_activation(b);
}

static int build_pool(struct builder *b) {
  const struct bench_step *st = b->st;
  const struct bench_net *net = b->ch->net;
  const struct bench_tensor *x = &net->tensors[st->inputs[0]];
  size_t c = (size_t)x->c;
  int padded = st->pad_top + st->pad_bottom + st->pad_left + st->pad_right > 0;
  float lo, hi;
  if (clamp_of(b, st->act, &lo, &hi) != 0) return -1;
  xnn_operator_t op = NULL;
  enum xnn_status s;
  if (st->kind == BENCH_MAXPOOL) {
    s = xnn_create_max_pooling2d_nhwc_f32((uint32_t)st->pad_top, (uint32_t)st->pad_right, (uint32_t)st->pad_bottom,
                                          (uint32_t)st->pad_left, (uint32_t)st->kh, (uint32_t)st->kw,
                                          (uint32_t)st->sh, (uint32_t)st->sw, (uint32_t)st->dh, (uint32_t)st->dw,
                                          c, c, c, lo, hi, 0, &op);
    if (s == xnn_status_success)
      s = xnn_setup_max_pooling2d_nhwc_f32(op, (size_t)net->batch, (size_t)x->h, (size_t)x->w,
                                           b->ch->tensors[st->inputs[0]], main_target(b), b->ch->pool);
  } else {
    /* XNNPACK averages over the pixels inside the image (TensorFlow's
       rule), which is count_include_pad = 0 only when there is padding. */
    if (padded && st->count_include_pad) return fail(b, "average pooling that counts padding (count_include_pad)");
    s = xnn_create_average_pooling2d_nhwc_f32((uint32_t)st->pad_top, (uint32_t)st->pad_right,
                                              (uint32_t)st->pad_bottom, (uint32_t)st->pad_left, (uint32_t)st->kh,
                                              (uint32_t)st->kw, (uint32_t)st->sh, (uint32_t)st->sw, c, c, c, lo, hi,
                                              0, &op);
    if (s == xnn_status_success)
      s = xnn_setup_average_pooling2d_nhwc_f32(op, (size_t)net->batch, (size_t)x->h, (size_t)x->w,
                                               b->ch->tensors[st->inputs[0]], main_target(b), b->ch->pool);
  }
  if (keep(b, op, s, "pooling") != 0) return -1;
  return finish_activation(b);
}

/* After a step of copies, which fuse no clamp: a clamp of its own over
   the output in place, or the unfused activation from scratch. */
static int finish_copy(struct builder *b) {
  const struct bench_net *net = b->ch->net;
  int t = b->st->output;
  float *out = b->ch->tensors[t];
  if (b->st->act != BENCH_ACT_NONE && !unfused(b->st->act))
    return add_activation(b, b->st->act, pixels(net, t), (size_t)net->tensors[t].c, out, out);
  return finish_activation(b);
}

/* Channels of each input copied into their slice of every output pixel. */
static int build_concat(struct builder *b) {
  const struct bench_step *st = b->st;
  const struct bench_net *net = b->ch->net;
  size_t total = (size_t)net->tensors[st->output].c, offset = 0;
  float *out = main_target(b);
  for (int k = 0; k < st->n_inputs; k++) {
    size_t c = (size_t)net->tensors[st->inputs[k]].c;
    xnn_operator_t op = NULL;
    enum xnn_status s = xnn_create_copy_nc_x32(c, c, total, 0, &op);
    if (s == xnn_status_success)
      s = xnn_setup_copy_nc_x32(op, pixels(net, st->output), b->ch->tensors[st->inputs[k]], out + offset, b->ch->pool);
    if (keep(b, op, s, "copy") != 0) return -1;
    offset += c;
  }
  return finish_copy(b);
}

/* y = x * scale[c] + shift[c]: a broadcast multiply, then add. */
static int build_affine(struct builder *b) {
  const struct bench_step *st = b->st;
  const struct bench_net *net = b->ch->net;
  const struct bench_tensor *y = &net->tensors[st->output];
  size_t shape[4] = {(size_t)net->batch, (size_t)y->h, (size_t)y->w, (size_t)y->c}, channel[4] = {1, 1, 1, shape[3]};
  float lo, hi, *out = main_target(b);
  if (clamp_of(b, st->act, &lo, &hi) != 0) return -1;
  xnn_operator_t mul = NULL, add = NULL;
  enum xnn_status s = xnn_create_multiply_nd_f32(-INFINITY, INFINITY, 0, &mul);
  if (s == xnn_status_success)
    s = xnn_setup_multiply_nd_f32(mul, 4, shape, 4, channel, b->ch->tensors[st->inputs[0]], st->scale, out,
                                  b->ch->pool);
  if (keep(b, mul, s, "multiply") != 0) return -1;
  s = xnn_create_add_nd_f32(lo, hi, 0, &add);
  if (s == xnn_status_success) s = xnn_setup_add_nd_f32(add, 4, shape, 4, channel, out, st->shift, out, b->ch->pool);
  if (keep(b, add, s, "add") != 0) return -1;
  return finish_activation(b);
}

/* A tensor's NHWC shape, per-channel operands as N x 1 x 1 x C: XNNPACK
   broadcasts their 1s against the other operand's H and W. */
static void nhwc_shape(const struct bench_net *net, int t, size_t shape[4]) {
  const struct bench_tensor *x = &net->tensors[t];
  shape[0] = (size_t)net->batch, shape[1] = (size_t)x->h, shape[2] = (size_t)x->w, shape[3] = (size_t)x->c;
}

static int build_mul(struct builder *b) {
  const struct bench_step *st = b->st;
  const struct bench_net *net = b->ch->net;
  size_t shape0[4], shape1[4];
  float lo, hi;
  if (st->n_inputs != 2) return fail(b, "a mul of %d inputs", st->n_inputs);
  if (clamp_of(b, st->act, &lo, &hi) != 0) return -1;
  nhwc_shape(net, st->inputs[0], shape0);
  nhwc_shape(net, st->inputs[1], shape1);
  xnn_operator_t op = NULL;
  enum xnn_status s = xnn_create_multiply_nd_f32(lo, hi, 0, &op);
  if (s == xnn_status_success)
    s = xnn_setup_multiply_nd_f32(op, 4, shape0, 4, shape1, b->ch->tensors[st->inputs[0]],
                                  b->ch->tensors[st->inputs[1]], main_target(b), b->ch->pool);
  if (keep(b, op, s, "multiply") != 0) return -1;
  return finish_activation(b);
}

/* XNNPACK's channel shuffle writes output channel k*groups + j from input
   channel j*group_channels + k, PyTorch's order.  It wants two groups at
   least; one group is no shuffle at all, a copy. */
static int build_shuffle(struct builder *b) {
  const struct bench_step *st = b->st;
  const struct bench_net *net = b->ch->net;
  size_t c = (size_t)net->tensors[st->output].c, g = (size_t)st->groups;
  xnn_operator_t op = NULL;
  enum xnn_status s;
  if (st->groups < 1 || c % g != 0) return fail(b, "%zu channels in %d groups", c, st->groups);
  if (g == 1) {
    s = xnn_create_copy_nc_x32(c, c, c, 0, &op);
    if (s == xnn_status_success)
      s = xnn_setup_copy_nc_x32(op, pixels(net, st->output), b->ch->tensors[st->inputs[0]], main_target(b),
                                b->ch->pool);
  } else {
    s = xnn_create_channel_shuffle_nc_x32(g, c / g, c, c, 0, &op);
    if (s == xnn_status_success)
      s = xnn_setup_channel_shuffle_nc_x32(op, pixels(net, st->output), b->ch->tensors[st->inputs[0]],
                                           main_target(b), b->ch->pool);
  }
  if (keep(b, op, s, "channel shuffle") != 0) return -1;
  return finish_copy(b);
}

/* Channels [start, stop) of every input pixel: rows of stop - start read
   at stride C from the start-th channel. */
static int build_slice(struct builder *b) {
  const struct bench_step *st = b->st;
  const struct bench_net *net = b->ch->net;
  size_t c_in = (size_t)net->tensors[st->inputs[0]].c, c = (size_t)net->tensors[st->output].c;
  if (st->start < 0 || st->stop > (int)c_in || (size_t)(st->stop - st->start) != c)
    return fail(b, "channels [%d, %d) of %zu into %zu", st->start, st->stop, c_in, c);
  xnn_operator_t op = NULL;
  enum xnn_status s = xnn_create_copy_nc_x32(c, c_in, c, 0, &op);
  if (s == xnn_status_success)
    s = xnn_setup_copy_nc_x32(op, pixels(net, st->output), b->ch->tensors[st->inputs[0]] + st->start,
                              main_target(b), b->ch->pool);
  if (keep(b, op, s, "copy") != 0) return -1;
  return finish_copy(b);
}

static int build_step(struct builder *b) {
  const struct bench_net *net = b->ch->net;
  const struct bench_step *st = b->st;
  float lo, hi;
  if (clamp_of(b, st->act, &lo, &hi) != 0) return -1;   /* an activation it does not know */
  switch (st->kind) {
  case BENCH_CONV: return build_conv(b);
  case BENCH_LINEAR: return build_linear(b);
  case BENCH_ADD: return build_add(b);
  case BENCH_GAP: return build_gap(b);
  case BENCH_AVGPOOL:
  case BENCH_MAXPOOL: return build_pool(b);
  case BENCH_CONCAT: return build_concat(b);
  case BENCH_AFFINE: return build_affine(b);
  case BENCH_ACT:
    return add_activation(b, st->act, pixels(net, st->output), (size_t)net->tensors[st->output].c,
                          b->ch->tensors[st->inputs[0]], b->ch->tensors[st->output]);
  case BENCH_MUL: return build_mul(b);
  case BENCH_SHUFFLE: return build_shuffle(b);
  case BENCH_SLICE: return build_slice(b);
  }
  return fail(b, "step kind %d, which this peer does not know", (int)st->kind);
}

/* ---- the peer interface ------------------------------------------------- */

static void chain_destroy(void *p) {
  struct xnn_chain *ch = p;
  if (!ch) return;
  for (int i = 0; i < ch->n_ops; i++) xnn_delete_operator(ch->ops[i]);
  if (ch->tensors)
    for (int t = 0; t < ch->net->n_tensors; t++) free(ch->tensors[t]);
  free(ch->tensors);
  free(ch->scratch);
  free(ch->ops);
  if (ch->pool) pthreadpool_destroy(ch->pool);
  free(ch);
}

static int allocate_tensors(struct xnn_chain *ch, int first, int last) {
  const struct bench_net *net = ch->net;
  size_t largest = 0;
  for (int s = first; s <= last; s++) {
    const struct bench_step *st = &net->steps[s];
    for (int k = 0; k <= st->n_inputs; k++) {
      int t = k < st->n_inputs ? st->inputs[k] : st->output;
      if (!ch->tensors[t] && !(ch->tensors[t] = new_buffer(ch, floats(net, t)))) return -1;
    }
    if (unfused(st->act) && floats(net, st->output) > largest) largest = floats(net, st->output);
  }
  if (largest && !(ch->scratch = new_buffer(ch, largest))) return -1;
  return 0;
}

static void *chain_create(const struct bench_net *net, int first, int last, int threads, char *why,
                          size_t why_size) {
  static int initialized;
  enum xnn_status s = initialized ? xnn_status_success : xnn_initialize(NULL);
  if (s != xnn_status_success) {
    snprintf(why, why_size, "xnn_initialize: %s", status_text(s));
    return NULL;
  }
  initialized = 1;
  struct xnn_chain *ch = calloc(1, sizeof *ch);
  if (!ch) return NULL;
  ch->net = net;
  ch->tensors = calloc((size_t)net->n_tensors, sizeof(float *));
  /* At most one operator per input (add, concat), plus two for an
     activation (hardsigmoid), plus one: affine's multiply and add. */
  for (int i = first; i <= last; i++) ch->max_ops += net->steps[i].n_inputs + 3;
  ch->ops = calloc((size_t)ch->max_ops, sizeof(xnn_operator_t));
  if (!ch->tensors || !ch->ops || bench_chain_io(net, first, last, &ch->io) != 0 ||
      allocate_tensors(ch, first, last) != 0) {
    snprintf(why, why_size, "out of memory, or too many chain inputs");
    chain_destroy(ch);
    return NULL;
  }
  if (threads > 1 && !(ch->pool = pthreadpool_create((size_t)threads))) {
    snprintf(why, why_size, "pthreadpool_create(%d) failed", threads);
    chain_destroy(ch);
    return NULL;
  }
  for (int s = first; s <= last; s++) {
    struct builder b = {ch, &net->steps[s], why, why_size};
    if (build_step(&b) != 0) {
      chain_destroy(ch);
      return NULL;
    }
  }
  return ch;
}

/* NCHW <-> NHWC, per sample. */
static void to_nhwc(const struct bench_net *net, int t, const float *src, float *dst) {
  size_t c = (size_t)net->tensors[t].c, hw = (size_t)net->tensors[t].h * (size_t)net->tensors[t].w;
  for (size_t n = 0; n < (size_t)net->batch; n++)
    for (size_t ci = 0; ci < c; ci++)
      for (size_t p = 0; p < hw; p++) dst[(n * hw + p) * c + ci] = src[(n * c + ci) * hw + p];
}

static void to_nchw(const struct bench_net *net, int t, const float *src, float *dst) {
  size_t c = (size_t)net->tensors[t].c, hw = (size_t)net->tensors[t].h * (size_t)net->tensors[t].w;
  for (size_t n = 0; n < (size_t)net->batch; n++)
    for (size_t ci = 0; ci < c; ci++)
      for (size_t p = 0; p < hw; p++) dst[(n * c + ci) * hw + p] = src[(n * hw + p) * c + ci];
}

static void chain_load(void *p, const float *const *inputs) {
  struct xnn_chain *ch = p;
  for (int k = 0; k < ch->io.n_inputs; k++)
    to_nhwc(ch->net, ch->io.inputs[k], inputs[k], ch->tensors[ch->io.inputs[k]]);
}

static int chain_run(void *p) {
  struct xnn_chain *ch = p;
  for (int i = 0; i < ch->n_ops; i++)
    if (xnn_run_operator(ch->ops[i], ch->pool) != xnn_status_success) return -1;
  return 0;
}

static void chain_read(void *p, float *const *outputs) {
  struct xnn_chain *ch = p;
  for (int k = 0; k < ch->io.n_outputs; k++)
    to_nchw(ch->net, ch->io.outputs[k], ch->tensors[ch->io.outputs[k]], outputs[k]);
}

static size_t chain_bytes(void *p) { return ((struct xnn_chain *)p)->bytes; }

const struct peer peer_xnnpack = {"xnnpack", chain_create, chain_load, chain_run, chain_read, chain_bytes,
                                  chain_destroy};
