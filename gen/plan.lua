-- plan: stage 4, the whole network planned before anything is emitted.
--
-- In:  a validated graph with weights (weights.attach).
-- Out: plan = {name, prefix, batch, file, weights_source,
--        inputs  = {{name, cname, param, C, H, W, size, nhwc}...}, size: floats per sample,
--                  nhwc: the caller's tensor is channels last (layout = "nhwc"),
--        outputs = {{name, cname, param, C, H, W, size, nhwc, real}...}, cname: for macros,
--                                                           param: forward's argument
--        steps   = {step...}, layer_steps = {step...}: the steps before blocks
--                  were formed (a block's parts, each with its whole shape),
--        views = {[tensor] = {base, offset, step}}, view_steps = {step...}:
--                the channel slices read in place, not steps of the pass,
--                and the outputs of 1x1 layers that write their planes of
--                a channel shuffle ({..., base_shape}, the shuffled tensor's),
--        elided_steps = {step...}: the concat and shuffles those layers
--                left with nothing to move, not steps of the pass,
--        macs, param_count}
--      and, once the schedule has sized the blocks' scratch (M.place):
--        arena_floats, arena_unplanned_floats, arena_unfused_floats,
--        storage = {[tensor] = {kind = "input"|"output"|"arena", index, offset}}
--                (offset: floats into the arena, or into an input or output
--                for a view of one)
--      step = {name, fn, kind, layers = {source layer names}, file, line,
--              inputs = {tensor...}, output = tensor, x = {C,H,W}, y = {C,H,W},
--              act = nil|"relu"|"relu6"|"hardswish"|"sigmoid"|"hardsigmoid",
--              params = {weight = tensor, bias = tensor|nil, ...}, macs,
--              and per kind the geometry the kernels need (rows, cols, ...)}
-- What happens here: batchnorm folded into the conv before it (or kept as
-- a per-channel affine step), activations fused into their producer,
-- flatten turned into an alias, dead layers dropped, kernels classified
-- by shape, chains of 1x1 (or a stem convolution) -> depthwise -> 1x1
-- (and depthwise -> 1x1 pairs) made into blocks that run band by band
-- (step kind "block": {parts = {expand, middle, project}} or {middle,
-- project}; the same as step.expand (nil for a pair), step.middle,
-- step.project; step.add, the residual add it takes, or false),
-- a concat read only by a channel shuffle made one pass (step kind
-- "concat_shuffle": {parts = {concat, shuffle}}; its starts, when the
-- 1x1 layers that make some inputs write their planes of it themselves:
-- "pwconv" steps with interleaved = {into, first_plane} and y_stride,
-- parts = {layer}), a slice of whole
-- channels read where it lies (plan.views), a residual add joined
-- to the 1x1 layer that makes one of its addends (a "pwconv" step with
-- residual = true, inputs {x, residual}, parts = {conv, add}), and the
-- arena planned by liveness.  With threads > 1, residuals joined only
-- to 1x1 layers cut by pixels (each slice adds its pixels'); each
-- step that can be cut by channels gets step.slices, one step per thread
-- (and a 1x1 layer step.pixel_slices too, for the schedule to take where
-- its kernel can), and each block step.thread_fns, its threads' stretches
-- of bands (split_for_threads).  With layout = "nhwc", a step of kind
-- "transpose" first for each input and last for each output whose layout
-- that changes (add_transposes).  The graph is not changed.
-- Shapes in steps are per sample: the forward pass loops over the batch.

local util = require "util"
local tensor = require "tensor"
local geometry = require "geometry"
local arena = require "arena"
local tuning = require "tuning"

local M = {}

local activations = {relu = true, relu6 = true, hardswish = true, sigmoid = true, hardsigmoid = true}
local fuses_activation = {conv = true, linear = true, add = true, mul = true, affine = true}

local function shape_of(t) return {C = t.C, H = t.H, W = t.W} end

-- gamma / sqrt(var + eps) for channel c; the weights come from a file, so
-- a variance that is not positive is the file's error, said as such.
local function bn_scale(bn, c)
  local v = bn.params.running_var:get(c) + bn.eps
  if not (v > 0) then
    util.layer_fail(bn, "running_var[%d] + eps = %g is not positive", c, v)
  end
  return bn.params.weight:get(c) / math.sqrt(v)
end

-- Folded values are stored as float32; one that overflows it would make
-- the generated network compute inf or NaN.
local function check_folded(bn, conv, t)
  local finite, i = t:all_finite()
  if not finite then
    util.layer_fail(bn, "folding it into '%s' gives a value beyond float32 at element %d (a running_var near -eps?)",
      conv and conv.name or bn.name, i)
  end
end

-- A conv's weight scaled per output channel and its new bias, from BN:
-- s = gamma / sqrt(var + eps); w' = w * s; b' = (b - mean) * s + beta.
local function fold_batchnorm(conv, bn)
  local w, b = conv.params.weight, conv.params.bias
  local beta, mean = bn.params.bias, bn.params.running_mean
  local per_channel = #w // conv.C_out
  local w2, b2 = tensor.new(#w), tensor.new(conv.C_out)
  for oc = 0, conv.C_out - 1 do
    local s = bn_scale(bn, oc)
    local base = oc * per_channel
    for i = base, base + per_channel - 1 do w2:set(i, w:get(i) * s) end
    b2:set(oc, ((b and b:get(oc) or 0) - mean:get(oc)) * s + beta:get(oc))
  end
  check_folded(bn, conv, w2)
  check_folded(bn, conv, b2)
  conv.params = {weight = w2, bias = b2}
end

-- BN that follows no conv: y = x * scale[c] + shift[c].
local function affine_of(bn)
  local C = bn.y.C
  local scale, shift = tensor.new(C), tensor.new(C)
  for c = 0, C - 1 do
    local s = bn_scale(bn, c)
    scale:set(c, s)
    shift:set(c, bn.params.bias:get(c) - bn.params.running_mean:get(c) * s)
  end
  check_folded(bn, nil, scale)
  check_folded(bn, nil, shift)
  return {scale = scale, shift = shift}
end

-- Step records start as copies of the graph's layers.
local function initial_steps(graph)
  local steps = {}
  for i, layer in ipairs(graph.layers) do
    local s = {}
    for k, v in pairs(layer) do s[k] = v end
    s.inputs = {table.unpack(layer.inputs)}
    s.layers = {layer.name}
    s.x = shape_of(graph.tensors[layer.inputs[1]])
    s.y = shape_of(layer.out)
    s.out = nil
    local params = {}
    for k, v in pairs(layer.params or {}) do params[k] = v end
    s.params = params
    steps[i] = s
  end
  return steps
end

-- sole_reader(s): the one step that reads s's output, or nil when several
-- or none do, or when it is a net output: what each fusion asks first.
-- Readers are indexed by tensor name once, as `steps` stands now.
local function sole_reader_of(steps, outputs)
  local is_output, readers = {}, {}
  for _, name in ipairs(outputs) do is_output[name] = true end
  for _, s in ipairs(steps) do
    for _, name in ipairs(s.inputs) do
      readers[name] = readers[name] or {}
      table.insert(readers[name], s)
    end
  end
  return function(s)
    local r = readers[s.output]
    if is_output[s.output] or not r or #r ~= 1 then return nil end
    return r[1]
  end
end

-- Merges `next_step` into `step` (BN into conv, activation into its
-- producer): the producer now writes the consumer's output tensor.
local function absorb(step, next_step)
  step.output = next_step.output
  step.y = next_step.y
  table.insert(step.layers, next_step.name)
  next_step.absorbed = true
end

local function fuse(steps, outputs)
  local sole_reader = sole_reader_of(steps, outputs)
  for _, s in ipairs(steps) do
    if not s.absorbed then
      local bn = sole_reader(s)
      if s.op == "conv" and bn and bn.op == "batchnorm" then
        fold_batchnorm(s, bn)
        absorb(s, bn)
      end
    end
  end
  for _, s in ipairs(steps) do
    if s.op == "batchnorm" and not s.absorbed then
      s.op, s.params = "affine", affine_of(s)
    end
  end
  for _, s in ipairs(steps) do
    if not s.absorbed and fuses_activation[s.op] and not s.act then
      local a = sole_reader(s)
      if a and activations[a.op] then
        s.act = a.op
        absorb(s, a)
      end
    end
  end
  for _, s in ipairs(steps) do
    if activations[s.op] and not s.absorbed then s.act, s.op = s.op, "act" end
  end
  local kept = {}
  for _, s in ipairs(steps) do if not s.absorbed then kept[#kept + 1] = s end end
  return kept
end

-- flatten moves no data: its output is another name for its input.
local function remove_flattens(steps)
  local alias, kept = {}, {}
  local function resolve(name) while alias[name] do name = alias[name] end return name end
  for _, s in ipairs(steps) do
    for i, name in ipairs(s.inputs) do s.inputs[i] = resolve(name) end
    if s.op == "flatten" then
      alias[s.output] = resolve(s.inputs[1])
    else
      kept[#kept + 1] = s
    end
  end
  return kept, resolve
end

local function drop_dead(steps, outputs)
  local needed = {}
  for _, name in ipairs(outputs) do needed[name] = true end
  local live = {}
  for i = #steps, 1, -1 do
    local s = steps[i]
    if needed[s.output] then
      table.insert(live, 1, s)
      for _, name in ipairs(s.inputs) do needed[name] = true end
    end
  end
  return live
end

-- Kernel families, by shape alone.
local function classify(s)
  if s.op == "conv" then
    local pad = s.pad
    if s.groups == s.C_in then return "dwconv" end
    if s.kh == 1 and s.kw == 1 and pad.top + pad.bottom + pad.left + pad.right == 0 then return "pwconv" end
    if s.groups > 1 then return "gconv" end
    return "conv"
  end
  return s.op
end

local function add_geometry(s)
  if s.kind == "conv" or s.kind == "gconv" or s.kind == "dwconv" or s.kind == "avgpool" or s.kind == "maxpool" then
    s.rows, s.cols = geometry.window(s.x.H, s.x.W, s.y.H, s.y.W, s.kh, s.kw, s.sh, s.sw, s.pad, s.dh, s.dw)
    if s.kind == "avgpool" and not s.count_include_pad then
      s.col_counts = geometry.column_counts(s.x.W, s.y.W, s.kw, s.sw, s.pad.left, s.dw)
    end
  end
end

-- The linear kernel reads its weight as [in][out] (contiguous outputs);
-- PyTorch stores [out][in].  Packing happens once, here.
local function pack_weights(s)
  if s.kind ~= "linear" then return end
  local w, packed = s.params.weight, tensor.new(#s.params.weight)
  for o = 0, s.C_out - 1 do
    for i = 0, s.C_in - 1 do packed:set(i * s.C_out + o, w:get(o * s.C_in + i)) end
  end
  s.params.weight = packed
end

-- ---- blocks: [1x1 or conv ->] depthwise -> 1x1 over bands of rows ---------
-- MobileNetV2's inverted residual and ShuffleNetV2's branch widen the
-- channels six times (or keep them), filter each channel, and narrow them
-- again; ResNeXt's bottleneck does the same with a grouped convolution in
-- the middle (a chain's only: a pair's bands read x in place, which
-- takes channel strides that not every grouped kernel has).  Layer by
-- layer, the wide tensors go out to memory and come back twice; as one
-- step that makes a few output rows at a time, they live only in a band
-- buffer that stays in L2.  The schedule picks the band's
-- height (gen/schedule.lua) and emit writes the loop (gen/emit.lua).

-- Below this, the wide tensor fits in L2 beside everything else and the
-- band loop only adds work: fusion pays where layers spill to L3.
M.FUSE_MIN_BYTES = 1 << 20

local function plain_pointwise(s)
  return s and s.kind == "pwconv" and s.groups == 1 and s.sh == 1 and s.sw == 1 and #s.inputs == 1
end

-- A block's first layer: a 1x1 layer, or a convolution (a network's stem
-- before its first depthwise layer: MobileNets'), whose band rows are
-- made from the input rows their windows read.  Fused, the stem's wide
-- output (MobileNetV2's 32x112x112) never exists whole either.
local function expands(s)
  return plain_pointwise(s) or (s and s.kind == "conv" and #s.inputs == 1)
end

-- The add of the block's output to its input right after it (an
-- inverted residual), or nil.  The block takes it into its project
-- layer's epilogue, band by band (the residual's rows are the input's
-- rows at the output's offset), as a 1x1 layer alone would take it; the
-- block is tuned as the chain with its add.
local function residual_add(a, c, sole_reader)
  local r = sole_reader(c)
  if r ~= nil and not c.act and r.kind == "add" and #r.inputs == 2 and
      (r.inputs[1] == a.inputs[1] or r.inputs[2] == a.inputs[1]) then
    return r
  end
end

-- Whether the chain that starts with `a` runs as a block: mode "all"; a
-- record of `tuned` for its key (band_rows = 0 there is layer by layer);
-- else where the tensor it keeps out of memory has FUSE_MIN_BYTES and
-- the middle layer is depthwise.  A grouped middle's chain pays less: its
-- layers run near the FMA peak with their tensors in L3, and in bands of
-- a few rows they lose more than the memory traffic saves.  ResNeXt-50's
-- five such chains (layer1, layer2.0, layer3.0) fused took the pass 1.6%
-- longer, for an arena 0.8 MB smaller; the tuner fuses the ones that pay.
local function wants_block(mode, key, tuned, kept, middle)
  local record = key and tuned and tuned[key]
  if not key then return false end
  if mode == "all" then return true end
  if record and record.knobs.band_rows then return record.knobs.band_rows > 0 end
  return middle.kind == "dwconv" and 4 * kept.C * kept.H * kept.W >= M.FUSE_MIN_BYTES
end

-- A block step of `parts`: {expand, middle, project}, or {middle,
-- project} for a depthwise -> 1x1 pair (MobileNetV1's separable block),
-- whose band buffer takes the depthwise input's rows as they are; `add`:
-- its residual add, or nil.  step.alone: the steps it is where it cannot
-- run in bands, its parts and its add.
local function block_step(parts, key, add, taken)
  local first, last = parts[1], parts[#parts]
  local fn = util.unique_c_names({first.fn .. "_block"}, taken)[1]
  taken[fn] = true
  local alone = {table.unpack(parts)}
  alone[#alone + 1] = add
  local layers, macs = {}, 0
  for _, p in ipairs(alone) do
    for _, l in ipairs(p.layers) do layers[#layers + 1] = l end
    macs = macs + p.macs
  end
  local out = add or last
  return {name = fn, fn = fn, kind = "block", op = "block", layers = layers, file = first.file,
    line = first.line, inputs = {first.inputs[1]}, output = out.output, x = first.x, y = out.y,
    input_shapes = first.input_shapes, params = {}, macs = macs, parts = parts, alone = alone,
    expand = #parts == 3 and parts[1] or nil, middle = parts[#parts - 1], project = last,
    tuning_key = key, add = add or false}
end

-- mode: "auto" (where the tensor the block keeps in its band buffers is
-- at least FUSE_MIN_BYTES: the wide one of a 1x1 -> depthwise -> 1x1
-- chain, the depthwise output of a pair, unless `tuned` has the chain:
-- band_rows = 0 there is layer by layer), "all" or "off".  tuned: as
-- gen/schedule.lua's options.tuned, or nil.  The block takes its first
-- step's place in the order.
local function form_blocks(steps, outputs, mode, taken, tuned)
  if mode == "off" then return steps end
  local sole_reader = sole_reader_of(steps, outputs)
  -- a chain's depthwise layer is no pair's: the chain's record (or size)
  -- decides for all three layers, layer by layer included
  local parts_of, in_block, in_chain = {}, {}, {}
  local function take(first, parts, key, add)
    parts_of[first] = {parts = parts, key = key, add = add}
    for _, p in ipairs(parts) do in_block[p] = true end
    if add then in_block[add] = true end
  end
  -- Where two chains share a 1x1 layer (MobileNetV1 alternates depthwise
  -- and 1x1 layers, so its 1x1 layers end one chain and start the next),
  -- the one whose wide tensor is larger goes first: it keeps more bytes
  -- out of memory.
  local chains = {}
  for i, a in ipairs(steps) do
    local b = expands(a) and sole_reader(a)
    local c = b and (b.kind == "dwconv" or b.kind == "gconv") and sole_reader(b)
    if plain_pointwise(c) then chains[#chains + 1] = {a, b, c, order = i, bytes = a.y.C * a.y.H * a.y.W} end
  end
  table.sort(chains, function(p, q)
    if p.bytes ~= q.bytes then return p.bytes > q.bytes end
    return p.order < q.order
  end)
  for _, chain in ipairs(chains) do
    local a, b, c = chain[1], chain[2], chain[3]
    local add = residual_add(a, c, sole_reader)
    local key = not in_block[a] and not in_block[c] and tuning.block_key({a, b, c}, add ~= nil)
    if key then in_chain[b] = true end
    if wants_block(mode, key, tuned, a.y, b) then take(a, {a, b, c}, key, add) end
  end
  for _, b in ipairs(steps) do
    local c = b.kind == "dwconv" and not in_chain[b] and sole_reader(b)
    local add = plain_pointwise(c) and residual_add(b, c, sole_reader) or nil
    local key = plain_pointwise(c) and not in_block[c] and tuning.block_key({b, c}, add ~= nil)
    if wants_block(mode, key, tuned, b.y, b) then take(b, {b, c}, key, add) end
  end
  local out = {}
  for _, s in ipairs(steps) do
    local block = parts_of[s]
    if block then
      out[#out + 1] = block_step(block.parts, block.key, block.add, taken)
    elseif not in_block[s] then
      out[#out + 1] = s
    end
  end
  return out
end

-- A copy of step s, a part of it to change (a slice, a layer that
-- writes into a shuffle).
local function copy_of(s)
  local t = {}
  for k, v in pairs(s) do t[k] = v end
  return t
end

-- `steps` with joined[s] in s's place and the dropped steps left out: what
-- the fusions below return.
local function rejoin(steps, joined, dropped)
  local out = {}
  for _, s in ipairs(steps) do
    if joined[s] then out[#out + 1] = joined[s] elseif not dropped[s] then out[#out + 1] = s end
  end
  return out
end

-- ---- concat + channel shuffle in one pass -------------------------------------
-- ShuffleNet joins its branches and shuffles the channels right away.
-- Each channel is one contiguous plane in NCHW, so one pass can move
-- every input channel straight to its shuffled place: the concatenation
-- is never written, and its buffer leaves the arena.
local function join_shuffles(steps, outputs, taken)
  local sole_reader = sole_reader_of(steps, outputs)
  local joined, dropped = {}, {}
  for _, s in ipairs(steps) do
    local shuffle = s.kind == "concat" and sole_reader(s)
    if shuffle and shuffle.kind == "shuffle" then
      local fn = util.unique_c_names({s.fn .. "_shuffled"}, taken)[1]
      taken[fn] = true
      local layers = {table.unpack(s.layers)}
      for _, l in ipairs(shuffle.layers) do layers[#layers + 1] = l end
      joined[s] = {name = fn, fn = fn, kind = "concat_shuffle", op = "concat_shuffle", layers = layers,
        file = s.file, line = s.line, inputs = s.inputs, input_shapes = s.input_shapes, output = shuffle.output,
        x = s.x, y = shuffle.y, groups = shuffle.groups, params = {}, macs = 0, parts = {s, shuffle}}
      dropped[shuffle] = true
    end
  end
  return rejoin(steps, joined, dropped)
end

-- ---- a branch's last 1x1 layer writes its planes of the shuffle ------------
-- The shuffled tensor lives from its first writer on, so the writers
-- that can wait run last, right before the step that completes it (the
-- concat and shuffle, or the last writer): ShuffleNetV2's downsampling
-- unit then holds its left branch's narrow output, not the whole
-- shuffled tensor, while its right branch runs.  A writer waits where
-- its input is smaller than the shuffled tensor.
local function sink_writers(steps)
  local last_of, waiting = {}, {}
  for i, s in ipairs(steps) do
    local into = s.interleaved and s.interleaved.into
    if into then last_of[into] = i end
    if s.kind == "concat_shuffle" then last_of[s] = i end
  end
  local out = {}
  for i, s in ipairs(steps) do
    local into = s.interleaved and s.interleaved.into or (s.kind == "concat_shuffle" and s)
    local x, y = s.x, into and into.y
    if into and last_of[into] ~= i and x.C * x.H * x.W < y.C * y.H * y.W then
      waiting[into] = waiting[into] or {}
      table.insert(waiting[into], s)
    else
      -- the writers waiting so far run now, once: a writer that cannot
      -- wait (its input is larger) may come before the last one
      for _, w in ipairs(into and waiting[into] or {}) do out[#out + 1] = w end
      if into then waiting[into] = nil end
      out[#out + 1] = s
    end
  end
  return out
end

-- In a concat and shuffle, an input whose channels lie in one group j of
-- the concatenation lands on output planes `groups` apart, from plane
-- k0*groups + j.  The 1x1 layer (stride 1) that makes it, read by the
-- concat and shuffle alone, can write there itself, its channels
-- `groups` planes apart (y_stride): the pass then moves only the inputs
-- no layer so writes (ShuffleNetV2's identity half), and nothing at all
-- where every input is so written (its downsampling units).  The layer's
-- output becomes a view of the shuffled tensor that its writer keeps
-- alive from its step on (plan.place).  The joined step is a copy of the
-- layer (its knobs are chosen again, by a kernel that takes channel
-- strides); the layer itself stays in plan.layer_steps for the benchmark
-- bundle, and so do the parts of a concat and shuffle left with nothing
-- to move (returned too, as the second value).  With threads, the joined
-- step is cut as its layer would be, and its slices hold the weights
-- (p.interleaved_by: emit.lua).
local function interleave_into_shuffles(steps, views, outputs, taken)
  local sole_reader = sole_reader_of(steps, outputs)
  local producer_of, is_output = {}, {}
  for _, s in ipairs(steps) do producer_of[s.output] = s end
  for _, name in ipairs(outputs) do is_output[name] = true end
  local joined, dropped, elided = {}, {}, {}
  for _, cs in ipairs(steps) do
    if cs.kind == "concat_shuffle" and not is_output[cs.output] then
      local per_group, plane = cs.y.C // cs.groups, cs.y.H * cs.y.W
      local kept, starts, writers, start = {}, {}, {}, 0
      for k, name in ipairs(cs.inputs) do
        local p, C = producer_of[name], cs.input_shapes[k].C
        local j = start // per_group
        if p and p.kind == "pwconv" and not p.parts and not p.residual and p.sh == 1 and p.sw == 1
            and not p.y_stride and sole_reader(p) == cs and (start + C - 1) // per_group == j then
          local fn = util.unique_c_names({p.fn .. "_interleaved"}, taken)[1]
          taken[fn] = true
          local into = copy_of(p)
          into.fn, into.weights_from, into.parts, into.layers = fn, p, {p}, {table.unpack(p.layers)}
          into.y_stride, into.interleaved = cs.groups * plane, {into = cs, first_plane = (start - j * per_group) * cs.groups + j}
          views[name] = {base = cs.output, offset = into.interleaved.first_plane * plane, step = into,
            base_shape = cs.y}
          joined[p], writers[#writers + 1], p.interleaved_by = into, fn, into
        else
          kept[#kept + 1], starts[#starts + 1] = k, start
        end
        start = start + C
      end
      if #kept == 0 then
        dropped[cs], elided[#elided + 1] = true, cs
      elseif #kept < #cs.inputs then
        local inputs, shapes = {}, {}
        for i, k in ipairs(kept) do inputs[i], shapes[i] = cs.inputs[k], cs.input_shapes[k] end
        cs.inputs, cs.input_shapes, cs.x, cs.starts, cs.written_by = inputs, shapes, shapes[1], starts, writers
      end
    end
  end
  return sink_writers(rejoin(steps, joined, dropped)), elided
end

-- ---- channel slices read in place ------------------------------------------
-- In NCHW a slice of whole channels [start, stop) is one contiguous run of
-- its tensor, start*H*W floats in, so its readers can read it there and
-- nothing is copied (ShuffleNet splits every shuffled tensor in two).  A
-- view of a view is a view of the first tensor.  A slice that is a net
-- output is still copied: the caller's buffer must hold it.  Returns the
-- steps left and the views: {[tensor] = {base, offset (floats), step}}, and
-- their slice steps in order (the benchmark bundle still times them).
local function view_slices(steps, outputs)
  local is_output, views, view_steps, kept = {}, {}, {}, {}
  for _, name in ipairs(outputs) do is_output[name] = true end
  for _, s in ipairs(steps) do
    if s.kind == "slice" and not is_output[s.output] then
      local base, offset = s.inputs[1], s.start * s.x.H * s.x.W
      if views[base] then base, offset = views[base].base, views[base].offset + offset end
      views[s.output] = {base = base, offset = offset, step = s}
      view_steps[#view_steps + 1] = s
    else
      kept[#kept + 1] = s
    end
  end
  return kept, views, view_steps
end

-- ---- the residual add in the pointwise layer's epilogue ---------------------
-- A bottleneck ends in a 1x1 layer whose output is added to the block's
-- input (then, in ResNeXt, a ReLU).  Layer by layer the sum is one more
-- pass over three tensors; in the 1x1 kernel's epilogue the residual is
-- one more load per output vector, and the 1x1 layer's own output is
-- never written.  The joined step is an instance of the 1x1 step (its
-- knobs, its weights) that reads the residual as a second input, and it
-- runs where the add ran: both inputs exist by then.  When both addends
-- come from such layers (ResNeXt's first block of a stage: the block and
-- its downsampling projection), the later one takes the add.
local function residual_producer(add, producer_of, sole_reader, order, joinable)
  if add.kind ~= "add" or #add.inputs ~= 2 then return nil end
  local best, other
  for k, name in ipairs(add.inputs) do
    local p = producer_of[name]
    if p and p.kind == "pwconv" and p.groups == 1 and not p.act and #p.inputs == 1 and sole_reader(p) == add
        and joinable(p) and add.inputs[3 - k] ~= name and (not best or order[p] > order[best]) then
      best, other = p, add.inputs[3 - k]
    end
  end
  return best, other
end

-- joinable(p): whether 1x1 step p may take the add (with threads, the
-- ones cut by pixels only).
local function join_residuals(steps, outputs, taken, joinable)
  local sole_reader = sole_reader_of(steps, outputs)
  local producer_of, order = {}, {}
  for i, s in ipairs(steps) do producer_of[s.output], order[s] = s, i end
  local joined, dropped = {}, {}
  for _, add in ipairs(steps) do
    local p, residual = residual_producer(add, producer_of, sole_reader, order, joinable)
    if p then
      local fn = util.unique_c_names({p.fn .. "_residual"}, taken)[1]
      taken[fn] = true
      local layers = {table.unpack(p.layers)}
      for _, l in ipairs(add.layers) do layers[#layers + 1] = l end
      joined[add] = setmetatable({fn = fn, weights_from = p, layers = layers, residual = true,
        inputs = {p.inputs[1], residual}, input_shapes = {p.input_shapes[1], p.y}, output = add.output,
        y = add.y, act = add.act, parts = {p, add}}, {__index = p})
      dropped[p] = true
    end
  end
  return rejoin(steps, joined, dropped)
end

-- A step's parameter arrays are named after its function (emit.lua):
-- layer "a" has a_w, so a layer named "a_w" must become a_w_2.  The
-- benchmark table's own names start with cgb_ (bench.lua).
local ARRAY_SUFFIXES = {"_w", "_b", "_scale", "_shift"}

-- ---- threads: each layer's output channels shared out -----------------------
-- In NCHW a run of channels is one contiguous stretch of a tensor, so a
-- layer cut by output channels is T layers of the same kind on
-- sub-tensors: each slice is a step of its own (its shape, its knobs, its
-- packed weights), reads its inputs at an offset and writes its stretch
-- of the whole output.  Slice t runs on thread t; all threads meet after
-- each layer.  A 1x1 or dense layer's slice reads every input channel and
-- its share of the weights, which are what the late layers spend time on.

-- How a step's channels may be cut: "out" (every slice reads the whole
-- input), "groups" (a slice takes whole groups, inputs and outputs), or
-- "local" (output channel c reads channel c of each input); nil: not cut,
-- the step runs on thread 0 alone.  A concat and shuffle is cut by pixels
-- or output channels ("planes": move_slice).  A fused block is cut by
-- rows instead: each thread runs a stretch of its bands (gen/schedule.lua,
-- which sizes the bands), so the wide tensor of each stretch stays in its
-- core's L2.
local function cut_of(s)
  if s.kind == "block" then return "bands" end
  if s.kind == "concat_shuffle" then return "planes" end
  if s.kind == "conv" or s.kind == "pwconv" or s.kind == "gconv" or s.kind == "dwconv" then
    return s.groups > 1 and "groups" or "out"
  end
  if s.kind == "linear" then return "out" end
  if s.kind == "add" or s.kind == "mul" or s.kind == "act" or s.kind == "affine" or s.kind == "avgpool"
      or s.kind == "maxpool" or s.kind == "gap" then
    for _, shape in ipairs(s.input_shapes) do
      if shape.C ~= s.y.C then return nil end
    end
    return "local"
  end
  return nil
end

-- Boundaries of `threads` slices of `units`, on multiples of the coarsest
-- grain that keeps every slice within 5% of an even share: whole vectors
-- of 16 channels where that costs little balance.
local function cut_points(units, threads)
  for _, grain in ipairs{16, 8, 4, 2, 1} do
    local points, fair = {0}, units / threads
    for t = 1, threads - 1 do
      points[t + 1] = math.max(points[t], math.min(units, math.floor(t * fair / grain + 0.5) * grain))
    end
    points[threads + 1] = units
    local worst = 0
    for t = 1, threads do worst = math.max(worst, points[t + 1] - points[t]) end
    if worst <= fair * 1.05 or grain == 1 then return points end
  end
end

local function slice_tensor(t, first, count)
  return tensor.from_f32le(t:to_f32le(), 4 * first, count)
end

-- Slice [u0, u1) of step s's units as a step of its own, named fn.
local function slice_step(s, cut, u0, u1, fn)
  local t = copy_of(s)
  local per_unit = cut == "groups" and s.C_out // s.groups or 1
  local c0, c1 = u0 * per_unit, u1 * per_unit
  t.fn, t.slice_of, t.channels = fn, s, {c0, c1}
  t.y = {C = c1 - c0, H = s.y.H, W = s.y.W}
  t.output_offset = c0 * (s.y_stride or s.y.H * s.y.W)
  t.weights_from = nil                -- its own slice of the weights
  t.input_shapes, t.input_offsets = {}, {}
  for k, shape in ipairs(s.input_shapes) do
    local per_input = cut == "groups" and s.C_in // s.groups or (cut == "local" and 1 or 0)
    t.input_shapes[k] = {C = per_input > 0 and (u1 - u0) * per_input or shape.C, H = shape.H, W = shape.W}
    t.input_offsets[k] = u0 * per_input * shape.H * shape.W
  end
  t.x = t.input_shapes[1]
  if s.C_out then t.C_out = c1 - c0 end
  if cut == "groups" then t.C_in, t.groups = t.x.C, u1 - u0 end
  t.macs = s.macs * (c1 - c0) // s.y.C
  t.params = {}
  for name, p in pairs(s.params) do
    local per = #p // s.y.C
    t.params[name] = slice_tensor(p, c0 * per, (c1 - c0) * per)
  end
  return t
end

-- Pixels [p0, p1) of a 1x1 layer as a step of its own: every output
-- channel of those pixels, from the same pixels of every input channel,
-- with the whole layer's channel strides (x_stride, y_stride: what the
-- pointwise kernels that run a block's bands take).  A unit-stride 1x1
-- kernel sees its pixels as one run, so the slice is one row of them.
local function pixel_slice(s, p0, p1, fn)
  local t = copy_of(s)
  local plane = s.y.H * s.y.W
  t.fn, t.slice_of, t.pixels = fn, s, {p0, p1}
  -- the same weights, packed for the slice's own knobs by the schedule
  t.params, t.weights_from = {}, nil
  for name, p in pairs(s.params) do t.params[name] = p end
  t.x = {C = s.x.C, H = 1, W = p1 - p0}
  t.y = {C = s.y.C, H = 1, W = p1 - p0}
  t.input_shapes = {t.x}
  t.x_stride, t.y_stride = plane, s.y_stride or plane
  t.input_offsets, t.output_offset = {p0}, p0
  t.macs = s.macs * (p1 - p0) // plane
  return t
end

-- Pixels [p0, p1) of a 1x1 layer joined with a residual add (s, whose
-- parts are {conv, add}): conv's pixel slice that also reads the same
-- pixels of the residual, laid out as its output, and adds them.
local function residual_slice(s, conv, p0, p1, fn)
  local t = pixel_slice(conv, p0, p1, fn)
  t.slice_of, t.residual, t.layers = s, true, s.layers
  t.inputs, t.output, t.act = s.inputs, s.output, s.act
  t.input_shapes, t.input_offsets = {t.x, t.y}, {p0, p0}
  return t
end

-- A concat and shuffle moves whole planes, and a thread's slice of it
-- reads and writes the whole tensors: its share is either pixels [u0, u1)
-- of every plane (plane_range), where a plane is whole cache lines, so
-- that the thread that wrote a 1x1 layer's pixels (cut_by_pixels) moves
-- them on, on its own core; or else output channels [u0, u1)
-- (channel_range): cut by pixels, a 14x14 or 7x7 plane's lines would be
-- written by both threads, and went back and forth between their cores
-- (stage 4 of ShuffleNetV2 took 22 us a thread, against 4 to 7 on one).
local function shares_by_pixels(s) return s.y.H * s.y.W % 16 == 0 end

local function move_slice(s, u0, u1, fn)
  local t = copy_of(s)
  t.fn, t.slice_of = fn, s
  if shares_by_pixels(s) then t.plane_range = {u0, u1} else t.channel_range = {u0, u1} end
  return t
end

-- A 1x1 layer is cut by pixels rather than by output channels where its
-- image has more pixels than it has output channels (the projections
-- that narrow a wide tensor, and the early layers): cut by channels,
-- each thread would read the whole input for a few outputs; cut by
-- pixels, it reads its share of the input and the whole weights, which
-- are then the smaller.  The cuts fall on whole cache lines where that
-- keeps the shares even (cut_points' grain of 16 floats): a line two
-- threads write goes back and forth between their cores.  (A depthwise
-- layer cut by rows was tried and was slower than cut by channels: the
-- rows across each cut are scattered single lines the other core wrote.)
local function cut_by_pixels(s, threads)
  return s.kind == "pwconv" and s.groups == 1 and s.sh == 1 and s.sw == 1 and #s.inputs == 1
    and s.y.H * s.y.W > s.y.C and s.y.H * s.y.W >= 16 * threads
end

local function thread_fn(s, t, taken)
  local fn = util.unique_c_names({s.fn .. "_thread" .. t}, taken)[1]
  taken[fn] = true
  for _, suffix in ipairs(ARRAY_SUFFIXES) do taken[fn .. suffix] = true end
  return fn
end

-- One slice of step s per thread that has a share of `points`
-- (cut_points), made by make(u0, u1, fn).
local function slices_by(s, points, threads, taken, make)
  local slices = {}
  for t = 1, threads do
    if points[t + 1] > points[t] then
      local slice = make(points[t], points[t + 1], thread_fn(s, t - 1, taken))
      slice.thread = t - 1
      slices[#slices + 1] = slice
    end
  end
  return slices
end

-- The depthwise -> 1x1 pair of block s, for the schedule to run when s's
-- first layer (a stem convolution) finds no kernel that runs bands on
-- this target: the stem then runs whole, before the pair, and s's add
-- (whose residual is the stem's input, not the pair's) after it.
function M.pair_of(s, taken)
  local mid, c = s.middle, s.project
  local pair = block_step({mid, c}, tuning.block_key({mid, c}, false), nil, taken)
  if s.thread_fns then
    pair.thread_fns = {}
    for t = 1, #s.thread_fns do pair.thread_fns[t] = thread_fn(pair, t - 1, taken) end
  end
  return pair
end

-- Sets s.slices on every step that can be cut (those with at least one
-- unit per thread), and a block's s.thread_fns, the names of its threads'
-- stretches of bands; `taken` keeps the slices' names apart.
local function split_for_threads(steps, threads, taken)
  for _, s in ipairs(steps) do
    local cut = cut_of(s)
    local units = cut == "groups" and s.groups or s.y.C
    if s.residual or cut == "bands" then
      -- where the schedule runs the parts one by one after all (a 1x1
      -- kernel that takes no bands, or adds no residual), they are cut as
      -- any layer is
      split_for_threads(s.alone or s.parts, threads, taken)
      for _, p in ipairs(s.alone or s.parts) do
        p.cut_if_alone, p.slices, p.pixel_slices = {slices = p.slices, pixel_slices = p.pixel_slices}, nil, nil
      end
    end
    if s.residual then
      -- joined only where the 1x1 layer is cut by pixels (join_residuals)
      local conv = s.parts[1]
      s.slices = slices_by(s, cut_points(s.y.H * s.y.W, threads), threads, taken,
        function(p0, p1, fn) return residual_slice(s, conv, p0, p1, fn) end)
      -- the 1x1 layer's weights are emitted as its slices' (emit.lua)
      conv.slices = s.slices
    elseif cut == "bands" then
      s.thread_fns = {}
      for t = 1, threads do s.thread_fns[t] = thread_fn(s, t - 1, taken) end
    elseif cut == "planes" then
      local points = cut_points(shares_by_pixels(s) and s.y.H * s.y.W or s.y.C, threads)
      s.slices = slices_by(s, points, threads, taken, function(u0, u1, fn) return move_slice(s, u0, u1, fn) end)
    elseif cut and units >= threads then
      s.slices = slices_by(s, cut_points(units, threads), threads, taken,
        function(u0, u1, fn) return slice_step(s, cut, u0, u1, fn) end)
      if cut_by_pixels(s, threads) then
        -- the schedule takes these where the kernel takes channel strides
        s.pixel_slices = {}
        local pixels = cut_points(s.y.H * s.y.W, threads)
        for t = 1, threads do
          local fn = s.slices[t] and s.slices[t].fn or thread_fn(s, t - 1, taken)
          local slice = pixel_slice(s, pixels[t], pixels[t + 1], fn)
          slice.thread = t - 1
          s.pixel_slices[t] = slice
        end
      end
    end
  end
end

local function io_records(graph, names)
  local cnames = util.unique_c_names(names)
  local list = {}
  for i, name in ipairs(names) do
    local t = graph.tensors[name]
    list[i] = {name = name, cname = cnames[i], C = t.C, H = t.H, W = t.W, size = t.C * t.H * t.W}
  end
  return list
end

-- Parameter names of the forward functions: the tensor names, outputs
-- prefixed with out_ (an output is named after the layer that makes it,
-- and that name belongs to the layer's function).
local function name_parameters(plan, fns, reserved)
  local taken, names = {}, {}
  for k in pairs(reserved) do taken[k] = true end
  for _, fn in ipairs(fns) do taken[fn] = true end
  for _, io in ipairs(plan.inputs) do names[#names + 1] = io.name end
  for _, io in ipairs(plan.outputs) do names[#names + 1] = "out_" .. io.name end
  local params = util.unique_c_names(names, taken)
  for i, io in ipairs(plan.inputs) do io.param = params[i] end
  for i, io in ipairs(plan.outputs) do io.param = params[#plan.inputs + i] end
end

local function io_storage(plan, graph)
  local storage = {}
  for i, io in ipairs(plan.inputs) do storage[io.name] = {kind = "input", index = i} end
  for i, io in ipairs(plan.outputs) do
    if storage[io.real] then
      util.fail("%s:%s: net '%s': output '%s' is the same data as %s '%s'; nothing would be computed for it",
        graph.file, graph.line or "?", graph.name, io.name, storage[io.real].kind, io.real)
    end
    storage[io.real] = {kind = "output", index = i}
  end
  return storage
end

-- Arena intervals of `steps`: every tensor a step writes that is neither
-- an input nor an output, and each block's scratch (s.scratch floats,
-- set by the schedule), live during its own step only.
local function intervals_of(steps, storage, views)
  local first, last, intervals, unplanned = {}, {}, {}, 0
  local function held(name) return views[name] and views[name].base or name end
  for i, s in ipairs(steps) do
    -- a layer that writes into a tensor (interleave_into_shuffles) is
    -- where that tensor's life starts; a view's reader keeps it alive
    first[held(s.output)] = first[held(s.output)] or i
    for _, name in ipairs(s.inputs) do last[held(name)] = i end
  end
  local function add(name, size, from, to)
    intervals[#intervals + 1] = {name = name, size = size, first = from, last = to}
    unplanned = unplanned + (size + arena.ALIGN - 1) // arena.ALIGN * arena.ALIGN
  end
  local added = {}
  for i, s in ipairs(steps) do
    local name, v = held(s.output), views[s.output]
    if not storage[name] and not added[name] then
      local y = v and v.base_shape or s.y
      added[name] = true
      add(name, y.C * y.H * y.W, first[name], last[name] or first[name])
    end
    -- slices run at once, each with scratch of its own
    for _, t in ipairs(s.slices or {s}) do
      if t.scratch then add(" scratch " .. t.fn, t.scratch, i, i) end
    end
  end
  return intervals, unplanned
end

-- The arena, planned by liveness over the steps as they run (blocks and
-- their scratch included); arena_unfused_floats is what the layers would
-- need one by one.  Called by the schedule, which sizes the scratch.
function M.place(plan)
  local storage = plan.io_storage
  local intervals, unplanned = intervals_of(plan.steps, storage, plan.views)
  local offsets, total = arena.plan_arena(intervals)
  plan.storage = {}
  for name, st in pairs(storage) do plan.storage[name] = st end
  for name, offset in pairs(offsets) do plan.storage[name] = {kind = "arena", offset = offset} end
  for name, v in pairs(plan.views) do
    local st = plan.storage[v.base]
    plan.storage[name] = {kind = st.kind, index = st.index, offset = (st.offset or 0) + v.offset}
  end
  for _, s in ipairs(plan.steps) do
    for _, t in ipairs(s.slices or {s}) do
      if t.scratch then t.scratch_offset = offsets[" scratch " .. t.fn] end
    end
  end
  plan.arena_floats, plan.arena_unplanned_floats = total, unplanned
  local _, unfused = arena.plan_arena((intervals_of(plan.layer_steps, storage, {})))
  plan.arena_unfused_floats = unfused
  return plan
end

-- ---- NHWC at the interface (--layout nhwc) ---------------------------------
-- Every kernel reads and writes NCHW.  A caller that holds its tensors
-- channels last (images, most C code) gets one transpose step per input
-- as the pass's first steps, into the arena, and one per output as its
-- last, out of it.  A tensor of one pixel or one channel is laid out the
-- same either way and is used where it lies.
local function changes_layout(io) return io.C > 1 and io.H * io.W > 1 end

local function transpose_step(fn, layer, from, to, shape, direction)
  return {name = fn, fn = fn, kind = "transpose", op = "transpose", layers = {layer}, inputs = {from}, output = to,
    x = shape, y = shape, input_shapes = {shape}, params = {}, macs = 0, to = direction}
end

-- The caller's side of a tensor: a name no layer's tensor can have (" "
-- begins it, as the arena's scratch names).
local function outside(name) return " nhwc " .. name end

-- Each side of the interface: the transpose's name suffix and label, and
-- the layout it writes.
local ends = {input = {suffix = "_from_nhwc", label = " (NHWC in)", to = "nchw"},
              output = {suffix = "_to_nhwc", label = " (NHWC out)", to = "nhwc"}}

local function add_transposes(plan, taken)
  local steps = {input = {}, output = {}}
  -- io's tensor `inside` (NCHW, in the arena now) and the caller's buffer
  -- (kind "input" or "output") are joined by a transpose step
  local function join(io, i, kind, inside)
    if not changes_layout(io) then return end
    io.nhwc = true
    plan.io_storage[inside] = nil
    plan.io_storage[outside(inside)] = {kind = kind, index = i}
    local e = ends[kind]
    local fn = util.unique_c_names({io.cname .. e.suffix}, taken)[1]
    taken[fn] = true
    local from, to = outside(inside), inside
    if kind == "output" then from, to = to, from end
    table.insert(steps[kind], transpose_step(fn, io.name .. e.label, from, to, {C = io.C, H = io.H, W = io.W}, e.to))
  end
  for i, io in ipairs(plan.inputs) do join(io, i, "input", io.name) end
  for i, io in ipairs(plan.outputs) do join(io, i, "output", io.real) end
  local function around(list)
    local out = {table.unpack(steps.input)}
    for _, s in ipairs(list) do out[#out + 1] = s end
    for _, s in ipairs(steps.output) do out[#out + 1] = s end
    return out
  end
  plan.steps, plan.layer_steps = around(plan.steps), around(plan.layer_steps)
end

local function first_clash(fns)
  local arrays = {}
  for _, fn in ipairs(fns) do
    for _, suffix in ipairs(ARRAY_SUFFIXES) do arrays[fn .. suffix] = true end
  end
  for i, fn in ipairs(fns) do
    if arrays[fn] then return i, arrays end
  end
end

local function function_names(steps, reserved)
  local names = {}
  for i, s in ipairs(steps) do names[i] = s.name:match("^cgb_") and ("layer_" .. s.name) or s.name end
  local fns = util.unique_c_names(names, reserved)
  while true do
    local i, arrays = first_clash(fns)
    if not i then return fns end
    local taken = {}
    for k in pairs(reserved) do taken[k] = true end
    for k in pairs(arrays) do taken[k] = true end
    for j, fn in ipairs(fns) do if j ~= i then taken[fn] = true end end
    fns[i] = util.unique_c_names({fns[i]}, taken)[1]
  end
end

-- options: {name = symbol prefix or nil, fuse = "auto" (default), "all" or
-- "off", tuned = the tuning file's schedules (gen/tuning.lua's index) or nil,
-- threads = how many threads run the forward pass (default 1), layout =
-- "nchw" (default) or "nhwc": the forward functions' inputs and outputs}
function M.plan(graph, options)
  local steps = initial_steps(graph)
  steps = fuse(steps, graph.outputs)
  local resolve
  steps, resolve = remove_flattens(steps)
  local outputs = {}
  for i, name in ipairs(graph.outputs) do outputs[i] = resolve(name) end
  steps = drop_dead(steps, outputs)
  local plan = {name = graph.name, prefix = util.c_name(options.name or graph.name), batch = graph.batch,
                file = graph.file, weights_source = graph.weights_source,
                inputs = io_records(graph, graph.inputs), outputs = io_records(graph, graph.outputs),
                macs = 0, param_count = 0}
  for i, io in ipairs(plan.outputs) do io.real = outputs[i] end
  local reserved = {}
  for _, suffix in ipairs{"_forward", "_forward_with", "_arena"} do reserved[plan.prefix .. suffix] = true end
  if (options.threads or 1) > 1 then
    -- the names emit.lua and templates/thread_pool.c.tpl give the threads' code
    for _, suffix in ipairs{"_run", "_meeting", "_alone", "_pool", "_parts", "_worker", "_worker_index",
                            "_workers_ready", "_stop_threads"} do
      reserved[plan.prefix .. suffix] = true
    end
    for t = 0, options.threads - 1 do reserved[plan.prefix .. "_thread" .. t] = true end
  end
  for act in pairs(activations) do reserved["act_" .. act] = true end
  -- the header's macros, which the C file includes
  reserved[(plan.prefix .. "_WORKSPACE_FLOATS"):upper()] = true
  for _, list in ipairs{plan.inputs, plan.outputs} do
    for _, io in ipairs(list) do
      for _, d in ipairs{"N", "C", "H", "W", "SIZE"} do reserved[(plan.prefix .. "_" .. io.cname .. "_" .. d):upper()] = true end
    end
  end
  local fns = function_names(steps, reserved)
  name_parameters(plan, fns, reserved)
  local taken = {}
  for k in pairs(reserved) do taken[k] = true end
  for _, fn in ipairs(fns) do
    taken[fn] = true
    for _, suffix in ipairs(ARRAY_SUFFIXES) do taken[fn .. suffix] = true end
  end
  for _, io in ipairs(plan.inputs) do taken[io.param] = true end
  for _, io in ipairs(plan.outputs) do taken[io.param] = true end
  for i, s in ipairs(steps) do
    s.fn = fns[i]
    s.kind = classify(s)
    s.input_shapes = {}
    for k, name in ipairs(s.inputs) do s.input_shapes[k] = shape_of(graph.tensors[name]) end
    add_geometry(s)
    plan.macs = plan.macs + s.macs * graph.batch
  end
  for _, layer in ipairs(graph.layers) do
    for _, t in pairs(layer.params or {}) do plan.param_count = plan.param_count + #t end
  end
  plan.layer_steps = steps
  plan.threads = options.threads or 1
  local fuse = options.fuse or "auto"
  plan.steps = form_blocks(steps, outputs, fuse, taken, options.tuned)
  plan.views, plan.view_steps, plan.elided_steps = {}, {}, {}
  if fuse ~= "off" then
    plan.steps = join_shuffles(plan.steps, outputs, taken)
    -- with threads, an add joins a 1x1 layer cut by pixels only: each
    -- thread adds the residual to its own pixels
    plan.steps = join_residuals(plan.steps, outputs, taken,
      function(p) return plan.threads == 1 or cut_by_pixels(p, plan.threads) end)
    -- after the joins, which count a slice among a tensor's readers (a
    -- layer whose output a slice reads must still write it)
    plan.steps, plan.views, plan.view_steps = view_slices(plan.steps, outputs)
    plan.steps, plan.elided_steps = interleave_into_shuffles(plan.steps, plan.views, outputs, taken)
  end
  if plan.threads > 1 then split_for_threads(plan.steps, plan.threads, taken) end
  for _, s in ipairs(steps) do
    pack_weights(s)
    for _, t in ipairs(s.slices or {}) do pack_weights(t) end
  end
  plan.taken_names = taken          -- the schedule names the blocks' band functions
  plan.io_storage = io_storage(plan, graph)
  plan.layout = options.layout or "nchw"
  if plan.layout == "nhwc" then add_transposes(plan, taken) end
  return plan
end

return M
