$-- Pointwise (1x1) convolution, NCHW, one sample: per group a matrix
$-- product Y[oc][p] = sum_ic W[oc][ic] * X[ic][p].  A tile of oc_tile
$-- output channels by px_tile pixels is accumulated in a local array,
$-- ic_unroll input rows at a time; strided layers tile by output row.
$-- XS and YS are the floats between channels of X and of Y: H * W,
$-- unless the layer is a band of rows inside a fused block (gen/plan.lua).
$-- R: the residual's pointer when the layer adds it (laid out as Y), to
$-- each output before the activation.
$local oc_tile, ic_unroll, px_tile = knobs.oc_tile, knobs.ic_unroll, knobs.px_tile
$local P = y.H * y.W
$local CIN_G, COUT_G = C_in // groups, C_out // groups
$local strided = sh ~= 1 or sw ~= 1
$assert(oc_tile >= 1 and oc_tile <= 8, "pwconv: oc_tile must be 1..8")
$assert(ic_unroll >= 1 and ic_unroll <= 8, "pwconv: ic_unroll must be 1..8")
$assert(px_tile >= 1, "pwconv: px_tile must be positive")
$local OC_FULL, IC_FULL = COUT_G // oc_tile * oc_tile, CIN_G // ic_unroll * ic_unroll
$-- Pixel p of a tile reads input element in_at(p) of its channel row.
$local in_base = strided and ("oh * " .. (sh * x.W)) or "p0"
$local px_step = strided and tostring(sw) or "1"
$
$-- U input channels starting at `ic`, added into a T x NP tile.
$local function channels(T, NP, oc, ic, U)
{
$  for u = 0, U - 1 do
  const float *restrict x${u} = xg + ${lin(ic, XS, u * XS)} + ${in_base};
$  end
$  for t = 0, T - 1 do
$    local ws = {}
$    for u = 0, U - 1 do ws[#ws + 1] = string.format("w%d_%d = wg[%s]", t, u, lin(oc, CIN_G, t * CIN_G) .. " + " .. lin(ic, 1, u)) end
  const float ${table.concat(ws, ", ")};
$  end
  for (int p = 0; p < ${NP}; ++p) {
$  for t = 0, T - 1 do
$    local terms = {}
$    for u = 0, U - 1 do terms[#terms + 1] = string.format("w%d_%d * x%d[%s]", t, u, u, lin("p", tonumber(px_step), 0)) end
    acc[${t}][p] += ${table.concat(terms, " + ")};
$  end
  }
}
$end
$
$local function tile(T, NP, oc, out_base)
{
  CONVGEN_ALIGN float acc[${T}][${NP}];
  for (int p = 0; p < ${NP}; ++p) {
$  for t = 0, T - 1 do
    acc[${t}][p] = ${B and (B .. "[g * " .. COUT_G .. " + " .. lin(oc, 1, t) .. "]") or "0.0f"};
$  end
  }
$  if IC_FULL > 0 then
  for (int ic = 0; ic < ${IC_FULL}; ic += ${ic_unroll}) {
$    channels(T, NP, oc, "ic", ic_unroll)
  }
$  end
$  if IC_FULL < CIN_G then
$    channels(T, NP, oc, IC_FULL, CIN_G - IC_FULL)
$  end
  for (int p = 0; p < ${NP}; ++p) {
$  for t = 0, T - 1 do
$    local sum = "acc[" .. t .. "][p]"
$    if R then sum = string.format("%s + rg[%s + %s + p]", sum, lin(oc, YS, t * YS), out_base) end
    yg[${lin(oc, YS, t * YS)} + ${out_base} + p] = ${activate(sum)};
$  end
  }
}
$end
$
$-- All output channels of the group over NP pixels.
$local function pixels(NP, out_base)
$  if OC_FULL > 0 then
for (int oc = 0; oc < ${OC_FULL}; oc += ${oc_tile}) {
$    tile(oc_tile, NP, "oc", out_base)
}
$  end
$  if OC_FULL < COUT_G then
$    tile(COUT_G - OC_FULL, NP, OC_FULL, out_base)
$  end
$end
$
${for_groups(groups)}
  const float *restrict xg = x + g * ${CIN_G * XS};
  const float *restrict wg = ${W} + g * ${COUT_G * CIN_G};
  float *restrict yg = y + g * ${COUT_G * YS};
$if R then
  const float *restrict rg = ${R} + g * ${COUT_G * YS};
$end
$if strided then
  for (int oh = 0; oh < ${y.H}; ++oh) {
$  pixels(y.W, "oh * " .. y.W)
  }
$else
$  local PX = math.min(px_tile, P)
$  local FULL = P // PX * PX
  for (int p0 = 0; p0 < ${FULL}; p0 += ${PX}) {
$  pixels(PX, "p0")
  }
$  if FULL < P then
  {
    const int p0 = ${FULL};
$    pixels(P - FULL, "p0")
  }
$  end
$end
}
