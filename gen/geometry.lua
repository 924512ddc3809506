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
-- {{first = oh0, last = oh1 (inclusive), taps = {kh...}, offsets = {input row offset...}}, ...}
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
