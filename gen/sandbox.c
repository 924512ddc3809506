/*
** sandbox.c: the limits a spec runs under.
** A spec is a Lua program from a user; it may loop forever or allocate
** without end.  It runs in a restricted environment (gen/dsl.lua builds
** it) and, through run_limited below, with an instruction budget and a
** memory cap, so a bad spec ends with a clear error instead of a hang or
** an OOM kill.
*/
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lauxlib.h"
#include "convgen.h"

/* The allocator counts bytes so that a cap can be applied while a spec
   runs.  Freeing always succeeds; only growth is refused. */
static void *counting_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
  struct memory_account *account = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    free(ptr);
    account->in_use -= old;
    return NULL;
  }
  if (account->limit && nsize > old && account->in_use + (nsize - old) > account->limit) {
    account->tripped = 1;
    return NULL;
  }
  ptr = realloc(ptr, nsize);
  if (ptr)
    account->in_use = account->in_use - old + nsize;
  return ptr;
}

static int panic(lua_State *L)
{
  const char *msg = lua_tostring(L, -1);
  lua_writestringerror("convgen: unprotected Lua error: %s\n", msg ? msg : "?");
  return 0;
}

lua_State *sandbox_newstate(struct memory_account *account)
{
  lua_State *L = lua_newstate(counting_alloc, account);
  if (L)
    lua_atpanic(L, panic);
  return L;
}

/* Instruction budget, counted in blocks of HOOK_STEP VM instructions. */
#define HOOK_STEP 10000
static const char budget_key = 'b';     /* registry key: remaining steps */

static void count_hook(lua_State *L, lua_Debug *ar)
{
  lua_Integer left;
  (void)ar;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &budget_key);     /* stack: left */
  left = lua_tointeger(L, -1) - 1;
  lua_pop(L, 1);
  lua_pushinteger(L, left);                           /* stack: left-1 */
  lua_rawsetp(L, LUA_REGISTRYINDEX, &budget_key);
  if (left < 0)
    luaL_error(L, "spec exceeded its instruction budget");
}

/*
** Wall-clock limit.  Some work a spec can ask for runs inside one C call
** that the instruction count never sees (a backtracking string.find on a
** long subject); no Lua error can interrupt that, so when the alarm rings
** convgen prints the prepared message and exits.  Nothing has been written
** yet while a spec runs, so exiting leaves no partial output.
*/
static char alarm_message[512];
static size_t alarm_message_len;

static void on_alarm(int sig)
{
  ssize_t ignored;
  (void)sig;
  ignored = write(STDERR_FILENO, alarm_message, alarm_message_len);
  (void)ignored;
  _exit(1);
}

static void arm_alarm(unsigned seconds, const char *message)
{
  struct sigaction action;
  if (seconds == 0)
    return;
  alarm_message_len = strlen(message);
  if (alarm_message_len >= sizeof alarm_message)
    alarm_message_len = sizeof alarm_message - 1;
  memcpy(alarm_message, message, alarm_message_len);
  memset(&action, 0, sizeof action);
  action.sa_handler = on_alarm;
  sigemptyset(&action.sa_mask);
  sigaction(SIGALRM, &action, NULL);
  alarm(seconds);
}

static struct memory_account *account_of(lua_State *L)
{
  void *ud;
  lua_getallocf(L, &ud);
  return ud;
}

/*
** sandbox.run(f, max_instructions, max_bytes [, seconds, timeout_message])
**   -> ok, result_or_error, why
** Calls f() with the budget and cap in force; `why` is "instructions",
** "memory" or nil, so the caller can say which limit was hit.  The spec
** environment has no pcall, so the spec cannot catch these errors itself.
** With seconds > 0, running longer prints timeout_message and exits 1.
*/
static int run_limited(lua_State *L)
{
  struct memory_account *account = account_of(L);
  lua_Integer max_instructions = luaL_checkinteger(L, 2);
  lua_Integer max_bytes = luaL_checkinteger(L, 3);
  lua_Integer seconds = luaL_optinteger(L, 4, 0);
  const char *timeout_message = luaL_optstring(L, 5, "convgen: the spec ran out of time\n");
  int status, out_of_budget;
  lua_Hook outer_hook = lua_gethook(L);       /* restored after: a fuzzer's */
  int outer_mask = lua_gethookmask(L), outer_count = lua_gethookcount(L);
  luaL_checktype(L, 1, LUA_TFUNCTION);
  luaL_argcheck(L, seconds >= 0 && seconds < 1000000, 4, "seconds out of range");
  arm_alarm((unsigned)seconds, timeout_message);
  lua_settop(L, 1);                                   /* stack: f */
  lua_pushinteger(L, max_instructions / HOOK_STEP + 1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &budget_key);
  account->tripped = 0;
  account->limit = account->in_use + (size_t)max_bytes;
  lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_STEP);
  status = lua_pcall(L, 0, 1, 0);                     /* stack: result|err */
  alarm(0);
  lua_sethook(L, outer_hook, outer_mask, outer_count);
  account->limit = 0;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &budget_key);
  out_of_budget = lua_tointeger(L, -1) < 0;
  lua_pop(L, 1);
  lua_pushboolean(L, status == LUA_OK);               /* stack: res, ok */
  lua_insert(L, -2);                                  /* stack: ok, res */
  if (status == LUA_OK)
    lua_pushnil(L);
  else if (account->tripped)
    lua_pushliteral(L, "memory");
  else if (out_of_budget)
    lua_pushliteral(L, "instructions");
  else
    lua_pushnil(L);                                   /* stack: ok, res, why */
  account->tripped = 0;
  return 3;
}

int luaopen_sandbox(lua_State *L)
{
  static const luaL_Reg functions[] = {
    {"run", run_limited},
    {NULL, NULL}
  };
  luaL_newlib(L, functions);
  return 1;
}
