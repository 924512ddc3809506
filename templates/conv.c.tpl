$-- Standard and grouped convolution, NCHW, one sample.
$-- For each output row and a tile of oc_tile output channels, every input
$-- channel's in-bounds taps are added into a row of accumulators; the
$-- input row is loaded once per tap and shared by the tile.  Border rows
$-- are peeled into runs with their own tap lists (see geometry.lua), and
$-- each tap's column range is a constant, so no loop tests bounds.
$-- XS and YS are the floats between channels of x and of y: the planes,
$-- or in a fused block's band (gen/schedule.lua) the whole input's
$-- plane and the band buffer's rows; x.H is then the input rows the band
$-- reads and pad its padding rows.
$local oc_tile, ic_unroll = knobs.oc_tile, knobs.ic_unroll
$local KK = kh * kw
$local CIN_G, COUT_G = C_in // groups, C_out // groups
$assert(oc_tile >= 1 and oc_tile <= 8, "conv: oc_tile must be 1..8")
$assert(ic_unroll >= 1 and ic_unroll <= 8, "conv: ic_unroll must be 1..8")
$local OC_FULL, IC_FULL = COUT_G // oc_tile * oc_tile, CIN_G // ic_unroll * ic_unroll
$
$-- One input channel's contribution to the tile's accumulators.
$local function channel(T, oc, ic, taps)
{
  const float *restrict xc = xg + ${lin(ic, XS, 0)};
  const float *restrict wc = wgroup + ${lin(oc, CIN_G * KK, 0)} + ${lin(ic, KK, 0)};
$  for _, r in ipairs(taps) do
  {
    const float *restrict xr = xc + (${lin("oh", sh, r * dh - pad.top)}) * ${x.W};
$    for c = 0, kw - 1 do
$      local col = cols[c]
$      if col.hi > col.lo then
$        local ws = {}
$        for t = 0, T - 1 do ws[#ws + 1] = string.format("w%d = wc[%d]", t, t * CIN_G * KK + r * kw + c) end
    {
      const float ${table.concat(ws, ", ")};
      for (int ow = ${col.lo}; ow < ${col.hi}; ++ow) {
        const float v = xr[${lin("ow", sw, col.offset)}];
$        for t = 0, T - 1 do
        acc[${t}][ow] += w${t} * v;
$        end
      }
    }
$      end
$    end
  }
$  end
}
$end
$
$-- A tile of T output channels starting at channel `oc` of the group.
$local function tile(T, oc)
{
$  for _, run in ipairs(rows) do
  ${for_rows(run)}
    CONVGEN_ALIGN float acc[${T}][${y.W}];
    for (int ow = 0; ow < ${y.W}; ++ow) {
$    for t = 0, T - 1 do
      acc[${t}][ow] = ${B and (B .. "[g * " .. COUT_G .. " + " .. lin(oc, 1, t) .. "]") or "0.0f"};
$    end
    }
$    if IC_FULL > 0 and #run.taps > 0 then
    for (int ic = 0; ic < ${IC_FULL}; ic += ${ic_unroll}) {
$      for u = 0, ic_unroll - 1 do
$        channel(T, oc, lin("ic", 1, u), run.taps)
$      end
    }
$    end
$    for ic = IC_FULL, #run.taps > 0 and CIN_G - 1 or -1 do
$      channel(T, oc, ic, run.taps)
$    end
    for (int ow = 0; ow < ${y.W}; ++ow) {
$    for t = 0, T - 1 do
      yg[${lin(oc, YS, t * YS)} + oh * ${y.W} + ow] = ${activate("acc[" .. t .. "][ow]")};
$    end
    }
  }
$  end
}
$end
$
${for_groups(groups)}
  const float *restrict xg = x + g * ${CIN_G * XS};
  const float *restrict wgroup = ${W} + g * ${COUT_G * CIN_G * KK};
  float *restrict yg = y + g * ${COUT_G * YS};
$local any_taps = false
$for _, run in ipairs(rows) do any_taps = any_taps or #run.taps > 0 end
$if not any_taps then
  (void)xg;                 /* every tap lies in the padding: output is the bias */
  (void)wgroup;
$end
$if OC_FULL > 0 then
  for (int oc = 0; oc < ${OC_FULL}; oc += ${oc_tile}) {
$  tile(oc_tile, "oc")
  }
$end
$if OC_FULL < COUT_G then
$  tile(COUT_G - OC_FULL, OC_FULL)
$end
}
