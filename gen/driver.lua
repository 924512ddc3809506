-- driver: the command line, and the pipeline in order.
--
--   load_spec -> validate -> weights -> plan -> schedule -> emit -> write
--
-- Each stage is a module with its contract at its top; only this file
-- writes output.  Errors a user causes (util.fail / util.usage) are
-- printed as they are and give exit 1 or 2; anything else is a bug and
-- reaches main.c with a traceback.

local util = require "util"
local host = require "host"

local M = {}

local VERSION = "0.1.0"
-- --threads above this is refused: the C holds functions for every thread
local MAX_THREADS = 256

local usage_text = [[
usage: convgen [options] SPEC

Generates one self-contained C99 file for the network in SPEC (a Lua spec,
or an ONNX model: a file ending in .onnx) and writes it to standard output.

options:
  -o PATH              write PATH.c and PATH.h instead (atomically: a failed run
                       leaves existing files untouched)
  --name NAME          symbol prefix: NAME_forward, NAME_... (default: the net's name)
  --summary            print a per-layer table (shapes, parameters, MACs, arena) instead of C
  --reference          write the reference bundle for harness/check.c instead of the net
                       (with -o PATH, its large arrays go beside it in PATH.bin, which
                       it assembles in by path: compile it from the same directory)
  --bench              write the net with its benchmark table for harness/bench_net.c
  --weights-bin        (with -o PATH) write the weight arrays of 16384 floats or more
                       to PATH.bin, raw float32, and assemble them in from there with
                       .incbin instead of C text: for nets the size of ResNeXt-50,
                       whose weights are 400 MB as text.  Needs GCC or clang, ELF;
                       compile from the directory convgen ran in, or pass -Wa,-I
  --emit-spec          (ONNX) write the equivalent Lua spec and a safetensors file of its
                       weights: with -o PATH, PATH.lua and PATH.safetensors; without,
                       the spec to stdout and the weights beside the model (x.onnx ->
                       x.safetensors), which the spec names: save the spec beside it
  --weights FILE       read weights from this safetensors file (overrides the spec's)
  --knob LAYER:KNOB=N  override a schedule knob of one layer (repeatable); a fused
                       block's one knob is band_rows (its name is in --summary)
  --fuse MODE          auto (default): run 1x1 -> depthwise -> 1x1 chains as one step,
                       band by band, where the wide tensor is 1 MiB or more (and
                       depthwise -> 1x1 pairs where the depthwise output is), a
                       concat followed by a channel shuffle as one pass, and a
                       residual add in the epilogue of the 1x1 layer that makes one
                       of its addends; all: every such chain too, and those with a
                       grouped middle layer (ResNeXt's); off: layer by layer
  --layout L           nchw (default) or nhwc: the layout of NAME_forward's inputs and
                       outputs.  With nhwc (channels last, as images and most C code
                       hold pixels) the pass transposes its inputs to NCHW as its first
                       steps and its outputs back as its last; tensors of one pixel
                       or one channel are the same in both, and pass untouched
  --threads N          run the forward pass on N threads (1 to 256; default 1): each layer is
                       cut into N slices, one per thread (by output channels; a 1x1
                       layer with more pixels than output channels, by pixels; a fused
                       block, by stretches of its bands), and the threads meet after each
                       layer; the C then needs POSIX threads (-pthread) and GCC or
                       clang.  A residual add joins only a 1x1 layer cut by pixels
  --tuning FILE        use the schedules `convgen --tune` recorded in FILE for the
                       layer shapes it has (shapes it lacks keep the defaults, and
                       convgen says which on stderr); with --tune, the file to merge
                       results into (default: out/tune/NAME.tuning.lua)
  --tune               measure the schedules of every distinct layer shape, and each
                       chain that may run fused (in bands, or layer by layer), on
                       this machine and record the fastest correct one in the tuning
                       file (needs the benchmark harness built: see `make tune`)
  --tune-time S        the tuner's time budget in seconds (default 1200)
  --tune-search M      auto (sample, then refine around the best) or exhaustive
  --tune-cc CMD        how candidates are compiled (default: cc -O3 -march=native)
  --tune-harness DIR   the convgen tree with harness/ and build/bench/ (default .)
  --tune-dir DIR       where candidates are built (default: out/tune/NAME)
  --target T           avx512, avx2, neon or generic (default: the best this machine
                       runs): the first three use intrinsics where convgen has a kernel
                       for them, each with a plain-C path for compilers without that
                       instruction set enabled; generic is portable C99 only
  --templates DIR      read kernel templates from DIR instead of the built-in ones
  --max-instructions N instruction budget of the spec, in millions (default 200)
  --max-memory MB      memory cap of the spec, in MiB (default 512)
  --max-seconds S      wall-clock limit of the spec (default 10)
  --help-spec          describe the spec language
  --help, --version

exit status: 0 success, 1 bad spec or weights, 2 bad usage
]]

local function parse_args(args)
  local o = {instructions = 200, memory = 512, seconds = 10, overrides = {}, tune_time = 1200, tune_search = "auto",
    tune_cc = "cc -O3 -march=native", tune_harness = "."}
  local i = 1
  local function value(flag)
    i = i + 1
    if args[i] == nil then util.usage("option %s needs a value", flag) end
    return args[i]
  end
  local function number(flag)
    local v = value(flag)
    local n = v:match("^%d+$") and math.tointeger(tonumber(v))
    if not n or n < 1 then util.usage("option %s needs a positive integer, got '%s'", flag, v) end
    return n
  end
  while i <= #args do
    local a = args[i]
    if a == "-o" then o.output = value(a)
    elseif a == "--name" then o.name = value(a)
    elseif a == "--summary" then o.summary = true
    elseif a == "--reference" then o.reference = true
    elseif a == "--bench" then o.bench = true
    elseif a == "--emit-spec" then o.emit_spec = true
    elseif a == "--weights-bin" then o.weights_bin = true
    elseif a == "--weights" then o.weights = value(a)
    elseif a == "--fuse" then
      o.fuse = value(a)
      if o.fuse ~= "auto" and o.fuse ~= "all" and o.fuse ~= "off" then
        util.usage("--fuse takes auto, all or off, got '%s'", o.fuse)
      end
    elseif a == "--threads" then
      o.threads = number(a)
      -- each thread has functions of its own in the C: past this, a typo
      if o.threads > MAX_THREADS then util.usage("--threads takes 1 to %d, got %d", MAX_THREADS, o.threads) end
    elseif a == "--layout" then
      o.layout = value(a)
      if o.layout ~= "nchw" and o.layout ~= "nhwc" then util.usage("--layout takes nchw or nhwc, got '%s'", o.layout) end
    elseif a == "--templates" then o.templates = value(a)
    elseif a == "--max-instructions" then o.instructions = number(a)
    elseif a == "--max-memory" then o.memory = number(a)
    elseif a == "--max-seconds" then o.seconds = number(a)
    elseif a == "--knob" then
      local v = value(a)
      local layer, knob, n = v:match("^(.+):([%w_]+)=(%d+)$")
      if not layer then util.usage("--knob takes LAYER:KNOB=N, got '%s'", v) end
      o.overrides[layer] = o.overrides[layer] or {}
      o.overrides[layer][knob] = math.tointeger(tonumber(n))
      if not o.overrides[layer][knob] then util.usage("--knob %s: %s is too large", v, n) end
    elseif a == "--target" then
      o.target = value(a)
      local known = require("kernels").targets
      local ok = false
      for _, t in ipairs(known) do ok = ok or t == o.target end
      if not ok then
        util.usage("--target takes %s, got '%s'", table.concat(known, ", "), o.target)
      end
    elseif a == "--tuning" then o.tuning = value(a)
    elseif a == "--tune" then o.tune = true
    elseif a == "--tune-time" then o.tune_time = number(a)
    elseif a == "--tune-search" then
      o.tune_search = value(a)
      if o.tune_search ~= "auto" and o.tune_search ~= "exhaustive" then
        util.usage("--tune-search takes auto or exhaustive, got '%s'", o.tune_search)
      end
    elseif a == "--tune-cc" then o.tune_cc = value(a)
    elseif a == "--tune-harness" then o.tune_harness = value(a)
    elseif a == "--tune-dir" then o.tune_dir = value(a)
    elseif a == "--help" or a == "-h" then o.help = true
    elseif a == "--help-spec" then o.help_spec = true
    elseif a == "--version" then o.version = true
    elseif a:sub(1, 1) == "-" and a ~= "-" then
      util.usage("unknown option '%s' (see convgen --help)", a)
    elseif o.spec then
      util.usage("more than one spec given ('%s' and '%s')", o.spec, a)
    else
      o.spec = a
    end
    i = i + 1
  end
  if o.help or o.help_spec or o.version then return o end
  if not o.spec then util.usage("no spec given (see convgen --help)") end
  if o.summary and (o.output or o.reference or o.bench) then
    util.usage("--summary prints to stdout; it takes no -o, --reference or --bench")
  end
  local modes = (o.reference and 1 or 0) + (o.bench and 1 or 0) + (o.emit_spec and 1 or 0) + (o.summary and 1 or 0)
    + (o.tune and 1 or 0)
  if modes > 1 then util.usage("--summary, --reference, --bench, --emit-spec and --tune do different things; give one") end
  if o.tune and (o.output or next(o.overrides)) then
    util.usage("--tune writes a tuning file (--tuning FILE); it takes no -o or --knob")
  end
  if o.weights_bin and not (o.output and (o.reference or o.bench or modes == 0)) then
    util.usage("--weights-bin writes PATH.bin beside the C: it needs -o PATH, and a net, --bench or --reference")
  end
  -- -o "" or -o dir/ would write the hidden files .c and .h
  if o.output and not o.output:gsub("%.c$", ""):gsub("%.lua$", ""):match("[^/]$") then
    util.usage("-o '%s' names no file: -o PATH writes PATH.c and PATH.h (PATH.lua with --emit-spec)", o.output)
  end
  -- the C names PATH.bin in an assembler string
  if (o.weights_bin or o.reference) and o.output and o.output:find('["\\\n]') then
    util.usage("-o %s: the path of a .bin file the assembler reads cannot hold a quote, backslash or newline",
      o.output)
  end
  -- the benchmarks and the tuner feed and compare NCHW tensors
  if o.layout == "nhwc" and (o.bench or o.tune) then
    util.usage("--layout nhwc changes NAME_forward's interface; --bench and --tune time the NCHW one")
  end
  if o.emit_spec and not o.spec:match("%.onnx$") then util.usage("--emit-spec converts an ONNX model (a .onnx file)") end
  if o.emit_spec and o.weights then util.usage("--emit-spec writes the model's own weights; it takes no --weights") end
  if o.name and not o.name:match("^[%a_][%w_]*$") then util.usage("--name must be a C identifier, got '%s'", o.name) end
  return o
end

local function command_line(args)
  local words = {"convgen"}
  for _, a in ipairs(args) do words[#words + 1] = a:match("^[%w%._/:=-]+$") and a or string.format("'%s'", a) end
  return table.concat(words, " ")
end

-- The ONNX model as a Lua spec plus safetensors (after validation and
-- the weights' checks, so that only a model convgen takes is written out).
local function emit_spec(o, net, weights)
  local base = o.output and o.output:gsub("%.lua$", "")
  local weights_path = (base or o.spec:gsub("%.onnx$", "")) .. ".safetensors"
  local out = require("spec_writer").write(net, weights, weights_path:match("[^/]*$"))
  local files = {weights_path, out.safetensors}
  if base then files[3], files[4] = base .. ".lua", out.spec end
  local ok, werr = host.write_files(files)
  if not ok then util.fail("%s", werr) end
  if not base then host.write_stdout(out.spec) end
  return 0
end

-- The tuning file's schedules for `target`, or nil without --tuning.
local function load_tuning(o, target)
  if not o.tuning then return nil end
  local text, err = host.read_file(o.tuning)
  if not text then util.fail("--tuning %s", err) end
  local tuning = require "tuning"
  return tuning.index(tuning.parse(o.tuning, text), target, tuning.cpu_model())
end

-- `stale`: the file's entries left out because their kernel's template
-- changed since they were tuned (gen/tuning.lua's index).
local function report_untuned(o, plan, stale)
  if not o.tuning or #plan.untuned == 0 then return end
  local tuning, kernels = require "tuning", require "kernels"
  local names, old, templates, seen = {}, 0, {}, {}
  for i = 1, math.min(4, #plan.untuned) do names[i] = plan.untuned[i].name end
  for _, s in ipairs(plan.untuned) do
    local e = stale[tuning.key(s)]
    if e then
      old = old + 1
      local file = (e.template or kernels.template_of(e.kernel or "") or e.kernel or "?"):gsub("@.*", "")
      if not seen[file] then seen[file], templates[#templates + 1] = true, file end
    end
  end
  host.write_stderr(string.format("convgen: %s has no tuned schedule for %d of the %d layers with knobs "
    .. "(%s%s); they keep the default schedule\n", o.tuning, #plan.untuned, #plan.untuned + plan.tuned_steps,
    table.concat(names, ", "), #plan.untuned > 4 and ", ..." or ""))
  if old > 0 then
    table.sort(templates)
    host.write_stderr(string.format("convgen: %d of them were tuned on an older version of their kernel (%s); "
      .. "tune again to use this one's best schedules (make tune SPEC=...)\n", old, table.concat(templates, ", ")))
  end
  if #plan.refused > 0 then
    host.write_stderr(string.format("convgen: %d of them have a schedule in the file that this convgen's kernels refuse "
      .. "(%s%s); tune again (make tune SPEC=...)\n", #plan.refused, plan.refused[1], #plan.refused > 1 and "; ..." or ""))
  end
end

local function run(args)
  local o = parse_args(args)
  if o.help then host.write_stdout(usage_text) return 0 end
  if o.version then host.write_stdout("convgen " .. VERSION .. " (" .. _VERSION .. ")\n") return 0 end
  if o.help_spec then host.write_stdout(require("schema").help()) return 0 end
  if o.templates then
    local _, err = host.read_file(o.templates .. "/conv.c.tpl")
    if err then util.usage("--templates %s: not a template directory (%s)", o.templates, err) end
    host.set_template_dir(o.templates)
  end
  local source, err = host.read_file(o.spec)
  if not source then util.fail("%s", err) end
  local net, given_weights
  if o.spec:match("%.onnx$") then
    local model, why = require("onnx").decode(source)
    if not model then util.fail("%s: %s", o.spec, why) end
    net, given_weights = require("onnx_import").import(model, o.spec)
  else
    net = require("dsl").load_spec(o.spec, source,
      {instructions = o.instructions * 1000000, memory = o.memory * 1024 * 1024, seconds = o.seconds})
  end
  local graph = require("validate").validate(net)
  graph.given_weights = given_weights
  graph = require("weights").attach(graph, o.spec:match("^(.*)/[^/]*$") or "", o.weights)
  if o.emit_spec then return emit_spec(o, net, given_weights) end
  local target = o.target or host.cpu_target()
  if o.tune then
    if (o.threads or 1) > 1 then util.usage("--tune measures layers on one thread; leave out --threads") end
    local plan = require("schedule").schedule(require("plan").plan(graph, {name = o.name, fuse = o.fuse}),
      {target = target})
    -- every chain that could run as a fused block, each tuned fused or not
    local chains = o.fuse ~= "off" and require("plan").plan(graph, {name = o.name, fuse = "all"})
    local name = plan.name:gsub("[^%w_.-]", "_")
    return require("tune").tune(plan, {target = target, seconds = o.tune_time, search = o.tune_search,
      cc = o.tune_cc, harness = o.tune_harness, work = o.tune_dir or ("out/tune/" .. name),
      tuning = o.tuning or ("out/tune/" .. name .. ".tuning.lua"), chains = chains or nil})
  end
  local tuned, stale = load_tuning(o, target)
  local plan = require("plan").plan(graph, {name = o.name, fuse = o.fuse, tuned = tuned, threads = o.threads,
    layout = o.layout})
  plan = require("schedule").schedule(plan, {overrides = o.overrides, target = target, tuned = tuned})
  report_untuned(o, plan, stale)

  if o.summary then
    host.write_stdout(require("summary").summary(graph, plan))
    return 0
  end
  local base = o.output and o.output:gsub("%.c$", "")
  -- Large arrays go to one binary file beside the C with --weights-bin,
  -- and always beside a reference bundle written with -o (compiling a big
  -- net's weights from text took most of make test's time).
  local sink = base and (o.weights_bin or o.reference) and
    util.bin_sink(base .. ".bin", plan.prefix .. (o.reference and "_ref" or ""))
  local array = sink and sink.array
  -- With -o, the files are written atomically; without, the C goes to stdout.
  local function deliver(c_text, h_text)
    if not base then
      host.write_stdout(c_text)
      return 0
    end
    local files = {base .. ".c", c_text}
    if h_text then files[#files + 1], files[#files + 2] = base .. ".h", h_text end
    if sink then files[#files + 1], files[#files + 2] = sink.file, sink.bytes() end
    local ok, werr = host.write_files(files)
    if not ok then util.fail("%s", werr) end
    return 0
  end
  if o.reference then
    return deliver(require("reference").bundle(graph, plan, {array = array}))
  end
  if o.bench then
    local net = require("emit").emit(plan, {command = command_line(args), whole_parts = true, array = array})
    return deliver(require("bench").bundle(plan, net.c, {array = array}))
  end
  local header_name = base and (base:match("[^/]*$") .. ".h")
  local out = require("emit").emit(plan, {header_name = header_name, command = command_line(args), array = array})
  return deliver(out.c, out.h)
end

-- Returns the exit status.
function M.main(args)
  local ok, result = xpcall(run, function(e)
    if util.is_error(e) then return e end
    return debug.traceback(tostring(e), 2)
  end, args)
  if ok then return result end
  if util.is_error(result) then
    host.write_stderr((result.code == 2 and "convgen: " or "") .. result.message .. "\n")
    return result.code
  end
  error(result, 0)
end

return M
