$-- Depthwise convolution (groups == C_in, channel multiplier C_out / C_in),
$-- NCHW, one sample.  Each channel's taps live in locals; each output row
$-- is a row of accumulators, and each tap adds a shifted input row over
$-- its constant in-bounds column range.  Border rows are peeled into runs.
$local HW, OHW, KK = x.H * x.W, y.H * y.W, kh * kw
$local mult = C_out // C_in
$assert(groups == C_in, "dwconv: groups must equal C_in")
$-- Only the taps some output reads become locals (a tap can lie wholly in
$-- the padding when the input is small).
$local used = {}
$for _, run in ipairs(rows) do
$  for _, r in ipairs(run.taps) do
$    for c = 0, kw - 1 do
$      if cols[c].hi > cols[c].lo then used[r * kw + c] = true end
$    end
$  end
$end
$local taps = {}
$for i = 0, KK - 1 do
$  if used[i] then taps[#taps + 1] = string.format("k%d = wc[%d]", i, i) end
$end
for (int c = 0; c < ${C_out}; ++c) {
  float *restrict yc = y + c * ${OHW};
$if #taps == 0 then
  (void)x;                  /* every tap lies in the padding: output is the bias */
  (void)${W};
$else
  const float *restrict xc = x + ${mult == 1 and "c" or ("(c / " .. mult .. ")")} * ${XS};
  const float *restrict wc = ${W} + c * ${KK};
  const float ${table.concat(taps, ", ")};
$end
$for _, run in ipairs(rows) do
  ${for_rows(run)}
    CONVGEN_ALIGN float acc[${y.W}];
    for (int ow = 0; ow < ${y.W}; ++ow)
      acc[ow] = ${B and (B .. "[c]") or "0.0f"};
$  for _, r in ipairs(run.taps) do
    {
      const float *restrict xr = xc + (${lin("oh", sh, r * dh - pad.top)}) * ${x.W};
$    for c = 0, kw - 1 do
$      local col = cols[c]
$      if col.hi > col.lo then
      for (int ow = ${col.lo}; ow < ${col.hi}; ++ow)
        acc[ow] += k${r * kw + c} * xr[${lin("ow", sw, col.offset)}];
$      end
$    end
    }
$  end
    for (int ow = 0; ow < ${y.W}; ++ow)
      yc[oh * ${y.W} + ow] = ${activate("acc[ow]")};
  }
$end
}
