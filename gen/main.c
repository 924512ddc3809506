/*
** main.c: the convgen command.
** Like lua.c and no more: create the state, install the host modules,
** run the driver (gen/driver.lua) under lua_pcall with a traceback
** handler, and exit with the code it returns.  The driver reports spec
** and usage errors itself; what reaches here is a bug in convgen.
*/
#include <stdio.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#include "convgen.h"

int luaopen_cjson(lua_State *L);      /* Debian's lua-cjson */

#define EXIT_INTERNAL 3

static int traceback_handler(lua_State *L)
{
  const char *msg = lua_tostring(L, 1);
  if (!msg)
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  luaL_traceback(L, L, msg, 1);
  return 1;
}

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

/* Runs require("driver").main(args) in protected mode. */
static int run_driver(lua_State *L)
{
  int argc = (int)lua_tointeger(L, 1);
  char **argv = lua_touserdata(L, 2);
  int i;
  luaL_openlibs(L);
  harden_strings(L);
  luaL_requiref(L, "host", luaopen_host, 0);
  luaL_requiref(L, "tensor", luaopen_tensor, 0);
  luaL_requiref(L, "sandbox", luaopen_sandbox, 0);
  luaL_requiref(L, "cjson", luaopen_cjson, 0);
  lua_settop(L, 0);
  host_install_searcher(L);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "driver");
  lua_call(L, 1, 1);                          /* stack: driver */
  lua_getfield(L, -1, "main");                /* stack: driver, main */
  lua_createtable(L, argc, 0);                /* stack: driver, main, args */
  for (i = 1; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i);
  }
  lua_call(L, 1, 1);                          /* stack: driver, code */
  return 1;
}

int main(int argc, char **argv)
{
  struct memory_account account = {0, 0, 0};
  lua_State *L = sandbox_newstate(&account);
  int status, code;
  if (!L) {
    fputs("convgen: cannot create the Lua state: out of memory\n", stderr);
    return EXIT_INTERNAL;
  }
  lua_pushcfunction(L, traceback_handler);
  lua_pushcfunction(L, run_driver);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  status = lua_pcall(L, 2, 1, 1);
  if (status != LUA_OK) {
    fprintf(stderr, "convgen: internal error (please report): %s\n", lua_tostring(L, -1));
    code = EXIT_INTERNAL;
  } else {
    code = (int)lua_tointeger(L, -1);
  }
  lua_close(L);
  return code;
}
