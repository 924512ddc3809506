-- fuzz: entry points for the libFuzzer harnesses in tests/fuzz/.
--
-- fuzz.spec(text) runs a fuzzed spec through every stage; fuzz.weights(bytes)
-- loads fuzzed bytes as the safetensors file of a small fixed net;
-- fuzz.onnx(bytes) reads fuzzed bytes as an ONNX model.  A
-- user error (util.fail) is the expected outcome of most inputs; any
-- other error is a bug, returned as a traceback for the harness to abort on.

local util = require "util"
local dsl = require "dsl"
local validate = require "validate"
local weights = require "weights"
local plan = require "plan"
local schedule = require "schedule"
local emit = require "emit"

local M = {}

local LIMITS = {instructions = 2000000, memory = 16 * 1024 * 1024}
local MAX_EMITTED_WEIGHTS = 20000     -- keeps each run fast; validation is checked for all

local function weight_count(graph)
  local n = 0
  for _, layer in ipairs(graph.layers) do n = n + weights.count(layer) end
  return n
end

local function generate(graph, read_file)
  graph = weights.attach(graph, "", nil, read_file)
  local p = schedule.schedule(plan.plan(graph, {}), {})
  emit.emit(p, {})
  require("reference").bundle(graph, p)
end

local function guarded(f, ...)
  local ok, err = xpcall(f, function(e)
    if util.is_error(e) then return e end
    return debug.traceback(tostring(e), 2)
  end, ...)
  if ok or util.is_error(err) then return true end
  return false, err
end

function M.spec(text)
  return guarded(function()
    local graph = validate.validate(dsl.load_spec("fuzz.lua", text, LIMITS))
    if graph.weights_path or weight_count(graph) > MAX_EMITTED_WEIGHTS then return end
    generate(graph)
  end)
end

local weights_net = [[
return net "w" {
  input "x" {C = 3, H = 5, W = 5},
  conv "c" {out = 4, k = 3, pad = 1},
  batchnorm "bn" {},
  relu {},
  gap {},
  flatten {},
  linear "fc" {out = 2},
  weights = "w.safetensors",
}
]]

function M.weights(bytes)
  return guarded(function()
    local graph = validate.validate(dsl.load_spec("w.lua", weights_net, LIMITS))
    generate(graph, function() return bytes end)
  end)
end

-- fuzz.onnx(bytes): fuzzed bytes as an ONNX model, through every stage.
function M.onnx(bytes)
  return guarded(function()
    local model = require("onnx").decode(bytes)
    if not model then return end
    local net, given = require("onnx_import").import(model, "fuzz.onnx")
    local graph = validate.validate(net)
    graph.given_weights = given
    if weight_count(graph) > MAX_EMITTED_WEIGHTS then return end
    generate(graph)
  end)
end

return M
