/*
** main.c: the convgen command.
** Like lua.c and no more: create the state (state.c), 
** run the driver (gen/driver.lua) under lua_pcall with a traceback
** handler, and exit with the code it returns.  The driver reports spec
** and usage errors itself; what reaches here is a bug in convgen.
*/
#include <stdio.h>

#include "lua.h"
#include "lauxlib.h"
#include "convgen.h"

#define EXIT_INTERNAL 3

static int traceback_handler(lua_State *L)
{
  const char *msg = lua_tostring(L, 1);
  if (!msg)
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* Runs require("driver").main(args) in protected mode. */
static int run_driver(lua_State *L)
{
  int argc = (int)lua_tointeger(L, 1);
  char **argv = lua_touserdata(L, 2);
  int i;
  lua_settop(L, 0);
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
  lua_State *L = convgen_newstate(&account);
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
