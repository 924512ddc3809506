/*
** reference.c: the naive reference.
**
** Runs a ref_graph with the plainest loops that follow PyTorch's eval-mode
** semantics, accumulating in double.  It is the oracle the generated code
** is checked against, so it is written for being obviously right, never
** for speed, and it shares no code with the generator.
**
** ref_run first checks the whole graph (indices, execution order, every
** layer's parameters and the shape each layer must produce), so that a
** bad graph is reported before anything is computed.
*/

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refgraph.h"

struct shape {
  int n, c, h, w;
};

static const char *const op_names[] = {
  "conv", "batchnorm", "relu", "relu6", "hardswish", "sigmoid",
  "add", "concat", "avgpool", "maxpool", "gap", "flatten", "linear",
  "hardsigmoid", "mul", "shuffle", "slice"
};

#define N_OPS ((int)(sizeof(op_names) / sizeof(op_names[0])))


/*
** {======================================================
** Shapes and error reports
** =======================================================
*/

/* A generated graph may lack a name; printf("%s", NULL) is undefined. */
static const char *name_of(const char *name) {
  return name != NULL ? name : "?";
}

static int graph_error(const char *fmt, ...) {
  va_list ap;
  fputs("ref_run: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return -1;
}

static int layer_error(const struct ref_layer *l, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "ref_run: layer '%s'", name_of(l->name));
  if ((unsigned)l->op < (unsigned)N_OPS)
    fprintf(stderr, " (%s)", op_names[l->op]);
  fputs(": ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return -1;
}

static struct shape shape_of(const struct ref_tensor *t) {
  struct shape s;
  s.n = t->n; s.c = t->c; s.h = t->h; s.w = t->w;
  return s;
}

static int same_shape(struct shape a, struct shape b) {
  return a.n == b.n && a.c == b.c && a.h == b.h && a.w == b.w;
}

static size_t shape_size(struct shape s) {
  return (size_t)s.n * s.c * s.h * s.w;
}

static size_t tensor_size(const struct ref_tensor *t) {
  return shape_size(shape_of(t));
}

/*
** PyTorch's output size for one spatial axis (floor mode), or 0 when the
** dilated kernel does not fit in the padded input.  The test keeps C's
** truncating division away from negative numerators.
*/
static int conv_output_size(int in, int k, int stride, int pad0, int pad1,
                            int dilation) {
  int span = in + pad0 + pad1 - dilation * (k - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

/*
** A pooling window with no tap inside the input has nothing to take the
** max of, and nothing to divide by when padding does not count; PyTorch
** rules such windows out by limiting the padding, which the graph's
** asymmetric pads cannot express, so look at every window instead.
** Returns the first such output position on the axis, or -1.
*/
static int empty_window(int in, int k, int stride, int pad0, int dilation,
                        int out) {
  int o, t;
  for (o = 0; o < out; o++) {
    for (t = 0; t < k; t++) {
      int i = o * stride - pad0 + t * dilation;
      if (i >= 0 && i < in) break;
    }
    if (t == k) return o;
  }
  return -1;
}

/* }====================================================== */


/*
** {======================================================
** Checking a layer: what it must produce from what it reads
** =======================================================
*/

static int check_window(const struct ref_layer *l) {
  if (l->kh < 1 || l->kw < 1)
    return layer_error(l, "kernel %dx%d", l->kh, l->kw);
  if (l->sh < 1 || l->sw < 1)
    return layer_error(l, "stride %dx%d", l->sh, l->sw);
  if (l->dh < 1 || l->dw < 1)
    return layer_error(l, "dilation %dx%d", l->dh, l->dw);
  if (l->pad_top < 0 || l->pad_bottom < 0 || l->pad_left < 0
      || l->pad_right < 0)
    return layer_error(l, "negative padding (top %d bottom %d left %d "
                       "right %d)", l->pad_top, l->pad_bottom,
                       l->pad_left, l->pad_right);
  return 0;
}

/* The spatial size of a conv or pool output (n and c are the caller's). */
static int window_output(const struct ref_layer *l, struct shape in,
                         struct shape *out) {
  if (check_window(l) != 0) return -1;
  out->h = conv_output_size(in.h, l->kh, l->sh, l->pad_top, l->pad_bottom,
                            l->dh);
  out->w = conv_output_size(in.w, l->kw, l->sw, l->pad_left, l->pad_right,
                            l->dw);
  if (out->h < 1 || out->w < 1)
    return layer_error(l, "kernel %dx%d (dilation %dx%d) does not fit the "
                       "padded %dx%d input", l->kh, l->kw, l->dh, l->dw,
                       in.h, in.w);
  return 0;
}

static int pool_output(const struct ref_layer *l, struct shape in,
                       struct shape *out) {
  int y, x;
  if (window_output(l, in, out) != 0) return -1;
  y = empty_window(in.h, l->kh, l->sh, l->pad_top, l->dh, out->h);
  x = empty_window(in.w, l->kw, l->sw, l->pad_left, l->dw, out->w);
  if (y >= 0 || x >= 0)
    return layer_error(l, "the window at output %s %d lies entirely in "
                       "the padding", y >= 0 ? "row" : "column",
                       y >= 0 ? y : x);
  return 0;
}

static int conv_output(const struct ref_layer *l, struct shape in,
                       int c_out, struct shape *out) {
  if (l->weight == NULL) return layer_error(l, "no weight");
  if (l->groups < 1) return layer_error(l, "groups %d", l->groups);
  if (in.c % l->groups != 0)
    return layer_error(l, "%d input channels do not split into %d groups",
                       in.c, l->groups);
  if (c_out % l->groups != 0)
    return layer_error(l, "%d output channels do not split into %d groups",
                       c_out, l->groups);
  out->n = in.n;
  out->c = c_out;
  return window_output(l, in, out);
}

static int batchnorm_output(const struct ref_layer *l, struct shape in,
                            struct shape *out) {
  if (l->gamma == NULL || l->beta == NULL || l->mean == NULL
      || l->var == NULL)
    return layer_error(l, "missing gamma, beta, mean or var");
  *out = in;
  return 0;
}

static int add_output(const struct ref_layer *l,
                      const struct ref_tensor *tensors, struct shape *out) {
  int i;
  if (l->n_inputs < 2)
    return layer_error(l, "%d inputs, needs at least 2", l->n_inputs);
  *out = shape_of(&tensors[l->inputs[0]]);
  for (i = 1; i < l->n_inputs; i++) {
    struct shape s = shape_of(&tensors[l->inputs[i]]);
    if (!same_shape(s, *out))
      return layer_error(l, "input %d is %dx%dx%dx%d, input 0 is "
                         "%dx%dx%dx%d", i, s.n, s.c, s.h, s.w,
                         out->n, out->c, out->h, out->w);
  }
  return 0;
}

static int concat_output(const struct ref_layer *l,
                         const struct ref_tensor *tensors, struct shape *out) {
  int i, in0_c;
  *out = shape_of(&tensors[l->inputs[0]]);
  in0_c = out->c;
  for (i = 1; i < l->n_inputs; i++) {
    struct shape s = shape_of(&tensors[l->inputs[i]]);
    if (s.n != out->n || s.h != out->h || s.w != out->w)
      return layer_error(l, "input %d is %dx%dx%dx%d, input 0 is "
                         "%dx%dx%dx%d: only channels may differ", i,
                         s.n, s.c, s.h, s.w, out->n, in0_c, out->h, out->w);
    out->c += s.c;
  }
  return 0;
}

/* A C x 1 x 1 operand of mul, which it broadcasts over H and W. */
static int per_channel(struct shape s) {
  return s.h == 1 && s.w == 1;
}

/*
** Both operands hold the same batch and channels; each is either the full
** shape or per channel, and the full one (if any) is the output's.
*/
static int mul_output(const struct ref_layer *l,
                      const struct ref_tensor *tensors, struct shape *out) {
  struct shape a = shape_of(&tensors[l->inputs[0]]);
  struct shape b = shape_of(&tensors[l->inputs[1]]);
  if (a.n != b.n || a.c != b.c
      || (!per_channel(a) && !per_channel(b) && (a.h != b.h || a.w != b.w)))
    return layer_error(l, "inputs %dx%dx%dx%d and %dx%dx%dx%d: they must "
                       "be the same shape, or one of them Nx%dx1x1", a.n,
                       a.c, a.h, a.w, b.n, b.c, b.h, b.w, a.c);
  *out = per_channel(a) ? b : a;
  return 0;
}

static int shuffle_output(const struct ref_layer *l, struct shape in,
                          struct shape *out) {
  if (l->groups < 1) return layer_error(l, "groups %d", l->groups);
  if (in.c % l->groups != 0)
    return layer_error(l, "%d channels do not split into %d groups", in.c,
                       l->groups);
  *out = in;
  return 0;
}

static int slice_output(const struct ref_layer *l, struct shape in,
                        struct shape *out) {
  if (l->start < 0 || l->start >= l->stop || l->stop > in.c)
    return layer_error(l, "channels [%d, %d) of %d: needs 0 <= start < "
                       "stop <= %d", l->start, l->stop, in.c, in.c);
  *out = in;
  out->c = l->stop - l->start;
  return 0;
}

static int linear_output(const struct ref_layer *l, struct shape in,
                         int n_out, struct shape *out) {
  if (l->weight == NULL) return layer_error(l, "no weight");
  out->n = in.n;
  out->c = n_out;
  out->h = out->w = 1;
  return 0;
}

/*
** The shape layer l must produce.  The output channels of conv and linear
** follow from the weight's size, which the graph does not give, so they
** are taken from the declared output; everything else is derived.
*/
static int expected_output(const struct ref_graph *g,
                           const struct ref_layer *l, struct shape *out) {
  struct shape in = shape_of(&g->tensors[l->inputs[0]]);
  int declared_c = g->tensors[l->output].c;
  if (l->op == REF_MUL && l->n_inputs != 2)
    return layer_error(l, "%d inputs, needs 2", l->n_inputs);
  if (l->op != REF_ADD && l->op != REF_CONCAT && l->op != REF_MUL
      && l->n_inputs != 1)
    return layer_error(l, "%d inputs, needs 1", l->n_inputs);
  switch (l->op) {
  case REF_CONV: return conv_output(l, in, declared_c, out);
  case REF_BATCHNORM: return batchnorm_output(l, in, out);
  case REF_RELU: case REF_RELU6: case REF_HARDSWISH: case REF_SIGMOID:
  case REF_HARDSIGMOID:
    *out = in;
    return 0;
  case REF_ADD: return add_output(l, g->tensors, out);
  case REF_CONCAT: return concat_output(l, g->tensors, out);
  case REF_AVGPOOL:
    if (l->dh != 1 || l->dw != 1)
      return layer_error(l, "dilation %dx%d, average pooling has none "
                         "(must be 1x1)", l->dh, l->dw);
    /* fall through */
  case REF_MAXPOOL:
    out->n = in.n;
    out->c = in.c;
    return pool_output(l, in, out);
  case REF_GAP:
    out->n = in.n; out->c = in.c; out->h = out->w = 1;
    return 0;
  case REF_FLATTEN:
    out->n = in.n; out->c = in.c * in.h * in.w; out->h = out->w = 1;
    return 0;
  case REF_LINEAR: return linear_output(l, in, declared_c, out);
  case REF_MUL: return mul_output(l, g->tensors, out);
  case REF_SHUFFLE: return shuffle_output(l, in, out);
  case REF_SLICE: return slice_output(l, in, out);
  }
  return layer_error(l, "unknown op %d", (int)l->op);
}

static int valid_tensor(const struct ref_graph *g, int t) {
  return t >= 0 && t < g->n_tensors;
}

/*
** Indices in range, every input already computed, every output computed
** exactly once: the execution order the header promises.
*/
static int check_layer_tensors(const struct ref_graph *g,
                               const struct ref_layer *l, char *ready) {
  int i;
  if (l->n_inputs < 1 || l->inputs == NULL)
    return layer_error(l, "no inputs");
  for (i = 0; i < l->n_inputs; i++) {
    int t = l->inputs[i];
    if (!valid_tensor(g, t))
      return layer_error(l, "input %d is tensor %d, out of range", i, t);
    if (!ready[t])
      return layer_error(l, "reads tensor '%s' before it is computed",
                         name_of(g->tensors[t].name));
  }
  if (!valid_tensor(g, l->output))
    return layer_error(l, "output is tensor %d, out of range", l->output);
  if (ready[l->output])
    return layer_error(l, "writes tensor '%s', which already has a value",
                       name_of(g->tensors[l->output].name));
  ready[l->output] = 1;
  return 0;
}

static int check_layer(const struct ref_graph *g, const struct ref_layer *l,
                       char *ready) {
  const struct ref_tensor *t;
  struct shape want;
  if (check_layer_tensors(g, l, ready) != 0) return -1;
  if (expected_output(g, l, &want) != 0) return -1;
  t = &g->tensors[l->output];
  if (!same_shape(shape_of(t), want))
    return layer_error(l, "output '%s' is declared %dx%dx%dx%d, but its "
                       "parameters and inputs give %dx%dx%dx%d",
                       name_of(t->name), t->n, t->c, t->h, t->w,
                       want.n, want.c, want.h, want.w);
  return 0;
}

static int check_tensors(const struct ref_graph *g) {
  int i;
  if (g->n_tensors > 0 && g->tensors == NULL)
    return graph_error("no tensor table");
  for (i = 0; i < g->n_tensors; i++) {
    const struct ref_tensor *t = &g->tensors[i];
    if (t->n < 1 || t->c < 1 || t->h < 1 || t->w < 1)
      return graph_error("tensor %d '%s' has shape %dx%dx%dx%d", i,
                         name_of(t->name), t->n, t->c, t->h, t->w);
  }
  return 0;
}

static int check_graph(const struct ref_graph *g, char *ready) {
  int i;
  if (check_tensors(g) != 0) return -1;
  if (g->n_inputs < 0 || (g->n_inputs > 0 && g->inputs == NULL))
    return graph_error("no input table");
  for (i = 0; i < g->n_inputs; i++) {
    if (!valid_tensor(g, g->inputs[i]))
      return graph_error("graph input %d is tensor %d, out of range", i,
                         g->inputs[i]);
    ready[g->inputs[i]] = 1;
  }
  if (g->n_layers < 0 || (g->n_layers > 0 && g->layers == NULL))
    return graph_error("no layer table");
  for (i = 0; i < g->n_layers; i++)
    if (check_layer(g, &g->layers[i], ready) != 0) return -1;
  if (g->n_outputs < 0 || (g->n_outputs > 0 && g->outputs == NULL))
    return graph_error("no output table");
  for (i = 0; i < g->n_outputs; i++) {
    int t = g->outputs[i];
    if (!valid_tensor(g, t))
      return graph_error("graph output %d is tensor %d, out of range", i, t);
    if (!ready[t])
      return graph_error("graph output %d, tensor '%s', is never computed",
                         i, name_of(g->tensors[t].name));
  }
  return 0;
}

/* }====================================================== */


/*
** {======================================================
** The layers
** =======================================================
*/

/* Everything a layer sees: its shapes and buffers. */
struct run {
  const struct ref_layer *l;
  const struct ref_tensor *tensors;
  float *const *buf;            /* by tensor index */
};

#define INPUT(r, i)   ((r)->buf[(r)->l->inputs[i]])
#define IN_T(r, i)    (&(r)->tensors[(r)->l->inputs[i]])
#define OUTPUT(r)     ((r)->buf[(r)->l->output])
#define OUT_T(r)      (&(r)->tensors[(r)->l->output])

/* Offset of element (n, c, y, x) in a dense NCHW tensor. */
static size_t at(const struct ref_tensor *t, int n, int c, int y, int x) {
  return (((size_t)n * t->c + c) * t->h + y) * t->w + x;
}

static void run_conv(const struct run *r) {
  const struct ref_layer *l = r->l;
  const struct ref_tensor *it = IN_T(r, 0), *ot = OUT_T(r);
  const float *in = INPUT(r, 0);
  float *out = OUTPUT(r);
  int cin_g = it->c / l->groups, cout_g = ot->c / l->groups;
  int n, oc, oy, ox, ic, ky, kx;
  for (n = 0; n < ot->n; n++)
    for (oc = 0; oc < ot->c; oc++) {
      int first_ic = (oc / cout_g) * cin_g;  /* the group's input channels */
      for (oy = 0; oy < ot->h; oy++)
        for (ox = 0; ox < ot->w; ox++) {
          double acc = l->bias != NULL ? l->bias[oc] : 0.0;
          for (ic = 0; ic < cin_g; ic++)
            for (ky = 0; ky < l->kh; ky++)
              for (kx = 0; kx < l->kw; kx++) {
                int y = oy * l->sh - l->pad_top + ky * l->dh;
                int x = ox * l->sw - l->pad_left + kx * l->dw;
                size_t wi = (((size_t)oc * cin_g + ic) * l->kh + ky) * l->kw
                            + kx;
                if (y < 0 || y >= it->h || x < 0 || x >= it->w)
                  continue;  /* zero padding */
                acc += (double)l->weight[wi]
                       * in[at(it, n, first_ic + ic, y, x)];
              }
          out[at(ot, n, oc, oy, ox)] = (float)acc;
        }
    }
}

static void run_batchnorm(const struct run *r) {
  const struct ref_layer *l = r->l;
  const struct ref_tensor *t = OUT_T(r);
  const float *in = INPUT(r, 0);
  float *out = OUTPUT(r);
  size_t plane = (size_t)t->h * t->w, i;
  int n, c;
  for (n = 0; n < t->n; n++)
    for (c = 0; c < t->c; c++) {
      double sd = sqrt((double)l->var[c] + l->eps);
      size_t base = at(t, n, c, 0, 0);
      for (i = 0; i < plane; i++)
        out[base + i] = (float)(l->gamma[c]
                                * ((double)in[base + i] - l->mean[c]) / sd
                                + l->beta[c]);
    }
}

/* Written as comparisons so that NaN passes through, as in PyTorch. */
static double clamp(double x, double lo, double hi) {
  return x < lo ? lo : x > hi ? hi : x;
}

static double activation(enum ref_op op, double x) {
  switch (op) {
  case REF_RELU: return x < 0 ? 0 : x;
  case REF_RELU6: return clamp(x, 0, 6);
  case REF_HARDSWISH: return x * clamp(x + 3, 0, 6) / 6;
  case REF_HARDSIGMOID: return clamp(x + 3, 0, 6) / 6;
  default: return 1 / (1 + exp(-x));  /* REF_SIGMOID */
  }
}

static void run_activation(const struct run *r) {
  const float *in = INPUT(r, 0);
  float *out = OUTPUT(r);
  size_t i, size = tensor_size(OUT_T(r));
  for (i = 0; i < size; i++)
    out[i] = (float)activation(r->l->op, in[i]);
}

static void run_add(const struct run *r) {
  float *out = OUTPUT(r);
  size_t i, size = tensor_size(OUT_T(r));
  int k;
  for (i = 0; i < size; i++) {
    double sum = 0;
    for (k = 0; k < r->l->n_inputs; k++)
      sum += INPUT(r, k)[i];
    out[i] = (float)sum;
  }
}

/* Per batch item, each input's C*H*W block goes after the previous ones. */
static void run_concat(const struct run *r) {
  const struct ref_tensor *ot = OUT_T(r);
  float *out = OUTPUT(r);
  int n, k;
  for (n = 0; n < ot->n; n++) {
    int c_first = 0;
    for (k = 0; k < r->l->n_inputs; k++) {
      const struct ref_tensor *it = IN_T(r, k);
      memcpy(out + at(ot, n, c_first, 0, 0), INPUT(r, k) + at(it, n, 0, 0, 0),
             (size_t)it->c * it->h * it->w * sizeof(float));
      c_first += it->c;
    }
  }
}

/* The input taps of one pooling window, reduced to a max or a mean. */
static double pool_window(const struct run *r, int n, int c, int oy, int ox) {
  const struct ref_layer *l = r->l;
  const struct ref_tensor *it = IN_T(r, 0);
  const float *in = INPUT(r, 0);
  double sum = 0, max = -INFINITY;
  int ky, kx, taps = 0;
  for (ky = 0; ky < l->kh; ky++)
    for (kx = 0; kx < l->kw; kx++) {
      int y = oy * l->sh - l->pad_top + ky * l->dh;
      int x = ox * l->sw - l->pad_left + kx * l->dw;
      double v;
      if (y < 0 || y >= it->h || x < 0 || x >= it->w) continue;
      v = in[at(it, n, c, y, x)];
      sum += v;
      if (v > max || isnan(v)) max = v;  /* NaN wins, as in PyTorch */
      taps++;
    }
  if (l->op == REF_MAXPOOL) return max;
  /* In floor mode every window lies within the padded input, so with
     count_include_pad PyTorch's divisor is always the kernel size. */
  return sum / (l->count_include_pad ? l->kh * l->kw : taps);
}

static void run_pool(const struct run *r) {
  const struct ref_tensor *ot = OUT_T(r);
  float *out = OUTPUT(r);
  int n, c, oy, ox;
  for (n = 0; n < ot->n; n++)
    for (c = 0; c < ot->c; c++)
      for (oy = 0; oy < ot->h; oy++)
        for (ox = 0; ox < ot->w; ox++)
          out[at(ot, n, c, oy, ox)] = (float)pool_window(r, n, c, oy, ox);
}

static void run_gap(const struct run *r) {
  const struct ref_tensor *it = IN_T(r, 0);
  const float *in = INPUT(r, 0);
  float *out = OUTPUT(r);
  size_t plane = (size_t)it->h * it->w, i;
  int n, c;
  for (n = 0; n < it->n; n++)
    for (c = 0; c < it->c; c++) {
      double sum = 0;
      for (i = 0; i < plane; i++)
        sum += in[at(it, n, c, 0, 0) + i];
      out[(size_t)n * it->c + c] = (float)(sum / plane);
    }
}

static void run_flatten(const struct run *r) {
  memcpy(OUTPUT(r), INPUT(r, 0), tensor_size(OUT_T(r)) * sizeof(float));
}

static void run_linear(const struct run *r) {
  const struct ref_layer *l = r->l;
  const float *in = INPUT(r, 0);
  float *out = OUTPUT(r);
  int n_items = OUT_T(r)->n, n_out = OUT_T(r)->c;
  size_t n_in = tensor_size(IN_T(r, 0)) / n_items, i;
  int n, o;
  for (n = 0; n < n_items; n++)
    for (o = 0; o < n_out; o++) {
      double acc = l->bias != NULL ? l->bias[o] : 0.0;
      for (i = 0; i < n_in; i++)
        acc += (double)l->weight[o * n_in + i] * in[n * n_in + i];
      out[(size_t)n * n_out + o] = (float)acc;
    }
}

/*
** Element (n, c, y, x) of mul operand k: a per-channel operand has one
** value per channel, the same at every position.
*/
static double mul_operand(const struct run *r, int k, int n, int c, int y,
                          int x) {
  const struct ref_tensor *t = IN_T(r, k);
  if (t->h == 1 && t->w == 1) y = x = 0;
  return INPUT(r, k)[at(t, n, c, y, x)];
}

static void run_mul(const struct run *r) {
  const struct ref_tensor *ot = OUT_T(r);
  float *out = OUTPUT(r);
  int n, c, y, x;
  for (n = 0; n < ot->n; n++)
    for (c = 0; c < ot->c; c++)
      for (y = 0; y < ot->h; y++)
        for (x = 0; x < ot->w; x++)
          out[at(ot, n, c, y, x)] = (float)(mul_operand(r, 0, n, c, y, x)
                                            * mul_operand(r, 1, n, c, y, x));
}

/*
** PyTorch's channel_shuffle views the C channels as g rows of C/g and
** transposes that: input channel j*(C/g) + k (row j, column k) becomes
** output channel k*g + j.  Each channel is a whole H x W plane, so the
** shuffle moves planes.
*/
static void run_shuffle(const struct run *r) {
  const struct ref_tensor *t = OUT_T(r);
  const float *in = INPUT(r, 0);
  float *out = OUTPUT(r);
  size_t plane = (size_t)t->h * t->w;
  int g = r->l->groups, per_group = t->c / g, n, j, k;
  for (n = 0; n < t->n; n++)
    for (j = 0; j < g; j++)
      for (k = 0; k < per_group; k++)
        memcpy(out + at(t, n, k * g + j, 0, 0),
               in + at(t, n, j * per_group + k, 0, 0), plane * sizeof(float));
}

/* Per batch item the channels wanted are one contiguous block. */
static void run_slice(const struct run *r) {
  const struct ref_tensor *it = IN_T(r, 0), *ot = OUT_T(r);
  int n;
  for (n = 0; n < ot->n; n++)
    memcpy(OUTPUT(r) + at(ot, n, 0, 0, 0),
           INPUT(r, 0) + at(it, n, r->l->start, 0, 0),
           (size_t)ot->c * ot->h * ot->w * sizeof(float));
}

static void run_layer(const struct run *r) {
  switch (r->l->op) {
  case REF_CONV: run_conv(r); break;
  case REF_BATCHNORM: run_batchnorm(r); break;
  case REF_RELU: case REF_RELU6: case REF_HARDSWISH: case REF_SIGMOID:
  case REF_HARDSIGMOID:
    run_activation(r);
    break;
  case REF_ADD: run_add(r); break;
  case REF_CONCAT: run_concat(r); break;
  case REF_AVGPOOL: case REF_MAXPOOL: run_pool(r); break;
  case REF_GAP: run_gap(r); break;
  case REF_FLATTEN: run_flatten(r); break;
  case REF_LINEAR: run_linear(r); break;
  case REF_MUL: run_mul(r); break;
  case REF_SHUFFLE: run_shuffle(r); break;
  case REF_SLICE: run_slice(r); break;
  }
}

/* }====================================================== */


static float *new_buffer(const struct ref_tensor *t) {
  float *b = malloc(tensor_size(t) * sizeof(float));
  if (b == NULL)
    graph_error("out of memory for tensor '%s' (%zu floats)",
                name_of(t->name), tensor_size(t));
  return b;
}

static void free_buffers(float **buf, int n) {
  int i;
  for (i = 0; i < n; i++) free(buf[i]);
  free(buf);
}

/*
** Every tensor gets its own buffer for the whole run: the memory is that
** of the whole network's activations, which the reference can afford,
** and nothing is ever overwritten.  Graph inputs are copied in, so all
** buffers are alike.
*/
static int run_graph(const struct ref_graph *g, const float *const *inputs,
                     float **buf) {
  struct run r;
  int i;
  for (i = 0; i < g->n_inputs; i++) {
    const struct ref_tensor *t = &g->tensors[g->inputs[i]];
    float **b = &buf[g->inputs[i]];
    if (*b == NULL && (*b = new_buffer(t)) == NULL) return -1;
    memcpy(*b, inputs[i], tensor_size(t) * sizeof(float));
  }
  r.tensors = g->tensors;
  r.buf = buf;
  for (i = 0; i < g->n_layers; i++) {
    r.l = &g->layers[i];
    if ((buf[r.l->output] = new_buffer(OUT_T(&r))) == NULL) return -1;
    run_layer(&r);
  }
  return 0;
}

int ref_run(const struct ref_graph *g, const float *const *inputs,
            float *const *outputs) {
  char *ready;
  float **buf;
  int i, status;
  if (g == NULL) return graph_error("no graph");
  if (g->n_tensors < 0) return graph_error("%d tensors", g->n_tensors);
  /* + 1: calloc(0) may return NULL */
  ready = calloc((size_t)g->n_tensors + 1, 1);
  if (ready == NULL) return graph_error("out of memory");
  status = check_graph(g, ready);
  free(ready);
  if (status != 0) return -1;
  buf = calloc((size_t)g->n_tensors + 1, sizeof *buf);
  if (buf == NULL) return graph_error("out of memory");
  status = run_graph(g, inputs, buf);
  for (i = 0; status == 0 && i < g->n_outputs; i++) {
    const struct ref_tensor *t = &g->tensors[g->outputs[i]];
    memcpy(outputs[i], buf[g->outputs[i]], tensor_size(t) * sizeof(float));
  }
  free_buffers(buf, g->n_tensors);
  return status;
}


/*
** {======================================================
** Inputs and comparison, shared by check.c and bench_net.c
** =======================================================
*/

/*
** splitmix64 (Steele, Lea and Flood, 2014):
**   state = state + 0x9E3779B97F4A7C15   (mod 2^64)
**   z = state
**   z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
**   z = (z ^ (z >> 27)) * 0x94D049BB133111EB
**   return z ^ (z >> 31)
*/
static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* One draw per element: its top 24 bits make u in [0, 1), the element
   is 2u - 1, exact in float. */
void ref_fill_uniform(float *x, size_t n, uint64_t *state) {
  size_t i;
  for (i = 0; i < n; i++) {
    double u = (double)(splitmix64(state) >> 40) / 16777216.0;
    x[i] = (float)(2 * u - 1);
  }
}

static double largest_magnitude(const float *x, size_t size) {
  double m = 0;
  size_t i;
  for (i = 0; i < size; i++)
    if (isfinite(x[i]) && fabs(x[i]) > m) m = fabs(x[i]);
  return m;
}

/*
** A non-finite value on either side counts as an infinite error, so it
** is the worst element unless an earlier one is also infinite.
*/
void ref_compare(const float *gen, const float *ref, size_t size, double tol, struct ref_diff *d) {
  double floor_scale, limit;
  size_t i;
  d->scale = largest_magnitude(ref, size);
  floor_scale = d->scale > 1e-6 ? d->scale : 1e-6;
  limit = tol * floor_scale;
  d->max_abs = d->max_rel = -1;
  d->worst = d->mismatches = d->nonfinite = 0;
  for (i = 0; i < size; i++) {
    double err = INFINITY, rel = INFINITY;
    if (!isfinite(gen[i])) d->nonfinite++;
    else if (isfinite(ref[i])) {
      err = fabs((double)gen[i] - ref[i]);
      rel = err / (fabs(ref[i]) + 1e-3 * d->scale + 1e-30);
    }
    if (err > d->max_abs) {
      d->max_abs = err;
      d->worst = i;
    }
    if (rel > d->max_rel) d->max_rel = rel;
    if (err > limit) d->mismatches++;
  }
  d->normalized = d->max_abs / floor_scale;
}

int ref_passes(const struct ref_diff *d, double tol) {
  return d->normalized <= tol && d->nonfinite == 0;
}

/* }====================================================== */
