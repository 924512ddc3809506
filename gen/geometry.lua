-- geometry: where a sliding window meets the padding.
--
-- For an output row oh, tap kh reads input row oh*sh + kh*dh - pad_top;
-- it is in bounds for a contiguous range of taps.  Rows with the same
-- range form a run, so the generated code has one loop per run with that
-- run's taps unrolled and no bounds check inside: the border is peeled.
-- Along a row, tap kw is in bounds for a contiguous range of columns,
-- baked in as the loop bounds of that tap.

local M = {}

local function ceil_div(a, b) return -((-a) // b) end

-- Output positions o in [0, out) whose tap t reads inside [0, size).
local function valid_outputs(size, out, stride, pad, dil, t)
  local offset = t * dil - pad                  -- input index = o*stride + offset
  local lo = math.max(0, ceil_div(-offset, stride))
  local hi = math.min(out, (size - 1 - offset) // stride + 1)
  if hi < lo then hi = lo end
  return lo, hi
end

-- Runs of output rows with the same in-bounds taps:
-- {{first = oh0, last = oh1 (inclusive), taps = {kh...}}, ...}
function M.row_runs(size, out, k, stride, pad, dil)
  local ranges = {}
  for t = 0, k - 1 do ranges[t] = {valid_outputs(size, out, stride, pad, dil, t)} end
  local runs = {}
  for o = 0, out - 1 do
    local taps = {}
    for t = 0, k - 1 do
      if o >= ranges[t][1] and o < ranges[t][2] then taps[#taps + 1] = t end
    end
    local key = table.concat(taps, ",")
    local last = runs[#runs]
    if last and last.key == key then
      last.last = o
    else
      runs[#runs + 1] = {first = o, last = o, taps = taps, key = key}
    end
  end
  for _, run in ipairs(runs) do run.key = nil end
  return runs
end

-- For each tap t (0-based): {lo, hi, offset}: columns [lo, hi) read input
-- column ow*stride + offset, all in bounds.
function M.column_ranges(size, out, k, stride, pad, dil)
  local cols = {}
  for t = 0, k - 1 do
    local lo, hi = valid_outputs(size, out, stride, pad, dil, t)
    cols[t] = {lo = lo, hi = hi, offset = t * dil - pad}
  end
  return cols
end

-- Row runs and column ranges of a window; a window tap is read only where
-- both its row and its column are in bounds, so when no column tap ever
-- is, no row tap is either.
function M.window(h, w, out_h, out_w, kh, kw, sh, sw, pad, dh, dw)
  local rows = M.row_runs(h, out_h, kh, sh, pad.top, dh)
  local cols = M.column_ranges(w, out_w, kw, sw, pad.left, dw)
  local any_column = false
  for t = 0, kw - 1 do any_column = any_column or cols[t].hi > cols[t].lo end
  if not any_column then
    rows = {{first = 0, last = out_h - 1, taps = {}}}
  end
  return rows, cols
end

-- The first output position whose window has no in-bounds tap, or nil.
function M.empty_window(rows, cols, kw)
  for _, run in ipairs(rows) do
    if #run.taps == 0 then return run.first, 0 end
  end
  for ow = 0, math.huge do
    local covered, any_tap = false, false
    for t = 0, kw - 1 do
      if ow < cols[t].hi then any_tap = true end
      if ow >= cols[t].lo and ow < cols[t].hi then covered = true end
    end
    if not any_tap then return nil end
    if not covered then return 0, ow end
  end
end

-- The number of in-bounds taps for each output column (avgpool without
-- count_include_pad divides by it).
function M.column_counts(size, out, k, stride, pad, dil)
  local counts = {}
  for o = 0, out - 1 do
    local n = 0
    for t = 0, k - 1 do
      local i = o * stride + t * dil - pad
      if i >= 0 and i < size then n = n + 1 end
    end
    counts[o + 1] = n
  end
  return counts
end

return M
