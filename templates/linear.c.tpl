$-- Fully connected layer, one sample.  The weight is packed at generation
$-- time as [in][out] (see plan.lua), so the inner loop runs along
$-- contiguous outputs, which vectorizes without reassociating sums.
$local out_tile = knobs.out_tile
$assert(out_tile >= 1, "linear: out_tile must be positive")
$local FULL = C_out // out_tile * out_tile
$
$local function tile(T, o0)
{
  CONVGEN_ALIGN float acc[${T}];
  for (int o = 0; o < ${T}; ++o)
    acc[o] = ${B and (B .. "[" .. lin(o0, 1, 0) .. " + o]") or "0.0f"};
  for (int i = 0; i < ${C_in}; ++i) {
    const float xi = x[i];
    const float *restrict wr = ${W} + i * ${C_out} + ${o0};
    for (int o = 0; o < ${T}; ++o)
      acc[o] += wr[o] * xi;
  }
  for (int o = 0; o < ${T}; ++o)
    y[${lin(o0, 1, 0)} + o] = ${activate("acc[o]")};
}
$end
$
$if FULL > 0 then
for (int o0 = 0; o0 < ${FULL}; o0 += ${out_tile}) {
$  tile(out_tile, "o0")
}
$end
$if FULL < C_out then
$  tile(C_out - FULL, FULL)
$end
