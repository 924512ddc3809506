-- arena: static memory for the intermediate tensors, planned by liveness.
--
-- In:  a list of {name, size (floats), first, last} where first is the
--      step that writes the tensor and last the last step that reads it.
-- Out: offsets (in floats, each a multiple of ALIGN) and the arena size.
-- Two tensors whose step ranges intersect never share memory; that also
-- keeps every step's output apart from its inputs, which the generated
-- kernels promise with restrict.  Placement is greedy by size, largest
-- first, at the lowest offset that fits (as in TFLite's greedy planner).

local M = {}

M.ALIGN = 16                   -- floats: 64 bytes, one cache line

local function round_up(n) return (n + M.ALIGN - 1) // M.ALIGN * M.ALIGN end

local function live_together(a, b) return a.first <= b.last and b.first <= a.last end

function M.plan_arena(tensors)
  local order = {}
  for i, t in ipairs(tensors) do order[i] = t end
  table.sort(order, function(a, b)
    if a.size ~= b.size then return a.size > b.size end
    if a.first ~= b.first then return a.first < b.first end
    return a.name < b.name
  end)
  local placed, offsets, total = {}, {}, 0
  for _, t in ipairs(order) do
    local busy = {}
    for _, p in ipairs(placed) do
      if live_together(t, p) then busy[#busy + 1] = p end
    end
    table.sort(busy, function(a, b) return offsets[a.name] < offsets[b.name] end)
    local offset = 0
    for _, p in ipairs(busy) do
      if offset + t.size <= offsets[p.name] then break end
      offset = math.max(offset, round_up(offsets[p.name] + p.size))
    end
    offsets[t.name] = offset
    placed[#placed + 1] = t
    total = math.max(total, offset + t.size)
  end
  M.check(tensors, offsets)
  return offsets, round_up(total)
end

-- The planner's promise, checked: no two live-together tensors overlap.
function M.check(tensors, offsets)
  for i = 1, #tensors do
    local a = tensors[i]
    assert(offsets[a.name] % M.ALIGN == 0, "arena: misaligned " .. a.name)
    for j = i + 1, #tensors do
      local b = tensors[j]
      if live_together(a, b) then
        local a0, b0 = offsets[a.name], offsets[b.name]
        assert(a0 + a.size <= b0 or b0 + b.size <= a0,
          string.format("arena: '%s' and '%s' are live together but overlap", a.name, b.name))
      end
    end
  end
end

return M
