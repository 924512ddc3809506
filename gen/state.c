/*
** state.c: a Lua state set up the way every convgen entry point needs it:
** the standard libraries (hardened), the host modules, and a searcher
** that loads the embedded Lua sources of gen/.  main.c and the fuzz
** harnesses (tests/fuzz/) share it.
*/
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#include "convgen.h"

int luaopen_cjson(lua_State *L);      /* Debian's lua-cjson */

/* string.dump is removed so that no code, spec or generator, can turn a
   function into bytecode; and the string metatable is locked, so that
   getmetatable("") cannot be used to change how every string behaves. */
static void harden_strings(lua_State *L)
{
  lua_getglobal(L, "string");                 /* stack: string */
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  lua_pop(L, 1);
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);                    /* stack: "", meta */
  lua_pushliteral(L, "locked");
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 2);
}

static int open_all(lua_State *L)
{
  luaL_openlibs(L);
  harden_strings(L);
  luaL_requiref(L, "host", luaopen_host, 0);
  luaL_requiref(L, "tensor", luaopen_tensor, 0);
  luaL_requiref(L, "sandbox", luaopen_sandbox, 0);
  luaL_requiref(L, "cjson", luaopen_cjson, 0);
  luaL_requiref(L, "onnx", luaopen_onnx, 0);
  lua_settop(L, 0);
  host_install_searcher(L);
  return 0;
}

lua_State *convgen_newstate(struct memory_account *account)
{
  lua_State *L = sandbox_newstate(account);
  if (!L)
    return NULL;
  lua_pushcfunction(L, open_all);
  if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
    lua_close(L);
    return NULL;
  }
  return L;
}
