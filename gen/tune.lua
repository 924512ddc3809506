-- tune: convgen --tune, the autotuner.
--
-- In:  the scheduled plan of a spec (defaults) and the options:
--      target, tuning (the file to merge results into), seconds (the
--      budget), search ("auto" or "exhaustive"), cc (compiler command with
--      flags), harness (the directory holding harness/ and build/bench/),
--      work (where candidates are built), chains (the spec planned with
--      every fusable chain a block, or nil: its blocks are tuned too).
-- Out: the tuning file, rewritten after every round; a report on stderr.
--
-- Per distinct layer shape (gen/tuning.lua's key) the candidates are the
-- schedules its kernel exposes (schedule.space).  A round builds, for
-- each layer still being searched, benchmark binaries of up to CHUNK
-- candidates each, every binary also holding the default schedule: the
-- candidates are the steps of a small net of parallel copies of the
-- layer, all reading one input (convgen --bench's bundle, harness/bench_net.c
-- with --keep-going: a candidate that differs from the naive reference is
-- reported and never timed).  make -j compiles a round's binaries in
-- parallel; they then run one at a time.  A candidate scores its fastest
-- repetition's time over the default's in the same process (the default runs first and
-- last in each binary, repetitions interleaved), which keeps the
-- machine's drift between rounds out of the comparison.
--
-- Search: every candidate when the space is small (or --tune-search
-- exhaustive); otherwise an even sample of the space, then rounds of the
-- best one's neighbours (one knob moved to the next value either way)
-- until the best stops moving.  Last, each layer's winner is timed against
-- the default once more with more repetitions; one not CONFIRM faster
-- there gives way to the default.

local util = require "util"
local host = require "host"
local tuning = require "tuning"
local schedule = require "schedule"

local M = {}

local CHUNK = 8            -- candidates per binary (plus the default)
local SMALL = 16           -- spaces up to this size are searched whole
local SAMPLE = 10          -- first round of a large space
-- Repetitions interleaved at random across the candidates: in the order
-- they were registered, the first of three identical copies of a layer
-- ran 12-16% slower than the last (3 runs of 4), and the default, always
-- first, lost to copies of itself.
local BENCH_FLAGS = "--no-net --impls=generated --keep-going --benchmark_min_time=0.02 " ..
  "--benchmark_repetitions=5 --benchmark_enable_random_interleaving=true"
local CONFIRM_FLAGS = BENCH_FLAGS:gsub("repetitions=5", "repetitions=11")
-- A block's candidate: the two whole nets of its chain, interleaved.
local BLOCK_FLAGS = "--no-steps --impls=generated,tuned --keep-going --benchmark_min_time=0.05 " ..
  "--benchmark_repetitions=7 --benchmark_enable_random_interleaving=true"
local BLOCK_CONFIRM_FLAGS = BLOCK_FLAGS:gsub("repetitions=7", "repetitions=15")
local HARNESS_OBJS = {"bench_net.o", "reference.o", "peer_xnnpack.o", "peer_onednn.o", "bench_shim.o"}
local LIBS = "-lbenchmark -lXNNPACK -lpthreadpool -ldnnl -lpthread -lm"

-- ---- the shell ------------------------------------------------------------

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- Runs a shell command; returns true, or false and "interrupted" or the exit code.
local function run(command)
  local ok, how, code = os.execute(command)
  if ok then return true end
  if how == "signal" or host.interrupted() or code == 130 then return false, "interrupted" end
  return false, code
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function capture(command, path)
  run(command .. " > " .. quote(path) .. " 2>&1")
  return (host.read_file(path) or "")
end

-- ---- the machine ----------------------------------------------------------

local function compiler_id(cc, work)
  local first = cc:match("^(%S+)")
  local version = capture(first .. " --version", work .. "/cc-version.txt"):match("^[^\n]*")
  if version == "" then util.usage("--tune-cc '%s': '%s --version' printed nothing; is it a compiler?", cc, first) end
  return version .. " " .. (cc:match("^%S+%s+(.*)$") or "")
end

local function processors()
  local info = host.read_file("/proc/cpuinfo") or ""
  local n = 0
  for _ in info:gmatch("\nprocessor%s*:") do n = n + 1 end
  if info:match("^processor%s*:") then n = n + 1 end
  return math.max(1, n)
end

-- The targets this machine runs: its best and everything below it.
local runs_on = {avx512 = {avx512 = true, avx2 = true, generic = true}, avx2 = {avx2 = true, generic = true},
  neon = {neon = true, generic = true}, generic = {generic = true}}

-- ---- one candidate net ------------------------------------------------------

-- A raw net (gen/dsl.lua's form) of n parallel copies of step s, each
-- reading input x: the layer as the spec would say it, its activation
-- fused as in the real net.
local function copies_of(s, n, name)
  local function item(op, layer_name, params)
    return {op = op, name = layer_name, params = params, file = "convgen --tune", line = s.name}
  end
  local linear = s.kind == "linear"
  local items = {item("input", "x", linear and {C = s.C_in, H = 1, W = 1} or {C = s.x.C, H = s.x.H, W = s.x.W})}
  local outputs = {}
  for i = 1, n do
    local c = "c" .. i
    if linear then
      items[#items + 1] = item("linear", c, {from = "x", out = s.C_out, bias = s.params.bias ~= nil})
    else
      items[#items + 1] = item("conv", c, {from = "x", out = s.C_out, k = {s.kh, s.kw}, stride = {s.sh, s.sw},
        pad = {top = s.pad.top, bottom = s.pad.bottom, left = s.pad.left, right = s.pad.right},
        dilation = {s.dh, s.dw}, groups = s.groups, bias = s.params.bias ~= nil})
    end
    outputs[i] = c
    if s.act then
      items[#items + 1] = item(s.act, "a" .. i, {from = c})
      outputs[i] = "a" .. i
    end
  end
  return {name = name, file = "convgen --tune", line = s.name, options = {outputs = outputs}, items = items}
end

-- The benchmark bundle (C text) of layer l's candidates (schedule.space's).
local function candidate_source(l, candidates, name, target, work, files)
  local graph = require("validate").validate(copies_of(l.step, #candidates, name))
  graph = require("weights").attach(graph, "", nil)
  local shared
  for _, layer in ipairs(graph.layers) do
    if layer.op == "conv" or layer.op == "linear" then
      shared = shared or layer.params
      layer.params = shared              -- one set of weights: the bundle checks each against it
    end
  end
  local plan = require("plan").plan(graph, {name = name, fuse = "off"})
  for i = 2, #plan.steps do            -- planning may have repacked each copy's weights anew
    for k, v in pairs(plan.steps[1].params) do plan.steps[i].params[k] = v end
  end
  local overrides, isa = {}, {}
  for i, c in ipairs(candidates) do overrides["c" .. i], isa["c" .. i] = c.knobs, c.isa end
  plan = schedule.schedule(plan, {overrides = overrides, target = target, isa = isa})
  for i, s in ipairs(plan.steps) do
    if s.kernel ~= candidates[i].kernel then
      error(string.format("candidate %d runs kernel %s, not %s", i, s.kernel, candidates[i].kernel))
    end
  end
  -- large arrays are assembled in from one file beside the candidate
  local sink = util.bin_sink(name .. ".bin", name)
  local net = require("emit").emit(plan, {command = "convgen --tune", array = sink.array, whole_parts = true})
  local text = require("bench").bundle(plan, net.c, {array = sink.array})
  files[#files + 1] = sink.file
  local ok, err = host.write_files({work .. "/" .. sink.file, sink.bytes()})
  if not ok then util.fail("%s", err) end
  return text
end

-- ---- fused blocks: one chain, fused in bands or layer by layer --------------
-- A block's candidates are its band heights and 0, layer by layer (where
-- the 1x1 project layer adds the residual in its epilogue).  A block is
-- not a step the harness times alone, so each candidate is a binary of
-- its own holding two whole nets of the chain: the default schedule
-- ("generated") and the candidate ("tuned"), interleaved.  The parts keep
-- their default knobs.

-- A raw net of the block's chain as the spec would say it: 1x1,
-- depthwise, 1x1, each with its activation, and the residual add.
local function chain_of(block, name)
  local function item(op, layer_name, params)
    return {op = op, name = layer_name, params = params, file = "convgen --tune", line = block.name}
  end
  local a = block.parts[1]
  local items, last = {item("input", "x", {C = a.x.C, H = a.x.H, W = a.x.W})}, "x"
  for i, s in ipairs(block.parts) do
    local name_i = "p" .. i
    items[#items + 1] = item("conv", name_i, {from = last, out = s.C_out, k = {s.kh, s.kw}, stride = {s.sh, s.sw},
      pad = {top = s.pad.top, bottom = s.pad.bottom, left = s.pad.left, right = s.pad.right},
      dilation = {s.dh, s.dw}, groups = s.groups, bias = s.params.bias ~= nil})
    last = name_i
    if s.act then
      items[#items + 1] = item(s.act, "a" .. i, {from = last})
      last = "a" .. i
    end
  end
  if block.add then
    items[#items + 1] = item("add", "sum", {from = {last, "x"}})
    last = "sum"
    if block.add.act then
      items[#items + 1] = item(block.add.act, "sum_act", {from = last})
      last = "sum_act"
    end
  end
  return {name = name, file = "convgen --tune", line = block.name, options = {outputs = {last}}, items = items}
end

-- The chain's graph, validated, with the tuner's weights.
local function chain_graph(block, name)
  return require("weights").attach(require("validate").validate(chain_of(block, name)), "", nil)
end

-- The chain's plan as --tuning FILE would make it with the block's entry
-- `record` (nil: the default schedule).
local function chain_plan(graph, prefix, key, record, target)
  local tuned = record and {[key] = record}
  local plan = require("plan").plan(graph, {name = prefix, tuned = tuned})
  return schedule.schedule(plan, {target = target, tuned = tuned})
end

-- The band height a chain's plan runs its block in; 0 layer by layer.
local function rows_of(plan)
  for _, s in ipairs(plan.steps) do
    if s.kind == "block" then return s.knobs.band_rows end
  end
  return 0
end

-- Writes chunk c's three C files: the reference, the default net and the
-- candidate's, each with its large arrays in a .bin beside it.
local function block_sources(c, target, work)
  local l, cand = c.layer, c.candidates[1]
  local graph = chain_graph(l.step, c.id)
  local default = chain_plan(graph, c.id .. "_d", l.key, nil, target)
  local tried = chain_plan(graph, c.id .. "_t", l.key, {knobs = cand.knobs, why = "candidate"}, target)
  if rows_of(tried) ~= cand.knobs.band_rows then
    error(string.format("the candidate runs in bands of %d rows, not %d", rows_of(tried), cand.knobs.band_rows))
  end
  local files = {}
  local function bundle(suffix, make)
    local sink = util.bin_sink(c.id .. suffix .. ".bin", c.id .. suffix)
    files[#files + 1], files[#files + 2] = work .. "/" .. c.id .. suffix .. ".c", make(sink.array)
    files[#files + 1], files[#files + 2] = work .. "/" .. sink.file, sink.bytes()
    for _, f in ipairs({suffix .. ".c", suffix .. ".o", suffix .. ".bin"}) do c.files[#c.files + 1] = c.id .. f end
  end
  local function net(plan)
    return function(array)
      local emitted = require("emit").emit(plan, {command = "convgen --tune", array = array, whole_parts = true})
      return require("bench").bundle(plan, emitted.c, {array = array})
    end
  end
  c.files = {c.id}
  bundle("_ref", function(array) return require("reference").bundle(graph, default, {array = array}) end)
  bundle("_d", net(default))
  bundle("_t", net(tried))
  local ok, err = host.write_files(files)
  if not ok then util.fail("%s", err) end
end

local function error_text(e)
  if util.is_error(e) then return e.message end
  return tostring(e)
end

-- ---- the search -------------------------------------------------------------

-- The instruction sets whose kernels a tune on each target also tries.
local also_tried = {avx512 = {"avx2", "generic"}, avx2 = {"generic"}, neon = {"generic"}, generic = {}}

-- What the search keeps of one layer shape (or block): its space, the
-- default schedule first, and what was measured.
local function searched(s, space, refused)
  local l = {key = tuning.key(s), step = s, names = {s.name}, space = space, refused = refused,
    by_sig = {}, scores = {}, default_ns = {}, wrong = {}, rejected = {}, tried = 0, done = false}
  for _, c in ipairs(space) do l.by_sig[c.sig] = c end
  l.default = space[1]
  l.best, l.best_score = l.default, 1
  return l
end

local function new_layer(s, target)
  return searched(s, schedule.space(s, target, also_tried[target]))
end

local function median(list)
  local t = {}
  for i, v in ipairs(list) do t[i] = v end
  table.sort(t)
  local n = #t
  if n == 0 then return nil end
  return n % 2 == 1 and t[(n + 1) // 2] or (t[n // 2] + t[n // 2 + 1]) / 2
end

local function unmeasured(l, list)
  local out = {}
  for _, c in ipairs(list) do
    if not (l.scores[c.sig] or l.wrong[c.sig] or l.rejected[c.sig]) and c ~= l.default then out[#out + 1] = c end
  end
  return out
end

-- The best candidate's neighbours: of the same kernel, one of the knobs
-- the kernel lists for tuning moved to the nearest value either way, the
-- others as they are (knobs derived from those follow them).
local function neighbours(l)
  local best, out = l.best.given, {}
  for knob, value in pairs(best) do
    local below, above
    for _, c in ipairs(l.space) do
      local same_elsewhere = c.kernel == l.best.kernel
      for k, v in pairs(c.given) do
        if k ~= knob and v ~= best[k] then same_elsewhere = false break end
      end
      local v = c.given[knob]
      if same_elsewhere and v then
        if v < value and (not below or v > below.given[knob]) then below = c end
        if v > value and (not above or v < above.given[knob]) then above = c end
      end
    end
    if below then out[#out + 1] = below end
    if above then out[#out + 1] = above end
  end
  table.sort(out, function(a, b) return a.sig < b.sig end)
  return out
end

-- The candidates layer l measures next (empty: it is done).
local function propose(l, round, exhaustive)
  if round == 1 and (exhaustive or #l.space <= SMALL) then
    l.exhaustive = true
    return unmeasured(l, l.space)
  end
  if l.exhaustive then return {} end
  if round == 1 then
    local pick = {}
    for i = 1, SAMPLE do pick[#pick + 1] = l.space[1 + (i * (#l.space - 1)) // SAMPLE] end
    return unmeasured(l, pick)
  end
  if l.moved == false then return {} end
  return unmeasured(l, neighbours(l))
end

-- ---- a round: build, run, read ---------------------------------------------

-- The layer's best candidate so far and its score (the default's is 1).
local function best_of(l)
  local best, score = l.default, 1
  for sig, s in pairs(l.scores) do
    if s < score or (s == score and sig < best.sig) then best, score = l.by_sig[sig], s end
  end
  return best, score
end

local function write_makefile(work, chunks, o)
  local objs = {}
  for i, obj in ipairs(HARNESS_OBJS) do objs[i] = quote(o.harness .. "/build/bench/" .. obj) end
  local lines = {"# written by convgen --tune: one benchmark binary of candidates per target", "",
    "CC = " .. o.cc, "CXX = c++", "HARNESS_INCLUDE = " .. quote(o.harness .. "/harness"),
    "HARNESS_OBJS = " .. table.concat(objs, " "), "LIBS = " .. LIBS, ""}
  local names = {}
  for i, c in ipairs(chunks) do names[i] = c.id end
  lines[#lines + 1] = "all: " .. table.concat(names, " ")
  for _, c in ipairs(chunks) do
    lines[#lines + 1] = ""
    if c.block then
      -- the reference unoptimized, as the harness builds it; the candidate's table renamed
      local rule = "ID: ID_ref.c ID_d.c ID_t.c\n"
        .. "\t$(CC) -O0 -I$(HARNESS_INCLUDE) -c ID_ref.c -o ID_ref.o 2> ID.log && "
        .. "$(CC) -I$(HARNESS_INCLUDE) -c ID_d.c -o ID_d.o 2>> ID.log && "
        .. "$(CC) -I$(HARNESS_INCLUDE) -Dconvgen_bench_net=convgen_bench_net_tuned -c ID_t.c -o ID_t.o 2>> ID.log && "
        .. "$(CXX) -o ID ID_d.o ID_t.o ID_ref.o $(HARNESS_OBJS) $(LIBS) 2>> ID.log"
      lines[#lines + 1] = (rule:gsub("ID", c.id))
    else
      lines[#lines + 1] = c.id .. ": " .. c.id .. ".c"
      lines[#lines + 1] = string.format("\t$(CC) -I$(HARNESS_INCLUDE) -c %s.c -o %s.o 2> %s.log && "
        .. "$(CXX) -o %s %s.o $(HARNESS_OBJS) $(LIBS) 2>> %s.log", c.id, c.id, c.id, c.id, c.id, c.id)
    end
  end
  local ok, err = host.write_files({work .. "/candidates.mk", table.concat(lines, "\n") .. "\n"})
  if not ok then util.fail("%s", err) end
end

local UNIT = {ns = 1, us = 1e3, ms = 1e6, s = 1e9}

-- {[name] = fastest repetition's ns} and {[name] = error} from one
-- binary's outputs, `name` what `row` (a pattern on Google Benchmark's
-- CSV rows) and `failure` (on bench_net's WRONG lines) capture first.
-- The fastest, not the median: this machine's noise comes in bursts of
-- seconds that only ever slow a run down (one layer's best of 7 x 50
-- calls took 80 to 105 us from one second to the next), and of a
-- candidate's repetitions, spread over the run, the fastest is the one
-- such a burst touched least.
local function read_outputs(work, id, row, failure)
  local times, wrong = {}, {}
  for line in (host.read_file(work .. "/" .. id .. ".csv") or ""):gmatch("[^\n]+") do
    local name, cpu, unit = line:match(row .. '",%d+,[^,]+,([^,]+),(%a+)')
    if name then
      local t = tonumber(cpu) * UNIT[unit]
      times[name] = math.min(times[name] or t, t)
    end
  end
  for name, e in (host.read_file(work .. "/" .. id .. ".err") or ""):gmatch(failure .. " (%S+)") do
    wrong[name] = "differs from the reference (normalized error " .. e .. ")"
  end
  return times, wrong
end

-- A binary of one layer's candidates: by step (c1, c2, ...).
local function read_results(work, id)
  return read_outputs(work, id, '^"[^/"]*/([^/"]+)/generated', "bench_net: WRONG (%S+) generated")
end

-- A block's binary: the two whole nets, {generated = ns, tuned = ns}.
local function read_forward(work, id)
  return read_outputs(work, id, '^"[^/"]*/forward/(%a+)', "bench_net: WRONG forward (%a+)")
end

-- Writes the chunk's C; a candidate the generator refuses is dropped and
-- reported (found by generating the candidates one at a time).
local function generate(c, work, target)
  if c.block then
    local ok, why = pcall(block_sources, c, target, work)
    if not ok then
      c.layer.rejected[c.candidates[1].sig] = "the generator refused it: " .. error_text(why)
    end
    return ok
  end
  local function source(list)
    c.files = {c.id, c.id .. ".o", c.id .. ".c"}
    return pcall(candidate_source, c.layer, list, c.id, target, work, c.files)
  end
  local ok, text = source(c.candidates)
  if not ok then
    local kept = {c.candidates[1]}
    for i = 2, #c.candidates do
      local one_ok, why = source({c.candidates[1], c.candidates[i]})
      if one_ok then kept[#kept + 1] = c.candidates[i]
      else c.layer.rejected[c.candidates[i].sig] = "the generator refused it: " .. error_text(why) end
    end
    c.candidates = kept
    ok, text = source(kept)
    if not ok then
      c.failed = "the generator refused the default schedule: " .. error_text(text)
      return false
    end
  end
  local written, err = host.write_files({work .. "/" .. c.id .. ".c", text})
  if not written then util.fail("%s", err) end
  return true
end

-- Records what one binary measured.
-- The default's time in a binary: the mean of its copies' times.
local function default_time(c, times, wrong)
  local sum, n = 0, 0
  for i, cand in ipairs(c.candidates) do
    if cand == c.layer.default and times["c" .. i] then sum, n = sum + times["c" .. i], n + 1 end
  end
  if n == 0 then
    c.failed = wrong.c1 and ("the default schedule " .. wrong.c1) or "the default schedule was not timed"
    return nil
  end
  return sum / n
end

-- Records what one binary of a search round measured.
local function record(c, times, wrong)
  local l = c.layer
  local base = default_time(c, times, wrong)
  if not base then return end
  l.default_ns[#l.default_ns + 1] = base
  for i, cand in ipairs(c.candidates) do
    local step = "c" .. i
    if cand ~= l.default then
      if wrong[step] then
        l.wrong[cand.sig] = wrong[step]
      elseif times[step] then
        l.scores[cand.sig] = times[step] / base
      else
        l.rejected[cand.sig] = "not timed (see " .. c.id .. ".err)"
      end
      l.tried = l.tried + 1
    end
  end
  l.best, l.best_score = best_of(l)
end

-- Splits layer l's candidates into chunks, the default first and last in
-- each: its two times bound the noise of the run.
local function chunk(l, candidates, round, index, chunks)
  for first = 1, #candidates, CHUNK do
    local list = {l.default}
    for i = first, math.min(first + CHUNK - 1, #candidates) do list[#list + 1] = candidates[i] end
    list[#list + 1] = l.default
    chunks[#chunks + 1] = {id = string.format("l%d_r%d_%d", index, round, (first - 1) // CHUNK + 1),
      layer = l, candidates = list, counted = #list - 2, after = record}
  end
end

-- What one block binary measured: the candidate's whole chain over the
-- default's, in one process.
local function record_block(c, times, wrong)
  local l, cand = c.layer, c.candidates[1]
  if wrong.generated or not times.generated then
    c.failed = wrong.generated and ("the default schedule " .. wrong.generated) or "the default schedule was not timed"
    return
  end
  l.default_ns[#l.default_ns + 1] = times.generated
  if wrong.tuned then l.wrong[cand.sig] = wrong.tuned
  elseif times.tuned then l.scores[cand.sig] = times.tuned / times.generated
  else l.rejected[cand.sig] = "not timed (see " .. c.id .. ".err)" end
  l.tried = l.tried + 1
  l.best, l.best_score = best_of(l)
end

local function block_chunks(l, candidates, round, index, chunks)
  for i, cand in ipairs(candidates) do
    chunks[#chunks + 1] = {id = string.format("b%d_r%d_%d", index, round, i), layer = l, candidates = {cand},
      counted = 1, after = record_block, block = true, flags = BLOCK_FLAGS, read = read_forward}
  end
end

-- The search's winner against the default once more, with more
-- repetitions, interleaved: a winner that is not at least CONFIRM faster
-- there was noise, and the default stays.
local CONFIRM = 0.98

local function confirm(c, times, wrong)
  local l = c.layer
  local base = default_time(c, times, wrong)
  if not base or not times.c2 or not times.c4 then
    l.best, l.best_score = l.default, 1
    return
  end
  l.default_ns = {base}
  -- identical copies of one kernel timed up to 25% apart in one run:
  -- every copy counts
  local score = (times.c2 + times.c4) / 2 / base
  if score <= CONFIRM then l.best_score = score
  else l.best, l.best_score = l.default, 1 end
end

local function confirm_block(c, times, wrong)
  local l = c.layer
  local score = not (wrong.generated or wrong.tuned) and times.generated and times.tuned and times.tuned / times.generated
  if score and score <= CONFIRM then l.best_score, l.default_ns = score, {times.generated}
  else l.best, l.best_score = l.default, 1 end
end

local function confirmation_chunks(layers)
  local chunks = {}
  for i, l in ipairs(layers) do
    if l.block and l.best ~= l.default and not l.failed then
      chunks[#chunks + 1] = {id = string.format("b%d_confirm", i), layer = l, candidates = {l.best}, counted = 1,
        after = confirm_block, block = true, flags = BLOCK_CONFIRM_FLAGS, read = read_forward}
    elseif l.best ~= l.default and not l.failed then
      chunks[#chunks + 1] = {id = string.format("l%d_confirm", i), layer = l,
        candidates = {l.default, l.best, l.default, l.best, l.default}, counted = 1, after = confirm}
    end
  end
  return chunks
end

-- ---- progress and the report -----------------------------------------------

local function clock(seconds)
  seconds = math.max(0, math.floor(seconds + 0.5))
  return string.format("%d:%02d", seconds // 60, seconds % 60)
end

local function progress(state, note)
  local done, total = state.done, math.max(state.done, state.total)
  local width = 24
  local filled = total > 0 and (done * width) // total or width
  local elapsed = host.now() - state.start
  local text = string.format("tune: [%s%s] %d/%d candidates so far, best %s, %s of %s%s",
    string.rep("#", filled), string.rep(".", width - filled), done, total, state.best_text or "-",
    clock(elapsed), clock(state.budget), note and ("  " .. note) or "")
  if state.terminal then host.write_stderr("\r" .. text .. "\27[K")
  else host.write_stderr(text .. "\n") end
end


local function entry_of(l, ctx, complete)
  local default_ns = median(l.default_ns)
  if not default_ns then return nil end
  local wrong = 0
  for _ in pairs(l.wrong) do wrong = wrong + 1 end
  return {layer = l.key, target = ctx.target, kernel = l.best.kernel, template = tuning.template_version(l.best.kernel),
    isa = l.best.isa ~= ctx.target and l.best.isa or nil,
    cpu = ctx.cpu, compiler = ctx.compiler,
    knobs = l.best.knobs, ns = default_ns * l.best_score, default = l.default.knobs, default_ns = default_ns,
    tried = l.tried + 1, wrong = wrong, space = #l.space, search = l.exhaustive and "exhaustive" or "sampled",
    complete = complete}
end

local function save(ctx, layers, old)
  local new = {}
  for _, l in ipairs(layers) do
    local e = entry_of(l, ctx, l.done)
    if e then new[#new + 1] = e end
  end
  -- every candidate's score, for comparing searches (tests/tune_compare.py)
  local lines = {"layer\tknobs\ttime / default's\tverdict"}
  for _, l in ipairs(layers) do
    lines[#lines + 1] = string.format("%s\t%s\t1\tdefault", l.key, l.default.sig)
    for _, sig in ipairs(util.keys_sorted(l.scores)) do
      lines[#lines + 1] = string.format("%s\t%s\t%.4f\ttimed", l.key, sig, l.scores[sig])
    end
    for _, sig in ipairs(util.keys_sorted(l.wrong)) do
      lines[#lines + 1] = string.format("%s\t%s\t\twrong: %s", l.key, sig, l.wrong[sig])
    end
  end
  local ok, err = host.write_files({ctx.path, tuning.render(old, new), ctx.work .. "/scores.tsv",
    table.concat(lines, "\n") .. "\n"})
  if not ok then util.fail("%s", err) end
end

local function report(layers, state, ctx)
  local lines = {"", string.format("%-36s %10s %10s %7s %6s %6s  %s", "layer (first of its shape)", "default", "tuned",
    "speedup", "tried", "wrong", "knobs")}
  -- sums over the net: [false] the layers alone, [true] the chains that may be fused
  local before, after, tried, wrong = {[false] = 0, [true] = 0}, {[false] = 0, [true] = 0}, 0, 0
  for _, l in ipairs(layers) do
    local d = median(l.default_ns)
    local w = 0
    for _ in pairs(l.wrong) do w = w + 1 end
    tried, wrong = tried + l.tried + (d and 1 or 0), wrong + w
    if d then
      local t = d * l.best_score
      local b = l.block == true
      before[b], after[b] = before[b] + d * #l.names, after[b] + t * #l.names
      lines[#lines + 1] = string.format("%-36s %8.1f us %7.1f us %6.2fx %6d %6d  %s%s", l.names[1]:sub(1, 36),
        d / 1e3, t / 1e3, d / t, l.tried + 1, w, l.best.sig, l.done and "" or " (unfinished)")
    else
      lines[#lines + 1] = string.format("%-36s %10s %10s %7s %6d %6d  %s", l.names[1]:sub(1, 36), "-", "-", "-",
        l.tried, w, l.failed or "not measured")
    end
  end
  lines[#lines + 1] = ""
  for _, b in ipairs({false, true}) do
    if after[b] > 0 then
      lines[#lines + 1] = string.format("%s, summed over the net: %.3f ms default, %.3f ms tuned (%.2fx)",
        b and "chains that may run fused, each timed as a whole net" or "layers with knobs",
        before[b] / 1e6, after[b] / 1e6, before[b] / after[b])
    end
  end
  if after[false] + after[true] > 0 then
    lines[#lines + 1] = string.format("make bench SPEC=... TUNING=%s times both whole nets side by side", ctx.path)
  end
  local rejected = 0
  for _, l in ipairs(layers) do for _ in pairs(l.rejected) do rejected = rejected + 1 end end
  lines[#lines + 1] = string.format("%d candidates tried: %d discarded as wrong (never timed), %d not built or not run; "
    .. "%d more refused by their kernel's checks; %s in all; results in %s", tried, wrong, rejected, state.refused,
    clock(host.now() - state.start), ctx.path)
  host.write_stderr(table.concat(lines, "\n") .. "\n")
end

-- ---- the tuner --------------------------------------------------------------

local function distinct_layers(plan, target)
  local list, by_key = {}, {}
  for _, s in ipairs(plan.layer_steps) do
    if next(s.knobs) then
      local key = tuning.key(s)
      if by_key[key] then
        local names = by_key[key].names
        names[#names + 1] = s.name
      else
        by_key[key] = new_layer(s, target)
        list[#list + 1] = by_key[key]
      end
    end
  end
  return list
end

-- The distinct chains of `chains` (the net planned with every fusable
-- chain a block) that the target's kernels run in bands.
local function distinct_blocks(chains, target)
  local list, by_key = {}, {}
  if not chains then return list end
  for _, s in ipairs(schedule.schedule(chains, {target = target}).steps) do
    if s.kind == "block" then
      if by_key[s.tuning_key] then
        local names = by_key[s.tuning_key].names
        names[#names + 1] = s.name
      else
        local default = {band_rows = rows_of(chain_plan(chain_graph(s, "chain"), "chain", s.tuning_key, nil, target))}
        local space = {}
        local function add(rows)
          local knobs = {band_rows = rows}
          space[#space + 1] = {isa = target, kernel = "block", knobs = knobs, given = knobs,
            sig = "block: " .. schedule.signature(knobs)}
        end
        add(default.band_rows)
        if default.band_rows ~= 0 then add(0) end
        for _, rows in ipairs(schedule.band_choices(s)) do
          if rows ~= default.band_rows then add(rows) end
        end
        local l = searched(s, space, 0)
        l.block = true
        by_key[s.tuning_key] = l
        list[#list + 1] = l
      end
    end
  end
  return list
end

local function cached(old, l, ctx)
  for _, e in ipairs(old) do
    -- a record the kernel's check now refuses is measured again
    if e.complete and tuning.current(e)
        and tuning.same_context(e, {layer = l.key, target = ctx.target, cpu = ctx.cpu, compiler = ctx.compiler})
        and (l.block or schedule.resolve(l.step, e.isa or ctx.target, e.knobs or {})) then
      return true
    end
  end
  return false
end

-- What each harness object is built from (the GNUmakefile's rules): an
-- object older than one of them was built from other sources, and may
-- not fit the bench C this convgen writes (a segfault in every candidate).
local HARNESS_HEADERS = {"bench.h", "benchnet.h", "peer.h", "refgraph.h"}
local function harness_sources(obj)
  if obj == "bench_shim.o" then return {"bench_shim.cc", "bench.h"} end
  local sources = {(obj:gsub("%.o$", ".c"))}
  for _, h in ipairs(HARNESS_HEADERS) do sources[#sources + 1] = h end
  return sources
end

local function check_harness(o)
  for _, obj in ipairs(HARNESS_OBJS) do
    local path = o.harness .. "/build/bench/" .. obj
    if not exists(path) then
      util.usage("--tune needs the benchmark harness built: %s is missing (run `make tune`, which builds it, "
        .. "or give --tune-harness DIR, the convgen source tree where `make build/bench/bench_net.o ...` ran)", path)
    end
    local built = host.modified(path)
    for _, source in ipairs(harness_sources(obj)) do
      local source_path = o.harness .. "/harness/" .. source
      local changed = host.modified(source_path)
      if built and changed and changed > built then
        util.usage("--tune: %s is older than %s, from which it is built (run `make tune`, which rebuilds it)",
          path, source_path)
      end
    end
  end
end

-- Keeps a round within the time left: the cheapest layers' candidates
-- first go, evenly, until the estimated cost fits.
local function fit_budget(proposals, per_candidate, left)
  local total = 0
  for _, p in ipairs(proposals) do total = total + #p.candidates end
  local can = math.floor(left / per_candidate)
  if total <= can then return total end
  local per_layer = math.max(0, can // math.max(1, #proposals))
  total = 0
  for _, p in ipairs(proposals) do
    while #p.candidates > per_layer do table.remove(p.candidates) end
    total = total + #p.candidates
  end
  return total
end

function M.tune(plan, o)
  local target = o.target
  if not run("mkdir -p " .. quote(o.work) .. " " .. quote(o.tuning:match("^(.*)/[^/]*$") or ".")) then
    util.fail("cannot create %s", o.work)
  end
  local host_best = host.cpu_target()
  if not runs_on[host_best][target] then
    util.usage("--tune --target %s: this machine runs %s; tuning times candidates here, so it tunes only for "
      .. "targets this machine runs (%s)", target, host_best, table.concat(util.keys_sorted(runs_on[host_best]), ", "))
  end
  check_harness(o)
  -- the candidates' makefile runs in the work directory
  o.harness = capture("cd " .. quote(o.harness) .. " && pwd", o.work .. ".pwd"):match("^[^\n]*")
  local work = o.work
  os.remove(work .. ".pwd")
  local ctx = {target = target, cpu = tuning.cpu_model(), compiler = compiler_id(o.cc, work), path = o.tuning, work = work}
  local old = {}
  local text = host.read_file(o.tuning)
  if text then old = tuning.parse(o.tuning, text) end

  local all = distinct_layers(plan, target)
  for _, l in ipairs(distinct_blocks(o.chains, target)) do all[#all + 1] = l end
  local layers = {}
  for _, l in ipairs(all) do
    if not cached(old, l, ctx) then layers[#layers + 1] = l end
  end
  if #layers == 0 then
    host.write_stderr(string.format("tune: nothing to measure: all %d layer shapes of %s are in %s (%s, %s)\n",
      #all, plan.name, o.tuning, target, ctx.cpu))
    return 0
  end
  host.catch_interrupt()
  local state = {start = host.now(), budget = o.seconds, done = 0, total = 0, refused = 0,
    terminal = host.stderr_is_terminal()}
  for _, l in ipairs(layers) do state.refused = state.refused + l.refused end
  local space = 0
  for _, l in ipairs(layers) do space = space + #l.space end
  host.write_stderr(string.format("tune: %s on %s (%s), %s: %d layer shapes to measure (%d cached in %s), "
    .. "%d candidates in their spaces, budget %s\n", plan.name, target, ctx.cpu, ctx.compiler, #layers,
    #all - #layers, o.tuning, space, clock(o.seconds)))
  local per_candidate, jobs = 1.0, processors()
  -- Builds and runs one round's chunks; false when interrupted.
  local function measure(chunks, label, flags)
    progress(state, string.format("%s: generating %d binaries", label, #chunks))
    local ready = {}
    for _, c in ipairs(chunks) do
      if generate(c, work, target) then ready[#ready + 1] = c end
      if host.interrupted() then return false end
    end
    write_makefile(work, ready, o)
    progress(state, label .. ": compiling")
    local ok, why = run(string.format("make -k -s -j%d -C %s -f candidates.mk > %s 2>&1", jobs, quote(work),
      quote(work .. "/make.log")))
    if not ok and why == "interrupted" then return false end
    for _, c in ipairs(ready) do
      local ran, how = run(string.format("cd %s && ./%s %s --benchmark_out=%s.csv --benchmark_out_format=csv > %s.out 2> %s.err",
        quote(work), c.id, c.flags or flags, c.id, c.id, c.id))
      if how == "interrupted" or host.interrupted() then return false end
      if not exists(work .. "/" .. c.id) then
        c.failed = "did not compile (see " .. work .. "/" .. c.id .. ".log)"
        for _, cand in ipairs(c.candidates) do c.layer.rejected[cand.sig] = c.failed end
      elseif not ran and how ~= 0 and how ~= 1 then
        c.failed = "its benchmark failed (see " .. work .. "/" .. c.id .. ".err)"
      else
        c.after(c, (c.read or read_results)(work, c.id))
        state.best_text = string.format("%.2fx on %s", 1 / c.layer.best_score, c.layer.names[1])
      end
      if c.failed then c.layer.failed, c.layer.done = c.failed, true
      else for _, f in ipairs(c.files) do os.remove(work .. "/" .. f) end end   -- the binaries add up to gigabytes
      state.done = state.done + c.counted
      progress(state)
    end
    return true
  end

  local interrupted = false
  for round = 1, 1000 do
    local proposals = {}
    for _, l in ipairs(layers) do
      if not l.done then
        local candidates = propose(l, round, o.search == "exhaustive")
        if #candidates == 0 then l.done = true
        else proposals[#proposals + 1] = {layer = l, candidates = candidates, best_before = l.best} end
      end
    end
    if #proposals == 0 then break end
    -- the confirmation round needs a binary a layer
    local left = state.budget - (host.now() - state.start) - #layers * 3 * per_candidate
    local count = fit_budget(proposals, per_candidate, left)
    if count == 0 then break end
    local chunks = {}
    for i, p in ipairs(proposals) do
      if #p.candidates > 0 then (p.layer.block and block_chunks or chunk)(p.layer, p.candidates, round, i, chunks) end
    end
    state.total = state.done + count
    local round_start = host.now()
    interrupted = not measure(chunks, "round " .. round, BENCH_FLAGS)
    per_candidate = math.max(0.05, (host.now() - round_start) / math.max(1, count))
    for _, p in ipairs(proposals) do
      local l = p.layer
      l.moved = round == 1 or l.best ~= p.best_before
    end
    save(ctx, layers, old)
    if interrupted then break end
  end
  if not interrupted then
    local chunks = confirmation_chunks(layers)
    state.total = state.done + #chunks
    interrupted = not measure(chunks, "confirming", CONFIRM_FLAGS)
    save(ctx, layers, old)
  end
  if state.terminal then host.write_stderr("\n") end
  save(ctx, layers, old)
  if interrupted then
    host.write_stderr("tune: interrupted; what was measured is kept in " .. o.tuning .. "\n")
  end
  report(layers, state, ctx)
  return interrupted and 130 or 0
end

return M
