/*
** benchnet.h: the network as the benchmarks see it.
**
** `convgen --bench SPEC` writes one C file: the generated network itself,
** followed by a `const struct bench_net convgen_bench_net` that lists its
** steps as planned (batchnorm folded, activations fused, flatten gone),
** each with its parameters, its weights (the generated network's own
** arrays) and a function that runs the generated kernel on one sample.
** harness/bench_net.c times every step and the whole forward pass, and
** builds the same steps in each peer library (harness/peer.h).
**
** Tensors are float32 NCHW; shapes are per sample (the batch is the
** net's).  A step reads n_inputs tensors and writes one.
*/
#ifndef CONVGEN_BENCHNET_H
#define CONVGEN_BENCHNET_H

enum bench_kind {
  BENCH_CONV,      /* weight [C_out][C_in/groups][kh][kw], bias [C_out] or NULL */
  BENCH_LINEAR,    /* weight [in][out] (packed so), in = C*H*W of the input, bias [out] or NULL */
  BENCH_ADD,       /* sum of the inputs, all of one shape */
  BENCH_CONCAT,    /* along channels, in input order */
  BENCH_AVGPOOL,   /* window and pads as for conv; count_include_pad as in PyTorch */
  BENCH_MAXPOOL,   /* padding never wins */
  BENCH_GAP,       /* global average pool: C H W -> C 1 1 */
  BENCH_AFFINE,    /* y = x * scale[c] + shift[c] (a batchnorm nothing could absorb) */
  BENCH_ACT,       /* the activation alone */
  BENCH_MUL,       /* a * b, two inputs; either may be C x 1 x 1, broadcast over H and W */
  BENCH_SHUFFLE,   /* channel shuffle in `groups`: out k*g + j = in j*(C/g) + k */
  BENCH_SLICE      /* channels [start, stop) of the input */
};

/* Applied to the step's result: fused into it by the generator, and by a
   peer where the peer library can. */
enum bench_act { BENCH_ACT_NONE, BENCH_RELU, BENCH_RELU6, BENCH_HARDSWISH, BENCH_SIGMOID, BENCH_HARDSIGMOID };

struct bench_tensor {
  const char *name;
  int c, h, w;
};

struct bench_step {
  const char *name;          /* the generated function */
  const char *family;        /* the kernel family: conv gconv dwconv pwconv linear add ... */
  const char *layers;        /* the spec layers it covers, "pw + bn + relu" */
  enum bench_kind kind;
  enum bench_act act;
  int n_inputs;
  const int *inputs;         /* tensor indices */
  int output;
  int kh, kw, sh, sw;
  int pad_top, pad_bottom, pad_left, pad_right;
  int dh, dw, groups;         /* groups: conv; BENCH_SHUFFLE's g */
  int count_include_pad;
  int start, stop;           /* BENCH_SLICE: channels [start, stop) */
  const float *weight, *bias;
  const float *scale, *shift;  /* BENCH_AFFINE */
  double macs;               /* per sample */
  /* The generated kernel on one sample: in[0..n_inputs-1] -> out. */
  void (*run)(const float *const *in, float *out);
};

struct bench_net {
  const char *name;
  int batch;
  int n_tensors;
  const struct bench_tensor *tensors;
  int n_steps;
  const struct bench_step *steps;
  int n_inputs;
  const int *inputs;         /* in NAME_forward's argument order */
  int n_outputs;
  const int *outputs;
  long workspace_floats;
  void (*forward_with)(float *workspace, const float *const *in, float *const *out);
  /* Threads forward_with runs on (convgen --threads; 1 without).  The
     peers' whole networks run on as many, unless --threads says otherwise.
     The steps are the whole layers, each on one thread. */
  int threads;
  /* The pass as forward_with runs it, one call at a time: pass_step(i,
     ...) makes call i of n_pass_steps (a step, or a fused block), named
     pass_steps[i] after the function it calls; calls 0..n-1 in order are
     the pass.  NAME_bench --in-pass times each so.  NULL, and 0, for a
     net of a batch above 1 or on threads. */
  int n_pass_steps;
  const char *const *pass_steps;
  void (*pass_step)(int i, float *workspace, const float *const *in, float *const *out);
};

extern const struct bench_net convgen_bench_net;

#endif
