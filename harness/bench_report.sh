#!/bin/sh
# bench_report.sh DIR NET_COMPILER BENCH_ARGS [THREADS]: docs/benchmarks.md (to stdout)
# from the results `make bench-peers`, `make bench-rounds` and `make bench-in-pass`
# left in DIR.  `make bench-report` runs them all; nothing in the page is typed by hand.
set -e
dir=$1 compiler=$2 bench_args=$3 threads=${4:-1}
if [ "$threads" = 1 ]; then
  threads_line="One thread everywhere"
else
  threads_line="The whole forward passes on $threads threads (convgen's generated with \`--threads $threads\`,
  XNNPACK on its pthreadpool, oneDNN on OpenMP, PyTorch's intra-op threads), every step alone on one"
fi

package_version() {
  dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo "not installed"
}

torch_build=$(/usr/bin/python3 -c 'import re, torch
print(", ".join(re.findall(r"BLAS_INFO=\w+|USE_MKLDNN=\w+|CPU capability usage: \w+", torch.__config__.show())))' \
  2>/dev/null || echo "not installed")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
flags=$(grep -m 1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -x -E 'avx2|fma|avx512f|avx512bw|avx512vl|avx512_fp16' | tr '\n' ' ')

cat <<HEAD
# Benchmarks

Written by \`make bench-report\` on $(date -u '+%Y-%m-%d %H:%M UTC'); rerun it to refresh this page.
Do not edit it by hand.

## The machine and the run

- CPU: $cpu, $(nproc) cores as the benchmarks see them, flags: $flags
- Caches: $(lscpu | sed -n 's/^L\([123][di]*\) cache: *\(.*\)/L\1 \2/p' | tr '\n' ';' | sed 's/;$//; s/;/; /g' | grep . ||
  echo "not reported (lscpu lists none on this machine)")
- Compiler for the generated code: $($compiler --version 2>/dev/null | head -n 1 || true) (\`${compiler}\`)
- Libraries (Debian): XNNPACK $(package_version libxnnpack0), oneDNN $(package_version libdnnl2), Google Benchmark $(package_version libbenchmark1debian), PyTorch $(package_version python3-torch)
- Command: \`make bench-peers THREADS=$threads\` with \`BENCH_ARGS=$bench_args\`
- $threads_line; fp32, batch as in the spec. Times are medians of the repetitions, which
  run interleaved at random with every other case's: the noise on this shared machine comes in
  bursts of seconds, and in order a burst would land on one implementation. \`[min – max]\` is the
  spread over the repetitions.

Every implementation of every case was checked against the naive reference
(harness/reference.c) before anything was timed: normalized error ≤ 1e-4, or the run stops.
A peer that cannot run a case shows "—".

How to read the cells: median time, GFLOP/s (2 FLOPs per MAC), and % of the case's roof.
The roof is min(peak FMA, arithmetic intensity × bandwidth), with both limits measured on this
machine by \`harness/roofline\`. The intensity counts the bytes a case must move at least: inputs,
outputs and weights once each. The bandwidth is that of the level those bytes fit in: L2, L3 or
DRAM. Depthwise layers are bound by memory, so their roof is low. A case above 100% found part of
its data in a faster level than its size suggests: the roof is a model, not a wall. The best of
generated, XNNPACK and oneDNN is in bold.

What each implementation runs:
- generated: convgen's kernels, NCHW, one function per step (batchnorm folded, activation fused).
  In the whole forward pass, the chains \`--fuse auto\` makes into fused blocks ([1x1 or stem ->] depthwise ->
  1x1 run band by band: MobileNetV2's stem with features.1 and its first three expanding blocks) run as blocks, and a concat
  followed by a channel shuffle (ShuffleNetV2's units) runs as one pass; the per-layer rows time
  each layer alone, as the peers' rows do. A strided 1x1 layer (ResNeXt's downsampling
  projections) gathers the pixels it reads, then runs at unit stride; the gather is timed.
  Weights, inputs and outputs are NCHW; the weights of 16384 floats or more are assembled in
  from a binary file (\`--weights-bin\`), the others are C text. What a case writes starts half a
  page (modulo 4 KiB) from what it reads: at one offset, each store would stall the loads whose
  addresses match it in their low 12 bits.
- xnnpack: XNNPACK's f32 NHWC operators (convolution with its bias and clamp fused, add, global
  average pooling, fully connected), set up once. Inputs are converted to NHWC
  outside the timed region.
- onednn: oneDNN's convolution primitive with memory format \`any\` and post-op activations, plus
  binary add, pooling and inner product. Each tensor stays in the layout its producer chose, and
  weights are reordered at creation. Per layer, the input reorder is outside the timed region; in
  the whole net, a reorder a consumer needs is timed.
- reference: the naive loops with double accumulators, for scale.
- pytorch: torchvision's model of the same net (random weights, eval, inference mode), one thread, in NCHW
  and in channels_last, timed by \`harness/bench_torch.py\`. This is Debian's build of PyTorch:
  $torch_build. With a generic BLAS, the convolutions PyTorch lowers to GEMM are slow. The row
  shows what this machine's packaged PyTorch does, not the best PyTorch can do.

"Sum of layer medians" adds up the per-layer times. "Whole forward pass" runs the network as one
chain over real activation buffers, verified against the reference run of the spec as written.

## Results

HEAD
cat "$dir/peers.md"
if [ -f "$dir/rounds.md" ]; then
  cat <<ROUNDS

## Per layer, in rounds

The same steps and whole passes again, each case's implementations timed one after another, a
few ms each, in many rounds (\`make bench-rounds\`, \`NAME_bench --rounds=N\`). A noise burst on
this shared machine lasts seconds and covers a round whole or not at all, so a ratio taken within
a round hardly moves; the tables above, from Google Benchmark's repetitions, can trail or lead
by 5-15% on a case a burst fell on. Each cell is the median over the rounds of generated / the
peer, with its 95% interval; below 1, generated is faster.

ROUNDS
  cat "$dir/rounds.md"
fi
in_pass=$(ls "$dir"/*.in_pass.txt 2>/dev/null || true)
if [ -n "$in_pass" ]; then
  cat <<INPASS

## The whole pass, call by call

A layer timed alone, again and again, finds its weights, its activations and its code in cache;
in the whole pass the layers before it have had the caches. Here each call of convgen's generated
pass (a step, or a fused block) is timed where it runs, over many passes, and then alone, as many
times in a row, after the calls before it have set up its inputs (\`make bench-in-pass\`,
\`NAME_bench --no-steps --in-pass=N\`). Times are medians in µs; the ratio is in the pass / alone.
The last line is the median over the passes of each pass's summed calls: a noise spike in any call
lands in its pass's sum, so it is usually above the sum of the calls' medians.

INPASS
  for f in $in_pass; do
    printf '\140\140\140\n'
    cat "$f"
    printf '\140\140\140\n\n'
  done
fi
