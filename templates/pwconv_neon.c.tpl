$-- Pointwise convolution, stride 1, one group, as a GEMM on NCHW:
$-- Y[C_out][P] = W[C_out][C_in] * X[C_in][P], P = H*W pixels, with
$-- AArch64 NEON (4-float vectors, 32 registers).
$-- A register tile holds mr output channels x nv vectors of pixels
$-- (mr * nv accumulators).  Each step over k loads nv vectors of one
$-- input row and the tile's mr weights, four to a vector, and multiplies
$-- by one lane of a weight vector (vfmaq_laneq_f32), so no broadcast
$-- costs a register.  Weights are packed at generation time as
$-- [tile][k][mr] (zeros past C_out), the order the tile reads them.
$-- Weights past the last whole group of four in mr are multiplied as
$-- scalars (vfmaq_n_f32): a vector load of them would, at the last k of
$-- the last tile, read past the end of the packed array.
$-- Pixel tails load and store lane by lane, never past the row.  Pixels go
$-- in blocks of px_block so the block's rows of X stay in L2 while every
$-- tile of weights passes over them.
$-- XS and YS are the floats between channels of X and of Y: P, unless the
$-- layer writes its planes of a channel shuffle (gen/plan.lua).
$-- Without NEON on AArch64 (another compiler or target) the same packed
$-- weights feed a plain loop.
$local P, K, M = y.H * y.W, C_in, C_out
$local mr, nv, block = knobs.mr, knobs.nv, knobs.px_block
$local L = ISA.lanes
$local NR = L * nv
$local wvecs = mr // L
$assert(L == 4 and groups == 1 and sh == 1 and sw == 1, "pwconv_neon: 4 lanes, stride 1, one group")
$assert(mr >= 1 and nv >= 1 and mr * nv + nv + (mr + L - 1) // L <= ISA.registers and block % NR == 0,
$  "pwconv_neon: bad tile knobs")
$local full_px = P // NR * NR
$local tail_px = P - full_px
$local full_tiles, rest = M // mr, M % mr
$local vector_act = {relu = true, relu6 = true, hardswish = true, hardsigmoid = true}
$local function at(ptr, offset) return offset == "0" and ptr or ptr .. " + " .. offset end
$local function finish(v)
$  if act == "relu" then return "vmaxq_f32(" .. v .. ", zero)" end
$  if act == "relu6" then return "vminq_f32(vmaxq_f32(" .. v .. ", zero), six)" end
$  local hs = "vmulq_f32(vminq_f32(vmaxq_f32(vaddq_f32(" .. v .. ", three), zero), six), sixth)"
$  if act == "hardswish" then return "vmulq_f32(" .. v .. ", " .. hs .. ")" end
$  if act == "hardsigmoid" then return hs end
$  return v
$end
$-- A vector of the first n floats at ptr, the other lanes zero.
$local function load(ptr, n)
$  if n == 4 then return "vld1q_f32(" .. ptr .. ")" end
$  local low = n == 1 and "vld1q_lane_f32(" .. ptr .. ", zero, 0)" or "vcombine_f32(vld1_f32(" .. ptr .. "), vdup_n_f32(0.0f))"
$  if n == 3 then return "vld1q_lane_f32(" .. ptr .. " + 2, " .. low .. ", 2)" end
$  return low
$end
$-- Statements storing the first n lanes of v (a name) at ptr.
$local function store(ptr, v, n)
$  if n == 4 then return {"vst1q_f32(" .. ptr .. ", " .. v .. ");"} end
$  if n == 1 then return {"vst1q_lane_f32(" .. ptr .. ", " .. v .. ", 0);"} end
$  local s = {"vst1_f32(" .. ptr .. ", vget_low_f32(" .. v .. "));"}
$  if n == 3 then s[2] = "vst1q_lane_f32(" .. ptr .. " + 2, " .. v .. ", 2);" end
$  return s
$end
$-- The body of one register tile: `rows` channels from channel `oc`,
$-- `vecs` vectors from pixel `p`, the last one of `last` lanes.  The
$-- caller opens and closes its block.
$local function tile(oc, p, rows, vecs, last)
$  local loaded = math.min(wvecs, (rows + L - 1) // L)
$  for r = 0, rows - 1 do
$    local init, names = B and string.format("vdupq_n_f32(%s[%s])", B, lin(oc, 1, r)) or "zero", {}
$    for j = 0, vecs - 1 do names[#names + 1] = string.format("a%d_%d = %s", r, j, init) end
  float32x4_t ${table.concat(names, ", ")};
$  end
  const float *restrict wk = ${W} + ${lin(oc, K, 0)};
  const float *restrict xk = ${at("x", tostring(p))};
  for (int k = 0; k < ${K}; ++k, wk += ${mr}, xk += ${XS}) {
$  for j = 0, vecs - 1 do
    const float32x4_t x${j} = ${load(at("xk", tostring(L * j)), j == vecs - 1 and last or L)};
$  end
$  for g = 0, loaded - 1 do
    const float32x4_t w${g} = vld1q_f32(${at("wk", tostring(L * g))});
$  end
$  for r = 0, rows - 1 do
$    for j = 0, vecs - 1 do
$      if r < loaded * L then
    a${r}_${j} = vfmaq_laneq_f32(a${r}_${j}, x${j}, w${r // L}, ${r % L});
$      else
    a${r}_${j} = vfmaq_n_f32(a${r}_${j}, x${j}, wk[${r}]);
$      end
$    end
$  end
  }
$  for r = 0, rows - 1 do
$    for j = 0, vecs - 1 do
$      local dst = at("y + " .. lin(lin(oc, 1, r), YS, 0), lin(p, 1, L * j))
$      local v = string.format("a%d_%d", r, j)
$      local n = j == vecs - 1 and last or L
$      if vector_act[act] and n == L then
  ${store(dst, finish(v), n)[1]}
$      else
$        if vector_act[act] then
  ${v} = ${finish(v)};
$        end
$        for _, line in ipairs(store(dst, v, n)) do
  ${line}
$        end
$      end
$    end
$    if act and not vector_act[act] then
  for (int i = 0; i < ${(vecs - 1) * L + last}; ++i) {
    float *o = ${at("y + " .. lin(lin(oc, 1, r), YS, 0), lin(p, 1, 0))} + i;
    *o = act_${act}(*o);
  }
$    end
$  end
$end
#if ${ISA.guard}
$-- zero: the accumulators without a bias, the activations' floor, and
$-- the lanes a one-float tail does not load.
$if not B or vector_act[act] or tail_px % L == 1 then
const float32x4_t zero = vdupq_n_f32(0.0f);
$end
$if act == "relu6" or act == "hardswish" or act == "hardsigmoid" then
const float32x4_t six = vdupq_n_f32(6.0f);
$end
$if act == "hardswish" or act == "hardsigmoid" then
const float32x4_t three = vdupq_n_f32(3.0f), sixth = vdupq_n_f32(1.0f / 6.0f);
$end
$if full_px > 0 then
for (int p0 = 0; p0 < ${full_px}; p0 += ${block}) {
  const int p_end = p0 + ${block} < ${full_px} ? p0 + ${block} : ${full_px};
$  if full_tiles > 0 then
  for (int t = 0; t < ${full_tiles}; ++t) {
    for (int p = p0; p < p_end; p += ${NR}) {
$    tile("t * " .. mr, "p", mr, nv, L)
    }
  }
$  end
$  if rest > 0 then
  for (int p = p0; p < p_end; p += ${NR}) {
$    tile(full_tiles * mr, "p", rest, nv, L)
  }
$  end
}
$end
$if tail_px > 0 then
$  local vecs = (tail_px + L - 1) // L
$  local last = tail_px - L * (vecs - 1)
$  if full_tiles > 0 then
for (int t = 0; t < ${full_tiles}; ++t) {
$    tile("t * " .. mr, full_px, mr, vecs, last)
}
$  end
$  if rest > 0 then
{
$    tile(full_tiles * mr, full_px, rest, vecs, last)
}
$  end
$end
#else
for (int oc = 0; oc < ${M}; ++oc) {
  const float *restrict w = ${W} + (oc / ${mr}) * ${K * mr} + oc % ${mr};
  float *restrict yc = y + oc * ${YS};
  for (int p = 0; p < ${P}; ++p)
    yc[p] = ${B and (B .. "[oc]") or "0.0f"};
  for (int k = 0; k < ${K}; ++k) {
    const float wk = w[k * ${mr}];
    for (int p = 0; p < ${P}; ++p)
      yc[p] += wk * x[k * ${XS} + p];
  }
$if act then
  for (int p = 0; p < ${P}; ++p)
    yc[p] = act_${act}(yc[p]);
$end
}
#endif
