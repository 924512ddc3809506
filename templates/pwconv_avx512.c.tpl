$-- Pointwise convolution, stride 1, one group, as a GEMM on NCHW:
$-- Y[C_out][P] = W[C_out][C_in] * X[C_in][P], P = H*W pixels.
$-- A register tile holds mr output channels x nv vectors of 16 pixels
$-- (mr * nv accumulators); each step over k broadcasts mr weights and
$-- loads nv vectors of one input row.  Weights are packed at generation
$-- time as [tile][k][mr] (zeros past C_out), the order the tile reads
$-- them.  Pixel tails are masked, never read past the row.  Pixels go in
$-- blocks of px_block so the block's rows of X stay in L2 while every
$-- tile of weights passes over them.
$-- Without AVX-512 (another compiler or target) the same packed weights
$-- feed a plain loop.
$local P, K, M = y.H * y.W, C_in, C_out
$local mr, nv, block = knobs.mr, knobs.nv, knobs.px_block
$local NR = 16 * nv
$assert(groups == 1 and sh == 1 and sw == 1, "pwconv_avx512: stride 1, one group")
$assert(mr >= 1 and nv >= 1 and mr * nv <= 28 and block % NR == 0, "pwconv_avx512: bad tile knobs")
$local full_px = P // NR * NR
$local tail_px = P - full_px
$local full_tiles, rest = M // mr, M % mr
$local vector_act = {relu = true, relu6 = true, hardswish = true, hardsigmoid = true}
$local function finish(v)
$  if act == "relu" then return "_mm512_max_ps(" .. v .. ", zero)" end
$  if act == "relu6" then return "_mm512_min_ps(_mm512_max_ps(" .. v .. ", zero), six)" end
$  if act == "hardswish" then return "_mm512_mul_ps(" .. v .. ", _mm512_mul_ps(_mm512_min_ps(_mm512_max_ps(_mm512_add_ps(" .. v .. ", three), zero), six), sixth))" end
$  if act == "hardsigmoid" then return "_mm512_mul_ps(_mm512_min_ps(_mm512_max_ps(_mm512_add_ps(" .. v .. ", three), zero), six), sixth)" end
$  return v
$end
$-- The body of one register tile: `rows` channels from channel `oc`,
$-- `vecs` vectors from pixel `p`; the last vector masked to `last`
$-- pixels (16: none).  The caller opens and closes its block.
$local function tile(oc, p, rows, vecs, last)
$  for r = 0, rows - 1 do
$    local init, names = B and string.format("_mm512_set1_ps(%s[%s])", B, lin(oc, 1, r)) or "zero", {}
$    for j = 0, vecs - 1 do names[#names + 1] = string.format("a%d_%d = %s", r, j, init) end
  __m512 ${table.concat(names, ", ")};
$  end
  const float *restrict wk = ${W} + ${lin(oc, K, 0)};
  const float *restrict xk = x + ${p};
  for (int k = 0; k < ${K}; ++k, wk += ${mr}, xk += ${P}) {
$  for j = 0, vecs - 1 do
$    if j == vecs - 1 and last < 16 then
    const __m512 x${j} = _mm512_maskz_loadu_ps(${string.format("0x%04x", (1 << last) - 1)}, xk + ${16 * j});
$    else
    const __m512 x${j} = _mm512_loadu_ps(xk + ${16 * j});
$    end
$  end
$  for r = 0, rows - 1 do
    {
      const __m512 w = _mm512_set1_ps(wk[${r}]);
$    for j = 0, vecs - 1 do
      a${r}_${j} = _mm512_fmadd_ps(w, x${j}, a${r}_${j});
$    end
    }
$  end
  }
$  for r = 0, rows - 1 do
$    for j = 0, vecs - 1 do
$      local dst = string.format("y + %s + %s", lin(lin(oc, 1, r), P, 0), lin(p, 1, 16 * j))
$      local v = string.format("a%d_%d", r, j)
$      if vector_act[act] or not act then v = finish(v) end
$      if j == vecs - 1 and last < 16 then
  _mm512_mask_storeu_ps(${dst}, ${string.format("0x%04x", (1 << last) - 1)}, ${v});
$      else
  _mm512_storeu_ps(${dst}, ${v});
$      end
$    end
$    if act and not vector_act[act] then
  for (int i = 0; i < ${(vecs - 1) * 16 + last}; ++i) {
    float *o = y + ${lin(lin(oc, 1, r), P, 0)} + ${lin(p, 1, 0)} + i;
    *o = act_${act}(*o);
  }
$    end
$  end
$end
#if defined(__AVX512F__)
$if not B or act == "relu" or act == "relu6" or act == "hardswish" or act == "hardsigmoid" then
const __m512 zero = _mm512_setzero_ps();
$end
$if act == "relu6" or act == "hardswish" or act == "hardsigmoid" then
const __m512 six = _mm512_set1_ps(6.0f);
$end
$if act == "hardswish" or act == "hardsigmoid" then
const __m512 three = _mm512_set1_ps(3.0f), sixth = _mm512_set1_ps(1.0f / 6.0f);
$end
$if full_px > 0 then
for (int p0 = 0; p0 < ${full_px}; p0 += ${block}) {
  const int p_end = p0 + ${block} < ${full_px} ? p0 + ${block} : ${full_px};
$  if full_tiles > 0 then
  for (int t = 0; t < ${full_tiles}; ++t) {
    for (int p = p0; p < p_end; p += ${NR}) {
$    tile("t * " .. mr, "p", mr, nv, 16)
    }
  }
$  end
$  if rest > 0 then
  for (int p = p0; p < p_end; p += ${NR}) {
$    tile(full_tiles * mr, "p", rest, nv, 16)
  }
$  end
}
$end
$if tail_px > 0 then
$  local vecs, last = (tail_px + 15) // 16, (tail_px - 1) % 16 + 1
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
  float *restrict yc = y + oc * ${P};
  for (int p = 0; p < ${P}; ++p)
    yc[p] = ${B and (B .. "[oc]") or "0.0f"};
  for (int k = 0; k < ${K}; ++k) {
    const float wk = w[k * ${mr}];
    for (int p = 0; p < ${P}; ++p)
      yc[p] += wk * x[k * ${P} + p];
  }
$if act then
  for (int p = 0; p < ${P}; ++p)
    yc[p] = act_${act}(yc[p]);
$end
}
#endif
