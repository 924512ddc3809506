/*
** fuzz_target.c: libFuzzer harness over the spec loader and validator
** (FUZZ_KIND "spec"), the safetensors loader (FUZZ_KIND "weights") or the
** ONNX decoder and importer (FUZZ_KIND "onnx").
** Each input goes through gen/fuzz.lua; a user error is fine, anything
** else (a Lua error that is not util.fail, a sanitizer report) is a bug.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lua.h"
#include "lauxlib.h"
#include "convgen.h"

#ifndef FUZZ_KIND
#error "compile with -DFUZZ_KIND=\"spec\", \"weights\" or \"onnx\""
#endif

static lua_State *state;
static struct memory_account account;

/*
** Coverage of the Lua code.  libFuzzer sees only instrumented C, and the
** generator's logic is Lua; a line hook counts (file, line) pairs into
** libFuzzer's extra counters so that new Lua paths count as progress.
*/
#define LINE_COUNTERS 65536
__attribute__((used, section("__libfuzzer_extra_counters")))
static uint8_t lua_lines[LINE_COUNTERS];

static void line_hook(lua_State *L, lua_Debug *ar)
{
  uint32_t h = 2166136261u;
  const char *p;
  if (!lua_getinfo(L, "S", ar))
    return;
  for (p = ar->short_src; *p; p++)
    h = (h ^ (uint8_t)*p) * 16777619u;
  h ^= (uint32_t)ar->currentline * 2654435761u;
  if (lua_lines[h % LINE_COUNTERS] < 255)
    lua_lines[h % LINE_COUNTERS]++;
}

/* Keeps fuzz[FUZZ_KIND] at stack index 1 for every run. */
static void setup(void)
{
  state = convgen_newstate(&account);
  if (!state)
    abort();
  lua_getglobal(state, "require");
  lua_pushliteral(state, "fuzz");
  if (lua_pcall(state, 1, 1, 0) != LUA_OK) {       /* stack: fuzz */
    fprintf(stderr, "%s\n", lua_tostring(state, -1));
    abort();
  }
  lua_getfield(state, -1, FUZZ_KIND);               /* stack: fuzz, f */
  lua_remove(state, 1);                             /* stack: f */
  lua_sethook(state, line_hook, LUA_MASKLINE, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!state)
    setup();
  lua_pushvalue(state, 1);                          /* stack: f, f */
  lua_pushlstring(state, (const char *)data, size); /* stack: f, f, input */
  if (lua_pcall(state, 1, 2, 0) != LUA_OK || !lua_toboolean(state, -2)) {
    fprintf(stderr, "convgen bug on this input:\n%s\n", lua_tostring(state, -1));
    abort();
  }
  lua_settop(state, 1);
  lua_gc(state, LUA_GCCOLLECT);
  return 0;
}
