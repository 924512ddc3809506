/*
** refgraph.h: the network as the naive reference sees it.
**
** `convgen --reference SPEC` writes a C file that defines one
** `const struct ref_graph convgen_ref_graph` from the validated graph
** (before any planning, folding or fusion) with the weights exactly as
** the spec or safetensors file gives them.  harness/reference.c runs it
** with plain loops; harness/check.c compares that with the generated net.
**
** All tensors are NCHW float32.  Tensor 0..n_tensors-1; a layer reads
** tensors by index and writes exactly one.  Layers are in a valid
** execution order (every input is produced before it is read).
*/
#ifndef CONVGEN_REFGRAPH_H
#define CONVGEN_REFGRAPH_H

#include <stddef.h>
#include <stdint.h>

enum ref_op {
  REF_CONV,        /* weight [C_out][C_in/groups][kh][kw], bias [C_out] or NULL */
  REF_BATCHNORM,   /* y = gamma * (x - mean) / sqrt(var + eps) + beta, per channel */
  REF_RELU,        /* max(x, 0) */
  REF_RELU6,       /* min(max(x, 0), 6) */
  REF_HARDSWISH,   /* x * min(max(x + 3, 0), 6) / 6 */
  REF_SIGMOID,     /* 1 / (1 + exp(-x)) */
  REF_ADD,         /* sum of n_inputs tensors of the same shape */
  REF_CONCAT,      /* along channels, in input order */
  REF_AVGPOOL,     /* kh kw sh sw pads; count_include_pad as in PyTorch */
  REF_MAXPOOL,     /* kh kw sh sw pads dh dw; padding never wins */
  REF_GAP,         /* global average pool: N C H W -> N C 1 1 */
  REF_FLATTEN,     /* N C H W -> N (C*H*W) 1 1, same memory order */
  REF_LINEAR,      /* weight [out][in] with in = C*H*W of the input, bias [out] or NULL */
  REF_HARDSIGMOID, /* min(max(x + 3, 0), 6) / 6 */
  REF_MUL,         /* a * b; either may be C x 1 x 1, broadcast over H and W */
  REF_SHUFFLE,     /* channel shuffle in `groups`: out k*g + j = in j*(C/g) + k */
  REF_SLICE        /* channels [start, stop) of the input */
};

struct ref_tensor {
  const char *name;
  int n, c, h, w;
};

struct ref_layer {
  const char *name;
  enum ref_op op;
  int n_inputs;
  const int *inputs;         /* tensor indices */
  int output;                /* tensor index */
  /* conv and pools */
  int kh, kw;                /* kernel */
  int sh, sw;                /* stride */
  int pad_top, pad_bottom, pad_left, pad_right;
  int dh, dw;                /* dilation (1 for pools) */
  int groups;                /* conv; shuffle: its g */
  int count_include_pad;     /* avgpool */
  int start, stop;           /* slice: channels [start, stop) of the input */
  /* batchnorm */
  float eps;
  /* parameters (NULL where the op has none) */
  const float *weight, *bias;
  const float *gamma, *beta, *mean, *var;
};

struct ref_graph {
  const char *name;
  int n_tensors;
  const struct ref_tensor *tensors;
  int n_layers;
  const struct ref_layer *layers;
  int n_inputs;
  const int *inputs;         /* tensor indices, in NAME_forward's argument order */
  int n_outputs;
  const int *outputs;        /* tensor indices, in NAME_forward's argument order */
  /* Calls the generated NAME_forward with inputs[0..n_inputs-1] and
     outputs[0..n_outputs-1], each a dense NCHW buffer of its tensor's size. */
  void (*forward)(const float *const *inputs, float *const *outputs);
  /* The same through NAME_forward_with, on a caller's workspace of
     workspace_floats floats: the checker fills it with NaN first, so a
     kernel that reads scratch memory nobody wrote shows in the output. */
  void (*forward_with)(float *workspace, const float *const *inputs, float *const *outputs);
  long workspace_floats;
  /* NAME_stop_threads for a net generated with --threads (its workers
     outlive a call), else NULL: the checker ends them before it exits. */
  void (*stop_threads)(void);
};

extern const struct ref_graph convgen_ref_graph;

/* reference.c: run the graph with naive loops (double accumulators).
   outputs[k] receives tensor outputs[k].  Returns 0, or -1 after printing
   to stderr why the graph is inconsistent (a shape that does not follow
   from its layer's parameters, an index out of range). */
int ref_run(const struct ref_graph *g, const float *const *inputs, float *const *outputs);

/* Shared by the checker and the benchmarks, so that both make inputs and
   judge outputs alike.  ref_fill_uniform: n floats uniform in [-1, 1)
   from splitmix64, the state running on across calls (check.c documents
   the sequence).  ref_compare: gen against ref; the verdict is
   normalized = max |gen - ref| / max(max |ref|, 1e-6) <= tol with no
   NaN or inf in gen (ref_passes). */
struct ref_diff {
  double scale;         /* max |ref| */
  double max_abs, max_rel, normalized;
  size_t worst;         /* element with the largest |gen - ref| */
  size_t mismatches;    /* elements with |gen - ref| > tol * scale */
  size_t nonfinite;     /* NaN or Inf in gen */
};
void ref_fill_uniform(float *x, size_t n, uint64_t *state);
void ref_compare(const float *gen, const float *ref, size_t size, double tol, struct ref_diff *d);
int ref_passes(const struct ref_diff *d, double tol);

#endif
