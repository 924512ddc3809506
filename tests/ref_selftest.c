/*
** ref_selftest.c: proves the naive reference (harness/reference.c).
**
** Each test builds a small ref_graph by hand and compares what ref_run
** gives with values worked out by hand in the comments, except one conv,
** which is checked against a second, differently organised computation
** (each input element scattered to the outputs it reaches, instead of
** each output gathering its inputs).  The last tests are bad graphs that
** ref_run must refuse; their error messages on stderr are expected.
**
** Build: cc -std=c99 -O2 -Wall -Wextra -pedantic -Iharness
**          tests/ref_selftest.c harness/reference.c -lm -o build/ref_selftest
*/

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "refgraph.h"

#define COUNT(a)          ((int)(sizeof(a) / sizeof((a)[0])))

/* Designated, so fields added to struct ref_graph later start as zero. */
#define GRAPH(nm, t, l, in, out) \
  { .name = (nm), .n_tensors = COUNT(t), .tensors = (t), .n_layers = COUNT(l), \
    .layers = (l), .n_inputs = COUNT(in), .inputs = (in), \
    .n_outputs = COUNT(out), .outputs = (out) }

/* Layers name their fields; the rest are zero. */
#define LAYER(nm, o, k, ins, outp) \
  .name = (nm), .op = (o), .n_inputs = (k), .inputs = (ins), .output = (outp)
#define KERNEL(h, w)      .kh = (h), .kw = (w)
#define STRIDE(h, w)      .sh = (h), .sw = (w)
#define DILATION(h, w)    .dh = (h), .dw = (w)
#define PADS(t, b, l, r) \
  .pad_top = (t), .pad_bottom = (b), .pad_left = (l), .pad_right = (r)

static int passed, failed;

/* The graphs here are small: at most this many outputs of this size. */
#define MAX_OUTPUTS 8
#define MAX_OUT 256

static size_t tensor_size(const struct ref_tensor *t) {
  return (size_t)t->n * t->c * t->h * t->w;
}

static void report(const char *what, int ok) {
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (ok) passed++; else failed++;
}

/*
** Exact except for the rounding of a double result to float; the test is
** written so that NaN (an element never written) fails.
*/
static int close_enough(float got, double want) {
  return fabs(got - want) <= 1e-6 * fmax(1.0, fabs(want));
}

static int outputs_match(const char *what, const struct ref_graph *g,
                         float (*out)[MAX_OUT], const float *const *want) {
  int k;
  size_t i;
  for (k = 0; k < g->n_outputs; k++) {
    const struct ref_tensor *t = &g->tensors[g->outputs[k]];
    for (i = 0; i < tensor_size(t); i++)
      if (!close_enough(out[k][i], want[k][i])) {
        printf("     %s: output '%s' element %zu is %.9g, want %.9g\n",
               what, t->name, i, out[k][i], want[k][i]);
        return 0;
      }
  }
  return 1;
}

/* Runs g on inputs in and checks each output k against want[k]. */
static void expect(const char *what, const struct ref_graph *g,
                   const float *const *in, const float *const *want) {
  static float out[MAX_OUTPUTS][MAX_OUT];
  float *outp[MAX_OUTPUTS];
  int k;
  size_t i;
  for (k = 0; k < MAX_OUTPUTS; k++) {
    for (i = 0; i < MAX_OUT; i++) out[k][i] = NAN;
    outp[k] = out[k];
  }
  for (k = 0; k < g->n_outputs; k++)
    if (k >= MAX_OUTPUTS
        || tensor_size(&g->tensors[g->outputs[k]]) > MAX_OUT) {
      printf("     %s: outputs too many or too large for this test\n", what);
      report(what, 0);
      return;
    }
  if (ref_run(g, in, outp) != 0) {
    printf("     %s: ref_run failed\n", what);
    report(what, 0);
    return;
  }
  report(what, outputs_match(what, g, out, want));
}

/* A bad graph: ref_run must refuse it (and say why on stderr). */
static void expect_refusal(const char *what, const struct ref_graph *g,
                           const float *const *in) {
  static float out[MAX_OUTPUTS][MAX_OUT];
  float *outp[MAX_OUTPUTS];
  int k;
  for (k = 0; k < MAX_OUTPUTS; k++) outp[k] = out[k];
  fflush(stdout);
  report(what, ref_run(g, in, outp) == -1);
}


/*
** {======================================================
** Convolutions
** =======================================================
*/

/*
** Input x[y][x] = 4y + x.  The kernel has three taps: 100 at (0,0), the
** up-left neighbour; 1 at (1,2), the right neighbour; 10 at (2,1), the
** one below; bias 0.5, padding 1.  So
**   out[y][x] = 100 x[y-1][x-1] + x[y][x+1] + 10 x[y+1][x] + 0.5
** with zeros outside; e.g. out[2][1] = 100*4 + 10 + 10*13 + 0.5 = 540.5.
** A flipped kernel (true convolution) or a one-sided pad would differ.
*/
static void test_conv_ramp(void) {
  static const struct ref_tensor t[] = {{"x", 1, 1, 4, 4}, {"y", 1, 1, 4, 4}};
  static const int in[] = {0}, out[] = {1};
  static const float w[] = {100, 0, 0, 0, 0, 1, 0, 10, 0}, b[] = {0.5f};
  static const struct ref_layer l[] = {{
    LAYER("conv", REF_CONV, 1, in, 1), KERNEL(3, 3), STRIDE(1, 1),
    PADS(1, 1, 1, 1), DILATION(1, 1), .groups = 1, .weight = w, .bias = b
  }};
  static const float x[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
                            14, 15};
  static const float y[] = {
     41.5f,  52.5f,  63.5f,   70.5f,
     85.5f,  96.5f, 207.5f,  310.5f,
    129.5f, 540.5f, 651.5f,  750.5f,
     13.5f, 814.5f, 915.5f, 1000.5f
  };
  const struct ref_graph g = GRAPH("conv", t, l, in, out);
  const float *xs[] = {x}, *ys[] = {y};
  expect("conv 3x3 pad 1 on a 4x4 ramp", &g, xs, ys);
}

/*
** 4 input channels, 2 groups of 2; in[c][y][x] = 100c + 3y + x on 3x3.
** Kernel 2x2, stride 2, pads top 1 bottom 0 left 0 right 1: output 2x2,
** window top-left at (2oy - 1, 2ox).
**   out0 = in0[y0][x0] + in1[y0+1][x0+1] + 0.25
**   out1 = in2[y0][x0+1] + in3[y0+1][x0] - 1
** out0: (0,0) 0 + in1[0][1]=101; (0,1) 0 + in1[0][3]=pad 0;
**       (1,0) in0[1][0]=3 + in1[2][1]=107; (1,1) in0[1][2]=5 + pad 0.
** out1: (0,0) 0 + in3[0][0]=300; (0,1) 0 + in3[0][2]=302;
**       (1,0) in2[1][1]=204 + in3[2][0]=306; (1,1) pad 0 + in3[2][2]=308.
** Batch item 1 is item 0 negated, so its outputs are bias - (out - bias).
*/
static void test_grouped_conv(void) {
  static const struct ref_tensor t[] = {{"x", 2, 4, 3, 3}, {"y", 2, 2, 2, 2}};
  static const int in[] = {0}, out[] = {1};
  static const float w[] = {
    1, 0, 0, 0,   0, 0, 0, 1,     /* out 0 from in 0, in 1 */
    0, 1, 0, 0,   0, 0, 1, 0      /* out 1 from in 2, in 3 */
  };
  static const float b[] = {0.25f, -1};
  static const struct ref_layer l[] = {{
    LAYER("gconv", REF_CONV, 1, in, 1), KERNEL(2, 2), STRIDE(2, 2),
    PADS(1, 0, 0, 1), DILATION(1, 1), .groups = 2, .weight = w, .bias = b
  }};
  static const float y[] = {
    101.25f, 0.25f, 110.25f, 5.25f,   299, 301, 509, 307,
    -100.75f, 0.25f, -109.75f, -4.75f,   -301, -303, -511, -309
  };
  float x[72];
  int c, i;
  const struct ref_graph g = GRAPH("gconv", t, l, in, out);
  const float *xs[] = {x}, *ys[] = {y};
  for (c = 0; c < 4; c++)
    for (i = 0; i < 9; i++) {
      x[c * 9 + i] = (float)(100 * c + i);
      x[36 + c * 9 + i] = -x[c * 9 + i];
    }
  expect("grouped conv, groups 2, stride 2, asymmetric pads, batch 2",
         &g, xs, ys);
}

/*
** Input x[y][x] = 5y + x on 5x5; kernel [[1,2],[3,4]] with dilation 2
** down and 1 across, no padding: output 3x4,
**   out = x[y][x] + 2 x[y][x+1] + 3 x[y+2][x] + 4 x[y+2][x+1]
**       = 10 (5y + x) + 2 + 30 + 44 = 50y + 10x + 76.
*/
static void test_dilated_conv(void) {
  static const struct ref_tensor t[] = {{"x", 1, 1, 5, 5}, {"y", 1, 1, 3, 4}};
  static const int in[] = {0}, out[] = {1};
  static const float w[] = {1, 2, 3, 4};
  static const struct ref_layer l[] = {{
    LAYER("dconv", REF_CONV, 1, in, 1), KERNEL(2, 2), STRIDE(1, 1),
    PADS(0, 0, 0, 0), DILATION(2, 1), .groups = 1, .weight = w
  }};
  static const float y[] = {
     76,  86,  96, 106,
    126, 136, 146, 156,
    176, 186, 196, 206
  };
  float x[25];
  int i;
  const struct ref_graph g = GRAPH("dconv", t, l, in, out);
  const float *xs[] = {x}, *ys[] = {y};
  for (i = 0; i < 25; i++) x[i] = (float)i;
  expect("dilated conv, dilation 2x1", &g, xs, ys);
}

/*
** Depthwise, 2 channels, multiplier 2: outputs 0, 1 read input 0 and
** outputs 2, 3 read input 1.  Kernel 2x1 (this row and the one below),
** pad bottom 1.  in0 = [[1,2],[3,4]], in1 = [[10,20],[30,40]].
**   out0 = in0 + 10 in0(below) = [31, 42, 3, 4]
**   out1 = -in0                = [-1, -2, -3, -4]
**   out2 = in1(below)          = [30, 40, 0, 0]
**   out3 = 2 (in1 + in1(below)) = [80, 120, 60, 80]
*/
static void test_depthwise_conv(void) {
  static const struct ref_tensor t[] = {{"x", 1, 2, 2, 2}, {"y", 1, 4, 2, 2}};
  static const int in[] = {0}, out[] = {1};
  static const float w[] = {1, 10,  -1, 0,  0, 1,  2, 2};
  static const struct ref_layer l[] = {{
    LAYER("dw", REF_CONV, 1, in, 1), KERNEL(2, 1), STRIDE(1, 1),
    PADS(0, 1, 0, 0), DILATION(1, 1), .groups = 2, .weight = w
  }};
  static const float x[] = {1, 2, 3, 4,  10, 20, 30, 40};
  static const float y[] = {
    31, 42, 3, 4,  -1, -2, -3, -4,  30, 40, 0, 0,  80, 120, 60, 80
  };
  const struct ref_graph g = GRAPH("dw", t, l, in, out);
  const float *xs[] = {x}, *ys[] = {y};
  expect("depthwise conv, channel multiplier 2", &g, xs, ys);
}

static unsigned long lcg_state = 12345;

/* Any spread of values will do; this only has to be repeatable. */
static float small_random(void) {
  lcg_state = (lcg_state * 1103515245UL + 12345UL) & 0x7fffffffUL;
  return (float)((double)(lcg_state >> 8) / (1 << 23) * 2 - 1);
}

/*
** out[n][oc][oy][ox] gets w * in[n][ic][y][x] wherever
** y = oy*sh - pad_top + ky*dh, i.e. oy = (y + pad_top - ky*dh) / sh when
** that divides and lands inside the output.
*/
static void scatter_conv(const struct ref_layer *l, const struct ref_tensor *it,
                         const struct ref_tensor *ot, const float *in,
                         double *out) {
  int cin_g = it->c / l->groups, cout_g = ot->c / l->groups;
  int n, ic, y, x, j, ky, kx, i;
  for (i = 0; i < (int)tensor_size(ot); i++)
    out[i] = l->bias[(i / (ot->h * ot->w)) % ot->c];
  for (n = 0; n < it->n; n++)
    for (ic = 0; ic < it->c; ic++)
      for (y = 0; y < it->h; y++)
        for (x = 0; x < it->w; x++)
          for (j = 0; j < cout_g; j++)
            for (ky = 0; ky < l->kh; ky++)
              for (kx = 0; kx < l->kw; kx++) {
                int oc = ic / cin_g * cout_g + j;
                int ny = y + l->pad_top - ky * l->dh;
                int nx = x + l->pad_left - kx * l->dw;
                int oy = ny / l->sh, ox = nx / l->sw;
                double w = l->weight[((oc * cin_g + ic % cin_g) * l->kh + ky)
                                     * l->kw + kx];
                if (ny < 0 || nx < 0 || ny % l->sh || nx % l->sw
                    || oy >= ot->h || ox >= ot->w)
                  continue;
                out[((n * ot->c + oc) * ot->h + oy) * ot->w + ox] +=
                    w * in[((n * it->c + ic) * it->h + y) * it->w + x];
              }
}

/*
** Everything at once on random values: batch 2, 6 -> 4 channels in 2
** groups, kernel 3x2, stride 2x1, dilation 1x2, pads 1 0 2 1.
** Output: H = (7 + 1 - 2 - 1) / 2 + 1 = 3,  W = (6 + 3 - 2 - 1) / 1 + 1 = 7.
*/
static void test_conv_against_scatter(void) {
  static const struct ref_tensor t[] = {{"x", 2, 6, 7, 6}, {"y", 2, 4, 3, 7}};
  static const int in[] = {0}, out[] = {1};
  static float w[4 * 3 * 3 * 2], b[4], x[2 * 6 * 7 * 6];
  static const struct ref_layer l[] = {{
    LAYER("conv", REF_CONV, 1, in, 1), KERNEL(3, 2), STRIDE(2, 1),
    PADS(1, 0, 2, 1), DILATION(1, 2), .groups = 2, .weight = w, .bias = b
  }};
  static double want[2 * 4 * 3 * 7];
  static float y[2 * 4 * 3 * 7];
  const struct ref_graph g = GRAPH("conv", t, l, in, out);
  const float *xs[] = {x}, *ys[] = {y};
  int i;
  for (i = 0; i < COUNT(w); i++) w[i] = small_random();
  for (i = 0; i < COUNT(b); i++) b[i] = small_random();
  for (i = 0; i < COUNT(x); i++) x[i] = small_random();
  scatter_conv(&l[0], &t[0], &t[1], x, want);
  for (i = 0; i < COUNT(y); i++) y[i] = (float)want[i];
  expect("conv, everything at once, against a scattering conv", &g, xs, ys);
}

/* }====================================================== */


/*
** {======================================================
** Element-wise layers
** =======================================================
*/

/*
** var + eps is 4 and 0.25, so the divisors are 2 and 0.5 exactly.
**   c0: 2 (x - 0.5) / 2 + 1    = x + 0.5
**   c1: -1 (x + 1) / 0.5 + 0.5 = -2x - 1.5
*/
static void test_batchnorm(void) {
  static const struct ref_tensor t[] = {{"x", 2, 2, 1, 3}, {"y", 2, 2, 1, 3}};
  static const int in[] = {0}, out[] = {1};
  static const float gamma[] = {2, -1}, beta[] = {1, 0.5f};
  static const float mean[] = {0.5f, -1}, var[] = {3.75f, 0};
  static const struct ref_layer l[] = {{
    LAYER("bn", REF_BATCHNORM, 1, in, 1), .eps = 0.25f,
    .gamma = gamma, .beta = beta, .mean = mean, .var = var
  }};
  static const float x[] = {0.5f, 2.5f, -1.5f,  -1, 0, 1,
                            0.5f, 0.5f, 0.5f,   1, 1, 1};
  static const float y[] = {1, 3, -1,  0.5f, -1.5f, -3.5f,
                            1, 1, 1,   -3.5f, -3.5f, -3.5f};
  const struct ref_graph g = GRAPH("bn", t, l, in, out);
  const float *xs[] = {x}, *ys[] = {y};
  expect("batchnorm, batch 2", &g, xs, ys);
}

/*
** Four activations of one input, which is also an output of the graph.
** hardswish: -4, -3 -> 0;  -1 -> -1*2/6;  0.5 -> 0.5*3.5/6 = 7/24;
** 3 -> 3*6/6 = 3;  6 -> 6;  7 -> 7.
** sigmoid: 1/(1 + e^-x) to 10 digits; sigmoid(3) + sigmoid(-3) = 1.
*/
static void test_activations(void) {
  static const struct ref_tensor t[] = {
    {"x", 1, 1, 1, 8}, {"relu", 1, 1, 1, 8}, {"relu6", 1, 1, 1, 8},
    {"hardswish", 1, 1, 1, 8}, {"sigmoid", 1, 1, 1, 8}
  };
  static const int in[] = {0}, out[] = {1, 2, 3, 4, 0};
  static const struct ref_layer l[] = {
    {LAYER("relu", REF_RELU, 1, in, 1)},
    {LAYER("relu6", REF_RELU6, 1, in, 2)},
    {LAYER("hardswish", REF_HARDSWISH, 1, in, 3)},
    {LAYER("sigmoid", REF_SIGMOID, 1, in, 4)}
  };
  static const float x[] = {-4, -3, -1, 0, 0.5f, 3, 6, 7};
  static const float relu[] = {0, 0, 0, 0, 0.5f, 3, 6, 7};
  static const float relu6[] = {0, 0, 0, 0, 0.5f, 3, 6, 6};
  static const float hswish[] = {0, 0, -1.0f / 3, 0, 7.0f / 24, 3, 6, 7};
  static const float sigmoid[] = {
    0.01798620996f, 0.04742587318f, 0.2689414214f, 0.5f,
    0.6224593312f, 0.9525741268f, 0.9975273768f, 0.9990889488f
  };
  const struct ref_graph g = GRAPH("act", t, l, in, out);
  const float *xs[] = {x}, *ys[] = {relu, relu6, hswish, sigmoid, x};
  expect("relu, relu6, hardswish, sigmoid at -4 -3 -1 0 0.5 3 6 7", &g,
         xs, ys);
}

static void test_add(void) {
  static const struct ref_tensor t[] = {
    {"a", 1, 2, 1, 2}, {"b", 1, 2, 1, 2}, {"c", 1, 2, 1, 2},
    {"sum", 1, 2, 1, 2}
  };
  static const int in[] = {0, 1, 2}, out[] = {3};
  static const struct ref_layer l[] = {{LAYER("add", REF_ADD, 3, in, 3)}};
  static const float a[] = {1, 2, 3, 4}, b[] = {10, 20, 30, 40};
  static const float c[] = {0.5f, -0.5f, 100, -100};
  static const float sum[] = {11.5f, 21.5f, 133, -56};
  const struct ref_graph g = GRAPH("add", t, l, in, out);
  const float *xs[] = {a, b, c}, *ys[] = {sum};
  expect("add of 3 tensors", &g, xs, ys);
}

/*
** x -> relu -> r;  s = x + r.  r is an output and read later; x is a
** graph input and an output.  x = [-2, 3]: r = [0, 3], s = [-2, 6].
*/
static void test_plumbing(void) {
  static const struct ref_tensor t[] = {
    {"x", 1, 2, 1, 1}, {"r", 1, 2, 1, 1}, {"s", 1, 2, 1, 1}
  };
  static const int in[] = {0}, both[] = {0, 1}, out[] = {1, 2, 0};
  static const struct ref_layer l[] = {
    {LAYER("relu", REF_RELU, 1, in, 1)},
    {LAYER("add", REF_ADD, 2, both, 2)}
  };
  static const float x[] = {-2, 3}, r[] = {0, 3}, s[] = {-2, 6};
  const struct ref_graph g = GRAPH("plumbing", t, l, in, out);
  const float *xs[] = {x}, *ys[] = {r, s, x};
  expect("outputs that are read later or are graph inputs", &g, xs, ys);
}

/* Per batch item: a's one channel, then b's two. */
static void test_concat(void) {
  static const struct ref_tensor t[] = {
    {"a", 2, 1, 1, 2}, {"b", 2, 2, 1, 2}, {"ab", 2, 3, 1, 2}
  };
  static const int in[] = {0, 1}, out[] = {2};
  static const struct ref_layer l[] = {{LAYER("cat", REF_CONCAT, 2, in, 2)}};
  static const float a[] = {1, 2,  3, 4};
  static const float b[] = {5, 6, 7, 8,  9, 10, 11, 12};
  static const float ab[] = {1, 2, 5, 6, 7, 8,  3, 4, 9, 10, 11, 12};
  const struct ref_graph g = GRAPH("cat", t, l, in, out);
  const float *xs[] = {a, b}, *ys[] = {ab};
  expect("concat along channels, batch 2", &g, xs, ys);
}

/*
** hardsigmoid = clamp(x + 3, 0, 6) / 6:
**   -4 -> clamp(-1) = 0;  -3 -> 0;  0 -> 3/6 = 0.5;  1.5 -> 4.5/6 = 0.75;
**   3 -> 6/6 = 1;  4 -> clamp(7) = 6, 6/6 = 1.
*/
static void test_hardsigmoid(void) {
  static const struct ref_tensor t[] = {{"x", 1, 1, 1, 6}, {"y", 1, 1, 1, 6}};
  static const int in[] = {0}, out[] = {1};
  static const struct ref_layer l[] = {
    {LAYER("hs", REF_HARDSIGMOID, 1, in, 1)}
  };
  static const float x[] = {-4, -3, 0, 1.5f, 3, 4};
  static const float y[] = {0, 0, 0.5f, 0.75f, 1, 1};
  const struct ref_graph g = GRAPH("hs", t, l, in, out);
  const float *xs[] = {x}, *ys[] = {y};
  expect("hardsigmoid at -4 -3 0 1.5 3 4", &g, xs, ys);
}

/*
** Batch 2, x is 2x2x1x2: item 0 c0 [1, 2] c1 [3, 4], item 1 c0 [5, 6]
** c1 [7, 8].  s is 2x2x1x1: item 0 [10, -1], item 1 [0.5, 2].
**   x * s = s * x: item 0 c0 [10, 20] c1 [-3, -4],
**                  item 1 c0 [2.5, 3] c1 [14, 16].
** (Item 0's s used for item 1 would give c0 [50, 60].)
**   x * x: the squares 1 4 9 16 25 36 49 64.
**   s * s: 100 1 0.25 4, still 2x2x1x1.
*/
static void test_mul(void) {
  static const struct ref_tensor t[] = {
    {"x", 2, 2, 1, 2}, {"s", 2, 2, 1, 1}, {"xs", 2, 2, 1, 2},
    {"sx", 2, 2, 1, 2}, {"xx", 2, 2, 1, 2}, {"ss", 2, 2, 1, 1}
  };
  static const int in[] = {0, 1}, sx_in[] = {1, 0}, xx_in[] = {0, 0};
  static const int ss_in[] = {1, 1}, out[] = {2, 3, 4, 5};
  static const struct ref_layer l[] = {
    {LAYER("xs", REF_MUL, 2, in, 2)},
    {LAYER("sx", REF_MUL, 2, sx_in, 3)},
    {LAYER("xx", REF_MUL, 2, xx_in, 4)},
    {LAYER("ss", REF_MUL, 2, ss_in, 5)}
  };
  static const float x[] = {1, 2, 3, 4,  5, 6, 7, 8};
  static const float sv[] = {10, -1,  0.5f, 2};
  static const float xsv[] = {10, 20, -3, -4,  2.5f, 3, 14, 16};
  static const float xx[] = {1, 4, 9, 16,  25, 36, 49, 64};
  static const float ss[] = {100, 1,  0.25f, 4};
  const struct ref_graph g = GRAPH("mul", t, l, in, out);
  const float *xs[] = {x, sv}, *ys[] = {xsv, xsv, xx, ss};
  expect("mul: per-channel operand second and first, full * full, "
         "per-channel * per-channel, batch 2", &g, xs, ys);
}

/*
** x[n][c][w] = 100n + 10c + w: 2 items, 6 channels, 1x2 planes.
** groups 2 (3 channels each): out k*2 + j = in j*3 + k, so out channels
**   0..5 read in channels 0 3 1 4 2 5.
** groups 3 (2 channels each): out k*3 + j = in j*2 + k, so they read
**   0 2 4 1 3 5.
** groups 6 (1 channel each): out j = in j, the identity.
** Item 1 is item 0 plus 100, which a shuffle across items would break.
*/
static void test_shuffle(void) {
  static const struct ref_tensor t[] = {
    {"x", 2, 6, 1, 2}, {"g2", 2, 6, 1, 2}, {"g3", 2, 6, 1, 2},
    {"g6", 2, 6, 1, 2}
  };
  static const int in[] = {0}, out[] = {1, 2, 3};
  static const struct ref_layer l[] = {
    {LAYER("g2", REF_SHUFFLE, 1, in, 1), .groups = 2},
    {LAYER("g3", REF_SHUFFLE, 1, in, 2), .groups = 3},
    {LAYER("g6", REF_SHUFFLE, 1, in, 3), .groups = 6}
  };
  static const float g2[] = {
      0,   1,  30,  31,  10,  11,  40,  41,  20,  21,  50,  51,
    100, 101, 130, 131, 110, 111, 140, 141, 120, 121, 150, 151
  };
  static const float g3[] = {
      0,   1,  20,  21,  40,  41,  10,  11,  30,  31,  50,  51,
    100, 101, 120, 121, 140, 141, 110, 111, 130, 131, 150, 151
  };
  float x[24];
  int n, c, w;
  const struct ref_graph g = GRAPH("shuffle", t, l, in, out);
  const float *xs[] = {x}, *ys[] = {g2, g3, x};
  for (n = 0; n < 2; n++)
    for (c = 0; c < 6; c++)
      for (w = 0; w < 2; w++)
        x[(n * 6 + c) * 2 + w] = (float)(100 * n + 10 * c + w);
  expect("channel shuffle, groups 2, 3 and 6, batch 2", &g, xs, ys);
}

/*
** x[n][c][w] = 100n + 10c + w: 2 items, 4 channels, 1x2 planes.
**   [0, 1): item 0 [0, 1], item 1 [100, 101]
**   [1, 3): item 0 [10, 11, 20, 21], item 1 [110, 111, 120, 121]
**   [2, 4): item 0 [20, 21, 30, 31], item 1 [120, 121, 130, 131]
**   [0, 4): x itself
*/
static void test_slice(void) {
  static const struct ref_tensor t[] = {
    {"x", 2, 4, 1, 2}, {"first", 2, 1, 1, 2}, {"middle", 2, 2, 1, 2},
    {"last", 2, 2, 1, 2}, {"all", 2, 4, 1, 2}
  };
  static const int in[] = {0}, out[] = {1, 2, 3, 4};
  static const struct ref_layer l[] = {
    {LAYER("first", REF_SLICE, 1, in, 1), .start = 0, .stop = 1},
    {LAYER("middle", REF_SLICE, 1, in, 2), .start = 1, .stop = 3},
    {LAYER("last", REF_SLICE, 1, in, 3), .start = 2, .stop = 4},
    {LAYER("all", REF_SLICE, 1, in, 4), .start = 0, .stop = 4}
  };
  static const float x[] = {
      0,   1,  10,  11,  20,  21,  30,  31,
    100, 101, 110, 111, 120, 121, 130, 131
  };
  static const float first[] = {0, 1,  100, 101};
  static const float middle[] = {10, 11, 20, 21,  110, 111, 120, 121};
  static const float last[] = {20, 21, 30, 31,  120, 121, 130, 131};
  const struct ref_graph g = GRAPH("slice", t, l, in, out);
  const float *xs[] = {x}, *ys[] = {first, middle, last, x};
  expect("slice of the first, middle and last channels, and all, batch 2",
         &g, xs, ys);
}

/* }====================================================== */


/*
** {======================================================
** Pooling and the classifier
** =======================================================
*/

/*
** x = [[1,2,3],[4,5,6],[7,8,9]], kernel 2x2, stride 2, pad 1: output 2x2.
** Windows (in-bounds taps): {1}, {2,3}, {4,7}, {5,6,8,9}; sums 1 5 11 28.
** Padding counted: divide by 4; not counted: by 1, 2, 2, 4.
*/
static void test_avgpool(void) {
  static const struct ref_tensor t[] = {
    {"x", 1, 1, 3, 3}, {"with", 1, 1, 2, 2}, {"without", 1, 1, 2, 2}
  };
  static const int in[] = {0}, out[] = {1, 2};
  static const struct ref_layer l[] = {
    {LAYER("with", REF_AVGPOOL, 1, in, 1), KERNEL(2, 2), STRIDE(2, 2),
     PADS(1, 1, 1, 1), DILATION(1, 1), .count_include_pad = 1},
    {LAYER("without", REF_AVGPOOL, 1, in, 2), KERNEL(2, 2), STRIDE(2, 2),
     PADS(1, 1, 1, 1), DILATION(1, 1), .count_include_pad = 0}
  };
  static const float x[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  static const float with[] = {0.25f, 1.25f, 2.75f, 7};
  static const float without[] = {1, 2.5f, 5.5f, 7};
  const struct ref_graph g = GRAPH("avg", t, l, in, out);
  const float *xs[] = {x}, *ys[] = {with, without};
  expect("avgpool with and without count_include_pad", &g, xs, ys);
}

/*
** Channel 0 is -(3y + x + 1), all negative, so a zero from the padding
** would win wherever it was let in; channel 1 is 3y + x + 1.
** "pad": kernel 2x2, stride 2, pad 1, windows as in test_avgpool:
**   c0: -1, max(-2,-3), max(-4,-7), max(-5,-6,-8,-9) = -1 -2 -4 -5
**   c1:  1, 3, 7, 9
** "dilated": kernel 2x2, dilation 2, stride 1, pad 1: output 3x3, taps at
** rows {oy-1, oy+1} and columns {ox-1, ox+1}; on c0:
**   (0,0) {(1,1)} -5   (0,1) {(1,0),(1,2)} -4   (0,2) {(1,1)} -5
**   (1,0) {(0,1),(2,1)} -2   (1,1) {(0,0),(0,2),(2,0),(2,2)} -1   (1,2) -2
**   (2,*) as row 0; c1 likewise: 5 6 5, 8 9 8, 5 6 5.
*/
static void test_maxpool(void) {
  static const struct ref_tensor t[] = {
    {"x", 1, 2, 3, 3}, {"pad", 1, 2, 2, 2}, {"dilated", 1, 2, 3, 3}
  };
  static const int in[] = {0}, out[] = {1, 2};
  static const struct ref_layer l[] = {
    {LAYER("pad", REF_MAXPOOL, 1, in, 1), KERNEL(2, 2), STRIDE(2, 2),
     PADS(1, 1, 1, 1), DILATION(1, 1)},
    {LAYER("dilated", REF_MAXPOOL, 1, in, 2), KERNEL(2, 2), STRIDE(1, 1),
     PADS(1, 1, 1, 1), DILATION(2, 2)}
  };
  static const float x[] = {
    -1, -2, -3, -4, -5, -6, -7, -8, -9,
     1,  2,  3,  4,  5,  6,  7,  8,  9
  };
  static const float pad[] = {-1, -2, -4, -5,  1, 3, 7, 9};
  static const float dilated[] = {
    -5, -4, -5, -2, -1, -2, -5, -4, -5,
     5,  6,  5,  8,  9,  8,  5,  6,  5
  };
  const struct ref_graph g = GRAPH("max", t, l, in, out);
  const float *xs[] = {x}, *ys[] = {pad, dilated};
  expect("maxpool with padding and with dilation", &g, xs, ys);
}

static void test_gap(void) {
  static const struct ref_tensor t[] = {{"x", 2, 2, 2, 2}, {"y", 2, 2, 1, 1}};
  static const int in[] = {0}, out[] = {1};
  static const struct ref_layer l[] = {{LAYER("gap", REF_GAP, 1, in, 1)}};
  static const float x[] = {1, 2, 3, 4,  -1, 0, 0, 5,
                            0, 0, 0, 4,   2, 2, 2, 2};
  static const float y[] = {2.5f, 1, 1, 2};
  const struct ref_graph g = GRAPH("gap", t, l, in, out);
  const float *xs[] = {x}, *ys[] = {y};
  expect("global average pool, batch 2", &g, xs, ys);
}

/*
** x: 2x2x1x2, item 0 [1,2,3,4], item 1 [-1,0,0.5,2].
** W = [[1,0,0,0],[0,1,-1,0],[1,1,1,1]], b = [0.5, 0, -10]:
**   item 0: [1.5, -1, 0];  item 1: [-0.5, -0.5, -8.5].
** The linear layer reads the flattened tensor, and a second one reads x
** directly, which must give the same.
*/
static void test_flatten_linear(void) {
  static const struct ref_tensor t[] = {
    {"x", 2, 2, 1, 2}, {"flat", 2, 4, 1, 1}, {"fc", 2, 3, 1, 1},
    {"fc4d", 2, 3, 1, 1}
  };
  static const int x_in[] = {0}, flat_in[] = {1}, out[] = {1, 2, 3};
  static const float w[] = {1, 0, 0, 0,  0, 1, -1, 0,  1, 1, 1, 1};
  static const float b[] = {0.5f, 0, -10};
  static const struct ref_layer l[] = {
    {LAYER("flatten", REF_FLATTEN, 1, x_in, 1)},
    {LAYER("fc", REF_LINEAR, 1, flat_in, 2), .weight = w, .bias = b},
    {LAYER("fc4d", REF_LINEAR, 1, x_in, 3), .weight = w, .bias = b}
  };
  static const float x[] = {1, 2, 3, 4,  -1, 0, 0.5f, 2};
  static const float fc[] = {1.5f, -1, 0,  -0.5f, -0.5f, -8.5f};
  const struct ref_graph g = GRAPH("fc", t, l, x_in, out);
  const float *xs[] = {x}, *ys[] = {x, fc, fc};
  expect("flatten and linear, batch 2", &g, xs, ys);
}

/* }====================================================== */


/*
** {======================================================
** Graphs ref_run must refuse
** =======================================================
*/

static const float some_input[64];
static const float *const some_inputs[] = {some_input, some_input};
static const float ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};

/* 3x3 kernel without padding on 4x4 gives 2x2, not the declared 4x4. */
static void test_refuse_shape(void) {
  static const struct ref_tensor t[] = {{"x", 1, 1, 4, 4}, {"y", 1, 1, 4, 4}};
  static const int in[] = {0}, out[] = {1};
  static const struct ref_layer l[] = {{
    LAYER("conv", REF_CONV, 1, in, 1), KERNEL(3, 3), STRIDE(1, 1),
    PADS(0, 0, 0, 0), DILATION(1, 1), .groups = 1, .weight = ones
  }};
  const struct ref_graph g = GRAPH("bad", t, l, in, out);
  expect_refusal("refuses a conv output of the wrong shape", &g, some_inputs);
}

static void test_refuse_groups(void) {
  static const struct ref_tensor t[] = {{"x", 1, 3, 2, 2}, {"y", 1, 2, 2, 2}};
  static const int in[] = {0}, out[] = {1};
  static const struct ref_layer l[] = {{
    LAYER("conv", REF_CONV, 1, in, 1), KERNEL(1, 1), STRIDE(1, 1),
    PADS(0, 0, 0, 0), DILATION(1, 1), .groups = 2, .weight = ones
  }};
  const struct ref_graph g = GRAPH("bad", t, l, in, out);
  expect_refusal("refuses 3 channels in 2 groups", &g, some_inputs);
}

static void test_refuse_index(void) {
  static const struct ref_tensor t[] = {{"x", 1, 1, 2, 2}, {"y", 1, 1, 2, 2}};
  static const int in[] = {0}, bad[] = {5}, out[] = {1};
  static const struct ref_layer l[] = {{LAYER("relu", REF_RELU, 1, bad, 1)}};
  const struct ref_graph g = GRAPH("bad", t, l, in, out);
  expect_refusal("refuses a tensor index out of range", &g, some_inputs);
}

static void test_refuse_order(void) {
  static const struct ref_tensor t[] = {
    {"x", 1, 1, 2, 2}, {"y", 1, 1, 2, 2}, {"z", 1, 1, 2, 2}
  };
  static const int in[] = {0}, y[] = {1}, out[] = {2};
  static const struct ref_layer l[] = {
    {LAYER("second", REF_RELU, 1, y, 2)},
    {LAYER("first", REF_RELU, 1, in, 1)}
  };
  const struct ref_graph g = GRAPH("bad", t, l, in, out);
  expect_refusal("refuses reading a tensor before it is computed", &g,
                 some_inputs);
}

/* Each tensor has one producer; here the graph input is overwritten. */
static void test_refuse_second_write(void) {
  static const struct ref_tensor t[] = {{"x", 1, 1, 2, 2}, {"y", 1, 1, 2, 2}};
  static const int in[] = {0}, y[] = {1};
  static const struct ref_layer l[] = {
    {LAYER("relu", REF_RELU, 1, in, 1)},
    {LAYER("again", REF_RELU, 1, y, 0)}
  };
  const struct ref_graph g = GRAPH("bad", t, l, in, y);
  expect_refusal("refuses a second write to a tensor", &g, some_inputs);
}

static void test_refuse_concat(void) {
  static const struct ref_tensor t[] = {
    {"a", 1, 1, 2, 2}, {"b", 1, 1, 3, 2}, {"ab", 1, 2, 2, 2}
  };
  static const int in[] = {0, 1}, out[] = {2};
  static const struct ref_layer l[] = {{LAYER("cat", REF_CONCAT, 2, in, 2)}};
  const struct ref_graph g = GRAPH("bad", t, l, in, out);
  expect_refusal("refuses concat of different heights", &g, some_inputs);
}

/* Kernel 1, pad 1: the first window holds only padding. */
static void test_refuse_empty_window(void) {
  static const struct ref_tensor t[] = {{"x", 1, 1, 2, 2}, {"y", 1, 1, 4, 4}};
  static const int in[] = {0}, out[] = {1};
  static const struct ref_layer l[] = {{
    LAYER("pool", REF_MAXPOOL, 1, in, 1), KERNEL(1, 1), STRIDE(1, 1),
    PADS(1, 1, 1, 1), DILATION(1, 1)
  }};
  const struct ref_graph g = GRAPH("bad", t, l, in, out);
  expect_refusal("refuses a pooling window entirely in the padding", &g,
                 some_inputs);
}

static void test_refuse_one_term_add(void) {
  static const struct ref_tensor t[] = {{"x", 1, 1, 2, 2}, {"y", 1, 1, 2, 2}};
  static const int in[] = {0}, out[] = {1};
  static const struct ref_layer l[] = {{LAYER("add", REF_ADD, 1, in, 1)}};
  const struct ref_graph g = GRAPH("bad", t, l, in, out);
  expect_refusal("refuses an add of one tensor", &g, some_inputs);
}

static void test_refuse_missing_output(void) {
  static const struct ref_tensor t[] = {
    {"x", 1, 1, 2, 2}, {"y", 1, 1, 2, 2}, {"never", 1, 1, 2, 2}
  };
  static const int in[] = {0}, out[] = {2};
  static const struct ref_layer l[] = {{LAYER("relu", REF_RELU, 1, in, 1)}};
  const struct ref_graph g = GRAPH("bad", t, l, in, out);
  expect_refusal("refuses a graph output never computed", &g, some_inputs);
}

static void test_refuse_linear_shape(void) {
  static const struct ref_tensor t[] = {{"x", 1, 1, 2, 2}, {"y", 1, 3, 2, 1}};
  static const int in[] = {0}, out[] = {1};
  static const struct ref_layer l[] = {{
    LAYER("fc", REF_LINEAR, 1, in, 1), .weight = some_input
  }};
  const struct ref_graph g = GRAPH("bad", t, l, in, out);
  expect_refusal("refuses a linear output that is not Nx?x1x1", &g,
                 some_inputs);
}

/* A per-channel operand must have the full operand's channels. */
static void test_refuse_mul_channels(void) {
  static const struct ref_tensor t[] = {
    {"x", 1, 2, 2, 2}, {"s", 1, 3, 1, 1}, {"y", 1, 2, 2, 2}
  };
  static const int in[] = {0, 1}, out[] = {2};
  static const struct ref_layer l[] = {{LAYER("mul", REF_MUL, 2, in, 2)}};
  const struct ref_graph g = GRAPH("bad", t, l, in, out);
  expect_refusal("refuses mul by a per-channel operand of other channels",
                 &g, some_inputs);
}

/* 2x1 is neither the full 2x2 nor 1x1: not a broadcast mul knows. */
static void test_refuse_mul_shape(void) {
  static const struct ref_tensor t[] = {
    {"x", 1, 2, 2, 2}, {"s", 1, 2, 2, 1}, {"y", 1, 2, 2, 2}
  };
  static const int in[] = {0, 1}, out[] = {2};
  static const struct ref_layer l[] = {{LAYER("mul", REF_MUL, 2, in, 2)}};
  const struct ref_graph g = GRAPH("bad", t, l, in, out);
  expect_refusal("refuses mul of 2x2 and 2x1 planes", &g, some_inputs);
}

/* The result has the full operand's shape, not the per-channel one's. */
static void test_refuse_mul_output(void) {
  static const struct ref_tensor t[] = {
    {"x", 1, 2, 2, 2}, {"s", 1, 2, 1, 1}, {"y", 1, 2, 1, 1}
  };
  static const int in[] = {0, 1}, out[] = {2};
  static const struct ref_layer l[] = {{LAYER("mul", REF_MUL, 2, in, 2)}};
  const struct ref_graph g = GRAPH("bad", t, l, in, out);
  expect_refusal("refuses a mul output declared per channel", &g,
                 some_inputs);
}

static void test_refuse_mul_arity(void) {
  static const struct ref_tensor t[] = {
    {"a", 1, 1, 2, 2}, {"b", 1, 1, 2, 2}, {"c", 1, 1, 2, 2},
    {"y", 1, 1, 2, 2}
  };
  static const int in[] = {0, 1, 2}, out[] = {3};
  static const struct ref_layer l[] = {
    {LAYER("mul3", REF_MUL, 3, in, 3)}
  };
  static const struct ref_layer l1[] = {
    {LAYER("mul1", REF_MUL, 1, in, 3)}
  };
  const struct ref_graph g = GRAPH("bad", t, l, in, out);
  const struct ref_graph g1 = GRAPH("bad", t, l1, in, out);
  expect_refusal("refuses a mul of 3 tensors", &g, some_inputs);
  expect_refusal("refuses a mul of 1 tensor", &g1, some_inputs);
}

static void test_refuse_slice(void) {
  static const struct ref_tensor t[] = {{"x", 1, 4, 1, 1}, {"y", 1, 2, 1, 1}};
  static const int in[] = {0}, out[] = {1};
  static const struct ref_layer past_end[] = {
    {LAYER("slice", REF_SLICE, 1, in, 1), .start = 3, .stop = 5}
  };
  static const struct ref_layer reversed[] = {
    {LAYER("slice", REF_SLICE, 1, in, 1), .start = 3, .stop = 1}
  };
  static const struct ref_layer empty[] = {
    {LAYER("slice", REF_SLICE, 1, in, 1), .start = 2, .stop = 2}
  };
  static const struct ref_layer negative[] = {
    {LAYER("slice", REF_SLICE, 1, in, 1), .start = -1, .stop = 1}
  };
  static const struct ref_layer wrong_c[] = {
    {LAYER("slice", REF_SLICE, 1, in, 1), .start = 0, .stop = 3}
  };
  const struct ref_graph g1 = GRAPH("bad", t, past_end, in, out);
  const struct ref_graph g2 = GRAPH("bad", t, reversed, in, out);
  const struct ref_graph g3 = GRAPH("bad", t, empty, in, out);
  const struct ref_graph g4 = GRAPH("bad", t, negative, in, out);
  const struct ref_graph g5 = GRAPH("bad", t, wrong_c, in, out);
  expect_refusal("refuses a slice with stop > C", &g1, some_inputs);
  expect_refusal("refuses a slice with start > stop", &g2, some_inputs);
  expect_refusal("refuses an empty slice (start = stop)", &g3, some_inputs);
  expect_refusal("refuses a slice with start < 0", &g4, some_inputs);
  expect_refusal("refuses a slice output of other channels than "
                 "stop - start", &g5, some_inputs);
}

static void test_refuse_shuffle(void) {
  static const struct ref_tensor t[] = {{"x", 1, 6, 1, 1}, {"y", 1, 6, 1, 1}};
  static const int in[] = {0}, out[] = {1};
  static const struct ref_layer four[] = {
    {LAYER("shuffle", REF_SHUFFLE, 1, in, 1), .groups = 4}
  };
  static const struct ref_layer none[] = {
    {LAYER("shuffle", REF_SHUFFLE, 1, in, 1), .groups = 0}
  };
  const struct ref_graph g1 = GRAPH("bad", t, four, in, out);
  const struct ref_graph g2 = GRAPH("bad", t, none, in, out);
  expect_refusal("refuses a shuffle of 6 channels in 4 groups", &g1,
                 some_inputs);
  expect_refusal("refuses a shuffle in 0 groups", &g2, some_inputs);
}

/* }====================================================== */


int main(void) {
  test_conv_ramp();
  test_grouped_conv();
  test_dilated_conv();
  test_depthwise_conv();
  test_conv_against_scatter();
  test_batchnorm();
  test_activations();
  test_add();
  test_plumbing();
  test_concat();
  test_hardsigmoid();
  test_mul();
  test_shuffle();
  test_slice();
  test_avgpool();
  test_maxpool();
  test_gap();
  test_flatten_linear();
  test_refuse_shape();
  test_refuse_groups();
  test_refuse_index();
  test_refuse_order();
  test_refuse_second_write();
  test_refuse_concat();
  test_refuse_empty_window();
  test_refuse_one_term_add();
  test_refuse_missing_output();
  test_refuse_linear_shape();
  test_refuse_mul_channels();
  test_refuse_mul_shape();
  test_refuse_mul_output();
  test_refuse_mul_arity();
  test_refuse_slice();
  test_refuse_shuffle();
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
