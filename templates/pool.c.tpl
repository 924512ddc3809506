$-- Pooling, NCHW, one sample: max, average, and global average.
$-- Windows are peeled like convolution: each run of rows has its own
$-- in-bounds taps, each tap a constant column range, so padding is never
$-- read (max pooling never sees it; average divides as PyTorch does).
$local HW, OHW = x.H * x.W, y.H * y.W
$if kind == "gap" then
$-- `sums` partial sums per channel, each over every sums-th pixel, then
$-- halved pairwise: no add waits on the one before it in the plane.
$local S = knobs.sums
$assert(S >= 1 and S <= HW, "gap: sums must be 1 to the plane's pixels")
$local whole = HW // S * S
for (int c = 0; c < ${x.C}; ++c) {
  const float *restrict xc = x + c * ${HW};
$if S == 1 then
  float sum = 0.0f;
  for (int i = 0; i < ${HW}; ++i)
    sum += xc[i];
$else
  float part[${S}];
  for (int j = 0; j < ${S}; ++j)
    part[j] = xc[j];
$  if whole > S then
  for (int i = ${S}; i < ${whole}; i += ${S})
    for (int j = 0; j < ${S}; ++j)
      part[j] += xc[i + j];
$  end
$  -- adds a[j + at] into part[j] for j < n
$  local function fold(n, a, at)
$    if n == 1 then
  part[0] += ${a}[${at}];
$    else
  for (int j = 0; j < ${n}; ++j)
    part[j] += ${a}[j + ${at}];
$    end
$  end
$  if whole < HW then
$    fold(HW - whole, "xc", whole)
$  end
$  -- halving: an odd count keeps its middle sum for the next round
$  local n = S
$  while n > 1 do
$    local half = n // 2
$    fold(half, "part", n - half)
$    n = n - half
$  end
  const float sum = part[0];
$end
  y[c] = sum / ${float(HW)};
}
$else
$-- Per run of output rows: the window's input rows are combined first,
$-- column by column (contiguous: it vectorizes), into `rows`; then each
$-- tap column reads that one row, at the stride.  kh + kw passes per output
$-- row instead of kh x kw strided ones.
$local is_max = kind == "maxpool"
$local counted = kind == "avgpool" and not count_include_pad
$if counted then
static const int taps_in_column[${y.W}] = {${table.concat(col_counts, ", ")}};
$end
for (int c = 0; c < ${x.C}; ++c) {
  const float *restrict xc = x + c * ${HW};
  float *restrict yc = y + c * ${OHW};
$for _, run in ipairs(rows) do
  ${for_rows(run)}
    CONVGEN_ALIGN float acc[${y.W}];
$  if #run.taps > 0 then
    CONVGEN_ALIGN float rows[${x.W}];
$    for i, r in ipairs(run.taps) do
    const float *restrict x${i - 1} = xc + (${lin("oh", sh, r * dh - pad.top)}) * ${x.W};
$    end
    for (int w = 0; w < ${x.W}; ++w) {
      float v = x0[w];
$    for i = 2, #run.taps do
$      if is_max then
      v = x${i - 1}[w] > v ? x${i - 1}[w] : v;
$      else
      v += x${i - 1}[w];
$      end
$    end
      rows[w] = v;
    }
$  end
    for (int ow = 0; ow < ${y.W}; ++ow)
      acc[ow] = ${is_max and "-INFINITY" or "0.0f"};
$  if #run.taps > 0 then
$    for c = 0, kw - 1 do
$      local col = cols[c]
$      if col.hi > col.lo then
    for (int ow = ${col.lo}; ow < ${col.hi}; ++ow) {
$        if is_max then
      const float v = rows[${lin("ow", sw, col.offset)}];
      acc[ow] = v > acc[ow] ? v : acc[ow];
$        else
      acc[ow] += rows[${lin("ow", sw, col.offset)}];
$        end
    }
$      end
$    end
$  end
    for (int ow = 0; ow < ${y.W}; ++ow)
$  if is_max then
      yc[oh * ${y.W} + ow] = acc[ow];
$  elseif counted then
      yc[oh * ${y.W} + ow] = acc[ow] / (float)(${#run.taps} * taps_in_column[ow]);
$  else
      yc[oh * ${y.W} + ow] = acc[ow] / ${float(kh * kw)};
$  end
  }
$end
}
$end
