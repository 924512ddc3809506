-- summary: the per-layer table of `convgen --summary`, like torchinfo.
--
-- In:  the validated graph (with weights) and its plan.
-- Out: text.  One row per spec layer: op, input and output shapes,
--      parameters, MACs and output bytes; then totals, the fused blocks
--      and the arena with and without them.

local util = require "util"

local M = {}

local function pad(s, n) return s .. string.rep(" ", math.max(0, n - #s)) end
local function lpad(s, n) return string.rep(" ", math.max(0, n - #s)) .. s end

local function commas(n)
  local s = tostring(math.tointeger(n) or n)
  repeat
    local k
    s, k = s:gsub("^(-?%d+)(%d%d%d)", "%1,%2")
  until k == 0
  return s
end

function M.summary(graph, plan)
  local rows = {{"layer", "op", "input", "output", "params", "MACs", "out bytes"}}
  local total_params, total_macs, total_bytes = 0, 0, 0
  for _, name in ipairs(graph.inputs) do
    local t = graph.tensors[name]
    rows[#rows + 1] = {name, "input", "", util.shape_string(t), "0", "0", commas(4 * t.N * t.C * t.H * t.W)}
  end
  for _, layer in ipairs(graph.layers) do
    local ins = {}
    for i, name in ipairs(layer.inputs) do ins[i] = util.shape_string(graph.tensors[name]) end
    local params = 0
    for _, t in pairs(layer.params or {}) do params = params + #t end
    local m = layer.macs * graph.batch
    local y = layer.out
    local bytes = 4 * y.N * y.C * y.H * y.W
    rows[#rows + 1] = {layer.name, layer.op, table.concat(ins, " + "), util.shape_string(y),
      commas(params), commas(m), commas(bytes)}
    total_params, total_macs, total_bytes = total_params + params, total_macs + m, total_bytes + bytes
  end
  local widths = {}
  for _, row in ipairs(rows) do
    for i, cell in ipairs(row) do widths[i] = math.max(widths[i] or 0, #cell) end
  end
  local lines = {}
  local function line(row)
    local cells = {}
    for i, cell in ipairs(row) do cells[i] = i >= 5 and lpad(cell, widths[i]) or pad(cell, widths[i]) end
    lines[#lines + 1] = table.concat(cells, "  "):gsub("%s+$", "")
  end
  line(rows[1])
  local rule = 0
  for _, w in ipairs(widths) do rule = rule + w + 2 end
  lines[#lines + 1] = string.rep("-", rule - 2)
  for i = 2, #rows do line(rows[i]) end
  lines[#lines + 1] = string.rep("-", rule - 2)
  local kernels = {}
  for _, s in ipairs(plan.steps) do kernels[s.kind] = (kernels[s.kind] or 0) + 1 end
  local kinds = {}
  for _, k in ipairs(util.keys_sorted(kernels)) do kinds[#kinds + 1] = string.format("%d %s", kernels[k], k) end
  lines[#lines + 1] = string.format("net '%s': %d layers -> %d generated steps (%s)", graph.name, #graph.layers,
    #plan.steps, table.concat(kinds, ", "))
  local emitted, targeted = 0, {}
  for _, layer in ipairs(plan.layer_steps) do
    -- a layer cut for threads is its slices, which may take another
    -- kernel than the whole layer's, and may read another slice's arrays
    local seen = {}
    for _, s in ipairs(layer.slices or {layer}) do
      -- a kernel that packs its weights emits the packed copy only
      for name, t in pairs(s.weights_from and {} or s.params) do
        if not (name == "weight" and s.params.packed) then emitted = emitted + #t end
      end
      if s.kernel ~= s.kind and not seen[s.kernel] then
        seen[s.kernel], targeted[s.kernel] = true, (targeted[s.kernel] or 0) + 1
      end
    end
  end
  local fast = {}
  for _, k in ipairs(util.keys_sorted(targeted)) do fast[#fast + 1] = string.format("%d %s", targeted[k], k) end
  lines[#lines + 1] = "target kernels: " .. (#fast > 0 and table.concat(fast, ", ") or "none (portable C)")
  lines[#lines + 1] = string.format("parameters: %s, batchnorm statistics included (%s bytes as float32)",
    commas(total_params), commas(4 * total_params))
  lines[#lines + 1] = string.format("weights in the generated C: %s floats (%s bytes), batchnorm folded",
    commas(emitted), commas(4 * emitted))
  lines[#lines + 1] = string.format("MACs: %s (batch %d)", commas(total_macs), graph.batch)
  lines[#lines + 1] = string.format("activations: %s bytes if every layer had its own buffer", commas(total_bytes))
  for _, s in ipairs(plan.steps) do
    if s.kind == "block" then
      local names, mid = {}, s.middle
      for i, p in ipairs(s.parts) do names[i] = p.name end
      if s.add then names[#names] = names[#names] .. " + " .. s.add.name end
      local kept = util.shape_string({N = 1, C = mid.y.C, H = mid.y.H, W = mid.y.W})
      if s.expand then kept = util.shape_string({N = 1, C = mid.x.C, H = mid.x.H, W = mid.x.W}) .. " and " .. kept end
      lines[#lines + 1] = string.format("fused block %s: %s in bands of %d rows; %s live%s in %s bytes of scratch",
        s.name, table.concat(names, " -> "), s.knobs.band_rows, kept, s.expand and "" or "s", commas(4 * s.scratch))
      if s.slices then
        local shares = {}
        for i, t in ipairs(s.slices) do
          shares[i] = string.format("thread %d bands %d-%d", t.thread, t.band_range[1], t.band_range[2])
        end
        lines[#lines] = lines[#lines] .. " per thread; " .. table.concat(shares, ", ")
      end
    end
  end
  local joined = {}
  for _, s in ipairs(plan.steps) do
    if s.residual then joined[#joined + 1] = string.format("%s into %s", s.parts[2].name, s.parts[1].name) end
    if s.add then joined[#joined + 1] = string.format("%s into %s (in %s)", s.add.name, s.project.name, s.name) end
  end
  if #joined > 0 then
    lines[#lines + 1] = string.format("residual adds in the 1x1 layer's epilogue (%d): %s", #joined,
      table.concat(joined, ", "))
  end
  if #plan.view_steps > 0 then
    local names = {}
    for i, s in ipairs(plan.view_steps) do names[i] = s.name end
    lines[#lines + 1] = string.format("channel slices read in place, not copied (%d): %s", #names,
      table.concat(names, ", "))
  end
  local interleaved = {}
  for _, s in ipairs(plan.steps) do
    if s.interleaved then interleaved[#interleaved + 1] = s.weights_from.name end
  end
  if #interleaved > 0 then
    local elided = {}
    for i, s in ipairs(plan.elided_steps) do elided[i] = s.name end
    lines[#lines + 1] = string.format("1x1 layers writing their planes of a channel shuffle in place (%d): %s; "
      .. "concat and shuffles with nothing left to move (%d)%s", #interleaved, table.concat(interleaved, ", "),
      #elided, #elided > 0 and ": " .. table.concat(elided, ", ") or "")
  end
  if plan.threads > 1 then
    local cut, by_pixels, banded, alone = 0, {}, 0, {}
    for _, s in ipairs(plan.steps) do
      if s.kind == "block" and s.slices then banded = banded + 1
      elseif s.slices and (s.slices[1].pixels or s.slices[1].plane_range) then by_pixels[#by_pixels + 1] = s.name
      elseif s.slices then cut = cut + 1
      else alone[#alone + 1] = s.name end
    end
    lines[#lines + 1] = string.format("threads: %d; %d steps cut by output channels, one slice per thread; "
      .. "%d blocks cut by rows, a stretch of bands per thread; steps cut by pixels (%d): %s; "
      .. "on thread 0 alone (%d): %s", plan.threads, cut, banded, #by_pixels,
      #by_pixels > 0 and table.concat(by_pixels, ", ") or "none", #alone, #alone > 0 and table.concat(alone, ", ") or "none")
  end
  lines[#lines + 1] = string.format("arena: %s bytes planned by liveness (intermediate tensors of one sample); "
    .. "%s bytes layer by layer, nothing fused; %s bytes without reuse",
    commas(4 * plan.arena_floats), commas(4 * plan.arena_unfused_floats), commas(4 * plan.arena_unplanned_floats))
  return table.concat(lines, "\n") .. "\n"
end

return M
