/*
** peer.h: another library running the same steps, for comparison.
**
** A chain is steps first..last of a bench_net built in the peer library:
** one step alone (per-layer timing) or the whole network (all steps in
** order over the peer's own activation buffers, in its preferred layout).
** Its inputs are the tensors its steps read but do not write, in order of
** first use; its outputs the tensors they write that no step of the chain
** reads (bench_chain_io).  Loading inputs and reading outputs convert
** from and to dense NCHW, outside the timed run.
*/
#ifndef CONVGEN_PEER_H
#define CONVGEN_PEER_H

#include <stddef.h>

#include "benchnet.h"

#define PEER_MAX_IO 16

struct chain_io {
  int n_inputs, inputs[PEER_MAX_IO];
  int n_outputs, outputs[PEER_MAX_IO];
};

/* Fills io for steps first..last; returns -1 if either list overflows. */
int bench_chain_io(const struct bench_net *net, int first, int last, struct chain_io *io);

struct peer {
  const char *name;
  /* Returns NULL with why filled if the peer cannot run these steps
     (an operator it lacks, a failed setup).  The chain runs on `threads`
     threads of the library's own pool; create and run are called from
     the same thread. */
  void *(*create)(const struct bench_net *net, int first, int last, int threads, char *why, size_t why_size);
  /* inputs[k]: batch x C x H x W floats of chain input k, NCHW. */
  void (*load)(void *chain, const float *const *inputs);
  /* The timed part.  Returns 0, or -1 if the library reported an error. */
  int (*run)(void *chain);
  /* outputs[k]: batch x C x H x W floats of chain output k, NCHW. */
  void (*read)(void *chain, float *const *outputs);
  /* Bytes the chain holds beyond the weights as given: activations,
     packed weights and scratch, as far as the library lets one see. */
  size_t (*memory_bytes)(void *chain);
  void (*destroy)(void *chain);
};

extern const struct peer peer_xnnpack;
extern const struct peer peer_onednn;

#endif
