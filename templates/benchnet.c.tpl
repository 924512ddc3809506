$-- The benchmark bundle's table, appended to the generated net: its steps
$-- as data for harness/bench_net.c, pointing at the net's own weights.
$-- Its own names start with cgb_ so that they cannot meet a layer's: the
$-- generator gives no layer function a name with that prefix.

/* ---- benchmark table (convgen --bench): harness/benchnet.h ---- */
#include <stddef.h>
#include "benchnet.h"
$for _, s in ipairs(steps) do
$  if s.unpacked then

${s.unpacked}
$  end

$  if s.scratch then
static float cgb_scratch_${s.fn}[${s.scratch}];
$  end
static void cgb_run_${s.fn}(const float *const *cgb_in, float *cgb_out)
{
  ${s.fn}(${table.concat(s.args, ", ")}, cgb_out${s.scratch and (", cgb_scratch_" .. s.fn) or ""});
}
static const int cgb_in_${s.fn}[${#s.inputs}] = {${table.concat(s.inputs, ", ")}};
$end

static const struct bench_tensor cgb_tensors[${#tensors}] = {
$for _, t in ipairs(tensors) do
  {"${t.name}", ${t.C}, ${t.H}, ${t.W}},
$end
};

static const struct bench_step cgb_steps[${#steps}] = {
$for _, s in ipairs(steps) do
  {.name = "${s.fn}", .family = "${s.family}", .layers = "${s.layers}", .kind = ${s.kind}, .act = ${s.act},
   .n_inputs = ${#s.inputs}, .inputs = cgb_in_${s.fn}, .output = ${s.output},
   .kh = ${s.kh}, .kw = ${s.kw}, .sh = ${s.sh}, .sw = ${s.sw},
   .pad_top = ${s.pad[1]}, .pad_bottom = ${s.pad[2]}, .pad_left = ${s.pad[3]}, .pad_right = ${s.pad[4]},
   .dh = ${s.dh}, .dw = ${s.dw}, .groups = ${s.groups}, .count_include_pad = ${s.count_include_pad},
   .start = ${s.start}, .stop = ${s.stop},
   .weight = ${s.weight}, .bias = ${s.bias}, .scale = ${s.scale}, .shift = ${s.shift},
   .macs = ${s.macs}, .run = cgb_run_${s.fn}},
$end
};

static const int cgb_inputs[${#inputs}] = {${table.concat(inputs, ", ")}};
static const int cgb_outputs[${#outputs}] = {${table.concat(outputs, ", ")}};

static void cgb_forward_with(float *workspace, const float *const *in, float *const *out)
{
  ${prefix}_forward_with(workspace, ${forward_args});
}

$if pass then

/* The pass one call at a time, as ${prefix}_forward_with makes them (NAME_bench --in-pass). */
static void cgb_pass_step(int cgb_i, float *restrict arena, const float *const *cgb_in, float *const *cgb_out)
{
$  for i, param in ipairs(pass.inputs) do
  const float *restrict ${param} = cgb_in[${i - 1}];
$  end
$  for i, param in ipairs(pass.outputs) do
  float *restrict ${param} = cgb_out[${i - 1}];
$  end
  (void)arena;
$  for _, list in ipairs({pass.inputs, pass.outputs}) do
$    for _, param in ipairs(list) do
  (void)${param};
$    end
$  end
  switch (cgb_i) {
$  for i, c in ipairs(pass.calls) do
  case ${i - 1}: ${c.call} break;
$  end
  default: break;
  }
}

static const char *const cgb_pass_names[${#pass.calls}] = {
$  for _, c in ipairs(pass.calls) do
  "${c.fn}",
$  end
};
$end

const struct bench_net convgen_bench_net = {
  "${name}", ${batch}, ${#tensors}, cgb_tensors, ${#steps}, cgb_steps,
  ${#inputs}, cgb_inputs, ${#outputs}, cgb_outputs,
  ${workspace_floats}, cgb_forward_with, ${threads},
$if pass then
  ${#pass.calls}, cgb_pass_names, cgb_pass_step
$else
  0, NULL, NULL
$end
};
